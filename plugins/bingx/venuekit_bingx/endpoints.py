"""BingX swap requests: what each operation sends, paired with its parser. No I/O.

Every private request carries ``recvWindow=5000`` (the venue's default window, stated so
that ``ExchangeInfo.request_window_s`` and the venue agree); the signer adds ``timestamp``
and ``signature``. Parameters go in the query string for every method (see signing.py).
"""

from __future__ import annotations

from venuekit.decimals import format_decimal
from venuekit.models import (
    Balance,
    Market,
    OrderParams,
    OrderRef,
    OrderResult,
    OrderType,
    TimeInForce,
)
from venuekit.wire import Call, Request

from . import parsing
from .limits import COSTS

__all__ = [
    "BALANCE_PATH",
    "CONTRACTS_PATH",
    "ORDER_PATH",
    "SERVER_TIME_PATH",
    "cancel_order",
    "fetch_balance",
    "fetch_markets",
    "fetch_order",
    "place_order",
    "server_time",
]

SERVER_TIME_PATH = "/openApi/swap/v2/server/time"
CONTRACTS_PATH = "/openApi/swap/v2/quote/contracts"
BALANCE_PATH = "/openApi/swap/v3/user/balance"
ORDER_PATH = "/openApi/swap/v2/trade/order"

RECV_WINDOW_MS = 5000

#: One-way position mode: every order is for the single net position. (Hedge mode would need
#: LONG/SHORT here, and BingX refuses reduceOnly in hedge mode.)
POSITION_SIDE = "BOTH"

_TIF = {TimeInForce.GTC: "GTC", TimeInForce.IOC: "IOC", TimeInForce.FOK: "FOK",
        TimeInForce.POST_ONLY: "PostOnly"}


# ---------------------------------------------------------------- public


def server_time() -> Call[int]:
    request = Request(method="GET", path=SERVER_TIME_PATH, cost=COSTS["server_time"])
    return Call(request, parsing.parse_server_time)


def fetch_markets() -> Call[list[Market]]:
    request = Request(method="GET", path=CONTRACTS_PATH, cost=COSTS["contracts"])
    return Call(request, parsing.parse_markets)


# ---------------------------------------------------------------- private


def fetch_balance() -> Call[Balance]:
    request = Request(method="GET", path=BALANCE_PATH,
                      query=[("recvWindow", str(RECV_WINDOW_MS))], signed=True,
                      cost=COSTS["balance"])
    return Call(request, parsing.parse_balance)


def order_query(order: OrderParams, market: Market) -> list[tuple[str, str]]:
    """The place-order parameters, in the docs' table order."""
    assert order.quantity is not None  # OrderParams guarantees it for base-sized orders
    query = [("symbol", market.native), ("side", order.side.value.upper()),
             ("positionSide", POSITION_SIDE), ("type", order.type.value.upper()),
             ("quantity", format_decimal(order.quantity))]
    if order.type is OrderType.LIMIT and order.price is not None:
        query.append(("price", format_decimal(order.price)))
    if order.time_in_force is not None:
        query.append(("timeInForce", _TIF[order.time_in_force]))
    if order.reduce_only:
        query.append(("reduceOnly", "true"))
    if order.client_order_id:
        # The server folds client ids to lower case; send them folded so what we keep,
        # what we send and what the venue stores are the same string.
        query.append(("clientOrderId", order.client_order_id.lower()))
    query.append(("recvWindow", str(RECV_WINDOW_MS)))
    return query


def place_order(order: OrderParams, market: Market) -> Call[OrderResult]:
    request = Request(method="POST", path=ORDER_PATH, query=order_query(order, market),
                      signed=True, idempotent=False, cost=COSTS["place"])
    return Call(request, lambda response: parsing.parse_placed(response, order, market.symbol))


def ref_query(ref: OrderRef, market: Market) -> list[tuple[str, str]]:
    """``symbol`` plus ``orderId`` or (lower-cased) ``clientOrderId``: the venue stores
    client ids in lower case, so a lookup by client id is case-insensitive."""
    query = [("symbol", market.native)]
    if ref.order_id:
        query.append(("orderId", ref.order_id))
    else:
        assert ref.client_order_id is not None  # OrderRef guarantees one of the two
        query.append(("clientOrderId", ref.client_order_id.lower()))
    query.append(("recvWindow", str(RECV_WINDOW_MS)))
    return query


def cancel_order(ref: OrderRef, market: Market) -> Call[OrderResult]:
    request = Request(method="DELETE", path=ORDER_PATH, query=ref_query(ref, market),
                      signed=True, cost=COSTS["cancel"])
    return Call(request, lambda response: parsing.parse_order_answer(response, market.symbol))


def fetch_order(ref: OrderRef, market: Market) -> Call[OrderResult]:
    request = Request(method="GET", path=ORDER_PATH, query=ref_query(ref, market),
                      signed=True, cost=COSTS["query"])
    return Call(request, lambda response: parsing.parse_order_answer(response, market.symbol))
