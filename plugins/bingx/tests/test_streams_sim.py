"""BingX's stream facts against the simulator: gzip on every frame, a server Ping answered
Pong, the order event under either name, fills derived from the cumulative quantity, the
listenKey lifecycle."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
import venuekit
from venuekit import OrderStatus
from venuekit.ratelimit import MemoryLimiter
from venuekit.streams import hub as stream_hub
from venuekit.testing.conformance_streams import FAST_STREAMS, next_item, until
from venuekit_bingx.simulator import BingXSimulator

SYMBOL = "BTC/USDT:USDT"


class FastPings(BingXSimulator):
    ping_interval_s = 0.05


class Quiet(BingXSimulator):
    ping_interval_s = None


@pytest.fixture
async def sim() -> AsyncIterator[BingXSimulator]:
    async with Quiet() as simulator:
        yield simulator


def connect(sim: BingXSimulator) -> venuekit.Connector:
    return venuekit.connect("bingx", sim.credentials, base_url=sim.base_url,
                            stream_base_url=sim.base_url, stream_settings=FAST_STREAMS,
                            limiter=MemoryLimiter(),
                            registry=venuekit.Registry(allow=["bingx"]))


def order(quantity: str = "0.03") -> venuekit.OrderParams:
    return venuekit.OrderParams(symbol=SYMBOL, side=venuekit.Side.BUY,
                                type=venuekit.OrderType.LIMIT, quantity=Decimal(quantity),
                                price=Decimal("40000"))


async def test_every_frame_is_gzipped_and_the_server_pings() -> None:
    async with FastPings() as sim, aiohttp.ClientSession() as http, \
            http.ws_connect(sim.base_url + "/swap-market") as ws:
        await ws.send_str(json.dumps({"id": "a1", "reqType": "sub",
                                      "dataType": "BTC-USDT@ticker"}))
        seen: list[Any] = []
        for _ in range(3):
            message = await ws.receive(timeout=2)
            assert message.type is aiohttp.WSMsgType.BINARY
            seen.append(gzip.decompress(message.data).decode())
        assert "Ping" in seen
        answers = [json.loads(text) for text in seen if text != "Ping"]
        assert {"id": "a1", "code": 0, "msg": "", "dataType": "", "data": None} in answers


async def test_unknown_listen_key_is_refused(sim: BingXSimulator) -> None:
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await http.ws_connect(sim.base_url + "/swap-market?listenKey=nope")


async def test_the_connector_answers_ping_with_pong() -> None:
    async with FastPings() as sim, connect(sim) as conn:
        source = conn.watch_ticker(SYMBOL)
        first = asyncio.ensure_future(next_item(source))
        await until(stream_hub(conn).ready, "streams ready")
        await until(lambda: any("Pong" in c.frames_in for c in sim.streams.clients),
                    "a Pong for the server's Ping")
        sim.streams.publish_ticker("BTC-USDT")
        assert (await first).symbol == SYMBOL
        # end the pinging socket before closing (see README: the core's close while
        # frames keep arriving)
        sim.streams.faults.refuse_connections = True
        await sim.streams.drop_all()


@pytest.mark.parametrize("name", ["ORDER_TRADE_UPDATE", "TRADE_UPDATE"])
async def test_fills_derived_from_cumulative_quantity_under_either_event_name(
        sim: BingXSimulator, name: str) -> None:
    sim.streams.venue.order_event = name  # type: ignore[attr-defined]
    async with connect(sim) as conn:
        fills, orders = conn.watch_fills(), conn.watch_orders()
        first_order = asyncio.ensure_future(next_item(orders))
        first_fill = asyncio.ensure_future(next_item(fills))
        await until(stream_hub(conn).ready, "streams ready")
        placed = await conn.place_order(order())
        assert (await first_order).status is OrderStatus.OPEN
        sim.state.fill_resting(placed.order_id, Decimal("0.01"))
        fill = await first_fill
        assert (fill.order_id, fill.quantity, fill.price) == \
            (placed.order_id, Decimal("0.01"), Decimal("40000"))
        assert fill.trade_id == f"{placed.order_id}:0.01"
        sim.state.fill_resting(placed.order_id)
        second = await next_item(fills)
        assert (second.quantity, second.trade_id) == \
            (Decimal("0.02"), f"{placed.order_id}:0.03")
        statuses = [(await next_item(orders)).status for _ in range(2)]
        assert statuses == [OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED]


async def test_listen_key_created_then_replaced_after_expiry(sim: BingXSimulator) -> None:
    async with connect(sim) as conn:
        source = conn.watch_orders()
        first = asyncio.ensure_future(next_item(source))
        await until(stream_hub(conn).ready, "streams ready")
        [key] = sim.streams.sessions
        [client] = [c for c in sim.streams.clients if c.role == "private"]
        assert client.session_key == key
        sim.streams.expire_sessions()  # listenKeyExpired: a new key, a new socket
        await until(lambda: bool(sim.streams.sessions) and key not in sim.streams.sessions
                    and any(c.role == "private" for c in sim.streams.clients),
                    "a new listenKey and socket")
        await until(stream_hub(conn).ready, "streams ready again")
        placed = await conn.place_order(order("0.01"))
        assert (await first).order_id == placed.order_id


async def test_a_silent_socket_is_replaced() -> None:
    """Heartbeat ignored: the server stops pinging and answering on the open socket; the
    connector notices (idle limit) and opens a new one that works."""
    async with FastPings() as sim, connect(sim) as conn:
        source = conn.watch_ticker(SYMBOL)
        first = asyncio.ensure_future(next_item(source))
        await until(stream_hub(conn).ready, "streams ready")
        before = sim.streams.connections
        sim.streams.silence()
        await until(lambda: sim.streams.connections > before, "a new socket")
        await until(stream_hub(conn).ready, "streams ready again")
        sim.streams.publish_ticker("BTC-USDT")
        assert (await first).symbol == SYMBOL
        sim.streams.faults.refuse_connections = True
        await sim.streams.drop_all()
