"""The BingX simulator's account-state, batch and market-data endpoints.

Handlers take the simulator first (bound in ``BingXSimulator.account_routes``). Shapes are
the docs' (bingx-account-streams.md section 2): ``{"orders": [...]}``,
``{"fill_history_orders": [...], "total": n}``, ``{"success": [...], "failed": [...]}``.
Where the docs show no failure shape (a refused order inside ``batchOrders``) the row
carries ``clientOrderId``, ``code`` and ``msg``: an assumption, named in the README.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from aiohttp import web
from venuekit.testing.simulator import ErrorKind, SimReject
from venuekit.testing.state import SimFill

from . import simulator as venue

if TYPE_CHECKING:
    from .simulator import BingXSimulator

#: ``fillHistory`` reaches 7 days back.
FILLS_REACH_MS = 7 * 24 * 3600 * 1000
BOOK_DEPTHS = (5, 10, 20, 50, 100, 500, 1000)
#: BingX writes fill times in UTC+8 ("2023-12-16T20:58:36.000+0800").
_PLUS8 = timezone(timedelta(hours=8))


def _symbol(sim: BingXSimulator, params: dict[str, str], *, required: bool) -> str | None:
    symbol = params.get("symbol")
    if not symbol:
        if required:
            raise SimReject(ErrorKind.INVALID, "symbol is required")
        return None
    sim.state.market(symbol)
    return symbol


def _int(params: dict[str, str], key: str, *, required: bool = False) -> int | None:
    raw = params.get(key)
    if raw is None or raw == "":
        if required:
            raise SimReject(ErrorKind.INVALID, f"{key} is required")
        return None
    if not raw.lstrip("-").isdigit():
        raise SimReject(ErrorKind.INVALID, f"{key} is not a number")
    return int(raw)


def _time(ms: int) -> str:
    moment = datetime.fromtimestamp(ms // 1000, _PLUS8)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}+0800"


# ---------------------------------------------------------------- reads


async def open_orders(sim: BingXSimulator, request: web.Request) -> web.Response:
    params = await sim.verify(request)
    symbol = _symbol(sim, params, required=False)
    return sim.ok({"orders": [venue.render_order(o) for o in sim.state.open_orders(symbol)]},
                  request)


def _fill_json(fill: SimFill) -> dict[str, Any]:
    return {"symbol": fill.symbol, "qty": str(fill.quantity), "price": str(fill.price),
            "quoteQty": str(fill.quantity * fill.price), "commission": str(-fill.fee),
            "commissionAsset": fill.fee_asset, "orderId": fill.order_id,
            "tradeId": fill.trade_id, "filledTime": _time(fill.time_ms),
            "side": fill.side.upper(), "positionSide": "BOTH",
            "role": "maker" if fill.is_maker else "taker"}


async def fill_history(sim: BingXSimulator, request: web.Request) -> web.Response:
    """``startTs < filledTime <= endTs``, oldest first, after ``lastFillId``; both times
    required (only ``startTs`` answers nothing, as the docs warn)."""
    params = await sim.verify(request)
    symbol = _symbol(sim, params, required=True)
    start = _int(params, "startTs", required=True)
    end = _int(params, "endTs", required=True)
    assert start is not None and end is not None
    size = _int(params, "pageSize") or 50
    if not 1 <= size <= 1000:
        raise SimReject(ErrorKind.INVALID, "pageSize must be 1 to 1000")
    after = _int(params, "lastFillId") or 0
    floor = sim.now_ms() - FILLS_REACH_MS
    fills = sorted((f for f in sim.state.fills
                    if f.symbol == symbol and start < f.time_ms <= end and f.time_ms >= floor),
                   key=lambda f: (f.time_ms, int(f.trade_id)))
    total = len(fills)
    page = [f for f in fills if int(f.trade_id) > after][:min(size, sim.fills_page)]
    return sim.ok({"fill_history_orders": [_fill_json(f) for f in page], "total": total},
                  request)


async def positions(sim: BingXSimulator, request: web.Request) -> web.Response:
    params = await sim.verify(request)
    symbol = _symbol(sim, params, required=False)
    rows: list[dict[str, Any]] = []
    for held in sim.state.positions.values():
        if held.quantity == 0 or (symbol is not None and held.symbol != symbol):
            continue
        market = sim.state.markets[held.symbol]
        rows.append({
            "positionId": str(1735000000000000000 + len(rows)), "symbol": held.symbol,
            "currency": market.quote, "positionAmt": str(abs(held.quantity)),
            "availableAmt": str(abs(held.quantity)),
            "positionSide": "LONG" if held.quantity > 0 else "SHORT", "isolated": False,
            "avgPrice": str(held.entry_price), "markPrice": str(market.price),
            "initialMargin": "0", "leverage": sim.state.leverage.get(held.symbol, 5),
            "unrealizedProfit": str((market.price - held.entry_price) * held.quantity),
            "realisedProfit": "0", "liquidationPrice": Decimal(0)})
    return sim.ok(rows, request)


# ---------------------------------------------------------------- cancels


def _failed(order_id: Any, client_id: str | None, reject: SimReject,
            sim: BingXSimulator) -> dict[str, Any]:
    return {"orderId": order_id, "clientOrderId": client_id or "",
            "errorCode": sim.coded(reject).code, "errorMessage": reject.message}


async def cancel_all(sim: BingXSimulator, request: web.Request) -> web.Response:
    params = await sim.verify(request)
    symbol = _symbol(sim, params, required=False)
    success = [venue.render_order(sim.state.cancel(order_id=o.order_id))
               for o in sim.state.open_orders(symbol)]
    return sim.ok({"success": success, "failed": None}, request)


async def batch_cancel(sim: BingXSimulator, request: web.Request) -> web.Response:
    params = await sim.verify(request)
    symbol = _symbol(sim, params, required=True)
    by_id = params.get("orderIdList")
    raw = by_id or params.get("clientOrderIdList")
    if not raw:
        raise SimReject(ErrorKind.INVALID, "orderIdList & clientOrderIDList are both empty",
                        code=80014)
    try:
        ids = json.loads(raw)
    except ValueError:
        raise SimReject(ErrorKind.INVALID, "orderIdList is not a JSON list") from None
    if not isinstance(ids, list) or not 1 <= len(ids) <= sim.max_batch_cancels:
        raise SimReject(ErrorKind.INVALID, f"1 to {sim.max_batch_cancels} orders per batch")
    success, failed = [], []
    for one in ids:
        ref = {"order_id": str(one)} if by_id else {"client_order_id": str(one).lower()}
        try:
            order = sim.state.get(**ref)
            if order.symbol != symbol:
                raise SimReject(ErrorKind.NOT_FOUND, "order does not exist")
            success.append(venue.render_order(sim.state.cancel(order_id=order.order_id)))
        except SimReject as reject:
            failed.append(_failed(one if by_id else 0, None if by_id else str(one).lower(),
                                  reject, sim))
    return sim.ok({"success": success, "failed": failed}, request)


# ---------------------------------------------------------------- batch place, amend


async def batch_place(sim: BingXSimulator, request: web.Request) -> web.Response:
    params = await sim.verify(request)
    try:
        orders = json.loads(params.get("batchOrders") or "", parse_float=Decimal)
    except ValueError:
        raise SimReject(ErrorKind.INVALID, "batchOrders is not a JSON list") from None
    if not isinstance(orders, list) or not all(isinstance(o, dict) for o in orders):
        raise SimReject(ErrorKind.INVALID, "batchOrders is not a JSON list")
    if not 1 <= len(orders) <= sim.max_batch_orders:
        raise SimReject(ErrorKind.INVALID, f"1 to {sim.max_batch_orders} orders per batch")
    rows = []
    for one in orders:
        fields = {key: str(value).lower() if isinstance(value, bool) else str(value)
                  for key, value in one.items()}
        try:
            rows.append(sim.book(fields))
        except SimReject as reject:
            coded = sim.coded(reject)
            rows.append({"clientOrderId": (fields.get("clientOrderId") or "").lower(),
                         "code": coded.code, "msg": reject.message})
    return sim.ok({"orders": rows}, request)


async def amend(sim: BingXSimulator, request: web.Request) -> web.Response:
    """Quantity only; ``price`` is not a parameter of this endpoint."""
    params = await sim.verify(request)
    if "price" in params:
        raise SimReject(ErrorKind.INVALID, "price cannot be amended")
    order = sim.lookup(params)
    try:
        quantity = Decimal(params["quantity"])
    except (KeyError, InvalidOperation):
        raise SimReject(ErrorKind.INVALID, "quantity is required") from None
    return sim.ok({"order": venue.render_order(sim.state.amend(order_id=order.order_id,
                                                          quantity=quantity))}, request)


# ---------------------------------------------------------------- leverage


async def get_leverage(sim: BingXSimulator, request: web.Request) -> web.Response:
    params = await sim.verify(request)
    symbol = _symbol(sim, params, required=True)
    assert symbol is not None
    current = sim.state.leverage.get(symbol, 5)
    maximum = sim.state.markets[symbol].max_leverage
    return sim.ok({"longLeverage": current, "shortLeverage": current,
                   "maxLongLeverage": maximum, "maxShortLeverage": maximum}, request)


async def set_leverage(sim: BingXSimulator, request: web.Request) -> web.Response:
    params = await sim.verify(request)
    symbol = _symbol(sim, params, required=True)
    assert symbol is not None
    if params.get("side") != "BOTH":
        raise SimReject(ErrorKind.INVALID,
                        "In the One-way mode, the 'Side' field can only be set to BOTH.")
    leverage = _int(params, "leverage", required=True)
    assert leverage is not None
    sim.state.leverage.setdefault(symbol, 5)
    sim.state.set_leverage(symbol, leverage)
    return sim.ok({"leverage": leverage, "symbol": symbol}, request)


# ---------------------------------------------------------------- market data


async def ticker(sim: BingXSimulator, request: web.Request) -> web.Response:
    symbol = _symbol(sim, dict(request.query), required=True)
    assert symbol is not None
    bids, asks = sim.state.book(symbol, 1)
    price = sim.state.markets[symbol].price
    now = sim.now_ms()
    return sim.ok({"symbol": symbol, "priceChange": "0", "priceChangePercent": "0",
                   "lastPrice": str(price), "lastQty": "1", "highPrice": str(price),
                   "lowPrice": str(price), "volume": "0", "quoteVolume": "0",
                   "openPrice": str(price), "openTime": now - 86400000, "closeTime": now,
                   "bidPrice": bids[0][0], "bidQty": bids[0][1], "askPrice": asks[0][0],
                   "askQty": asks[0][1]})


async def depth(sim: BingXSimulator, request: web.Request) -> web.Response:
    query = dict(request.query)
    symbol = _symbol(sim, query, required=True)
    assert symbol is not None
    limit = _int(query, "limit") or 20
    if limit not in BOOK_DEPTHS:
        raise SimReject(ErrorKind.INVALID, f"limit must be one of {BOOK_DEPTHS}")
    bids, asks = sim.streams.book(symbol).top(limit)  # the book the streams publish

    def levels(side: list[tuple[Decimal, Decimal]]) -> list[list[str]]:
        return [[str(p), str(q)] for p, q in side]
    # "bids"/"asks" quantities are not stated to be coin; the coin lists are
    return sim.ok({"T": sim.now_ms(), "bids": levels([(p, q * p) for p, q in bids]),
                   "asks": levels([(p, q * p) for p, q in asks]),
                   "bidsCoin": levels(bids), "asksCoin": levels(asks)})
