"""Pionex request builders: intent -> :class:`~venuekit.Call`. Plain functions, no I/O.

Every request names its limiter costs in endpoint weight (PX-OAS "Weight: n"): ``ip`` for
all endpoints, ``ip`` and ``account`` for private ones. Reads and cancels are idempotent;
order placement is not.
"""

from __future__ import annotations

from typing import Any

from venuekit.decimals import format_decimal
from venuekit.errors import InvalidOrder
from venuekit.models import (
    Balance,
    Market,
    OrderParams,
    OrderRef,
    OrderResult,
    OrderType,
    Side,
    TimeInForce,
)
from venuekit.wire import BodyFormat, Call, Request

from . import parsing
from .info import ACCOUNT, IP, NAME

__all__ = [
    "BALANCES_PATH",
    "DEPTH_PATH",
    "ORDER_BY_CLIENT_ID_PATH",
    "ORDER_PATH",
    "SYMBOLS_PATH",
    "cancel_order",
    "fetch_balance",
    "fetch_markets",
    "fetch_order",
    "order_body",
    "place_order",
    "server_time",
]

SYMBOLS_PATH = "/api/v1/common/symbols"
DEPTH_PATH = "/api/v1/market/depth"
BALANCES_PATH = "/api/v1/account/balances"
ORDER_PATH = "/api/v1/trade/order"
ORDER_BY_CLIENT_ID_PATH = "/api/v1/trade/orderByClientOrderId"

#: The market whose one-level book serves as the clock (weight 1, a few hundred bytes).
CLOCK_SYMBOL = "BTC_USDT"


def _public(weight: int) -> dict[str, int]:
    return {IP: weight}


def _private(weight: int) -> dict[str, int]:
    return {IP: weight, ACCOUNT: weight}


# ---------------------------------------------------------------- public


def server_time() -> Call[int]:
    """Pionex has no time endpoint; every answer carries ``timestamp`` (ms), so the clock
    reads it from the cheapest public call: a one-level order book (weight 1)."""
    request = Request(method="GET", path=DEPTH_PATH,
                      query=(("symbol", CLOCK_SYMBOL), ("limit", "1")), cost=_public(1))
    return Call(request, parsing.response_timestamp)


def fetch_markets() -> Call[list[Market]]:
    """``GET /api/v1/common/symbols?type=SPOT`` (weight 5)."""
    request = Request(method="GET", path=SYMBOLS_PATH, query=(("type", "SPOT"),),
                      cost=_public(5))
    return Call(request, parsing.parse_markets)


# ---------------------------------------------------------------- private


def fetch_balance() -> Call[Balance]:
    """``GET /api/v1/account/balances`` (weight 1): the trading account, not bots or earn."""
    request = Request(method="GET", path=BALANCES_PATH, signed=True, cost=_private(1))
    return Call(request, parsing.parse_balance)


def _refuse(message: str) -> InvalidOrder:
    return InvalidOrder(message, exchange=NAME)


def _ioc_flag(order: OrderParams) -> bool:
    """Pionex spot has one time-in-force switch, ``IOC`` (default false = GTC)."""
    tif = order.time_in_force
    if tif in (TimeInForce.FOK, TimeInForce.POST_ONLY):
        raise _refuse(f"Pionex spot has no {tif.value.upper()} orders; use GTC or IOC")
    # Market orders execute at once by nature: IOC on them is already what happens, so
    # the flag is only sent for limit orders.
    return tif is TimeInForce.IOC and order.type is OrderType.LIMIT


def order_body(order: OrderParams, market: Market) -> dict[str, Any]:
    """The ``NewOrderRequest`` JSON, in PX-OAS field order.

    * limit: ``size`` (base) and ``price``;
    * market sell: ``size`` (base);
    * market buy: ``amount`` (quote), from ``OrderParams.quote_quantity`` only.
    """
    body: dict[str, Any] = {
        "symbol": market.native, "side": order.side.value.upper(),
        "type": order.type.value.upper(), "clientOrderId": order.client_order_id,
    }
    if order.type is OrderType.MARKET and order.side is Side.BUY:
        if order.quote_quantity is None:
            raise _refuse(f"a Pionex market buy is sized in quote currency: give "
                          f"quote_quantity (in {market.quote}), not quantity")
        if order.quantity is not None:
            raise _refuse("a Pionex market buy is sized by quote_quantity alone; "
                          "drop quantity")
        body["amount"] = format_decimal(order.quote_quantity)
    else:
        if order.quantity is None:
            raise _refuse("this Pionex order is sized in base currency: give quantity")
        body["size"] = format_decimal(order.quantity)
        if order.type is OrderType.LIMIT:
            assert order.price is not None  # OrderParams guarantees it for limit orders
            body["price"] = format_decimal(order.price)
    if _ioc_flag(order):
        body["IOC"] = True
    return body


def place_order(order: OrderParams, market: Market) -> Call[OrderResult]:
    """``POST /api/v1/trade/order`` (weight 1), never resent blindly (idempotent=False)."""
    request = Request(method="POST", path=ORDER_PATH, body=order_body(order, market),
                      body_format=BodyFormat.JSON, signed=True, idempotent=False,
                      cost=_private(1))
    return Call(request, lambda response: parsing.accepted_order(response, order, market))


def _numeric_order_id(ref: OrderRef) -> int:
    assert ref.order_id is not None
    if not ref.order_id.isdigit():
        raise _refuse(f"Pionex order ids are numbers, got {ref.order_id!r}")
    return int(ref.order_id)


def cancel_order(ref: OrderRef, market: Market) -> Call[OrderResult]:
    """``DELETE /api/v1/trade/order`` with ``{"symbol", "orderId"}`` (both required).

    Pionex cancels by order id only; the body carries the id as a JSON number
    (PX-OAS ``orderId: integer, int64``).
    """
    if not ref.order_id:
        raise _refuse("Pionex cancels orders by order_id only; look the order up with "
                      "fetch_order(client_order_id=...) and cancel its order_id")
    order_id = _numeric_order_id(ref)
    request = Request(method="DELETE", path=ORDER_PATH,
                      body={"symbol": market.native, "orderId": order_id},
                      body_format=BodyFormat.JSON, signed=True, cost=_private(1))
    return Call(request, lambda response: parsing.canceled_order(
        response, str(order_id), ref.client_order_id, market))


def fetch_order(ref: OrderRef, market: Market) -> Call[OrderResult]:
    """``GET /api/v1/trade/order?orderId=`` or ``GET …/orderByClientOrderId?clientOrderId=``.

    ``symbol`` goes along too, as Pionex's own client sends it. An id the venue does not
    know answers ``TRADE_ORDER_NOT_FOUND`` -> :class:`~venuekit.OrderNotFound`.
    """
    if ref.order_id:
        path = ORDER_PATH
        query = (("symbol", market.native), ("orderId", str(_numeric_order_id(ref))))
    else:
        assert ref.client_order_id is not None
        path = ORDER_BY_CLIENT_ID_PATH
        query = (("symbol", market.native), ("clientOrderId", ref.client_order_id))
    request = Request(method="GET", path=path, query=query, signed=True, cost=_private(1))
    return Call(request, lambda response: parsing.order_from(response, market))
