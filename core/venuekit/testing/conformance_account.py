"""Conformance tests of account state and market data (0.2), inherited by every plugin's
``TestConformance`` through :class:`~venuekit.testing.conformance.ExchangeConformance`.

One test per operation. Where a plugin declares a capability absent, the test asserts
:class:`~venuekit.NotSupported` with nothing sent, and only then reports itself skipped:
a skip is never silent. Set ``fills_path`` and ``batch_path`` to the venue's endpoints so
paging and the lost-batch case are proven on the wire.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

import pytest

from ..account_models import PositionSide
from ..errors import NotSupported, OrderNotFound, OrderStatusUnknown
from ..models import Capability, OrderParams, OrderResult, OrderStatus

if TYPE_CHECKING:
    from ..connector import Connector
    from ..registry import Registry
    from .simulator import Simulator

__all__ = ["AccountConformance"]


class AccountConformance:
    """The part-two half of the suite; the attributes below are set by the plugin's class."""

    name: ClassVar[str]
    symbol: ClassVar[str]
    quantity: ClassVar[Decimal]
    resting_price: ClassVar[Decimal]
    order_path: ClassVar[str]
    #: fills made to prove paging (more than the simulator's page holds)
    fills_to_page: ClassVar[int] = 5
    #: the fills endpoint, to count that more than one page was read (None: not counted)
    fills_path: ClassVar[str | None] = None
    #: the batch-place endpoint, for the lost-answer test (None: the order path)
    batch_path: ClassVar[str | None] = None
    #: an order id in the venue's format that the simulator does not know
    missing_order_id: ClassVar[str] = "999999999"

    def order(self, **changes: Any) -> OrderParams:
        raise NotImplementedError  # ExchangeConformance provides it

    def registry(self) -> Registry:
        raise NotImplementedError  # ExchangeConformance provides it

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
