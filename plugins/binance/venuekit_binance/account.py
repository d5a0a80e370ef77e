"""Binance USDⓈ-M orders, batches, amend and settings: request builders and parsers, no I/O.

Sources: the endpoint pages of developers.binance.com (derivatives/usds-margined-futures,
"Trade" and "Account" sections) as summarised, with their weights, in
``exchanges/binance-account-streams.md`` section 2. Success payloads are bare JSON; a few
account endpoints answer HTTP 200 with ``{"code": 200, "msg": ...}``, which
:func:`venuekit_binance.errors.parse_error` lets through as success.

Fills are in :mod:`venuekit_binance.fills`, positions in :mod:`venuekit_binance.positions`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

from attrs import evolve
from venuekit.account_models import MarginMode
from venuekit.decimals import format_decimal
from venuekit.errors import ExchangeError, VenueError
from venuekit.flows import Flow, Plan, Steps, step
from venuekit.models import Market, OrderParams, OrderRef, OrderResult, OrderStatus
from venuekit.payload import Reader
from venuekit.wire import BodyFormat, Call, Request, Response

from . import endpoints, errors, parsing
from .endpoints import IP_WEIGHT, ORDERS_1M, ORDERS_10S

OPEN_ORDERS_PATH = "/fapi/v1/openOrders"
CANCEL_ALL_PATH = "/fapi/v1/allOpenOrders"
BATCH_ORDERS_PATH = "/fapi/v1/batchOrders"
LEVERAGE_PATH = "/fapi/v1/leverage"
MARGIN_TYPE_PATH = "/fapi/v1/marginType"
POSITION_MODE_PATH = "/fapi/v1/positionSide/dual"

#: Batch place and batch amend take at most 5 orders, batch cancel 10 ids (Batch Orders pages).
MAX_BATCH_ORDERS = 5
MAX_BATCH_CANCELS = 10
#: ``leverage`` of Change Initial Leverage: "target initial leverage: int from 1 to 125";
#: a symbol's own bracket may allow less (the venue then answers -4028).
MAX_LEVERAGE = 125

#: "already set" codes that mean the wanted setting is in force: success, not an error.
NO_NEED_TO_CHANGE_MARGIN_TYPE = -4046
NO_NEED_TO_CHANGE_POSITION_SIDE = -4059


def _by_native(markets: list[Market]) -> dict[str, Market]:
    return {m.native: m for m in markets}


# ---------------------------------------------------------------- open orders


def fetch_open_orders(market: Market | None,
                      all_markets: list[Market]) -> Call[list[OrderResult]]:
    """``GET /fapi/v1/openOrders``: weight 1 with a symbol, 40 without.

    Rows on a market venuekit does not list (delivery contracts) are left out: they
    cannot be named by a symbol the caller knows.
    """
    query = [] if market is None else [("symbol", market.native)]
    known = _by_native(all_markets if market is None else [market])

    def parse(response: Response) -> list[OrderResult]:
        return [parsing.order(row, known[row.text("symbol")])
                for row in Reader.of(response).rows() if row.get("symbol") in known]
    return Call(Request(method="GET", path=OPEN_ORDERS_PATH, query=query, signed=True,
                        cost={IP_WEIGHT: 1 if market else 40}), parse)


def cancel_all_orders(market: Market) -> Flow[list[OrderResult]]:
    """``DELETE /fapi/v1/allOpenOrders`` answers only ``{"code": 200, "msg": ...}``: list
    the open orders first and report those as cancelled."""
    def steps() -> Steps[list[OrderResult]]:
        listed = yield from step(fetch_open_orders(market, [market]))
        if not listed:
            return []
        yield from step(Call(Request(method="DELETE", path=CANCEL_ALL_PATH,
                                     query=[("symbol", market.native)], signed=True,
                                     cost={IP_WEIGHT: 1}), code_200))
        return [evolve(order, status=OrderStatus.CANCELED) for order in listed]
    return Flow(steps)


def code_200(response: Response) -> str:
    """The ``{"code": 200, "msg": "..."}`` success of cancel-all, margin type, position mode."""
    body = Reader.of(response)
    if body.integer("code") != 200:
        raise body.error("expected code 200", "code")
    return body.optional_text("msg") or ""


# ---------------------------------------------------------------- batches


def _item(row: Reader, market: Market) -> OrderResult | VenueError:
    """One entry of a batch answer: an order object, or ``{"code": -2011, "msg": ...}``."""
    if row.has("orderId"):
        return parsing.order(row, market)
    code = row.integer("code")
    message = row.optional_text("msg") or f"error {code}"
    return errors.ERRORS.get(code, ExchangeError)(message, code=code, venue_message=message)


def _batch_items(markets: list[Market]) -> Callable[[Response], list[OrderResult | VenueError]]:
    def parse(response: Response) -> list[OrderResult | VenueError]:
        rows = Reader.of(response).rows()
        if len(rows) != len(markets):
            raise Reader.of(response).error(f"{len(rows)} items for {len(markets)} orders")
        return [_item(row, market) for row, market in zip(rows, markets, strict=True)]
    return parse


def place_orders(orders: list[OrderParams],
                 markets: list[Market]) -> Call[list[OrderResult | VenueError]]:
    """``POST /fapi/v1/batchOrders``: ``batchOrders`` is a JSON list, one signed form field.

    Weight 5 on the 10-second order count, 1 on the minute count, 5 IP (page). Items come
    back in request order, each an order or that order's error.
    """
    batch = [dict(endpoints.order_fields(order, market))
             for order, market in zip(orders, markets, strict=True)]
    request = Request(method="POST", path=BATCH_ORDERS_PATH,
                      body=[("batchOrders", json.dumps(batch, separators=(",", ":")))],
                      body_format=BodyFormat.FORM, signed=True, idempotent=False,
                      cost={IP_WEIGHT: 5, ORDERS_10S: 5, ORDERS_1M: 1})
    return Call(request, _batch_items(markets))


def _id_list(values: list[str], *, numeric: bool) -> str:
    # orderIdList=[1,2]; origClientOrderIdList=["a","b"] (no spaces; quotes URL-encoded)
    return json.dumps([int(v) for v in values] if numeric else values, separators=(",", ":"))


def _cancel_call(refs: list[OrderRef], market: Market,
                 by_id: bool) -> Call[list[OrderResult | VenueError]]:
    if by_id:
        pair = ("orderIdList", _id_list([r.order_id or "" for r in refs], numeric=True))
    else:
        pair = ("origClientOrderIdList",
                _id_list([r.client_order_id or "" for r in refs], numeric=False))
    return Call(Request(method="DELETE", path=BATCH_ORDERS_PATH,
                        query=[("symbol", market.native), pair], signed=True,
                        cost={IP_WEIGHT: 1}), _batch_items([market] * len(refs)))


def cancel_orders(refs: list[OrderRef],
                  market: Market) -> Plan[list[OrderResult | VenueError]]:
    """``DELETE /fapi/v1/batchOrders`` by ``orderIdList`` or ``origClientOrderIdList``
    (at most 10). Refs of both kinds are sent as two requests, answered in input order."""
    by_id = [i for i, ref in enumerate(refs) if ref.order_id]
    by_cid = [i for i, ref in enumerate(refs) if not ref.order_id]
    if not by_cid:
        return _cancel_call(refs, market, by_id=True)
    if not by_id:
        return _cancel_call(refs, market, by_id=False)

    def steps() -> Steps[list[OrderResult | VenueError]]:
        out: dict[int, OrderResult | VenueError] = {}
        for indices, numeric in ((by_id, True), (by_cid, False)):
            items = yield from step(_cancel_call([refs[i] for i in indices], market, numeric))
            out.update(zip(indices, items, strict=True))
        return [out[i] for i in range(len(refs))]
    return Flow(steps)


# ---------------------------------------------------------------- amend


def amend_order(ref: OrderRef, market: Market, quantity: Decimal | None,
                price: Decimal | None) -> Flow[OrderResult]:
    """``PUT /fapi/v1/order`` needs ``side``, ``quantity`` and ``price`` together: read
    the order first (an unknown one is -2013, OrderNotFound) and fill in what is kept.

    Only LIMIT orders can be modified (-5025 otherwise); the venue re-queues the order.
    """
    def steps() -> Steps[OrderResult]:
        current = yield from step(endpoints.fetch_order(ref, market))
        new_quantity = quantity if quantity is not None else current.quantity
        new_price = price if price is not None else current.price
        if new_quantity is None or new_price is None or current.side is None:
            raise ExchangeError("only limit orders can be amended on binance "
                                "(the order has no price)", exchange="binance")
        fields = [("symbol", market.native), ("orderId", current.order_id),
                  ("side", current.side.value.upper()),
                  ("quantity", format_decimal(new_quantity)),
                  ("price", format_decimal(new_price))]
        request = Request(method="PUT", path=endpoints.ORDER_PATH, body=fields,
                          body_format=BodyFormat.FORM, signed=True,
                          cost={IP_WEIGHT: 0, ORDERS_10S: 1, ORDERS_1M: 1})
        return (yield from step(Call(request, parsing.order_for(market))))
    return Flow(steps)


# ---------------------------------------------------------------- leverage, margin, mode


def set_leverage(market: Market, leverage: int) -> Call[int]:
    """``POST /fapi/v1/leverage``: answers ``{"leverage": 21, ...}`` even when unchanged."""
    request = Request(method="POST", path=LEVERAGE_PATH,
                      body=[("symbol", market.native), ("leverage", str(leverage))],
                      body_format=BodyFormat.FORM, signed=True, cost={IP_WEIGHT: 1})
    return Call(request, lambda r: Reader.of(r).integer("leverage"))


def _already_set(request: Request, code: int, wanted: str) -> Flow[str]:
    """The setting now in force (``wanted``), whether changed now or already so."""
    def steps() -> Steps[str]:
        try:
            yield from step(Call(request, code_200))
        except ExchangeError as exc:
            if exc.code != str(code):  # "no need to change": the wanted value is in force
                raise
        return wanted
    return Flow(steps)


def set_margin_mode(market: Market, mode: MarginMode) -> Flow[str]:
    """``POST /fapi/v1/marginType`` (per symbol); -4046 "no need to change" is success.
    Parses to the venue's name of the mode now in force (``ISOLATED`` / ``CROSSED``).

    No core hook exists for this yet: run it with ``venuekit.flows.run_plan(plan, conn.run)``.
    """
    native = "ISOLATED" if mode is MarginMode.ISOLATED else "CROSSED"
    request = Request(method="POST", path=MARGIN_TYPE_PATH,
                      body=[("symbol", market.native), ("marginType", native)],
                      body_format=BodyFormat.FORM, signed=True, cost={IP_WEIGHT: 1})
    return _already_set(request, NO_NEED_TO_CHANGE_MARGIN_TYPE, native)


def set_position_mode(hedge: bool) -> Flow[str]:
    """``POST /fapi/v1/positionSide/dual`` (whole account); -4059 is success. Parses to
    ``dualSidePosition`` now in force ("true" hedge, "false" one-way)."""
    wanted = "true" if hedge else "false"
    request = Request(method="POST", path=POSITION_MODE_PATH,
                      body=[("dualSidePosition", wanted)], body_format=BodyFormat.FORM,
                      signed=True, cost={IP_WEIGHT: 1})
    return _already_set(request, NO_NEED_TO_CHANGE_POSITION_SIDE, wanted)
