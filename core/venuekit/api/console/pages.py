"""The pages that only read: the connections list, one connection, its test logs, its
account state."""

from __future__ import annotations

import asyncio
import functools
import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from aiohttp import web

from ...store import ConnectionNotFound, ExchangeConnection
from ...store.model import ID_PATTERN
from ..validation import page_params
from .account import read_account
from .guard import render, state_of
from .state import ConsoleState

__all__ = [
    "account_page",
    "connection_page",
    "connection_row",
    "index",
    "load_connection",
    "logs_page",
    "static_file",
    "symbol_param",
]

#: Assets shown per balance; the rest are counted.
BALANCE_SHOWN = 3
#: A market symbol as a venue or the core spells it (``BTC/USDT``, ``BTC-USDT-SWAP``).
_SYMBOL = re.compile(r"[A-Za-z0-9/_:.-]{1,40}")


def when(value: datetime | None) -> str:
    return "never" if value is None else value.strftime("%Y-%m-%d %H:%M:%S UTC")


def balance_summary(balance: Any) -> str:
    if balance is None:
        return ""
    held = [(asset, amount) for asset, amount in balance.items() if amount]
    if not held:
        return "empty"
    shown = ", ".join(f"{asset} {Decimal(amount).normalize():f}"
                      for asset, amount in held[:BALANCE_SHOWN])
    more = len(held) - BALANCE_SHOWN
    return shown + (f" (+{more} more)" if more > 0 else "")


async def connection_row(state: ConsoleState, conn: ExchangeConnection) -> dict[str, Any]:
    """What the list and the connection page show of a connection (nothing secret)."""
    return {
        "id": conn.id,
        "name": conn.name,
        "exchange": conn.exchange,
        "venue": await state.venue_name(conn.exchange),
        "environment": "testnet" if conn.is_testnet else "live",
        "host": conn.base_url or "the venue's own",
        "stream_host": conn.stream_base_url or "the venue's own",
        "enabled": conn.is_enabled,
        "status": conn.last_test_status.value,
        "tested_at": when(conn.last_test_at),
        "tested_host": conn.last_test_base_url or "",
        "tested_custom_host": conn.last_test_custom_host,
        "balance": balance_summary(conn.last_test_balance),
        "api_key": conn.api_key_hint,
        "log": list(conn.last_test_log),
    }


async def load_connection(request: web.Request) -> ExchangeConnection:
    """The connection the URL names.

    Raises:
        ConnectionNotFound: no such id (the middleware shows a 404 page).
    """
    conn_id = request.match_info["id"]
    if not ID_PATTERN.fullmatch(conn_id):
        raise ConnectionNotFound("no such connection")
    return await asyncio.to_thread(state_of(request).ctx.store.get, conn_id)


async def index(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    snapshot = await state.ctx.listing.current()
    rows = [await connection_row(state, conn) for conn in snapshot.result]
    problems = [{"id": p.id, "reason": p.reason} for p in snapshot.result.problems]
    return await render(request, "connections.html", {"rows": rows, "problems": problems})


async def connection_page(request: web.Request) -> web.StreamResponse:
    conn = await load_connection(request)
    row = await connection_row(state_of(request), conn)
    return await render(request, "connection.html", {"conn": row})


async def logs_page(request: web.Request) -> web.StreamResponse:
    """The stored test log, newest first, a page at a time."""
    conn = await load_connection(request)
    offset, limit = page_params(request)
    entries = await asyncio.to_thread(functools.partial(
        state_of(request).ctx.store.read_logs, conn.id, offset=offset, limit=limit + 1))
    more = len(entries) > limit
    row = await connection_row(state_of(request), conn)
    return await render(request, "logs.html", {
        "conn": row, "entries": entries[:limit], "offset": offset, "limit": limit,
        "next_offset": offset + limit if more else None,
        "previous_offset": max(0, offset - limit) if offset else None})


async def no_icon(request: web.Request) -> web.StreamResponse:
    """Browsers ask for one on every site; an empty answer instead of a 401 in the log."""
    return web.Response(status=204)


_TYPES = {".css": "text/css", ".js": "text/javascript"}


async def static_file(request: web.Request) -> web.StreamResponse:
    """The console's stylesheet and script (cached by the browser when asked with ``?v=``)."""
    name = request.match_info["name"]
    body = state_of(request).static.get(name)
    if body is None:
        raise web.HTTPNotFound(reason="no such file")
    return web.Response(body=body, content_type=_TYPES[name[name.rfind("."):]],
                        charset="utf-8")


def symbol_param(request: web.Request) -> str | None:
    """The ``symbol`` query parameter, or ``None``; a malformed one is a 400 page."""
    raw = request.query.get("symbol", "").strip()
    if not raw:
        return None
    if not _SYMBOL.fullmatch(raw):
        raise web.HTTPBadRequest(reason="'symbol' must be 1 to 40 letters, digits or / _ : . -")
    return raw


async def account_page(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    conn = await load_connection(request)
    symbol = symbol_param(request)
    row = await connection_row(state, conn)
    sections = await read_account(state.ctx, conn, row["venue"], symbol,
                                  state.settings.read_timeout_s)
    events = request.app.router["console.orders_events"].url_for(id=conn.id)
    if symbol:
        events = events.with_query(symbol=symbol)
    return await render(request, "account.html", {
        "conn": row, "symbol": symbol or "", "sections": sections,
        "orders_events": str(events), "poll_s": state.settings.poll_s})
