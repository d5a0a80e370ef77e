"""Pionex response parsers: venue payloads -> venuekit models. Plain functions, no I/O.

Every success is ``{"result": true, "data": {...}, "timestamp": <ms>}`` (PX-OAS
``BaseResponse``). Anything else that reaches a parser (the error mapper has already
handled ``result: false``) is a :class:`~venuekit.BadResponse` naming what was missing.
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
    TimeInForce,
)
from venuekit.payload import Reader
from venuekit.wire import Response

from .info import NAME

#: Pionex order types, as PX-OAS spells them.
ORDER_TYPES = {"LIMIT": OrderType.LIMIT, "MARKET": OrderType.MARKET}

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

ZERO = Decimal(0)


# ---------------------------------------------------------------- envelope


def envelope(response: Response) -> Reader:
    """The success envelope, or BadResponse."""
    payload = Reader.of(response)
    if payload.get("result") is not True:
        raise response.bad("not a Pionex success envelope (result is not true)")
    return payload


def data(response: Response) -> Reader:
    """The ``data`` object of a success envelope."""
    value = envelope(response).at("data")
    if not value.is_object():
        raise value.error("not an object")
    return value


# ---------------------------------------------------------------- clock


def response_timestamp(response: Response) -> int:
    """The envelope's ``timestamp`` (ms): Pionex has no time endpoint, every answer has this."""
    return envelope(response).ms("timestamp")


# ---------------------------------------------------------------- markets


def _power_of_ten(row: Reader, key: str) -> Decimal:
    """``6`` -> ``Decimal("0.000001")``: Pionex gives precisions as decimal places."""
    return Decimal(1).scaleb(-row.integer(key))


def parse_market(row: Reader) -> Market | None:
    """One ``SymbolInfo`` row; None for a row that is not a spot market (PERP rows).

    tick = 10^-quotePrecision, step = 10^-basePrecision, min_quantity = ``minTradeSize``
    (limit orders; market sells are checked by the venue against ``minTradeDumping``),
    min_notional = ``minAmount`` (the spot minimum order value in quote currency).
    """
    if (row.optional_text("type") or "SPOT").upper() != "SPOT":
        return None
    base, quote = row.text("baseCurrency"), row.text("quoteCurrency")
    return Market(
        symbol=f"{base}/{quote}", native=row.text("symbol"), base=base, quote=quote,
        kind=MarketKind.SPOT, tick_size=_power_of_ten(row, "quotePrecision"),
        step_size=_power_of_ten(row, "basePrecision"),
        min_quantity=row.decimal("minTradeSize", default=ZERO),
        min_notional=row.optional_decimal("minAmount"),
        active=row.get("enable") in (True, None))


def parse_markets(response: Response) -> list[Market]:
    rows = (parse_market(row) for row in data(response).rows("symbols"))
    return [market for market in rows if market is not None]


# ---------------------------------------------------------------- balance


def parse_balance(response: Response) -> Balance:
    """``data.balances``: ``coin``, ``free`` and ``frozen`` (the trading account only)."""
    assets = []
    for row in data(response).rows("balances"):
        free, frozen = row.decimal("free"), row.decimal("frozen")
        assets.append(AssetBalance(row.text("coin"), free, frozen, free + frozen))
    return Balance(NAME, assets)


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


def parse_order(order: Reader, market: Market) -> OrderResult:
    """A PX-OAS ``Order`` object, in base-currency quantities.

    ``quantity`` is ``size``; a market buy has none (it is sized by ``amount`` in quote
    currency), so its quantity is what filled once it is closed, and unknown before.
    """
    native = order.get("symbol")
    if native is not None and native != market.native:
        raise order.error(f"order belongs to {native}, not {market.native}", "symbol")
    order_type = order.choice("type", ORDER_TYPES)
    ioc = order.get("IOC") is True
    size = order.nonzero_decimal("size")  # "0" or "" on market buys
    filled = order.decimal("filledSize", default=ZERO)
    filled_amount = order.decimal("filledAmount", default=ZERO)
    try:
        status = order_status(order.text("status"), order_type, ioc, size, filled)
    except ValueError as exc:
        raise order.error(str(exc), "status") from None
    quantity = size if size is not None else (filled if status.is_final else None)
    price = order.optional_decimal("price") if order_type is OrderType.LIMIT else None
    if ioc:
        tif: TimeInForce | None = TimeInForce.IOC
    else:
        tif = TimeInForce.GTC if order_type is OrderType.LIMIT else None
    return OrderResult(
        exchange=NAME, symbol=market.symbol, order_id=str(order.integer("orderId")),
        client_order_id=order.optional_text("clientOrderId"), side=order.text("side"),
        type=order_type, status=status, quantity=quantity, price=price,
        filled_quantity=filled,
        average_price=(filled_amount / filled).normalize() if filled > 0 and filled_amount
        else None,
        time_in_force=tif, created_at=order.optional_timestamp("createTime"),
        updated_at=order.optional_timestamp("updateTime"))


def order_from(response: Response, market: Market) -> OrderResult:
    """``GET /api/v1/trade/order`` and ``…/orderByClientOrderId``: ``data`` is the order."""
    return parse_order(data(response), market)


def accepted_order(response: Response, order: OrderParams, market: Market) -> OrderResult:
    """``POST /api/v1/trade/order`` answers only ``orderId`` and ``clientOrderId``.

    The result is the order as sent, status ``open`` ("accepted"): a market order has most
    likely filled already, which :meth:`~venuekit.Connector.fetch_order` reports.
    """
    payload = data(response)
    return OrderResult(
        exchange=NAME, symbol=market.symbol, order_id=str(payload.integer("orderId")),
        client_order_id=payload.optional_text("clientOrderId") or order.client_order_id,
        side=order.side, type=order.type, status=OrderStatus.OPEN,
        quantity=order.quantity if order.quote_quantity is None else None,
        price=order.price, time_in_force=order.time_in_force)


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
