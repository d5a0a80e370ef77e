"""OKX stream frames from the V5 docs (trimmed as in the venue research) through the plugin:
contracts become base currency (ctVal 0.01 here), control frames become control events."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from okx_helpers import DOC_SECRET, doc_credentials, envelope, response
from venuekit import AuthenticationError, Market, OrderStatus
from venuekit import errors as e
from venuekit.account_models import Fill, PositionSide, Ticker, Trade
from venuekit.models import Auth, OrderResult
from venuekit.stream_models import (
    Ack,
    BalanceUpdate,
    BookUpdate,
    LoggedIn,
    Pong,
    PositionsUpdate,
    SessionExpired,
    SocketContext,
    StreamEvent,
    StreamFailure,
    StreamFrame,
    StreamKind,
    StreamRole,
    Subscription,
)
from venuekit_okx import parsing, streams

INSTRUMENT = {"instType": "SWAP", "instId": "BTC-USDT-SWAP", "instFamily": "BTC-USDT",
              "settleCcy": "USDT", "ctVal": "0.01", "ctType": "linear", "lever": "100",
              "tickSz": "0.1", "lotSz": "0.01", "minSz": "0.01", "state": "live"}


@pytest.fixture
def btc() -> Market:
    return parsing.markets(response(envelope([INSTRUMENT])))[0]


def parse(payload: Any, market: Market, role: StreamRole = StreamRole.PRIVATE
          ) -> list[StreamEvent]:
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return streams.parse_stream_frame(StreamFrame(
        role=role, text=text, markets={market.native: market, market.symbol: market}))


def context(role: StreamRole = StreamRole.PRIVATE, testnet: bool = False,
            subscriptions: tuple[Subscription, ...] = (), request_id: int = 7
            ) -> SocketContext:
    return SocketContext(role=role, testnet=testnet, auth=Auth(doc_credentials()),
                         timestamp_ms=1538054050_123, subscriptions=subscriptions,
                         request_id=request_id)


# ---------------------------------------------------------------- hosts, login, subscribe


def test_hosts_per_environment_and_role() -> None:
    assert streams.stream_url(context(StreamRole.PUBLIC)) == "wss://ws.okx.com:8443/ws/v5/public"
    assert streams.stream_url(context(StreamRole.PRIVATE, testnet=True)) == \
        "wss://wspap.okx.com:8443/ws/v5/private"
    assert streams.stream_url(context(StreamRole.MARKET)) is None


def test_login_signs_seconds_get_and_the_verify_path() -> None:
    # computed with the docs' example secret (okx-account-streams.md section 3.1)
    assert streams.login_signature(DOC_SECRET, "1538054050") == \
        "+LdIr8lkkvhr5hoA3g9TMC0+uQJ849ftAcocA/ouu4M="
    [frame] = streams.stream_login(context())
    arg = json.loads(frame)["args"][0]
    assert json.loads(frame)["op"] == "login"
    assert arg == {"apiKey": "test-okx-key-00000000", "passphrase": "test-passphrase",
                   "timestamp": "1538054050",
                   "sign": "+LdIr8lkkvhr5hoA3g9TMC0+uQJ849ftAcocA/ouu4M="}
    assert streams.stream_login(context(StreamRole.PUBLIC)) == []


def test_subscribe_frame_carries_each_channel_once(btc: Market) -> None:
    subs = [Subscription(kind=StreamKind.ORDERS), Subscription(kind=StreamKind.FILLS),
            Subscription(kind=StreamKind.BALANCE), Subscription(kind=StreamKind.POSITIONS)]
    [frame] = streams.stream_subscribe(context(), subs, True)
    message = json.loads(frame)
    assert message["op"] == "subscribe"
    assert message["args"] == [{"channel": "orders", "instType": "SWAP"},
                               {"channel": "account"},
                               {"channel": "positions", "instType": "SWAP"}]
    public = [Subscription(kind=StreamKind.TICKER, market=btc),
              Subscription(kind=StreamKind.ORDER_BOOK, market=btc, depth=5),
              Subscription(kind=StreamKind.TRADES, market=btc)]
    [frame] = streams.stream_subscribe(context(StreamRole.PUBLIC), public, True)
    assert [a["channel"] for a in json.loads(frame)["args"]] == ["tickers", "books", "trades"]
    assert {a["instId"] for a in json.loads(frame)["args"]} == {"BTC-USDT-SWAP"}


def test_unsubscribing_fills_keeps_the_orders_channel_while_orders_are_watched() -> None:
    orders, fills = Subscription(kind=StreamKind.ORDERS), Subscription(kind=StreamKind.FILLS)
    assert streams.stream_subscribe(context(subscriptions=(orders,)), [fills], False) == []
    [frame] = streams.stream_subscribe(context(subscriptions=()), [fills], False)
    assert json.loads(frame)["args"] == [{"channel": "orders", "instType": "SWAP"}]


def test_a_resubscribe_unsubscribes_the_book_first(btc: Market) -> None:
    book = Subscription(kind=StreamKind.ORDER_BOOK, market=btc, depth=5)
    [frame] = streams.stream_subscribe(context(StreamRole.PUBLIC, subscriptions=(book,)),
                                       [book], False)
    assert json.loads(frame)["op"] == "unsubscribe"
    assert json.loads(frame)["args"] == [{"channel": "books", "instId": "BTC-USDT-SWAP"}]


def test_one_ack_per_frame_though_okx_answers_each_channel(btc: Market) -> None:
    subs = [Subscription(kind=StreamKind.TICKER, market=btc),
            Subscription(kind=StreamKind.TRADES, market=btc)]
    [frame] = streams.stream_subscribe(context(StreamRole.PUBLIC), subs, True)
    sent = json.loads(frame)
    answers = [{"id": sent["id"], "event": "subscribe", "arg": arg, "connId": "accb8e21"}
               for arg in sent["args"]]
    events = [e for answer in answers for e in parse(answer, btc, StreamRole.PUBLIC)]
    assert events == [Ack(sent["id"])]
    # an answer without our id (the docs' sample) still counts
    docs = {"event": "subscribe", "arg": {"channel": "tickers", "instId": "BTC-USDT"},
            "connId": "accb8e21"}
    assert parse(docs, btc) == [Ack(None)]


# ---------------------------------------------------------------- control frames


def test_login_answers(btc: Market) -> None:
    assert parse({"event": "login", "code": "0", "msg": "", "connId": "a4d3ae55"}, btc) == \
        [LoggedIn()]
    [failure] = parse({"event": "error", "code": "60009", "msg": "Login failed.",
                       "connId": "a4d3ae55"}, btc)
    assert isinstance(failure, StreamFailure) and failure.fatal
    assert isinstance(failure.error, AuthenticationError) and failure.error.code == "60009"


def test_subscribe_error_is_not_fatal(btc: Market) -> None:
    [failure] = parse({"id": "1512", "event": "error", "code": "60012",
                       "msg": "Invalid request: {...}", "connId": "a4d3ae55"}, btc)
    assert isinstance(failure, StreamFailure) and not failure.fatal
    assert not isinstance(failure.error, AuthenticationError)


def test_pong_and_notice(btc: Market) -> None:
    assert parse("pong", btc) == [Pong()]


def test_service_upgrade_notice_replaces_the_socket_now(btc: Market) -> None:
    # OKX "WebSocket > Notification" (https://www.okx.com/docs-v5/en/#overview-websocket-
    # notification): 60 s before a service upgrade OKX sends this on /public and /private;
    # "Users are encouraged to establish a new connection" -> reconnect at once (the old
    # code ignored it and lost the socket a minute later).
    notice = {"event": "notice", "code": "64008", "connId": "a4d3ae55",
              "msg": "The connection will soon be closed for a service upgrade. Please "
                     "reconnect."}
    assert parse(notice, btc) == [SessionExpired()]
    assert parse(notice, btc, StreamRole.PUBLIC) == [SessionExpired()]
    assert parse({"event": "notice", "code": "69999", "msg": "?"}, btc) == []


@pytest.mark.parametrize(("code", "msg"), [("60004", "Invalid timestamp"),
                                           ("60006", "Timestamp request expired")])
def test_login_timestamp_errors_reconnect_instead_of_failing_for_good(
        btc: Market, code: str, msg: str) -> None:
    # OKX "Error Code > WebSocket" (https://www.okx.com/docs-v5/en/#error-code-websocket):
    # 60004/60006 are the login timestamp ("The request will expire 30 seconds after the
    # timestamp", #overview-websocket-login), the REST 50112/50102 counterparts: a clock
    # matter, not a bad key. The old code made them a fatal AuthenticationError (no
    # reconnect ever); now the socket is replaced and a fresh login signed.
    [failure] = parse({"event": "error", "code": code, "msg": msg, "connId": "a4d3ae55"}, btc)
    assert isinstance(failure, StreamFailure) and failure.fatal
    assert type(failure.error) is e.InvalidTimestamp and failure.error.code == code
    assert not isinstance(failure.error, AuthenticationError)


def test_websocket_error_table_classes(btc: Market) -> None:
    # OKX "Error Code > WebSocket": 60007 Invalid sign, 60024 Wrong passphrase, 60032 API
    # key doesn't exist (fatal); 60014 / 60023 requests too frequent; 63999 internal error
    # ("Please try again later").
    def failure(code: str) -> StreamFailure:
        [found] = parse({"event": "error", "code": code, "msg": "m", "connId": "1"}, btc)
        assert isinstance(found, StreamFailure)
        return found
    assert type(failure("60007").error) is e.InvalidSignature and failure("60007").fatal
    for code in ("60005", "60009", "60024", "60032"):
        assert isinstance(failure(code).error, AuthenticationError) and failure(code).fatal
    assert type(failure("60014").error) is e.RateLimitExceeded and not failure("60014").fatal
    assert type(failure("60023").error) is e.RateLimitExceeded and failure("60023").fatal
    assert type(failure("63999").error) is e.ExchangeUnavailable and failure("63999").fatal


# ---------------------------------------------------------------- private data


ORDER_PUSH = {"arg": {"channel": "orders", "instType": "SWAP", "uid": "614488474791936"},
              "data": [{"instId": "BTC-USDT-SWAP", "instType": "SWAP",
                        "ordId": "452197707845865472", "clOrdId": "", "side": "sell",
                        "posSide": "net", "ordType": "limit", "px": "31527.1", "sz": "3",
                        "state": "partially_filled", "accFillSz": "2", "avgPx": "31527.1",
                        "fillPx": "31527.1", "fillSz": "1", "tradeId": "242589207",
                        "fillTime": "1654084353263", "fillFee": "-0.02522168",
                        "fillFeeCcy": "USDT", "execType": "M", "fee": "-0.05",
                        "feeCcy": "USDT", "tdMode": "cross", "lever": "3",
                        "reduceOnly": "false", "cancelSource": "", "amendResult": "",
                        "reqId": "", "code": "0", "msg": "", "cTime": "1654084334977",
                        "uTime": "1654084353264"}]}


def test_order_push_with_its_fill_in_base_currency(btc: Market) -> None:
    order, fill = parse(ORDER_PUSH, btc)
    assert isinstance(order, OrderResult) and isinstance(fill, Fill)
    assert (order.order_id, order.status, order.quantity, order.filled_quantity) == \
        ("452197707845865472", OrderStatus.PARTIALLY_FILLED, Decimal("0.03"), Decimal("0.02"))
    assert (fill.trade_id, fill.order_id, fill.quantity, fill.price) == \
        ("242589207", "452197707845865472", Decimal("0.01"), Decimal("31527.1"))
    assert fill.fee == Decimal("0.02522168") and fill.fee_currency == "USDT"
    assert fill.is_maker is True


def test_order_push_without_a_fill(btc: Market) -> None:
    row = dict(ORDER_PUSH["data"][0], state="live", accFillSz="0", fillSz="0", tradeId="",
               fillPx="", fillTime="", avgPx="")
    [order] = parse(dict(ORDER_PUSH, data=[row]), btc)
    assert isinstance(order, OrderResult) and order.status is OrderStatus.OPEN


def test_orders_of_other_instruments_are_left_out(btc: Market) -> None:
    row = dict(ORDER_PUSH["data"][0], instId="BTC-USD-SWAP")
    assert parse(dict(ORDER_PUSH, data=[row]), btc) == []


ACCOUNT_PUSH = {"arg": {"channel": "account", "uid": "44*********584"},
                "eventType": "snapshot", "curPage": 1, "lastPage": True,
                "data": [{"totalEq": "55868.06403501676", "imr": "0", "mmr": "0", "upl": "0",
                          "uTime": "1705564223311", "details": [{
                              "ccy": "USDT", "eq": "4892.951170691435",
                              "cashBal": "4750.426970691436", "availBal": "4734.371190691436",
                              "availEq": "4734.371190691435", "frozenBal": "158.57998",
                              "ordFrozen": "0", "upl": "-7.475800000000003",
                              "uTime": "1705564213903"}]}]}


def test_account_snapshot_and_event_update(btc: Market) -> None:
    [update] = parse(ACCOUNT_PUSH, btc)
    assert isinstance(update, BalanceUpdate) and update.complete
    [usdt] = update.balance.assets
    assert (usdt.asset, usdt.free, usdt.used) == \
        ("USDT", Decimal("4734.371190691436"), Decimal("158.57998"))
    [partial] = parse(dict(ACCOUNT_PUSH, eventType="event_update"), btc)
    assert isinstance(partial, BalanceUpdate) and not partial.complete
    [page] = parse(dict(ACCOUNT_PUSH, lastPage=False), btc)
    assert isinstance(page, BalanceUpdate) and not page.complete


POSITIONS_PUSH = {"arg": {"channel": "positions", "uid": "77982378738415879",
                          "instType": "SWAP"},
                  "eventType": "snapshot", "curPage": 1, "lastPage": True,
                  "data": [{"instId": "BTC-USDT-SWAP", "instType": "SWAP",
                            "mgnMode": "isolated", "posSide": "long", "pos": "12",
                            "avgPx": "2566.31", "markPx": "2353.849",
                            "upl": "-0.0000009932766034", "lever": "10",
                            "liqPx": "2352.8496681818233", "margin": "0.0003896645377994",
                            "ccy": "USDT", "posId": "307173036051017730", "tradeId": "109844",
                            "uTime": "1619507761462", "pTime": "1619507761462"}]}


def test_positions_in_base_currency_and_a_closed_one(btc: Market) -> None:
    [update] = parse(POSITIONS_PUSH, btc)
    assert isinstance(update, PositionsUpdate) and update.complete
    [held] = update.positions
    assert (held.side, held.quantity, held.entry_price) == \
        (PositionSide.LONG, Decimal("0.12"), Decimal("2566.31"))
    closed = dict(POSITIONS_PUSH["data"][0], pos="0")
    [update] = parse(dict(POSITIONS_PUSH, eventType="event_update", data=[closed]), btc)
    assert isinstance(update, PositionsUpdate) and not update.complete
    assert update.positions[0].is_flat


# ---------------------------------------------------------------- public data


def test_ticker(btc: Market) -> None:
    push = {"arg": {"channel": "tickers", "instId": "BTC-USDT-SWAP"}, "data": [{
        "instType": "SWAP", "instId": "BTC-USDT-SWAP", "last": "9999.99", "lastSz": "0.1",
        "askPx": "9999.99", "askSz": "11", "bidPx": "8888.88", "bidSz": "5",
        "open24h": "9000", "high24h": "10000", "low24h": "8888.88", "volCcy24h": "2222",
        "vol24h": "2222", "sodUtc0": "2222", "sodUtc8": "2222", "ts": "1597026383085"}]}
    [ticker] = parse(push, btc, StreamRole.PUBLIC)
    assert isinstance(ticker, Ticker)
    assert (ticker.symbol, ticker.bid, ticker.ask, ticker.last) == \
        ("BTC/USDT:USDT", Decimal("8888.88"), Decimal("9999.99"), Decimal("9999.99"))


def test_trades_in_base_currency(btc: Market) -> None:
    push = {"arg": {"channel": "trades", "instId": "BTC-USDT-SWAP"}, "data": [{
        "instId": "BTC-USDT-SWAP", "tradeId": "130639474", "px": "42219.9", "sz": "12",
        "side": "buy", "ts": "1630048897897", "count": "3", "source": "0", "seqId": 1234}]}
    [trade] = parse(push, btc, StreamRole.PUBLIC)
    assert isinstance(trade, Trade)
    assert (trade.trade_id, trade.price, trade.quantity) == \
        ("130639474", Decimal("42219.9"), Decimal("0.12"))


def book(action: str, prev: int, seq: int, asks: list[list[str]], bids: list[list[str]],
         checksum: int = 0) -> dict[str, Any]:
    return {"arg": {"channel": "books", "instId": "BTC-USDT-SWAP"}, "action": action,
            "data": [{"asks": asks, "bids": bids, "ts": "1597026383085",
                      "checksum": checksum, "prevSeqId": prev, "seqId": seq}]}


def test_book_snapshot_and_update_chain_by_seq_id(btc: Market) -> None:
    [snap] = parse(book("snapshot", -1, 123456, [["8476.98", "415", "0", "13"]],
                        [["8476.97", "256", "0", "12"]]), btc, StreamRole.PUBLIC)
    assert isinstance(snap, BookUpdate) and snap.snapshot
    assert (snap.sequence, snap.prev_sequence) == (123456, None)
    assert snap.asks == ((Decimal("8476.98"), Decimal("4.15")),)
    assert snap.bids == ((Decimal("8476.97"), Decimal("2.56")),)
    [delta] = parse(book("update", 123456, 123457, [["8476.98", "0", "0", "0"]], []), btc)
    assert isinstance(delta, BookUpdate) and not delta.snapshot
    assert (delta.sequence, delta.prev_sequence) == (123457, 123456)
    assert delta.asks == ((Decimal("8476.98"), Decimal(0)),)


def test_book_checksum_is_not_read(btc: Market) -> None:
    # fixed to 0 since June 2026; an old non-zero value changes nothing either
    zero = parse(book("update", 1, 2, [["1", "1", "0", "1"]], []), btc)
    other = parse(book("update", 1, 2, [["1", "1", "0", "1"]], [], checksum=-1881014294), btc)
    assert zero == other and isinstance(zero[0], BookUpdate)


def test_book_heartbeat_and_sequence_reset(btc: Market) -> None:
    assert parse(book("update", 123457, 123457, [], []), btc) == []
    # "Sequence ID": after maintenance seqId may restart below prevSeqId; the update still
    # chains by prevSeqId and is applied
    (reset,) = parse(book("update", 123457, 15, [["1", "1", "0", "1"]], []), btc)
    assert isinstance(reset, BookUpdate)
    assert (reset.sequence, reset.prev_sequence, reset.snapshot) == (15, 123457, False)


def test_unknown_instrument_and_channel_are_ignored(btc: Market) -> None:
    push = {"arg": {"channel": "tickers", "instId": "DOGE-USDT-SWAP"},
            "data": [{"instId": "DOGE-USDT-SWAP", "last": "1", "ts": "1"}]}
    assert parse(push, btc) == []
    assert parse({"arg": {"channel": "mark-price", "instId": "BTC-USDT-SWAP"},
                  "data": [{"markPx": "1"}]}, btc) == []
