"""Account state, batches and market data end to end: connector -> plugin -> simulator.

Requests go through :class:`venuekit.testing.InProcessSender` (no socket), which records
every signed request, so "nothing sent" and "how many pages" are checked on the wire.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from venuekit import RetryPolicy
from venuekit.account_models import MarginMode, PositionSide
from venuekit.connector import Connector, connect
from venuekit.errors import DuplicateOrder, InvalidArgument, OrderNotFound, UnknownSymbol
from venuekit.flows import run_plan
from venuekit.models import OrderParams, OrderResult, OrderStatus
from venuekit.ratelimit import MemoryLimiter
from venuekit.testing import InProcessSender
from venuekit_bybit import account, positions
from venuekit_bybit.simulator import BybitSimulator

BTC = "BTC/USDT:USDT"
BASE = "http://bybit.invalid"


@pytest.fixture
def sim() -> BybitSimulator:
    return BybitSimulator()


@pytest.fixture
def sender(sim: BybitSimulator) -> InProcessSender:
    return InProcessSender.for_simulator(sim)


@pytest.fixture
async def conn(sim: BybitSimulator, sender: InProcessSender) -> AsyncIterator[Connector]:
    async with connect("bybit", sim.credentials, base_url=BASE, sender=sender,
                       limiter=MemoryLimiter(), order_settle_s=0.05,
                       retry=RetryPolicy(max_tries=3, base_delay_s=0.01,
                                         max_delay_s=0.02)) as connector:
        await connector.fetch_markets()
        yield connector


def resting(price: str = "40000", **changes: object) -> OrderParams:
    fields: dict[str, object] = {"symbol": BTC, "side": "buy", "type": "limit",
                                 "quantity": "0.01", "price": price}
    fields.update(changes)
    return OrderParams(**fields)  # type: ignore[arg-type]


def sent(sender: InProcessSender, path: str) -> int:
    return len(sender.sent(path))


async def test_open_orders_page_by_cursor_for_one_and_every_symbol(
        sim: BybitSimulator, sender: InProcessSender, conn: Connector,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(account, "OPEN_ORDERS_PAGE", 2)
    sim.open_orders_page = 2
    placed = [await conn.place_order(resting(price=str(40000 - i))) for i in range(5)]
    eth = await conn.place_order(OrderParams(symbol="ETH/USDT:USDT", side="sell",
                                             type="limit", quantity="0.1", price="3500"))
    before = sent(sender, "/v5/order/realtime")
    listed = await conn.fetch_open_orders(BTC)
    assert {o.order_id for o in listed} == {o.order_id for o in placed}
    assert sent(sender, "/v5/order/realtime") - before == 3  # 2 + 2 + 1
    every = await conn.fetch_open_orders()
    assert {o.order_id for o in every} == {o.order_id for o in placed} | {eth.order_id}


async def test_fills_by_cursor_within_windows_and_back_through_windows(
        sim: BybitSimulator, sender: InProcessSender, conn: Connector,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(positions, "EXECUTIONS_PAGE", 2)
    sim.max_executions_page = 2
    order = sim.state.place(symbol="BTCUSDT", side="buy", type="limit",
                            quantity=Decimal("0.01"), price=Decimal("40000"))
    now = sim.now_ms()
    for age_hours in (400, 200, 30, 20, 10, 5, 1):
        sim.state.record_fill(order, Decimal("40000"), Decimal("0.001"), is_maker=True,
                              time_ms=now - age_hours * 3600 * 1000)
    sim.extra_executions.append({"symbol": "BTCUSDT", "execType": "Funding",
                                 "execId": "funding-1", "execTime": str(now - 3600_000),
                                 "orderId": "", "side": "Buy", "execPrice": "40000",
                                 "execQty": "0.001", "execFee": "0.1", "isMaker": False})
    fills = await conn.fetch_my_trades(BTC)
    assert len(fills) == 7 and "funding-1" not in {f.trade_id for f in fills}
    assert fills == sorted(fills, key=lambda f: f.timestamp)
    newest = await conn.fetch_my_trades(BTC, limit=3)
    assert [f.trade_id for f in newest] == [f.trade_id for f in fills[-3:]]
    since = datetime.fromtimestamp((now - 25 * 3600 * 1000) / 1000, UTC)
    before = sent(sender, "/v5/execution/list")
    recent = await conn.fetch_my_trades(BTC, since=since, limit=2)
    assert [f.trade_id for f in recent] == [f.trade_id for f in fills[-4:-2]]
    # one window: four fills and the funding row, two a page
    assert sent(sender, "/v5/execution/list") - before == 3


async def test_positions_with_the_account_margin_mode_and_hedge_legs(
        sim: BybitSimulator, conn: Connector) -> None:
    assert await conn.fetch_positions() == []
    await conn.place_order(resting(price=None, type="market", quantity="0.02"))
    (long,) = await conn.fetch_positions([BTC])
    assert long.side is PositionSide.LONG and long.quantity == Decimal("0.02")
    assert long.margin_mode is MarginMode.CROSS and long.leverage == Decimal(10)
    assert await run_plan(positions.set_margin_mode(MarginMode.ISOLATED), conn.run) \
        == "ISOLATED_MARGIN"
    market = await conn.market(BTC)
    assert await run_plan(positions.set_position_mode(market, True), conn.run) == "hedge"
    assert await run_plan(positions.set_position_mode(market, True), conn.run) == "hedge"
    (leg,) = await conn.fetch_positions()
    assert leg.side is PositionSide.LONG and leg.margin_mode is MarginMode.ISOLATED
    assert sim.hedge_symbols == {"BTCUSDT"}


async def test_cancel_all_returns_the_listed_orders(sender: InProcessSender,
                                                    conn: Connector) -> None:
    placed = [await conn.place_order(resting(price=str(40000 - i))) for i in range(3)]
    cancelled = await conn.cancel_all_orders(BTC)
    assert {o.order_id for o in cancelled} == {o.order_id for o in placed}
    assert all(o.status is OrderStatus.CANCELED and o.quantity == Decimal("0.01")
               for o in cancelled)
    assert await conn.cancel_all_orders(BTC) == []
    assert sent(sender, "/v5/order/cancel-all") == 1


async def test_twelve_orders_go_as_ten_and_two_with_per_item_errors(
        sender: InProcessSender, conn: Connector) -> None:
    await conn.place_order(resting(client_order_id="taken"))
    orders = [resting(price=str(40000 - i)) for i in range(11)]
    orders.append(resting(client_order_id="taken"))
    results = await conn.place_orders(orders)
    assert sent(sender, "/v5/order/create-batch") == 2
    assert all(isinstance(r, OrderResult) for r in results[:11])
    assert isinstance(results[11], DuplicateOrder)


async def test_amend_changes_price_and_quantity_in_place(conn: Connector) -> None:
    placed = await conn.place_order(resting())
    amended = await conn.amend_order(BTC, client_order_id=placed.client_order_id,
                                     price="39000.5", quantity="0.02")
    assert amended.order_id == placed.order_id
    assert (amended.price, amended.quantity) == (Decimal("39000.5"), Decimal("0.02"))


async def test_amend_of_a_missing_order_is_order_not_found(sender: InProcessSender,
                                                           conn: Connector) -> None:
    with pytest.raises(OrderNotFound):
        await conn.amend_order(BTC, order_id="no-such-order", price="39000")
    assert sent(sender, "/v5/order/realtime") == 0  # nothing read back


async def test_leverage_bounds_come_from_the_leverage_filter(sender: InProcessSender,
                                                             conn: Connector) -> None:
    assert (await conn.market("SOL/USDT:USDT")).max_leverage == 50
    before = len(sender.requests)
    with pytest.raises(InvalidArgument):
        await conn.set_leverage("SOL/USDT:USDT", 51)
    assert len(sender.requests) == before
    assert await conn.set_leverage("SOL/USDT:USDT", 50) == 50
    assert await conn.set_leverage("SOL/USDT:USDT", 50) == 50  # 110043: already set


async def test_bad_input_is_refused_before_sending(sender: InProcessSender,
                                                   conn: Connector) -> None:
    before = len(sender.requests)
    with pytest.raises(UnknownSymbol):
        await conn.fetch_positions(["DOGE/USDT:USDT"])
    with pytest.raises(InvalidArgument):
        await conn.fetch_my_trades(BTC, limit=-1)
    assert len(sender.requests) == before


async def test_ticker_and_book(conn: Connector) -> None:
    ticker = await conn.fetch_ticker(BTC)
    assert (ticker.bid, ticker.ask, ticker.last) == (Decimal("49999.9"), Decimal("50000.1"),
                                                     Decimal("50000"))
    book = await conn.fetch_order_book(BTC, depth=4)
    assert len(book.bids) == len(book.asks) == 4 and book.sequence is not None
