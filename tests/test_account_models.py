"""The part-two models and Market's rounding helpers."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_UP, Decimal

import pytest
from venuekit import Fill, Market, OrderBook, Position, PositionSide, Side, Ticker
from venuekit.convert import to_jsonable

NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
BTC = Market(symbol="BTC/USDT:USDT", native="BTCUSDT", base="BTC", quote="USDT", kind="swap",
             tick_size="0.1", step_size="0.001")


@pytest.mark.parametrize(("value", "rounding", "expected"), [
    ("0.0129", ROUND_DOWN, "0.012"),
    ("0.0121", ROUND_UP, "0.013"),
    ("0.0125", ROUND_HALF_EVEN, "0.012"),
    (0.1, ROUND_DOWN, "0.100"),  # a float goes through str(), never its binary expansion
    ("3", ROUND_DOWN, "3.000"),
])
def test_round_quantity_to_step_in_the_direction_asked(value: object, rounding: str,
                                                       expected: str) -> None:
    result = BTC.round_quantity(value, rounding=rounding)
    assert result == Decimal(expected)
    assert str(result) == expected  # on the step's exponent, ready to send


@pytest.mark.parametrize(("value", "rounding", "expected"), [
    ("50000.06", ROUND_DOWN, "50000.0"),
    ("50000.01", ROUND_UP, "50000.1"),
])
def test_round_price_to_tick(value: str, rounding: str, expected: str) -> None:
    assert str(BTC.round_price(value, rounding=rounding)) == expected


def test_rounding_direction_has_no_default() -> None:
    with pytest.raises(TypeError):
        BTC.round_price("1")  # type: ignore[call-arg]


def test_fill_needs_an_aware_time_and_a_trade_id() -> None:
    fields = dict(symbol="BTC/USDT:USDT", order_id="1", trade_id="9", side="BUY",
                  price="50000", quantity="0.01", timestamp=NOW)
    fill = Fill(**fields)  # type: ignore[arg-type]
    assert fill.side is Side.BUY and fill.price == Decimal("50000")
    assert fill.fee == 0 and fill.is_maker is None
    with pytest.raises(ValueError, match="timezone"):
        Fill(**{**fields, "timestamp": datetime(2026, 1, 1)})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="trade id"):
        Fill(**{**fields, "trade_id": ""})  # type: ignore[arg-type]


def test_position_quantity_is_never_negative() -> None:
    position = Position(symbol="BTC/USDT:USDT", side="SHORT", quantity="0.5", leverage="10")
    assert position.side is PositionSide.SHORT and position.leverage == Decimal(10)
    with pytest.raises(ValueError, match="quantity"):
        Position(symbol="BTC/USDT:USDT", side="short", quantity="-0.5")


def test_book_levels_are_sorted_best_first() -> None:
    book = OrderBook(symbol="BTC/USDT:USDT", bids=[("99", "1"), ("100", "2")],
                     asks=[("102", "1"), ("101", "3")], timestamp=NOW, sequence=7)
    assert book.bids == ((Decimal(100), Decimal(2)), (Decimal(99), Decimal(1)))
    assert book.asks[0] == (Decimal(101), Decimal(3))
    assert book.best_bid == (Decimal(100), Decimal(2))
    assert OrderBook(symbol="X", bids=[], asks=[]).best_ask is None


def test_models_serialise_with_decimals_as_strings() -> None:
    ticker = Ticker(symbol="BTC/USDT:USDT", bid="1.10", ask=None, last="1.2", timestamp=NOW)
    data = to_jsonable(ticker)
    assert data == {"symbol": "BTC/USDT:USDT", "bid": "1.10", "ask": None, "last": "1.2",
                    "timestamp": "2026-12-07T06:00:00+00:00"}
