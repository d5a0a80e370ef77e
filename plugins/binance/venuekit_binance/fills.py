"""Binance USDⓈ-M fills (``GET /fapi/v1/userTrades``) walked in time windows, no I/O.

Fills (``GET /fapi/v1/userTrades``) are read in time windows of at most seven days, the
venue's maximum span: forward from ``since`` to now, or backward from now over the six
months the venue keeps. A window whose page comes back full is split in two and read
again (newer half first when walking backward), so every page the core receives is
complete for its window whatever order the venue returns a truncated window in.
"""

from __future__ import annotations

import time
from datetime import datetime

from venuekit.account_models import Fill
from venuekit.flows import Page, Pages, Walk
from venuekit.models import Market
from venuekit.payload import Reader
from venuekit.wire import Call, Request, Response

from .endpoints import IP_WEIGHT

USER_TRADES_PATH = "/fapi/v1/userTrades"
#: userTrades ``limit``: default 500, max 1000. Read at call time so tests can shrink it
#: together with the simulator's ``max_fills_page``.
MAX_FILLS_PAGE = 1000
#: userTrades: "The time between startTime and endTime cannot be longer than 7 days" and
#: "only support querying trade in the past 6 months" (taken as 180 days).
WINDOW_MS = 7 * 24 * 3600 * 1000
HISTORY_MS = 180 * 24 * 3600 * 1000
#: Margin for the local clock running behind the venue's when "now" ends a window.
CLOCK_SLACK_MS = 60_000


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
