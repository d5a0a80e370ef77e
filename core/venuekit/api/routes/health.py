"""``GET /api/health``: the one route that answers without a token (it tells nothing)."""

from __future__ import annotations

from aiohttp import web

from ..._version import __version__
from ..responses import json_response

__all__ = ["OPERATION_ID", "routes"]

OPERATION_ID = "getHealth"


async def get_health(request: web.Request) -> web.Response:
    return json_response({"status": "ok", "version": __version__})


def routes() -> list[web.RouteDef]:
    return [web.get("/api/health", get_health, name=OPERATION_ID, allow_head=False)]
