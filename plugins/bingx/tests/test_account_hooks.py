"""Account state and market data end to end: public API -> plugin -> BingX simulator, in
process. The in-process sender records every signed request, so each test says what went
on the wire, and that nothing did where the error is local."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal

import pytest
import venuekit
from venuekit import (
    InvalidArgument,
    NotSupported,
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
from venuekit_bingx import account, trading
from venuekit_bingx.simulator import BingXSimulator

SYMBOL = "BTC/USDT:USDT"


@asynccontextmanager
async def connected(sim: BingXSimulator) -> AsyncIterator[tuple[venuekit.Connector,
                                                                InProcessSender]]:
    sender = InProcessSender.for_simulator(sim)
    conn = venuekit.connect("bingx", sim.credentials, base_url="http://sim", sender=sender,
                            limiter=MemoryLimiter(), retry=RetryPolicy.none(),
                            registry=venuekit.Registry(allow=["bingx"]))
    async with conn:
        await conn.fetch_markets()
        yield conn, sender


def resting(i: int, quantity: str = "0.001") -> OrderParams:
    return OrderParams(symbol=SYMBOL, side="buy", type="limit", quantity=quantity,
                       price=str(40000 - i))


async def test_amend_price_is_not_supported_and_nothing_is_sent() -> None:
    sim = BingXSimulator()
    async with connected(sim) as (conn, sender):
        placed = await conn.place_order(resting(0))
        before = len(sender.requests)
        with pytest.raises(NotSupported):
            await conn.amend_order(SYMBOL, order_id=placed.order_id, price="39000")
        with pytest.raises(NotSupported):  # both at once: still no cancel-and-replace
            await conn.amend_order(SYMBOL, order_id=placed.order_id, price="39000",
                                   quantity="0.002")
        assert len(sender.requests) == before
        amended = await conn.amend_order(SYMBOL, order_id=placed.order_id, quantity="0.002")
    assert amended.order_id == placed.order_id  # the same order, amended in place
    assert amended.quantity == Decimal("0.002") and amended.price == Decimal("40000")
    assert len(sim.state.orders) == 1


async def test_int64_order_ids_survive_every_path() -> None:
    sim = BingXSimulator()
    async with connected(sim) as (conn, _):
        placed = await conn.place_order(resting(0))
        listed = await conn.fetch_open_orders(SYMBOL)
        cancelled = await conn.cancel_all_orders(SYMBOL)
    assert int(placed.order_id) > 2**53
    assert placed.order_id in sim.state.orders  # the id we read is the id it stored
    assert [o.order_id for o in listed] == [placed.order_id]
    assert [o.order_id for o in cancelled] == [placed.order_id]


async def test_cancel_all_is_native_one_request() -> None:
    sim = BingXSimulator()
    async with connected(sim) as (conn, sender):
        for i in range(3):
            await conn.place_order(resting(i))
        before = len(sender.requests)
        cancelled = await conn.cancel_all_orders(SYMBOL)
        sent = [(r.method, r.path) for r in sender.requests[before:]]
    assert len(cancelled) == 3 and all(o.status is OrderStatus.CANCELED for o in cancelled)
    assert sent == [("DELETE", trading.CANCEL_ALL_PATH)]


async def test_batch_place_above_five_is_split_and_ids_are_signed_raw() -> None:
    sim = BingXSimulator()
    async with connected(sim) as (conn, sender):
        results = await conn.place_orders([resting(i) for i in range(7)])
        batches = sender.sent(trading.BATCH_PATH, "POST")
    assert len(results) == 7 and len(batches) == 2
    assert all(isinstance(r, OrderResult) and r.status is OrderStatus.OPEN for r in results)
    assert sim.stats.signature_failures == 0  # the simulator verified the raw text


async def test_a_lost_batch_answer_is_resolved_by_lookup_not_resent() -> None:
    sim = BingXSimulator()
    sim.faults.drop_after_accept(path=trading.BATCH_PATH)
    async with connected(sim) as (conn, sender):
        results = await conn.place_orders([resting(i) for i in range(2)])
        sent = len(sender.sent(trading.BATCH_PATH, "POST"))
    assert all(isinstance(r, OrderResult) for r in results)
    assert sent == 1 and len(sim.state.open_orders()) == 2


async def test_fills_come_from_the_fill_history_with_trade_ids_and_pages() -> None:
    sim = BingXSimulator()
    sim.fills_page = 2
    async with connected(sim) as (conn, sender):
        for _ in range(5):
            await conn.place_order(OrderParams(symbol=SYMBOL, side="buy", type="market",
                                               quantity="0.001"))
        fills = await conn.fetch_my_trades(SYMBOL)
        pages = sender.sent(account.FILL_HISTORY_PATH, "GET")
    assert len(fills) == 5 and all(f.trade_id for f in fills)
    assert {f.trade_id for f in fills} == {f.trade_id for f in sim.state.fills}
    assert len(pages) == 4  # 2 + 2 + 1, then the empty page
    assert "lastFillId=" in pages[1].query_string


async def test_positions_and_book_in_coin() -> None:
    sim = BingXSimulator()
    async with connected(sim) as (conn, _):
        await conn.place_order(OrderParams(symbol=SYMBOL, side="sell", type="market",
                                           quantity="0.003"))
        positions = await conn.fetch_positions([SYMBOL])
        book = await conn.fetch_order_book(SYMBOL, depth=2)
        ticker = await conn.fetch_ticker(SYMBOL)
    assert [(p.side, p.quantity) for p in positions] == [(PositionSide.SHORT,
                                                          Decimal("0.003"))]
    assert [q for _, q in book.asks] == [Decimal("0.001"), Decimal("0.002")]
    assert ticker.bid is not None and ticker.ask is not None and ticker.bid < ticker.ask


async def test_leverage_bounds_and_already_set() -> None:
    sim = BingXSimulator()
    async with connected(sim) as (conn, sender):
        with pytest.raises(InvalidArgument):
            await conn.set_leverage(SYMBOL, 101)  # the simulator's maximum is 100
        assert [r.method for r in sender.sent(trading.LEVERAGE_PATH)] == ["GET"]
        assert await conn.set_leverage(SYMBOL, 20) == 20
        assert await conn.set_leverage(SYMBOL, 20) == 20
        posts = sender.sent(trading.LEVERAGE_PATH, "POST")
    assert len(posts) == 1 and "side=BOTH" in posts[0].query_string


async def test_amend_of_a_missing_order_and_bad_input() -> None:
    sim = BingXSimulator()
    async with connected(sim) as (conn, sender):
        with pytest.raises(OrderNotFound):
            await conn.amend_order(SYMBOL, order_id="1733405587011199999", quantity="0.002")
        before = len(sender.requests)
        with pytest.raises(UnknownSymbol):
            await conn.fetch_positions(["DOGE/USDT:USDT"])
        with pytest.raises(InvalidArgument):
            await conn.fetch_my_trades(SYMBOL, limit=-1)
        assert len(sender.requests) == before
