"""The web console: connections, tests with their step logs, account state, in a browser.

Served by ``venuekit serve`` at ``/`` from the API's own application, on the same address
and behind the same token: the login form takes the API token once and starts a session
(:mod:`.session`); every form carries a CSRF token (:mod:`.csrf`); the JSON API under
``/api`` keeps taking only its bearer token and never reads the session cookie.

Pages are rendered on the server (aiohttp-jinja2, autoescaping on) and work without
script; one small script shipped in ``static/`` streams a test's steps and the polled open
orders through server-sent events. The content security policy allows scripts and styles
from this origin only, no inline code.
"""

from __future__ import annotations

import aiohttp_jinja2
import jinja2
from aiohttp import web

from ..context import ApiContext
from . import actions, guard, pages, streams
from .session import SessionStore
from .state import CONSOLE, ConsoleSettings, ConsoleState

__all__ = ["ROUTE_NAMES", "ConsoleSettings", "SessionStore", "setup_console"]

_ACTION = "{action:enable|disable|remove}"
_ITEM = "/connections/{id}"


def _routes() -> list[web.RouteDef]:
    form = guard.form_handler
    return [
        web.get("/", pages.index, name="console.index", allow_head=False),
        web.get("/favicon.ico", pages.no_icon, name="console.icon", allow_head=False),
        web.get("/login", guard.login_page, name="console.login", allow_head=False),
        web.post("/login", guard.login_submit, name="console.login_post"),
        web.post("/logout", form(guard.logout), name="console.logout"),
        web.get("/connections/new", actions.new_page, name="console.new", allow_head=False),
        web.post("/connections/new", form(actions.create), name="console.create"),
        web.get(_ITEM, pages.connection_page, name="console.connection", allow_head=False),
        web.get(_ITEM + "/edit", actions.edit_page, name="console.edit", allow_head=False),
        web.post(_ITEM + "/edit", form(actions.update), name="console.update"),
        web.get(f"{_ITEM}/{_ACTION}", actions.confirm_page, name="console.confirm",
                allow_head=False),
        web.post(f"{_ITEM}/{_ACTION}", form(actions.confirmed), name="console.confirmed"),
        web.post(_ITEM + "/test", form(actions.start_test), name="console.test"),
        web.get(_ITEM + "/tests/{run}", actions.test_page, name="console.test_page",
                allow_head=False),
        web.get(_ITEM + "/tests/{run}/events", streams.test_events,
                name="console.test_events", allow_head=False),
        web.get(_ITEM + "/logs", pages.logs_page, name="console.logs", allow_head=False),
        web.get(_ITEM + "/account", pages.account_page, name="console.account",
                allow_head=False),
        web.get(_ITEM + "/account/orders/events", streams.orders_events,
                name="console.orders_events", allow_head=False),
    ]


#: Every console route's name: the API's bearer check lets these through to the console's
#: own session check.
ROUTE_NAMES = frozenset({route.kwargs["name"] for route in _routes()} | {"console.static"})


def setup_console(app: web.Application, ctx: ApiContext, *, token: str,
                  settings: ConsoleSettings | None = None,
                  sessions: SessionStore | None = None) -> None:
    """Mount the console on ``app`` (the API's application, not yet started).

    :param ctx: the API's services, shared with the JSON routes.
    :param token: the API token the login form takes.
    :param settings: poll interval and timeouts (the defaults suit an operator).
    :param sessions: the session store (tests pass one with a short lifetime).
    """
    state = ConsoleState(ctx, token, settings or ConsoleSettings(), sessions)
    app[CONSOLE] = state
    aiohttp_jinja2.setup(
        app, app_key=guard.TEMPLATES,  # type: ignore[arg-type]
        loader=jinja2.PackageLoader(__package__, "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined)
    app.add_routes(_routes())
    # from memory, not add_static: two small files, and aiohttp's FileResponse cannot be
    # sent early by the server's head middleware (api/server.py) as other responses are
    app.router.add_get("/static/{name}", pages.static_file, name="console.static",
                       allow_head=False)
    app.middlewares.append(guard.console_middleware())
    app.on_response_prepare.append(guard.console_headers)

    async def close(app: web.Application) -> None:
        await state.close()

    app.on_shutdown.append(close)
