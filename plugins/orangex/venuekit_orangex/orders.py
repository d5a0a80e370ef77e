"""OrangeX order requests and parsers: /private/buy, /private/sell, /private/cancel and
/private/get_order_state.

Three facts shape this module:

* OrangeX looks orders up by ``order_id`` only. There is no lookup by ``custom_order_id``, so
  a cancel or a query by client order id alone is refused here, before anything is sent.
* A buy or sell reply only acknowledges receipt: ``{"order":{"order_id":…}}``, no state, and
  ``custom_order_id`` comes back empty (OX-DY). The result reports the order as OPEN with the
  fields we sent; :func:`fetch_order` tells what became of it.
* A cancel reply is ``{"order_id":…}`` and nothing else. The result carries the order id and
  the CANCELED state the venue acknowledged; side, type and quantity are None because the
  venue did not send them. OrangeX applies a cancel within seconds; an order queried at
  once may still read ``open`` (OX-DY).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from venuekit.decimals import format_decimal
from venuekit.errors import InvalidOrder, OrderNotFound
from venuekit.models import (
    Market,
    OrderParams,
    OrderRef,
    OrderResult,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)
from venuekit.payload import Reader
from venuekit.wire import Call, Response

from . import rpc

NAME = rpc.NAME
CANCEL_METHOD = "/private/cancel"
ORDER_STATE_METHOD = "/private/get_order_state"
METHODS = {Side.BUY: "/private/buy", Side.SELL: "/private/sell"}

#: Our time in force -> OrangeX ``time_in_force``; post-only is GTC plus ``post_only``.
TIME_IN_FORCE = {TimeInForce.GTC: "good_til_cancelled", TimeInForce.IOC: "immediate_or_cancel",
                 TimeInForce.FOK: "fill_or_kill", TimeInForce.POST_ONLY: "good_til_cancelled"}
#: OrangeX ``time_in_force`` as the docs spell it, and as replies abbreviate it (``"FOK"``).
_TIF_BACK = {"good_til_cancelled": TimeInForce.GTC, "gtc": TimeInForce.GTC,
             "immediate_or_cancel": TimeInForce.IOC, "ioc": TimeInForce.IOC,
             "fill_or_kill": TimeInForce.FOK, "fok": TimeInForce.FOK}
#: ``position_side`` of every order: OX-DOC lists the parameter as required (default
#: ``BOTH``, one-way mode); this plugin trades one-way accounts only (README "Hedge mode").
POSITION_SIDE = "BOTH"
#: ``order_state`` values. The docs list ``cancelled``; the wire says ``canceled`` (OX-DY).
_STATES = {"open": OrderStatus.OPEN, "filled": OrderStatus.FILLED,
           "canceled": OrderStatus.CANCELED, "cancelled": OrderStatus.CANCELED,
           "rejected": OrderStatus.REJECTED}

LOOKUP_BY_ORDER_ID_ONLY = (
    "OrangeX looks orders up by order_id only; it cannot find an order by its "
    "custom_order_id (client_order_id={cid!r}). Give the order_id, or find the order among "
    "the instrument's open orders or order history.")


def _order_id(ref: OrderRef) -> str:
    if not ref.order_id:
        raise InvalidOrder(LOOKUP_BY_ORDER_ID_ONLY.format(cid=ref.client_order_id),
                           exchange=NAME)
    return ref.order_id


# ---------------------------------------------------------------- place


def order_params(order: OrderParams, market: Market) -> dict[str, Any]:
    """The ``params`` of a buy or sell; only what the order sets, in base-coin units."""
    if order.quantity is None:
        raise InvalidOrder("OrangeX sizes orders in base quantity; give quantity",
                           exchange=NAME)
    params: dict[str, Any] = {"instrument_name": market.native,
                              "amount": format_decimal(order.quantity), "type": order.type.value,
                              "position_side": POSITION_SIDE}
    if order.price is not None:
        params["price"] = format_decimal(order.price)
    if order.time_in_force is not None:
        params["time_in_force"] = TIME_IN_FORCE[order.time_in_force]
    if order.time_in_force is TimeInForce.POST_ONLY:
        params["post_only"] = True
    if order.reduce_only:
        params["reduce_only"] = True
    if order.client_order_id:
        params["custom_order_id"] = order.client_order_id
    return params


def place_order(order: OrderParams, market: Market) -> Call[OrderResult]:
    """``/private/buy`` or ``/private/sell``; never idempotent (no dedupe is documented)."""
    request = rpc.call(METHODS[order.side], order_params(order, market), signed=True,
                       idempotent=False)

    def parse(response: Response) -> OrderResult:
        return parse_placed(response, order, market)
    return Call(request, parse)


def parse_placed(response: Response, order: OrderParams, market: Market) -> OrderResult:
    data = rpc.result_of(response)
    inner = data.at("order") if data.get("order") is not None else data
    return OrderResult(
        exchange=NAME, symbol=market.symbol, order_id=inner.text("order_id"),
        client_order_id=order.client_order_id, side=order.side, type=order.type,
        status=OrderStatus.OPEN, quantity=order.quantity, price=order.price,
        time_in_force=order.time_in_force, reduce_only=order.reduce_only)


# ---------------------------------------------------------------- cancel and query


def cancel_order(ref: OrderRef, market: Market) -> Call[OrderResult]:
    """``/private/cancel`` by ``order_id``; a client order id alone is refused locally."""
    request = rpc.call(CANCEL_METHOD, {"order_id": _order_id(ref)}, signed=True)

    def parse(response: Response) -> OrderResult:
        return parse_cancelled(response, ref, market)
    return Call(request, parse)


def parse_cancelled(response: Response, ref: OrderRef, market: Market) -> OrderResult:
    data = rpc.result_of(response)
    if data.get("order_state") is not None:
        return parse_order(data, market)  # a fuller reply than the docs show: use it all
    return OrderResult(exchange=NAME, symbol=market.symbol, order_id=data.text("order_id"),
                       client_order_id=ref.client_order_id, side=None, type=None,
                       status=OrderStatus.CANCELED, quantity=None)


def fetch_order(ref: OrderRef, market: Market) -> Call[OrderResult]:
    """``/private/get_order_state`` by ``order_id``; a client order id alone is refused."""
    order_id = _order_id(ref)
    request = rpc.call(ORDER_STATE_METHOD, {"order_id": order_id}, signed=True)

    def parse(response: Response) -> OrderResult:
        data = rpc.result_of(response)
        if not data.value:
            raise OrderNotFound(f"OrangeX has no order {order_id} (a new order can take a "
                                "few seconds to appear)", exchange=NAME)
        if not data.is_object():
            raise data.error("not an object")
        return parse_order(data, market)
    return Call(request, parse)


def _enum(data: Reader, key: str, cls: type[Side] | type[OrderType]) -> Side | OrderType:
    value = data.get(key)
    try:
        return cls(value)
    except ValueError:
        raise data.error(f"{value!r} is not one venuekit knows", key) from None


def parse_order(data: Reader, market: Market) -> OrderResult:
    """An order record (``get_order_state``, open orders, history) in unified terms.

    OrangeX has no partially-filled state: an ``open`` order with some fill is reported as
    PARTIALLY_FILLED. An ``order_state`` this table does not know is a :class:`BadResponse`,
    never guessed to be open. Zero prices and averages (market orders, no fill) are None.
    """
    instrument = data.get("instrument_name")
    if instrument not in (None, "", market.native):
        raise InvalidOrder(f"order {data.get('order_id')} is on {instrument}, not "
                           f"{market.native}", exchange=NAME)
    state = str(data.get("order_state") or "").lower()
    status = _STATES.get(state)
    if status is None:
        raise data.error(f"order_state {state!r} is not one the plugin knows", "order_state")
    amount = data.optional_decimal("amount")
    filled = data.decimal("filled_amount", default=Decimal(0))
    if status is OrderStatus.OPEN and filled > 0 and (amount is None or filled < amount):
        status = OrderStatus.PARTIALLY_FILLED
    tif = _TIF_BACK.get(str(data.get("time_in_force")).lower())
    if data.get("post_only") is True:
        tif = TimeInForce.POST_ONLY
    return OrderResult(
        exchange=NAME, symbol=market.symbol, order_id=data.text("order_id"),
        client_order_id=data.optional_text("custom_order_id"),
        side=_enum(data, "direction", Side), type=_enum(data, "order_type", OrderType),
        status=status, quantity=amount, price=data.nonzero_decimal("price"),
        filled_quantity=filled, average_price=data.nonzero_decimal("average_price"),
        time_in_force=tif, reduce_only=data.get("reduce_only") is True,
        created_at=data.optional_timestamp("creation_timestamp"),
        updated_at=data.optional_timestamp("last_update_timestamp"))
