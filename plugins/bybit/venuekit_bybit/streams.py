"""Bybit V5 streams (linear perpetuals): socket URLs, the auth frame, subscribe frames.

- Public ``wss://stream.bybit.com/v5/public/linear``: ``orderbook.1.<SYM>`` (the ticker:
  best bid and ask, a full snapshot in every message), ``orderbook.<50|200|1000>.<SYM>``
  (the book: a snapshot on subscribe, then deltas whose ``u`` follows one by one) and
  ``publicTrade.<SYM>``.
- Private ``wss://stream.bybit.com/v5/private``, after an ``auth`` frame signing
  ``"GET/realtime" + expires``: the all-in-one topics ``order``, ``execution``,
  ``position`` and ``wallet`` (none sends a snapshot on subscribe: the core's REST resync
  gives the baseline).
- Heartbeat ``{"op":"ping"}`` every 20 s, as Bybit recommends; the public and private
  sockets answer it in different shapes (both read as a pong in stream_parsing.py).

Testnet: ``stream-testnet.bybit.com``, same paths. Frame parsing is in
:mod:`venuekit_bybit.stream_parsing`.
"""

from __future__ import annotations

import json

from venuekit.stream_models import (
    BookRecovery,
    Heartbeat,
    SocketContext,
    StreamInfo,
    StreamKind,
    StreamRole,
    Subscription,
)

from .signing import signature

HOSTS = {False: "wss://stream.bybit.com", True: "wss://stream-testnet.bybit.com"}
PATHS = {StreamRole.PUBLIC: "/v5/public/linear", StreamRole.PRIVATE: "/v5/private"}
PING = json.dumps({"op": "ping"}, separators=(",", ":"))
#: the auth frame stays valid this long after it is signed (must be later than "now")
AUTH_EXPIRES_MS = 5000
#: book depths the linear stream offers (1 is the ticker's)
BOOK_DEPTHS = (50, 200, 1000)
#: "No args limit for Futures" per connection, but args are capped at 21,000 characters;
#: 10 per request is the spot rule, kept for every category
MAX_TOPICS_PER_SOCKET = 200
MAX_TOPICS_PER_FRAME = 10
#: 500 new connections per 5 minutes per domain
CONNECTIONS_PER_MINUTE = 100

PRIVATE_TOPICS = {StreamKind.ORDERS: "order", StreamKind.FILLS: "execution",
                  StreamKind.POSITIONS: "position", StreamKind.BALANCE: "wallet"}


def stream_info() -> StreamInfo:
    return StreamInfo(
        kinds=frozenset(StreamKind), heartbeat=Heartbeat(20.0, PING), idle_timeout_s=65.0,
        max_subscriptions_per_connection=MAX_TOPICS_PER_SOCKET,
        max_subscriptions_per_frame=MAX_TOPICS_PER_FRAME,
        connections_per_minute=CONNECTIONS_PER_MINUTE, max_connection_lifetime_s=None,
        book_recovery=BookRecovery.RESUBSCRIBE, book_snapshot_on_subscribe=True,
        subscribe_acks=True, login_timeout_s=10.0)


def stream_url(context: SocketContext) -> str | None:
    path = PATHS.get(context.role)
    return None if path is None else HOSTS[context.testnet] + path


def auth_frame(api_key: str, secret: str, expires_ms: int, request_id: int) -> str:
    sign = signature(secret, f"GET/realtime{expires_ms}".encode())
    return json.dumps({"req_id": str(request_id), "op": "auth",
                       "args": [api_key, expires_ms, sign]}, separators=(",", ":"))


def stream_login(context: SocketContext) -> list[str]:
    if context.role is not StreamRole.PRIVATE or context.auth is None:
        return []
    credentials = context.auth.credentials
    return [auth_frame(credentials.api_key, credentials.api_secret,
                       context.timestamp_ms + AUTH_EXPIRES_MS, context.request_id)]


def book_depth(depth: int | None) -> int:
    """The smallest stream depth that covers ``depth`` (the core trims the rest)."""
    wanted = depth or 50
    return next((d for d in BOOK_DEPTHS if d >= wanted), BOOK_DEPTHS[-1])


def topic(sub: Subscription) -> str:
    if sub.kind in PRIVATE_TOPICS:
        return PRIVATE_TOPICS[sub.kind]
    assert sub.market is not None
    native = sub.market.native
    if sub.kind is StreamKind.TICKER:
        return f"orderbook.1.{native}"
    if sub.kind is StreamKind.ORDER_BOOK:
        return f"orderbook.{book_depth(sub.depth)}.{native}"
    return f"publicTrade.{native}"


def stream_subscribe(context: SocketContext, subscriptions: list[Subscription],
                     subscribe: bool) -> list[str] | None:
    if any((sub.kind in PRIVATE_TOPICS) != (context.role is StreamRole.PRIVATE)
           or (sub.market is None and sub.kind not in PRIVATE_TOPICS)
           for sub in subscriptions):
        return None
    # one topic may serve two subscriptions (fills and orders never share one; two book
    # depths under 50 do): send each topic once
    topics = list(dict.fromkeys(topic(sub) for sub in subscriptions))
    return [json.dumps({"req_id": str(context.request_id),
                        "op": "subscribe" if subscribe else "unsubscribe", "args": topics},
                       separators=(",", ":"))]
