"""Building the aiohttp application: services, middlewares, routes, limits.

The middlewares run outermost first: errors become JSON, then the bearer token is
checked, then the route runs. Nothing here reads the environment or starts a server:
``venuekit serve`` (:mod:`venuekit.cli.serve`) does that, and tests call
:func:`create_app` directly with their own store, registry and tester.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from ..connector import DEFAULT_CHECK_TIMEOUT_S
from ..registry import Registry, default_registry
from ..service import ConnectionTester
from ..store import ConnectionStore, ExchangeConnection
from .auth import bearer_middleware
from .console import ROUTE_NAMES as CONSOLE_ROUTES
from .console import ConsoleSettings, setup_console
from .context import CONTEXT, ApiContext
from .errors import error_middleware
from .routes import PUBLIC_ROUTES, all_routes

__all__ = ["DEFAULT_MAX_BODY_BYTES", "create_app"]

#: A connection with an RSA key in PEM is a few KiB; nothing the API takes comes near this.
DEFAULT_MAX_BODY_BYTES = 64 * 1024

_SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    # JSON needs nothing; the console sets its own, wider policy on its pages
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in _SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)


def create_app(store: ConnectionStore, *, token: str, registry: Registry | None = None,
               tester: ConnectionTester | None = None,
               base_url_for: Callable[[ExchangeConnection], str | None] | None = None,
               test_timeout_s: float = DEFAULT_CHECK_TIMEOUT_S,
               max_body_bytes: int = DEFAULT_MAX_BODY_BYTES, console: bool = True,
               console_settings: ConsoleSettings | None = None) -> web.Application:
    """The HTTP API over ``store``.

    :param store: the connection store to serve.
    :param token: the bearer token every route but ``/api/health`` requires.
    :param registry: where exchange plugins come from; the default registry if ``None``.
    :param tester: runs connection tests; built from the store, registry, ``base_url_for``
        and ``test_timeout_s`` if ``None``.
    :param base_url_for: points a connection at another host (a loopback simulator).
    :param test_timeout_s: the bound on one connection test.
    :param max_body_bytes: the largest request body accepted (413 above it).
    :param console: serve the web console at ``/`` (:mod:`venuekit.api.console`); its
        routes pass the bearer check and require the console's own session instead.
    :param console_settings: the console's poll interval and timeouts.
    """
    if not token:
        raise ValueError("the API needs a token")
    if max_body_bytes < 1024:
        raise ValueError("max_body_bytes must be at least 1024")
    registry = registry if registry is not None else default_registry()
    if tester is None:
        tester = ConnectionTester(store, registry=registry, timeout_s=test_timeout_s,
                                  base_url_for=base_url_for)
    ctx = ApiContext(store, registry, tester, max_body_bytes=max_body_bytes)
    app = web.Application(
        client_max_size=max_body_bytes,
        middlewares=[error_middleware(max_body_bytes),
                     bearer_middleware(token, public=PUBLIC_ROUTES | CONSOLE_ROUTES
                                       if console else PUBLIC_ROUTES)])
    app[CONTEXT] = ctx
    app.add_routes(all_routes())
    app.on_response_prepare.append(_security_headers)
    if console:
        setup_console(app, ctx, token=token, settings=console_settings)

    async def close(app: web.Application) -> None:
        await ctx.close()

    app.on_shutdown.append(close)
    return app
