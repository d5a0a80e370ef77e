"""Bybit V5 requests: what each operation sends, and which parser reads the answer.

Every trading call carries ``category=linear`` (USDT and USDC perpetuals of the unified
account). Orders are placed in one-way mode (``positionIdx`` 0); quantities are in base coin,
which is also how Bybit counts linear contracts.
"""

from __future__ import annotations

from typing import Any

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
    TimeInForce,
)
from venuekit.wire import BodyFormat, Call, Request

from . import limits, parsing

NAME = parsing.NAME
CATEGORY = "linear"
ACCOUNT_TYPE = "UNIFIED"
#: instruments-info pages 500 rows by default and Bybit lists more than 500 linear symbols;
#: 1000 is the documented maximum page size.
INSTRUMENTS_PAGE = 1000
ONE_WAY = 0

TIME_PATH = "/v5/market/time"
INSTRUMENTS_PATH = "/v5/market/instruments-info"
WALLET_PATH = "/v5/account/wallet-balance"
CREATE_PATH = "/v5/order/create"
CANCEL_PATH = "/v5/order/cancel"
REALTIME_PATH = "/v5/order/realtime"
KEY_INFO_PATH = "/v5/user/query-api"

_TIF = {TimeInForce.GTC: "GTC", TimeInForce.IOC: "IOC", TimeInForce.FOK: "FOK",
        TimeInForce.POST_ONLY: "PostOnly"}


def _get(path: str, query: list[tuple[str, str]] | None = None, *,
         signed: bool = True) -> Request:
    return Request(method="GET", path=path, query=query or [], signed=signed,
                   cost=limits.cost(path), idempotent=True)


def _post(path: str, body: dict[str, Any], *, idempotent: bool) -> Request:
    return Request(method="POST", path=path, body=body, body_format=BodyFormat.JSON,
                   signed=True, cost=limits.cost(path), idempotent=idempotent)


# ---------------------------------------------------------------- public


def server_time() -> Call[int]:
    return Call(_get(TIME_PATH, signed=False), parsing.server_time)


def fetch_markets() -> Call[list[Market]]:
    query = [("category", CATEGORY), ("limit", str(INSTRUMENTS_PAGE))]
    return Call(_get(INSTRUMENTS_PATH, query, signed=False), parsing.markets)


# ---------------------------------------------------------------- account


def fetch_balance() -> Call[Balance]:
    return Call(_get(WALLET_PATH, [("accountType", ACCOUNT_TYPE)]), parsing.balance)


def key_permissions() -> Call[KeyPermissions]:
    return Call(_get(KEY_INFO_PATH), parsing.key_permissions)


# ---------------------------------------------------------------- orders


def order_body(order: OrderParams, market: Market) -> dict[str, Any]:
    """The ``/v5/order/create`` body, keys in Bybit's documented order."""
    if order.quantity is None:
        raise InvalidOrder("Bybit linear orders are sized in base quantity", exchange=NAME)
    body: dict[str, Any] = {
        "category": CATEGORY,
        "symbol": market.native,
        "side": "Buy" if order.side.value == "buy" else "Sell",
        "orderType": "Limit" if order.type is OrderType.LIMIT else "Market",
        "qty": format_decimal(order.quantity),
    }
    if order.type is OrderType.LIMIT:
        assert order.price is not None  # OrderParams guarantees it for limit orders
        body["price"] = format_decimal(order.price)
        body["timeInForce"] = _TIF[order.time_in_force or TimeInForce.GTC]
    elif order.time_in_force is TimeInForce.FOK:
        raise InvalidOrder("Bybit runs every market order as IOC; FOK is for limit orders",
                           exchange=NAME)
    body["orderLinkId"] = order.client_order_id
    body["positionIdx"] = ONE_WAY
    if order.reduce_only:
        body["reduceOnly"] = True
    return body


def place_order(order: OrderParams, market: Market) -> Call[OrderResult]:
    request = _post(CREATE_PATH, order_body(order, market), idempotent=False)
    return Call(request, lambda r: parsing.placed_order(r, order, market))


def _ref_fields(ref: OrderRef) -> list[tuple[str, str]]:
    if ref.order_id:
        return [("orderId", ref.order_id)]
    assert ref.client_order_id is not None  # OrderRef guarantees one of the two
    return [("orderLinkId", ref.client_order_id)]


def cancel_order(ref: OrderRef, market: Market) -> Call[OrderResult]:
    body = dict([("category", CATEGORY), ("symbol", market.native), *_ref_fields(ref)])
    request = _post(CANCEL_PATH, body, idempotent=True)
    return Call(request, lambda r: parsing.cancelled_order(r, ref, market))


def fetch_order(ref: OrderRef, market: Market) -> Call[OrderResult]:
    """``/v5/order/realtime`` by orderId or orderLinkId. Bybit ignores ``openOnly`` when an
    id is given and returns the order open or among the ~500 most recent closed ones; the
    default ``0`` is sent explicitly."""
    query = [("category", CATEGORY), ("symbol", market.native), *_ref_fields(ref),
             ("openOnly", "0")]
    return Call(_get(REALTIME_PATH, query), lambda r: parsing.fetched_order(r, ref, market))
