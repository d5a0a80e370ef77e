"""The conformance suite every exchange plugin runs, by subclassing one class.

::

    from venuekit.testing.conformance import ExchangeConformance

    class TestConformance(ExchangeConformance):
        name = "myvenue"
        simulator = MyVenueSimulator
        error_table = errors.ERRORS
        signature_vectors = [...]
        order_path = "/api/v1/order"
        balance_path = "/api/v1/balance"

        def error_response(self, code, message):  # a Response shaped like the venue's
            ...

The tests of account state and market data (0.2) come from
:class:`~venuekit.testing.conformance_account.AccountConformance`, which it inherits.

It proves, against the plugin's own simulator and through the real core: the plugin loads
and describes itself completely, the published signature examples reproduce, every code of
its error table maps to the declared class, a connection test / balance / order / cancel
round trip works, bad orders are refused before anything is sent, no ambiguous failure
ever produces a second order (not even when the venue executes a request late after it
waited in the limiter), Retry-After is honoured, and no secret leaks into logs,
reprs, reports or errors.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

import pytest
import pytest_asyncio
from attrs import frozen

from ..connector import Connector, connect
from ..convert import to_jsonable
from ..errors import (
    AuthenticationError,
    ExchangeError,
    InvalidOrder,
    OrderStatusUnknown,
    UnknownSymbol,
    VenueError,
)
from ..journal import OrderJournal, account_id
from ..models import (
    Auth,
    AuthToken,
    Capability,
    Credentials,
    OrderParams,
    OrderRef,
    OrderResult,
    OrderStatus,
    RateLimit,
)
from ..ratelimit import MemoryLimiter
from ..registry import Registry
from ..retry import RetryPolicy
from ..wire import Call, Request, Response, SignedRequest
from .conformance_account import AccountConformance
from .conformance_streams import StreamConformance
from .simulator import Simulator

__all__ = ["ExchangeConformance", "SignatureVector"]


@frozen(kw_only=True)
class SignatureVector:
    """A published signing example: this request, these credentials, that signature."""

    name: str
    request: Request
    credentials: Credentials
    timestamp_ms: int
    signature: str
    token: AuthToken | None = None


#: How much slower than the venue's own rule the burst test's tightened rule runs.
BURST_RATE_SLACK = 1.5


class ExchangeConformance(AccountConformance, StreamConformance):
    """Base of every plugin's ``TestConformance``; set the class attributes below."""

    name: ClassVar[str]
    #: the plugin module; None loads it through its installed entry point (the real path)
    plugin: ClassVar[ModuleType | None] = None
    simulator: ClassVar[type[Simulator]]
    symbol: ClassVar[str] = "BTC/USDT:USDT"
    quantity: ClassVar[Decimal] = Decimal("0.01")
    #: a limit price that rests on the simulator's book (below its market price)
    resting_price: ClassVar[Decimal] = Decimal("40000")
    error_table: ClassVar[Mapping[Any, type[VenueError]]] = {}
    signature_vectors: ClassVar[Sequence[SignatureVector]] = ()
    order_path: ClassVar[str]
    balance_path: ClassVar[str]
    #: how long a sent order stays acceptable on the simulator (its receive window)
    order_settle_s: ClassVar[float] = 0.2
    #: compressed time for the late-execution tests (seconds): the receive window the
    #: simulator enforces, how late it executes an order, the client's timeout, the
    #: Retry-After of the 429 that precedes the order, and the core's margin on the window
    late_window_s: ClassVar[float] = 1.0
    late_delay_s: ClassVar[float] = 0.9
    late_timeout_s: ClassVar[float] = 0.3
    late_retry_after_s: ClassVar[float] = 0.5
    late_margin_s: ClassVar[float] = 0.2
    #: the queued burst: this many orders against the order rules tightened to
    #: ``burst_limit`` per ``burst_period_s``, so the last ones wait before signing
    burst_orders: ClassVar[int] = 9
    burst_limit: ClassVar[int] = 4
    burst_period_s: ClassVar[float] = 0.3

    # ------------------------------------------------------------ to override

    def error_response(self, code: Any, message: str) -> Response:
        """A response carrying ``code`` exactly as the venue sends it."""
        raise NotImplementedError("the plugin's conformance class must build error responses")

    def extract_signature(self, signed: SignedRequest) -> str:
        """Where the plugin puts its signature: a ``signature`` parameter or a *SIGN* header."""
        for key, value in signed.headers:
            if key.lower().endswith(("-sign", "-signature", "_sign", "_signature")):
                return value
        for source in (signed.query_string, signed.body.decode()):
            for part in source.split("&"):
                key, _, value = part.partition("=")
                if key == "signature":
                    return value
        raise AssertionError("no signature found in the signed request")

    def make_simulator(self) -> Simulator:
        return self.simulator()

    def registry(self) -> Registry:
        if self.plugin is not None:
            return Registry(extra={self.name: self.plugin}, autoload=False)
        return Registry(allow=[self.name])

    def order(self, **changes: Any) -> OrderParams:
        fields: dict[str, Any] = {"symbol": self.symbol, "side": "buy", "type": "limit",
                                  "quantity": self.quantity, "price": self.resting_price}
        fields.update(changes)
        return OrderParams(**fields)

    def connect_to(self, sim: Simulator, credentials: Credentials | None = None,
                   **options: Any) -> Connector:
        settings: dict[str, Any] = {
            "base_url": sim.api_url, "registry": self.registry(), "limiter": MemoryLimiter(),
            "retry": RetryPolicy(max_tries=3, base_delay_s=0.01, max_delay_s=0.05),
            "order_settle_s": self.order_settle_s,
        }
        settings.update(options)
        return connect(self.name, credentials or sim.credentials, **settings)

    def market_order(self, conn: Connector, **changes: Any) -> OrderParams:
        """A market buy sized the way the venue sizes them (base or quote quantity)."""
        fields: dict[str, Any] = {"type": "market", "price": None}
        if conn.info.has(Capability.MARKET_BUY_BY_QUOTE):
            fields.update(quantity=None, quote_quantity=Decimal("100"))
        fields.update(changes)
        return self.order(**fields)

    def late_connector(self, sim: Simulator, **options: Any) -> Connector:
        """A connector and simulator on the compressed clock of the late-execution tests."""
        sim.receive_window_ms = round(self.late_window_s * 1000)
        return self.connect_to(sim, timeout_s=self.late_timeout_s,
                               order_settle_s=self.late_window_s + self.late_margin_s,
                               **options)

    async def _burst_rules(self) -> dict[str, RateLimit | None]:
        """The order's rate-limit rules, tightened so that a burst of orders queues.

        Rules that orders cost and look-ups do not are tightened (else every rule orders
        cost), never below the dearest request the test makes, which could then never pass.
        The market comes from a simulator of its own, so the test's venue counts nothing.
        """
        async with self.make_simulator() as probe_sim, self.connect_to(probe_sim) as conn:
            market = await conn.market(self.symbol)
        cid = conn.new_client_order_id()
        hooks = self.registry().load(self.name).callers()
        placing = hooks.place_order(order=self.market_order(conn, client_order_id=cid),
                                    market=market)
        assert placing is not None
        order = placing.request.cost
        others: list[Call[object] | None] = [hooks.fetch_markets(), hooks.server_time()]
        looked_up: set[str] = set()
        if conn.info.has(Capability.FETCH_ORDER_BY_CLIENT_ID):
            lookup = hooks.fetch_order(ref=OrderRef(market.symbol, client_order_id=cid),
                                       market=market)
            assert lookup is not None
            others.append(lookup)
            looked_up = {name for name, cost in lookup.request.cost.items() if cost}
        ordered = {name for name, cost in order.items() if cost}
        chosen = ordered - looked_up or ordered
        tight: dict[str, RateLimit | None] = {}
        for rule in conn.info.rate_limits:
            if rule.name in chosen:
                limit = max([self.burst_limit * order[rule.name]]
                            + [c.request.cost.get(rule.name, 0) for c in others if c])
                # well under the venue's own rate, which would answer with a 429 (a ban
                # on some venues)
                period = max(self.burst_period_s,
                             BURST_RATE_SLACK * limit * rule.period_s / rule.limit)
                tight[rule.name] = RateLimit(rule.name, limit, period, rule.scope)
        return tight

    # ------------------------------------------------------------ fixtures

    @pytest_asyncio.fixture
    async def sim(self) -> AsyncIterator[Simulator]:
        async with self.make_simulator() as simulator:
            yield simulator

    @pytest_asyncio.fixture
    async def conn(self, sim: Simulator) -> AsyncIterator[Connector]:
        async with self.connect_to(sim) as connector:
            yield connector

    # ------------------------------------------------------------ the plugin itself

    def test_plugin_loads_alone(self) -> None:
        loaded = self.registry().load(self.name)
        assert loaded.info.name == self.name
        assert {"exchange_info", "sign_request", "place_order", "parse_error"} <= set(loaded.hooks)

    def test_exchange_info_is_complete(self) -> None:
        info = self.registry().load(self.name).info
        assert info.hosts.live.startswith("https://")
        assert info.rate_limits, "declare the venue's rate limits"
        assert info.credential_fields and "api_key" in info.credential_fields
        assert info.key_types
        assert info.client_order_id.max_length > 0

    def test_signature_vectors_reproduce(self) -> None:
        assert self.signature_vectors, "give at least one published or computed vector"
        hook = self.registry().load(self.name).manager.hook
        for vector in self.signature_vectors:
            signed = hook.sign_request(request=vector.request,
                                       auth=Auth(vector.credentials, vector.token),
                                       timestamp_ms=vector.timestamp_ms)
            assert self.extract_signature(signed) == vector.signature, vector.name

    def test_every_error_code_maps_to_its_class(self) -> None:
        assert self.error_table, "the plugin's error table is empty"
        hook = self.registry().load(self.name).manager.hook
        for code, cls in self.error_table.items():
            error = hook.parse_error(response=self.error_response(code, f"message {code}"))
            assert type(error) is cls, f"code {code}: {type(error).__name__} != {cls.__name__}"
            assert error.code == str(code)

    def test_unknown_error_code_keeps_code_and_message(self) -> None:
        hook = self.registry().load(self.name).manager.hook
        error = hook.parse_error(response=self.error_response(987654, "mystery"))
        assert type(error) is ExchangeError
        assert error.code == "987654"
        assert "mystery" in str(error)

    # ------------------------------------------------------------ end to end

    async def test_connection_test_passes(self, conn: Connector) -> None:
        report = await conn.check_connection()
        assert report.ok, [s.detail for s in report.steps]
        assert report.balance is not None
        assert all(step.duration_ms >= 0 for step in report.steps)

    async def test_balance(self, conn: Connector) -> None:
        balance = await conn.fetch_balance()
        assert balance.exchange == self.name
        assert any(asset.total > 0 for asset in balance.assets)

    async def test_limit_order_round_trip(self, conn: Connector) -> None:
        placed = await conn.place_order(self.order())
        assert placed.status is OrderStatus.OPEN
        assert placed.client_order_id
        by_id = await conn.fetch_order(self.symbol, order_id=placed.order_id)
        assert by_id.order_id == placed.order_id
        if conn.info.has(Capability.FETCH_ORDER_BY_CLIENT_ID):
            by_client = await conn.fetch_order(self.symbol, client_order_id=placed.client_order_id)
            assert by_client.order_id == placed.order_id
        await conn.cancel_order(self.symbol, order_id=placed.order_id)
        after = await conn.fetch_order(self.symbol, order_id=placed.order_id)
        assert after.status is OrderStatus.CANCELED

    async def test_market_order_fills(self, conn: Connector) -> None:
        fields: dict[str, Any] = {"type": "market", "price": None}
        if conn.info.has(Capability.MARKET_BUY_BY_QUOTE):
            fields.update(quantity=None, quote_quantity=Decimal("100"))
        placed = await conn.place_order(self.order(**fields))
        final = await conn.fetch_order(self.symbol, order_id=placed.order_id)
        assert final.status is OrderStatus.FILLED

    async def test_bad_orders_are_refused_before_sending(self, sim: Simulator,
                                                         conn: Connector) -> None:
        market = await conn.market(self.symbol)
        before = len(sim.stats.requests)
        with pytest.raises(InvalidOrder, match="step"):
            await conn.place_order(self.order(quantity=self.quantity + market.step_size / 2))
        with pytest.raises(InvalidOrder, match="tick"):
            await conn.place_order(self.order(price=self.resting_price + market.tick_size / 2))
        with pytest.raises(UnknownSymbol):
            await conn.place_order(self.order(symbol="NOPE/USDT:USDT"))
        assert len(sim.stats.requests) == before

    async def test_wrong_secret_is_an_authentication_error(self, sim: Simulator) -> None:
        creds = sim.credentials
        wrong = Credentials(api_key=creds.api_key, api_secret=creds.api_secret[::-1] + "x",
                            passphrase=creds.passphrase, key_type=creds.key_type,
                            private_key=creds.private_key)
        async with self.connect_to(sim, wrong, retry=RetryPolicy.none()) as conn:
            with pytest.raises(AuthenticationError):
                await conn.fetch_balance()

    async def test_no_duplicate_when_connection_drops_after_accept(
            self, sim: Simulator, conn: Connector) -> None:
        await conn.fetch_markets()
        sim.faults.drop_after_accept(path=self.order_path)
        if conn.info.has(Capability.FETCH_ORDER_BY_CLIENT_ID):
            placed = await conn.place_order(self.order())
            assert placed.status is OrderStatus.OPEN
        else:
            with pytest.raises(OrderStatusUnknown) as info:
                await conn.place_order(self.order())
            assert info.value.client_order_id
        assert len(sim.state.orders) == 1

    async def test_resent_once_when_first_send_never_arrived(
            self, sim: Simulator, conn: Connector) -> None:
        await conn.fetch_markets()
        sim.faults.drop_before_accept(path=self.order_path)
        if conn.info.has(Capability.FETCH_ORDER_BY_CLIENT_ID):
            placed = await conn.place_order(self.order())
            assert placed.status is OrderStatus.OPEN
            assert len(sim.state.orders) == 1
        else:  # core cannot tell "never arrived" from "arrived": it must not resend
            with pytest.raises(OrderStatusUnknown):
                await conn.place_order(self.order())
            assert len(sim.state.orders) == 0

    async def test_no_duplicate_after_retry_after_and_late_execution(
            self, sim: Simulator) -> None:
        # issue 12: a 429 blocks the limiter, the resend waits out Retry-After before it is
        # signed, then the venue executes it after the client gave up on it
        async with self.late_connector(sim) as conn:
            await conn.fetch_markets()
            params = self.market_order(conn, client_order_id=conn.new_client_order_id())
            sim.faults.rate_limit_next(retry_after=self.late_retry_after_s, path=self.order_path)
            sim.faults.execute_late(delay_s=self.late_delay_s, path=self.order_path)
            outcome = await _outcome(conn, params)
            await sim.settle()
        assert sim.stats.count(self.order_path, "POST") >= 2  # the 429, then the late one
        _assert_once_and_told(sim, [(params, outcome)])

    async def test_no_duplicate_after_queued_burst_and_late_execution(
            self, sim: Simulator) -> None:
        # issue 12: a burst queues behind the limiter, so later orders are signed long after
        # they were asked for; every one is executed by the venue after the client gave up
        tight = await self._burst_rules()
        assert tight, "place_order costs no declared rate-limit rule"
        async with self.late_connector(sim, rate_limits=tight) as conn:
            await conn.fetch_markets()
            burst = [self.market_order(conn, client_order_id=conn.new_client_order_id())
                     for _ in range(self.burst_orders)]
            sim.faults.execute_late(self.burst_orders, delay_s=self.late_delay_s,
                                    path=self.order_path)
            outcomes = await asyncio.gather(*(_outcome(conn, p) for p in burst))
            await sim.settle()
        arrivals = [at for at, method, path in sim.stats.requests
                    if method == "POST" and path == self.order_path]
        assert max(arrivals) - min(arrivals) >= self.burst_period_s  # the burst did queue
        assert sim.stats.rate_limited == 0  # queued by the core, not refused by the venue
        _assert_once_and_told(sim, list(zip(burst, outcomes, strict=True)))

    async def test_recover_resolves_a_journaled_order_by_lookup_only(
            self, sim: Simulator, tmp_path: Path) -> None:
        # a host died after its order reached the venue, before the answer was journaled
        journal_path = tmp_path / "orders.jsonl"
        limiter = MemoryLimiter()  # one budget for both connectors, as the venue counts it
        async with self.connect_to(sim, limiter=limiter) as conn:
            placed = await conn.place_order(self.order())
            assert placed.client_order_id
            account = account_id(self.name, sim.credentials.api_key, testnet=False)
            OrderJournal.open(journal_path).sent(
                account, self.order(client_order_id=placed.client_order_id), placed.symbol,
                conn.clock.now_ms() - 60_000, conn.order_settle_s)
        posts = sim.stats.count(self.order_path, "POST")
        async with self.connect_to(sim, journal=journal_path, limiter=limiter) as conn:
            (item,) = await conn.recover()
        if conn.info.has(Capability.FETCH_ORDER_BY_CLIENT_ID):
            assert isinstance(item, OrderResult) and item.order_id == placed.order_id
        else:
            assert isinstance(item, OrderStatusUnknown)
            assert item.client_order_id == placed.client_order_id
        assert sim.stats.count(self.order_path, "POST") == posts  # looked up, never resent

    async def test_retry_after_is_honoured(self, sim: Simulator, conn: Connector) -> None:
        await conn.fetch_balance()
        sim.faults.rate_limit_next(retry_after=0.3, path=self.balance_path)
        started = time.monotonic()
        balance = await conn.fetch_balance()
        assert balance.assets
        assert time.monotonic() - started >= 0.29

    async def test_no_secret_leaks(self, sim: Simulator, caplog: pytest.LogCaptureFixture) -> None:
        caplog.set_level(logging.DEBUG)
        creds = sim.credentials
        seen: list[str] = []
        async with self.connect_to(sim) as conn:
            report = await conn.check_connection()
            seen += [repr(conn), repr(creds), str(creds), repr(report), str(to_jsonable(report))]
            placed = await conn.place_order(self.order())
            seen.append(repr(placed))
            # twice: token venues heal one refusal with a fresh login, then must fail
            sim.faults.error_next(_auth_kind(), count=2, path=self.balance_path)
            with pytest.raises(VenueError) as info:
                await conn.fetch_balance()
            seen += [str(info.value), repr(info.value), str(info.value.request)]
        seen += [record.getMessage() for record in caplog.records]
        text = "\n".join(seen)
        for secret in (creds.api_secret, creds.passphrase, creds.private_key):
            if secret:
                assert secret not in text


    async def test_a_venue_echoing_credentials_never_leaks_them(
            self, sim: Simulator, caplog: pytest.LogCaptureFixture) -> None:
        from .state import ErrorKind
        caplog.set_level(logging.DEBUG)
        creds = sim.credentials
        echoed = " ".join(v for v in (creds.api_key, creds.api_secret, creds.passphrase,
                                      creds.private_key) if v)
        seen: list[str] = []
        wire: list[bytes] = []
        async with self.connect_to(sim) as conn:
            conn.transport.on_response = lambda response: wire.append(response.body)
            await conn.fetch_markets()
            for kind, path, operation in (
                    (ErrorKind.INSUFFICIENT_FUNDS, self.order_path,
                     lambda: conn.place_order(self.order())),
                    (ErrorKind.INVALID, self.balance_path, conn.fetch_balance)):
                sim.faults.error_next(kind, count=3, path=path, message=f"you sent {echoed}")
                with pytest.raises(VenueError) as info:
                    await operation()
                error = info.value
                seen += [str(error), repr(error), repr(error.args), str(error.request),
                         str(error.venue_message), error.message]
                sim.faults.clear()
        seen += [record.getMessage() for record in caplog.records]
        text = "\n".join(seen)
        assert any(creds.api_key.encode() in body for body in wire), "the venue echoed nothing"
        if "you sent" in text:  # the plugin kept the venue's text: it must be masked there
            assert "you sent ***" in text
        for secret in (creds.api_key, creds.api_secret, creds.passphrase, creds.private_key):
            if secret:
                assert secret not in text


async def _outcome(conn: Connector, params: OrderParams) -> OrderResult | VenueError:
    try:
        return await conn.place_order(params)
    except VenueError as exc:
        return exc


def _assert_once_and_told(sim: Simulator,
                          placed: Sequence[tuple[OrderParams, OrderResult | VenueError]]) -> None:
    """Every order is at the venue at most once, and the caller was told the truth.

    An order reported placed is there exactly once; an order reported failed is not there
    at all unless the report is :class:`OrderStatusUnknown` (then it may be).
    """
    for params, outcome in placed:
        cid = (params.client_order_id or "").lower()
        copies = [o for o in sim.state.orders.values()
                  if (o.client_order_id or "").lower() == cid]
        assert len(copies) <= 1, f"{cid} executed {len(copies)} times at the venue"
        if isinstance(outcome, OrderResult):
            assert [o.order_id for o in copies] == [outcome.order_id], cid
        elif not isinstance(outcome, OrderStatusUnknown):
            assert not copies, f"{cid} executed but reported as {type(outcome).__name__}"


def _auth_kind() -> Any:
    from .state import ErrorKind
    return ErrorKind.SIGNATURE

