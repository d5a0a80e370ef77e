"""OKX V5 request builders: each returns a Call (request + parser). No I/O.

Every request names the limiter rules it spends (see ``RULES`` in :mod:`venuekit_okx.limits`)
and whether the core may send it twice (only order placement may not).
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
    OrderStatus,
    OrderType,
    TimeInForce,
)
from venuekit.wire import BodyFormat, Call, Request, Response

from . import limits, parsing
from .contracts import to_contracts

TIME_PATH = "/api/v5/public/time"
INSTRUMENTS_PATH = "/api/v5/public/instruments"
BALANCE_PATH = "/api/v5/account/balance"
CONFIG_PATH = "/api/v5/account/config"
ORDER_PATH = "/api/v5/trade/order"
CANCEL_PATH = "/api/v5/trade/cancel-order"

#: Margin mode of every order: cross margin in the trading account (README, "Orders").
TRADE_MODE = "cross"
#: One-way (net) position mode; an account in long/short mode gets OKX's 51000 on posSide.
POSITION_SIDE = "net"


# ---------------------------------------------------------------- public


def server_time() -> Call[int]:
    request = Request(method="GET", path=TIME_PATH, cost={limits.TIME: 1})
    return Call(request, parsing.server_time)


def fetch_markets() -> Call[list[Market]]:
    request = Request(method="GET", path=INSTRUMENTS_PATH, query=[("instType", "SWAP")],
                      cost={limits.INSTRUMENTS: 1})
    return Call(request, parsing.markets)


# ---------------------------------------------------------------- account


def fetch_balance() -> Call[Balance]:
    request = Request(method="GET", path=BALANCE_PATH, signed=True,
                      cost={limits.BALANCE: 1})
    return Call(request, parsing.balance)


def key_permissions() -> Call[KeyPermissions]:
    request = Request(method="GET", path=CONFIG_PATH, signed=True,
                      cost={limits.ACCOUNT_CONFIG: 1})
    return Call(request, parsing.key_permissions)


# ---------------------------------------------------------------- orders


def order_type(order: OrderParams) -> str:
    """OKX's ``ordType``, which also carries the time in force."""
    tif = order.time_in_force
    if order.type is OrderType.MARKET:
        if tif is None:
            return "market"
        if tif is TimeInForce.IOC:
            return "optimal_limit_ioc"  # swaps: market order, immediate-or-cancel
        raise InvalidOrder("OKX has no fill-or-kill market order; give a limit price with FOK",
                           exchange=parsing.NAME)
    return {TimeInForce.GTC: "limit", TimeInForce.IOC: "ioc", TimeInForce.FOK: "fok",
            TimeInForce.POST_ONLY: "post_only"}[tif or TimeInForce.GTC]


def place_order(order: OrderParams, market: Market) -> Call[OrderResult]:
    if order.quantity is None:
        raise InvalidOrder("OKX sizes orders by quantity", exchange=parsing.NAME)
    body: dict[str, Any] = {
        "instId": market.native, "tdMode": TRADE_MODE, "side": order.side.value,
        "posSide": POSITION_SIDE, "ordType": order_type(order),
    }
    if order.price is not None:
        body["px"] = format_decimal(order.price)
    body["sz"] = format_decimal(to_contracts(order.quantity, market))
    body["clOrdId"] = order.client_order_id
    if order.reduce_only:
        body["reduceOnly"] = True
    request = Request(method="POST", path=ORDER_PATH, body=body, body_format=BodyFormat.JSON,
                      signed=True, idempotent=False,
                      cost={limits.PLACE: 1, limits.SUB_ACCOUNT_ORDERS: 1})

    def parse(response: Response) -> OrderResult:
        row = parsing.ack(response)
        return OrderResult(
            exchange=parsing.NAME, symbol=market.symbol, order_id=row.text("ordId"),
            client_order_id=row.optional_text("clOrdId") or order.client_order_id,
            side=order.side, type=order.type, status=OrderStatus.OPEN,
            quantity=order.quantity, price=order.price, time_in_force=order.time_in_force,
            reduce_only=order.reduce_only, created_at=row.optional_timestamp("ts"))
    return Call(request, parse)


def _ref(ref: OrderRef, market: Market) -> list[tuple[str, str]]:
    """instId plus ordId, else clOrdId (OKX prefers ordId when both are given)."""
    if ref.order_id:
        return [("instId", market.native), ("ordId", ref.order_id)]
    assert ref.client_order_id is not None
    return [("instId", market.native), ("clOrdId", ref.client_order_id)]


def fetch_order(ref: OrderRef, market: Market) -> Call[OrderResult]:
    request = Request(method="GET", path=ORDER_PATH, query=_ref(ref, market), signed=True,
                      cost={limits.ORDER_QUERY: 1})
    return Call(request, lambda response: parsing.fetched_order(response, market))


def cancel_order(ref: OrderRef, market: Market) -> Call[OrderResult]:
    """``POST /api/v5/trade/cancel-order``.

    OKX acknowledges with ids only, and ``sCode "0"`` means the cancel was accepted. The
    result is therefore the order as cancelled: status CANCELED, ids from the answer, side,
    type and quantity unknown (None); fetch the order for its full state (README, "Cancel
    results").
    """
    request = Request(method="POST", path=CANCEL_PATH, body=dict(_ref(ref, market)),
                      body_format=BodyFormat.JSON, signed=True,
                      cost={limits.CANCEL: 1})

    def parse(response: Response) -> OrderResult:
        row = parsing.ack(response)
        return OrderResult(
            exchange=parsing.NAME, symbol=market.symbol, order_id=row.text("ordId"),
            client_order_id=row.optional_text("clOrdId") or ref.client_order_id,
            side=None, type=None, status=OrderStatus.CANCELED, quantity=None,
            updated_at=row.optional_timestamp("ts"))
    return Call(request, parse)
