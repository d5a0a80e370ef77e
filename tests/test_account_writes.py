"""Cancel-all (native and composed), amend, set leverage and NotSupported, through the
connector against the example venue's simulator."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from account_support import connect_variant, variant
from venuekit import (
    Capability,
    InvalidArgument,
    InvalidOrder,
    NotSupported,
    OrderNotFound,
    OrderParams,
    OrderStatus,
)
from venuekit.connector import Connector
from venuekit.testing.example import plugin as example_plugin
from venuekit.testing.example.simulator import ExampleSimulator

SYMBOL = "BTC/USDT:USDT"


def resting(price: str = "40000", qty: str = "0.01") -> OrderParams:
    return OrderParams(symbol=SYMBOL, side="buy", type="limit", quantity=qty, price=price)


# ---------------------------------------------------------------- cancel-all


async def test_cancel_all_returns_what_was_open_and_leaves_other_symbols(
        conn: Connector, sim: ExampleSimulator) -> None:
    placed = [await conn.place_order(resting(p)) for p in ("40000", "41000", "42000")]
    other = await conn.place_order(OrderParams(symbol="ETH/USDT:USDT", side="buy",
                                               type="limit", quantity="0.1", price="2000"))
    cancelled = await conn.cancel_all_orders(SYMBOL)
    assert sorted(o.order_id for o in cancelled) == sorted(o.order_id for o in placed)
    assert all(o.status is OrderStatus.CANCELED for o in cancelled)
    assert sim.state.orders[other.order_id].is_open
    assert await conn.fetch_open_orders(SYMBOL) == []
    assert sim.stats.count("/v1/openOrders", "DELETE") == 1


async def test_cancel_all_with_nothing_open_sends_no_cancel(
        conn: Connector, sim: ExampleSimulator) -> None:
    assert await conn.cancel_all_orders(SYMBOL) == []
    assert sim.stats.count("/v1/openOrders", "DELETE") == 0


async def test_cancel_all_is_composed_in_batches_where_the_venue_lacks_it(
        sim: ExampleSimulator) -> None:
    plugin = variant(without={Capability.CANCEL_ALL_ORDERS}, hooks_off=("cancel_all_orders",))
    async with connect_variant(sim, plugin) as conn:
        placed = [await conn.place_order(resting(str(40000 + i * 100))) for i in range(5)]
        cancelled = await conn.cancel_all_orders(SYMBOL)
        assert sorted(o.order_id for o in cancelled) == sorted(o.order_id for o in placed)
        assert all(not o.is_open for o in sim.state.orders.values())
        assert sim.stats.count("/v1/openOrders", "DELETE") == 0
        assert sim.stats.count("/v1/batchOrders", "DELETE") == 3  # batches of 2, 2, 1


async def test_composed_cancel_all_one_by_one_without_batch_cancel(
        sim: ExampleSimulator) -> None:
    plugin = variant(without={Capability.CANCEL_ALL_ORDERS, Capability.CANCEL_ORDERS},
                     hooks_off=("cancel_all_orders", "cancel_orders"))
    async with connect_variant(sim, plugin) as conn:
        for i in range(3):
            await conn.place_order(resting(str(40000 + i * 100)))
        cancelled = await conn.cancel_all_orders(SYMBOL)
        assert len(cancelled) == 3
        assert sim.stats.count("/v1/order", "DELETE") == 3


async def test_cancel_all_without_list_or_native_call_is_not_supported(
        sim: ExampleSimulator) -> None:
    plugin = variant(without={Capability.CANCEL_ALL_ORDERS, Capability.FETCH_OPEN_ORDERS})
    async with connect_variant(sim, plugin) as conn:
        await conn.fetch_markets()
        before = len(sim.stats.requests)
        with pytest.raises(NotSupported, match=r"Example Exchange.*cancel_all_orders"):
            await conn.cancel_all_orders(SYMBOL)
        assert len(sim.stats.requests) == before


# ---------------------------------------------------------------- amend


async def test_amend_reads_the_order_then_changes_price_and_quantity(
        conn: Connector, sim: ExampleSimulator) -> None:
    placed = await conn.place_order(resting())
    amended = await conn.amend_order(SYMBOL, order_id=placed.order_id, price="39000.5",
                                     quantity="0.02")
    assert amended.order_id == placed.order_id
    assert amended.price == Decimal("39000.5")
    assert amended.quantity == Decimal("0.02")
    assert amended.status is OrderStatus.OPEN
    assert sim.stats.count("/v1/order", "PUT") == 1


async def test_amend_by_client_id_keeps_the_other_value(conn: Connector) -> None:
    placed = await conn.place_order(resting())
    assert placed.client_order_id is not None
    amended = await conn.amend_order(SYMBOL, client_order_id=placed.client_order_id,
                                     quantity="0.03")
    assert (amended.quantity, amended.price) == (Decimal("0.03"), Decimal("40000"))


async def test_amend_to_a_marketable_price_fills(conn: Connector) -> None:
    placed = await conn.place_order(resting())
    amended = await conn.amend_order(SYMBOL, order_id=placed.order_id, price="60000")
    assert amended.status is OrderStatus.FILLED
    fills = await conn.fetch_my_trades(SYMBOL)
    assert [f.order_id for f in fills] == [placed.order_id]


async def test_amend_of_a_missing_order_is_order_not_found_and_amends_nothing(
        conn: Connector, sim: ExampleSimulator) -> None:
    await conn.fetch_markets()
    with pytest.raises(OrderNotFound):
        await conn.amend_order(SYMBOL, order_id="999999", price="39000")
    assert sim.stats.count("/v1/order", "PUT") == 0


@pytest.mark.parametrize(("changes", "error", "match"), [
    ({}, InvalidArgument, "quantity, a new price"),
    ({"price": "39000.05"}, InvalidOrder, "tick"),
    ({"quantity": "0.0105"}, InvalidOrder, "step"),
    ({"quantity": "-1"}, InvalidOrder, "above zero"),
])
async def test_bad_amend_is_refused_before_sending(
        conn: Connector, sim: ExampleSimulator, changes: dict[str, str],
        error: type[Exception], match: str) -> None:
    placed = await conn.place_order(resting())
    before = len(sim.stats.requests)
    with pytest.raises(error, match=match):
        await conn.amend_order(SYMBOL, order_id=placed.order_id, **changes)
    assert len(sim.stats.requests) == before


async def test_amend_of_price_where_only_quantity_is_amendable_is_not_supported(
        sim: ExampleSimulator) -> None:
    plugin = variant(without={Capability.AMEND_ORDER_PRICE})
    async with connect_variant(sim, plugin) as conn:
        placed = await conn.place_order(resting())
        before = len(sim.stats.requests)
        with pytest.raises(NotSupported, match="new price") as info:
            await conn.amend_order(SYMBOL, order_id=placed.order_id, price="39000")
        assert info.value.operation == "amend_order with a new price"
        assert info.value.exchange == "example"
        assert len(sim.stats.requests) == before
        amended = await conn.amend_order(SYMBOL, order_id=placed.order_id, quantity="0.02")
        assert amended.quantity == Decimal("0.02")


# ---------------------------------------------------------------- leverage


async def test_set_leverage_returns_the_leverage_in_force(conn: Connector,
                                                          sim: ExampleSimulator) -> None:
    assert await conn.set_leverage(SYMBOL, 20) == 20
    assert sim.state.leverage["BTCUSDT"] == 20


async def test_leverage_already_set_is_success(conn: Connector, sim: ExampleSimulator) -> None:
    await conn.set_leverage(SYMBOL, 5)
    assert await conn.set_leverage(SYMBOL, 5) == 5
    assert sim.stats.count("/v1/leverage", "POST") == 2


@pytest.mark.parametrize("leverage", [0, -1, 101])
async def test_leverage_outside_the_bounds_is_refused_locally(
        conn: Connector, sim: ExampleSimulator, leverage: int) -> None:
    await conn.fetch_markets()
    before = len(sim.stats.requests)
    with pytest.raises(InvalidArgument, match="leverage"):
        await conn.set_leverage(SYMBOL, leverage)
    assert len(sim.stats.requests) == before


# ---------------------------------------------------------------- not supported


@pytest.mark.parametrize(("capability", "call"), [
    (Capability.FETCH_OPEN_ORDERS_ALL_SYMBOLS, lambda c: c.fetch_open_orders()),
    (Capability.FETCH_OPEN_ORDERS, lambda c: c.fetch_open_orders(SYMBOL)),
    (Capability.FETCH_MY_TRADES, lambda c: c.fetch_my_trades(SYMBOL)),
    (Capability.FETCH_POSITIONS, lambda c: c.fetch_positions()),
    (Capability.SET_LEVERAGE, lambda c: c.set_leverage(SYMBOL, 3)),
    (Capability.PLACE_ORDERS, lambda c: c.place_orders([resting()])),
    (Capability.FETCH_TICKER, lambda c: c.fetch_ticker(SYMBOL)),
    (Capability.FETCH_ORDER_BOOK, lambda c: c.fetch_order_book(SYMBOL)),
    (Capability.AMEND_ORDER_QUANTITY,
     lambda c: c.amend_order(SYMBOL, order_id="1", quantity="0.02")),
])
async def test_missing_capability_is_not_supported_before_sending(
        sim: ExampleSimulator, capability: Capability, call: Any) -> None:
    async with connect_variant(sim, variant(without={capability})) as conn:
        await conn.fetch_markets()
        before = len(sim.stats.requests)
        with pytest.raises(NotSupported, match="Example Exchange does not support") as info:
            await call(conn)
        assert info.value.operation
        assert len(sim.stats.requests) == before


async def test_all_symbols_refusal_says_to_pass_a_symbol(sim: ExampleSimulator) -> None:
    plugin = variant(without={Capability.FETCH_OPEN_ORDERS_ALL_SYMBOLS})
    async with connect_variant(sim, plugin) as conn:
        with pytest.raises(NotSupported, match="pass a symbol"):
            await conn.fetch_open_orders()


async def test_hook_answering_none_is_not_supported(sim: ExampleSimulator) -> None:
    class NoTicker:
        @staticmethod
        def fetch_ticker(market: Any) -> None:
            return None
    plugin = variant(without=set(), hooks_off=("fetch_ticker",))
    hookimpl = example_plugin.fetch_ticker.venuekit_impl  # type: ignore[attr-defined]
    NoTicker.fetch_ticker.venuekit_impl = hookimpl  # type: ignore[attr-defined]
    plugin.fetch_ticker = NoTicker.fetch_ticker
    async with connect_variant(sim, plugin) as conn:
        await conn.fetch_markets()
        before = len(sim.stats.requests)
        with pytest.raises(NotSupported, match="fetch_ticker"):
            await conn.fetch_ticker(SYMBOL)
        assert len(sim.stats.requests) == before
