"""Account state and market data end to end: public API -> core -> plugin -> simulator,
in process (``InProcessSender`` records every request the connector sent)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
import venuekit
from venuekit.account_models import PositionSide
from venuekit.errors import InvalidArgument, NotSupported, UnknownSymbol
from venuekit.models import OrderParams, OrderStatus
from venuekit.ratelimit import MemoryLimiter
from venuekit.testing import InProcessSender
from venuekit_orangex.simulator import OrangeXSimulator

BASE = "http://orangex.invalid/api/v1"
BTC = "BTC/USDT:USDT"


@pytest.fixture
def simulator() -> OrangeXSimulator:
    return OrangeXSimulator()  # never started: the sender calls its handlers directly


@pytest.fixture
def sender(simulator: OrangeXSimulator) -> InProcessSender:
    return InProcessSender.for_simulator(simulator)


@pytest.fixture
async def conn(simulator: OrangeXSimulator,
               sender: InProcessSender) -> AsyncIterator[venuekit.Connector]:
    async with venuekit.connect("orangex", simulator.credentials, base_url=BASE,
                                sender=sender, limiter=MemoryLimiter(),
                                retry=venuekit.RetryPolicy.none(),
                                registry=venuekit.Registry(allow=["orangex"])) as connector:
        await connector.fetch_markets()
        await connector.fetch_balance()  # logs in: tests count requests from here
        yield connector


def order(price: str = "40000", quantity: str = "0.01", **changes: Any) -> OrderParams:
    fields: dict[str, Any] = {"symbol": BTC, "side": "buy", "type": "limit",
                              "quantity": quantity, "price": price}
    fields.update(changes)
    return OrderParams(**fields)


def methods(sender: InProcessSender, start: int = 0) -> list[str]:
    return [r.path.removeprefix("/api/v1") for r in sender.requests[start:]]


async def test_positions_come_from_get_user_position_not_the_empty_documented_call(
        conn: venuekit.Connector, sender: InProcessSender,
        simulator: OrangeXSimulator) -> None:
    await conn.place_order(order(price="60000", quantity="0.05"))  # marketable: fills
    await conn.place_order(order(price="40000", quantity="0.02", side="sell"))
    start = len(sender.requests)
    (position,) = await conn.fetch_positions([BTC, "ETH/USDT:USDT"])
    assert methods(sender, start) == ["/private/get_user_position"] * 2
    assert position.side is PositionSide.LONG and position.quantity == Decimal("0.03")
    assert position.entry_price == Decimal("50000") and position.leverage == Decimal("10")
    # the simulator's documented call answers [] like the live venue did: not used
    assert "/private/get_positions" not in methods(sender)


async def test_positions_without_symbols_is_not_supported_before_sending(
        conn: venuekit.Connector, sender: InProcessSender) -> None:
    start = len(sender.requests)
    with pytest.raises(NotSupported, match="pass the symbols"):
        await conn.fetch_positions()
    assert methods(sender, start) == []


async def test_open_orders_one_and_all_then_cancel_all(conn: venuekit.Connector,
                                                       sender: InProcessSender) -> None:
    placed = [await conn.place_order(order(price=str(40000 - i))) for i in range(3)]
    eth = await conn.place_order(order(symbol="ETH/USDT:USDT", price="2000", quantity="0.1"))
    assert {o.order_id for o in await conn.fetch_open_orders(BTC)} == {
        p.order_id for p in placed}
    everywhere = await conn.fetch_open_orders()
    assert {(o.symbol, o.order_id) for o in everywhere} == {
        *((BTC, p.order_id) for p in placed), ("ETH/USDT:USDT", eth.order_id)}
    start = len(sender.requests)
    cancelled = await conn.cancel_all_orders(BTC)
    assert methods(sender, start) == ["/private/get_open_orders_by_instrument",
                                      "/private/cancel_all_by_instrument"]
    assert {o.order_id for o in cancelled} == {p.order_id for p in placed}
    assert await conn.fetch_open_orders(BTC) == []
    assert [o.order_id for o in await conn.fetch_open_orders()] == [eth.order_id]
    after = await conn.fetch_order(BTC, order_id=placed[0].order_id)
    assert after.status is OrderStatus.CANCELED


async def test_fills_follow_has_more_both_ways(conn: venuekit.Connector,
                                               sender: InProcessSender,
                                               simulator: OrangeXSimulator) -> None:
    for i in range(7):
        side = "buy" if i % 2 else "sell"
        await conn.place_order(order(price="60000" if side == "buy" else "40000", side=side))
    start = len(sender.requests)
    fills = await conn.fetch_my_trades(BTC)
    pages = methods(sender, start).count("/private/get_user_trades_by_instrument")
    assert pages >= 3  # 7 fills, 3 per page
    assert [f.trade_id for f in fills] == [f.trade_id for f in simulator.state.fills]
    assert [f.side.value for f in fills] == ["sell", "buy"] * 3 + ["sell"]
    assert [f.trade_id for f in await conn.fetch_my_trades(BTC, limit=2)] == [
        f.trade_id for f in fills[-2:]]
    since = fills[2].timestamp
    later = await conn.fetch_my_trades(BTC, since=since)
    assert [f.trade_id for f in later] == [f.trade_id for f in fills if f.timestamp >= since]


async def test_leverage_is_set_and_bounded_by_the_catalogue(
        conn: venuekit.Connector, sender: InProcessSender,
        simulator: OrangeXSimulator) -> None:
    market = await conn.market(BTC)
    assert market.max_leverage == 100  # the instrument row's "leverage"
    assert await conn.set_leverage(BTC, 25) == 25
    assert await conn.set_leverage(BTC, 25) == 25  # the same again: "ok" too
    assert simulator.state.leverage["BTC-USDT-PERPETUAL"] == 25
    start = len(sender.requests)
    with pytest.raises(InvalidArgument, match="maximum 100"):
        await conn.set_leverage(BTC, 101)
    assert methods(sender, start) == []


async def test_ticker_and_book(conn: venuekit.Connector) -> None:
    ticker = await conn.fetch_ticker(BTC)
    assert (ticker.bid, ticker.ask, ticker.last) == (Decimal("49999.9"), Decimal("50000.1"),
                                                    Decimal("50000"))
    book = await conn.fetch_order_book(BTC, depth=4)
    assert len(book.bids) == len(book.asks) == 4 and book.sequence is not None


@pytest.mark.parametrize("operation", [
    lambda c: c.place_orders([order()]),
    lambda c: c.amend_order(BTC, order_id="1", price=Decimal("40000")),
    lambda c: c.amend_order(BTC, order_id="1", quantity=Decimal("0.02")),
])
async def test_no_batch_and_no_amend_before_sending(conn: venuekit.Connector,
                                                   sender: InProcessSender,
                                                   operation: Any) -> None:
    start = len(sender.requests)
    with pytest.raises(NotSupported) as info:
        await operation(conn)
    assert info.value.exchange == "orangex"
    assert methods(sender, start) == []


@pytest.mark.parametrize("operation", [
    lambda c: c.fetch_my_trades(BTC, limit=0),
    lambda c: c.fetch_my_trades("DOGE/USDT:USDT"),
    lambda c: c.fetch_positions(["DOGE/USDT:USDT"]),
    lambda c: c.set_leverage(BTC, 0),
    lambda c: c.cancel_all_orders("DOGE/USDT:USDT"),
])
async def test_bad_input_is_a_local_error(conn: venuekit.Connector, sender: InProcessSender,
                                          operation: Any) -> None:
    start = len(sender.requests)
    with pytest.raises((InvalidArgument, UnknownSymbol)):
        await operation(conn)
    assert methods(sender, start) == []
