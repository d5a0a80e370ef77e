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

It proves, against the plugin's own simulator and through the real core: the plugin loads
and describes itself completely, the published signature examples reproduce, every code of
its error table maps to the declared class, a connection test / balance / order / cancel
round trip works, bad orders are refused before anything is sent, no ambiguous failure
ever produces a second order, Retry-After is honoured, and no secret leaks into logs,
reprs, reports or errors.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from decimal import Decimal
from types import ModuleType
from typing import Any, ClassVar

import pytest
import pytest_asyncio
from attrs import frozen

from ..account_models import PositionSide
from ..connector import Connector, connect
from ..convert import to_jsonable
from ..errors import (
    AuthenticationError,
    ExchangeError,
    InvalidOrder,
    NotSupported,
    OrderNotFound,
    OrderStatusUnknown,
    UnknownSymbol,
    VenueError,
)
from ..models import (
    Auth,
    AuthToken,
    Capability,
    Credentials,
    OrderParams,
    OrderResult,
    OrderStatus,
)
from ..ratelimit import MemoryLimiter
from ..registry import Registry
from ..retry import RetryPolicy
from ..wire import Request, Response, SignedRequest
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


class ExchangeConformance:
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
    #: account state (0.2): fills made to prove paging (more than the simulator's page)
    fills_to_page: ClassVar[int] = 5
    #: the fills endpoint, to count that more than one page was read (None: not counted)
    fills_path: ClassVar[str | None] = None
    #: the batch-place endpoint, for the lost-answer test (None: the order path)
    batch_path: ClassVar[str | None] = None
    #: an order id in the venue's format that the simulator does not know
    missing_order_id: ClassVar[str] = "999999999"

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


    # ------------------------------------------------------------ account state and market data
    # One test per operation. Where the plugin declares a capability absent, the test
    # asserts NotSupported with nothing sent, then reports itself skipped: never silently.

    async def _assert_not_supported(self, sim: Simulator, conn: Connector,
                                    operation: Callable[[], Awaitable[Any]]) -> None:
        await conn.fetch_markets()
        before = len(sim.stats.requests)
        with pytest.raises(NotSupported) as info:
            await operation()
        assert info.value.exchange == self.name
        assert len(sim.stats.requests) == before, "NotSupported must be raised before sending"
        pytest.skip(f"{self.name} declares no support: {info.value}")

    async def _resting_ladder(self, conn: Connector, count: int) -> list[OrderParams]:
        market = await conn.market(self.symbol)
        return [self.order(price=self.resting_price - market.tick_size * i)
                for i in range(count)]

    async def _fill_once(self, conn: Connector, side: str = "buy") -> OrderResult:
        fields: dict[str, Any] = {"type": "market", "price": None, "side": side}
        if side == "buy" and conn.info.has(Capability.MARKET_BUY_BY_QUOTE):
            fields.update(quantity=None, quote_quantity=Decimal("100"))
        return await conn.place_order(self.order(**fields))

    def test_declared_capabilities_have_their_hooks(self) -> None:
        loaded = self.registry().load(self.name)
        for capability, hook in _CAPABILITY_HOOKS.items():
            if loaded.info.has(capability):
                assert hook in loaded.hooks, f"{capability.name} declared, {hook} missing"
        if loaded.info.has(Capability.PLACE_ORDERS):
            assert loaded.info.max_batch_orders > 1, "declare max_batch_orders"
        if loaded.info.has(Capability.CANCEL_ORDERS):
            assert loaded.info.max_batch_cancels > 1, "declare max_batch_cancels"

    async def test_fetch_open_orders(self, sim: Simulator, conn: Connector) -> None:
        if not conn.info.has(Capability.FETCH_OPEN_ORDERS):
            await self._assert_not_supported(sim, conn,
                                             lambda: conn.fetch_open_orders(self.symbol))
        placed = await conn.place_order(self.order())
        listed = await conn.fetch_open_orders(self.symbol)
        assert [o.order_id for o in listed] == [placed.order_id]
        assert listed[0].symbol == self.symbol and listed[0].status is OrderStatus.OPEN
        assert listed[0].quantity == self.quantity

    async def test_fetch_open_orders_of_every_symbol(self, sim: Simulator,
                                                     conn: Connector) -> None:
        if not conn.info.has(Capability.FETCH_OPEN_ORDERS_ALL_SYMBOLS):
            await self._assert_not_supported(sim, conn, lambda: conn.fetch_open_orders())
        placed = await conn.place_order(self.order())
        listed = await conn.fetch_open_orders()
        assert placed.order_id in {o.order_id for o in listed}
        assert {o.symbol for o in listed} == {self.symbol}

    async def test_fetch_my_trades_pages_oldest_first(self, sim: Simulator,
                                                      conn: Connector) -> None:
        if not conn.info.has(Capability.FETCH_MY_TRADES):
            await self._assert_not_supported(sim, conn,
                                             lambda: conn.fetch_my_trades(self.symbol))
        order_ids = [(await self._fill_once(conn, "buy" if i % 2 == 0 else "sell")).order_id
                     for i in range(self.fills_to_page)]
        before = sim.stats.count(self.fills_path) if self.fills_path else 0
        fills = await conn.fetch_my_trades(self.symbol)
        assert {f.order_id for f in fills} == set(order_ids)
        assert len({f.trade_id for f in fills}) == len(fills)
        assert fills == sorted(fills, key=lambda f: f.timestamp)
        assert all(f.symbol == self.symbol and f.quantity > 0 for f in fills)
        if self.fills_path:
            assert sim.stats.count(self.fills_path) - before > 1, "paging was not exercised"
        newest = await conn.fetch_my_trades(self.symbol, limit=2)
        assert [f.trade_id for f in newest] == [f.trade_id for f in fills[-2:]]

    async def test_fetch_positions(self, sim: Simulator, conn: Connector) -> None:
        if not conn.info.has(Capability.FETCH_POSITIONS):
            await self._assert_not_supported(sim, conn, lambda: conn.fetch_positions())
        assert await conn.fetch_positions([self.symbol]) == []
        await self._fill_once(conn, "buy")
        positions = await conn.fetch_positions([self.symbol])
        assert len(positions) == 1
        assert positions[0].symbol == self.symbol
        assert positions[0].side is PositionSide.LONG
        assert positions[0].quantity == self.quantity  # base currency, contracts converted

    async def test_cancel_all_orders(self, sim: Simulator, conn: Connector) -> None:
        if not (conn.info.has(Capability.CANCEL_ALL_ORDERS)
                or conn.info.has(Capability.FETCH_OPEN_ORDERS)):
            await self._assert_not_supported(sim, conn,
                                             lambda: conn.cancel_all_orders(self.symbol))
        placed = [await conn.place_order(order) for order in await self._resting_ladder(conn, 3)]
        cancelled = await conn.cancel_all_orders(self.symbol)
        assert {o.order_id for o in cancelled} == {o.order_id for o in placed}
        for order in placed:
            after = await conn.fetch_order(self.symbol, order_id=order.order_id)
            assert after.status is OrderStatus.CANCELED

    async def test_amend_order_price(self, sim: Simulator, conn: Connector) -> None:
        market = await conn.market(self.symbol)
        new_price = self.resting_price - market.tick_size * 10
        placed = await conn.place_order(self.order())
        if not conn.info.has(Capability.AMEND_ORDER_PRICE):
            await self._assert_not_supported(sim, conn, lambda: conn.amend_order(
                self.symbol, order_id=placed.order_id, price=new_price))
        amended = await conn.amend_order(self.symbol, order_id=placed.order_id,
                                         price=new_price)
        assert amended.price == new_price
        assert (await conn.fetch_order(self.symbol, order_id=amended.order_id)).price \
            == new_price

    async def test_amend_order_quantity(self, sim: Simulator, conn: Connector) -> None:
        placed = await conn.place_order(self.order())
        if not conn.info.has(Capability.AMEND_ORDER_QUANTITY):
            await self._assert_not_supported(sim, conn, lambda: conn.amend_order(
                self.symbol, order_id=placed.order_id, quantity=self.quantity * 2))
        amended = await conn.amend_order(self.symbol, order_id=placed.order_id,
                                         quantity=self.quantity * 2)
        assert amended.quantity == self.quantity * 2

    async def test_amend_of_a_missing_order_is_order_not_found(self, sim: Simulator,
                                                               conn: Connector) -> None:
        if not (conn.info.has(Capability.AMEND_ORDER_QUANTITY)):
            await self._assert_not_supported(sim, conn, lambda: conn.amend_order(
                self.symbol, order_id=self.missing_order_id, quantity=self.quantity))
        with pytest.raises(OrderNotFound):
            await conn.amend_order(self.symbol, order_id=self.missing_order_id,
                                   quantity=self.quantity * 2)

    async def test_set_leverage_and_already_set_is_success(self, sim: Simulator,
                                                           conn: Connector) -> None:
        if not conn.info.has(Capability.SET_LEVERAGE):
            await self._assert_not_supported(sim, conn,
                                             lambda: conn.set_leverage(self.symbol, 3))
        assert await conn.set_leverage(self.symbol, 3) == 3
        assert await conn.set_leverage(self.symbol, 3) == 3

    async def test_place_orders_in_chunks(self, sim: Simulator, conn: Connector) -> None:
        if not conn.info.has(Capability.PLACE_ORDERS):
            await self._assert_not_supported(
                sim, conn, lambda: conn.place_orders([self.order()]))
        count = conn.info.max_batch_orders + 1  # at least two chunks
        orders = await self._resting_ladder(conn, count)
        results = await conn.place_orders(orders)
        assert len(results) == count
        for order, result in zip(orders, results, strict=True):
            assert isinstance(result, OrderResult), result
            assert result.price == order.price and result.status is OrderStatus.OPEN
        assert len({r.client_order_id for r in results if isinstance(r, OrderResult)}) == count

    async def test_place_orders_answer_lost_makes_no_duplicate(
            self, sim: Simulator, conn: Connector) -> None:
        if not conn.info.has(Capability.PLACE_ORDERS):
            await self._assert_not_supported(
                sim, conn, lambda: conn.place_orders([self.order()]))
        orders = await self._resting_ladder(conn, 2)
        before = len([o for o in sim.state.orders.values() if o.is_open])
        sim.faults.drop_after_accept(path=self.batch_path or self.order_path)
        results = await conn.place_orders(orders)
        if conn.info.has(Capability.FETCH_ORDER_BY_CLIENT_ID):
            assert all(isinstance(r, OrderResult) for r in results), results
        else:
            assert all(isinstance(r, OrderStatusUnknown) for r in results), results
        assert len([o for o in sim.state.orders.values() if o.is_open]) - before == 2

    async def test_fetch_ticker(self, sim: Simulator, conn: Connector) -> None:
        if not conn.info.has(Capability.FETCH_TICKER):
            await self._assert_not_supported(sim, conn, lambda: conn.fetch_ticker(self.symbol))
        ticker = await conn.fetch_ticker(self.symbol)
        assert ticker.symbol == self.symbol
        assert ticker.bid is not None and ticker.ask is not None and ticker.bid <= ticker.ask
        assert ticker.timestamp.tzinfo is not None

    async def test_fetch_order_book(self, sim: Simulator, conn: Connector) -> None:
        if not conn.info.has(Capability.FETCH_ORDER_BOOK):
            await self._assert_not_supported(
                sim, conn, lambda: conn.fetch_order_book(self.symbol, depth=5))
        book = await conn.fetch_order_book(self.symbol, depth=5)
        assert book.symbol == self.symbol
        assert 0 < len(book.bids) <= 5 and 0 < len(book.asks) <= 5
        assert book.bids[0][0] < book.asks[0][0]
        assert all(qty > 0 for _, qty in (*book.bids, *book.asks))


def _auth_kind() -> Any:
    from .state import ErrorKind
    return ErrorKind.SIGNATURE


#: The hook behind each part-two capability (a declared capability needs its hook).
_CAPABILITY_HOOKS = {
    Capability.FETCH_OPEN_ORDERS: "fetch_open_orders",
    Capability.FETCH_OPEN_ORDERS_ALL_SYMBOLS: "fetch_open_orders",
    Capability.FETCH_MY_TRADES: "fetch_my_trades",
    Capability.FETCH_POSITIONS: "fetch_positions",
    Capability.CANCEL_ALL_ORDERS: "cancel_all_orders",
    Capability.CANCEL_ORDERS: "cancel_orders",
    Capability.AMEND_ORDER_PRICE: "amend_order",
    Capability.AMEND_ORDER_QUANTITY: "amend_order",
    Capability.SET_LEVERAGE: "set_leverage",
    Capability.PLACE_ORDERS: "place_orders",
    Capability.FETCH_TICKER: "fetch_ticker",
    Capability.FETCH_ORDER_BOOK: "fetch_order_book",
}
