"""Binance USDⓈ-M streams: routed socket URLs, the listenKey session, subscribe frames.

Since 2026-04-23 ``fstream.binance.com`` serves three routed paths and a stream on the
wrong one is accepted and stays silent, so the route of each stream lives here:

- ``/public``: ``<symbol>@bookTicker`` (the ticker) and ``<symbol>@depth@100ms`` (the
  diff book), on ``/public/stream`` with JSON ``SUBSCRIBE`` frames;
- ``/market``: ``<symbol>@aggTrade`` (public trades), on ``/market/stream``;
- ``/private``: the user-data stream, ``/private/ws/<listenKey>`` (User Data Streams,
  "Connect": the key in the path); the key carries every account event, so no subscribe
  frame is sent.

The client heartbeat is ``{"method":"LIST_SUBSCRIPTIONS","id":0}``: Binance answers it
on every socket, so a quiet private socket still proves itself alive (the venue's own
WebSocket pings every 3 minutes are answered by the socket layer and bring no frame).
Frame parsing is in :mod:`venuekit_binance.stream_parsing`.
"""

from __future__ import annotations

import json

from venuekit.payload import Reader
from venuekit.stream_models import (
    BookRecovery,
    Heartbeat,
    SocketContext,
    StreamInfo,
    StreamKind,
    StreamRole,
    StreamSession,
    Subscription,
)
from venuekit.wire import Call, Request, Response

from .endpoints import IP_WEIGHT

HOSTS = {False: "wss://fstream.binance.com",
         #: demo trading's stream host (the older fstream.binancefuture.com also answers)
         True: "wss://fstream.binancefuture.com"}
#: socket path per role; combined-stream mode wraps each payload as {"stream", "data"}
PATHS = {StreamRole.PUBLIC: "/public/stream", StreamRole.MARKET: "/market/stream",
         StreamRole.PRIVATE: "/private/ws"}
LISTEN_KEY_PATH = "/fapi/v1/listenKey"

#: LIST_SUBSCRIPTIONS with id 0 (the core numbers its own requests from 1)
HEARTBEAT_ID = 0
HEARTBEAT = json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": HEARTBEAT_ID},
                       separators=(",", ":"))
#: "Max 1024 streams per connection"; an older change log says 200, which is kept
MAX_STREAMS_PER_SOCKET = 200
#: no documented cap per frame; 10 incoming messages a second is the socket's limit
MAX_STREAMS_PER_FRAME = 50
LIFETIME_S = 24 * 3600.0
#: keys live 60 min after the last keepalive; every 30 min leaves one miss in hand
KEEPALIVE_S = 1800.0

ROLES = {StreamKind.ORDERS: StreamRole.PRIVATE, StreamKind.FILLS: StreamRole.PRIVATE,
         StreamKind.BALANCE: StreamRole.PRIVATE, StreamKind.POSITIONS: StreamRole.PRIVATE,
         StreamKind.TICKER: StreamRole.PUBLIC, StreamKind.ORDER_BOOK: StreamRole.PUBLIC,
         StreamKind.TRADES: StreamRole.MARKET}
#: stream name suffix per public kind (``<lowercase symbol>@<suffix>``)
SUFFIX = {StreamKind.TICKER: "bookTicker", StreamKind.ORDER_BOOK: "depth@100ms",
          StreamKind.TRADES: "aggTrade"}


def stream_info() -> StreamInfo:
    return StreamInfo(
        kinds=frozenset(StreamKind), roles=ROLES, heartbeat=Heartbeat(30.0, HEARTBEAT),
        idle_timeout_s=95.0, max_subscriptions_per_connection=MAX_STREAMS_PER_SOCKET,
        max_subscriptions_per_frame=MAX_STREAMS_PER_FRAME,
        max_connection_lifetime_s=LIFETIME_S, book_recovery=BookRecovery.SNAPSHOT,
        book_snapshot_on_subscribe=False, subscribe_acks=True, login_timeout_s=10.0)


def _listen_key(response: Response) -> str:
    return Reader.of(response).text("listenKey")


def _ignore(response: Response) -> object:
    return None


def _listen_key_call(method: str) -> Request:
    # USER_STREAM security: the API key header only; signing.sign adds nothing else
    return Request(method=method, path=LISTEN_KEY_PATH, signed=True, cost={IP_WEIGHT: 1})


def stream_session(role: StreamRole) -> StreamSession | None:
    """``POST`` creates (or returns the account's live key, extended), ``PUT`` extends
    (``-1125`` once the key is gone: the core then makes a new one), ``DELETE`` closes."""
    if role is not StreamRole.PRIVATE:
        return None

    def keepalive(key: str) -> Call[object]:
        return Call(_listen_key_call("PUT"), _ignore)

    def close(key: str) -> Call[object]:
        return Call(_listen_key_call("DELETE"), _ignore)

    return StreamSession(create=Call(_listen_key_call("POST"), _listen_key),
                         keepalive=keepalive, close=close, keepalive_interval_s=KEEPALIVE_S)


def stream_url(context: SocketContext) -> str | None:
    path = PATHS.get(context.role)
    if path is None:
        return None
    url = HOSTS[context.testnet] + path
    if context.role is StreamRole.PRIVATE:
        if not context.session_key:
            return None
        # User Data Streams "Connect": base wss://fstream.binance.com/private, streams
        # "accessed at /ws/<listenKey>" (every account event; no events= filter needed)
        url += f"/{context.session_key}"
    return url


def stream_name(sub: Subscription) -> str:
    """``btcusdt@aggTrade``: lowercase symbol, the kind's suffix."""
    assert sub.market is not None
    return f"{sub.market.native.lower()}@{SUFFIX[sub.kind]}"


def stream_subscribe(context: SocketContext, subscriptions: list[Subscription],
                     subscribe: bool) -> list[str] | None:
    """One ``SUBSCRIBE`` / ``UNSUBSCRIBE`` frame; none on the listenKey socket.

    A stream asked of a socket that is not its route is refused here (None: NotSupported)
    rather than sent where Binance would accept it and stay silent.
    """
    if any(ROLES[sub.kind] is not context.role for sub in subscriptions):
        return None
    if context.role is StreamRole.PRIVATE:
        return []
    if any(sub.market is None for sub in subscriptions):
        return None
    return [json.dumps({"method": "SUBSCRIBE" if subscribe else "UNSUBSCRIBE",
                        "params": [stream_name(sub) for sub in subscriptions],
                        "id": context.request_id}, separators=(",", ":"))]
