"""Pionex response parsers: venue payloads -> venuekit models. Plain functions, no I/O.

Every success is ``{"result": true, "data": {...}, "timestamp": <ms>}`` (PX-OAS
``BaseResponse``). Anything else that reaches a parser (the error mapper has already
handled ``result: false``) is a :class:`~venuekit.BadResponse` naming what was missing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

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
    TimeInForce,
)
from venuekit.wire import Response

from .info import NAME

__all__ = [
    "accepted_order",
    "canceled_order",
    "envelope",
    "order_status",
    "parse_balance",
    "parse_market",
    "parse_markets",
    "parse_order",
    "response_timestamp",
]

T = TypeVar("T")
ZERO = Decimal(0)


# ---------------------------------------------------------------- envelope


def envelope(response: Response) -> dict[str, Any]:
    """The success envelope, or BadResponse."""
    payload = response.json()
    if not isinstance(payload, dict) or payload.get("result") is not True:
        raise response.bad("not a Pionex success envelope (result is not true)")
    return payload


def data(response: Response) -> dict[str, Any]:
    """The ``data`` object of a success envelope."""
    value = envelope(response).get("data")
    if not isinstance(value, dict):
        raise response.bad("no data object in the Pionex envelope")
    return value


def reading(response: Response, what: str, read: Callable[[], T]) -> T:
    """Run ``read``; a missing field or a bad number becomes one clear BadResponse."""
    try:
        return read()
    except BadResponse:
        raise
    except (KeyError, IndexError, TypeError, ValueError, InvalidOperation) as exc:
        raise response.bad(f"cannot read {what}: {type(exc).__name__}: {exc}") from None


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise TypeError(f"not a number: {value!r}")
    if isinstance(value, float):  # never produced by Response.json, kept for safety
        value = str(value)
    number = Decimal(value) if not isinstance(value, Decimal) else value
    if not number.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return number


def _opt_decimal(value: Any) -> Decimal | None:
    return None if value is None or value == "" else _decimal(value)


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError(f"not an integer: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise ValueError(f"not an integer: {value!r}")


def _ms(value: Any) -> datetime | None:
    return None if value in (None, "", 0) else datetime.fromtimestamp(_int(value) / 1000, UTC)


# ---------------------------------------------------------------- clock


def response_timestamp(response: Response) -> int:
    """The envelope's ``timestamp`` (ms): Pionex has no time endpoint, every answer has this."""
    payload = envelope(response)
    return reading(response, "the envelope timestamp", lambda: _int(payload["timestamp"]))


# ---------------------------------------------------------------- markets


def _power_of_ten(places: Any) -> Decimal:
    """``6`` -> ``Decimal("0.000001")``: Pionex gives precisions as decimal places."""
    return Decimal(1).scaleb(-_int(places))


def parse_market(row: dict[str, Any]) -> Market | None:
    """One ``SymbolInfo`` row; None for a row that is not a spot market (PERP rows).

    tick = 10^-quotePrecision, step = 10^-basePrecision, min_quantity = ``minTradeSize``
    (limit orders; market sells are checked by the venue against ``minTradeDumping``),
    min_notional = ``minAmount`` (the spot minimum order value in quote currency).
    """
    if str(row.get("type", "SPOT")).upper() != "SPOT":
        return None
    base, quote = str(row["baseCurrency"]), str(row["quoteCurrency"])
    return Market(
        symbol=f"{base}/{quote}", native=str(row["symbol"]), base=base, quote=quote,
        kind=MarketKind.SPOT, tick_size=_power_of_ten(row["quotePrecision"]),
        step_size=_power_of_ten(row["basePrecision"]),
        min_quantity=_opt_decimal(row.get("minTradeSize")) or ZERO,
        min_notional=_opt_decimal(row.get("minAmount")),
        active=row.get("enable", True) is True)


def parse_markets(response: Response) -> list[Market]:
    rows = data(response).get("symbols")
    if not isinstance(rows, list):
        raise response.bad("no symbols list in the Pionex answer")

    def read() -> list[Market]:
        markets = (parse_market(row) for row in rows)
        return [market for market in markets if market is not None]
    return reading(response, "the symbols", read)


# ---------------------------------------------------------------- balance


def parse_balance(response: Response) -> Balance:
    """``data.balances``: ``coin``, ``free`` and ``frozen`` (the trading account only)."""
    rows = data(response).get("balances")
    if not isinstance(rows, list):
        raise response.bad("no balances list in the Pionex answer")

    def read() -> Balance:
        assets = []
        for row in rows:
            free, frozen = _decimal(row["free"]), _decimal(row["frozen"])
            assets.append(AssetBalance(str(row["coin"]), free, frozen, free + frozen))
        return Balance(NAME, assets)
    return reading(response, "the balances", read)


# ---------------------------------------------------------------- orders


def order_status(status: str, order_type: OrderType, ioc: bool, size: Decimal | None,
                 filled: Decimal) -> OrderStatus:
    """Pionex knows only ``OPEN`` and ``CLOSED``; the fill tells the rest.

    * OPEN: ``open``, or ``partially_filled`` once something traded;
    * CLOSED and fully filled (or a market order that traded at all: a market buy has no
      base size, and a dust remainder of its quote amount is not a cancel): ``filled``;
    * CLOSED otherwise: ``expired`` for IOC and market orders (the book ran out),
      ``canceled`` for a resting limit order (``filled_quantity`` keeps any partial fill).
    """
    if status == "OPEN":
        return OrderStatus.PARTIALLY_FILLED if filled > 0 else OrderStatus.OPEN
    if status != "CLOSED":
        raise ValueError(f"unknown order status {status!r}")
    if filled > 0 and (order_type is OrderType.MARKET or (size is not None and filled >= size)):
        return OrderStatus.FILLED
    if ioc or order_type is OrderType.MARKET:
        return OrderStatus.EXPIRED
    return OrderStatus.CANCELED


def parse_order(order: dict[str, Any], market: Market) -> OrderResult:
    """A PX-OAS ``Order`` object, in base-currency quantities.

    ``quantity`` is ``size``; a market buy has none (it is sized by ``amount`` in quote
    currency), so its quantity is what filled once it is closed, and unknown before.
    """
    native = order.get("symbol")
    if native is not None and native != market.native:
        raise ValueError(f"order belongs to {native}, not {market.native}")
    order_type = OrderType(str(order["type"]))
    ioc = order.get("IOC") is True
    size = _opt_decimal(order.get("size")) or None  # "0" or "" on market buys
    filled = _opt_decimal(order.get("filledSize")) or ZERO
    filled_amount = _opt_decimal(order.get("filledAmount")) or ZERO
    status = order_status(str(order["status"]), order_type, ioc, size, filled)
    quantity = size if size is not None else (filled if status.is_final else None)
    price = _opt_decimal(order.get("price")) if order_type is OrderType.LIMIT else None
    if ioc:
        tif: TimeInForce | None = TimeInForce.IOC
    else:
        tif = TimeInForce.GTC if order_type is OrderType.LIMIT else None
    return OrderResult(
        exchange=NAME, symbol=market.symbol, order_id=str(_int(order["orderId"])),
        client_order_id=order.get("clientOrderId") or None, side=str(order["side"]),
        type=order_type, status=status, quantity=quantity, price=price,
        filled_quantity=filled,
        average_price=(filled_amount / filled).normalize() if filled > 0 and filled_amount
        else None,
        time_in_force=tif, created_at=_ms(order.get("createTime")),
        updated_at=_ms(order.get("updateTime")))


def order_from(response: Response, market: Market) -> OrderResult:
    """``GET /api/v1/trade/order`` and ``…/orderByClientOrderId``: ``data`` is the order."""
    payload = data(response)
    return reading(response, "the order", lambda: parse_order(payload, market))


def accepted_order(response: Response, order: OrderParams, market: Market) -> OrderResult:
    """``POST /api/v1/trade/order`` answers only ``orderId`` and ``clientOrderId``.

    The result is the order as sent, status ``open`` ("accepted"): a market order has most
    likely filled already, which :meth:`~venuekit.Connector.fetch_order` reports.
    """
    payload = data(response)

    def read() -> OrderResult:
        return OrderResult(
            exchange=NAME, symbol=market.symbol, order_id=str(_int(payload["orderId"])),
            client_order_id=payload.get("clientOrderId") or order.client_order_id,
            side=order.side, type=order.type, status=OrderStatus.OPEN,
            quantity=order.quantity if order.quote_quantity is None else None,
            price=order.price, time_in_force=order.time_in_force)
    return reading(response, "the new order", read)


def canceled_order(response: Response, order_id: str, client_order_id: str | None,
                   market: Market) -> OrderResult:
    """``DELETE /api/v1/trade/order`` answers ``{"result": true}`` and nothing else.

    What is known is reported: the order id, status ``canceled`` and type ``limit`` (only
    limit orders rest on Pionex spot, so only they can be cancelled). The side is *not* in
    the answer, so it is reported as unknown (None). Call ``fetch_order`` for the order's
    real side and its final fill.
    """
    envelope(response)
    return OrderResult(
        exchange=NAME, symbol=market.symbol, order_id=order_id,
        client_order_id=client_order_id, side=None, type=OrderType.LIMIT,
        status=OrderStatus.CANCELED, quantity=None)
