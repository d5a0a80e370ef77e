"""Open orders, fills, positions, ticker and book through the connector, against the
example venue's simulator (pages of three fills, positions merged from two endpoints)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from venuekit import InvalidArgument, OrderParams, OrderStatus, PositionSide, UnknownSymbol
from venuekit.connector import Connector
from venuekit.testing.example.simulator import ExampleSimulator

SYMBOL = "BTC/USDT:USDT"
ETH = "ETH/USDT:USDT"


def limit(price: str, side: str = "buy", symbol: str = SYMBOL, qty: str = "0.01") -> OrderParams:
    return OrderParams(symbol=symbol, side=side, type="limit", quantity=qty, price=price)


def market(side: str = "buy", symbol: str = SYMBOL, qty: str = "0.01") -> OrderParams:
    return OrderParams(symbol=symbol, side=side, type="market", quantity=qty)


# ---------------------------------------------------------------- open orders


async def test_open_orders_of_one_symbol_leave_out_others_and_filled(conn: Connector) -> None:
    resting = await conn.place_order(limit("40000"))
    await conn.place_order(limit("2000", symbol=ETH))
    await conn.place_order(market())
    orders = await conn.fetch_open_orders(SYMBOL)
    assert [o.order_id for o in orders] == [resting.order_id]
    assert orders[0].symbol == SYMBOL
    assert orders[0].status is OrderStatus.OPEN


async def test_open_orders_of_every_symbol_map_native_symbols_back(conn: Connector) -> None:
    await conn.place_order(limit("40000"))
    await conn.place_order(limit("2000", symbol=ETH))
    orders = await conn.fetch_open_orders()
    assert sorted(o.symbol for o in orders) == [SYMBOL, ETH]


async def test_open_orders_of_an_unknown_symbol_send_nothing(
        conn: Connector, sim: ExampleSimulator) -> None:
    await conn.fetch_markets()
    before = len(sim.stats.requests)
    with pytest.raises(UnknownSymbol):
        await conn.fetch_open_orders("NOPE/USDT:USDT")
    assert len(sim.stats.requests) == before


# ---------------------------------------------------------------- fills


async def _fills(conn: Connector, count: int, symbol: str = SYMBOL) -> list[str]:
    ids = []
    for i in range(count):
        placed = await conn.place_order(market("buy" if i % 2 == 0 else "sell", symbol))
        ids.append(placed.order_id)
    return ids


async def test_fills_come_oldest_first_across_pages(conn: Connector,
                                                    sim: ExampleSimulator) -> None:
    order_ids = await _fills(conn, 7)
    before = sim.stats.count("/v1/myTrades")
    fills = await conn.fetch_my_trades(SYMBOL)
    assert [f.order_id for f in fills] == order_ids
    assert len({f.trade_id for f in fills}) == 7
    assert fills == sorted(fills, key=lambda f: (f.timestamp, int(f.trade_id)))
    assert sim.stats.count("/v1/myTrades") - before == 3  # pages of 3, 3 and 1
    assert all(f.price == Decimal("50000") and f.quantity == Decimal("0.01") for f in fills)
    assert fills[0].fee == Decimal("0.25") and fills[0].fee_currency == "USDT"


async def test_fills_limit_without_since_keeps_the_newest(conn: Connector,
                                                          sim: ExampleSimulator) -> None:
    order_ids = await _fills(conn, 7)
    before = sim.stats.count("/v1/myTrades")
    fills = await conn.fetch_my_trades(SYMBOL, limit=4)
    assert [f.order_id for f in fills] == order_ids[-4:]
    assert sim.stats.count("/v1/myTrades") - before == 2  # stops once it holds 4


async def test_fills_since_keeps_the_oldest_in_range(conn: Connector,
                                                     sim: ExampleSimulator) -> None:
    await _fills(conn, 2)
    for fill in sim.state.fills:  # the first two lie a day back
        object.__setattr__(fill, "time_ms", fill.time_ms - 86_400_000)
    later = await _fills(conn, 5)
    since = datetime.now(UTC) - timedelta(hours=1)
    fills = await conn.fetch_my_trades(SYMBOL, since=since, limit=4)
    assert [f.order_id for f in fills] == later[:4]
    assert all(f.timestamp >= since for f in fills)


async def test_fills_tie_on_time_is_broken_by_trade_id_as_number(
        conn: Connector, sim: ExampleSimulator) -> None:
    await _fills(conn, 3)
    for fill, trade_id in zip(sim.state.fills, ("998", "1000", "999"), strict=True):
        object.__setattr__(fill, "time_ms", 1_700_000_000_000)
        object.__setattr__(fill, "trade_id", trade_id)
    fills = await conn.fetch_my_trades(SYMBOL)
    assert [f.trade_id for f in fills] == ["998", "999", "1000"]


@pytest.mark.parametrize("bad", [0, -3])
async def test_fills_limit_must_be_positive_nothing_sent(
        conn: Connector, sim: ExampleSimulator, bad: int) -> None:
    before = len(sim.stats.requests)
    with pytest.raises(InvalidArgument, match="limit"):
        await conn.fetch_my_trades(SYMBOL, limit=bad)
    assert len(sim.stats.requests) == before


async def test_fills_since_must_be_aware(conn: Connector) -> None:
    with pytest.raises(InvalidArgument, match="timezone"):
        await conn.fetch_my_trades(SYMBOL, since=datetime(2026, 1, 1))


# ---------------------------------------------------------------- positions


async def test_positions_merge_leverage_and_leave_flat_out(conn: Connector) -> None:
    await conn.set_leverage(SYMBOL, 7)
    await conn.place_order(market("buy", qty="0.03"))
    await conn.place_order(market("sell", qty="0.01"))
    await conn.place_order(market("sell", ETH, qty="0.5"))
    await conn.place_order(market("buy", ETH, qty="0.5"))  # flat again
    positions = await conn.fetch_positions()
    assert len(positions) == 1
    position = positions[0]
    assert position.symbol == SYMBOL
    assert position.side is PositionSide.LONG
    assert position.quantity == Decimal("0.02")
    assert position.entry_price == Decimal("50000")
    assert position.leverage == 7


async def test_positions_filtered_by_symbol(conn: Connector) -> None:
    await conn.place_order(market("sell", qty="0.02"))
    await conn.place_order(market("buy", ETH, qty="0.5"))
    positions = await conn.fetch_positions([ETH])
    assert [(p.symbol, p.side) for p in positions] == [(ETH, PositionSide.LONG)]
    shorts = await conn.fetch_positions([SYMBOL])
    assert [(p.symbol, p.side, p.quantity) for p in shorts] == [
        (SYMBOL, PositionSide.SHORT, Decimal("0.02"))]


# ---------------------------------------------------------------- market data


async def test_ticker_brackets_the_mark_price(conn: Connector) -> None:
    ticker = await conn.fetch_ticker(SYMBOL)
    assert ticker.symbol == SYMBOL
    assert ticker.bid is not None and ticker.ask is not None
    assert ticker.bid < Decimal("50000") < ticker.ask
    assert ticker.last == Decimal("50000")
    assert ticker.timestamp.tzinfo is not None


async def test_book_is_trimmed_to_depth_and_sorted_best_first(
        conn: Connector, sim: ExampleSimulator) -> None:
    book = await conn.fetch_order_book(SYMBOL, depth=7)
    assert len(book.bids) == len(book.asks) == 7
    assert [p for p, _ in book.bids] == sorted((p for p, _ in book.bids), reverse=True)
    assert [p for p, _ in book.asks] == sorted(p for p, _ in book.asks)
    assert book.bids[0][0] < book.asks[0][0]
    assert book.sequence is not None
    assert "limit=10" in sim.stats.raw_targets[-1]  # smallest venue depth covering 7


async def test_book_depth_must_be_positive(conn: Connector) -> None:
    with pytest.raises(InvalidArgument, match="depth"):
        await conn.fetch_order_book(SYMBOL, depth=0)


async def test_ticker_sizes_an_order_with_market_rounding(conn: Connector) -> None:
    ticker = await conn.fetch_ticker(SYMBOL)
    btc = await conn.market(SYMBOL)
    assert ticker.bid is not None
    quantity = btc.round_quantity(Decimal("1000") / ticker.bid, rounding="ROUND_DOWN")
    price = btc.round_price(ticker.bid * Decimal("0.99"), rounding="ROUND_DOWN")
    placed = await conn.place_order(limit(str(price), qty=str(quantity)))
    assert placed.quantity == Decimal("0.02")
    assert placed.status is OrderStatus.OPEN
