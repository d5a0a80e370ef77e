"""Frozen models for account state and market data: fills, positions, tickers, books, trades.

They follow :mod:`venuekit.models`: amounts are :class:`~decimal.Decimal` (a caller's float
goes through ``str()``), datetimes are timezone-aware UTC, and **quantities are in base
currency everywhere**, so a plugin on a venue that counts contracts (OKX swaps) converts
with the market's ``contract_size`` before building these.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from attrs import field, frozen

from .models import Side, _CaseInsensitiveEnum, _opt_decimal, _utc, _utc_required, to_decimal

__all__ = [
    "Fill",
    "MarginMode",
    "OrderBook",
    "Position",
    "PositionSide",
    "Ticker",
    "Trade",
]


class PositionSide(_CaseInsensitiveEnum):
    """Which way a position points; a flat position is left out, never reported as a side."""

    LONG = "long"
    SHORT = "short"


class MarginMode(_CaseInsensitiveEnum):
    CROSS = "cross"
    ISOLATED = "isolated"


def _opt_margin_mode(value: object) -> MarginMode | None:
    return None if value is None else MarginMode(value)


def _opt_bool(value: object) -> bool | None:
    return None if value is None else bool(value)


def _non_negative(name: str, value: Decimal) -> None:
    if not value.is_finite() or value < 0:
        raise ValueError(f"{name} must be a finite number not below zero, got {value}")


@frozen(kw_only=True)
class Fill:
    """One execution of one of our orders.

    ``trade_id`` is the venue's id of the execution (never an aggregate), so fills can be
    deduplicated across overlapping pages. ``fee`` is what the account paid, positive; a
    maker rebate is negative. ``is_maker`` is None where the venue does not say.
    """

    symbol: str
    order_id: str
    client_order_id: str | None = None
    trade_id: str
    side: Side = field(converter=Side)
    price: Decimal = field(converter=to_decimal)
    quantity: Decimal = field(converter=to_decimal)
    fee: Decimal = field(default=Decimal(0), converter=to_decimal)
    fee_currency: str | None = None
    is_maker: bool | None = field(default=None, converter=_opt_bool)
    timestamp: datetime = field(converter=_utc_required)

    def __attrs_post_init__(self) -> None:
        if not self.trade_id:
            raise ValueError("a fill needs the venue's trade id")
        _non_negative("quantity", self.quantity)


@frozen(kw_only=True)
class Position:
    """An open derivatives position, quantity in base currency and always above zero.

    ``leverage`` is a Decimal because some venues allow fractional leverage (Bybit); it
    and the prices are None where the venue does not report them.
    """

    symbol: str
    side: PositionSide = field(converter=PositionSide)
    quantity: Decimal = field(converter=to_decimal)
    entry_price: Decimal | None = field(default=None, converter=_opt_decimal)
    mark_price: Decimal | None = field(default=None, converter=_opt_decimal)
    unrealized_pnl: Decimal | None = field(default=None, converter=_opt_decimal)
    leverage: Decimal | None = field(default=None, converter=_opt_decimal)
    liquidation_price: Decimal | None = field(default=None, converter=_opt_decimal)
    margin_mode: MarginMode | None = field(default=None, converter=_opt_margin_mode)

    def __attrs_post_init__(self) -> None:
        _non_negative("quantity", self.quantity)

    @property
    def is_flat(self) -> bool:
        return self.quantity == 0


@frozen(kw_only=True)
class Ticker:
    """Best bid, best ask and last price; each None where the venue has none right now."""

    symbol: str
    bid: Decimal | None = field(default=None, converter=_opt_decimal)
    ask: Decimal | None = field(default=None, converter=_opt_decimal)
    last: Decimal | None = field(default=None, converter=_opt_decimal)
    timestamp: datetime = field(converter=_utc_required)


Level = tuple[Decimal, Decimal]


def _levels(value: Iterable[tuple[object, object]], *, descending: bool) -> tuple[Level, ...]:
    levels = tuple((to_decimal(price), to_decimal(quantity)) for price, quantity in value)
    return tuple(sorted(levels, key=lambda level: level[0], reverse=descending))


def _bids(value: Iterable[tuple[object, object]]) -> tuple[Level, ...]:
    return _levels(value, descending=True)


def _asks(value: Iterable[tuple[object, object]]) -> tuple[Level, ...]:
    return _levels(value, descending=False)


@frozen(kw_only=True)
class OrderBook:
    """A snapshot of the book: ``(price, quantity)`` levels, best first on both sides.

    Levels are sorted on construction (bids highest first, asks lowest first), so a plugin
    may pass them in the venue's order. ``sequence`` is the venue's update id or version
    where it has one: the streams' book keeper lines deltas up against it.
    """

    symbol: str
    bids: tuple[Level, ...] = field(converter=_bids)
    asks: tuple[Level, ...] = field(converter=_asks)
    timestamp: datetime | None = field(default=None, converter=_utc)
    sequence: int | None = None

    @property
    def best_bid(self) -> Level | None:
        return self.bids[0] if self.bids else None

    @property
    def best_ask(self) -> Level | None:
        return self.asks[0] if self.asks else None


@frozen(kw_only=True)
class Trade:
    """A public trade on the market; ``side`` is the taker's side."""

    symbol: str
    trade_id: str
    side: Side = field(converter=Side)
    price: Decimal = field(converter=to_decimal)
    quantity: Decimal = field(converter=to_decimal)
    timestamp: datetime = field(converter=_utc_required)

