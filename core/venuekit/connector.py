"""Connector: what a host awaits. One exchange, one set of credentials, one environment.

The connector turns the plugin's described calls into results: it validates orders
against cached markets before anything is sent, keeps the clock and the bearer token
fresh, runs reads through the retry policy and orders through the no-duplicate protocol,
and runs connection tests that produce a log safe to show anyone.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import time
import weakref
from collections.abc import AsyncIterator, Coroutine, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

from attrs import define, field

from . import account, batch, streams
from . import clock as clock_mod
from .account_models import Fill, OrderBook, Position, Ticker, Trade
from .attempt import Attempt
from .checks import StepObserver, default_checks, run_checks
from .errors import (
    BelowMinimum,
    ConfigurationError,
    InvalidOrder,
    PluginError,
    UnknownSymbol,
    VenueError,
)
from .journal import JournalRecorder, OrderJournal, account_id
from .models import (
    Auth,
    AuthToken,
    Balance,
    Capability,
    Check,
    ConnectionReport,
    Credentials,
    ExchangeInfo,
    KeyType,
    Market,
    OrderParams,
    OrderRef,
    OrderResult,
    OrderType,
    RateLimit,
    Side,
    with_client_order_id,
)
from .protocol import ExchangeProtocol
from .ratelimit import Demand, Limiter, Permit, apply_overrides, shared_limiter
from .registry import LoadedPlugin, Registry, default_registry
from .retry import OrderPlacer, RetryPolicy, generate_client_order_id, retry_idempotent
from .scrub import Scrubber
from .senders import AiohttpSender, Sender
from .streams import watching as stream_watch
from .streams.settings import StreamSettings
from .streams.socket import SocketOpener
from .transport import Transport
from .wire import Call

if TYPE_CHECKING:
    import aiohttp

    from .hookcallers import HookCallers

__all__ = ["Connector", "connect"]

log = logging.getLogger("venuekit")
T = TypeVar("T")
V = TypeVar("V")

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_CHECK_TIMEOUT_S = 30.0
#: Added to the venue's receive window before a lost order is declared never-arrived.
ORDER_SETTLE_MARGIN_S = 1.0


def connect(exchange: str, credentials: Credentials | None = None, *, testnet: bool = False,
            base_url: str | None = None, registry: Registry | None = None,
            limiter: Limiter | None = None, retry: RetryPolicy | None = None,
            timeout_s: float = DEFAULT_TIMEOUT_S,
            check_timeout_s: float = DEFAULT_CHECK_TIMEOUT_S,
            rate_limits: Mapping[str, RateLimit | None] | None = None,
            order_settle_s: float | None = None,
            session: aiohttp.ClientSession | None = None,
            sender: Sender | None = None,
            journal: str | os.PathLike[str] | None = None,
            stream_base_url: str | Mapping[str, str] | None = None,
            stream_settings: StreamSettings | None = None,
            socket_opener: SocketOpener | None = None) -> Connector:
    """Load ``exchange``'s plugin and return a connector (use it with ``async with``).

    Everything that can be checked without the network is checked here: the plugin loads
    and validates, the credentials have every field the venue needs and a key type it
    takes, and a test environment exists when ``testnet`` is asked for.

    ``sender`` replaces the aiohttp sender (tests use ``venuekit.testing.InProcessSender``);
    ``session`` gives the default sender a host-owned aiohttp session instead.
    ``journal`` names an order journal file (:mod:`venuekit.journal`; created in an
    existing directory): every order is written there before it is sent, and
    :meth:`Connector.recover` resolves what a crash left open.
    ``stream_base_url`` replaces the scheme and host of every socket URL (paths and queries
    kept), as ``base_url`` does for REST; a mapping by socket role replaces only those roles
    (Bybit demo trading: ``{"private": "wss://stream-demo.bybit.com"}``, market data from
    the venue's own host); ``stream_settings`` tunes reconnect pacing and
    timeouts; ``socket_opener`` replaces the aiohttp WebSocket opener.
    """
    plugin = (registry or default_registry()).load(exchange)
    info = plugin.info
    if testnet and info.hosts.testnet is None:
        raise ConfigurationError(
            f"{info.display_name} has no test environment; connect with testnet=False "
            "(or point base_url at a simulator)")
    if credentials is not None:
        _check_credentials(credentials, plugin)
    host = base_url or (info.hosts.testnet if testnet else info.hosts.live)
    assert host is not None
    rules = apply_overrides(info.rate_limits, rate_limits or {})
    clk = clock_mod.Clock()
    base = host.rstrip("/")
    protocol = ExchangeProtocol(
        exchange=exchange, hooks=plugin.callers(), rules={rule.name: rule for rule in rules},
        host=urlsplit(base).netloc or base,
        removed_rules=frozenset(r.name for r in info.rate_limits) - {r.name for r in rules},
        auth=Auth(credentials) if credentials is not None else None)
    if sender is None:
        sender = AiohttpSender(session, extra_headers=info.hosts.testnet_headers
                               if testnet else ())
    transport = Transport(protocol=protocol, sender=sender, base_url=base,
                          limiter=limiter or _LazyLimiter(), clock=clk, timeout_s=timeout_s)
    conn = Connector(plugin=plugin, credentials=credentials, testnet=testnet,
                     transport=transport, clock=clk, retry=retry or RetryPolicy(),
                     check_timeout_s=check_timeout_s,
                     order_settle_s=info.request_window_s + ORDER_SETTLE_MARGIN_S
                     if order_settle_s is None else order_settle_s,
                     journal=None if journal is None else OrderJournal.open(journal))
    streams.configure(conn, base_url=stream_base_url, settings=stream_settings,
                      opener=socket_opener)
    return conn


def _check_credentials(credentials: Credentials, plugin: LoadedPlugin) -> None:
    info = plugin.info
    if credentials.key_type not in info.key_types:
        takes = ", ".join(sorted(k.value for k in info.key_types))
        raise ConfigurationError(
            f"{info.display_name} does not take {credentials.key_type.value} keys "
            f"(it takes: {takes})")
    for name in info.credential_fields:
        if name == "api_secret" and credentials.key_type is not KeyType.HMAC:
            name = "private_key"  # a key pair signs with its private key, it has no secret
        if not getattr(credentials, name, None):
            raise ConfigurationError(
                f"{info.display_name} needs credential field {name!r} for "
                f"{credentials.key_type.value} keys")


class _LazyLimiter(Limiter):
    """Resolves the process-wide limiter on first use, inside the running event loop.

    ``VENUEKIT_LIMITER_URL=redis://…`` makes it the Redis backend shared with other
    processes; otherwise it is the in-memory one shared within this process.
    """

    def __init__(self) -> None:
        self._loop: weakref.ref[asyncio.AbstractEventLoop] | None = None
        self._limiter: Limiter | None = None

    def _current(self) -> Limiter:
        loop = asyncio.get_running_loop()
        limiter = self._limiter
        if (limiter is None or self._loop is None or self._loop() is not loop
                or getattr(limiter, "closed", False)):
            limiter = self._limiter = shared_limiter()
            self._loop = weakref.ref(loop)
        return limiter

    def resolved(self) -> Limiter:
        return self._current()

    # Plain functions handing back the shared limiter's own coroutine: one coroutine per
    # call instead of two.
    def acquire(self, demands: Sequence[Demand]) -> Coroutine[object, object, Permit]:
        return self._current().acquire(demands)

    def feedback(self, key: str, rule: RateLimit, used: int) -> Coroutine[object, object, None]:
        return self._current().feedback(key, rule, used)

    def feedback_many(self, reports: Sequence[tuple[str, RateLimit, int]]
                      ) -> Coroutine[object, object, None]:
        return self._current().feedback_many(reports)

    def block(self, key: str, rule: RateLimit, seconds: float
              ) -> Coroutine[object, object, None]:
        return self._current().block(key, rule, seconds)

    async def aclose(self) -> None:
        """The shared limiter outlives any one connector: nothing to close here."""


@define
class Connector:
    """A live handle on one exchange account. Not thread-safe; one per event loop."""

    plugin: LoadedPlugin
    credentials: Credentials | None = field(repr=False)
    testnet: bool
    transport: Transport
    clock: clock_mod.Clock
    retry: RetryPolicy
    check_timeout_s: float
    order_settle_s: float
    journal: OrderJournal | None = None
    _markets: dict[str, Market] | None = field(default=None, init=False, repr=False)
    _markets_lock: asyncio.Lock | None = field(default=None, init=False, repr=False)
    _token: AuthToken | None = field(default=None, init=False, repr=False)
    _token_lock: asyncio.Lock | None = field(default=None, init=False, repr=False)
    _clock_lock: asyncio.Lock | None = field(default=None, init=False, repr=False)
    _uses_tokens: bool = field(default=True, init=False, repr=False)
    _recovered: bool = field(default=False, init=False, repr=False)
    _recover_lock: asyncio.Lock | None = field(default=None, init=False, repr=False)

    @property
    def exchange(self) -> str:
        return self.plugin.name

    @property
    def info(self) -> ExchangeInfo:
        return self.plugin.info

    @property
    def base_url(self) -> str:
        return self.transport.base_url

    async def __aenter__(self) -> Connector:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def closed(self) -> bool:
        return self.transport.closed

    async def close(self) -> None:
        """Close the connector; every later request fails fast with ConfigurationError."""
        await streams.close(self)  # watchers end first, while REST can still end sessions
        await self.transport.aclose()

    # ------------------------------------------------------------ plumbing

    @property
    def _hook(self) -> HookCallers:
        return self.transport.protocol.hooks

    def _built(self, hook_name: str, value: V | None) -> V:
        if value is None:
            raise self._nothing_built(hook_name)
        return value

    def _nothing_built(self, hook_name: str) -> PluginError:
        return PluginError(f"{hook_name} returned nothing", plugin=self.exchange,
                           distribution=self.plugin.distribution)

    async def _prepare(self, call: Call[T]) -> None:
        """Before a signed request: a synced clock and, on token venues, a fresh token."""
        if not call.request.signed:
            return
        if self.clock.stale():
            await self._sync_clock()
        await self._ensure_token()

    async def _attempt(self, call: Call[T]) -> T:
        if call.request.signed and (self.clock.stale() or self._uses_tokens):
            await self._prepare(call)
        return await self.transport.send(call)

    async def run(self, call: Call[T]) -> T:
        """Send a call under the retry policy (retries only if the request is idempotent).

        The first attempt runs outside the retry machinery: almost every call succeeds at
        once, and the policy's bookkeeping is then pure cost.
        """
        request = call.request
        try:  # _attempt, written out: one coroutine less on every call
            if request.signed and (self.clock.stale() or self._uses_tokens):
                await self._prepare(call)
            return await self.transport.send(call)
        except VenueError as exc:
            if not request.idempotent:
                raise
            first = exc
        return await retry_idempotent(lambda: self._attempt(call), self.retry,
                                      on_timestamp=self._resync, on_token=self._drop_token,
                                      first_error=first)

    # ------------------------------------------------------------ clock and token

    async def _sync_clock(self, *, fresh: bool = False) -> None:
        """Sync once for everyone: concurrent callers wait for one measurement.

        ``fresh`` forgets the old offset first (after a timestamp rejection); callers that
        find a sync completed while they waited for the lock use that one.
        """
        seen = self.clock.synced_at
        if self._clock_lock is None:
            self._clock_lock = asyncio.Lock()
        async with self._clock_lock:
            if self.clock.synced_at != seen or not (fresh or self.clock.stale()):
                return
            if fresh:
                self.clock.reset()
            await self._measure_clock()

    async def _measure_clock(self) -> None:
        call = self._hook.server_time()
        if call is None:
            # no time source: sign with the local clock, and do not ask again soon
            self.clock.add_sample(time.time() * 1000, time.time(), time.time())
            return
        await self.clock.sync(lambda: self.transport.send(call))

    async def _resync(self) -> None:
        await self._sync_clock(fresh=True)

    async def server_time(self) -> int:
        """The venue's clock in ms (falls back to the local clock where it has none)."""
        call = self._hook.server_time()
        if call is None:
            return int(time.time() * 1000)
        value: int = await self.run(call)
        return value

    async def _ensure_token(self) -> None:
        if self.credentials is None or not self._uses_tokens:
            return
        if self._token is not None and not self._token.expires_within(
                self.info.min_token_lifetime_s):
            return
        if self._token_lock is None:
            self._token_lock = asyncio.Lock()
        async with self._token_lock:
            if self._token is not None and not self._token.expires_within(
                    self.info.min_token_lifetime_s):
                return
            call = self._hook.login(credentials=self.credentials)
            if call is None:  # signs every request: never ask again
                self._uses_tokens = False
                return
            token: object = await self.transport.send(call)
            if not isinstance(token, AuthToken):
                raise PluginError("login did not parse to an AuthToken", plugin=self.exchange)
            self._token = token
            self.transport.set_auth(Auth(self.credentials, token))

    async def _drop_token(self) -> None:
        self._token = None
        await self._ensure_token()

    # ------------------------------------------------------------ markets

    async def fetch_markets(self, *, reload: bool = False) -> list[Market]:
        """The venue's markets, cached for the connector's life (``reload`` to refresh)."""
        if self._markets_lock is None:
            self._markets_lock = asyncio.Lock()
        async with self._markets_lock:
            if self._markets is None or reload:
                call = self._built("fetch_markets", self._hook.fetch_markets())
                markets: list[Market] = await self.run(call)
                index: dict[str, Market] = {}
                for market in markets:
                    index[market.symbol] = market
                    index.setdefault(market.native, market)
                self._markets = index
        return sorted({id(m): m for m in self._markets.values()}.values(),
                      key=lambda m: m.symbol)

    async def market(self, symbol: str) -> Market:
        """A market by unified (``BTC/USDT:USDT``) or native (``BTCUSDT``) symbol."""
        if self._markets is None:
            await self.fetch_markets()
        assert self._markets is not None
        found = self._markets.get(symbol) or self._markets.get(symbol.upper())
        if found is None:
            hint = _close_matches(symbol, self._markets)
            raise UnknownSymbol(
                f"{self.info.display_name} does not list {symbol!r}"
                + (f"; did you mean {hint}?" if hint else ""), exchange=self.exchange)
        return found

    # ------------------------------------------------------------ account

    async def fetch_balance(self) -> Balance:
        call = self.transport.protocol.hooks.fetch_balance()  # _hook and _built, written out
        if call is None:
            raise self._nothing_built("fetch_balance")
        balance: Balance = await self.run(call)
        return balance

    # ------------------------------------------------------------ orders

    async def place_order(self, params: OrderParams) -> OrderResult:
        """Validate locally, then place exactly once (see :mod:`venuekit.retry`)."""
        if self.journal is not None:
            await self._recover_once()  # a crash's leftovers first: they hold funds and ids
        markets = self._markets
        market = markets.get(params.symbol) if markets is not None else None
        if market is None:
            market = await self.market(params.symbol)
        self.validate_order(params, market)
        rule = self.info.client_order_id
        cid = params.client_order_id
        if cid is None:
            cid = generate_client_order_id(rule)
        if rule.lowercase:
            cid = cid.lower()
        rule.check(cid)
        order = params if cid == params.client_order_id else with_client_order_id(params, cid)
        call = self.transport.protocol.hooks.place_order(order=order, market=market)
        if call is None:
            raise self._nothing_built("place_order")
        request = call.request
        if request.idempotent:
            raise PluginError("place_order built an idempotent request; orders must be "
                              "marked idempotent=False", plugin=self.exchange)
        # clock and token first: a failure here is not an order failure, nothing was sent
        if request.signed and (self.clock.stale() or self._uses_tokens):
            await self._prepare(call)
        if self.journal is None:
            # the first send without the placer's set-up: nearly every order succeeds at
            # once; on a failure the placer takes over from this very attempt
            attempt = Attempt()
            try:
                placed = await self.transport.send(call, attempt=attempt)
            except VenueError as exc:
                placed = await self._placer(call, order, market).place((attempt, exc))
        else:
            with self.journal.placing(self._journal_account, cid):
                placed = await self._placer(call, order, market).place()
        streams.note_order(self, placed)  # a watcher's resync then looks it up if it is missed
        return placed

    def _placer(self, call: Call[OrderResult], order: OrderParams,
                market: Market) -> OrderPlacer:
        """The no-duplicate protocol for one order (:class:`~venuekit.retry.OrderPlacer`)."""
        cid = order.client_order_id
        assert cid is not None  # place_order gives every order its id first
        symbol = market.symbol

        async def lookup() -> OrderResult:
            return await self.fetch_order(symbol, client_order_id=cid)

        can_lookup = Capability.FETCH_ORDER_BY_CLIENT_ID in self.info.capabilities
        return OrderPlacer(send=lambda attempt: self.transport.send(call, attempt=attempt),
                           lookup=lookup if can_lookup else None, resync=self._resync,
                           relogin=self._drop_token,
                           client_order_id=cid, exchange=self.exchange,
                           settle_s=self.order_settle_s, clock_ms=self.clock.now_ms,
                           max_sends=max(self.retry.max_tries, 1),
                           record=self._recorder(order, market))

    # ------------------------------------------------------------ order journal

    @property
    def _journal_account(self) -> str:
        creds = self.credentials
        return account_id(self.exchange, creds.api_key if creds else None, testnet=self.testnet)

    def _recorder(self, order: OrderParams, market: Market) -> JournalRecorder | None:
        if self.journal is None:
            return None
        return JournalRecorder(journal=self.journal, account=self._journal_account,
                               order=order, symbol=market.symbol, settle_s=self.order_settle_s)

    async def recover(self) -> list[OrderResult | VenueError]:
        """Resolve every order the journal left open, by look-up only (never a resend).

        One item per open order of this account: the :class:`OrderResult` the venue has,
        :class:`OrderNeverPlaced` when it does not have it and its window has closed, or
        :class:`OrderStatusUnknown` when that cannot be known yet (see
        :mod:`venuekit.journal`). Without a journal there is nothing to recover.
        """
        if self.journal is None:
            return []
        from .recovery import recover
        return await recover(self, self.journal, self._journal_account)

    async def _recover_once(self) -> None:
        if self._recovered:
            return
        if self._recover_lock is None:
            self._recover_lock = asyncio.Lock()
        async with self._recover_lock:
            if not self._recovered:
                await self.recover()  # what stays unknown stays in the journal, for later
                self._recovered = True

    def new_client_order_id(self) -> str:
        """A fresh client order id within this venue's rules.

        Give it to :meth:`place_order` (``OrderParams(client_order_id=...)``) when the id
        must be known before the order is sent: printed, stored, or used to look the
        order up after a crash or an interrupt.
        """
        rule = self.info.client_order_id
        cid = generate_client_order_id(rule)
        return cid.lower() if rule.lowercase else cid

    def validate_order(self, params: OrderParams, market: Market) -> None:
        """Refuse locally what the venue would refuse: step, tick, minimums, options."""
        info = self.info
        if not market.active:
            raise InvalidOrder(f"{_where(market, info)} is not trading", exchange=self.exchange)
        by_quote = _buys_by_quote(info.capabilities)
        is_market_buy = params.type is OrderType.MARKET and params.side is Side.BUY
        if params.quote_quantity is not None and not by_quote:
            raise InvalidOrder(f"{info.display_name} sizes orders in base quantity; "
                               "give quantity, not quote_quantity", exchange=self.exchange)
        if by_quote and is_market_buy and params.quote_quantity is None:
            raise InvalidOrder(f"{info.display_name} sizes market buys in quote "
                               f"currency; give quote_quantity (in {market.quote})",
                               exchange=self.exchange)
        if params.reduce_only and Capability.REDUCE_ONLY not in info.capabilities:
            raise InvalidOrder(f"{info.display_name} has no reduce-only orders",
                               exchange=self.exchange)
        qty = params.quantity
        if qty is not None and not (by_quote and is_market_buy):
            if market.step_size and qty % market.step_size != 0:
                raise InvalidOrder(f"quantity {qty} is not a multiple of the step "
                                   f"{market.step_size} for {_where(market, info)}",
                                   exchange=self.exchange)
            if qty < market.min_quantity:
                raise BelowMinimum(f"quantity {qty} is under the minimum "
                                   f"{market.min_quantity} for {_where(market, info)}",
                                   exchange=self.exchange)
        if params.price is not None and market.tick_size and \
                params.price % market.tick_size != 0:
            raise InvalidOrder(f"price {params.price} is not a multiple of the tick "
                               f"{market.tick_size} for {_where(market, info)}",
                               exchange=self.exchange)
        notional = _notional(params)
        if market.min_notional and notional is not None and notional < market.min_notional:
            raise BelowMinimum(f"order value {notional} {market.quote} is under the minimum "
                               f"{market.min_notional} for {_where(market, info)}",
                               exchange=self.exchange)

    async def cancel_order(self, symbol: str, *, order_id: str | None = None,
                           client_order_id: str | None = None) -> OrderResult:
        market = await self.market(symbol)
        ref = OrderRef(market.symbol, order_id, client_order_id)
        call = self._built("cancel_order", self._hook.cancel_order(ref=ref, market=market))
        result: OrderResult = await self.run(call)
        return result

    async def fetch_order(self, symbol: str, *, order_id: str | None = None,
                          client_order_id: str | None = None) -> OrderResult:
        market = await self.market(symbol)
        ref = OrderRef(market.symbol, order_id, client_order_id)
        call = self._built("fetch_order", self._hook.fetch_order(ref=ref, market=market))
        result: OrderResult = await self.run(call)
        return result

    # ------------------------------------------------------------ connection test

    async def check_connection(self, *, timeout_s: float | None = None,
                               on_step: StepObserver | None = None) -> ConnectionReport:
        """Run the plugin's test steps under one overall timeout; never raises for the venue.

        Every step is logged with its name, duration, outcome and one detail line from
        which any credential value is scrubbed; ``on_step`` sees each step as it ends.
        """
        return await run_checks(self, timeout_s or self.check_timeout_s, on_step)

    def check_steps(self) -> list[Check]:
        """The connection test's steps: the plugin's own, or the default ones."""
        hooks = self._hook
        steps = hooks.check_connection()
        if steps is not None:
            return steps
        return default_checks(server_time=hooks.server_time(),
                              balance=self._built("fetch_balance", hooks.fetch_balance()),
                              permissions=hooks.key_permissions())

    async def measure_clock(self, call: Call[object]) -> None:
        """Measure the venue's clock afresh with ``call`` (the connection test's first step).

        Raises:
            PluginError: the call did not parse to milliseconds.
        """
        async def fetch() -> int:
            value = await self.transport.send(call)
            if not isinstance(value, int) or isinstance(value, bool):
                raise PluginError(f"server time parsed to {type(value).__name__}, not int",
                                  plugin=self.exchange)
            return value

        self.clock.reset()
        await self.clock.sync(fetch)

    @property
    def scrubber(self) -> Scrubber:
        """Masks this connector's credential and token values in any text."""
        return self.transport.protocol.scrubber

    def scrub(self, text: str) -> str:
        return self.scrubber.text(text)

    # ------------------------------------------------------------ account state and market data
    # (0.2, issue 14) Thin delegations: the logic lives in venuekit.account.

    async def fetch_open_orders(self, symbol: str | None = None) -> list[OrderResult]:
        """Open orders on ``symbol``; None lists every symbol where the venue can."""
        return await account.fetch_open_orders(self, symbol)

    async def fetch_my_trades(self, symbol: str, since: datetime | int | None = None,
                              limit: int | None = None) -> list[Fill]:
        """The account's fills on ``symbol``, oldest first (ties by trade id); core pages.

        ``since`` is an aware datetime or epoch milliseconds; fills at or after it.
        """
        return await account.fetch_my_trades(self, symbol, since, limit)

    async def fetch_positions(self, symbols: Sequence[str] | str | None = None
                              ) -> list[Position]:
        """Open positions (flat ones left out), on ``symbols`` (one string: one symbol) or
        everywhere."""
        return await account.fetch_positions(self, symbols)

    async def cancel_all_orders(self, symbol: str) -> list[OrderResult]:
        """Cancel every open order on ``symbol``; returns the orders that were open."""
        return await account.cancel_all_orders(self, symbol)

    async def amend_order(self, symbol: str, order_id: str | None = None,
                          client_order_id: str | None = None, quantity: object = None,
                          price: object = None) -> OrderResult:
        """Change an open order's quantity (base currency) and/or price in place."""
        return await account.amend_order(self, symbol, order_id, client_order_id,
                                         quantity, price)

    async def set_leverage(self, symbol: str, leverage: int) -> int:
        """Set ``symbol``'s leverage; returns the leverage now in force."""
        return await account.set_leverage(self, symbol, leverage)

    async def place_orders(self, orders: Sequence[OrderParams]
                           ) -> list[OrderResult | VenueError]:
        """Place several orders in batches; one result or error per order, in order."""
        return await batch.place_orders(self, orders)

    async def fetch_ticker(self, symbol: str) -> Ticker:
        """Best bid, best ask and last price of ``symbol``."""
        return await account.fetch_ticker(self, symbol)

    async def fetch_order_book(self, symbol: str, depth: int = 20) -> OrderBook:
        """An order-book snapshot of ``symbol``, ``depth`` levels per side."""
        return await account.fetch_order_book(self, symbol, depth)

    # ------------------------------------------------------------ streams
    # (0.2, issue 15) Thin delegations: the logic lives in venuekit.streams. Each is an
    # async iterator that raises NotSupported / UnknownSymbol before anything is sent and
    # ends when the connector closes.

    def watch_orders(self, symbol: str | None = None) -> AsyncIterator[OrderResult]:
        """Each change of an order (``symbol`` None: every symbol), final states included."""
        return stream_watch.watch_orders(self, symbol)

    def watch_fills(self, symbol: str | None = None) -> AsyncIterator[Fill]:
        """Each execution of our orders, once (by trade id)."""
        return stream_watch.watch_fills(self, symbol)

    def watch_balance(self) -> AsyncIterator[Balance]:
        """The balance after each change (the first item is the current balance)."""
        return stream_watch.watch_balance(self)

    def watch_positions(self) -> AsyncIterator[list[Position]]:
        """Open positions after each change (the first item is the current list)."""
        return stream_watch.watch_positions(self)

    def watch_ticker(self, symbol: str) -> AsyncIterator[Ticker]:
        """Best bid, ask and last of ``symbol``; a slow reader gets the latest."""
        return stream_watch.watch_ticker(self, symbol)

    def watch_order_book(self, symbol: str, depth: int = 20) -> AsyncIterator[OrderBook]:
        """A consistent local book of ``symbol`` after each update, never across a gap."""
        return stream_watch.watch_order_book(self, symbol, depth)

    def watch_trades(self, symbol: str) -> AsyncIterator[Trade]:
        """Public trades on ``symbol``."""
        return stream_watch.watch_trades(self, symbol)


@functools.lru_cache(maxsize=32)
def _buys_by_quote(capabilities: frozenset[Capability]) -> bool:
    """Whether the venue sizes market buys in quote currency, worked out once per venue
    (a membership test hashes the enum member in Python; orders ask on every call)."""
    return Capability.MARKET_BUY_BY_QUOTE in capabilities


def _where(market: Market, info: ExchangeInfo) -> str:
    """The market as error messages name it (built only when an order is refused)."""
    return f"{market.symbol} on {info.display_name}"


def _notional(params: OrderParams) -> Decimal | None:
    if params.quote_quantity is not None:
        return params.quote_quantity
    if params.price is not None and params.quantity is not None:
        return params.price * params.quantity
    return None


def _close_matches(symbol: str, markets: Mapping[str, Market]) -> str:
    import difflib
    names = sorted({m.symbol for m in markets.values()})
    hits = difflib.get_close_matches(symbol.upper(), names, n=3, cutoff=0.5)
    return ", ".join(hits)

