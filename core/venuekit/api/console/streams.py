"""Server-sent events from the same app: a test's steps as they end, and the open orders.

Both endpoints need the session (the browser's ``EventSource`` sends its cookie) and end
when the session does, when the client goes away, or when the server shuts down. A
comment line every :data:`HEARTBEAT_S` keeps idle proxies from closing the stream and
shows a vanished client quickly.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator, Awaitable
from typing import Any

from aiohttp import web

from .account import poll_open_orders
from .guard import session_of, state_of
from .pages import load_connection, symbol_param
from .state import ConsoleState

__all__ = ["HEARTBEAT_S", "orders_events", "test_events"]

HEARTBEAT_S = 15.0


async def _open(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                           "Cache-Control": "no-store",
                                           "X-Accel-Buffering": "no"})
    await response.prepare(request)
    return response


async def _send(response: web.StreamResponse, event: str, data: Any) -> None:
    payload = json.dumps(data, separators=(",", ":"), ensure_ascii=True)
    await response.write(f"event: {event}\ndata: {payload}\n\n".encode("ascii"))


async def _until(state: ConsoleState, waiting: Awaitable[Any], timeout_s: float) -> bool:
    """Wait for ``waiting`` at most ``timeout_s``; ``False`` once the server is closing."""
    task = asyncio.ensure_future(waiting)
    closing = asyncio.ensure_future(state.closing.wait())
    try:
        await asyncio.wait({task, closing}, timeout=timeout_s,
                           return_when=asyncio.FIRST_COMPLETED)
    finally:
        for pending in (task, closing):
            if not pending.done():
                pending.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pending
    return not state.closing.is_set()


async def test_events(request: web.Request) -> web.StreamResponse:
    """``step`` per ended step (``index`` says where it goes), then one ``done``."""
    state = state_of(request)
    session = session_of(request)
    conn = await load_connection(request)
    run = state.runs.get(request.match_info["run"])
    if run is None or run.connection_id != conn.id:
        raise web.HTTPNotFound(reason="no such test run")
    response = await _open(request)
    sent = 0
    with contextlib.suppress(ConnectionResetError):
        while state.sessions.alive(session):
            version = run.version
            for index in range(sent, len(run.steps)):
                await _send(response, "step", {"index": index, **run.steps[index]})
            sent = len(run.steps)
            if run.done:
                await _send(response, "done", run.outcome())
                break
            if not await _until(state, run.changed_since(version), HEARTBEAT_S):
                break
            await response.write(b": waiting\n\n")
        else:
            await _send(response, "ended", {"reason": "the session has ended"})
    return response


async def orders_events(request: web.Request) -> web.StreamResponse:
    """``orders`` with the open orders at each poll, ``problem`` when a poll fails.

    Polls (see :func:`~.account.poll_open_orders`, the seam live streams replace).
    """
    state = state_of(request)
    session = session_of(request)
    conn = await load_connection(request)
    symbol = symbol_param(request)
    venue = await state.venue_name(conn.exchange)
    response = await _open(request)
    polls = poll_open_orders(state.ctx, conn, venue, symbol, state.settings.poll_s,
                             state.settings.read_timeout_s)
    try:
        with contextlib.suppress(ConnectionResetError):
            while state.sessions.alive(session):
                got = await _next(state, polls)
                if got is None:
                    break
                if "orders" in got:
                    await _send(response, "orders", got)
                else:
                    await _send(response, "problem", got)
                    if "unsupported" in got:
                        break
            else:
                await _send(response, "ended", {"reason": "the session has ended"})
    finally:
        await polls.aclose()
    return response


async def _next(state: ConsoleState, polls: AsyncGenerator[dict[str, Any], None]
                ) -> dict[str, Any] | None:
    """The next poll's event, or ``None`` when polling ends or the server closes."""
    step = asyncio.ensure_future(anext(polls))
    closing = asyncio.ensure_future(state.closing.wait())
    try:
        await asyncio.wait({step, closing}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        closing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await closing
    if not step.done():
        step.cancel()
        with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
            await step
        return None
    try:
        result: dict[str, Any] = step.result()
    except StopAsyncIteration:
        return None
    return result
