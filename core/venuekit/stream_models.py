"""What a plugin tells the core about a venue's WebSocket streams, and what it parses frames into.

Two families of frozen attrs classes, both pure (no I/O, no clock):

- **Descriptions** a plugin returns from the stream hooks: :class:`StreamInfo` (the
  venue's limits, heartbeat, compression, book recovery), :class:`StreamSession` (the REST
  calls of a listenKey-style session), and the arguments the core passes in:
  :class:`SocketContext` (which socket is being built) and :class:`Subscription`.
- **Events** ``parse_stream_frame`` returns, one list per incoming frame. Data events are
  the REST models themselves where they fit (:class:`~venuekit.OrderResult`,
  :class:`~venuekit.Fill`, :class:`~venuekit.Ticker`, :class:`~venuekit.Trade`) plus
  :class:`BalanceUpdate`, :class:`PositionsUpdate` and :class:`BookUpdate`; control events
  (:class:`Ack`, :class:`LoggedIn`, :class:`Pong`, :class:`Ping`, :class:`StreamFailure`,
  :class:`SessionExpired`, :class:`ResyncNeeded`) steer the core's state machine.

Quantities are in base currency, as everywhere in venuekit.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from attrs import field, frozen

from .account_models import Fill, Level, Position, Ticker, Trade, _asks, _bids
from .errors import VenueError
from .models import Auth, Balance, Market, OrderResult, _utc
from .wire import Call

__all__ = [
    "Ack",
    "BalanceUpdate",
    "BookRecovery",
    "BookUpdate",
    "Compression",
    "ControlEvent",
    "DataEvent",
    "Heartbeat",
    "LoggedIn",
    "Ping",
    "Pong",
    "PositionsUpdate",
    "ResyncNeeded",
    "SessionExpired",
    "SocketContext",
    "StreamEvent",
    "StreamFailure",
    "StreamFrame",
    "StreamInfo",
    "StreamKind",
    "StreamRole",
    "StreamSession",
    "Subscription",
]


class StreamKind(enum.Enum):
    """One kind of stream, named as the connector's ``watch_*`` method that reads it."""

    ORDERS = "orders"
    FILLS = "fills"
    BALANCE = "balance"
    POSITIONS = "positions"
    TICKER = "ticker"
    ORDER_BOOK = "order_book"
    TRADES = "trades"

    @property
    def private(self) -> bool:
        return self in _PRIVATE


_PRIVATE = frozenset({StreamKind.ORDERS, StreamKind.FILLS, StreamKind.BALANCE,
                      StreamKind.POSITIONS})


class StreamRole(enum.Enum):
    """Which socket a subscription lives on; a venue may serve them on different hosts.

    ``MARKET`` is for venues that split public data further (Binance's ``/market`` host
    for high-rate market data since 2026-04-23); most venues use PUBLIC and PRIVATE only.
    """

    PUBLIC = "public"
    MARKET = "market"
    PRIVATE = "private"


class Compression(enum.Enum):
    """How binary frames are packed (text frames are always read as they are)."""

    NONE = "none"
    GZIP = "gzip"  #: BingX gzips every frame
    DEFLATE = "deflate"  #: raw deflate (no zlib header)


class BookRecovery(enum.Enum):
    """What the core does when a book update does not follow the last one."""

    SNAPSHOT = "snapshot"  #: REST ``fetch_order_book``, deltas buffered meanwhile (Binance)
    RESUBSCRIBE = "resubscribe"  #: unsubscribe and subscribe; the venue sends a snapshot


@frozen
class Heartbeat:
    """The client's keep-alive: ``frame`` sent every ``interval_s`` seconds.

    ``frame`` None means a WebSocket protocol ping (no application frame). The venue
    cuts a socket that stays quiet too long (OrangeX ~30 s after the last client message),
    so the interval must be well under that.
    """

    interval_s: float
    frame: str | None = None


def _kinds(value: Iterable[StreamKind]) -> frozenset[StreamKind]:
    return frozenset(value)


def _default_roles() -> Mapping[StreamKind, StreamRole]:
    return {kind: StreamRole.PRIVATE if kind.private else StreamRole.PUBLIC
            for kind in StreamKind}


@frozen(kw_only=True)
class StreamInfo:
    """A venue's streams: what it offers and the limits the core must respect.

    :param kinds: the streams the venue offers; a watch of any other kind raises
        :class:`~venuekit.NotSupported` before anything is sent.
    :param roles: which socket serves each kind (default: private kinds on PRIVATE, the
        rest on PUBLIC).
    :param heartbeat: the client heartbeat, or None where the venue pings and the client
        only answers (answer with a :class:`Ping` event's ``reply``).
    :param idle_timeout_s: a socket that brings no frame at all for this long is dead and
        is replaced (choose it above the venue's own ping interval: BingX 5 s, Pionex 15 s).
    :param compression: how binary frames are packed.
    :param max_subscriptions_per_connection: the core opens another socket (a shard)
        beyond it.
    :param max_subscriptions_per_frame: subscribe frames carry at most this many.
    :param connections_per_minute: the venue's budget of new sockets (OrangeX 5); the core
        takes it from the connector's limiter before every connect. None: no budget.
    :param max_connection_lifetime_s: the venue closes a socket after this long (Binance
        24 h); the core replaces it a little earlier, without a gap.
    :param book_recovery: what to do on a sequence gap.
    :param book_snapshot_on_subscribe: the venue sends a book snapshot after a subscribe
        (OKX, Bybit, OrangeX). False (Binance diff streams): the core reads a REST
        snapshot after subscribing and lines the buffered deltas up against it.
    :param derive_fills: the venue has no execution events (BingX): the core derives each
        :class:`~venuekit.Fill` from an order's cumulative filled quantity, with the trade
        id ``"<order_id>:<filled quantity>"``. A FILLS watch then subscribes to ORDERS.
    :param subscribe_acks: the venue answers every subscribe frame (parse the answer into
        :class:`Ack`); the core resyncs only after all of them, so a change between the
        REST read and the subscription cannot go unseen. False where it does not answer.
    :param login_timeout_s: how long to wait for :class:`LoggedIn` after the login frames
        (and for the subscribe acks).
    :param private_by_market: account kinds the venue subscribes one market at a time
        (Pionex ``ORDER`` and ``FILL`` take a required ``symbol``): their
        :class:`Subscription` carries the market, and a watch of them needs a symbol.
    """

    kinds: frozenset[StreamKind] = field(converter=_kinds)
    roles: Mapping[StreamKind, StreamRole] = field(factory=_default_roles)
    heartbeat: Heartbeat | None = None
    idle_timeout_s: float = 30.0
    compression: Compression = Compression.NONE
    max_subscriptions_per_connection: int = 100
    max_subscriptions_per_frame: int = 10
    connections_per_minute: int | None = None
    max_connection_lifetime_s: float | None = None
    book_recovery: BookRecovery = BookRecovery.SNAPSHOT
    book_snapshot_on_subscribe: bool = True
    derive_fills: bool = False
    subscribe_acks: bool = True
    login_timeout_s: float = 10.0
    private_by_market: frozenset[StreamKind] = field(default=frozenset(), converter=_kinds)

    def role(self, kind: StreamKind) -> StreamRole:
        return self.roles.get(kind) or (StreamRole.PRIVATE if kind.private
                                        else StreamRole.PUBLIC)


@frozen(kw_only=True)
class StreamSession:
    """A REST-created stream session (Binance, BingX listenKey).

    :param create: parses to the session key (listenKey).
    :param keepalive: the call that extends a key, run every ``keepalive_interval_s``.
    :param close: the call that ends a key when the last private watcher leaves, or None.
    :param keepalive_interval_s: Binance and BingX: 30 min (keys expire after 60).
    """

    create: Call[str]
    keepalive: Callable[[str], Call[object]]
    close: Callable[[str], Call[object]] | None = None
    keepalive_interval_s: float = 1800.0


@frozen(kw_only=True)
class Subscription:
    """One stream the core wants on a socket: a kind, for one market or the whole account.

    ``market`` is None for account streams (orders, fills, balance, positions of every
    symbol: the core filters by symbol itself), except the kinds a venue subscribes per
    market (:attr:`StreamInfo.private_by_market`). ``depth`` is the book depth asked for.
    """

    kind: StreamKind
    market: Market | None = None
    depth: int | None = None

    @property
    def key(self) -> tuple[StreamKind, str | None, int | None]:
        return (self.kind, None if self.market is None else self.market.symbol, self.depth)


@frozen(kw_only=True)
class SocketContext:
    """Which socket the core is building, passed to the URL, login and subscribe hooks.

    :param role: the socket's role.
    :param testnet: the environment.
    :param auth: the connector's credentials (None on a public-only connector); sign with
        ``timestamp_ms`` (the venue's clock, offset-corrected).
    :param timestamp_ms: the venue's clock now.
    :param session_key: the listenKey from :class:`StreamSession`, where the venue has one.
    :param subscriptions: what this socket will carry (for venues that name streams in
        the URL, Binance's ``/stream?streams=a/b``).
    :param request_id: a number unique on this socket, for frames that carry an id.
    :param login_token: the token this socket's login answer handed out
        (:attr:`LoggedIn.token`), for frames that must carry it; None before the login and
        on venues without one.
    """

    role: StreamRole
    testnet: bool
    auth: Auth | None = field(default=None, repr=False)
    timestamp_ms: int
    session_key: str | None = field(default=None, repr=False)
    subscriptions: tuple[Subscription, ...] = ()
    request_id: int = 1
    login_token: str | None = field(default=None, repr=False)


@frozen(kw_only=True)
class StreamFrame:
    """One incoming frame as text (decompressed), with what the parser needs to read it.

    ``markets`` maps the venue's native symbol (and the unified one) to the market, so
    a parser can convert contracts and name symbols the unified way.
    """

    role: StreamRole
    text: str
    markets: Mapping[str, Market] = field(repr=False)


# ---------------------------------------------------------------- data events


@frozen(kw_only=True)
class BalanceUpdate:
    """A balance change. ``complete`` False: only the assets that changed are listed."""

    balance: Balance
    complete: bool = True


def _positions(value: Iterable[Position]) -> tuple[Position, ...]:
    return tuple(value)


@frozen(kw_only=True)
class PositionsUpdate:
    """Positions after a change. ``complete`` False: only the symbols that changed
    (a position of quantity 0 then means it was closed)."""

    positions: tuple[Position, ...] = field(converter=_positions)
    complete: bool = True


@frozen(kw_only=True)
class BookUpdate:
    """A book snapshot or delta, in the venue's sequence numbers.

    A delta holds absolute quantities per price (0 removes the level). ``sequence`` is
    the venue's id after this update; ``prev_sequence`` the id it follows (OKX
    ``prevSeqId``, Binance futures ``pu``; Binance spot ``U - 1``; OrangeX
    ``prev_change_id``). With only ``sequence`` the core expects ``last + 1``; with
    neither it cannot detect a gap and trusts the venue (Pionex sends snapshots).
    """

    symbol: str
    bids: tuple[Level, ...] = field(converter=_bids)
    asks: tuple[Level, ...] = field(converter=_asks)
    snapshot: bool
    sequence: int | None = None
    prev_sequence: int | None = None
    timestamp: datetime | None = field(default=None, converter=_utc)


DataEvent = OrderResult | Fill | BalanceUpdate | PositionsUpdate | Ticker | Trade | BookUpdate

# ---------------------------------------------------------------- control events


@frozen
class Ack:
    """The venue accepted a subscribe / unsubscribe / login request."""

    request_id: str | None = None


@frozen
class LoggedIn:
    """The login frame was accepted; the core subscribes after this.

    ``token`` is what the login answer hands out where later frames on this socket must
    carry it (OrangeX ``result.access_token``); the core gives it back to the hooks as
    :attr:`SocketContext.login_token` until the socket closes. Never in a repr.
    """

    token: str | None = field(default=None, repr=False)


@frozen
class Pong:
    """The venue answered our heartbeat (proof the socket is alive)."""


@frozen
class Ping:
    """The venue's application-level ping; the core sends ``reply`` at once (BingX
    ``Pong``, Pionex ``{"op":"PONG",...}``)."""

    reply: str


@frozen
class StreamFailure:
    """The venue refused something. An :class:`~venuekit.AuthenticationError` (login
    refused) is raised to the watchers and the socket is not reopened; with ``fatal``
    False the socket stays (a bad subscribe, say: the core logs it)."""

    error: VenueError
    fatal: bool = True


@frozen
class SessionExpired:
    """The listenKey or login expired (Binance ``listenKeyExpired``): the core makes a new
    session, reconnects and resyncs."""


@frozen
class ResyncNeeded:
    """The venue says state may have been lost (e.g. a book checksum failed): the core
    resyncs that kind (None: everything on this socket), for ``symbol`` or all."""

    kind: StreamKind | None = None
    symbol: str | None = None


ControlEvent = Ack | LoggedIn | Pong | Ping | StreamFailure | SessionExpired | ResyncNeeded
StreamEvent = DataEvent | ControlEvent
