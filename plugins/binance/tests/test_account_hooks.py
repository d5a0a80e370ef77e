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
from venuekit.errors import (
    DuplicateOrder,
    InvalidArgument,
    OrderNotFound,
    UnknownSymbol,
)
from venuekit.flows import run_plan
from venuekit.models import OrderParams, OrderResult, OrderStatus
from venuekit.ratelimit import MemoryLimiter
from venuekit.testing import InProcessSender
from venuekit_binance import account
from venuekit_binance import fills as fill_history
from venuekit_binance.simulator import BinanceSimulator

BTC = "BTC/USDT:USDT"
BASE = "http://binance.invalid"


@pytest.fixture
def sim() -> BinanceSimulator:
    return BinanceSimulator()


@pytest.fixture
def sender(sim: BinanceSimulator) -> InProcessSender:
    return InProcessSender.for_simulator(sim)


@pytest.fixture
async def conn(sim: BinanceSimulator, sender: InProcessSender) -> AsyncIterator[Connector]:
    async with connect("binance", sim.credentials, base_url=BASE, sender=sender,
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


def sent(sender: InProcessSender, path: str, method: str | None = None) -> int:
    return len(sender.sent(path, method))


async def test_open_orders_of_one_and_of_every_symbol(conn: Connector) -> None:
    btc = await conn.place_order(resting())
    eth = await conn.place_order(OrderParams(symbol="ETH/USDT:USDT", side="sell",
                                             type="limit", quantity="0.01", price="3500"))
    assert [o.order_id for o in await conn.fetch_open_orders(BTC)] == [btc.order_id]
    every = await conn.fetch_open_orders()
    assert {(o.symbol, o.order_id) for o in every} == {
        (BTC, btc.order_id), ("ETH/USDT:USDT", eth.order_id)}


async def test_fills_across_split_windows_come_back_complete_and_oldest_first(
        sim: BinanceSimulator, sender: InProcessSender, conn: Connector,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fill_history, "MAX_FILLS_PAGE", 2)
    sim.max_fills_page = 2
    order = sim.state.place(symbol="BTCUSDT", side="buy", type="limit",
                            quantity=Decimal("0.01"), price=Decimal("40000"))
    now = sim.now_ms()
    # seven fills over two weeks: several share a window, so windows must be split
    for age_hours in (300, 200, 30, 20, 10, 5, 1):
        sim.state.record_fill(order, Decimal("40000"), Decimal("0.001"), is_maker=True,
                              time_ms=now - age_hours * 3600 * 1000)
    fills = await conn.fetch_my_trades(BTC)
    assert len(fills) == 7 and len({f.trade_id for f in fills}) == 7
    assert fills == sorted(fills, key=lambda f: f.timestamp)
    assert all(f.is_maker and f.fee == 0 for f in fills)
    pages = sent(sender, "/fapi/v1/userTrades")
    assert pages > 26  # 26 weekly windows back over six months, plus the splits
    newest = await conn.fetch_my_trades(BTC, limit=3)
    assert [f.trade_id for f in newest] == [f.trade_id for f in fills[-3:]]
    # the newest three are in the first week: the walk stops long before six months
    assert sent(sender, "/fapi/v1/userTrades") - pages < 26
    since = datetime.fromtimestamp((now - 25 * 3600 * 1000) / 1000, UTC)
    recent = await conn.fetch_my_trades(BTC, since=since)
    assert [f.trade_id for f in recent] == [f.trade_id for f in fills[-4:]]


async def test_no_fills_walks_six_months_in_weekly_windows(
        sender: InProcessSender, conn: Connector) -> None:
    assert await conn.fetch_my_trades(BTC) == []
    assert sent(sender, "/fapi/v1/userTrades") == 26  # ceil(180 days / 7 days)


async def test_position_merges_leverage_and_margin_type(sim: BinanceSimulator,
                                                        conn: Connector) -> None:
    assert await conn.set_leverage(BTC, 7) == 7
    await conn.place_order(resting(price=None, type="market", quantity="0.02"))
    await conn.place_order(resting(price=None, type="market", side="sell",
                                   quantity="0.05"))
    (short,) = await conn.fetch_positions()
    assert short.side is PositionSide.SHORT and short.quantity == Decimal("0.03")
    assert short.leverage == Decimal(7) and short.margin_mode is MarginMode.CROSS
    assert short.mark_price == Decimal("50000") and short.entry_price == Decimal("50000")


async def test_cancel_all_returns_what_was_open(sender: InProcessSender,
                                                conn: Connector) -> None:
    placed = [await conn.place_order(resting(price=str(40000 - i))) for i in range(3)]
    cancelled = await conn.cancel_all_orders(BTC)
    assert {o.order_id for o in cancelled} == {o.order_id for o in placed}
    assert all(o.status is OrderStatus.CANCELED for o in cancelled)
    assert await conn.cancel_all_orders(BTC) == []
    assert sent(sender, "/fapi/v1/allOpenOrders", "DELETE") == 1  # nothing open: no DELETE


async def test_a_batch_of_twelve_goes_in_chunks_of_five_with_per_item_errors(
        sender: InProcessSender, conn: Connector) -> None:
    await conn.place_order(resting(client_order_id="taken"))
    orders = [resting(price=str(40000 - i)) for i in range(11)]
    orders.append(resting(client_order_id="taken"))  # -4116 while the first is open
    results = await conn.place_orders(orders)
    assert sent(sender, "/fapi/v1/batchOrders", "POST") == 3
    assert all(isinstance(r, OrderResult) for r in results[:11])
    assert isinstance(results[11], DuplicateOrder) and results[11].code == "-4116"


async def test_batch_cancel_mixes_cancelled_and_unknown(conn: Connector) -> None:
    placed = [await conn.place_order(resting(price=str(40000 - i))) for i in range(2)]
    gone = await conn.cancel_order(BTC, order_id=placed[1].order_id)
    items = await conn.cancel_all_orders(BTC)
    assert [o.order_id for o in items] == [placed[0].order_id]
    assert gone.status is OrderStatus.CANCELED


async def test_amend_keeps_the_order_and_changes_price_and_quantity(conn: Connector) -> None:
    placed = await conn.place_order(resting())
    amended = await conn.amend_order(BTC, order_id=placed.order_id, price="39000.5",
                                     quantity="0.02")
    assert amended.order_id == placed.order_id
    assert (amended.price, amended.quantity) == (Decimal("39000.5"), Decimal("0.02"))
    by_cid = await conn.amend_order(BTC, client_order_id=placed.client_order_id,
                                    price="39000")
    assert by_cid.price == Decimal("39000") and by_cid.quantity == Decimal("0.02")


async def test_amend_of_a_missing_order_sends_no_modify(sender: InProcessSender,
                                                        conn: Connector) -> None:
    with pytest.raises(OrderNotFound):
        await conn.amend_order(BTC, order_id="123456789", price="39000")
    assert sent(sender, "/fapi/v1/order", "PUT") == 0


async def test_leverage_outside_the_bounds_is_refused(sim: BinanceSimulator,
                                                      sender: InProcessSender,
                                                      conn: Connector) -> None:
    before = len(sender.requests)
    with pytest.raises(InvalidArgument):
        await conn.set_leverage(BTC, 126)  # above the documented 125: nothing sent
    with pytest.raises(InvalidArgument):
        await conn.set_leverage(BTC, 0)
    assert len(sender.requests) == before
    with pytest.raises(InvalidArgument) as info:  # ETH's bracket allows 100: -4028
        await conn.set_leverage("ETH/USDT:USDT", 110)
    assert info.value.code == "-4028"


async def test_bad_input_is_refused_before_sending(sender: InProcessSender,
                                                   conn: Connector) -> None:
    before = len(sender.requests)
    with pytest.raises(UnknownSymbol):
        await conn.fetch_open_orders("DOGE/USDT:USDT")
    with pytest.raises(InvalidArgument):
        await conn.fetch_my_trades(BTC, limit=0)
    with pytest.raises(InvalidArgument):
        await conn.fetch_order_book(BTC, depth=0)
    assert len(sender.requests) == before


async def test_margin_type_and_position_mode_already_set_are_success(
        sim: BinanceSimulator, conn: Connector) -> None:
    market = await conn.market(BTC)
    isolated = account.set_margin_mode(market, MarginMode.ISOLATED)
    assert await run_plan(isolated, conn.run) == "ISOLATED"  # HTTP 200, "code": 200
    assert sim.margin_types["BTCUSDT"] == "ISOLATED"
    assert await run_plan(isolated, conn.run) == "ISOLATED"  # -4046 answered
    assert sim.margin_types["BTCUSDT"] == "ISOLATED"
    assert await run_plan(account.set_position_mode(False), conn.run) == "false"  # -4059
    assert await run_plan(account.set_position_mode(True), conn.run) == "true"
    assert sim.dual_side is True


async def test_ticker_and_book(conn: Connector) -> None:
    ticker = await conn.fetch_ticker(BTC)
    assert ticker.bid == Decimal("49999.9") and ticker.ask == Decimal("50000.1")
    assert ticker.last == Decimal("50000")
    book = await conn.fetch_order_book(BTC, depth=3)
    assert len(book.bids) == len(book.asks) == 3 and book.sequence is not None
