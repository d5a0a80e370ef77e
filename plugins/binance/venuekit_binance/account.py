"""Binance USDⓈ-M account state and batches: request builders and parsers, no I/O.

Sources: the endpoint pages of developers.binance.com (derivatives/usds-margined-futures,
"Trade" and "Account" sections) as summarised, with their weights, in
``exchanges/binance-account-streams.md`` section 2. Success payloads are bare JSON; a few
account endpoints answer HTTP 200 with ``{"code": 200, "msg": ...}``, which
:func:`venuekit_binance.errors.parse_error` lets through as success.

Fills (``GET /fapi/v1/userTrades``) are read in time windows of at most seven days, the
venue's maximum span: forward from ``since`` to now, or backward from now over the six
months the venue keeps. A window whose page comes back full is split in two and read
again (newer half first when walking backward), so every page the core receives is
complete for its window whatever order the venue returns a truncated window in.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from attrs import evolve
from venuekit.account_models import Fill, MarginMode, Position, PositionSide
from venuekit.decimals import format_decimal
from venuekit.errors import ExchangeError, VenueError
from venuekit.flows import Flow, Page, Pages, Plan, Steps, Walk, step
from venuekit.models import Market, OrderParams, OrderRef, OrderResult, OrderStatus
from venuekit.payload import Reader
from venuekit.wire import BodyFormat, Call, Request, Response

from . import endpoints, errors, parsing
from .endpoints import IP_WEIGHT, ORDERS_1M, ORDERS_10S

OPEN_ORDERS_PATH = "/fapi/v1/openOrders"
CANCEL_ALL_PATH = "/fapi/v1/allOpenOrders"
BATCH_ORDERS_PATH = "/fapi/v1/batchOrders"
USER_TRADES_PATH = "/fapi/v1/userTrades"
POSITION_RISK_PATH = "/fapi/v3/positionRisk"
SYMBOL_CONFIG_PATH = "/fapi/v1/symbolConfig"
LEVERAGE_PATH = "/fapi/v1/leverage"
MARGIN_TYPE_PATH = "/fapi/v1/marginType"
POSITION_MODE_PATH = "/fapi/v1/positionSide/dual"

#: Batch place and batch amend take at most 5 orders, batch cancel 10 ids (Batch Orders pages).
MAX_BATCH_ORDERS = 5
MAX_BATCH_CANCELS = 10
#: ``leverage`` of Change Initial Leverage: "target initial leverage: int from 1 to 125";
#: a symbol's own bracket may allow less (the venue then answers -4028).
MAX_LEVERAGE = 125
#: userTrades ``limit``: default 500, max 1000. Read at call time so tests can shrink it
#: together with the simulator's ``max_fills_page``.
MAX_FILLS_PAGE = 1000
#: userTrades: "The time between startTime and endTime cannot be longer than 7 days" and
#: "only support querying trade in the past 6 months" (taken as 180 days).
WINDOW_MS = 7 * 24 * 3600 * 1000
HISTORY_MS = 180 * 24 * 3600 * 1000
#: Margin for the local clock running behind the venue's when "now" ends a window.
CLOCK_SLACK_MS = 60_000

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


# ---------------------------------------------------------------- positions


_MARGIN = {"CROSSED": MarginMode.CROSS, "CROSS": MarginMode.CROSS,
           "ISOLATED": MarginMode.ISOLATED}


def position(row: Reader, market: Market, config: Reader | None) -> Position | None:
    """A ``positionRisk`` v3 row merged with its ``symbolConfig`` row; None when flat.

    One-way mode reports ``positionSide`` BOTH and a signed ``positionAmt``; hedge mode
    LONG / SHORT (SHORT amounts negative).
    """
    amount = row.decimal("positionAmt")
    if amount == 0:
        return None
    native_side = row.optional_text("positionSide") or "BOTH"
    if native_side == "BOTH":
        side = PositionSide.LONG if amount > 0 else PositionSide.SHORT
    else:
        side = PositionSide.LONG if native_side == "LONG" else PositionSide.SHORT
    leverage = None if config is None else config.optional_decimal("leverage")
    margin = None if config is None else _MARGIN.get(str(config.get("marginType")).upper())
    return Position(symbol=market.symbol, side=side, quantity=abs(amount),
                    entry_price=row.nonzero_decimal("entryPrice"),
                    mark_price=row.nonzero_decimal("markPrice"),
                    unrealized_pnl=row.optional_decimal("unRealizedProfit"),
                    leverage=leverage, liquidation_price=row.nonzero_decimal("liquidationPrice"),
                    margin_mode=margin)


def _symbol_query(markets: list[Market] | None) -> list[tuple[str, str]]:
    return [("symbol", markets[0].native)] if markets and len(markets) == 1 else []


def fetch_positions(markets: list[Market] | None,
                    all_markets: list[Market]) -> Flow[list[Position]]:
    """``GET /fapi/v3/positionRisk`` (weight 5; only symbols with a position or open
    orders, no leverage or margin type), merged with ``GET /fapi/v1/symbolConfig``
    (weight 5) for ``leverage`` and ``marginType``; the second call is skipped when flat."""
    known = _by_native(all_markets)
    query = _symbol_query(markets)

    def steps() -> Steps[list[Position]]:
        rows = yield from step(Call(Request(
            method="GET", path=POSITION_RISK_PATH, query=query, signed=True,
            cost={IP_WEIGHT: 5}), lambda r: Reader.of(r).rows()))
        open_rows = [row for row in rows
                     if row.get("symbol") in known and row.decimal("positionAmt") != 0]
        if not open_rows:
            return []
        configs = yield from step(Call(Request(
            method="GET", path=SYMBOL_CONFIG_PATH, query=query, signed=True,
            cost={IP_WEIGHT: 5}), lambda r: {row.text("symbol"): row
                                             for row in Reader.of(r).rows()}))
        out = []
        for row in open_rows:
            native = row.text("symbol")
            found = position(row, known[native], configs.get(native))
            if found is not None:
                out.append(found)
        return out
    return Flow(steps)


# ---------------------------------------------------------------- fills


def fill(row: Reader, market: Market) -> Fill:
    """A ``userTrades`` row. ``commission`` is what was paid (negative: a rebate)."""
    return Fill(symbol=market.symbol, order_id=row.text("orderId"), trade_id=row.text("id"),
                side=row.text("side").lower(), price=row.decimal("price"),
                quantity=row.decimal("qty"), fee=row.decimal("commission"),
                fee_currency=row.optional_text("commissionAsset"),
                is_maker=row.boolean("maker"), timestamp=row.timestamp("time"))


def _window_call(market: Market, start: int, end: int, pending: tuple[tuple[int, int], ...],
                 walk: Walk) -> Call[Page[Fill]]:
    """The page of fills in ``[start, end]`` ms; ``pending`` are the windows still to read,
    the next one last."""
    size = MAX_FILLS_PAGE
    query = [("symbol", market.native), ("startTime", str(start)), ("endTime", str(end)),
             ("limit", str(size))]

    def parse(response: Response) -> Page[Fill]:
        rows = Reader.of(response).rows()
        todo = list(pending)
        if len(rows) >= size and end > start:
            # truncated: read the window again as two halves (the one to read first last)
            middle = (start + end) // 2
            older, newer = (start, middle), (middle + 1, end)
            todo += [older, newer] if walk is Walk.BACKWARD else [newer, older]
            fills: list[Fill] = []
        else:
            fills = [fill(row, market) for row in rows]
        if not todo:
            return Page(fills)
        next_start, next_end = todo.pop()
        return Page(fills, _window_call(market, next_start, next_end, tuple(todo), walk))
    return Call(Request(method="GET", path=USER_TRADES_PATH, query=query, signed=True,
                        cost={IP_WEIGHT: 5}), parse)


def _windows(start: int, end: int, *, from_end: bool = False) -> list[tuple[int, int]]:
    """``[start, end]`` cut into spans of at most seven days, oldest first; the cuts are
    counted from ``end`` when ``from_end`` (so the newest span is a whole one)."""
    out = []
    if from_end:
        while end >= start:
            out.append((max(end - WINDOW_MS + 1, start), end))
            end -= WINDOW_MS
        return out[::-1]
    while start <= end:
        out.append((start, min(start + WINDOW_MS - 1, end)))
        start += WINDOW_MS
    return out


def fetch_my_trades(market: Market, since: datetime | None, limit: int | None,
                    now_ms: int | None = None) -> Pages[Fill]:
    """Seven-day windows forward from ``since``, or backward from now over six months.

    ``limit`` is not used: every page asks for the venue's maximum, so a window is split
    only when it really holds more fills than one page (the core stops at ``limit``).
    """
    del limit
    now = (int(time.time() * 1000) if now_ms is None else now_ms) + CLOCK_SLACK_MS
    oldest = now - HISTORY_MS
    if since is not None:
        start = min(max(int(since.timestamp() * 1000), oldest), now)
        todo = list(reversed(_windows(start, now)))  # oldest window read first
        walk = Walk.FORWARD
    else:
        todo = _windows(oldest, now, from_end=True)  # newest window read first
        walk = Walk.BACKWARD
    first_start, first_end = todo.pop()
    return Pages(_window_call(market, first_start, first_end, tuple(todo), walk), walk)
