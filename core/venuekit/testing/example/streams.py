"""The example venue's streams: a listenKey private socket with a login frame, a public one.

The frame format is the sample venue's own (JSON, one object per frame):

- client: ``{"op": "login", "key", "ts", "sign"}`` (HMAC-SHA256 of ``f"{ts}login"``),
  ``{"op": "subscribe" | "unsubscribe", "id", "args": [topic, ...]}``, ``{"op": "ping"}``;
  topics ``orders``, ``fills``, ``balance``, ``positions`` (private) and
  ``ticker:SYM``, ``book:SYM:DEPTH``, ``trades:SYM`` (public).
- venue: ``{"op": "login" | "subscribe" | "unsubscribe", "ok", "id", "code", "message"}``,
  ``{"op": "pong"}``, ``{"op": "ping"}`` (answer ``{"op": "pong"}``), ``{"op": "expired"}``
  (listenKey gone), and data ``{"ch": topic kind, "data": ...}``; book frames also carry
  ``"type": "snapshot" | "delta"`` and ``seq`` / ``prevSeq``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from venuekit.account_models import Position, Ticker, Trade
from venuekit.errors import AuthenticationError, ExchangeError, VenueError
from venuekit.models import AssetBalance, Balance, Market
from venuekit.payload import Reader
from venuekit.stream_models import (
    Ack,
    BalanceUpdate,
    BookRecovery,
    BookUpdate,
    Heartbeat,
    LoggedIn,
    Ping,
    Pong,
    PositionsUpdate,
    SessionExpired,
    SocketContext,
    StreamEvent,
    StreamFailure,
    StreamFrame,
    StreamInfo,
    StreamKind,
    StreamRole,
    StreamSession,
    Subscription,
)
from venuekit.wire import Call, Request, Response

from . import account, endpoints, errors, signing

HOSTS = {False: "wss://stream.example.invalid", True: "wss://stream-testnet.example.invalid"}
PATHS = {StreamRole.PUBLIC: "/ws/public", StreamRole.PRIVATE: "/ws/private"}
#: small limits, so the core's sharding and chunking are exercised
MAX_TOPICS_PER_SOCKET = 4
MAX_TOPICS_PER_FRAME = 2
PING = json.dumps({"op": "ping"})
PONG = json.dumps({"op": "pong"})
_TOPIC = {StreamKind.ORDERS: "orders", StreamKind.FILLS: "fills",
          StreamKind.BALANCE: "balance", StreamKind.POSITIONS: "positions",
          StreamKind.TICKER: "ticker", StreamKind.ORDER_BOOK: "book",
          StreamKind.TRADES: "trades"}


def stream_info() -> StreamInfo:
    return StreamInfo(
        kinds=frozenset(StreamKind), heartbeat=Heartbeat(10.0, PING), idle_timeout_s=30.0,
        max_subscriptions_per_connection=MAX_TOPICS_PER_SOCKET,
        max_subscriptions_per_frame=MAX_TOPICS_PER_FRAME, connections_per_minute=30,
        max_connection_lifetime_s=24 * 3600.0, book_recovery=BookRecovery.RESUBSCRIBE)


def _listen_key(response: Response) -> str:
    return endpoints._data(response).text("listenKey")


def stream_session(role: StreamRole) -> StreamSession | None:
    if role is not StreamRole.PRIVATE:
        return None

    def keepalive(key: str) -> Call[object]:
        return Call(Request(method="PUT", path="/v1/listenKey", signed=True,
                            query=[("listenKey", key)], cost={"ip": 1}), endpoints._data)

    def close(key: str) -> Call[object]:
        return Call(Request(method="DELETE", path="/v1/listenKey", signed=True,
                            query=[("listenKey", key)], cost={"ip": 1}), endpoints._data)

    return StreamSession(
        create=Call(Request(method="POST", path="/v1/listenKey", signed=True, cost={"ip": 1}),
                    _listen_key),
        keepalive=keepalive, close=close, keepalive_interval_s=1800.0)


def stream_url(context: SocketContext) -> str | None:
    path = PATHS.get(context.role)
    if path is None:
        return None
    url = HOSTS[context.testnet] + path
    if context.role is StreamRole.PRIVATE and context.session_key:
        url += f"?listenKey={context.session_key}"
    return url


def stream_login(context: SocketContext) -> list[str]:
    if context.role is not StreamRole.PRIVATE or context.auth is None:
        return []
    credentials = context.auth.credentials
    ts = context.timestamp_ms
    sign = signing.signature(credentials.api_secret, f"{ts}login".encode())
    return [json.dumps({"op": "login", "key": credentials.api_key, "ts": ts, "sign": sign})]


def topic(sub: Subscription) -> str:
    name = _TOPIC[sub.kind]
    if sub.market is None:
        return name
    if sub.kind is StreamKind.ORDER_BOOK:
        return f"{name}:{sub.market.native}:{sub.depth or 20}"
    return f"{name}:{sub.market.native}"


def stream_subscribe(context: SocketContext, subscriptions: list[Subscription],
                     subscribe: bool) -> list[str]:
    return [json.dumps({"op": "subscribe" if subscribe else "unsubscribe",
                        "id": context.request_id,
                        "args": [topic(sub) for sub in subscriptions]})]


def _ms(value: Any) -> datetime:
    return datetime.fromtimestamp(int(value) / 1000, UTC)


def _control(message: dict[str, Any]) -> list[StreamEvent]:
    op = message["op"]
    if op == "ping":
        return [Ping(PONG)]
    if op == "pong":
        return [Pong()]
    if op == "expired":
        return [SessionExpired()]
    if message.get("ok", False):
        return [LoggedIn() if op == "login" else Ack(str(message.get("id")))]
    code = int(message.get("code", 0))
    kind = errors.ERRORS.get(code, ExchangeError)
    error: VenueError = kind(str(message.get("message", "")), exchange=endpoints.NAME,
                             code=code)
    if op == "login" and not isinstance(error, AuthenticationError):
        error = AuthenticationError(error.message, exchange=endpoints.NAME, code=code)
    return [StreamFailure(error, fatal=op == "login")]


def parse_stream_frame(frame: StreamFrame) -> list[StreamEvent]:
    message = json.loads(frame.text)
    if "op" in message:
        return _control(message)
    body = Reader(message, exchange=endpoints.NAME)
    channel, data = body.text("ch"), body.at("data")
    markets = frame.markets
    if channel == "positions":
        held = [_position(row, markets[row.text("symbol")]) for row in data.rows()
                if row.decimal("positionAmt")]
        return [PositionsUpdate(positions=held)]
    if channel == "balance":
        return [BalanceUpdate(balance=_balance(data.rows()))]
    market = markets[data.text("symbol")] if channel in _PER_MARKET else None
    if market is None:
        return []
    if channel == "orders":
        return [endpoints.parse_order(data, market)]
    if channel == "fills":
        return [account._fill(data, market)]
    if channel == "ticker":
        return [Ticker(symbol=market.symbol, bid=data.optional_decimal("bid"),
                       ask=data.optional_decimal("ask"), last=data.optional_decimal("last"),
                       timestamp=data.timestamp("time"))]
    if channel == "trades":
        return [Trade(symbol=market.symbol, trade_id=data.text("id"), side=data.text("side"),
                      price=data.decimal("price"), quantity=data.decimal("qty"),
                      timestamp=data.timestamp("time"))]
    return [BookUpdate(symbol=market.symbol, bids=account._levels(data.at("bids")),
                       asks=account._levels(data.at("asks")),
                       snapshot=body.text("type") == "snapshot",
                       sequence=data.integer("seq"), prev_sequence=data.integer("prevSeq"),
                       timestamp=data.timestamp("time"))]


#: Channels whose data names one market.
_PER_MARKET = frozenset({"orders", "fills", "ticker", "trades", "book"})


def _balance(rows: list[Reader]) -> Balance:
    assets = []
    for row in rows:
        free, locked = row.decimal("free"), row.decimal("locked")
        assets.append(AssetBalance(row.text("asset"), free, locked, free + locked))
    return Balance(endpoints.NAME, assets)


def _position(row: Reader, market: Market) -> Position:
    quantity = row.decimal("positionAmt")
    return Position(symbol=market.symbol, side="long" if quantity > 0 else "short",
                    quantity=abs(quantity), entry_price=row.decimal("entryPrice"),
                    mark_price=row.optional_decimal("markPrice"),
                    unrealized_pnl=row.optional_decimal("unrealizedPnl"),
                    leverage=row.decimal("leverage"), margin_mode="cross")
