"""Binance USDⓈ-M request builders: each returns a :class:`~venuekit.wire.Call`, no I/O.

Transport choice: GET and DELETE carry every parameter in the query string (GET must;
a DELETE body is dropped by some proxies); POST sends an ``application/x-www-form-urlencoded``
body with an empty query, so the order's fields stay out of URLs that proxies and access
logs record, and the signed string is the body alone, exactly as in Binance's first
worked example. Weights are the "Request Weight" of each endpoint page.
"""

from __future__ import annotations

from venuekit.decimals import format_decimal
from venuekit.errors import InvalidOrder
from venuekit.models import (
    Balance,
    KeyPermissions,
    Market,
    OrderParams,
    OrderRef,
    OrderResult,
    OrderType,
    Side,
    TimeInForce,
)
from venuekit.wire import BodyFormat, Call, Request

from . import NAME, parsing

TIME_PATH = "/fapi/v1/time"
EXCHANGE_INFO_PATH = "/fapi/v1/exchangeInfo"
BALANCE_PATH = "/fapi/v3/balance"
ACCOUNT_CONFIG_PATH = "/fapi/v1/accountConfig"
TRADING_STATUS_PATH = "/fapi/v1/apiTradingStatus"
ORDER_PATH = "/fapi/v1/order"

#: Limiter rule names (declared in plugin.exchange_info with their sources).
IP_WEIGHT = "ip"
ORDERS_10S = "orders_10s"
ORDERS_1M = "orders_1m"

_TIF = {TimeInForce.GTC: "GTC", TimeInForce.IOC: "IOC", TimeInForce.FOK: "FOK",
        TimeInForce.POST_ONLY: "GTX"}


# ---------------------------------------------------------------- public


def server_time() -> Call[int]:
    return Call(Request(method="GET", path=TIME_PATH, cost={IP_WEIGHT: 1}),
                parsing.server_time)


def fetch_markets() -> Call[list[Market]]:
    return Call(Request(method="GET", path=EXCHANGE_INFO_PATH, cost={IP_WEIGHT: 1}),
                parsing.markets)


# ---------------------------------------------------------------- account


#: The same on every call and immutable (frozen; the core only reads ``cost``): built once.
_FETCH_BALANCE = Call(Request(method="GET", path=BALANCE_PATH, signed=True,
                              cost={IP_WEIGHT: 5}), parsing.balance)


def fetch_balance() -> Call[Balance]:
    return _FETCH_BALANCE


def key_permissions() -> Call[KeyPermissions]:
    return Call(Request(method="GET", path=ACCOUNT_CONFIG_PATH, signed=True,
                        cost={IP_WEIGHT: 5}), parsing.key_permissions)


def trading_status() -> Call[str]:
    # weight 10 without a symbol (1 with one); every symbol's locks are wanted here
    return Call(Request(method="GET", path=TRADING_STATUS_PATH, signed=True,
                        cost={IP_WEIGHT: 10}), parsing.trading_status)


# ---------------------------------------------------------------- orders


def order_fields(order: OrderParams, market: Market) -> list[tuple[str, str]]:
    """The ``POST /fapi/v1/order`` parameters, in the order of Binance's worked example."""
    if order.quantity is None:
        raise InvalidOrder(f"{NAME} sizes every order in base quantity", exchange=NAME)
    if order.client_order_id is None:
        raise InvalidOrder("the core gives every order a client order id", exchange=NAME)
    limit = order.type is OrderType.LIMIT
    fields = [("symbol", market.native), ("side", "BUY" if order.side is Side.BUY else "SELL"),
              ("type", "LIMIT" if limit else "MARKET"),
              ("quantity", format_decimal(order.quantity))]
    if limit:
        assert order.price is not None  # OrderParams guarantees it for limit orders
        fields += [("price", format_decimal(order.price)),
                   ("timeInForce", _TIF[order.time_in_force or TimeInForce.GTC])]
    elif order.time_in_force is TimeInForce.FOK:
        raise InvalidOrder(f"{NAME} market orders cannot be fill-or-kill (they fill what "
                           "they can and expire the rest); use a FOK limit order",
                           exchange=NAME)
    if order.reduce_only:
        fields.append(("reduceOnly", "true"))
    fields += [("newClientOrderId", order.client_order_id),
               # RESULT: the answer shows the order after matching (fills included)
               ("newOrderRespType", "RESULT")]
    return fields


#: New Order page: 1 on each order counter, 0 on IP weight (read only by the core)
_PLACE_ORDER_COST = {IP_WEIGHT: 0, ORDERS_10S: 1, ORDERS_1M: 1}


def place_order(order: OrderParams, market: Market) -> Call[OrderResult]:
    request = Request(method="POST", path=ORDER_PATH, body=order_fields(order, market),
                      body_format=BodyFormat.FORM, signed=True, idempotent=False,
                      cost=_PLACE_ORDER_COST)
    return Call(request, parsing.order_for(market))


def _ref_query(ref: OrderRef, market: Market) -> list[tuple[str, str]]:
    if ref.order_id:
        return [("symbol", market.native), ("orderId", ref.order_id)]
    assert ref.client_order_id is not None  # OrderRef guarantees one of the two
    return [("symbol", market.native), ("origClientOrderId", ref.client_order_id)]


def cancel_order(ref: OrderRef, market: Market) -> Call[OrderResult]:
    request = Request(method="DELETE", path=ORDER_PATH, query=_ref_query(ref, market),
                      signed=True, cost={IP_WEIGHT: 1})
    return Call(request, parsing.order_for(market))


def fetch_order(ref: OrderRef, market: Market) -> Call[OrderResult]:
    request = Request(method="GET", path=ORDER_PATH, query=_ref_query(ref, market),
                      signed=True, cost={IP_WEIGHT: 1})
    return Call(request, parsing.order_for(market))
