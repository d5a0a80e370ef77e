"""Account state, batches and market data end to end: public API -> core -> plugin ->
simulator, in process (``InProcessSender`` records every signed request)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
import venuekit
from venuekit.errors import (
    InsufficientFunds,
    InvalidArgument,
    InvalidOrder,
    NotSupported,
    UnknownSymbol,
)
from venuekit.models import OrderParams, OrderResult, OrderStatus
from venuekit.ratelimit import MemoryLimiter
from venuekit.testing import InProcessSender
from venuekit_pionex.simulator import PionexSimulator

BASE = "http://pionex.invalid"


@pytest.fixture
def sim() -> PionexSimulator:
    return PionexSimulator()  # never started: the sender calls its handlers directly


@pytest.fixture
def sender(sim: PionexSimulator) -> InProcessSender:
    return InProcessSender.for_simulator(sim)


@pytest.fixture
async def conn(sim: PionexSimulator,
               sender: InProcessSender) -> AsyncIterator[venuekit.Connector]:
    async with venuekit.connect("pionex", sim.credentials, base_url=BASE, sender=sender,
                                limiter=MemoryLimiter(), retry=venuekit.RetryPolicy.none(),
                                order_settle_s=0.05,
                                registry=venuekit.Registry(allow=["pionex"])) as connector:
        await connector.fetch_markets()
        await connector.fetch_balance()  # the clock is read first: tests count from here
        yield connector


def order(price: str = "40000", quantity: str = "0.01", **changes: Any) -> OrderParams:
    fields: dict[str, Any] = {"symbol": "BTC/USDT", "side": "buy", "type": "limit",
                              "quantity": quantity, "price": price}
    fields.update(changes)
    return OrderParams(**fields)


def paths(sender: InProcessSender, start: int = 0) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in sender.requests[start:]]


async def test_open_orders_and_native_cancel_all(conn: venuekit.Connector,
                                                 sender: InProcessSender,
                                                 sim: PionexSimulator) -> None:
    placed = [await conn.place_order(order(price=str(40000 - i))) for i in range(3)]
    listed = await conn.fetch_open_orders("BTC/USDT")
    assert [o.order_id for o in listed] == [p.order_id for p in reversed(placed)]  # newest 1st
    start = len(sender.requests)
    cancelled = await conn.cancel_all_orders("BTC/USDT")
    assert paths(sender, start) == [("GET", "/api/v1/trade/openOrders"),
                                    ("DELETE", "/api/v1/trade/allOrders")]
    assert {o.order_id for o in cancelled} == {p.order_id for p in placed}
    assert all(o.status is OrderStatus.CANCELED for o in cancelled)
    assert sim.state.open_orders("BTC_USDT") == []
    # the cancelled orders read back as CLOSED with nothing filled: cancelled
    after = await conn.fetch_order("BTC/USDT", order_id=placed[0].order_id)
    assert after.status is OrderStatus.CANCELED


async def test_a_filled_order_reads_as_filled_from_closed(conn: venuekit.Connector) -> None:
    placed = await conn.place_order(order(price="60000"))  # marketable: fills at once
    after = await conn.fetch_order("BTC/USDT", order_id=placed.order_id)
    assert after.status is OrderStatus.FILLED and after.filled_quantity == Decimal("0.01")


async def test_fills_page_backwards_and_limit_keeps_the_newest(
        conn: venuekit.Connector, sender: InProcessSender, sim: PionexSimulator) -> None:
    for i in range(7):  # marketable both ways (the market is at 50000): 7 fills
        side = "buy" if i % 2 else "sell"
        await conn.place_order(order(price="60000" if side == "buy" else "40000", side=side))
    start = len(sender.requests)
    fills = await conn.fetch_my_trades("BTC/USDT")
    reads = [r for r in sender.requests[start:] if r.path == "/api/v1/trade/fills"]
    assert len(reads) >= 7 // sim.fills_page_size + 1  # paged, 3 per answer
    assert [f.trade_id for f in fills] == [f.trade_id for f in sim.state.fills]
    assert all(f.is_maker is False and f.fee_currency == "USDT" for f in fills)
    newest = await conn.fetch_my_trades("BTC/USDT", limit=2)
    assert [f.trade_id for f in newest] == [f.trade_id for f in fills[-2:]]
    since = fills[3].timestamp
    later = await conn.fetch_my_trades("BTC/USDT", since=since)
    assert [f.trade_id for f in later] == [f.trade_id for f in fills if f.timestamp >= since]


async def test_a_batch_above_twenty_is_split_not_refused(conn: venuekit.Connector,
                                                         sender: InProcessSender) -> None:
    orders = [order(price=str(40000 - i)) for i in range(25)]
    start = len(sender.requests)
    results = await conn.place_orders(orders)
    assert paths(sender, start) == [("POST", "/api/v1/trade/massOrder")] * 2  # 20 + 5
    assert all(isinstance(r, OrderResult) and r.status is OrderStatus.OPEN for r in results)
    assert [r.price for r in results if isinstance(r, OrderResult)] == [o.price for o in orders]


async def test_a_refused_batch_item_is_looked_up_then_placed_alone(
        conn: venuekit.Connector, sender: InProcessSender, sim: PionexSimulator) -> None:
    """The simulator leaves an item it cannot place out of orderIds (undocumented): the
    core looks its client id up, finds it absent and sends it alone, which names the
    reason; the other orders are not sent again."""
    orders = [order(quantity="1"), order(quantity="1", price="39999"),
              order(quantity="1", price="39998")]  # USDT 100,000: the third is too much
    start = len(sender.requests)
    results = await conn.place_orders(orders)
    assert isinstance(results[0], OrderResult) and isinstance(results[1], OrderResult)
    # sent alone, refused with PX-GBR's TRADE_NOT_ENOUGH_MONEY ("New Order" error codes)
    assert isinstance(results[2], InsufficientFunds)
    assert results[2].code == "TRADE_NOT_ENOUGH_MONEY"
    assert len(sim.state.open_orders("BTC_USDT")) == 2
    sent = paths(sender, start)
    assert sent[0] == ("POST", "/api/v1/trade/massOrder")
    # the third is looked up (again after the settle time), found absent, sent alone once
    assert set(sent[1:-1]) == {("GET", "/api/v1/trade/orderByClientOrderId")}
    assert sent[-1] == ("POST", "/api/v1/trade/order")


async def test_a_market_order_in_a_batch_is_refused_before_sending(
        conn: venuekit.Connector, sender: InProcessSender) -> None:
    start = len(sender.requests)
    with pytest.raises(InvalidOrder, match="LIMIT orders only"):
        await conn.place_orders([order(), order(type="market", price=None, side="sell")])
    assert paths(sender, start) == []


async def test_ticker_and_book(conn: venuekit.Connector, sim: PionexSimulator) -> None:
    ticker = await conn.fetch_ticker("BTC/USDT")
    assert ticker.bid == Decimal("49999.99") and ticker.ask == Decimal("50000.01")
    assert ticker.last == Decimal("50000")
    book = await conn.fetch_order_book("BTC/USDT", depth=3)
    assert [p for p, _ in book.bids] == [Decimal("49999.99"), Decimal("49999.98"),
                                         Decimal("49999.97")]
    assert len(book.asks) == 3 and book.sequence is None


@pytest.mark.parametrize("operation", [
    lambda c: c.fetch_positions(),
    lambda c: c.set_leverage("BTC/USDT", 2),
    lambda c: c.amend_order("BTC/USDT", order_id="1", price=Decimal("40000")),
    lambda c: c.amend_order("BTC/USDT", order_id="1", quantity=Decimal("0.02")),
    lambda c: c.fetch_open_orders(),
])
async def test_what_spot_pionex_lacks_is_not_supported_before_sending(
        conn: venuekit.Connector, sender: InProcessSender, operation: Any) -> None:
    start = len(sender.requests)
    with pytest.raises(NotSupported) as info:
        await operation(conn)
    assert info.value.exchange == "pionex"
    assert paths(sender, start) == []


@pytest.mark.parametrize("operation", [
    lambda c: c.fetch_my_trades("BTC/USDT", limit=0),
    lambda c: c.fetch_my_trades("DOGE/USDT"),
    lambda c: c.fetch_open_orders("DOGE/USDT"),
    lambda c: c.cancel_all_orders("DOGE/USDT"),
    lambda c: c.fetch_order_book("BTC/USDT", depth=0),
])
async def test_bad_input_is_a_local_error(conn: venuekit.Connector, sender: InProcessSender,
                                          operation: Any) -> None:
    start = len(sender.requests)
    with pytest.raises((InvalidArgument, UnknownSymbol)):
        await operation(conn)
    assert paths(sender, start) == []
