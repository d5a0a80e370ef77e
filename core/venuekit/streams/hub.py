"""The per-connector stream hub: sockets by role, consumers, books, resync and dedupe.

Everything venue-specific comes from the plugin's stream hooks; the hub decides which
socket carries a subscription (sharding under the venue's per-connection limit), hands
each event to the consumers that want it exactly once, keeps order books, and after every
(re)connect of the private socket reconciles orders, fills, positions and balance over
REST so a change made while the socket was down is delivered with its final state.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from attrs import define, evolve, field

from ..account_models import Fill, OrderBook, Position, Ticker, Trade
from ..errors import AuthenticationError, ConfigurationError, NotSupported, VenueError
from ..models import (
    AssetBalance,
    Auth,
    Balance,
    Capability,
    LimitScope,
    Market,
    OrderResult,
    OrderStatus,
    RateLimit,
)
from ..ratelimit import Demand
from ..stream_models import (
    BalanceUpdate,
    BookRecovery,
    BookUpdate,
    DataEvent,
    PositionsUpdate,
    ResyncNeeded,
    StreamInfo,
    StreamKind,
    StreamRole,
    Subscription,
)
from .book import BookState, LocalBook, Verdict
from .channel import Channel
from .connection import ManagedSocket, SocketState
from .settings import StreamSettings
from .socket import AiohttpSocketOpener, SocketOpener

if TYPE_CHECKING:
    from ..hookcallers import HookCallers
    from ..surface import ConnectorLike

__all__ = ["StreamHub", "Watcher"]

log = logging.getLogger("venuekit.streams")

_FINAL = frozenset({OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.EXPIRED,
                    OrderStatus.REJECTED})
#: How many finished orders and trade ids the dedupe remembers.
_MEMORY = 50_000
#: Fills are re-read from this long before the socket went down.
_FILL_MARGIN = timedelta(seconds=5)
_LATEST_ONLY = frozenset({StreamKind.TICKER, StreamKind.ORDER_BOOK})
#: Public trades a slow reader may fall behind by before the oldest are dropped.
TRADES_BUFFER = 10_000


@define(eq=False)
class Watcher:
    """One consumer: its filter and its buffer."""

    kind: StreamKind
    symbol: str | None
    depth: int
    channel: Channel[object]


@define
class _Sub:
    sub: Subscription
    socket: ManagedSocket
    count: int = 0


@define
class _Session:
    key: str | None = None
    keepalive: asyncio.Task[None] | None = None


class _Memory:
    """A bounded insertion-ordered set/map (the oldest entries are forgotten first)."""

    def __init__(self) -> None:
        self._items: OrderedDict[str, object] = OrderedDict()

    def get(self, key: str) -> object | None:
        return self._items.get(key)

    def put(self, key: str, value: object) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        if len(self._items) > _MEMORY:
            self._items.popitem(last=False)

    def __contains__(self, key: str) -> bool:
        return key in self._items


#: Most deltas a book holds while it waits for its snapshot: past this it recovers afresh.
MAX_HELD_DELTAS = 10_000


@define(eq=False)
class StreamHub:
    connector: ConnectorLike
    settings: StreamSettings
    opener: SocketOpener
    base_url: str | Mapping[str, str] | None
    info: StreamInfo
    watchers: list[Watcher] = field(factory=list)
    sockets: dict[StreamRole, list[ManagedSocket]] = field(factory=dict)
    _subs: dict[object, _Sub] = field(factory=dict)
    _sessions: dict[StreamRole, _Session] = field(factory=dict)
    _books: dict[str, LocalBook] = field(factory=dict)
    _failed: dict[StreamRole, VenueError] = field(factory=dict)
    _orders: _Memory = field(factory=_Memory)  # order id -> last OrderResult delivered
    _open: dict[str, OrderResult] = field(factory=dict)  # orders last seen open
    _trades: _Memory = field(factory=_Memory)  # (symbol, trade id) of fills delivered
    _balance: dict[str, AssetBalance] | None = None
    _positions: dict[str, Position] | None = None
    _down_since: datetime | None = None
    _baseline: bool = False
    _pending_resyncs: int = 0
    _pending_books: int = 0
    _resync_lock: asyncio.Lock = field(factory=asyncio.Lock)
    _tasks: set[asyncio.Task[None]] = field(factory=set)
    _markets: dict[str, Market] = field(factory=dict)
    closed: bool = False

    # ------------------------------------------------------------ connector facts

    @property
    def hooks(self) -> HookCallers:
        return self.connector.transport.protocol.hooks

    @property
    def exchange(self) -> str:
        return self.connector.exchange

    @property
    def display_name(self) -> str:
        return self.connector.info.display_name

    @property
    def testnet(self) -> bool:
        return self.connector.testnet

    @property
    def auth(self) -> Auth | None:
        return self.connector.transport.protocol.auth

    @property
    def markets(self) -> Mapping[str, Market]:
        return self._markets

    def now_ms(self) -> int:
        return self.connector.clock.now_ms()

    async def resync_clock(self) -> None:
        """Measure the venue's clock afresh: a login refused for its timestamp would be
        refused again with the same offset (OKX 60004/60006), however often it retries."""
        try:
            await self.connector._resync()
        except (VenueError, OSError, TimeoutError) as exc:  # the socket loop goes on
            log.warning("%s: clock resync after a refused timestamp failed (%s)",
                        self.exchange, self.scrub(str(exc)))

    def scrub(self, text: str) -> str:
        return self.connector.scrub(text)

    def idle_timeout_s(self) -> float:
        return self.settings.idle_timeout_s or self.info.idle_timeout_s

    def lifetime_s(self) -> float | None:
        if self.settings.lifetime_s is not None:
            return self.settings.lifetime_s
        limit = self.info.max_connection_lifetime_s
        return None if limit is None else max(limit - self.settings.lifetime_margin_s,
                                              limit / 2)

    def heartbeat(self) -> tuple[float, str | None] | None:
        beat = self.info.heartbeat
        if beat is None:
            return None
        return (self.settings.heartbeat_s or beat.interval_s, beat.frame)

    # ------------------------------------------------------------ watching

    async def watch(self, kind: StreamKind, symbol: str | None,
                    depth: int = 20) -> Watcher:
        """Register a consumer and make sure its stream is subscribed.

        Raises NotSupported (kind not offered), UnknownSymbol and the error that failed
        the role's socket before (a refused login), all before anything is sent.
        """
        if self.closed or self.connector.closed:
            raise ConfigurationError(f"{self.exchange}: connector closed")
        if kind not in self.info.kinds:
            raise NotSupported(f"{self.display_name} has no {kind.value} stream",
                               exchange=self.exchange, operation=f"watch_{kind.value}")
        role = self.info.role(kind)
        if role is StreamRole.PRIVATE and self.auth is None:
            raise ConfigurationError(f"watch_{kind.value} needs credentials")
        by_market = self._by_market(kind)
        if by_market and symbol is None:  # as fetch_open_orders(None) where it cannot
            raise NotSupported(
                f"{self.display_name} does not support watch_{kind.value} for every symbol; "
                f"it streams {kind.value} one market at a time: pass a symbol",
                exchange=self.exchange, operation=f"watch_{kind.value} for every symbol")
        await self._load_markets()
        market = await self.connector.market(symbol) if symbol is not None else None
        if role in self._failed:
            raise self._failed[role]
        watcher = Watcher(kind=kind, symbol=None if market is None else market.symbol,
                          depth=depth,
                          channel=Channel(latest_only=kind in _LATEST_ONLY,
                                          limit=TRADES_BUFFER if kind is StreamKind.TRADES
                                          else None))
        self.watchers.append(watcher)
        sub_kind = StreamKind.ORDERS if kind is StreamKind.FILLS and self.info.derive_fills \
            else kind
        sub = Subscription(kind=sub_kind,
                           market=market if by_market or not sub_kind.private else None,
                           depth=depth if kind is StreamKind.ORDER_BOOK else None)
        if kind is StreamKind.ORDER_BOOK:
            assert market is not None
            sub = evolve(sub, depth=self._book_depth(market.symbol, depth))
            self._books.setdefault(market.symbol, LocalBook(market.symbol))
        try:
            await self._subscribe(sub)
        except BaseException:
            self.watchers.remove(watcher)
            raise
        if kind is StreamKind.ORDER_BOOK:
            self._deliver_book(watcher.symbol or "", only=watcher)
        return watcher

    def _by_market(self, kind: StreamKind) -> bool:
        """Whether ``kind`` is subscribed per market (what a FILLS watch rides on counts)."""
        if kind is StreamKind.FILLS and self.info.derive_fills:
            kind = StreamKind.ORDERS
        return kind in self.info.private_by_market

    def _book_depth(self, symbol: str, depth: int) -> int:
        # one subscription per symbol: the deepest any watcher wants
        for entry in self._subs.values():
            if entry.sub.kind is StreamKind.ORDER_BOOK and entry.sub.market is not None \
                    and entry.sub.market.symbol == symbol:
                return max(entry.sub.depth or depth, depth)
        return depth

    async def unwatch(self, watcher: Watcher) -> None:
        if watcher in self.watchers:
            self.watchers.remove(watcher)
        watcher.channel.close()
        if self.closed:
            return
        account_wide = watcher.kind.private and not self._by_market(watcher.kind)
        still = [w for w in self.watchers if w.kind is watcher.kind
                 and (account_wide or w.symbol == watcher.symbol)]
        if still:
            return
        for key, entry in list(self._subs.items()):
            sub = entry.sub
            same_symbol = sub.market is None or sub.market.symbol == watcher.symbol
            wanted = watcher.kind if not (watcher.kind is StreamKind.FILLS
                                          and self.info.derive_fills) else StreamKind.ORDERS
            if sub.kind is wanted and same_symbol:
                if wanted is StreamKind.ORDERS and any(
                        w.kind in (StreamKind.ORDERS, StreamKind.FILLS)
                        and (account_wide or w.symbol == watcher.symbol)
                        for w in self.watchers):
                    continue
                del self._subs[key]
                if sub.kind is StreamKind.ORDER_BOOK and watcher.symbol:
                    self._books.pop(watcher.symbol, None)
                try:
                    await entry.socket.remove(sub)
                except VenueError as exc:
                    log.info("%s: unsubscribe not sent (%s)", self.exchange, exc)
                if not entry.socket.subs:
                    self.sockets.get(entry.socket.role, []).remove(entry.socket)
                    await entry.socket.stop()

    async def _subscribe(self, sub: Subscription) -> None:
        entry = self._subs.get(sub.key)
        if entry is None:
            # a smaller book depth on the same symbol rides on the deeper subscription
            socket = self._socket_for(self.info.role(sub.kind))
            entry = self._subs[sub.key] = _Sub(sub, socket)
            was_open = socket.state is SocketState.OPEN
            await socket.add(sub)
            socket.start()
            if was_open and sub.kind.private and self.settings.resync:
                # a new account stream on a live socket: its current state comes by REST
                self._pending_resyncs += 1
                self._spawn(self._counted_resync())
        entry.count += 1

    def _socket_for(self, role: StreamRole) -> ManagedSocket:
        shards = self.sockets.setdefault(role, [])
        limit = max(self.info.max_subscriptions_per_connection, 1)
        for socket in shards:
            if len(socket.subs) < limit:
                return socket
        socket = ManagedSocket(self, role, len(shards))
        shards.append(socket)
        return socket

    async def _load_markets(self) -> None:
        if not self._markets:
            for market in await self.connector.fetch_markets():
                self._markets[market.symbol] = market
                self._markets.setdefault(market.native, market)

    # ------------------------------------------------------------ sessions and budget

    def session_key(self, role: StreamRole) -> str | None:
        session = self._sessions.get(role)
        return None if session is None else session.key

    async def ensure_session(self, role: StreamRole) -> str | None:
        description = self.hooks.stream_session(role=role)
        if description is None:
            return None
        session = self._sessions.setdefault(role, _Session())
        if session.key is None:
            key: str = await self.connector.run(description.create)
            session.key = key
            if session.keepalive is not None:
                session.keepalive.cancel()
            interval = self.settings.keepalive_s or description.keepalive_interval_s
            session.keepalive = self._spawn(self._keepalive(role, key, interval))
        return session.key

    async def _keepalive(self, role: StreamRole, key: str, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            description = self.hooks.stream_session(role=role)
            if description is None:
                return
            try:
                await self.connector.run(description.keepalive(key))
            except VenueError as exc:
                log.warning("%s: %s stream session keepalive failed (%s); renewing",
                            self.exchange, role.value, self.scrub(str(exc)))
                self.forget_session(role)
                for socket in self.sockets.get(role, []):
                    await socket.drop()
                return

    def forget_session(self, role: StreamRole) -> None:
        session = self._sessions.get(role)
        if session is not None:
            session.key = None

    async def connection_budget(self) -> None:
        """Wait for the venue's new-socket budget (OrangeX: 5 a minute) in the limiter."""
        per_minute = self.info.connections_per_minute
        if per_minute is None:
            return
        rule = RateLimit("stream_connections", per_minute, 60.0, LimitScope.IP)
        transport = self.connector.transport
        demand = Demand(transport.bucket_key(rule), rule, 1)
        permit = await transport.limiter.acquire([demand])
        permit.settle()

    # ------------------------------------------------------------ socket events

    def on_opened(self, socket: ManagedSocket) -> None:
        """A new socket, before anything is subscribed on it: its books start empty, so a
        snapshot that comes with a subscribe answer (read while later frames' answers are
        awaited) is kept, never wiped afterwards."""
        for sub in socket.subs.values():
            if sub.kind is StreamKind.ORDER_BOOK and sub.market is not None:
                book = self._books.get(sub.market.symbol)
                if book is not None:
                    book.reset()

    def on_connected(self, socket: ManagedSocket) -> None:
        if not self.info.book_snapshot_on_subscribe:
            for sub in socket.subs.values():
                if sub.kind is StreamKind.ORDER_BOOK and sub.market is not None \
                        and sub.market.symbol in self._books:
                    self._spawn(self._rest_book(sub.market.symbol, sub.depth or 20))
        if socket.role is StreamRole.PRIVATE and self.settings.resync:
            self._pending_resyncs += 1
            self._spawn(self._counted_resync())

    def on_disconnected(self, socket: ManagedSocket) -> None:
        if socket.role is StreamRole.PRIVATE and self._down_since is None:
            self._down_since = datetime.now(UTC)

    def resync_needed(self, socket: ManagedSocket, event: ResyncNeeded) -> None:
        if event.kind in (None, StreamKind.ORDER_BOOK):
            for symbol, book in self._books.items():
                if event.symbol in (None, symbol):
                    book.reset()
                    self._recover_book(symbol)
        if event.kind is None or event.kind.private:
            self._spawn(self.resync())

    def fail(self, role: StreamRole, error: VenueError) -> None:
        """A refused login: every watcher of the role gets the error; no reconnect."""
        self._failed[role] = error
        for watcher in list(self.watchers):
            if self.info.role(watcher.kind) is role:
                watcher.channel.close(error)

    def on_data(self, event: DataEvent) -> None:
        if isinstance(event, OrderResult):
            self.offer_order(event)
        elif isinstance(event, Fill):
            self.offer_fill(event)
        elif isinstance(event, BalanceUpdate):
            self.offer_balance(event.balance, complete=event.complete)
        elif isinstance(event, PositionsUpdate):
            self.offer_positions(event.positions, complete=event.complete)
        elif isinstance(event, BookUpdate):
            self.on_book(event)
        elif isinstance(event, Ticker | Trade):
            kind = StreamKind.TICKER if isinstance(event, Ticker) else StreamKind.TRADES
            self._deliver(kind, event.symbol, event)

    def _deliver(self, kind: StreamKind, symbol: str | None, item: object) -> None:
        for watcher in self.watchers:
            if watcher.kind is kind and (watcher.symbol is None or watcher.symbol == symbol):
                watcher.channel.put(item)

    # ------------------------------------------------------------ orders and fills

    def offer_order(self, order: OrderResult, *, announce: bool = True,
                    from_resync: bool = False) -> bool:
        """Deliver ``order`` unless it was delivered in this state (id, status, filled)
        or is older than what was (a late frame after a resync's final state).

        ``announce`` False (the first resync's baseline) only notes open orders, so a
        later resync can look up those that vanished; a resync does not re-announce an
        order whose state is the baseline's.
        """
        if not announce:
            if order.status not in _FINAL and order.order_id not in self._orders:
                self._open[order.order_id] = order
            return False
        previous = self._orders.get(order.order_id)
        if previous is None and from_resync:
            base = self._open.get(order.order_id)
            if base is not None and (base.status, base.filled_quantity) == \
                    (order.status, order.filled_quantity):
                return False
        if isinstance(previous, OrderResult):
            if (previous.status, previous.filled_quantity) == \
                    (order.status, order.filled_quantity):
                return False
            if order.filled_quantity < previous.filled_quantity or (
                    previous.status in _FINAL and order.status not in _FINAL):
                return False
        last = previous if isinstance(previous, OrderResult) else None
        self._orders.put(order.order_id, order)
        if order.status in _FINAL:
            self._open.pop(order.order_id, None)
        else:
            self._open[order.order_id] = order
        self._deliver(StreamKind.ORDERS, order.symbol, order)
        if self.info.derive_fills:
            self._derive_fill(order, last)
        return True

    def note_order(self, order: OrderResult) -> None:
        """An order placed through the connector: known open even before its event."""
        if order.status not in _FINAL and order.order_id not in self._orders:
            self._open.setdefault(order.order_id, order)

    def _derive_fill(self, order: OrderResult, last: OrderResult | None) -> None:
        """A fill from the change in cumulative quantity (venues without execution events).

        Its price is the part's own, out of the change in the average price where the
        venue reports one.
        """
        before = Decimal(0) if last is None else last.filled_quantity
        quantity = order.filled_quantity - before
        if quantity <= 0 or order.side is None:
            return
        price = order.average_price or order.price
        if order.average_price is not None and last is not None and before \
                and last.average_price is not None:
            price = (order.average_price * order.filled_quantity
                     - last.average_price * before) / quantity
        if price is None:
            return
        fill = Fill(symbol=order.symbol, order_id=order.order_id,
                    client_order_id=order.client_order_id,
                    trade_id=f"{order.order_id}:{order.filled_quantity.normalize()}",
                    side=order.side, price=price, quantity=quantity,
                    timestamp=order.updated_at or datetime.now(UTC))
        self.offer_fill(fill)

    def offer_fill(self, fill: Fill) -> bool:
        # per symbol: some venues number executions per instrument (OKX ``tradeId``), so
        # the same id on two markets is two fills, not one seen twice
        key = f"{fill.symbol} {fill.trade_id}"
        if key in self._trades:
            return False
        self._trades.put(key, True)
        self._deliver(StreamKind.FILLS, fill.symbol, fill)
        return True

    # ------------------------------------------------------------ balance and positions

    def offer_balance(self, balance: Balance, *, complete: bool) -> None:
        assets = {} if complete or self._balance is None else dict(self._balance)
        for asset in balance.assets:
            assets[asset.asset] = asset
        if assets == self._balance:
            return
        self._balance = assets
        merged = Balance(exchange=self.exchange, assets=tuple(assets.values()))
        self._deliver(StreamKind.BALANCE, None, merged)

    def offer_positions(self, positions: tuple[Position, ...] | list[Position], *,
                        complete: bool) -> None:
        held = {} if complete or self._positions is None else dict(self._positions)
        for position in positions:
            key = f"{position.symbol}:{position.side.value}"
            if position.is_flat:
                held.pop(key, None)
                if not complete:  # a flat position closes either side
                    held = {k: v for k, v in held.items() if v.symbol != position.symbol}
            else:
                held[key] = position
        if held == self._positions:
            return
        self._positions = held
        self._deliver(StreamKind.POSITIONS, None, list(held.values()))

    # ------------------------------------------------------------ resync

    async def _counted_resync(self) -> None:
        try:
            await self.resync()
        finally:
            self._pending_resyncs -= 1

    def ready(self) -> bool:
        """Every socket is open and subscribed, the resync after the last connect is done
        and every book is consistent: what tests and tools wait for before acting."""
        sockets = [s for shards in self.sockets.values() for s in shards]
        if not sockets or any(s.state is not SocketState.OPEN for s in sockets):
            return False
        if self._pending_resyncs or self._pending_books:
            return False
        if any(s.role is StreamRole.PRIVATE for s in sockets) and self.settings.resync \
                and not self._baseline:
            return False
        return all(book.state is BookState.LIVE for book in self._books.values())

    async def resync(self) -> None:
        """Reconcile account state over REST after a (re)connect of the private socket.

        The first connect learns the baseline (open orders are not re-announced); later
        ones deliver every order whose state changed while the socket was down, the fills
        missed meanwhile, and balance and positions if they differ from the last ones.
        """
        async with self._resync_lock:
            kinds = {w.kind for w in self.watchers if w.kind.private}
            announce = self._baseline
            since = (self._down_since or datetime.now(UTC)) - _FILL_MARGIN
            self._down_since = None
            steps: list[Callable[[], Awaitable[None]]] = []
            if kinds & {StreamKind.ORDERS, StreamKind.FILLS}:
                steps.append(lambda: self._resync_orders(
                    announce, since, fills=StreamKind.FILLS in kinds and announce))
            if StreamKind.BALANCE in kinds:
                steps.append(self._resync_balance)
            if StreamKind.POSITIONS in kinds:
                steps.append(self._resync_positions)
            for step in steps:
                try:
                    await step()
                except NotSupported as exc:  # the venue cannot read it over REST: streams only
                    log.debug("%s: resync step skipped (%s)", self.exchange, exc)
                except AuthenticationError as exc:
                    # the venue refuses these credentials (e.g. a wrong secret on a venue
                    # whose stream session needs the key only): tell the watchers, do not
                    # reconnect into the same refusal
                    for role in {self.info.role(kind) for kind in kinds}:
                        self.fail(role, exc)
                    return
                except VenueError as exc:
                    log.warning("%s: stream resync failed (%s); next reconnect tries again",
                                self.exchange, self.scrub(str(exc)))
                    return
            self._baseline = True

    async def _resync_balance(self) -> None:
        self.offer_balance(await self.connector.fetch_balance(), complete=True)

    async def _resync_positions(self) -> None:
        self.offer_positions(await self.connector.fetch_positions(), complete=True)

    async def _resync_orders(self, announce: bool, since: datetime, *, fills: bool) -> None:
        info = self.connector.info
        watched = {w.symbol for w in self.watchers if w.symbol is not None}
        known = set(self._open)
        listed: list[OrderResult] = []
        if info.has(Capability.FETCH_OPEN_ORDERS_ALL_SYMBOLS):
            listed = await self.connector.fetch_open_orders(None)
        elif info.has(Capability.FETCH_OPEN_ORDERS):
            for symbol in sorted(watched | {o.symbol for o in self._open.values()}):
                listed += await self.connector.fetch_open_orders(symbol)
        # without a listing, every order last seen open is looked up one by one below
        touched: set[str] = set()
        for order in listed:
            if self.offer_order(order, announce=announce, from_resync=True):
                touched.add(order.symbol)
        listed_ids = {o.order_id for o in listed}
        for order_id in known - listed_ids:
            last = self._open.get(order_id)
            if last is None:
                continue
            final = await self.connector.fetch_order(last.symbol, order_id=order_id)
            if self.offer_order(final, announce=True, from_resync=True):
                touched.add(final.symbol)
        if fills and not self.info.derive_fills and info.has(Capability.FETCH_MY_TRADES):
            for symbol in sorted(touched):
                for fill in await self.connector.fetch_my_trades(symbol, since=since):
                    self.offer_fill(fill)

    # ------------------------------------------------------------ order books

    def on_book(self, update: BookUpdate) -> None:
        book = self._books.get(update.symbol)
        if book is None:
            return
        verdict = book.apply(update)
        if verdict is Verdict.APPLIED:
            self._deliver_book(update.symbol)
        elif verdict is Verdict.GAP:
            log.info("%s: %s book sequence gap after %s; recovering", self.exchange,
                     update.symbol, book.sequence)
            self._recover_book(update.symbol)
        elif verdict is Verdict.WAITING and len(book.pending) > MAX_HELD_DELTAS:
            # the snapshot it waits for is not coming: start over rather than hold more
            log.warning("%s: %s book held %d deltas without a snapshot; recovering",
                        self.exchange, update.symbol, len(book.pending))
            book.reset()
            self._recover_book(update.symbol)

    def _recover_book(self, symbol: str) -> None:
        entry = next((e for e in self._subs.values() if e.sub.kind is StreamKind.ORDER_BOOK
                      and e.sub.market is not None and e.sub.market.symbol == symbol), None)
        if entry is None:
            return
        if self.info.book_recovery is BookRecovery.SNAPSHOT:
            self._spawn(self._rest_book(symbol, entry.sub.depth or 20))
        else:
            self._spawn(entry.socket.resubscribe(entry.sub))

    async def _rest_book(self, symbol: str, depth: int) -> None:
        self._pending_books += 1
        try:
            snapshot: OrderBook = await self.connector.fetch_order_book(symbol, depth)
        except VenueError as exc:
            log.warning("%s: %s book snapshot failed (%s)", self.exchange, symbol,
                        self.scrub(str(exc)))
            return
        finally:
            self._pending_books -= 1
        book = self._books.get(symbol)
        if book is not None:
            book.load_rest(snapshot)
            self._deliver_book(symbol)

    def _deliver_book(self, symbol: str, only: Watcher | None = None) -> None:
        book = self._books.get(symbol)
        if book is None:
            return
        views: dict[int, OrderBook | None] = {}
        for watcher in [only] if only is not None else self.watchers:
            if watcher.kind is StreamKind.ORDER_BOOK and watcher.symbol == symbol:
                if watcher.depth not in views:
                    views[watcher.depth] = book.view(watcher.depth)
                view = views[watcher.depth]
                if view is not None:
                    watcher.channel.put(view)

    # ------------------------------------------------------------ lifecycle

    def _spawn(self, coro: object) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coro)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def book(self, symbol: str) -> LocalBook | None:
        """The local book kept for ``symbol`` (for tests and tools)."""
        return self._books.get(symbol)

    async def drop_sockets(self) -> None:
        """Close every socket as if the network failed (tests, the bench)."""
        for shards in self.sockets.values():
            for socket in shards:
                await socket.drop()

    async def aclose(self) -> None:
        """End every watcher cleanly, close every socket, end the sessions (best effort)."""
        if self.closed:
            return
        self.closed = True
        for watcher in list(self.watchers):
            watcher.channel.close()
        for shards in self.sockets.values():
            for socket in shards:
                await socket.stop()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for role, session in self._sessions.items():
            description = self.hooks.stream_session(role=role)
            if session.key is not None and description is not None \
                    and description.close is not None and not self.connector.closed:
                try:
                    await self.connector.run(description.close(session.key))
                except VenueError as exc:
                    log.info("%s: closing the stream session failed (%s)", self.exchange,
                             self.scrub(str(exc)))
        await self.opener.aclose()


def default_opener() -> SocketOpener:
    return AiohttpSocketOpener()
