"""The stream hooks on Pionex's documented frames (PX-OAS ``websocketapi.yaml``, PX-GBW).

Samples are the documentation's examples, written inline; no core, no network.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from support import DOC_CREDENTIALS, DOC_KEY, DOC_SECRET, DOC_TIMESTAMP, response
from venuekit.account_models import Fill, Trade
from venuekit.errors import AuthenticationError, InvalidSignature
from venuekit.models import Auth, OrderResult, OrderStatus
from venuekit.stream_models import (
    Ack,
    BalanceUpdate,
    BookUpdate,
    Ping,
    SessionExpired,
    SocketContext,
    StreamFailure,
    StreamFrame,
    StreamKind,
    StreamRole,
    Subscription,
)
from venuekit_pionex import parsing, streams

SYMBOLS = {"result": True, "timestamp": 1566691672311, "data": {"symbols": [
    {"symbol": "BTC_USDT", "type": "SPOT", "baseCurrency": "BTC", "quoteCurrency": "USDT",
     "basePrecision": 6, "quotePrecision": 2, "amountPrecision": 2, "minAmount": "10",
     "minTradeSize": "0.000001", "maxTradeSize": "1000", "enable": True}]}}
BTC = parsing.parse_markets(response(SYMBOLS))[0]
MARKETS = {BTC.native: BTC, BTC.symbol: BTC}
STAMP = datetime(2019, 8, 25, 0, 7, 52, 311000, tzinfo=UTC)  # 1566691672311 ms


def parse(message: Any, role: StreamRole = StreamRole.PRIVATE) -> list[Any]:
    text = message if isinstance(message, str) else json.dumps(message)
    return streams.parse_stream_frame(StreamFrame(role=role, text=text, markets=MARKETS))


def context(role: StreamRole, *, auth: Auth | None = None, testnet: bool = False,
            timestamp_ms: int = DOC_TIMESTAMP) -> SocketContext:
    return SocketContext(role=role, testnet=testnet, auth=auth, timestamp_ms=timestamp_ms)


# ---------------------------------------------------------------- URLs and frames


def test_private_url_reproduces_the_official_signature() -> None:
    url = streams.stream_url(context(StreamRole.PRIVATE, auth=Auth(DOC_CREDENTIALS)))
    assert url == ("wss://ws.pionex.com/ws?key=" + DOC_KEY + "&timestamp=1655896754515"
                   "&signature=3e901247350e744353f4a7a479fd67181184a627b119352ec1b7a432925e772c")


def test_private_url_is_signed_afresh_for_each_timestamp() -> None:
    first = streams.private_url(DOC_KEY, DOC_SECRET, DOC_TIMESTAMP)
    later = streams.private_url(DOC_KEY, DOC_SECRET, DOC_TIMESTAMP + 1)
    assert first.rsplit("signature=", 1)[1] != later.rsplit("signature=", 1)[1]


def test_public_url_and_no_testnet() -> None:
    assert streams.stream_url(context(StreamRole.PUBLIC)) == "wss://ws.pionex.com/wsPub"
    assert streams.stream_url(context(StreamRole.PUBLIC, testnet=True)) is None
    assert streams.stream_url(context(StreamRole.PRIVATE)) is None  # no credentials


def test_subscribe_frames_one_topic_each() -> None:
    subs = [Subscription(kind=StreamKind.ORDERS), Subscription(kind=StreamKind.BALANCE),
            Subscription(kind=StreamKind.ORDER_BOOK, market=BTC, depth=500),
            Subscription(kind=StreamKind.TRADES, market=BTC)]
    frames = [json.loads(f) for f in streams.stream_subscribe(
        context(StreamRole.PUBLIC), subs, True) or []]
    assert frames == [{"op": "SUBSCRIBE", "topic": "ORDER"},
                      {"op": "SUBSCRIBE", "topic": "BALANCE"},
                      {"op": "SUBSCRIBE", "topic": "DEPTH", "symbol": "BTC_USDT", "limit": 100},
                      {"op": "SUBSCRIBE", "topic": "TRADE", "symbol": "BTC_USDT"}]
    leave = streams.stream_subscribe(context(StreamRole.PUBLIC), subs[2:3], False) or []
    assert [json.loads(f) for f in leave] == [
        {"op": "UNSUBSCRIBE", "topic": "DEPTH", "symbol": "BTC_USDT"}]


def test_absent_kinds_are_not_offered() -> None:
    info = streams.stream_info()
    assert StreamKind.TICKER not in info.kinds and StreamKind.POSITIONS not in info.kinds
    assert streams.stream_subscribe(context(StreamRole.PUBLIC),
                                    [Subscription(kind=StreamKind.TICKER, market=BTC)],
                                    True) is None


# ---------------------------------------------------------------- control frames


def test_ping_is_answered_with_a_pong_echoing_its_timestamp() -> None:
    (event,) = parse({"op": "PING", "timestamp": 1566691672311})
    assert isinstance(event, Ping)
    assert json.loads(event.reply) == {"op": "PONG", "timestamp": 1566691672311}


def test_close_reconnects_at_once() -> None:
    assert parse({"op": "CLOSE", "timestamp": 1566691672311}) == [SessionExpired()]


def test_subscription_acks() -> None:
    assert parse({"type": "SUBSCRIBED", "topic": "ORDER", "symbol": "BTC_USDT"}) == \
        [Ack("ORDER:BTC_USDT")]
    assert parse({"type": "UNSUBSCRIBED", "topic": "BALANCE"}) == [Ack("BALANCE:None")]


def test_auth_error_frame_is_fatal() -> None:
    (event,) = parse({"result": False, "code": "INVALID_SIGNATURE", "message": "bad"})
    assert isinstance(event, StreamFailure) and event.fatal
    assert isinstance(event.error, InvalidSignature)
    assert isinstance(event.error, AuthenticationError)


def test_subscribe_error_frame_is_not_fatal() -> None:
    (event,) = parse({"code": "SUBSCRIBED_TOPICS_EXCEED_LIMIT", "message": "too many"})
    assert isinstance(event, StreamFailure) and not event.fatal
    assert event.error.code == "SUBSCRIBED_TOPICS_EXCEED_LIMIT"


def test_error_frame_that_echoes_its_topic_is_a_failure() -> None:
    """PX-GBW "General Info" / "Response format" lists ``topic`` and ``symbol`` next to
    ``code`` and ``message`` (https://pionex-doc.gitbook.io/apidocs/websocket/general-info),
    so a refusal may name the topic it refuses; it must not be read as a data push."""
    (event,) = parse({"topic": "TRADE", "symbol": "NOPE_USDT", "code": "INVALID_SYMBOL",
                      "message": "Invalid symbol."}, StreamRole.PUBLIC)
    assert isinstance(event, StreamFailure) and not event.fatal
    assert event.error.code == "INVALID_SYMBOL"


# ---------------------------------------------------------------- data frames (doc samples)


def test_order_update() -> None:
    (order,) = parse({"topic": "ORDER", "symbol": "BTC_USDT", "data": {
        "orderId": 1234567890, "symbol": "BTC_USDT", "type": "LIMIT", "side": "BUY",
        "price": "30000.00", "size": "0.1000", "filledSize": "0.0500",
        "filledAmount": "1500.00", "fee": "0.15", "feeCoin": "USDT", "IOC": False,
        "status": "OPEN", "clientOrderId": "9e3d93d6-e9a4-465a-a39c-2e48568fe194",
        "createTime": 1566676132311, "updateTime": 1566676132311},
        "timestamp": 1566691672311})
    assert isinstance(order, OrderResult)
    assert (order.symbol, order.order_id, order.status, order.quantity,
            order.filled_quantity, order.average_price) == (
        "BTC/USDT", "1234567890", OrderStatus.PARTIALLY_FILLED, Decimal("0.1"),
        Decimal("0.05"), Decimal(30000))


def test_fill() -> None:
    (fill,) = parse({"topic": "FILL", "symbol": "BTC_USDT", "data": {
        "id": 9876543210, "orderId": 1234567890, "symbol": "BTC_USDT", "side": "BUY",
        "role": "TAKER", "price": "30000.00", "size": "0.1000", "fee": "0.15",
        "feeCoin": "USDT", "timestamp": 1566676132311}, "timestamp": 1566691672311})
    assert isinstance(fill, Fill)
    assert (fill.trade_id, fill.order_id, fill.quantity, fill.fee, fill.is_maker) == (
        "9876543210", "1234567890", Decimal("0.1"), Decimal("0.15"), False)


def test_balance_is_a_partial_update() -> None:
    (update,) = parse({"topic": "BALANCE", "timestamp": 1566691672311, "data": {
        "balances": [{"coin": "BTC", "free": "0.90000000", "frozen": "0.00000000"},
                     {"coin": "USDT", "free": "100.00000000", "frozen": "900.00000000"}],
        "timestamp": 1566691672311}})
    assert isinstance(update, BalanceUpdate) and not update.complete
    usdt = next(a for a in update.balance.assets if a.asset == "USDT")
    assert (usdt.free, usdt.used, usdt.total) == (Decimal(100), Decimal(900), Decimal(1000))


def test_trades_oldest_first() -> None:
    trades = parse({"topic": "TRADE", "symbol": "BTC_USDT", "timestamp": 1566691672311,
                    "data": [{"symbol": "BTC_USDT", "tradeId": "600848672", "price": "7962.63",
                              "size": "0.01", "side": "SELL", "timestamp": 1566691672312},
                             {"symbol": "BTC_USDT", "tradeId": "600848671", "price": "7962.62",
                              "size": "0.0122", "side": "BUY", "timestamp": 1566691672311}]},
                   StreamRole.PUBLIC)
    assert all(isinstance(t, Trade) for t in trades)
    assert [t.trade_id for t in trades] == ["600848671", "600848672"]
    assert (trades[0].price, trades[0].quantity, trades[0].timestamp) == (
        Decimal("7962.62"), Decimal("0.0122"), STAMP)


def test_depth_is_a_snapshot_without_sequence() -> None:
    (book,) = parse({"topic": "DEPTH", "symbol": "BTC_USDT", "timestamp": 1566691672311,
                     "data": {"bids": [["27964.01", "0.0675"], ["27963.23", "0.9111"]],
                              "asks": [["27979.32", "0.0731"], ["27980.97", "1.0294"]]}},
                    StreamRole.PUBLIC)
    assert isinstance(book, BookUpdate)
    assert book.snapshot and book.sequence is None and book.prev_sequence is None
    assert book.bids[0] == (Decimal("27964.01"), Decimal("0.0675"))
    assert book.asks[-1] == (Decimal("27980.97"), Decimal("1.0294"))
    assert book.timestamp == STAMP


@pytest.mark.parametrize("topic", ["ORDER", "DEPTH", "TRADE"])
def test_unlisted_symbol_is_ignored(topic: str) -> None:
    assert parse({"topic": topic, "symbol": "NOPE_USDT", "data": {}}) == []
