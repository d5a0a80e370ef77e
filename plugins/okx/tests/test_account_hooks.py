"""Account state and market data end to end: public API -> plugin -> OKX simulator, in process.

Every signed request is recorded by the in-process sender, so each test says what went on
the wire (and that nothing did, for the errors caught locally).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal

import pytest
import venuekit
from venuekit import (
    InvalidArgument,
    OrderNotFound,
    OrderParams,
    OrderResult,
    OrderStatus,
    RetryPolicy,
    UnknownSymbol,
)
from venuekit.account_models import PositionSide
from venuekit.ratelimit import MemoryLimiter
from venuekit.testing import InProcessSender
from venuekit_okx import account, trading
from venuekit_okx.simulator import OkxSimulator

SYMBOL = "BTC/USDT:USDT"
BATCH_CANCEL = trading.BATCH_CANCEL_PATH


@asynccontextmanager
async def connected(sim: OkxSimulator) -> AsyncIterator[tuple[venuekit.Connector,
                                                               InProcessSender]]:
    sender = InProcessSender.for_simulator(sim)
    conn = venuekit.connect("okx", sim.credentials, base_url="http://sim", sender=sender,
                            limiter=MemoryLimiter(), retry=RetryPolicy.none(),
                            registry=venuekit.Registry(allow=["okx"]))
    async with conn:
        await conn.fetch_markets()
        yield conn, sender


def resting(i: int, quantity: str = "0.01") -> OrderParams:
    return OrderParams(symbol=SYMBOL, side="buy", type="limit", quantity=quantity,
                       price=str(40000 - i))


async def test_cancel_all_is_composed_from_the_list_and_batch_cancels_of_twenty() -> None:
    """OKX SWAP has no cancel-all: the core lists, then cancels 20 per batch request."""
    sim = OkxSimulator()
    async with connected(sim) as (conn, sender):
        assert not conn.info.has(venuekit.Capability.CANCEL_ALL_ORDERS)
        placed = await conn.place_orders([resting(i) for i in range(25)])
        assert all(isinstance(p, OrderResult) for p in placed)
        before = len(sender.requests)
        cancelled = await conn.cancel_all_orders(SYMBOL)
        sent = [(r.method, r.path) for r in sender.requests[before:]]
    assert len(cancelled) == 25
    assert sent == [("GET", account.OPEN_ORDERS_PATH), ("POST", BATCH_CANCEL),
                    ("POST", BATCH_CANCEL)]
    assert not sim.state.open_orders()


async def test_batch_place_above_twenty_is_split_not_refused() -> None:
    sim = OkxSimulator()
    async with connected(sim) as (conn, sender):
        results = await conn.place_orders([resting(i) for i in range(21)])
    batches = sender.sent(trading.BATCH_ORDERS_PATH, "POST")
    assert len(results) == 21 and len(batches) == 2
    assert all(isinstance(r, OrderResult) and r.status is OrderStatus.OPEN for r in results)


async def test_batch_place_reports_a_failed_item_and_keeps_the_others() -> None:
    sim = OkxSimulator(balances={"USDT": "1000"})
    async with connected(sim) as (conn, _):
        small, huge = resting(0), resting(1, quantity="10")  # 10 BTC at 40k: no margin
        results = await conn.place_orders([small, huge])
    assert isinstance(results[0], OrderResult)
    assert isinstance(results[1], venuekit.InsufficientFunds)
    assert len(sim.state.open_orders()) == 1


async def test_positions_fills_and_book_are_in_base_currency() -> None:
    sim = OkxSimulator()
    async with connected(sim) as (conn, _):
        await conn.place_order(OrderParams(symbol=SYMBOL, side="buy", type="market",
                                           quantity="0.05"))  # 5 contracts
        positions = await conn.fetch_positions()
        fills = await conn.fetch_my_trades(SYMBOL)
        book = await conn.fetch_order_book(SYMBOL, depth=3)
    assert [(p.side, p.quantity) for p in positions] == [(PositionSide.LONG, Decimal("0.05"))]
    assert positions[0].entry_price == Decimal("50000")
    assert [f.quantity for f in fills] == [Decimal("0.05")]
    assert fills[0].fee == Decimal("0.05") * 50000 * Decimal("0.0005")
    # the simulator's book grows by 10 steps (0.001 BTC = 0.1 contract) per level
    assert [q for _, q in book.bids] == [Decimal("0.001"), Decimal("0.002"), Decimal("0.003")]


async def test_fills_page_by_bill_id_through_every_page() -> None:
    sim = OkxSimulator()
    sim.fills_page = 2
    async with connected(sim) as (conn, sender):
        for _ in range(5):
            await conn.place_order(OrderParams(symbol=SYMBOL, side="buy", type="market",
                                               quantity="0.01"))
        fills = await conn.fetch_my_trades(SYMBOL)
        pages = sender.sent(account.FILLS_PATH, "GET")
    assert len(fills) == 5 and len({f.trade_id for f in fills}) == 5
    assert len(pages) == 4  # 2 + 2 + 1, then the empty page that ends the walk
    assert "after=" in pages[1].query_string


async def test_amend_quantity_and_price_on_the_wire_in_contracts() -> None:
    sim = OkxSimulator()
    async with connected(sim) as (conn, sender):
        placed = await conn.place_order(resting(0))
        amended = await conn.amend_order(SYMBOL, order_id=placed.order_id,
                                         quantity="0.03", price="39000")
        body = sender.sent(trading.AMEND_PATH, "POST")[0].body
    assert b'"newSz":"3"' in body and b'"newPx":"39000"' in body
    assert (amended.quantity, amended.price) == (Decimal("0.03"), Decimal("39000"))
    assert sim.state.orders[placed.order_id].quantity == Decimal("0.03")


async def test_amend_of_a_cancelled_order_is_order_not_found() -> None:
    sim = OkxSimulator()
    async with connected(sim) as (conn, _):
        placed = await conn.place_order(resting(0))
        await conn.cancel_order(SYMBOL, order_id=placed.order_id)
        with pytest.raises(OrderNotFound) as info:
            await conn.amend_order(SYMBOL, order_id=placed.order_id, price="39000")
    assert info.value.code == "51503"


async def test_leverage_above_the_instrument_maximum_is_refused_locally() -> None:
    sim = OkxSimulator()
    async with connected(sim) as (conn, sender):
        before = len(sender.requests)
        with pytest.raises(InvalidArgument):
            await conn.set_leverage(SYMBOL, 101)  # instruments' lever is 100
        assert len(sender.requests) == before
        assert await conn.set_leverage(SYMBOL, 100) == 100
    assert sim.state.leverage["BTC-USDT-SWAP"] == 100


async def test_bad_input_is_refused_before_sending() -> None:
    sim = OkxSimulator()
    async with connected(sim) as (conn, sender):
        before = len(sender.requests)
        with pytest.raises(UnknownSymbol):
            await conn.fetch_open_orders("DOGE/USDT:USDT")
        with pytest.raises(InvalidArgument):
            await conn.fetch_my_trades(SYMBOL, limit=0)
        with pytest.raises(InvalidArgument):
            await conn.fetch_order_book(SYMBOL, depth=0)
        assert len(sender.requests) == before


async def test_open_orders_of_every_swap_in_one_call() -> None:
    sim = OkxSimulator()
    async with connected(sim) as (conn, sender):
        await conn.place_order(resting(0))
        await conn.place_order(OrderParams(symbol="ETH/USDT:USDT", side="sell", type="limit",
                                           quantity="0.1", price="4000"))
        before = len(sender.requests)
        listed = await conn.fetch_open_orders()
        sent = sender.requests[before:]
    assert {(o.symbol, o.quantity) for o in listed} == {
        (SYMBOL, Decimal("0.01")), ("ETH/USDT:USDT", Decimal("0.1"))}
    assert [(r.path, r.query_string) for r in sent] == [
        (account.OPEN_ORDERS_PATH, "instType=SWAP&limit=100")]


def test_no_cancel_all_hook_so_the_core_composes_it() -> None:
    from venuekit_okx import plugin
    assert not hasattr(plugin, "cancel_all_orders")
