"""Pionex spot streams: a signed-URL private socket and a public one, both JSON.

Facts (PX-OAS ``websocketapi.yaml``, PX-GBW; see ``pionex-account-streams.md``):

- hosts: ``wss://ws.pionex.com/wsPub`` (public) and ``wss://ws.pionex.com/ws`` (private);
  there is no testnet. The private URL carries ``key``, ``timestamp`` and ``signature``:
  HMAC-SHA256 hex of ``"/ws?" + sorted(key, timestamp) + "websocket_auth"``, signed
  afresh on every (re)connect with the venue's clock.
- frames: ``{"op": "SUBSCRIBE" | "UNSUBSCRIBE", "topic", "symbol"[, "limit"]}``, one
  topic per frame, acknowledged with ``{"type": "SUBSCRIBED" | "UNSUBSCRIBED", "topic",
  "symbol"}`` (no request id). Pushes are ``{"topic", "symbol", "timestamp", "data"}``.
- heartbeat: the server sends ``{"op": "PING", "timestamp"}`` every 15 s and the client
  answers ``{"op": "PONG", "timestamp"}``; after three missed PONGs the server sends
  ``{"op": "CLOSE"}`` and closes. The client never pings first.
- no sequence numbers anywhere: ``DEPTH`` is a whole top-``limit`` book every message
  (so a lost message only delays the book), and private state is reconciled by the
  core's REST resync after every reconnect.
- spot has no ticker topic and no positions: those kinds are absent (NotSupported).

Choices on the documentation's doubts (README "Streams"):

- ``ORDER`` and ``FILL`` are documented with a required ``symbol``, yet described as
  "across all markets"; the core asks for account streams without a market, so the
  subscribe frame then leaves ``symbol`` out (and names it when a market is given).
- the PONG echoes the PING's timestamp (PX-OAS ``PongMessage``); PX-GBW says any recent
  timestamp is accepted, so the echo satisfies both readings.
- an auth failure's form is not documented: an error frame (``code`` and ``message``, the
  REST envelope's fields) whose code is an authentication code is a fatal
  :class:`~venuekit.AuthenticationError`; other error codes are logged by the core.
- ``{"op": "CLOSE"}`` is read as :class:`~venuekit.stream_models.SessionExpired`, so the
  core reconnects at once with a fresh signature instead of waiting for the socket to die.
- the balance push may list only the coins that changed (not stated): it is delivered as
  a partial update, merged by the core into the last full balance.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from urllib.parse import quote

from venuekit.account_models import Trade
from venuekit.errors import AuthenticationError, ExchangeError, VenueError
from venuekit.models import AssetBalance, Balance, Market
from venuekit.payload import Reader
from venuekit.stream_models import (
    Ack,
    BalanceUpdate,
    BookRecovery,
    BookUpdate,
    Ping,
    SessionExpired,
    SocketContext,
    StreamEvent,
    StreamFailure,
    StreamFrame,
    StreamInfo,
    StreamKind,
    StreamRole,
    Subscription,
)

from . import account, parsing, signing
from .errors import ERRORS
from .info import NAME

__all__ = [
    "HOST",
    "PATHS",
    "parse_stream_frame",
    "private_url",
    "stream_info",
    "stream_subscribe",
    "stream_url",
]

HOST = "wss://ws.pionex.com"
PATHS = {StreamRole.PUBLIC: "/wsPub", StreamRole.PRIVATE: "/ws"}
#: appended to the signed path (PX-OAS "Signing", step 5)
AUTH_SUFFIX = "websocket_auth"
#: PX-OAS DEPTH ``limit``: 1 - 100, default 5
MIN_DEPTH, MAX_DEPTH = 1, 100
#: PX-OAS: the server pings every 15 s. A socket silent for 35 s has missed two PINGs.
IDLE_TIMEOUT_S = 35.0
#: PX-GBW names SUBSCRIBED_TOPICS_EXCEED_LIMIT but publishes no number: a cautious cap
MAX_TOPICS_PER_SOCKET = 50

_TOPICS = {StreamKind.ORDERS: "ORDER", StreamKind.FILLS: "FILL",
           StreamKind.BALANCE: "BALANCE", StreamKind.ORDER_BOOK: "DEPTH",
           StreamKind.TRADES: "TRADE"}

#: PX-GBW WebSocket error codes (and PX-GBZ's 2022 spellings); auth codes come from ERRORS
WS_ERRORS: dict[str, type[VenueError]] = {
    "INVALID_OP": ExchangeError, "_INVALID_OP": ExchangeError,
    "INVALID_TOPIC": ExchangeError, "TRADE_INVALID_TOPIC": ExchangeError,
    "INVALID_SYMBOL": ExchangeError, "TRADE_INVALID_SYMBOL": ExchangeError,
    "PARAMETER_ERROR": ExchangeError, "SUBSCRIBED_TOPICS_EXCEED_LIMIT": ExchangeError,
}


def stream_info() -> StreamInfo:
    return StreamInfo(
        kinds=frozenset(_TOPICS), heartbeat=None, idle_timeout_s=IDLE_TIMEOUT_S,
        max_subscriptions_per_connection=MAX_TOPICS_PER_SOCKET,
        max_subscriptions_per_frame=1, book_recovery=BookRecovery.RESUBSCRIBE,
        book_snapshot_on_subscribe=True, subscribe_acks=True,
        # websocketapi.yaml: ORDER and FILL take a required symbol (BALANCE none)
        private_by_market=frozenset({StreamKind.ORDERS, StreamKind.FILLS}))


def private_url(api_key: str, api_secret: str, timestamp_ms: int, host: str = HOST) -> str:
    """The signed private-socket URL (PX-OAS "Authentication (Private Stream)")."""
    path = PATHS[StreamRole.PRIVATE]
    query = f"key={api_key}&timestamp={timestamp_ms}"  # already in key order
    digest = signing.signature(api_secret, f"{path}?{query}{AUTH_SUFFIX}".encode())
    return (f"{host}{path}?key={quote(api_key, safe='')}&timestamp={timestamp_ms}"
            f"&signature={digest}")


def stream_url(context: SocketContext) -> str | None:
    path = PATHS.get(context.role)
    if path is None or context.testnet:  # Pionex has no testnet
        return None
    if context.role is StreamRole.PRIVATE:
        if context.auth is None:
            return None
        credentials = context.auth.credentials
        return private_url(credentials.api_key, credentials.api_secret, context.timestamp_ms)
    return HOST + path


def _frame(sub: Subscription, subscribe: bool) -> str:
    message: dict[str, object] = {"op": "SUBSCRIBE" if subscribe else "UNSUBSCRIBE",
                                  "topic": _TOPICS[sub.kind]}
    if sub.market is not None:
        message["symbol"] = sub.market.native
    if sub.kind is StreamKind.ORDER_BOOK and subscribe:
        message["limit"] = min(max(sub.depth or MAX_DEPTH, MIN_DEPTH), MAX_DEPTH)
    return json.dumps(message, separators=(",", ":"))


def stream_subscribe(context: SocketContext, subscriptions: list[Subscription],
                     subscribe: bool) -> list[str] | None:
    if any(sub.kind not in _TOPICS for sub in subscriptions):
        return None
    return [_frame(sub, subscribe) for sub in subscriptions]


# ---------------------------------------------------------------- parsing


def _failure(body: Reader) -> StreamFailure:
    code = body.text("code")
    kind = ERRORS.get(code) or WS_ERRORS.get(code, ExchangeError)
    error = kind(body.optional_text("message") or code, exchange=NAME, code=code)
    return StreamFailure(error, fatal=isinstance(error, AuthenticationError))


def _control(body: Reader, op: str) -> list[StreamEvent]:
    if op == "PING":
        stamp = body.get("timestamp")
        return [Ping(json.dumps({"op": "PONG", "timestamp": stamp}, separators=(",", ":")))]
    if op == "CLOSE":
        return [SessionExpired()]
    return []


def parse_stream_frame(frame: StreamFrame) -> list[StreamEvent]:
    message = json.loads(frame.text)
    if not isinstance(message, dict):
        return []
    body = Reader(message, exchange=NAME)
    op = body.optional_text("op")
    if op:
        return _control(body, op.upper())
    kind = body.optional_text("type")
    if kind in ("SUBSCRIBED", "UNSUBSCRIBED"):
        return [Ack(f"{body.optional_text('topic')}:{body.optional_text('symbol')}")]
    if body.get("code") is not None and "data" not in message:
        # PX-GBW "Response format" lists ``topic`` and ``symbol`` next to ``code`` and
        # ``message``: an error frame may echo the topic it refuses, so it is an error
        # frame whether or not a topic is present (pushes never carry ``code``).
        return [_failure(body)]
    topic = body.optional_text("topic")
    if topic is None:
        return []
    return _data(body, topic, frame.markets)


def _data(body: Reader, topic: str, markets: Mapping[str, Market]) -> list[StreamEvent]:
    data = body.at("data")
    if topic == "BALANCE":
        return [BalanceUpdate(balance=_balance(data.rows("balances")), complete=False)]
    market = markets.get(body.optional_text("symbol") or "")
    if market is None:
        return []  # a symbol the connector does not list
    if topic == "ORDER":
        return [parsing.parse_order(data, market)]
    if topic == "FILL":
        return [account.parse_fill(data, market)]
    if topic == "TRADE":
        return [_trade(row, market) for row in reversed(data.rows())]  # oldest first
    if topic == "DEPTH":
        return [BookUpdate(symbol=market.symbol, bids=account._levels(data.at("bids")),
                           asks=account._levels(data.at("asks")), snapshot=True,
                           timestamp=body.optional_timestamp("timestamp"))]
    return []


def _trade(row: Reader, market: Market) -> Trade:
    return Trade(symbol=market.symbol, trade_id=row.text("tradeId"), side=row.text("side"),
                 price=row.decimal("price"), quantity=row.decimal("size"),
                 timestamp=row.timestamp("timestamp"))


def _balance(rows: list[Reader]) -> Balance:
    assets = []
    for row in rows:
        free = row.decimal("free", default=Decimal(0))
        frozen = row.decimal("frozen", default=Decimal(0))
        assets.append(AssetBalance(row.text("coin"), free, frozen, free + frozen))
    return Balance(NAME, assets)
