"""Readers of BingX swap payloads: plain functions from the ``data`` field to core models.

Numbers arrive as strings (``"194.8212"``) or JSON numbers; JSON numbers are decoded as
Decimal by the core, and order ids (int64, above 2**53) as exact Python ints. Anything that
is not shaped as documented raises :class:`~venuekit.BadResponse`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from venuekit.errors import BadResponse
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


def bad(why: str, response: Response | None = None) -> BadResponse:
    return BadResponse(f"unexpected BingX payload: {why}", exchange=NAME,
                       status=response.status if response is not None else None)


def data_of(response: Response) -> Any:
    """The ``data`` of a success envelope (``parse_error`` has already refused failures)."""
    payload = response.json()
    if not isinstance(payload, dict) or "data" not in payload:
        raise bad("no data in the envelope", response)
    return payload["data"]


def _decimal(value: Any, name: str) -> Decimal:
    if isinstance(value, bool) or value is None or value == "":
        raise bad(f"{name} is missing")
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        raise bad(f"{name} is not a number: {value!r}") from None


def _opt_decimal(value: Any, name: str) -> Decimal | None:
    return None if value is None or value == "" else _decimal(value, name)


def _positive(value: Any, name: str) -> Decimal | None:
    """A price field where BingX writes 0 (or "0.0000") for "none"."""
    amount = _opt_decimal(value, name)
    return amount if amount else None


def _ms(value: Any) -> datetime | None:
    if value in (None, "", 0):
        return None
    try:
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    except (TypeError, ValueError, OverflowError):
        raise bad(f"timestamp is not milliseconds: {value!r}") from None


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def _row(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise bad(f"{what} is not an object")
    return value


# ---------------------------------------------------------------- public


def parse_server_time(response: Response) -> int:
    data = _row(data_of(response), "server time")
    try:
        return int(data["serverTime"])
    except (KeyError, TypeError, ValueError):
        raise bad("no serverTime", response) from None


def _step(precision: Any, name: str) -> Decimal:
    if isinstance(precision, bool) or not isinstance(precision, int) or precision < 0:
        raise bad(f"{name} is not a number of decimals: {precision!r}")
    return Decimal(1).scaleb(-precision)


def parse_market(row: Mapping[str, Any]) -> Market:
    """One contract of ``/openApi/swap/v2/quote/contracts``; quantities are in coin."""
    try:
        native = str(row["symbol"])
        base_part, quote = native.split("-", 1)
    except (KeyError, ValueError):
        raise bad(f"contract symbol is not BASE-QUOTE: {row.get('symbol')!r}") from None
    base = str(row.get("asset") or base_part)
    settle = str(row.get("currency") or quote)
    status = row.get("status")
    online = str(status).strip() == str(ONLINE)
    api_open = str(row.get("apiStateOpen", "true")).strip().lower() != "false"
    return Market(
        symbol=f"{base}/{quote}:{settle}", native=native, base=base, quote=quote,
        settle=settle, kind=MarketKind.SWAP,
        tick_size=_step(row.get("pricePrecision"), "pricePrecision"),
        step_size=_step(row.get("quantityPrecision"), "quantityPrecision"),
        min_quantity=_opt_decimal(row.get("tradeMinQuantity"), "tradeMinQuantity") or 0,
        min_notional=_positive(row.get("tradeMinUSDT"), "tradeMinUSDT"),
        active=online and api_open)


def parse_markets(response: Response) -> list[Market]:
    rows = data_of(response)
    if not isinstance(rows, list):
        raise bad("contracts is not a list", response)
    return [parse_market(_row(row, "contract")) for row in rows]


# ---------------------------------------------------------------- account


def _asset(row: Mapping[str, Any]) -> AssetBalance:
    """``balance`` is the wallet balance (excluding unrealised PnL, which ``equity`` adds);
    ``availableMargin`` is what new orders can use; used and frozen margin are in use."""
    try:
        asset = str(row["asset"])
    except KeyError:
        raise bad("balance row without asset") from None
    total = _decimal(row.get("balance"), "balance")
    free = _decimal(row.get("availableMargin"), "availableMargin")
    used = (_opt_decimal(row.get("usedMargin"), "usedMargin") or Decimal(0)) + \
        (_opt_decimal(row.get("freezedMargin"), "freezedMargin") or Decimal(0))
    return AssetBalance(asset, free, used, total)


def parse_balance(response: Response) -> Balance:
    """v3 answers a list of assets (USDT and USDC); v2 an object ``{"balance": {...}}``."""
    data = data_of(response)
    if isinstance(data, dict) and isinstance(data.get("balance"), dict):
        data = [data["balance"]]
    if not isinstance(data, list):
        raise bad("balance is neither a list nor {balance: {...}}", response)
    return Balance(NAME, [_asset(_row(row, "balance row")) for row in data])


# ---------------------------------------------------------------- orders


def client_id_of(data: Mapping[str, Any]) -> str | None:
    """The client order id, under either casing the venue uses (``clientOrderId`` in the
    documented responses, ``clientOrderID`` in its request examples and some clients)."""
    for key in ("clientOrderId", "clientOrderID"):
        value = data.get(key)
        if value not in (None, ""):
            return str(value)
    return None


def _order_row(response: Response) -> Mapping[str, Any]:
    data = data_of(response)
    order = data.get("order") if isinstance(data, dict) else None
    if not isinstance(order, dict):
        raise bad("no order in data", response)
    return _row(order, "order")


def _order_id(data: Mapping[str, Any]) -> str:
    value = data.get("orderId")
    if value in (None, "") or isinstance(value, bool | Decimal | float):
        raise bad(f"orderId is not an integer: {value!r}")
    return str(value)


def _enum(value: Any, kind: type[Side] | type[OrderType], name: str) -> Any:
    try:
        return kind(str(value))
    except ValueError:
        raise bad(f"{name} {value!r} is not one this plugin places") from None


def parse_order(data: Mapping[str, Any], symbol: str) -> OrderResult:
    """A full order (query / cancel answers) as an :class:`OrderResult`."""
    status = STATUS.get(str(data.get("status", "")).upper())
    if status is None:
        raise bad(f"unknown order status {data.get('status')!r}")
    tif = TIME_IN_FORCE.get(str(data.get("timeInForce", "")).upper())
    filled = _opt_decimal(data.get("executedQty"), "executedQty") or Decimal(0)
    return OrderResult(
        exchange=NAME, symbol=symbol, order_id=_order_id(data),
        client_order_id=client_id_of(data),
        side=_enum(data.get("side"), Side, "side"),
        type=_enum(data.get("type"), OrderType, "type"),
        status=status, quantity=_opt_decimal(data.get("origQty"), "origQty"),
        price=_positive(data.get("price"), "price"), filled_quantity=filled,
        average_price=_positive(data.get("avgPrice"), "avgPrice") if filled else None,
        time_in_force=tif, reduce_only=_bool(data.get("reduceOnly", False)),
        created_at=_ms(data.get("time")), updated_at=_ms(data.get("updateTime")))


def parse_placed(response: Response, order: OrderParams, symbol: str) -> OrderResult:
    """The place-order answer: BingX acknowledges with the id and echoes a few fields, but
    no status or quantities; those come from the order as sent (status ``OPEN``: accepted)."""
    data = _order_row(response)
    if "status" in data and "origQty" in data:
        return parse_order(data, symbol)
    return OrderResult(
        exchange=NAME, symbol=symbol, order_id=_order_id(data),
        client_order_id=client_id_of(data) or order.client_order_id,
        side=order.side, type=order.type, status=OrderStatus.OPEN, quantity=order.quantity,
        price=order.price, time_in_force=order.time_in_force, reduce_only=order.reduce_only)


def parse_order_answer(response: Response, symbol: str) -> OrderResult:
    return parse_order(_order_row(response), symbol)
