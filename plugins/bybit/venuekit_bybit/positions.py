"""Bybit V5 (linear) fills, positions, leverage and account modes: builders and parsers.

Sources: Get Trade History (``/v5/execution/list``), Get Position Info, Get Account Info,
Set Leverage, Switch Position Mode, Set Margin Mode (bybit-exchange/docs; summarised in
``exchanges/bybit-account-streams.md`` sections 2.2, 2.3, 2.5, 2.6).

On the unified account (UTA 2.0) the margin mode is account-wide (``GET
/v5/account/info`` ``marginMode``), not per position; the position mode has no query at
all and is inferred from ``positionIdx`` (0 one-way, 1 / 2 the legs of hedge mode).
"""

from __future__ import annotations

import time
from datetime import datetime

from venuekit.account_models import Fill, MarginMode, Position, PositionSide
from venuekit.errors import ExchangeError
from venuekit.flows import Flow, Page, Pages, Steps, Walk, step
from venuekit.models import Market
from venuekit.payload import Reader
from venuekit.wire import Call, Response

from . import endpoints, parsing
from .endpoints import CATEGORY

EXECUTIONS_PATH = "/v5/execution/list"
POSITIONS_PATH = "/v5/position/list"
ACCOUNT_INFO_PATH = "/v5/account/info"
SET_LEVERAGE_PATH = "/v5/position/set-leverage"
SWITCH_MODE_PATH = "/v5/position/switch-mode"
SET_MARGIN_MODE_PATH = "/v5/account/set-margin-mode"

#: Get Trade History: ``limit`` [1, 100]; read at call time so tests can shrink it with
#: the simulator's ``max_executions_page``.
EXECUTIONS_PAGE = 100
#: "startTime and endTime ... the maximum is 7 days"; history kept "2 years" (730 days).
WINDOW_MS = 7 * 24 * 3600 * 1000
HISTORY_MS = 730 * 24 * 3600 * 1000
CLOCK_SLACK_MS = 60_000
#: Executions that are fills of the account; Funding, Settle, Delivery and MovePosition
#: rows are not trades and are left out.
FILL_TYPES = frozenset({"Trade", "AdlTrade", "BustTrade", "BlockTrade"})
#: Get Position Info: ``limit`` [1, 200].
POSITIONS_PAGE = 200

#: "not modified" answers that mean the wanted setting is already in force.
LEVERAGE_NOT_MODIFIED = "110043"
POSITION_MODE_NOT_MODIFIED = "110025"
MARGIN_MODE_NOT_MODIFIED = "110026"

_MARGIN_MODES = {"REGULAR_MARGIN": MarginMode.CROSS, "PORTFOLIO_MARGIN": MarginMode.CROSS,
                 "ISOLATED_MARGIN": MarginMode.ISOLATED}


# ---------------------------------------------------------------- fills


def fill(row: Reader, market: Market) -> Fill:
    """One execution; ``feeCurrency`` is "" for linear (the fee is in the settle coin)."""
    return Fill(symbol=market.symbol, order_id=row.text("orderId"),
                client_order_id=row.optional_text("orderLinkId"),
                trade_id=row.text("execId"), side=row.choice("side", parsing.SIDES),
                price=row.decimal("execPrice"), quantity=row.decimal("execQty"),
                fee=row.decimal("execFee", default=parsing.ZERO),
                fee_currency=row.optional_text("feeCurrency") or market.settle,
                is_maker=row.boolean("isMaker"), timestamp=row.timestamp("execTime"))


def _executions_call(market: Market, window: tuple[int, int], cursor: str,
                     pending: tuple[tuple[int, int], ...]) -> Call[Page[Fill]]:
    """One page of ``[start, end]`` (newest first by ``cursor``); then the next window."""
    size = EXECUTIONS_PAGE
    query = [("category", CATEGORY), ("symbol", market.native),
             ("startTime", str(window[0])), ("endTime", str(window[1])),
             ("limit", str(size))]
    if cursor:
        query.append(("cursor", cursor))

    def parse(response: Response) -> Page[Fill]:
        body = parsing.result(response)
        rows = body.rows("list")
        fills = [fill(row, market) for row in rows
                 if (row.optional_text("execType") or "Trade") in FILL_TYPES]
        following = parsing.next_cursor(body)
        if following and len(rows) >= size:
            return Page(fills, _executions_call(market, window, following, pending))
        if not pending:
            return Page(fills)
        *rest, older = pending
        return Page(fills, _executions_call(market, older, "", tuple(rest)))
    return Call(endpoints._get(EXECUTIONS_PATH, query), parse)


def fetch_my_trades(market: Market, since: datetime | None, limit: int | None,
                    now_ms: int | None = None) -> Pages[Fill]:
    """Walked backward: seven-day windows from now down to ``since`` (or two years), each
    paged newest first by ``cursor``, as the venue sorts. With ``since`` the core reads
    down to it and keeps the oldest ``limit``; without, it stops at ``limit``."""
    del limit  # every page asks for the venue's maximum; the core stops at limit
    now = (int(time.time() * 1000) if now_ms is None else now_ms) + CLOCK_SLACK_MS
    floor = now - HISTORY_MS
    if since is not None:
        floor = min(max(int(since.timestamp() * 1000), floor), now)
    windows: list[tuple[int, int]] = []
    end = now
    while end >= floor:
        windows.append((max(end - WINDOW_MS + 1, floor), end))
        end -= WINDOW_MS
    first, *older = windows
    return Pages(_executions_call(market, first, "", tuple(reversed(older))), Walk.BACKWARD)


# ---------------------------------------------------------------- positions


def position_mode(rows: list[Reader]) -> str | None:
    """"hedge" when a row has ``positionIdx`` 1 or 2, "one-way" for 0, None without rows:
    Bybit has no endpoint that says the mode."""
    indices = {row.integer("positionIdx") for row in rows if row.has("positionIdx")}
    if indices & {1, 2}:
        return "hedge"
    return "one-way" if indices else None


def position(row: Reader, market: Market, margin: MarginMode | None) -> Position | None:
    """A ``/v5/position/list`` row; None when flat (``side`` "" and ``size`` 0)."""
    size = row.decimal("size", default=parsing.ZERO)
    if size == 0:
        return None
    index = row.integer("positionIdx") if row.has("positionIdx") else 0
    if index == 1:
        side = PositionSide.LONG
    elif index == 2:
        side = PositionSide.SHORT
    else:
        side = PositionSide.LONG if row.text("side") == "Buy" else PositionSide.SHORT
    return Position(symbol=market.symbol, side=side, quantity=size,
                    entry_price=row.nonzero_decimal("avgPrice"),
                    mark_price=row.nonzero_decimal("markPrice"),
                    unrealized_pnl=row.nonzero_decimal("unrealisedPnl") or parsing.ZERO,
                    leverage=row.nonzero_decimal("leverage"),
                    liquidation_price=row.nonzero_decimal("liqPrice"), margin_mode=margin)


def _positions_page(query: list[tuple[str, str]]) -> Call[tuple[list[Reader], str]]:
    def parse(response: Response) -> tuple[list[Reader], str]:
        body = parsing.result(response)
        rows = body.rows("list")
        cursor = parsing.next_cursor(body)
        return rows, cursor if len(rows) >= POSITIONS_PAGE else ""
    return Call(endpoints._get(POSITIONS_PATH, query), parse)


def margin_mode_call() -> Call[MarginMode | None]:
    """``GET /v5/account/info``: the account-wide ``marginMode``."""
    return Call(endpoints._get(ACCOUNT_INFO_PATH),
                lambda r: _MARGIN_MODES.get(str(parsing.result(r).get("marginMode"))))


def fetch_positions(markets: list[Market] | None,
                    all_markets: list[Market]) -> Flow[list[Position]]:
    """``GET /v5/position/list`` (by symbol, or by settle coin: then only size > 0),
    paged by cursor, merged with the account's margin mode from ``/v5/account/info``."""
    known = {m.native: m for m in all_markets}
    if markets is not None and len(markets) == 1:
        scopes = [[("symbol", markets[0].native)]]
    else:
        coins = {m.settle for m in (markets if markets is not None else all_markets)}
        scopes = [[("settleCoin", coin)] for coin in sorted(c for c in coins if c)]

    def steps() -> Steps[list[Position]]:
        rows: list[Reader] = []
        for scope in scopes:
            cursor = ""
            while True:
                query = [("category", CATEGORY), *scope, ("limit", str(POSITIONS_PAGE))]
                if cursor:
                    query.append(("cursor", cursor))
                page, cursor = yield from step(_positions_page(query))
                rows.extend(page)
                if not cursor:
                    break
        held = [row for row in rows if row.get("symbol") in known
                and row.decimal("size", default=parsing.ZERO) != 0]
        if not held:
            return []
        margin = yield from step(margin_mode_call())
        out = []
        for row in held:
            found = position(row, known[row.text("symbol")], margin)
            if found is not None:
                out.append(found)
        return out
    return Flow(steps)


# ---------------------------------------------------------------- leverage and modes


def _not_modified_is_success(call: Call[object], code: str, value: object) -> Flow[object]:
    def steps() -> Steps[object]:
        try:
            yield from step(call)
        except ExchangeError as exc:
            if exc.code != code:
                raise
        return value
    return Flow(steps)


def set_leverage(market: Market, leverage: int) -> Flow[int]:
    """``POST /v5/position/set-leverage`` with buy = sell leverage (one-way and cross);
    110043 "leverage not modified" is success."""
    value = str(leverage)
    call = Call(endpoints._post(SET_LEVERAGE_PATH, {
        "category": CATEGORY, "symbol": market.native, "buyLeverage": value,
        "sellLeverage": value}, idempotent=True), parsing.result)

    def steps() -> Steps[int]:
        try:
            yield from step(call)
        except ExchangeError as exc:
            if exc.code != LEVERAGE_NOT_MODIFIED:
                raise
        return leverage
    return Flow(steps)


def set_position_mode(market: Market, hedge: bool) -> Flow[object]:
    """``POST /v5/position/switch-mode`` (``mode`` 0 one-way, 3 hedge) for one symbol;
    110025 "position mode not modified" is success. No core hook yet: run it with
    ``venuekit.flows.run_plan(plan, conn.run)``."""
    call = Call(endpoints._post(SWITCH_MODE_PATH, {
        "category": CATEGORY, "symbol": market.native, "mode": 3 if hedge else 0},
        idempotent=True), parsing.result)
    return _not_modified_is_success(call, POSITION_MODE_NOT_MODIFIED,
                                    "hedge" if hedge else "one-way")


def set_margin_mode(mode: MarginMode) -> Flow[object]:
    """``POST /v5/account/set-margin-mode`` for the whole unified account (Bybit has no
    per-symbol margin mode on UTA 2.0); 110026 "not modified" is success."""
    native = "ISOLATED_MARGIN" if mode is MarginMode.ISOLATED else "REGULAR_MARGIN"
    call = Call(endpoints._post(SET_MARGIN_MODE_PATH, {"setMarginMode": native},
                                idempotent=True), parsing.result)
    return _not_modified_is_success(call, MARGIN_MODE_NOT_MODIFIED, native)
