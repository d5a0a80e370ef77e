"""Readers of BingX swap payloads: plain functions from the ``data`` field to core models.

Numbers arrive as strings (``"194.8212"``) or JSON numbers; JSON numbers are decoded as
Decimal by the core, and order ids (int64, above 2**53) as exact Python ints. Anything that
is not shaped as documented raises :class:`~venuekit.BadResponse`.
"""

from __future__ import annotations

from decimal import Decimal

from venuekit.models import (
    AssetBalance,
    Balance,
    Market,
    MarketKind,
    OrderParams,
    OrderResult,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)
from venuekit.payload import Reader
from venuekit.wire import Response

__all__ = [
    "NAME",
    "client_id_of",
    "data_of",
    "parse_balance",
    "parse_markets",
    "parse_order",
    "parse_order_answer",
    "parse_placed",
    "parse_server_time",
    "placed",
]

NAME = "bingx"

#: BingX order statuses. ``PENDING`` is what the docs' query example shows for a resting
#: order; ``FAILED`` is a rejected one. Both spellings of cancelled occur.
STATUS = {
    "NEW": OrderStatus.OPEN,
    "PENDING": OrderStatus.OPEN,
    "PARTIALLY_FILLED": OrderStatus.PARTIALLY_FILLED,
    "FILLED": OrderStatus.FILLED,
    "CANCELED": OrderStatus.CANCELED,
    "CANCELLED": OrderStatus.CANCELED,
    "EXPIRED": OrderStatus.EXPIRED,
    "FAILED": OrderStatus.REJECTED,
}

TIME_IN_FORCE = {"GTC": TimeInForce.GTC, "IOC": TimeInForce.IOC, "FOK": TimeInForce.FOK,
                 "POSTONLY": TimeInForce.POST_ONLY}

#: Contract status 1 is "online"; 25 (no new positions), 5 (pre-online), 0 (offline) are not
#: open for the orders this plugin places.
ONLINE = 1


ZERO = Decimal(0)


def data_of(response: Response) -> Reader:
    """The ``data`` of a success envelope (``parse_error`` has already refused failures)."""
    return Reader.of(response).at("data")


def _positive(row: Reader, key: str) -> Decimal | None:
    """A price field where BingX writes 0 (or "0.0000") for "none"."""
    return row.nonzero_decimal(key)


# ---------------------------------------------------------------- public


def parse_server_time(response: Response) -> int:
    return data_of(response).ms("serverTime")


def _step(row: Reader, key: str) -> Decimal:
    precision = row.integer(key)
    if precision < 0:
        raise row.error(f"not a number of decimals: {precision}", key)
    return Decimal(1).scaleb(-precision)


def parse_market(row: Reader) -> Market:
    """One contract of ``/openApi/swap/v2/quote/contracts``; quantities are in coin."""
    native = row.optional_text("symbol") or ""
    base_part, hyphen, quote = native.partition("-")
    if not hyphen:
        raise row.error(f"contract symbol is not BASE-QUOTE: {row.get('symbol')!r}", "symbol")
    base = row.optional_text("asset") or base_part
    settle = row.optional_text("currency") or quote
    online = str(row.get("status")).strip() == str(ONLINE)
    api_open = str(row.get("apiStateOpen")).strip().lower() != "false"
    return Market(
        symbol=f"{base}/{quote}:{settle}", native=native, base=base, quote=quote,
        settle=settle, kind=MarketKind.SWAP,
        tick_size=_step(row, "pricePrecision"), step_size=_step(row, "quantityPrecision"),
        min_quantity=row.decimal("tradeMinQuantity", default=ZERO),
        min_notional=_positive(row, "tradeMinUSDT"),
        active=online and api_open)


def parse_markets(response: Response) -> list[Market]:
    return [parse_market(row) for row in data_of(response).rows()]


# ---------------------------------------------------------------- account


def _asset(row: Reader) -> AssetBalance:
    """``balance`` is the wallet balance (excluding unrealised PnL, which ``equity`` adds);
    ``availableMargin`` is what new orders can use; used and frozen margin are in use."""
    asset, total, free = row.text("asset"), row.decimal("balance"), row.decimal("availableMargin")
    used = row.decimal("usedMargin", default=ZERO) + row.decimal("freezedMargin", default=ZERO)
    return AssetBalance(asset, free, used, total)


def parse_balance(response: Response) -> Balance:
    """v3 answers a list of assets (USDT and USDC); v2 an object ``{"balance": {...}}``."""
    data = data_of(response)
    rows = [data.at("balance")] if data.is_object() else data.rows()
    return Balance(NAME, [_asset(row) for row in rows])


# ---------------------------------------------------------------- orders


def client_id_of(data: Reader) -> str | None:
    """The client order id, under either casing the venue uses (``clientOrderId`` in the
    documented responses, ``clientOrderID`` in its request examples and some clients)."""
    return data.optional_text("clientOrderId") or data.optional_text("clientOrderID")


def _order_row(response: Response) -> Reader:
    return data_of(response).at("order")


def _enum(row: Reader, key: str, kind: type[Side] | type[OrderType]) -> Side | OrderType:
    value = row.get(key)
    try:
        return kind(str(value))
    except ValueError:
        raise row.error(f"{value!r} is not one this plugin places", key) from None


def parse_order(data: Reader, symbol: str) -> OrderResult:
    """A full order (query / cancel answers) as an :class:`OrderResult`."""
    status = STATUS.get(str(data.get("status")).upper())
    if status is None:
        raise data.error(f"unknown order status {data.get('status')!r}", "status")
    tif = TIME_IN_FORCE.get(str(data.get("timeInForce")).upper())
    filled = data.decimal("executedQty", default=ZERO)
    kind = _enum(data, "type", OrderType)
    return OrderResult(
        exchange=NAME, symbol=symbol, order_id=data.text("orderId"),
        client_order_id=client_id_of(data),
        side=_enum(data, "side", Side), type=kind,
        status=status, quantity=data.optional_decimal("origQty"),
        # a market order has no price, whatever BingX echoes there (the stream's MARKET
        # push carries its execution price in ``p``)
        price=None if kind is OrderType.MARKET else _positive(data, "price"),
        filled_quantity=filled,
        average_price=_positive(data, "avgPrice") if filled else None,
        time_in_force=tif, reduce_only=data.boolean("reduceOnly", default=False),
        created_at=data.optional_timestamp("time"),
        updated_at=data.optional_timestamp("updateTime"))


def placed(data: Reader, order: OrderParams, symbol: str) -> OrderResult:
    """One place answer (single or batch row): the id and a few echoes, plus — in the
    response table of BX-V3 "Place order" — ``status``, ``executedQty`` and ``avgPrice``
    ("present when type=MARKET"). What the answer does not carry comes from the order as
    sent; without a ``status`` the order is ``OPEN`` (accepted)."""
    if data.get("status") is not None and data.get("origQty") is not None:
        return parse_order(data, symbol)
    status, filled, average = OrderStatus.OPEN, ZERO, None
    if data.get("status") not in (None, ""):
        found = STATUS.get(str(data.get("status")).upper())
        if found is None:
            raise data.error(f"unknown order status {data.get('status')!r}", "status")
        status, filled = found, data.decimal("executedQty", default=ZERO)
        average = _positive(data, "avgPrice") if filled else None
    return OrderResult(
        exchange=NAME, symbol=symbol, order_id=data.text("orderId"),
        client_order_id=client_id_of(data) or order.client_order_id,
        side=order.side, type=order.type, status=status, quantity=order.quantity,
        price=order.price, filled_quantity=filled, average_price=average,
        time_in_force=order.time_in_force, reduce_only=order.reduce_only)


def parse_placed(response: Response, order: OrderParams, symbol: str) -> OrderResult:
    """The place-order answer ``data.order`` (see :func:`placed`)."""
    return placed(_order_row(response), order, symbol)


def parse_order_answer(response: Response, symbol: str) -> OrderResult:
    return parse_order(_order_row(response), symbol)
