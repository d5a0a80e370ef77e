"""Binance's stream facts, each against the simulator or the pure hooks.

- the host is split into ``/public``, ``/market`` and ``/private`` (2026-04-23) and a
  stream on the wrong path is accepted and silent: the plugin routes each stream, the
  simulator reproduces the silence;
- the user stream is a listenKey made with the API key header alone, kept alive by PUT,
  renewed when it is gone (``-1125`` or ``listenKeyExpired``);
- ``LIST_SUBSCRIPTIONS`` is the heartbeat: a socket that stops answering is replaced.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from decimal import Decimal

import aiohttp
import pytest
from venuekit import connect as venuekit_connect
from venuekit.connector import Connector
from venuekit.models import Market, MarketKind, OrderParams, OrderType, Side
from venuekit.registry import Registry
from venuekit.stream_models import SocketContext, StreamKind, StreamRole, Subscription
from venuekit.streams import StreamSettings
from venuekit.streams import hub as stream_hub
from venuekit.testing.conformance_streams import FAST_STREAMS, next_item, until
from venuekit.testing.waits import json_frames
from venuekit_binance import streams
from venuekit_binance.simulator import BinanceSimulator

BTC = Market(symbol="BTC/USDT:USDT", native="BTCUSDT", base="BTC", quote="USDT",
             settle="USDT", kind=MarketKind.SWAP, tick_size=Decimal("0.1"),
             step_size=Decimal("0.001"), min_quantity=Decimal("0.001"))
SYMBOL = "BTC/USDT:USDT"
ORDER = OrderParams(symbol=SYMBOL, side=Side.BUY, type=OrderType.LIMIT,
                    quantity=Decimal("0.01"), price=Decimal(40000))


def context(role: StreamRole, *, testnet: bool = False, key: str | None = None,
            request_id: int = 7) -> SocketContext:
    return SocketContext(role=role, testnet=testnet, timestamp_ms=0, session_key=key,
                         request_id=request_id)


# ---------------------------------------------------------------- routing (pure)


def test_each_kind_has_its_routed_path() -> None:
    info = streams.stream_info()
    assert info.kinds == frozenset(StreamKind)
    assert {kind: info.role(kind) for kind in StreamKind} == {
        StreamKind.ORDERS: StreamRole.PRIVATE, StreamKind.FILLS: StreamRole.PRIVATE,
        StreamKind.BALANCE: StreamRole.PRIVATE, StreamKind.POSITIONS: StreamRole.PRIVATE,
        StreamKind.TICKER: StreamRole.PUBLIC, StreamKind.ORDER_BOOK: StreamRole.PUBLIC,
        StreamKind.TRADES: StreamRole.MARKET}


@pytest.mark.parametrize(("role", "testnet", "url"), [
    (StreamRole.PUBLIC, False, "wss://fstream.binance.com/public/stream"),
    (StreamRole.MARKET, False, "wss://fstream.binance.com/market/stream"),
    (StreamRole.PRIVATE, False, "wss://fstream.binance.com/private/ws/lk1"),
    (StreamRole.PUBLIC, True, "wss://fstream.binancefuture.com/public/stream"),
    (StreamRole.PRIVATE, True, "wss://fstream.binancefuture.com/private/ws/lk1"),
])
def test_urls_per_role_and_environment(role: StreamRole, testnet: bool, url: str) -> None:
    assert streams.stream_url(context(role, testnet=testnet, key="lk1")) == url


def test_user_data_socket_carries_the_listen_key_in_its_path() -> None:
    # User Data Streams "Connect" (developers.binance.com/docs/derivatives/
    # usds-margined-futures/user-data-streams/Connect, routed-path edition): base URL
    # wss://fstream.binance.com/private, "User Data Streams are accessed at /ws/<listenKey>",
    # e.g. wss://fstream.binance.com/private/ws/XaEAKTsQSRLZAGH9tuIu37plSRsdjmlAVBoNYPUITlTA
    # ko1WI22PgmBMpI1rS8Yh. The change notice's ?listenKey= form takes an events= filter
    # whose default is not documented, so it is not used.
    key = "XaEAKTsQSRLZAGH9tuIu37plSRsdjmlAVBoNYPUITlTAko1WI22PgmBMpI1rS8Yh"
    assert streams.stream_url(context(StreamRole.PRIVATE, key=key)) == (
        "wss://fstream.binance.com/private/ws/" + key)


def test_private_socket_needs_its_listen_key() -> None:
    assert streams.stream_url(context(StreamRole.PRIVATE)) is None


def test_subscribe_frames_name_lowercase_streams() -> None:
    subs = [Subscription(kind=StreamKind.TICKER, market=BTC),
            Subscription(kind=StreamKind.ORDER_BOOK, market=BTC, depth=5)]
    [frame] = streams.stream_subscribe(context(StreamRole.PUBLIC), subs, True) or []
    assert json.loads(frame) == {"method": "SUBSCRIBE",
                                 "params": ["btcusdt@bookTicker", "btcusdt@depth@100ms"],
                                 "id": 7}
    [leave] = streams.stream_subscribe(context(StreamRole.MARKET, request_id=8),
                                       [Subscription(kind=StreamKind.TRADES, market=BTC)],
                                       False) or []
    assert json.loads(leave) == {"method": "UNSUBSCRIBE", "params": ["btcusdt@aggTrade"],
                                 "id": 8}


def test_a_stream_is_never_sent_to_another_path() -> None:
    trades = [Subscription(kind=StreamKind.TRADES, market=BTC)]
    assert streams.stream_subscribe(context(StreamRole.PUBLIC), trades, True) is None
    ticker = [Subscription(kind=StreamKind.TICKER, market=BTC)]
    assert streams.stream_subscribe(context(StreamRole.MARKET), ticker, True) is None


def test_listen_key_socket_needs_no_subscribe_frame() -> None:
    subs = [Subscription(kind=kind) for kind in (StreamKind.ORDERS, StreamKind.BALANCE)]
    assert streams.stream_subscribe(context(StreamRole.PRIVATE, key="k"), subs, True) == []


# ---------------------------------------------------------------- the simulator's paths


@pytest.fixture
async def sim() -> AsyncIterator[BinanceSimulator]:
    async with BinanceSimulator() as simulator:
        yield simulator


@pytest.mark.parametrize(("path", "delivered"), [
    ("/market/stream", True), ("/public/stream", False), ("/ws", False)])
async def test_agg_trade_only_on_the_market_path(sim: BinanceSimulator, path: str,
                                                 delivered: bool) -> None:
    async with aiohttp.ClientSession() as http, \
            http.ws_connect(sim.base_url.replace("http", "ws") + path) as ws:
        await ws.send_str(json.dumps({"method": "SUBSCRIBE", "params": ["btcusdt@aggTrade"],
                                      "id": 1}))
        assert await json_frames(ws, 0.3) == [{"result": None, "id": 1}]  # accepted either way
        trade_id = sim.streams.publish_trade("BTCUSDT", "buy", Decimal(50000), Decimal(1))
        frames = await json_frames(ws, 0.3)
        trades = [f["data"]["a"] for f in frames if "data" in f]
        assert trades == ([int(trade_id)] if delivered else [])


@pytest.mark.parametrize(("path", "delivered"), [
    ("/public/stream", True), ("/ws", True), ("/market/stream", False)])
async def test_book_ticker_on_the_public_path_and_the_retired_unrouted_url(
        sim: BinanceSimulator, path: str, delivered: bool) -> None:
    async with aiohttp.ClientSession() as http, \
            http.ws_connect(sim.base_url.replace("http", "ws") + path) as ws:
        await ws.send_str(json.dumps({"method": "SUBSCRIBE",
                                      "params": ["btcusdt@bookTicker"], "id": 3}))
        await ws.send_str(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 4}))
        assert await json_frames(ws, 0.3) == [{"result": None, "id": 3},
                                          {"result": ["btcusdt@bookTicker"], "id": 4}]
        sim.streams.publish_ticker("BTCUSDT")
        frames = await json_frames(ws, 0.3)
        assert len([f for f in frames if "data" in f]) == (1 if delivered else 0)


@pytest.mark.parametrize("path", ["/private/ws/nope", "/private/ws?listenKey=nope"])
async def test_private_path_refuses_an_unknown_listen_key(sim: BinanceSimulator,
                                                          path: str) -> None:
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await http.ws_connect(sim.base_url.replace("http", "ws") + path)


@pytest.mark.parametrize(("suffix", "topics"), [
    ("/private/ws/{key}", {"orders", "fills", "balance", "positions"}),
    # the change notice's query form: only the events= asked for
    ("/private/ws?listenKey={key}&events=ORDER_TRADE_UPDATE", {"orders", "fills"}),
])
async def test_simulator_serves_both_documented_private_forms(
        sim: BinanceSimulator, suffix: str, topics: set[str]) -> None:
    key = sim.streams.new_session()
    async with aiohttp.ClientSession() as http, \
            http.ws_connect(sim.base_url.replace("http", "ws") + suffix.format(key=key)):
        await until(lambda: bool(sim.streams.clients), "the private socket")
        [client] = sim.streams.clients
        assert (client.role, client.session_key) == ("private", key)
        assert {topic for topic, _ in client.topics} == topics


# ---------------------------------------------------------------- through the connector


def connect(sim: BinanceSimulator, settings: StreamSettings = FAST_STREAMS) -> Connector:
    return venuekit_connect("binance", sim.credentials, base_url=sim.api_url,
                            registry=Registry(allow=["binance"]),
                            stream_base_url=sim.base_url, stream_settings=settings)


async def test_watch_trades_opens_the_market_path(sim: BinanceSimulator) -> None:
    async with connect(sim) as conn:
        source = conn.watch_trades(SYMBOL)
        first = asyncio.ensure_future(next_item(source))
        await until(stream_hub(conn).ready, "the market socket")
        assert [c.role for c in sim.streams.clients] == ["market"]
        assert sim.streams.clients[0].request.path == "/market/stream"
        sim.streams.publish_trade("BTCUSDT", "sell", Decimal(50000), Decimal("0.5"))
        trade = await first
        assert (trade.side.value, trade.quantity) == ("sell", Decimal("0.5"))


async def test_listen_key_is_made_with_the_key_header_and_kept_alive(
        sim: BinanceSimulator) -> None:
    settings = StreamSettings(backoff_initial_s=0.01, backoff_max_s=0.05, idle_timeout_s=1.0,
                              heartbeat_s=0.2, keepalive_s=0.05)
    async with connect(sim, settings) as conn:
        source = conn.watch_orders()
        pending = asyncio.ensure_future(next_item(source))
        await until(stream_hub(conn).ready, "the private socket")
        await until(lambda: [m for m, _ in sim.listen_key_calls].count("PUT") >= 2,
                    "two keepalives")
        # USER_STREAM: neither timestamp nor signature on the listenKey calls
        assert {query for _, query in sim.listen_key_calls} == {""}
        assert sim.listen_key_calls[0][0] == "POST"
        pending.cancel()


async def test_a_key_gone_at_keepalive_is_renewed_and_the_socket_reopened(
        sim: BinanceSimulator) -> None:
    settings = StreamSettings(backoff_initial_s=0.01, backoff_max_s=0.05, idle_timeout_s=1.0,
                              heartbeat_s=0.2, keepalive_s=0.1)
    async with connect(sim, settings) as conn:
        source = conn.watch_orders()
        first = asyncio.ensure_future(next_item(source))
        await until(stream_hub(conn).ready, "the private socket")
        old = sim.listen_key
        before = sim.streams.connections
        sim.streams.sessions.clear()  # gone without a listenKeyExpired event: PUT says -1125
        await until(lambda: sim.streams.connections > before, "a socket on a new key")
        await until(stream_hub(conn).ready, "the new socket")
        assert sim.listen_key not in (None, old)
        placed = await conn.place_order(ORDER)
        assert (await first).order_id == placed.order_id


async def test_a_silent_socket_is_replaced(sim: BinanceSimulator) -> None:
    async with connect(sim) as conn:
        source = conn.watch_ticker(SYMBOL)
        first = asyncio.ensure_future(next_item(source))
        await until(stream_hub(conn).ready, "the public socket")
        before = sim.streams.connections
        sim.streams.silence()  # LIST_SUBSCRIPTIONS goes unanswered from now on
        await until(lambda: sim.streams.connections > before, "a replacement socket")
        await until(stream_hub(conn).ready, "the replacement")
        sim.streams.publish_ticker("BTCUSDT")
        assert (await first).symbol == SYMBOL
