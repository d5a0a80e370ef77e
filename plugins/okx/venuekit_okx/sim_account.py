"""The OKX simulator's account-state, batch and market-data endpoints.

Handlers take the simulator as their first argument (see ``OkxSimulator.routes``). Sizes
on the wire are contracts; :class:`~venuekit.testing.SimState` keeps base currency.
Pages run newest first as OKX's do, ``after`` exclusive; fills page by ``billId``, a
number distinct from ``tradeId`` so a client paging by the wrong id is caught.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from aiohttp import web
from venuekit.decimals import format_decimal
from venuekit.testing import ErrorKind, SimReject
from venuekit.testing.simulator import json_response
from venuekit.testing.state import SimFill, SimMarket

if TYPE_CHECKING:
    from .simulator import OkxSimulator

#: OKX's maximum ``limit`` on list endpoints.
MAX_LIMIT = 100


def _envelope(data: list[Any], code: str = "0", msg: str = "") -> web.Response:
    return json_response({"code": code, "msg": msg, "data": data})


def _contracts(market: SimMarket) -> Decimal:
    return market.contract_size or Decimal(1)


def _limit(request: web.Request, cap: int) -> int:
    raw = request.query.get("limit", str(MAX_LIMIT))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise SimReject(ErrorKind.INVALID, "Parameter limit error", code="51000", status=400)
    return min(int(raw), cap)


def _inst_type(request: web.Request, *, required: bool) -> None:
    inst_type = request.query.get("instType")
    if (required or inst_type is not None) and inst_type != "SWAP":
        raise SimReject(ErrorKind.INVALID, "Parameter instType error", code="51000",
                        status=400)


async def _json_body(sim: OkxSimulator, request: web.Request) -> Any:
    raw = await sim.verify(request)
    try:
        return json.loads(raw or b"null")
    except ValueError:
        raise SimReject(ErrorKind.INVALID, "JSON syntax error", code="50002",
                        status=400) from None


def bill_id(fill: SimFill) -> int:
    return int(fill.trade_id) * 10 + 700000000


# ---------------------------------------------------------------- reads


async def orders_pending(sim: OkxSimulator, request: web.Request) -> web.Response:
    await sim.verify(request)
    _inst_type(request, required=False)
    inst_id = request.query.get("instId")
    if inst_id is not None:
        sim.state.market(inst_id)
    orders = sorted(sim.state.open_orders(inst_id), key=lambda o: int(o.order_id),
                    reverse=True)
    if "after" in request.query:
        orders = [o for o in orders if int(o.order_id) < int(request.query["after"])]
    page = orders[:_limit(request, MAX_LIMIT)]
    return _envelope([sim._order_json(order) for order in page])


async def fills_history(sim: OkxSimulator, request: web.Request) -> web.Response:
    await sim.verify(request)
    _inst_type(request, required=True)
    inst_id = request.query.get("instId")
    if inst_id is not None:
        sim.state.market(inst_id)
    fills = sorted((f for f in sim.state.fills if inst_id is None or f.symbol == inst_id),
                   key=bill_id, reverse=True)
    if "after" in request.query:
        fills = [f for f in fills if bill_id(f) < int(request.query["after"])]
    if "begin" in request.query:
        fills = [f for f in fills if f.time_ms >= int(request.query["begin"])]
    page = fills[:_limit(request, sim.fills_page)]
    return _envelope([_fill_json(sim, fill) for fill in page])


def _fill_json(sim: OkxSimulator, fill: SimFill) -> dict[str, Any]:
    market = sim.state.markets[fill.symbol]
    return {"instType": "SWAP", "instId": fill.symbol, "tradeId": fill.trade_id,
            "ordId": fill.order_id, "clOrdId": fill.client_order_id or "",
            "billId": str(bill_id(fill)), "subType": "1", "tag": "", "side": fill.side,
            "posSide": "net", "fillPx": format_decimal(fill.price),
            "fillSz": format_decimal(fill.quantity / _contracts(market)),
            "fee": format_decimal(-fill.fee), "feeCcy": fill.fee_asset,
            "execType": "M" if fill.is_maker else "T", "fillIdxPx": "",
            "fillTime": str(fill.time_ms), "ts": str(fill.time_ms + 1)}


async def positions(sim: OkxSimulator, request: web.Request) -> web.Response:
    await sim.verify(request)
    _inst_type(request, required=False)
    wanted = request.query.get("instId")
    ids = None if wanted is None else set(wanted.split(","))
    if ids is not None and len(ids) > 10:
        raise SimReject(ErrorKind.INVALID, "Parameter instId error", code="51000", status=400)
    rows = []
    for held in sim.state.positions.values():
        if held.quantity == 0 or (ids is not None and held.symbol not in ids):
            continue
        market = sim.state.markets[held.symbol]
        upl = (market.price - held.entry_price) * held.quantity
        rows.append({
            "instType": "SWAP", "instId": held.symbol, "mgnMode": "cross", "posSide": "net",
            "pos": format_decimal(held.quantity / _contracts(market)),
            "avgPx": format_decimal(held.entry_price), "markPx": format_decimal(market.price),
            "upl": format_decimal(upl), "lever": str(sim.state.leverage.get(held.symbol, 1)),
            "liqPx": "", "ccy": market.quote, "posId": str(abs(hash(held.symbol)) % 10**18),
            "uTime": str(sim.now_ms())})
    return _envelope(rows)


# ---------------------------------------------------------------- batches


def _batch(body: Any, maximum: int) -> list[dict[str, Any]]:
    if not isinstance(body, list) or not body or not all(isinstance(i, dict) for i in body):
        raise SimReject(ErrorKind.INVALID, "Parameter error: a JSON array of orders",
                        code="51000", status=400)
    if len(body) > maximum:
        raise SimReject(ErrorKind.INVALID, f"Batch size exceeds {maximum}", code="51000",
                        status=400)
    return body


def _batch_answer(items: list[dict[str, Any]]) -> web.Response:
    """Top-level ``code``: "0" all done, "1" all failed, "2" some failed (OK-BP)."""
    failed = sum(item["sCode"] != "0" for item in items)
    if failed == 0:
        return _envelope(items)
    if failed == len(items):
        return _envelope(items, "1", "All operations failed")
    return _envelope(items, "2", "Bulk operation partially succeeded")


def _item_code(sim: OkxSimulator, reject: SimReject, not_found: str) -> str:
    if reject.kind is ErrorKind.NOT_FOUND:
        return not_found
    return str(sim.coded(reject).code)


async def batch_orders(sim: OkxSimulator, request: web.Request) -> web.Response:
    body = _batch(await _json_body(sim, request), sim.max_batch)
    sim.check_expiry(request)
    items = []
    for one in body:
        client_id = str(one.get("clOrdId") or "")
        try:
            order = sim._book(one, client_id)
        except SimReject as reject:
            items.append({"clOrdId": client_id, "ordId": "", "tag": "", "ts": "",
                          "sCode": _item_code(sim, reject, "51603"), "sMsg": reject.message})
        else:
            items.append({"clOrdId": client_id, "ordId": order.order_id, "tag": "",
                          "ts": str(order.created_ms), "sCode": "0", "sMsg": "Order placed"})
    return _batch_answer(items)


async def cancel_batch_orders(sim: OkxSimulator, request: web.Request) -> web.Response:
    body = _batch(await _json_body(sim, request), sim.max_batch)
    items = []
    for one in body:
        client_id, order_id = str(one.get("clOrdId") or ""), str(one.get("ordId") or "")
        try:
            order = sim._lookup(one)
            sim.state.cancel(order_id=order.order_id)
        except SimReject as reject:
            items.append({"clOrdId": client_id, "ordId": order_id, "ts": str(sim.now_ms()),
                          "sCode": _item_code(sim, reject, "51400"), "sMsg": reject.message})
        else:
            items.append({"clOrdId": order.client_order_id or "", "ordId": order.order_id,
                          "ts": str(sim.now_ms()), "sCode": "0", "sMsg": ""})
    return _batch_answer(items)


# ---------------------------------------------------------------- amend, leverage


def _number(body: dict[str, Any], key: str) -> Decimal | None:
    if key not in body:
        return None
    try:
        value = Decimal(str(body[key]))
    except InvalidOperation:
        raise SimReject(ErrorKind.INVALID, f"Parameter {key} error") from None
    if not value.is_finite() or value <= 0:
        raise SimReject(ErrorKind.INVALID, f"Parameter {key} error")
    return value


async def amend_order(sim: OkxSimulator, request: web.Request) -> web.Response:
    body = await _json_body(sim, request)
    if not isinstance(body, dict):
        raise SimReject(ErrorKind.INVALID, "JSON syntax error", code="50002", status=400)
    client_id, order_id = str(body.get("clOrdId") or ""), str(body.get("ordId") or "")
    try:
        order = sim._lookup(body)
        if not order.is_open:
            return sim.item_error("51503", "Your order has already been filled or canceled",
                                  client_id, order_id)
        market = sim.state.markets[order.symbol]
        contracts, price = _number(body, "newSz"), _number(body, "newPx")
        if contracts is None and price is None:
            raise SimReject(ErrorKind.INVALID, "Parameter newSz or newPx error")
        sim.state.amend(order_id=order.order_id, price=price,
                        quantity=None if contracts is None else contracts * _contracts(market))
    except SimReject as reject:
        return sim.item_error(_item_code(sim, reject, "51603"), reject.message, client_id,
                              order_id)
    return _envelope([{"ordId": order.order_id, "clOrdId": order.client_order_id or "",
                       "reqId": str(body.get("reqId") or ""), "ts": str(sim.now_ms()),
                       "sCode": "0", "sMsg": "", "subCode": ""}])


async def set_leverage(sim: OkxSimulator, request: web.Request) -> web.Response:
    """OKX answers an unchanged leverage with plain success; above the maximum is 59102."""
    body = await _json_body(sim, request)
    if not isinstance(body, dict) or body.get("mgnMode") not in ("cross", "isolated"):
        raise SimReject(ErrorKind.INVALID, "Parameter mgnMode error", code="51000", status=400)
    market = sim.state.market(str(body.get("instId") or ""))
    raw = str(body.get("lever") or "")
    if not raw.isdigit():
        raise SimReject(ErrorKind.INVALID, "Parameter lever error", code="51000", status=400)
    lever = int(raw)
    if not 1 <= lever <= market.max_leverage:
        raise SimReject(ErrorKind.INVALID, "Leverage exceeds the maximum", code="59102")
    sim.state.set_leverage(market.native, lever)
    return _envelope([{"lever": str(lever), "mgnMode": body["mgnMode"],
                       "instId": market.native, "posSide": ""}])


# ---------------------------------------------------------------- market data


def _market(sim: OkxSimulator, request: web.Request) -> SimMarket:
    inst_id = request.query.get("instId")
    if not inst_id:
        raise SimReject(ErrorKind.INVALID, "Parameter instId error", code="51000", status=400)
    return sim.state.market(inst_id)


async def ticker(sim: OkxSimulator, request: web.Request) -> web.Response:
    market = _market(sim, request)
    bids, asks = sim.state.book(market.native, 1)
    size = _contracts(market)
    return _envelope([{
        "instType": "SWAP", "instId": market.native, "last": format_decimal(market.price),
        "lastSz": "1", "askPx": format_decimal(asks[0][0]),
        "askSz": format_decimal(asks[0][1] / size), "bidPx": format_decimal(bids[0][0]),
        "bidSz": format_decimal(bids[0][1] / size), "open24h": format_decimal(market.price),
        "high24h": format_decimal(market.price), "low24h": format_decimal(market.price),
        "volCcy24h": "0", "vol24h": "0", "sodUtc0": format_decimal(market.price),
        "sodUtc8": format_decimal(market.price), "ts": str(sim.now_ms())}])


async def books(sim: OkxSimulator, request: web.Request) -> web.Response:
    market = _market(sim, request)
    raw = request.query.get("sz", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= 400:
        raise SimReject(ErrorKind.INVALID, "Parameter sz error", code="51000", status=400)
    # the book the streams publish (same levels, same changes)
    bids, asks = sim.streams.book(market.native).top(int(raw))
    size = _contracts(market)

    def levels(side: list[tuple[Decimal, Decimal]]) -> list[list[str]]:
        return [[format_decimal(p), format_decimal(q / size), "0", "1"] for p, q in side]
    return _envelope([{"asks": levels(asks), "bids": levels(bids), "ts": str(sim.now_ms())}])
