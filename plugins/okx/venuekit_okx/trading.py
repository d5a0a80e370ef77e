"""OKX V5 batches, amend and leverage: request builders and parsers. No I/O.

OKX has no cancel-all for one swap instrument (``mass-cancel`` is for options under MMP
only), so there is no ``cancel_all_orders`` hook: the core lists the open orders and
cancels them with ``cancel-batch-orders``, :data:`MAX_BATCH` at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from venuekit.decimals import format_decimal
from venuekit.errors import VenueError
from venuekit.flows import Flow, Steps, step
from venuekit.models import Market, OrderParams, OrderRef, OrderResult, OrderStatus
from venuekit.payload import Reader
from venuekit.wire import BodyFormat, Call, Request, Response

from . import endpoints, errors, limits, parsing
from .contracts import to_contracts

BATCH_ORDERS_PATH = "/api/v5/trade/batch-orders"
BATCH_CANCEL_PATH = "/api/v5/trade/cancel-batch-orders"
AMEND_PATH = "/api/v5/trade/amend-order"
SET_LEVERAGE_PATH = "/api/v5/account/set-leverage"

#: Most orders in one ``batch-orders`` / ``cancel-batch-orders`` request.
MAX_BATCH = 20


# ---------------------------------------------------------------- batches


def _items(response: Response, count: int,
           build: Callable[[int, Reader], OrderResult]) -> list[OrderResult | VenueError]:
    """Per-item results of a batch: ``sCode "0"`` is done, anything else that item's error.

    Batches are not all-or-nothing (OK-BP "Batch operations"): top-level ``code`` is "1"
    when every item failed and "2" when some did; :func:`errors.parse_error` lets these
    through for the batch paths so each item is judged here.
    """
    rows = parsing.data(response)
    if len(rows) != count:
        raise Reader.of(response).error(f"{len(rows)} results for {count} orders", "data")
    out: list[OrderResult | VenueError] = []
    for index, row in enumerate(rows):
        code = row.optional_text("sCode") or "0"
        if code == "0":
            out.append(build(index, row))
        else:
            out.append(errors.error_for(code, row.optional_text("sMsg") or ""))
    return out


def _ref_body(ref: OrderRef, market: Market) -> dict[str, str]:
    if ref.order_id:
        return {"instId": market.native, "ordId": ref.order_id}
    assert ref.client_order_id is not None
    return {"instId": market.native, "clOrdId": ref.client_order_id}


def cancel_orders(refs: list[OrderRef],
                  market: Market) -> Call[list[OrderResult | VenueError]]:
    """``cancel-batch-orders``: up to 20 ``{instId, ordId | clOrdId}``, one result each."""
    # a batch of one spends the "Cancel order" limit (OK-QH "Cancel multiple orders")
    cost = {limits.CANCEL: 1} if len(refs) == 1 else {limits.BATCH_CANCEL: len(refs)}
    request = Request(method="POST", path=BATCH_CANCEL_PATH,
                      body=[_ref_body(ref, market) for ref in refs],
                      body_format=BodyFormat.JSON, signed=True, cost=cost)

    def build(index: int, row: Reader) -> OrderResult:
        return OrderResult(
            exchange=parsing.NAME, symbol=market.symbol, order_id=row.text("ordId"),
            client_order_id=row.optional_text("clOrdId") or refs[index].client_order_id,
            side=None, type=None, status=OrderStatus.CANCELED, quantity=None,
            updated_at=row.optional_timestamp("ts"))
    return Call(request, lambda response: _items(response, len(refs), build))


def place_orders(orders: list[OrderParams],
                 markets: list[Market]) -> Call[list[OrderResult | VenueError]]:
    """``batch-orders``: the single-order bodies as a JSON array (at most 20)."""
    bodies: list[Any] = [endpoints.place_order(order, market).request.body
                         for order, market in zip(orders, markets, strict=True)]
    # a batch of one spends the "Place order" limit (OK-QH "Place multiple orders")
    rule = limits.PLACE if len(orders) == 1 else limits.BATCH_ORDERS
    request = Request(method="POST", path=BATCH_ORDERS_PATH, body=bodies,
                      body_format=BodyFormat.JSON, signed=True, idempotent=False,
                      cost={rule: len(orders), limits.SUB_ACCOUNT_ORDERS: len(orders)})

    def build(index: int, row: Reader) -> OrderResult:
        order = orders[index]
        return OrderResult(
            exchange=parsing.NAME, symbol=markets[index].symbol, order_id=row.text("ordId"),
            client_order_id=row.optional_text("clOrdId") or order.client_order_id,
            side=order.side, type=order.type, status=OrderStatus.OPEN,
            quantity=order.quantity, price=order.price, time_in_force=order.time_in_force,
            reduce_only=order.reduce_only, created_at=row.optional_timestamp("ts"))
    return Call(request, lambda response: _items(response, len(orders), build))


# ---------------------------------------------------------------- amend, leverage


def _amend_call(ref: OrderRef, market: Market, quantity: Decimal | None,
                price: Decimal | None) -> Call[str]:
    body: dict[str, Any] = _ref_body(ref, market)
    if quantity is not None:
        body["newSz"] = format_decimal(to_contracts(quantity, market))  # the new total size
    if price is not None:
        body["newPx"] = format_decimal(price)
    request = Request(method="POST", path=AMEND_PATH, body=body, body_format=BodyFormat.JSON,
                      signed=True, cost={limits.AMEND: 1, limits.SUB_ACCOUNT_ORDERS: 1})
    return Call(request, lambda response: parsing.ack(response).text("ordId"))


def amend_order(ref: OrderRef, market: Market, quantity: Decimal | None,
                price: Decimal | None) -> Flow[OrderResult]:
    """``amend-order`` (``newSz`` and/or ``newPx``), then the order as OKX now reports it.

    ``sCode "0"`` only means the amend was accepted (OK-QH), and the answer carries ids
    only, so the order is read back for its state.
    """
    def steps() -> Steps[OrderResult]:
        order_id = yield from step(_amend_call(ref, market, quantity, price))
        return (yield from step(endpoints.fetch_order(
            OrderRef(market.symbol, order_id=order_id), market)))
    return Flow(steps)


def set_leverage(market: Market, leverage: int) -> Call[int]:
    """``set-leverage`` for the instrument in cross margin, the mode every order uses.

    OKX answers an unchanged value with plain success, so there is no "already set" code.
    """
    body = {"instId": market.native, "lever": str(leverage), "mgnMode": endpoints.TRADE_MODE}
    request = Request(method="POST", path=SET_LEVERAGE_PATH, body=body,
                      body_format=BodyFormat.JSON, signed=True,
                      cost={limits.SET_LEVERAGE: 1})

    def parse(response: Response) -> int:
        row = parsing.first(response, "leverage")
        value = row.decimal("lever")
        if value != value.to_integral_value():
            raise row.error(f"leverage {value} is not a whole number", "lever")
        return int(value)
    return Call(request, parse)
