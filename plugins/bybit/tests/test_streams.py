"""Bybit's stream facts, each against the simulator or the pure hooks.

- the pong differs between the public and the private socket (both keep a socket alive);
- no private topic sends a snapshot on subscribe (a book subscription does);
- the private socket logs in with ``HMAC("GET/realtime" + expires)``, expires in the future;
- a book gap is recovered by subscribing again (Bybit then sends a snapshot).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from venuekit import connect as venuekit_connect
from venuekit.connector import Connector
from venuekit.models import Auth, Credentials, Market, MarketKind
from venuekit.registry import Registry
from venuekit.stream_models import (
    LoggedIn,
    Pong,
    SocketContext,
    StreamFrame,
    StreamKind,
    StreamRole,
    Subscription,
)
from venuekit.streams import hub as stream_hub
from venuekit.testing.conformance_streams import FAST_STREAMS, next_item, until
from venuekit.testing.waits import json_frames
from venuekit_bybit import streams
from venuekit_bybit.simulator import BybitSimulator
from venuekit_bybit.stream_parsing import parse_stream_frame

BTC = Market(symbol="BTC/USDT:USDT", native="BTCUSDT", base="BTC", quote="USDT",
             settle="USDT", kind=MarketKind.SWAP, tick_size=Decimal("0.1"),
             step_size=Decimal("0.001"), min_quantity=Decimal("0.001"))
SYMBOL = "BTC/USDT:USDT"


def context(role: StreamRole, *, testnet: bool = False, auth: Auth | None = None,
            timestamp_ms: int = 0) -> SocketContext:
    return SocketContext(role=role, testnet=testnet, auth=auth, timestamp_ms=timestamp_ms,
                         request_id=7)


# ---------------------------------------------------------------- pure hooks


@pytest.mark.parametrize(("role", "testnet", "url"), [
    (StreamRole.PUBLIC, False, "wss://stream.bybit.com/v5/public/linear"),
    (StreamRole.PRIVATE, False, "wss://stream.bybit.com/v5/private"),
    (StreamRole.PUBLIC, True, "wss://stream-testnet.bybit.com/v5/public/linear"),
    (StreamRole.PRIVATE, True, "wss://stream-testnet.bybit.com/v5/private"),
])
def test_urls(role: StreamRole, testnet: bool, url: str) -> None:
    assert streams.stream_url(context(role, testnet=testnet)) == url


def test_auth_frame_matches_the_worked_example() -> None:
    # computed in the research notes with hmac/hashlib, not by this plugin
    frame = json.loads(streams.auth_frame("XXXXXXXXXX", "TestSecret1234567890",
                                          1700000010000, 3))
    assert frame == {"req_id": "3", "op": "auth", "args": [
        "XXXXXXXXXX", 1700000010000,
        "0842339a7d45aba06c803f74ec75e67a172a5271e477e0b4a967010de795ae97"]}


def test_login_expires_after_the_venue_clock() -> None:
    auth = Auth(credentials=Credentials(api_key="k", api_secret="s"))
    [frame] = streams.stream_login(context(StreamRole.PRIVATE, auth=auth,
                                           timestamp_ms=1_000_000))
    assert json.loads(frame)["args"][1] == 1_000_000 + streams.AUTH_EXPIRES_MS
    assert streams.stream_login(context(StreamRole.PUBLIC, auth=auth)) == []


def test_topics_and_their_sockets() -> None:
    public = [Subscription(kind=StreamKind.TICKER, market=BTC),
              Subscription(kind=StreamKind.ORDER_BOOK, market=BTC, depth=5),
              Subscription(kind=StreamKind.ORDER_BOOK, market=BTC, depth=100),
              Subscription(kind=StreamKind.TRADES, market=BTC)]
    [frame] = streams.stream_subscribe(context(StreamRole.PUBLIC), public, True) or []
    assert json.loads(frame) == {"req_id": "7", "op": "subscribe", "args": [
        "orderbook.1.BTCUSDT", "orderbook.50.BTCUSDT", "orderbook.200.BTCUSDT",
        "publicTrade.BTCUSDT"]}
    private = [Subscription(kind=kind) for kind in (StreamKind.ORDERS, StreamKind.FILLS,
                                                    StreamKind.POSITIONS, StreamKind.BALANCE)]
    [frame] = streams.stream_subscribe(context(StreamRole.PRIVATE), private, False) or []
    assert json.loads(frame)["args"] == ["order", "execution", "position", "wallet"]
    assert streams.stream_subscribe(context(StreamRole.PUBLIC), private[:1], True) is None
    assert streams.stream_subscribe(context(StreamRole.PRIVATE), public[:1], True) is None


# ---------------------------------------------------------------- the simulator's sockets


@pytest.fixture
async def sim() -> AsyncIterator[BybitSimulator]:
    async with BybitSimulator() as simulator:
        yield simulator


def _auth(sim: BybitSimulator) -> str:
    """Written here from the Connect page, apart from the plugin's signer."""
    expires = int(time.time() * 1000) + 10_000
    sign = hmac.new(sim.credentials.api_secret.encode(), f"GET/realtime{expires}".encode(),
                    hashlib.sha256).hexdigest()
    return json.dumps({"op": "auth", "args": [sim.credentials.api_key, expires, sign]})


def _parsed(payload: dict[str, Any], role: StreamRole) -> list[Any]:
    return list(parse_stream_frame(StreamFrame(role=role, text=json.dumps(payload),
                                               markets={})))


async def test_pongs_differ_between_public_and_private(sim: BybitSimulator) -> None:
    url = sim.base_url.replace("http", "ws")
    async with aiohttp.ClientSession() as http, \
            http.ws_connect(url + "/v5/public/linear") as public, \
            http.ws_connect(url + "/v5/private") as private:
        await public.send_str(streams.PING)
        await private.send_str(streams.PING)
        [public_pong] = await json_frames(public, 0.3)
        [private_pong] = await json_frames(private, 0.3)
    assert (public_pong["op"], public_pong["ret_msg"], public_pong["success"]) == \
        ("ping", "pong", True)
    assert private_pong["op"] == "pong" and "success" not in private_pong
    assert isinstance(private_pong["args"][0], str)
    assert _parsed(public_pong, StreamRole.PUBLIC) == [Pong()]
    assert _parsed(private_pong, StreamRole.PRIVATE) == [Pong()]


async def test_no_private_topic_sends_a_snapshot_a_book_does(sim: BybitSimulator) -> None:
    url = sim.base_url.replace("http", "ws")
    async with aiohttp.ClientSession() as http, \
            http.ws_connect(url + "/v5/private") as private, \
            http.ws_connect(url + "/v5/public/linear") as public:
        await private.send_str(_auth(sim))
        [answer] = await json_frames(private, 0.3)
        assert _parsed(answer, StreamRole.PRIVATE) == [LoggedIn()]
        await private.send_str(json.dumps({"op": "subscribe", "args": [
            "order", "execution", "position", "wallet"]}))
        assert [f.get("op") for f in await json_frames(private, 0.3)] == ["subscribe"]
        await public.send_str(json.dumps({"req_id": "b", "op": "subscribe",
                                          "args": ["orderbook.50.BTCUSDT"]}))
        ack, snapshot = await json_frames(public, 0.3)
        assert ack["req_id"] == "b" and snapshot["type"] == "snapshot"
        # the private socket speaks once something changes
        sim.state.place(symbol="BTCUSDT", side="buy", type="limit", quantity=Decimal("0.01"),
                        price=Decimal(40000))
        topics = [f["topic"] for f in await json_frames(private, 0.3)]
        assert topics == ["order", "wallet"]


async def test_private_topics_need_auth(sim: BybitSimulator) -> None:
    async with aiohttp.ClientSession() as http, \
            http.ws_connect(sim.base_url.replace("http", "ws") + "/v5/private") as private:
        await private.send_str(json.dumps({"op": "subscribe", "args": ["order"]}))
        [answer] = await json_frames(private, 0.3)
        assert answer["success"] is False


async def test_auth_with_an_expires_in_the_past_is_refused(sim: BybitSimulator) -> None:
    expires = int(time.time() * 1000) - 1000
    sign = hmac.new(sim.credentials.api_secret.encode(), f"GET/realtime{expires}".encode(),
                    hashlib.sha256).hexdigest()
    async with aiohttp.ClientSession() as http, \
            http.ws_connect(sim.base_url.replace("http", "ws") + "/v5/private") as private:
        await private.send_str(json.dumps({"op": "auth",
                                           "args": [sim.credentials.api_key, expires, sign]}))
        [answer] = await json_frames(private, 0.3)
        assert answer["success"] is False


# ---------------------------------------------------------------- through the connector


def connect(sim: BybitSimulator) -> Connector:
    return venuekit_connect("bybit", sim.credentials, base_url=sim.api_url,
                            registry=Registry(allow=["bybit"]), stream_base_url=sim.base_url,
                            stream_settings=FAST_STREAMS)


@pytest.mark.parametrize("role", ["public", "private"])
async def test_each_pong_keeps_its_socket_and_silence_replaces_it(
        sim: BybitSimulator, role: str) -> None:
    async with connect(sim) as conn:
        source = conn.watch_ticker(SYMBOL) if role == "public" else conn.watch_orders()
        pending = asyncio.ensure_future(next_item(source))
        await until(stream_hub(conn).ready, "the socket")
        before = sim.streams.connections
        await asyncio.sleep(1.5)  # past the 1 s idle timeout: the pongs kept it alive
        assert sim.streams.connections == before
        sim.streams.silence()
        await until(lambda: sim.streams.connections > before, "a replacement")
        pending.cancel()


async def test_a_book_gap_is_recovered_by_subscribing_again(sim: BybitSimulator) -> None:
    async with connect(sim) as conn:
        source = conn.watch_order_book(SYMBOL, 5)
        book = await next_item(source)
        [client] = sim.streams.clients
        best = book.bids[0][0]
        sim.streams.faults.gaps.add("BTCUSDT")
        sim.streams.publish_book("BTCUSDT", bids=[(best, Decimal(3))])
        book = await next_item(source)
        assert book.bids[0] == (best, Decimal(3))
        ops = [json.loads(f).get("op") for f in client.frames_in]
        assert ops.count("subscribe") == 2 and ops.count("unsubscribe") == 1
