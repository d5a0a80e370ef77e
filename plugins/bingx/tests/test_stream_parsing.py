"""BingX stream frames from the docs (trimmed as in the venue research) through the plugin."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from venuekit import Market, OrderStatus
from venuekit.account_models import MarginMode, PositionSide, Ticker, Trade
from venuekit.models import Auth, Credentials, OrderResult, OrderType, Side
from venuekit.payload import Reader
from venuekit.stream_models import (
    Ack,
    BookUpdate,
    Compression,
    Ping,
    PositionsUpdate,
    ResyncNeeded,
    SessionExpired,
    SocketContext,
    StreamEvent,
    StreamFailure,
    StreamFrame,
    StreamKind,
    StreamRole,
    Subscription,
)
from venuekit_bingx import parsing, streams

CONTRACT = {"symbol": "BTC-USDT", "quantityPrecision": 4, "pricePrecision": 1,
            "tradeMinQuantity": "0.0001", "tradeMinUSDT": "2", "currency": "USDT",
            "asset": "BTC", "status": 1, "apiStateOpen": "true"}


@pytest.fixture
def btc() -> Market:
    return parsing.parse_market(Reader(CONTRACT, exchange="bingx"))


def parse(payload: Any, market: Market) -> list[StreamEvent]:
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return streams.parse_stream_frame(StreamFrame(
        role=StreamRole.PUBLIC, text=text,
        markets={market.native: market, market.symbol: market}))


def context(role: StreamRole, key: str | None = None, testnet: bool = False) -> SocketContext:
    return SocketContext(role=role, testnet=testnet, session_key=key, timestamp_ms=1,
                         auth=Auth(Credentials(api_key="k", api_secret="s")), request_id=3)


# ---------------------------------------------------------------- declaration and frames


def test_declared_streams() -> None:
    info = streams.stream_info()
    assert info.kinds == frozenset(StreamKind)
    assert info.compression is Compression.GZIP and info.heartbeat is None
    assert info.derive_fills and info.max_subscriptions_per_frame == 1
    assert info.max_subscriptions_per_connection == 200


def test_urls_and_listen_key_calls() -> None:
    assert streams.stream_url(context(StreamRole.PUBLIC)) == \
        "wss://open-api-swap.bingx.com/swap-market"
    assert streams.stream_url(context(StreamRole.PRIVATE, "a8ea", testnet=True)) == \
        "wss://vst-open-api-ws.bingx.com/swap-market?listenKey=a8ea"
    assert streams.stream_url(context(StreamRole.PRIVATE)) is None
    session = streams.stream_session(StreamRole.PRIVATE)
    assert session is not None and session.keepalive_interval_s == 1800.0
    assert (session.create.request.method, session.create.request.path) == \
        ("POST", "/openApi/user/auth/userDataStream")
    keepalive = session.keepalive("a8ea").request
    assert (keepalive.method, keepalive.query, keepalive.signed) == \
        ("PUT", (("listenKey", "a8ea"),), True)
    assert streams.stream_session(StreamRole.PUBLIC) is None


def test_subscribe_one_data_type_per_frame(btc: Market) -> None:
    subs = [Subscription(kind=StreamKind.TICKER, market=btc),
            Subscription(kind=StreamKind.ORDER_BOOK, market=btc, depth=5),
            Subscription(kind=StreamKind.TRADES, market=btc),
            Subscription(kind=StreamKind.ORDERS)]
    frames = [json.loads(f) for f in streams.stream_subscribe(context(StreamRole.PUBLIC),
                                                              subs, True)]
    assert [f["dataType"] for f in frames] == \
        ["BTC-USDT@ticker", "BTC-USDT@incrDepth", "BTC-USDT@trade"]
    assert {f["reqType"] for f in frames} == {"sub"}
    assert len({f["id"] for f in frames}) == 3
    [unsub] = streams.stream_subscribe(context(StreamRole.PUBLIC), subs[:1], False)
    assert json.loads(unsub)["reqType"] == "unsub"


def test_control_frames(btc: Market) -> None:
    assert parse("Ping", btc) == [Ping("Pong")]
    assert parse({"id": "e745cd6d", "code": 0, "msg": "", "dataType": "", "data": None},
                 btc) == [Ack("e745cd6d")]
    [failure] = parse({"id": "e745", "code": 80015, "msg": "symbol:BTC-USD1T not supported"},
                      btc)
    assert isinstance(failure, StreamFailure) and not failure.fatal
    assert parse({"e": "listenKeyExpired", "E": 1676964520421, "listenKey": "53c1"}, btc) == \
        [SessionExpired()]
    config = {"e": "ACCOUNT_CONFIG_UPDATE", "E": 1676878489992,
              "ac": {"s": "BTC-USDT", "l": 12, "S": 9, "mt": "cross"}}
    assert parse(config, btc) == []


# ---------------------------------------------------------------- account events

ORDER_PUSH = {"e": "ORDER_TRADE_UPDATE", "E": 1758608899350, "T": 1758608899316,
              "o": {"s": "BTC-USDT", "c": "", "i": 1970374651259388001, "S": "SELL",
                    "o": "MARKET", "q": "0.00100000", "p": "112848.10000000",
                    "sp": "0.00000000", "ap": "112848.10000000", "x": "TRADE", "X": "FILLED",
                    "N": "USDT", "n": "-0.05642405", "T": 1758608899316, "wt": "",
                    "ps": "SHORT", "rp": "0.00000000", "z": "0.00100000", "sg": "false",
                    "ti": 0, "ro": False, "td": 511178071, "tv": "112.8"}}


def test_market_order_push_has_no_price(btc: Market) -> None:
    # venuekit convention (core payload.py: "the price of a market order" does not apply):
    # the BX-V3 MARKET push carries its execution price in ``p`` ("p" == "ap" =
    # "112848.10000000"); that is the average price, not a price the order was given.
    [order] = parse(ORDER_PUSH, btc)
    assert isinstance(order, OrderResult) and order.type is OrderType.MARKET
    assert (order.price, order.average_price) == (None, Decimal("112848.1"))
    limit = dict(ORDER_PUSH["o"], o="LIMIT", X="NEW", x="NEW", z="0", ap="0")
    [resting] = parse(dict(ORDER_PUSH, o=limit), btc)
    assert isinstance(resting, OrderResult) and resting.price == Decimal("112848.1")


@pytest.mark.parametrize("name", ["ORDER_TRADE_UPDATE", "TRADE_UPDATE"])
def test_order_event_under_either_name(btc: Market, name: str) -> None:
    [order] = parse(dict(ORDER_PUSH, e=name), btc)
    assert isinstance(order, OrderResult)
    assert order.order_id == "1970374651259388001"  # int64 kept exact
    assert (order.side, order.type, order.status) == \
        (Side.SELL, OrderType.MARKET, OrderStatus.FILLED)
    assert (order.quantity, order.filled_quantity, order.average_price) == \
        (Decimal("0.001"), Decimal("0.001"), Decimal("112848.1"))


def test_new_order_has_no_average_price(btc: Market) -> None:
    row = dict(ORDER_PUSH["o"], o="LIMIT", X="NEW", x="NEW", z="0", ap="0", c="myid1")
    [order] = parse(dict(ORDER_PUSH, o=row), btc)
    assert isinstance(order, OrderResult)
    assert (order.status, order.type, order.average_price, order.client_order_id) == \
        (OrderStatus.OPEN, OrderType.LIMIT, None, "myid1")


ACCOUNT_PUSH = {"e": "ACCOUNT_UPDATE", "E": 1758608899352, "a": {
    "m": "ORDER", "B": [{"a": "USDT", "wb": "117.80007595", "cw": "95.23045595", "bc": "0"}],
    "P": [{"s": "BTC-USDT", "pa": "0.00100000", "ep": "112848.10000000", "up": "-0.00004435",
           "mt": "cross", "iw": "22.56957565", "ps": "SHORT", "cr": "-0.05642405"}]}}


def test_account_update_balances_ask_for_rest_and_positions_as_changes(btc: Market) -> None:
    # Balance.free means "available for new orders" (REST ``availableMargin``, as Binance
    # ``availableBalance``); ``B`` has only ``wb`` and ``cw`` ("wallet balance excluding
    # isolated margin", BX-V2OLD), which still holds cross position and order margin.
    # So the balance is read over REST (ResyncNeeded), as the Binance plugin does.
    balance, positions = parse(ACCOUNT_PUSH, btc)
    assert balance == ResyncNeeded(StreamKind.BALANCE)
    assert isinstance(positions, PositionsUpdate) and not positions.complete
    [held] = positions.positions
    assert (held.side, held.quantity, held.entry_price, held.margin_mode) == \
        (PositionSide.SHORT, Decimal("0.001"), Decimal("112848.1"), MarginMode.CROSS)


def test_funding_fee_update_has_no_positions(btc: Market) -> None:
    push = {"e": "ACCOUNT_UPDATE", "E": 1, "a": {"m": "FUNDING_FEE", "B": ACCOUNT_PUSH["a"]["B"]}}
    assert parse(push, btc) == [ResyncNeeded(StreamKind.BALANCE)]


def test_one_way_position_side_comes_from_the_sign(btc: Market) -> None:
    row = dict(ACCOUNT_PUSH["a"]["P"][0], ps="BOTH", pa="-0.002")
    push = {"e": "ACCOUNT_UPDATE", "E": 1, "a": {"m": "ORDER", "P": [row]}}
    [positions] = parse(push, btc)
    assert isinstance(positions, PositionsUpdate)
    assert (positions.positions[0].side, positions.positions[0].quantity) == \
        (PositionSide.SHORT, Decimal("0.002"))


# ---------------------------------------------------------------- market data


def test_ticker(btc: Market) -> None:
    push = {"code": 0, "dataType": "BTC-USDT@ticker", "data": {
        "e": "24hTicker", "E": 1759998119388, "s": "BTC-USDT", "p": "-262.0", "P": "-0.21",
        "c": "121621.7", "L": "0.0010", "h": "124152.9", "l": "121412.0", "v": "17030.6463",
        "q": "210028.10", "o": "121883.7", "A": "121621.7", "a": "11.3115", "B": "121621.5",
        "b": "6.4426"}}
    [ticker] = parse(push, btc)
    assert isinstance(ticker, Ticker)
    assert (ticker.bid, ticker.ask, ticker.last) == \
        (Decimal("121621.5"), Decimal("121621.7"), Decimal("121621.7"))


def test_trades_without_ids_get_one_made_of_their_fields(btc: Market) -> None:
    push = {"code": 0, "dataType": "BTC-USDT@trade", "data": [
        {"q": "0.1006", "p": "58035.5", "T": 1725205512424, "m": False, "s": "BTC-USDT"},
        {"q": "0.0003", "p": "58035.4", "T": 1725205512424, "m": True, "s": "BTC-USDT"}]}
    first, second = parse(push, btc)
    assert isinstance(first, Trade) and isinstance(second, Trade)
    assert (first.side, first.price, first.quantity) == \
        (Side.BUY, Decimal("58035.5"), Decimal("0.1006"))
    assert second.side is Side.SELL  # m: the buyer was the maker, the taker sold
    assert first.trade_id == "1725205512424:58035.5:0.1006:b"
    assert second.trade_id == "1725205512424:58035.4:0.0003:s"


def test_incremental_depth_snapshot_and_update(btc: Market) -> None:
    full = {"code": 0, "dataType": "BTC-USDT@incrDepth", "data": {
        "action": "all", "lastUpdateId": 393592634, "time": 1760002514979,
        "bids": [["121706.6", "16.8741"]], "asks": [["121710.0", "1.0"], ["121709.9", "2.0"]]}}
    [snapshot] = parse(full, btc)
    assert isinstance(snapshot, BookUpdate) and snapshot.snapshot
    assert snapshot.sequence == 393592634 and snapshot.prev_sequence is None
    assert snapshot.asks[0] == (Decimal("121709.9"), Decimal("2.0"))  # sorted best first
    update = {"code": 0, "dataType": "BTC-USDT@incrDepth", "data": {
        "action": "update", "lastUpdateId": 393592635, "time": 1760002514979,
        "bids": [["121706.6", "16.8741"], ["121678.5", "0.0000"]], "asks": []}}
    [delta] = parse(update, btc)
    assert isinstance(delta, BookUpdate) and not delta.snapshot
    assert delta.sequence == 393592635
    assert (Decimal("121678.5"), Decimal(0)) in delta.bids


def test_other_symbols_and_streams_are_ignored(btc: Market) -> None:
    assert parse({"code": 0, "dataType": "DOGE-USDT@ticker", "data": {"c": "1"}}, btc) == []
    assert parse({"code": 0, "dataType": "BTC-USDT@markPrice", "data": {"p": "1"}}, btc) == []
