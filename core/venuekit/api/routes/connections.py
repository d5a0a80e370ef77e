"""The connection settings: list, create, read, change, enable, disable, delete, logs.

Every store call is blocking file work and runs in a thread. A request is checked in full
before the store is touched, so a refused request leaves every file as it was.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from aiohttp import web

from ...connection_rules import RuleError, check_credentials, check_unique_name, exchange_name
from ...store import LoadResult
from ..context import ApiContext, context
from ..listing import active_view
from ..responses import json_response, raw_json_response
from ..validation import (
    ConnectionUpdate,
    page_params,
    parse_create,
    parse_update,
    read_json_object,
    rule_error,
)

__all__ = ["routes"]

BASE = "/api/settings/connections"
ITEM = BASE + "/{id}"


def _active(result: LoadResult) -> dict[str, Any]:
    return {"connections": [active_view(c) for c in result if c.is_enabled]}


def _everything(result: LoadResult) -> dict[str, Any]:
    return {"connections": [c.public_view() for c in result],
            "problems": [{"id": p.id, "reason": p.reason} for p in result.problems]}


async def list_active(request: web.Request) -> web.Response:
    """Enabled connections with their last test status, balance, time and capabilities."""
    snapshot = await context(request).listing.current()
    return raw_json_response(snapshot.encoded("active", _active))


async def list_connections(request: web.Request) -> web.Response:
    snapshot = await context(request).listing.current()
    return raw_json_response(snapshot.encoded("all", _everything))


def _checked_create(ctx: ApiContext, exchange: str, name: str, spec_credentials: Any,
                    testnet: bool) -> str:
    """The shared connection rules (connection_rules), run in a thread: they read plugins
    and the store. Returns the exchange's installed name (``Binance`` -> ``binance``)."""
    try:
        installed = exchange_name(exchange, ctx.registry.names())
        info = ctx.registry.load(installed).info
        check_credentials(info, spec_credentials)
        if testnet and info.hosts.testnet is None:
            raise RuleError("is_testnet", f"{info.display_name} has no test environment; "
                            "'is_testnet' must be false")
        check_unique_name(name, ctx.store.list())
    except RuleError as exc:
        # the value is not echoed: a secret pasted into the wrong field must not come back
        raise rule_error(exc) from None
    return installed


def _checked_update(ctx: ApiContext, conn_id: str, change: ConnectionUpdate) -> None:
    conn = ctx.store.get(conn_id)
    try:
        if change.name is not None:
            check_unique_name(change.name, ctx.store.list(), except_id=conn_id)
        if change.credentials is not None:
            check_credentials(ctx.registry.load(conn.exchange).info, change.credentials)
    except RuleError as exc:
        raise rule_error(exc) from None


async def create_connection(request: web.Request) -> web.Response:
    ctx = context(request)
    spec = parse_create(await read_json_object(request))
    exchange = await asyncio.to_thread(_checked_create, ctx, spec.exchange, spec.name,
                                       spec.credentials, spec.is_testnet)
    conn = await asyncio.to_thread(functools.partial(
        ctx.store.create, name=spec.name, exchange=exchange,
        credentials=spec.credentials, api_type=spec.api_type,
        connection_method=spec.connection_method, is_testnet=spec.is_testnet,
        is_enabled=spec.is_enabled, base_url=spec.base_url,
        stream_base_url=spec.stream_base_url))
    location = request.app.router["getConnection"].url_for(id=conn.id)
    return json_response(conn.public_view(), status=201, headers={"Location": str(location)})


async def get_connection(request: web.Request) -> web.Response:
    conn = await asyncio.to_thread(context(request).store.get, request.match_info["id"])
    return json_response(conn.public_view())


async def update_connection(request: web.Request) -> web.Response:
    ctx = context(request)
    change = parse_update(await read_json_object(request))
    await asyncio.to_thread(_checked_update, ctx, request.match_info["id"], change)
    conn = await asyncio.to_thread(ctx.store.update, request.match_info["id"], change.apply)
    return json_response(conn.public_view())


async def delete_connection(request: web.Request) -> web.Response:
    await asyncio.to_thread(context(request).store.remove, request.match_info["id"])
    return web.Response(status=204)


async def _set_enabled(request: web.Request, enabled: bool) -> web.Response:
    conn = await asyncio.to_thread(context(request).store.set_enabled,
                                   request.match_info["id"], enabled)
    return json_response(conn.public_view())


async def enable_connection(request: web.Request) -> web.Response:
    return await _set_enabled(request, True)


async def disable_connection(request: web.Request) -> web.Response:
    return await _set_enabled(request, False)


async def get_logs(request: web.Request) -> web.Response:
    """One page of the test log, newest first; ``next_offset`` is null on the last page."""
    offset, limit = page_params(request)
    connection_id = request.match_info["id"]
    entries = await asyncio.to_thread(functools.partial(
        context(request).store.read_logs, connection_id, offset=offset, limit=limit + 1))
    more = len(entries) > limit
    return json_response({"connection_id": connection_id, "offset": offset, "limit": limit,
                          "next_offset": offset + limit if more else None,
                          "entries": entries[:limit]})


def routes() -> list[web.RouteDef]:
    return [
        web.get("/api/connections/active", list_active, name="listActiveConnections",
                allow_head=False),
        web.get(BASE, list_connections, name="listConnections", allow_head=False),
        web.post(BASE, create_connection, name="createConnection"),
        web.get(ITEM, get_connection, name="getConnection", allow_head=False),
        web.patch(ITEM, update_connection, name="updateConnection"),
        web.delete(ITEM, delete_connection, name="deleteConnection"),
        web.post(ITEM + "/enable", enable_connection, name="enableConnection"),
        web.post(ITEM + "/disable", disable_connection, name="disableConnection"),
        web.get(ITEM + "/logs", get_logs, name="getConnectionLogs", allow_head=False),
    ]
