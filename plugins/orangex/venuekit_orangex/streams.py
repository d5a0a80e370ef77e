"""OrangeX streams: JSON-RPC 2.0 over one WebSocket host, ``wss://api.orangex.com/ws/api/v1``.

Facts (OX-DOC, OX-AOW probe, OX-DY live notes; see ``orangex-account-streams.md``):

- one URL for public and private data; no testnet. Requests are JSON-RPC with the method's
  leading slash; replies echo ``id`` as a string; pushes are ``{"method":
  "subscription", "params": {"channel", "data"}}``.
- auth on the socket: ``/public/auth`` with ``grant_type=client_credentials`` (the only
  grant that worked live, OX-DY); its reply carries ``result.access_token``.
- heartbeat: client driven only. The server cuts a socket ~30 s after the client's last
  frame, even while it pushes data; OX-DOC recommends a ping every 5 s: the text ``PING``,
  answered ``PONG``.
- at most 5 new sockets a minute (risk control bans beyond): ``connections_per_minute``.
- book: ``book.{instrument}.raw`` deltas ``[action, price, amount]`` with ``change_id``;
  no snapshot on subscribe: the core seeds from REST ``get_order_book`` (``version``) and
  expects ``change_id`` = last + 1, re-seeding on a gap (OX-DOC's recipe).
- private state: ``user.changes.perpetual.PERPETUAL.raw`` bundles ``orders``, ``trades``
  and ``positions`` of every perpetual (the only account-wide channel; the per-instrument
  ``user.orders.*``/``user.trades.*`` need a market the core does not give for account
  streams). No sequence numbers: the core resyncs over REST after every reconnect.

Choices on doubts (README "Streams"): private subscribes carry ``params.access_token``
(OX-DOC's placement on the socket) when the connector holds a valid session token, and
otherwise rely on the socket's ``/public/auth`` session — the plugin never sees the token
that login returns (core gap, see the report); an unsubscribe of one account kind sends
nothing, because the three kinds share one channel; balance is not streamed
(``user.asset.*`` unverified): ``watch_balance`` raises NotSupported and ``fetch_balance``
stays the way to read it. Positions are parsed from ``user.changes`` but not offered as a
watch: the core's resync reads them with ``fetch_positions()`` for every symbol, which
OrangeX cannot answer (one call per instrument), so a positions watch would have no REST
baseline (core gap, see the report).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from venuekit.account_models import Position, PositionSide, Ticker, Trade
from venuekit.errors import AuthenticationError, ExchangeError
from venuekit.models import Market
from venuekit.payload import Reader
from venuekit.stream_models import (
    Ack,
    BookRecovery,
    BookUpdate,
    Heartbeat,
    LoggedIn,
    Pong,
    PositionsUpdate,
    SocketContext,
    StreamEvent,
    StreamFailure,
    StreamFrame,
    StreamInfo,
    StreamKind,
    StreamRole,
    Subscription,
)

from . import account, orders
from .errors import ERRORS
from .rpc import JSONRPC_VERSION, NAME

__all__ = ["HOST", "PATH", "parse_stream_frame", "stream_info", "stream_login",
           "stream_subscribe", "stream_url"]

HOST = "wss://api.orangex.com"
PATH = "/ws/api/v1"
PING, PONG = "PING", "PONG"
AUTH_ID = "auth"  #: the login request's id, to tell its answer from the others
#: A token this close to its expiry is not put on a subscribe (the socket's login serves).
_TOKEN_MARGIN_MS = 60_000
ACCOUNT_CHANNEL = "user.changes.perpetual.PERPETUAL.raw"
_PUBLIC = {StreamKind.TICKER: "ticker", StreamKind.ORDER_BOOK: "book",
           StreamKind.TRADES: "trades"}
_ACCOUNT = frozenset({StreamKind.ORDERS, StreamKind.FILLS, StreamKind.POSITIONS})


def stream_info() -> StreamInfo:
    return StreamInfo(
        kinds=(_ACCOUNT - {StreamKind.POSITIONS}) | frozenset(_PUBLIC),
        heartbeat=Heartbeat(5.0, PING), idle_timeout_s=15.0, max_subscriptions_per_connection=200,
        max_subscriptions_per_frame=20, connections_per_minute=5,
        book_recovery=BookRecovery.SNAPSHOT, book_snapshot_on_subscribe=False,
        subscribe_acks=True, login_timeout_s=10.0)


def stream_url(context: SocketContext) -> str | None:
    return None if context.testnet else HOST + PATH


def _request(request_id: object, method: str, params: Mapping[str, Any]) -> str:
    return json.dumps({"jsonrpc": JSONRPC_VERSION, "id": request_id, "method": method,
                       "params": dict(params)}, separators=(",", ":"))


def stream_login(context: SocketContext) -> list[str]:
    if context.role is not StreamRole.PRIVATE or context.auth is None:
        return []
    credentials = context.auth.credentials
    return [_request(AUTH_ID, "/public/auth", {
        "grant_type": "client_credentials", "client_id": credentials.api_key,
        "client_secret": credentials.api_secret})]


def _access_token(context: SocketContext) -> str | None:
    """The bearer token for ``params.access_token`` of a private socket call.

    OX-DOC: "Websocket: inside request JSON parameters, as an access_token field" (OX-DY
    confirmed it live). The token this socket's own ``/public/auth`` returned comes first
    (the core hands it back as ``login_token``); else the connector's session token, when
    it is still valid by the venue's clock.
    """
    if context.login_token:
        return context.login_token
    token = context.auth.token if context.auth is not None else None
    if token is None or not token.access_token:
        return None
    if token.expires_at.timestamp() * 1000 <= context.timestamp_ms + _TOKEN_MARGIN_MS:
        return None
    return token.access_token


def channel(sub: Subscription) -> str:
    if sub.kind in _ACCOUNT:
        return ACCOUNT_CHANNEL
    assert sub.market is not None
    return f"{_PUBLIC[sub.kind]}.{sub.market.native}.raw"


def stream_subscribe(context: SocketContext, subscriptions: list[Subscription],
                     subscribe: bool) -> list[str] | None:
    if any(s.kind not in _ACCOUNT and s.kind not in _PUBLIC for s in subscriptions):
        return None
    private = [s for s in subscriptions if s.kind in _ACCOUNT]
    public = [s for s in subscriptions if s.kind not in _ACCOUNT]
    frames = []
    if private and subscribe:  # one shared channel: never left while another kind reads it
        params: dict[str, Any] = {"channels": [ACCOUNT_CHANNEL]}
        token = _access_token(context)
        if token is not None:
            params["access_token"] = token
        frames.append(_request(context.request_id, "/private/subscribe", params))
    if public:
        method = "/public/subscribe" if subscribe else "/public/unsubscribe"
        frames.append(_request(context.request_id, method,
                               {"channels": [channel(s) for s in public]}))
    return frames


# ---------------------------------------------------------------- parsing


def _reply(body: Reader) -> list[StreamEvent]:
    request_id = str(body.get("id"))
    error = body.get("error")
    if error is None:
        if request_id == AUTH_ID:  # /public/auth: result.access_token for later calls
            result = body.optional_at("result")
            return [LoggedIn(token=result.optional_text("access_token") if result else None)]
        return [Ack(request_id)]
    detail = body.at("error")
    code = detail.integer("code")
    kind = ERRORS.get(code, ExchangeError)
    message = detail.optional_text("message") or str(code)
    if request_id == AUTH_ID:
        return [StreamFailure(AuthenticationError(message, exchange=NAME, code=code))]
    failure = kind(message, exchange=NAME, code=code)
    return [StreamFailure(failure, fatal=isinstance(failure, AuthenticationError))]


def parse_stream_frame(frame: StreamFrame) -> list[StreamEvent]:
    if frame.text.strip() == PONG:
        return [Pong()]
    message = json.loads(frame.text)
    if not isinstance(message, dict):
        return []
    body = Reader(message, exchange=NAME)
    if body.get("method") != "subscription":
        if "id" in message and message["id"] is not None:
            return _reply(body)
        if body.get("error") is not None:  # a frame that was not JSON: no id to answer
            return [StreamFailure(ExchangeError(str(message["error"]), exchange=NAME),
                                  fatal=False)]
        return []
    params = body.at("params")
    name = params.text("channel")
    if name.startswith("user.changes."):
        return _account(params.at("data"), frame.markets)
    kind, _, rest = name.partition(".")
    market = frame.markets.get(rest.rsplit(".", 1)[0])
    if market is None:
        return []
    data = params.at("data")
    if kind == "ticker":
        return [Ticker(symbol=market.symbol, bid=data.nonzero_decimal("best_bid_price"),
                       ask=data.nonzero_decimal("best_ask_price"),
                       last=data.nonzero_decimal("last_price"),
                       timestamp=data.timestamp("timestamp"))]
    if kind == "trades":
        return [_trade(row, market) for row in _rows(data)]
    if kind == "book":
        return [BookUpdate(symbol=market.symbol, bids=_levels(data.items("bids")),
                           asks=_levels(data.items("asks")), snapshot=False,
                           sequence=data.integer("change_id"),
                           timestamp=data.optional_timestamp("timestamp"))]
    return []


def _rows(data: Reader) -> list[Reader]:
    """``data`` is an array on the wire, a single object in some OX-DOC examples."""
    return [data] if data.is_object() else data.rows()


def _levels(rows: list[Reader]) -> list[tuple[Decimal, Decimal]]:
    """``[action, price, amount]``: ``new`` sets the size, ``delete`` removes (size 0)."""
    out = []
    for level in rows:
        items = level.items()
        if len(items) == 3 and level.text(0) == "delete":
            out.append((level.decimal(1), Decimal(0)))
        else:
            out.extend(account._levels([level]))
    return out


def _trade(row: Reader, market: Market) -> Trade:
    return Trade(symbol=market.symbol, trade_id=row.text("trade_id"),
                 side=row.text("direction"), price=row.decimal("price"),
                 quantity=row.decimal("amount"), timestamp=row.timestamp("timestamp"))


def _market(row: Reader, markets: Mapping[str, Market], fallback: str | None) -> Market | None:
    return markets.get(row.optional_text("instrument_name") or fallback or "")


def _account(data: Reader, markets: Mapping[str, Market]) -> list[StreamEvent]:
    """A ``user.changes`` push. OX-DOC's schema types ``data`` as an array of objects, its
    example as one object: both are read. The schema names the positions ``position``, the
    example ``positions``: both are read."""
    if not data.is_object():
        return [event for bundle in data.rows() for event in _account(bundle, markets)]
    fallback = data.optional_text("instrument_name")
    events: list[StreamEvent] = []
    for row in data.rows("orders") if data.get("orders") else []:
        market = _market(row, markets, fallback)
        if market is not None:
            events.append(orders.parse_order(row, market))
    for row in data.rows("trades") if data.get("trades") else []:
        market = _market(row, markets, fallback)
        if market is not None:
            events.append(account.parse_fill(row, market))
    key = "positions" if data.get("positions") is not None else "position"
    if data.get(key) is not None:
        held = []
        for row in data.rows(key):
            market = _market(row, markets, fallback)
            if market is None:
                continue
            position = account.parse_position(row, market)
            # a flat row closes the symbol's position (the update lists changes only)
            held.append(position or Position(symbol=market.symbol, side=PositionSide.LONG,
                                             quantity=Decimal(0)))
        events.append(PositionsUpdate(positions=held, complete=False))
    return events
