"""place_orders: chunks of the venue's maximum, one result per order in input order, and
no duplicate order whatever happens to a batch on the wire."""

from __future__ import annotations

from decimal import Decimal

import pytest
from account_support import connect_variant, variant
from venuekit import (
    Capability,
    InsufficientFunds,
    InvalidOrder,
    OrderParams,
    OrderResult,
    OrderStatus,
    OrderStatusUnknown,
    UnknownSymbol,
)
from venuekit.connector import Connector
from venuekit.testing.example.simulator import ExampleSimulator

SYMBOL = "BTC/USDT:USDT"
ETH = "ETH/USDT:USDT"


def ladder(count: int, symbol: str = SYMBOL, start: int = 40000) -> list[OrderParams]:
    return [OrderParams(symbol=symbol, side="buy", type="limit", quantity="0.01",
                        price=str(start - i * 10)) for i in range(count)]


def placed(items: list[OrderResult | Exception]) -> list[OrderResult]:
    assert all(isinstance(item, OrderResult) for item in items), items
    return [item for item in items if isinstance(item, OrderResult)]


async def test_batch_is_split_into_chunks_of_the_venue_maximum(
        conn: Connector, sim: ExampleSimulator) -> None:
    orders = ladder(7)
    results = placed(await conn.place_orders(orders))
    assert [r.price for r in results] == [o.price for o in orders]
    assert all(r.status is OrderStatus.OPEN and r.client_order_id for r in results)
    assert len({r.client_order_id for r in results}) == 7
    assert sim.stats.count("/v1/batchOrders", "POST") == 3  # 3 + 3 + 1
    assert len(sim.state.orders) == 7


async def test_mixed_symbols_go_in_chunks_of_one_market_results_in_input_order(
        conn: Connector, sim: ExampleSimulator) -> None:
    orders = [*ladder(2), *ladder(2, ETH, 2000), *ladder(1, SYMBOL, 39000)]
    results = placed(await conn.place_orders(orders))
    assert [(r.symbol, r.price) for r in results] == [(o.symbol, o.price) for o in orders]
    assert sim.stats.count("/v1/batchOrders", "POST") == 2  # BTC x3, ETH x2


async def test_an_item_the_venue_refuses_is_returned_as_its_error(conn: Connector) -> None:
    orders = ladder(3)
    orders[1] = OrderParams(symbol=SYMBOL, side="buy", type="limit", quantity="100",
                            price="40000")  # 4,000,000 USDT: more than the account holds
    results = await conn.place_orders(orders)
    assert isinstance(results[0], OrderResult) and isinstance(results[2], OrderResult)
    assert isinstance(results[1], InsufficientFunds)
    assert results[1].exchange == "example"


async def test_caller_client_ids_are_kept(conn: Connector) -> None:
    orders = [OrderParams(symbol=SYMBOL, side="buy", type="limit", quantity="0.01",
                          price="40000", client_order_id=f"mine-{i}") for i in range(2)]
    results = placed(await conn.place_orders(orders))
    assert [r.client_order_id for r in results] == ["mine-0", "mine-1"]


@pytest.mark.parametrize(("bad", "error", "match"), [
    (OrderParams(symbol=SYMBOL, side="buy", type="limit", quantity="0.0105", price="40000"),
     InvalidOrder, "order 1: quantity"),
    (OrderParams(symbol="NOPE/USDT:USDT", side="buy", type="limit", quantity="1", price="1"),
     UnknownSymbol, "order 1: "),
    (OrderParams(symbol=SYMBOL, side="buy", type="limit", quantity="0.01", price="40000",
                 client_order_id="twice"), InvalidOrder, "appears twice"),
])
async def test_one_bad_order_refuses_the_whole_batch_before_sending(
        conn: Connector, sim: ExampleSimulator, bad: OrderParams,
        error: type[Exception], match: str) -> None:
    first = OrderParams(symbol=SYMBOL, side="buy", type="limit", quantity="0.01",
                        price="40000", client_order_id="twice")
    await conn.fetch_markets()
    before = len(sim.stats.requests)
    with pytest.raises(error, match=match):
        await conn.place_orders([first, bad])
    assert len(sim.stats.requests) == before


async def test_empty_batch_sends_nothing(conn: Connector, sim: ExampleSimulator) -> None:
    assert await conn.place_orders([]) == []
    assert sim.stats.requests == []


# ---------------------------------------------------------------- ambiguous outcomes


async def test_batch_accepted_but_answer_lost_is_found_by_lookup_not_resent(
        conn: Connector, sim: ExampleSimulator) -> None:
    await conn.fetch_markets()
    sim.faults.drop_after_accept(path="/v1/batchOrders")
    results = placed(await conn.place_orders(ladder(3)))
    assert len(results) == 3
    assert len(sim.state.orders) == 3  # never a duplicate
    assert sim.stats.count("/v1/batchOrders", "POST") == 1
    assert sim.stats.count("/v1/order", "POST") == 0


async def test_batch_that_never_arrived_is_resent_order_by_order_after_lookup(
        conn: Connector, sim: ExampleSimulator) -> None:
    await conn.fetch_markets()
    sim.faults.drop_before_accept(path="/v1/batchOrders")
    results = placed(await conn.place_orders(ladder(2)))
    assert [r.status for r in results] == [OrderStatus.OPEN, OrderStatus.OPEN]
    assert len(sim.state.orders) == 2
    assert sim.stats.count("/v1/order", "POST") == 2  # each resent alone, once
    assert sim.stats.count("/v1/order", "GET") >= 4  # looked up twice before resending


async def test_batch_lost_where_venue_cannot_look_up_is_status_unknown_per_order(
        sim: ExampleSimulator) -> None:
    plugin = variant(without={Capability.FETCH_ORDER_BY_CLIENT_ID})
    async with connect_variant(sim, plugin) as conn:
        await conn.fetch_markets()
        sim.faults.drop_after_accept(path="/v1/batchOrders")
        orders = ladder(2)
        results = await conn.place_orders(orders)
        assert all(isinstance(r, OrderStatusUnknown) for r in results)
        ids = [r.client_order_id for r in results if isinstance(r, OrderStatusUnknown)]
        assert all(ids) and len(set(ids)) == 2
        assert len(sim.state.orders) == 2  # what arrived stays; nothing was resent
        assert sim.stats.count("/v1/order", "POST") == 0


async def test_a_later_chunk_is_sent_after_an_earlier_one_was_resolved(
        conn: Connector, sim: ExampleSimulator) -> None:
    await conn.fetch_markets()
    sim.faults.drop_after_accept(path="/v1/batchOrders")  # only the first chunk
    results = placed(await conn.place_orders(ladder(5)))
    assert len(results) == 5
    assert len(sim.state.orders) == 5
    assert sim.stats.count("/v1/batchOrders", "POST") == 2


async def test_refused_at_the_door_for_rate_the_chunk_is_sent_again(
        conn: Connector, sim: ExampleSimulator) -> None:
    await conn.fetch_markets()
    sim.faults.rate_limit_next(retry_after=0.05, path="/v1/batchOrders")
    results = placed(await conn.place_orders(ladder(2)))
    assert len(results) == 2
    assert len(sim.state.orders) == 2
    assert sum(r.quantity or Decimal(0) for r in results) == Decimal("0.02")
