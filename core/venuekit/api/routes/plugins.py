"""``GET /api/plugins`` and ``GET /api/openapi.json``: what this server can do."""

from __future__ import annotations

import asyncio

from aiohttp import web

from ..context import context
from ..openapi import build_document
from ..responses import json_response

__all__ = ["routes"]


async def list_plugins(request: web.Request) -> web.Response:
    """Every installed exchange plugin, whether it loads, and its hooks or its error."""
    rows = await asyncio.to_thread(context(request).registry.describe)
    return json_response({"plugins": rows})


async def get_openapi(request: web.Request) -> web.Response:
    ctx = context(request)
    if ctx.openapi is None:
        exchanges = await asyncio.to_thread(ctx.registry.names)
        ctx.openapi = build_document(exchanges=exchanges, max_body_bytes=ctx.max_body_bytes)
    return json_response(ctx.openapi)


def routes() -> list[web.RouteDef]:
    return [
        web.get("/api/plugins", list_plugins, name="listPlugins", allow_head=False),
        web.get("/api/openapi.json", get_openapi, name="getOpenApi", allow_head=False),
    ]
