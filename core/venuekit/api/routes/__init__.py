"""The API's routes, one module per concern. Route names are the OpenAPI operation ids."""

from __future__ import annotations

from aiohttp import web

from . import account, connections, health, plugins, tests

__all__ = ["PUBLIC_ROUTES", "all_routes"]

#: Routes that answer without a token.
PUBLIC_ROUTES = frozenset({health.OPERATION_ID})


def all_routes() -> list[web.RouteDef]:
    return [*health.routes(), *connections.routes(), *tests.routes(), *plugins.routes(),
            *account.routes()]
