"""OKX's stream facts against the simulator: the orders channel sends no snapshot, books chain
by seqId/prevSeqId with checksum 0, login signs seconds + GET + /users/self/verify, and the
connector turns contracts into base currency on every stream."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
import venuekit
from venuekit import AuthenticationError, Credentials, OrderStatus
from venuekit.models import Auth
from venuekit.ratelimit import MemoryLimiter
from venuekit.stream_models import SocketContext, StreamRole
from venuekit.streams import hub as stream_hub
from venuekit.testing.conformance_streams import FAST_STREAMS, next_item, until
from venuekit_okx import streams
from venuekit_okx.simulator import OkxSimulator

NATIVE = "BTC-USDT-SWAP"


@pytest.fixture
async def sim() -> AsyncIterator[OkxSimulator]:
    async with OkxSimulator() as simulator:
        yield simulator


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def login_frame(sim: OkxSimulator, credentials: Credentials | None = None,
                timestamp_ms: int | None = None) -> str:
    context = SocketContext(role=StreamRole.PRIVATE, testnet=False,
                            auth=Auth(credentials or sim.credentials),
                            timestamp_ms=timestamp_ms or int(time.time() * 1000))
    [frame] = streams.stream_login(context)
    return frame


async def receive(ws: aiohttp.ClientWebSocketResponse, timeout_s: float = 2.0) -> Any:
    message = await ws.receive(timeout=timeout_s)
    return message.data if message.data in ("pong",) else json.loads(message.data)


async def quiet(ws: aiohttp.ClientWebSocketResponse, seconds: float = 0.2) -> bool:
    try:
        await ws.receive(timeout=seconds)
    except TimeoutError:
        return True
    return False


async def test_login_checks_the_signature_key_and_clock(
        sim: OkxSimulator, http: aiohttp.ClientSession) -> None:
    async with http.ws_connect(sim.base_url + "/ws/v5/private") as ws:
        wrong = Credentials(api_key=sim.credentials.api_key, api_secret="not-the-secret",
                            passphrase=sim.credentials.passphrase)
        await ws.send_str(login_frame(sim, wrong))
        assert (await receive(ws))["code"] == "60007"
        await ws.send_str(login_frame(sim, timestamp_ms=int(time.time() * 1000) - 60_000))
        assert (await receive(ws))["code"] == "60006"
        await ws.send_str(login_frame(sim))
        assert await receive(ws) == {"event": "login", "code": "0", "msg": "",
                                     "connId": "a4d3ae55"}


async def test_ping_is_answered_with_pong(sim: OkxSimulator,
                                          http: aiohttp.ClientSession) -> None:
    async with http.ws_connect(sim.base_url + "/ws/v5/public") as ws:
        await ws.send_str("ping")
        assert await receive(ws) == "pong"


async def test_orders_channel_sends_no_snapshot(sim: OkxSimulator,
                                                http: aiohttp.ClientSession) -> None:
    resting = sim.state.place(symbol=NATIVE, side="buy", type="limit",
                              quantity=Decimal("0.01"), price=Decimal("40000"))
    async with http.ws_connect(sim.base_url + "/ws/v5/private") as ws:
        await ws.send_str(login_frame(sim))
        assert (await receive(ws))["event"] == "login"
        await ws.send_str(json.dumps({"id": "1", "op": "subscribe",
                                      "args": [{"channel": "orders", "instType": "SWAP"}]}))
        assert (await receive(ws))["event"] == "subscribe"
        assert await quiet(ws), "OKX sends no order snapshot on subscribe"
        sim.state.cancel(order_id=resting.order_id)
        push = await receive(ws)
        assert push["arg"]["channel"] == "orders"
        assert (push["data"][0]["ordId"], push["data"][0]["state"]) == \
            (resting.order_id, "canceled")


async def test_private_channel_needs_login_and_the_private_url(
        sim: OkxSimulator, http: aiohttp.ClientSession) -> None:
    orders = json.dumps({"op": "subscribe", "args": [{"channel": "orders",
                                                      "instType": "SWAP"}]})
    async with http.ws_connect(sim.base_url + "/ws/v5/public") as ws:
        await ws.send_str(orders)
        assert (await receive(ws))["code"] == "60008"
    async with http.ws_connect(sim.base_url + "/ws/v5/private") as ws:
        await ws.send_str(orders)
        assert (await receive(ws))["code"] == "60011"


async def test_book_snapshot_then_updates_chained_with_checksum_zero(
        sim: OkxSimulator, http: aiohttp.ClientSession) -> None:
    async with http.ws_connect(sim.base_url + "/ws/v5/public") as ws:
        await ws.send_str(json.dumps({"op": "subscribe", "args": [{"channel": "books",
                                                                   "instId": NATIVE}]}))
        assert (await receive(ws))["event"] == "subscribe"
        snapshot = await receive(ws)
        assert snapshot["action"] == "snapshot"
        first = snapshot["data"][0]
        assert (first["prevSeqId"], first["checksum"]) == (-1, 0)
        sim.streams.publish_book(NATIVE, bids=[(Decimal("49000"), Decimal("0.05"))])
        update = (await receive(ws))["data"][0]
        assert (update["prevSeqId"], update["checksum"]) == (first["seqId"], 0)
        assert update["bids"] == [["49000", "5", "0", "1"]]  # contracts of 0.01 BTC


def connect(sim: OkxSimulator) -> venuekit.Connector:
    return venuekit.connect("okx", sim.credentials, base_url=sim.base_url,
                            stream_base_url=sim.base_url, stream_settings=FAST_STREAMS,
                            limiter=MemoryLimiter(),
                            registry=venuekit.Registry(allow=["okx"]))


async def test_fill_arrives_from_the_orders_channel_in_base_currency(
        sim: OkxSimulator) -> None:
    async with connect(sim) as conn:
        fills, orders = conn.watch_fills(), conn.watch_orders()
        first_fill = asyncio.ensure_future(next_item(fills))
        first_order = asyncio.ensure_future(next_item(orders))
        await until(stream_hub(conn).ready, "streams ready")
        placed = await conn.place_order(venuekit.OrderParams(
            symbol="BTC/USDT:USDT", side=venuekit.Side.BUY, type=venuekit.OrderType.LIMIT,
            quantity=Decimal("0.03"), price=Decimal("40000")))
        assert (await first_order).quantity == Decimal("0.03")
        sim.state.fill_resting(placed.order_id, Decimal("0.01"))
        fill = await first_fill
        assert (fill.order_id, fill.quantity, fill.price) == \
            (placed.order_id, Decimal("0.01"), Decimal("40000"))
        partial = await next_item(orders)
        assert (partial.status, partial.filled_quantity) == \
            (OrderStatus.PARTIALLY_FILLED, Decimal("0.01"))
        # one orders channel serves both watchers: one subscription on the wire
        [client] = [c for c in sim.streams.clients if c.role == "private"]
        subscribed = [json.loads(f) for f in client.frames_in if f.startswith("{")]
        channels = [a["channel"] for f in subscribed if f.get("op") == "subscribe"
                    for a in f["args"]]
        assert "orders" in channels and "fills" not in channels


async def test_refused_login_is_an_authentication_error(sim: OkxSimulator) -> None:
    sim.streams.faults.refuse_logins = 1
    async with connect(sim) as conn:
        with pytest.raises(AuthenticationError):
            await next_item(conn.watch_balance())


async def test_unanswered_pings_replace_the_socket(sim: OkxSimulator) -> None:
    """Heartbeat ignored: the open socket stops answering ``ping``; the connector notices
    (idle limit) and opens a new one that works."""
    async with connect(sim) as conn:
        source = conn.watch_ticker("BTC/USDT:USDT")
        first = asyncio.ensure_future(next_item(source))
        await until(stream_hub(conn).ready, "streams ready")
        [client] = sim.streams.clients
        await until(lambda: "ping" in client.frames_in, "the client's ping")
        before = sim.streams.connections
        sim.streams.silence()
        await until(lambda: sim.streams.connections > before, "a new socket")
        await until(stream_hub(conn).ready, "streams ready again")
        sim.streams.publish_ticker(NATIVE)
        assert (await first).symbol == "BTC/USDT:USDT"
