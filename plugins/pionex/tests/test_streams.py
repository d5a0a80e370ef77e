"""Pionex's stream facts (issue 15 point 3), each against the simulator through the core.

- the private URL is signed (key, timestamp, signature), afresh on every connect, and a
  bad signature is an AuthenticationError without a reconnect storm;
- the server pings every 15 s and the client answers with a PONG: a socket that carries
  nothing else stays open;
- no sequence numbers: every DEPTH push is a whole book, and whatever changed while the
  socket was down comes back by the REST resync after the reconnect.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
import pytest_asyncio
from venuekit import Credentials, connect
from venuekit.connector import Connector
from venuekit.errors import AuthenticationError, NotSupported
from venuekit.models import OrderParams
from venuekit.ratelimit import MemoryLimiter
from venuekit.streams import StreamSettings
from venuekit.streams import hub as stream_hub
from venuekit.testing.conformance_streams import next_item, until
from venuekit_pionex import streams
from venuekit_pionex.simulator import PionexSimulator

SYMBOL, NATIVE = "BTC/USDT", "BTC_USDT"
#: a dead socket is noticed after 0.6 s; the simulator pings every 0.15 s
SETTINGS = StreamSettings(backoff_initial_s=0.01, backoff_max_s=0.05, jitter=0.5,
                          idle_timeout_s=0.6, connect_timeout_s=2.0)


class QuickPings(PionexSimulator):
    stream_ping_interval_s = 0.15


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[PionexSimulator]:
    async with QuickPings() as simulator:
        yield simulator


def connector(sim: PionexSimulator, credentials: Credentials | None = None) -> Connector:
    return connect("pionex", credentials or sim.credentials, base_url=sim.api_url,
                   limiter=MemoryLimiter(), stream_base_url=sim.base_url,
                   stream_settings=SETTINGS)


def order(price: str = "40000") -> OrderParams:
    return OrderParams(symbol=SYMBOL, side="buy", type="limit", quantity=Decimal("0.01"),
                       price=Decimal(price))


def private_urls(sim: PionexSimulator) -> list[dict[str, list[str]]]:
    return [parse_qs(urlsplit(str(c.request.url)).query) for c in sim.streams.clients
            if c.role == "private"]


async def test_private_url_is_signed_afresh_on_every_connect(sim: PionexSimulator) -> None:
    async with connector(sim) as conn:
        source = conn.watch_orders(SYMBOL)
        pending = asyncio.ensure_future(next_item(source))
        await until(stream_hub(conn).ready, "the private socket")
        (first,) = private_urls(sim)
        assert first["key"] == [sim.credentials.api_key]
        assert set(first) == {"key", "timestamp", "signature"}
        await asyncio.sleep(0.01)  # the next connect is at a later millisecond
        before = sim.streams.connections
        await sim.streams.drop_all()
        await until(lambda: sim.streams.connections > before and bool(private_urls(sim)),
                    "a reconnect")
        (second,) = private_urls(sim)
        assert int(second["timestamp"][0]) > int(first["timestamp"][0])
        assert second["signature"] != first["signature"]
        pending.cancel()


async def test_bad_signature_is_an_authentication_error_once(sim: PionexSimulator) -> None:
    wrong = Credentials(api_key=sim.credentials.api_key, api_secret="not-the-secret")
    async with connector(sim, wrong) as conn:
        with pytest.raises(AuthenticationError):
            await next_item(conn.watch_balance())
        await asyncio.sleep(0.2)  # many backoff periods
        assert sim.streams.connections == 1


async def test_stale_timestamp_is_refused() -> None:
    async with QuickPings() as sim:
        url = streams.private_url(sim.credentials.api_key, sim.credentials.api_secret,
                                  sim.now_ms() - 60_000, host=sim.base_url.replace("http", "ws"))
        async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
            message = json.loads((await ws.receive()).data)
        assert message["code"] == "INVALID_TIMESTAMP"


async def test_server_pings_are_answered_and_keep_a_quiet_socket_open(
        sim: PionexSimulator) -> None:
    async with connector(sim) as conn:
        source = conn.watch_orders(SYMBOL)
        pending = asyncio.ensure_future(next_item(source))
        await until(stream_hub(conn).ready, "the private socket")
        await asyncio.sleep(1.5)  # 2.5 idle timeouts with nothing but PINGs
        assert sim.streams.connections == 1, "a socket answered by PINGs was declared dead"
        (client,) = [c for c in sim.streams.clients if c.role == "private"]
        pongs = [json.loads(f) for f in client.frames_in if '"PONG"' in f]
        assert len(pongs) >= 5 and all(isinstance(p["timestamp"], int) for p in pongs)
        pending.cancel()


def test_the_documented_ping_interval() -> None:
    assert PionexSimulator.stream_ping_interval_s == 15.0
    info = streams.stream_info()
    assert info.heartbeat is None  # the client only answers
    assert info.idle_timeout_s > 2 * 15.0


async def test_depth_without_sequence_is_whole_after_a_reconnect(
        sim: PionexSimulator) -> None:
    async with connector(sim) as conn:
        source = conn.watch_order_book(SYMBOL, 5)
        book = await next_item(source)
        best = book.bids[0][0]
        sim.streams.faults.refuse_connections = True
        await sim.streams.drop_all()
        await until(lambda: not stream_hub(conn).ready(), "the drop")
        sim.streams.publish_book(NATIVE, bids=[(best, Decimal(42))])  # nobody hears it
        sim.streams.faults.refuse_connections = False
        while book.bids[0] != (best, Decimal(42)):
            book = await next_item(source)
        bids, asks = sim.streams.book(NATIVE).top(5)
        assert (book.bids, book.asks) == (tuple(bids), tuple(asks))


async def test_order_and_fill_topics_are_subscribed_per_symbol(sim: PionexSimulator) -> None:
    # websocketapi.yaml: ORDER and FILL subscriptions take a required ``symbol``; BALANCE none
    async with connector(sim) as conn:
        orders, balance = conn.watch_orders(SYMBOL), conn.watch_balance()
        pending = asyncio.ensure_future(next_item(orders))
        await next_item(balance)
        await until(stream_hub(conn).ready, "the private socket")
        (client,) = [c for c in sim.streams.clients if c.role == "private"]
        frames = [json.loads(f) for f in client.frames_in if "SUBSCRIBE" in f]
        assert {"op": "SUBSCRIBE", "topic": "ORDER", "symbol": NATIVE} in frames
        assert {"op": "SUBSCRIBE", "topic": "BALANCE"} in frames
        placed = await conn.place_order(order())
        assert (await pending).order_id == placed.order_id
        with pytest.raises(NotSupported, match="one market at a time"):
            await next_item(conn.watch_fills())  # every market at once: not on Pionex
        assert sim.streams.connections == 1


async def test_the_simulator_refuses_an_order_topic_without_a_symbol(
        sim: PionexSimulator) -> None:
    url = streams.private_url(sim.credentials.api_key, sim.credentials.api_secret,
                              sim.now_ms(), host=sim.base_url.replace("http", "ws"))
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        await ws.send_str('{"op":"SUBSCRIBE","topic":"ORDER"}')
        message = json.loads((await ws.receive()).data)
    assert message["code"] == "PARAMETER_ERROR"
