"""The stream hooks on OrangeX's documented and live-captured frames (OX-DOC, OX-AOW, OX-DY).

Samples are written inline from the research file; no core, no network.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from venuekit.account_models import Fill, Ticker, Trade
from venuekit.errors import AuthenticationError
from venuekit.models import Auth, AuthToken, Credentials, Market, OrderStatus
from venuekit.stream_models import (
    Ack,
    BookUpdate,
    LoggedIn,
    Pong,
    PositionsUpdate,
    SocketContext,
    StreamFailure,
    StreamFrame,
    StreamKind,
    StreamRole,
    Subscription,
)
from venuekit_orangex import streams

BTC = Market(symbol="BTC/USDT:USDT", native="BTC-USDT-PERPETUAL", base="BTC", quote="USDT",
             kind="swap", settle="USDT", tick_size=Decimal("0.1"), step_size=Decimal("0.001"))
MARKETS = {BTC.native: BTC, BTC.symbol: BTC}


def parse(message: Any) -> list[Any]:
    text = message if isinstance(message, str) else json.dumps(message)
    return streams.parse_stream_frame(StreamFrame(role=StreamRole.PRIVATE, text=text,
                                                  markets=MARKETS))


def push(channel: str, data: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "method": "subscription",
            "params": {"channel": channel, "data": data}}


def test_login_frame_uses_client_credentials() -> None:
    context = SocketContext(role=StreamRole.PRIVATE, testnet=False, timestamp_ms=1,
                            auth=Auth(Credentials(api_key="k", api_secret="s")))
    (frame,) = streams.stream_login(context)
    assert json.loads(frame) == {"jsonrpc": "2.0", "id": "auth", "method": "/public/auth",
                                 "params": {"grant_type": "client_credentials",
                                            "client_id": "k", "client_secret": "s"}}
    public = SocketContext(role=StreamRole.PUBLIC, testnet=False, timestamp_ms=1)
    assert streams.stream_login(public) == []
    assert streams.stream_url(public) == "wss://api.orangex.com/ws/api/v1"


def test_subscribe_frames() -> None:
    context = SocketContext(role=StreamRole.PUBLIC, testnet=False, timestamp_ms=1,
                            request_id=7)
    subs = [Subscription(kind=StreamKind.ORDER_BOOK, market=BTC, depth=20),
            Subscription(kind=StreamKind.TICKER, market=BTC)]
    (frame,) = streams.stream_subscribe(context, subs, True) or []
    assert json.loads(frame) == {"jsonrpc": "2.0", "id": 7, "method": "/public/subscribe",
                                 "params": {"channels": ["book.BTC-USDT-PERPETUAL.raw",
                                                         "ticker.BTC-USDT-PERPETUAL.raw"]}}
    private = [Subscription(kind=StreamKind.ORDERS), Subscription(kind=StreamKind.FILLS)]
    (frame,) = streams.stream_subscribe(context, private, True) or []
    assert json.loads(frame)["params"] == {"channels": [streams.ACCOUNT_CHANNEL]}
    # the account kinds share one channel: leaving one must not leave it for the others
    assert streams.stream_subscribe(context, private[:1], False) == []


def test_private_subscribe_carries_the_access_token() -> None:
    # OX-DOC intro, "Access token placement": Websocket -> "Inside request JSON parameters,
    # as an access_token field" (REST: the Authorization header). The old code never put
    # the token on /private/subscribe.
    now = datetime(2026, 7, 30, tzinfo=UTC)
    creds = Credentials(api_key="k", api_secret="s")
    live = AuthToken(access_token="ba3avFNzfE", expires_at=now + timedelta(hours=12))
    context = SocketContext(role=StreamRole.PRIVATE, testnet=False, request_id=3,
                            timestamp_ms=int(now.timestamp() * 1000),
                            auth=Auth(creds, live))
    (frame,) = streams.stream_subscribe(context, [Subscription(kind=StreamKind.ORDERS)],
                                        True) or []
    assert json.loads(frame) == {"jsonrpc": "2.0", "id": 3, "method": "/private/subscribe",
                                 "params": {"channels": [streams.ACCOUNT_CHANNEL],
                                            "access_token": "ba3avFNzfE"}}
    # no token, or one about to expire: the socket's own /public/auth session serves
    for auth in (Auth(creds), Auth(creds, AuthToken(access_token="old", expires_at=now))):
        stale = SocketContext(role=StreamRole.PRIVATE, testnet=False, auth=auth,
                              timestamp_ms=int(now.timestamp() * 1000))
        (frame,) = streams.stream_subscribe(stale, [Subscription(kind=StreamKind.FILLS)],
                                            True) or []
        assert "access_token" not in json.loads(frame)["params"]


def test_the_sockets_own_login_token_is_carried_first() -> None:
    # the /public/auth answer on the socket hands out result.access_token; the core gives it
    # back as login_token, and it goes on /private/subscribe ahead of the connector's token
    (logged_in,) = parse(json.dumps({"jsonrpc": "2.0", "id": streams.AUTH_ID, "result": {
        "access_token": "sockettoken", "token_type": "bearer", "expires_in": 43199}}))
    assert logged_in == LoggedIn(token="sockettoken")
    assert "sockettoken" not in repr(logged_in)
    now = datetime(2026, 7, 30, tzinfo=UTC)
    live = AuthToken(access_token="resttoken", expires_at=now + timedelta(hours=12))
    context = SocketContext(role=StreamRole.PRIVATE, testnet=False, request_id=4,
                            timestamp_ms=int(now.timestamp() * 1000),
                            auth=Auth(Credentials(api_key="k", api_secret="s"), live),
                            login_token=logged_in.token)
    assert "sockettoken" not in repr(context)
    (frame,) = streams.stream_subscribe(context, [Subscription(kind=StreamKind.ORDERS)],
                                        True) or []
    assert json.loads(frame)["params"]["access_token"] == "sockettoken"


def test_changes_data_as_the_documented_array() -> None:
    # OX-DOC user.changes.{kind}.{currency}.{interval}: "data: array of object", with the
    # positions under "position" in the schema ("positions" in the example). The old code
    # raised on an array.
    row = {"instrument_name": "BTC-USDT-PERPETUAL", "size": "-0.02", "direction": "sell",
           "average_price": "64000", "position_side": "BOTH", "margin_type": "cross"}
    events = parse(push("user.changes.perpetual.PERPETUAL.raw", [
        {"instrument_name": "BTC-USDT-PERPETUAL", "position": [row],
         "trades": [{"trade_id": "7", "order_id": "1", "direction": "sell",
                     "amount": "0.02", "price": "64000", "fee": "0.768",
                     "fee_coin_type": "USDT", "role": "maker", "timestamp": 1670211722400}]}]))
    fill, positions = events
    assert isinstance(fill, Fill) and fill.fee == Decimal("0.768") and fill.is_maker
    assert isinstance(positions, PositionsUpdate)
    assert [(p.side.value, p.quantity) for p in positions.positions] == [("short",
                                                                          Decimal("0.02"))]


def test_heartbeat_and_limits() -> None:
    info = streams.stream_info()
    assert info.heartbeat is not None and info.heartbeat.interval_s == 5.0
    assert info.heartbeat.frame == "PING" and info.idle_timeout_s < 30
    assert info.connections_per_minute == 5
    assert not info.book_snapshot_on_subscribe
    assert parse("PONG") == [Pong()]


def test_replies() -> None:
    assert parse({"id": "auth", "jsonrpc": "2.0", "result": {"access_token": "t"}}) == \
        [LoggedIn(token="t")]
    assert parse({"id": "2", "jsonrpc": "2.0", "result": ["ticker.BTC-USDT-PERPETUAL.raw"]}) \
        == [Ack("2")]
    (refused,) = parse({"id": "auth", "jsonrpc": "2.0",
                        "error": {"code": 10000, "message": "Authentication Failure"}})
    assert isinstance(refused, StreamFailure) and refused.fatal
    assert isinstance(refused.error, AuthenticationError)
    (bad,) = parse({"id": "5", "jsonrpc": "2.0", "error": {
        "code": 3401, "message": "channel regex not match",
        "data": {"channel": "book.NOPE-USDT-PERPETUAL.raw"}}})
    assert isinstance(bad, StreamFailure) and not bad.fatal and bad.error.code == "3401"


def test_live_fill_frame() -> None:
    (fill,) = parse(push("user.changes.perpetual.PERPETUAL.raw", {"trades": [{
        "instrId": 28, "direction": "buy", "amount": "0.001", "price": "64606.4",
        "timestamp": 1785407209150, "role": "taker", "rpl": "0", "fee": "0.02713469",
        "trade_id": "38754630328", "order_id": "828697200877981696",
        "instrument_name": "BTC-USDT-PERPETUAL", "fee_coin_type": "USDT"}]}))
    assert isinstance(fill, Fill)
    assert (fill.trade_id, fill.order_id, fill.quantity, fill.is_maker) == (
        "38754630328", "828697200877981696", Decimal("0.001"), False)


def test_changes_bundle_orders_and_positions() -> None:
    events = parse(push("user.changes.perpetual.PERPETUAL.raw", {
        "orders": [{"order_id": "345521542966894593", "custom_order_id": "1234abc",
                    "order_state": "open", "amount": "0.01", "price": "1000",
                    "filled_amount": "0", "direction": "buy", "order_type": "limit",
                    "time_in_force": "good_til_cancelled",
                    "instrument_name": "BTC-USDT-PERPETUAL",
                    "creation_timestamp": 1597130534567,
                    "last_update_timestamp": 1597130534567}],
        "positions": [{"instrument_name": "BTC-USDT-PERPETUAL", "size": "0.01",
                       "direction": "buy", "average_price": "1293.29",
                       "mark_price": "1292.66", "leverage": "20", "liquid_price": "0",
                       "margin_type": "cross", "position_side": "LONG"}],
        "instrument_name": "BTC-USDT-PERPETUAL"}))
    order, positions = events
    assert (order.order_id, order.status, order.quantity) == (
        "345521542966894593", OrderStatus.OPEN, Decimal("0.01"))
    assert isinstance(positions, PositionsUpdate) and not positions.complete
    assert [(p.symbol, p.quantity) for p in positions.positions] == [(BTC.symbol,
                                                                      Decimal("0.01"))]


def test_ticker_trades_and_book() -> None:
    (ticker,) = parse(push("ticker.BTC-USDT-PERPETUAL.raw", {
        "timestamp": "1790134513734", "state": "open", "last_price": "86667.6",
        "instrument_name": "BTC-USDT-PERPETUAL", "best_bid_price": 86667.6,
        "best_bid_amount": 1.193, "best_ask_price": 86667.7, "best_ask_amount": 1.51}))
    assert isinstance(ticker, Ticker)
    assert (ticker.bid, ticker.ask, ticker.last) == (
        Decimal("86667.6"), Decimal("86667.7"), Decimal("86667.6"))
    (trade,) = parse(push("trades.BTC-USDT-PERPETUAL.raw", [{
        "timestamp": "1650529700650", "price": "39870", "amount": "0.00023",
        "direction": "buy", "instrument_name": "BTC-USDT-PERPETUAL", "trade_id": "18642753"}]))
    assert isinstance(trade, Trade) and trade.trade_id == "18642753"
    (book,) = parse(push("book.BTC-USDT-PERPETUAL.raw", {
        "timestamp": 1790134260671, "change_id": 265434818,
        "bids": [["new", "86666.50000000", "4.629"], ["delete", "86660.0", "0"]],
        "asks": [["new", "86666.6", "1.930"]], "instrument_name": "BTC-USDT-PERPETUAL"}))
    assert isinstance(book, BookUpdate) and not book.snapshot
    assert (book.sequence, book.prev_sequence) == (265434818, None)
    assert dict(book.bids) == {Decimal("86666.5"): Decimal("4.629"),
                               Decimal("86660.0"): Decimal(0)}
