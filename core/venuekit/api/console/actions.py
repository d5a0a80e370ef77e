"""The pages that change something: add, edit, enable/disable/remove (each confirmed on a
page of its own), and starting a test. Every POST here goes through
:func:`~.guard.form_handler`, so none runs without the session's CSRF token."""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from aiohttp import web

from ..errors import ApiError
from .forms import FormValues, check_create, check_update, kept
from .guard import Form, redirect, render, session_of, state_of
from .pages import connection_row, load_connection
from .problems import PageError

__all__ = ["ACTIONS", "confirm_page", "confirmed", "create", "edit_page", "new_page",
           "start_test", "test_page", "update"]

#: action -> (button, what the confirmation page says)
ACTIONS = {
    "enable": ("Enable", "It can then place orders again."),
    "disable": ("Disable", "It keeps its settings and can still be tested and read, but "
                           "places no orders until enabled again."),
    "remove": ("Remove", "Its settings, sealed secrets and test log are deleted. This "
                         "cannot be undone."),
}


async def _exchanges(request: web.Request) -> list[dict[str, str]]:
    state = state_of(request)
    names = await asyncio.to_thread(state.ctx.registry.names)
    return [{"name": name, "label": await state.venue_name(name)} for name in sorted(names)]


def _field_of(error: ApiError) -> str:
    """The form field an API message names (``'credentials.api_key'`` -> ``api_key``)."""
    for field in ("credentials.api_secret", "credentials.passphrase",
                  "credentials.private_key", "credentials.key_type", "credentials.api_key",
                  "stream_base_url", "base_url", "is_testnet", "exchange", "name"):
        if f"'{field}'" in error.message or f"{field!r}" in error.message:
            return field.removeprefix("credentials.")
    return ""


async def new_page(request: web.Request, *, values: FormValues | None = None,
                   error: PageError | None = None, field: str = "",
                   status: int = 200) -> web.StreamResponse:
    values = values or FormValues({"is_enabled": "on", "key_type": "hmac"})
    return await render(request, "form.html", {
        "mode": "new", "values": values, "error": error, "field": field,
        "exchanges": await _exchanges(request), "conn": None}, status=status)


async def create(request: web.Request, form: Form) -> web.StreamResponse:
    ctx = state_of(request).ctx
    try:
        spec, exchange = await asyncio.to_thread(check_create, ctx, form)
    except ApiError as exc:
        return await new_page(request, values=kept(form), field=_field_of(exc),
                              error=PageError(exc.code, exc.message), status=exc.status)
    conn = await asyncio.to_thread(functools.partial(
        ctx.store.create, name=spec.name, exchange=exchange, credentials=spec.credentials,
        api_type=spec.api_type, connection_method=spec.connection_method,
        is_testnet=spec.is_testnet, is_enabled=spec.is_enabled, base_url=spec.base_url,
        stream_base_url=spec.stream_base_url))
    session_of(request).notify(f"added {conn.name}")
    return redirect(f"/connections/{conn.id}")


async def edit_page(request: web.Request, *, values: FormValues | None = None,
                    error: PageError | None = None, field: str = "",
                    status: int = 200) -> web.StreamResponse:
    conn = await load_connection(request)
    if values is None:
        shown: dict[str, str] = {"name": conn.name, "base_url": conn.base_url or "",
                                 "stream_base_url": conn.stream_base_url or "",
                                 "key_type": "hmac"}
        if conn.is_testnet:
            shown["is_testnet"] = "on"
        values = FormValues(shown)
    row = await connection_row(state_of(request), conn)
    return await render(request, "form.html", {
        "mode": "edit", "values": values, "error": error, "field": field, "conn": row,
        "exchanges": []}, status=status)


async def update(request: web.Request, form: Form) -> web.StreamResponse:
    ctx = state_of(request).ctx
    conn = await load_connection(request)
    try:
        change = await asyncio.to_thread(check_update, ctx, conn.id, form)
    except ApiError as exc:
        return await edit_page(request, values=kept(form), field=_field_of(exc),
                               error=PageError(exc.code, exc.message), status=exc.status)
    stored = await asyncio.to_thread(ctx.store.update, conn.id, change.apply)
    session_of(request).notify(f"saved {stored.name}")
    return redirect(f"/connections/{conn.id}")


async def confirm_page(request: web.Request) -> web.StreamResponse:
    action = request.match_info["action"]
    conn = await load_connection(request)
    button, consequence = ACTIONS[action]
    return await render(request, "confirm.html", {
        "conn": await connection_row(state_of(request), conn), "action": action,
        "button": button, "consequence": consequence})


async def confirmed(request: web.Request, form: Form) -> web.StreamResponse:
    action = request.match_info["action"]
    store = state_of(request).ctx.store
    conn = await load_connection(request)
    if action == "remove":
        await asyncio.to_thread(store.remove, conn.id)
        session_of(request).notify(f"removed {conn.name}")
        return redirect("/")
    await asyncio.to_thread(store.set_enabled, conn.id, action == "enable")
    session_of(request).notify(f"{action}d {conn.name}")
    return redirect(f"/connections/{conn.id}")


async def start_test(request: web.Request, form: Form) -> web.StreamResponse:
    conn = await load_connection(request)
    run = state_of(request).runs.start(conn.id)
    return redirect(f"/connections/{conn.id}/tests/{run.id}")


async def test_page(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    conn = await load_connection(request)
    run = state.runs.get(request.match_info["run"])
    if run is None or run.connection_id != conn.id:
        raise web.HTTPNotFound(reason="no such test run (finished runs are kept for 10 "
                               "minutes; the stored test logs keep every result)")
    context: dict[str, Any] = {
        "conn": await connection_row(state, conn), "run": run,
        "events": str(request.app.router["console.test_events"].url_for(
            id=conn.id, run=run.id))}
    return await render(request, "test.html", context)
