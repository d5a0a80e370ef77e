"""Bybit V5 (linear) open orders, cancel-all, batches and amend: builders and parsers.

Sources: the V5 pages Get Open & Closed Orders, Cancel All Orders, Batch Place / Cancel,
Amend Order (bybit-exchange/docs, summarised in ``exchanges/bybit-account-streams.md``
section 2). Create, amend and cancel answer with the order's ids only ("asynchronous";
the state comes from a query), so these parsers build results from what was sent and
what was listed, and amend reads the order back.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from attrs import evolve
from venuekit.decimals import format_decimal
from venuekit.errors import ExchangeError, VenueError
from venuekit.flows import Flow, Steps, step
from venuekit.models import Market, OrderParams, OrderRef, OrderResult, OrderStatus, TimeInForce
from venuekit.payload import Reader
from venuekit.wire import Call, Response

from . import endpoints, errors, limits, parsing
from .endpoints import CATEGORY, NAME

CANCEL_ALL_PATH = "/v5/order/cancel-all"
CREATE_BATCH_PATH = "/v5/order/create-batch"
CANCEL_BATCH_PATH = "/v5/order/cancel-batch"
AMEND_PATH = "/v5/order/amend"

#: Batch Place / Batch Cancel pages allow "up to 20 orders" for linear, but the Rate Limit
#: Rules say "the batch APIs allow 1-10 orders/request" and count each order against a
#: default 10/s batch bucket, so a batch of 20 could never pass whole: 10 is used.
MAX_BATCH_ORDERS = 10
MAX_BATCH_CANCELS = 10
#: Get Open & Closed Orders: ``limit`` [1, 50].
OPEN_ORDERS_PAGE = 50
#: Cancel All Orders (futures) cancels at most 500 orders per call.
CANCEL_ALL_MAX = 500


def _by_native(markets: list[Market]) -> dict[str, Market]:
    return {m.native: m for m in markets}


# ---------------------------------------------------------------- open orders


def _open_page(query: list[tuple[str, str]], known: dict[str, Market]
               ) -> Call[tuple[list[OrderResult], str]]:
    def parse(response: Response) -> tuple[list[OrderResult], str]:
        body = parsing.result(response)
        rows = body.rows("list")
        orders = [parsing.order(row, known[row.text("symbol")])
                  for row in rows if row.get("symbol") in known]
        cursor = parsing.next_cursor(body)
        return orders, cursor if len(rows) >= OPEN_ORDERS_PAGE else ""
    return Call(endpoints._get(endpoints.REALTIME_PATH, query), parse)


def fetch_open_orders(market: Market | None,
                      all_markets: list[Market]) -> Flow[list[OrderResult]]:
    """``GET /v5/order/realtime`` (``openOnly=0``), 50 a page by ``cursor``; every symbol
    is one listing per settle coin (``settleCoin=USDT``, then ``USDC``)."""
    if market is not None:
        scopes = [[("symbol", market.native)]]
        known = {market.native: market}
    else:
        scopes = [[("settleCoin", coin)] for coin in sorted({m.settle for m in all_markets
                                                             if m.settle})]
        known = _by_native(all_markets)

    def steps() -> Steps[list[OrderResult]]:
        out: list[OrderResult] = []
        for scope in scopes:
            cursor = ""
            while True:
                query = [("category", CATEGORY), *scope, ("openOnly", "0"),
                         ("limit", str(OPEN_ORDERS_PAGE))]
                if cursor:
                    query.append(("cursor", cursor))
                orders, cursor = yield from step(_open_page(query, known))
                out.extend(orders)
                if not cursor:
                    break
        return out
    return Flow(steps)


# ---------------------------------------------------------------- cancel-all


def _cancelled_ids(response: Response) -> list[tuple[str, str]]:
    """``result.list`` of Cancel All: ``[{"orderId", "orderLinkId"}]``."""
    return [(row.text("orderId"), row.optional_text("orderLinkId") or "")
            for row in parsing.result_list(response)]


def _ids_only(market: Market, order_id: str, link_id: str) -> OrderResult:
    return OrderResult(exchange=NAME, symbol=market.symbol, order_id=order_id,
                       client_order_id=link_id or None, side=None, type=None,
                       status=OrderStatus.CANCELED, quantity=None)


def cancel_all_orders(market: Market) -> Flow[list[OrderResult]]:
    """``POST /v5/order/cancel-all`` answers with ids only: list first, then cancel, and
    report the listed orders the venue names (an order placed meanwhile by its ids).
    Cancel-all takes at most 500 orders a call, so it is repeated while it fills up."""
    def steps() -> Steps[list[OrderResult]]:
        # a flow inside a flow: the listing's own steps, run in line
        listed = yield from fetch_open_orders(market, [market]).steps()
        if not listed:
            return []
        by_id = {order.order_id: order for order in listed}
        out: list[OrderResult] = []
        while True:
            ids = yield from step(Call(endpoints._post(
                CANCEL_ALL_PATH, {"category": CATEGORY, "symbol": market.native},
                idempotent=True), _cancelled_ids))
            for order_id, link_id in ids:
                known = by_id.get(order_id)
                out.append(_ids_only(market, order_id, link_id) if known is None
                           else evolve(known, status=OrderStatus.CANCELED))
            if len(ids) < CANCEL_ALL_MAX:
                return out
    return Flow(steps)


# ---------------------------------------------------------------- batches


def _item_errors(response: Response, count: int) -> list[VenueError | None]:
    """``retExtInfo.list[i]`` = ``{"code": 0, "msg": "OK"}`` per item, in request order."""
    info = Reader.of(response).at("retExtInfo").rows("list")
    if len(info) != count:
        raise Reader.of(response).error(f"{len(info)} item codes for {count} orders")
    out: list[VenueError | None] = []
    for row in info:
        code = row.integer("code")
        message = row.optional_text("msg") or f"error {code}"
        out.append(None if code == 0 else errors.ERRORS.get(code, ExchangeError)(
            message, code=code, venue_message=message))
    return out


def _batch(response: Response, count: int,
           build: Callable[[int, Reader], OrderResult]) -> list[OrderResult | VenueError]:
    rows = parsing.result_list(response)
    codes = _item_errors(response, count)
    if len(rows) != count:
        raise Reader.of(response).error(f"{len(rows)} items for {count} orders")
    return [error if error is not None else build(i, row)
            for i, (row, error) in enumerate(zip(rows, codes, strict=True))]


def place_orders(orders: list[OrderParams],
                 markets: list[Market]) -> Call[list[OrderResult | VenueError]]:
    """``POST /v5/order/create-batch``: ``{"category", "request": [create bodies]}``, at
    most 20; each accepted item is reported as sent, status open (ids from the venue)."""
    requests: list[dict[str, Any]] = []
    for order, market in zip(orders, markets, strict=True):
        body = endpoints.order_body(order, market)
        body.pop("category")
        requests.append(body)
    request = endpoints._post(CREATE_BATCH_PATH, {"category": CATEGORY, "request": requests},
                              idempotent=False)
    request = evolve(request, cost=limits.cost(CREATE_BATCH_PATH, len(orders)))

    def placed(index: int, row: Reader) -> OrderResult:
        params, market = orders[index], markets[index]
        tif = params.time_in_force if params.price is not None else TimeInForce.IOC
        return OrderResult(exchange=NAME, symbol=market.symbol, order_id=row.text("orderId"),
                           client_order_id=row.optional_text("orderLinkId")
                           or params.client_order_id, side=params.side, type=params.type,
                           status=OrderStatus.OPEN, quantity=params.quantity,
                           price=params.price, time_in_force=tif,
                           reduce_only=params.reduce_only,
                           created_at=row.optional_timestamp("createAt"))
    return Call(request, lambda r: _batch(r, len(orders), placed))


def _ref_item(ref: OrderRef, market: Market) -> dict[str, str]:
    if ref.order_id:
        return {"symbol": market.native, "orderId": ref.order_id}
    assert ref.client_order_id is not None  # OrderRef guarantees one of the two
    return {"symbol": market.native, "orderLinkId": ref.client_order_id}


def cancel_orders(refs: list[OrderRef],
                  market: Market) -> Call[list[OrderResult | VenueError]]:
    """``POST /v5/order/cancel-batch``, at most 20; an unknown order is its item's
    110001 / 170213 (OrderNotFound)."""
    request = endpoints._post(CANCEL_BATCH_PATH, {
        "category": CATEGORY, "request": [_ref_item(ref, market) for ref in refs]},
        idempotent=True)
    request = evolve(request, cost=limits.cost(CANCEL_BATCH_PATH, len(refs)))

    def cancelled(index: int, row: Reader) -> OrderResult:
        return _ids_only(market, row.text("orderId"),
                         row.optional_text("orderLinkId") or refs[index].client_order_id
                         or "")
    return Call(request, lambda r: _batch(r, len(refs), cancelled))


# ---------------------------------------------------------------- amend


def amend_order(ref: OrderRef, market: Market, quantity: Decimal | None,
                price: Decimal | None) -> Flow[OrderResult]:
    """``POST /v5/order/amend`` with ``qty`` and/or ``price`` (an unknown order is 110001,
    OrderNotFound), then the order read back: the amend answer holds only its ids."""
    body: dict[str, Any] = {"category": CATEGORY, **_ref_item(ref, market)}
    if quantity is not None:
        body["qty"] = format_decimal(quantity)
    if price is not None:
        body["price"] = format_decimal(price)

    def steps() -> Steps[OrderResult]:
        order_id = yield from step(Call(endpoints._post(AMEND_PATH, body, idempotent=True),
                                        lambda r: parsing.result(r).text("orderId")))
        return (yield from step(endpoints.fetch_order(
            OrderRef(market.symbol, order_id=order_id), market)))
    return Flow(steps)
