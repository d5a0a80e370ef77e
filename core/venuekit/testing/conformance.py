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
ever produces a second order, Retry-After is honoured, and no secret leaks into logs,
reprs, reports or errors.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from decimal import Decimal
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
from ..models import (
    Auth,
    AuthToken,
    Capability,
    Credentials,
    OrderParams,
    OrderStatus,
)
from ..ratelimit import MemoryLimiter
from ..registry import Registry
from ..retry import RetryPolicy
from ..wire import Request, Response, SignedRequest
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


def _auth_kind() -> Any:
    from .state import ErrorKind
    return ErrorKind.SIGNATURE

