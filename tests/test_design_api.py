"""The public API of DESIGN part two (sections 12-14), exactly as the design writes it.

Signatures are compared parameter by parameter (name, kind, default), model fields name by
name, so a rename or a dropped default is caught here before a host's code breaks. The
behaviour tests cover what a host may naturally pass that the signature alone does not
show: ``since`` as epoch milliseconds, and one symbol given to ``fetch_positions``.
"""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import attrs
import pytest
import venuekit
from venuekit import (
    ExchangeError,
    Fill,
    InvalidArgument,
    OrderBook,
    OrderParams,
    Position,
    PositionSide,
    Ticker,
    Trade,
)
from venuekit.connector import Connector
from venuekit.testing.example.simulator import ExampleSimulator

SYMBOL = "BTC/USDT:USDT"
EMPTY = inspect.Parameter.empty

#: method -> (parameter, default) after ``self``, as DESIGN 12 and 13 write them
DESIGN_METHODS: dict[str, list[tuple[str, object]]] = {
    "fetch_open_orders": [("symbol", None)],
    "fetch_my_trades": [("symbol", EMPTY), ("since", None), ("limit", None)],
    "fetch_positions": [("symbols", None)],
    "cancel_all_orders": [("symbol", EMPTY)],
    "amend_order": [("symbol", EMPTY), ("order_id", None), ("client_order_id", None),
                    ("quantity", None), ("price", None)],
    "set_leverage": [("symbol", EMPTY), ("leverage", EMPTY)],
    "place_orders": [("orders", EMPTY)],
    "fetch_ticker": [("symbol", EMPTY)],
    "fetch_order_book": [("symbol", EMPTY), ("depth", 20)],
    "watch_orders": [("symbol", None)],
    "watch_fills": [("symbol", None)],
    "watch_balance": [],
    "watch_positions": [],
    "watch_ticker": [("symbol", EMPTY)],
    "watch_order_book": [("symbol", EMPTY), ("depth", 20)],
    "watch_trades": [("symbol", EMPTY)],
    "recover": [],
}

DESIGN_MODELS: dict[type, list[str]] = {
    Fill: ["symbol", "order_id", "client_order_id", "trade_id", "side", "price", "quantity",
           "fee", "fee_currency", "is_maker", "timestamp"],
    Position: ["symbol", "side", "quantity", "entry_price", "mark_price", "unrealized_pnl",
               "leverage", "liquidation_price", "margin_mode"],
    Ticker: ["symbol", "bid", "ask", "last", "timestamp"],
    OrderBook: ["symbol", "bids", "asks", "timestamp", "sequence"],
    Trade: ["symbol", "trade_id", "side", "price", "quantity", "timestamp"],
}


@pytest.mark.parametrize("name", sorted(DESIGN_METHODS))
def test_connector_methods_take_the_parameters_design_names(name: str) -> None:
    params = list(inspect.signature(getattr(Connector, name)).parameters.values())[1:]
    assert [(p.name, p.default) for p in params] == DESIGN_METHODS[name]
    assert all(p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD for p in params)


@pytest.mark.parametrize("model", list(DESIGN_MODELS), ids=lambda m: m.__name__)
def test_models_have_the_fields_design_names(model: type) -> None:
    assert [f.name for f in attrs.fields(model)] == DESIGN_MODELS[model]
    assert model.__name__ in venuekit.__all__


def test_connect_takes_the_part_two_options_keyword_only() -> None:
    params = inspect.signature(venuekit.connect).parameters
    for name in ("journal", "stream_base_url"):
        assert params[name].kind is inspect.Parameter.KEYWORD_ONLY
        assert params[name].default is None


def test_not_supported_is_an_exchange_error_exported_at_the_top() -> None:
    assert issubclass(venuekit.NotSupported, ExchangeError)
    assert {"NotSupported", "OrderStatusUnknown"} <= set(venuekit.__all__)


async def _two_fills(conn: Connector, sim: ExampleSimulator) -> None:
    for side in ("buy", "sell"):
        await conn.place_order(OrderParams(symbol=SYMBOL, side=side, type="market",
                                           quantity="0.01"))
    first = sim.state.fills[0]  # a day back
    object.__setattr__(first, "time_ms", first.time_ms - 86_400_000)


async def test_fills_since_epoch_milliseconds_reads_like_the_datetime(
        conn: Connector, sim: ExampleSimulator) -> None:
    await _two_fills(conn, sim)
    since = datetime.now(UTC) - timedelta(hours=1)
    as_ms = int(since.timestamp() * 1000)
    by_ms = await conn.fetch_my_trades(SYMBOL, since=as_ms)
    assert by_ms == await conn.fetch_my_trades(SYMBOL, since=since)
    assert len(by_ms) == 1
    assert len(await conn.fetch_my_trades(SYMBOL, as_ms - 86_400_000 * 2)) == 2


@pytest.mark.parametrize("bad", [True, -1, 1.5, "2026-01-01"])
async def test_fills_since_of_another_kind_is_refused_before_sending(
        conn: Connector, sim: ExampleSimulator, bad: object) -> None:
    before = len(sim.stats.requests)
    with pytest.raises(InvalidArgument, match="since"):
        await conn.fetch_my_trades(SYMBOL, since=bad)  # type: ignore[arg-type]
    assert len(sim.stats.requests) == before


async def test_positions_of_one_symbol_given_as_a_string(conn: Connector) -> None:
    await conn.place_order(OrderParams(symbol=SYMBOL, side="sell", type="market",
                                       quantity="0.02"))
    positions = await conn.fetch_positions(SYMBOL)
    assert [(p.symbol, p.side, p.quantity) for p in positions] == [
        (SYMBOL, PositionSide.SHORT, Decimal("0.02"))]
    assert positions == await conn.fetch_positions([SYMBOL])
