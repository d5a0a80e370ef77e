"""Who may see the console: the login and logout pages, the session check, CSRF on forms,
the security headers, and error pages instead of tracebacks.

The console's routes are named ``console.*``. The API's bearer middleware lets them pass
(the console is public to *it*), and :func:`console_middleware` then requires a live
session for every one but the login page and the static files. Every POST handler is
wrapped by :func:`form_handler`, which reads the form and checks its CSRF token before the
handler runs; the body is read there, inside the handler chain, so the server's body
deadline still bounds it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from multidict import MultiDictProxy

from . import csrf
from .problems import PageError, page_error
from .session import COOKIE, Session
from .state import CONSOLE, ConsoleState

__all__ = ["CSP", "OPEN_ROUTES", "TEMPLATES", "console_headers", "console_middleware",
           "error_page", "form_handler", "login_page", "login_submit", "logout", "redirect",
           "render", "session_of", "state_of"]

log = logging.getLogger("venuekit.api.console")

TEMPLATES = web.AppKey("venuekit.console.templates", object)
#: Console routes that need no session.
OPEN_ROUTES = frozenset({"console.login", "console.login_post", "console.static",
                         "console.icon"})
#: The request's session, set by the middleware for the task handling that request (a
#: context variable, not request storage: no aiohttp version then warns about the key).
_SESSION: ContextVar[Session | None] = ContextVar("venuekit_console_session", default=None)

#: No inline script or style anywhere, so the policy needs no 'unsafe-inline'.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}

Form = MultiDictProxy[str | bytes | Any]


class FormRefused(Exception):
    """A POST whose CSRF token is missing or wrong."""


def state_of(request: web.Request) -> ConsoleState:
    return request.app[CONSOLE]


def session_of(request: web.Request) -> Session:
    session = _SESSION.get()
    assert session is not None, "route not behind console_middleware"
    return session


def redirect(location: str) -> web.Response:
    """303 See Other: after a form, the browser fetches the next page with GET."""
    return web.Response(status=303, headers={"Location": location})


async def render(request: web.Request, template: str, context: dict[str, Any], *,
                 status: int = 200) -> web.Response:
    state = state_of(request)
    session = _SESSION.get()
    page = {
        **context,
        "csrf": session.csrf if isinstance(session, Session) else context.get("csrf", ""),
        "logged_in": isinstance(session, Session),
        "notices": session.take_notices() if isinstance(session, Session) else [],
        "static_version": state.static_version,
    }
    response = aiohttp_jinja2.render_template(template, request, page, status=status,
                                              app_key=TEMPLATES)  # type: ignore[arg-type]
    return response


async def error_page(request: web.Request, status: int, error: PageError) -> web.Response:
    return await render(request, "error.html", {"error": error, "status": status},
                        status=status)


async def console_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Security headers on every console response, streams included (set at prepare).

    Static files are asked for with their content hash in ``?v=``, so such a URL may be
    cached; everything else keeps the API's ``no-store``.
    """
    route = request.match_info.route.name or ""
    if not route.startswith("console."):
        return
    for name, value in _HEADERS.items():
        response.headers[name] = value
    if route == "console.static" and request.query.get("v"):
        age = state_of(request).settings.static_max_age_s
        response.headers["Cache-Control"] = f"private, max-age={age}, immutable"


def console_middleware() -> Middleware:
    """Session check and error pages for the ``console.*`` routes; others pass untouched."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        route = request.match_info.route.name or ""
        if not route.startswith("console."):
            return await handler(request)
        state = state_of(request)
        if route not in OPEN_ROUTES:
            session = state.sessions.get(request.cookies.get(COOKIE))
            if session is None:
                return await _unauthenticated(request)
            _SESSION.set(session)
        try:
            return await handler(request)
        except FormRefused:
            return await error_page(request, 403, PageError(
                "csrf_failed", "this form's security token is missing or out of date; "
                "reload the page and try again"))
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            return await error_page(request, exc.status, PageError(
                "not_found" if exc.status == 404 else "http_error", exc.reason))
        except Exception as exc:  # a page, never a traceback
            error = page_error(exc)
            status = {"not_found": 404, "invalid_parameter": 400}.get(error.code, 500)
            return await error_page(request, status, error)

    return middleware


async def _unauthenticated(request: web.Request) -> web.StreamResponse:
    if request.method == "GET" and request.headers.get("Accept") != "text/event-stream":
        return redirect("/login")
    return await error_page(request, 403 if request.method == "POST" else 401, PageError(
        "unauthorized", "not logged in, or the session has ended: log in again"))


def form_handler(handler: Callable[[web.Request, Form], Awaitable[web.StreamResponse]]
                 ) -> Handler:
    """Wrap a POST handler: it runs only with a form whose CSRF token is the session's."""

    async def checked(request: web.Request) -> web.StreamResponse:
        form = await request.post()
        token = form.get(csrf.FIELD)
        if not csrf.same(token if isinstance(token, str) else None, session_of(request).csrf):
            raise FormRefused
        return await handler(request, form)

    checked.__name__ = checked.__qualname__ = handler.__name__
    checked.__doc__ = handler.__doc__
    return checked


# ---------------------------------------------------------------- login and logout


async def login_page(request: web.Request, *, error: PageError | None = None,
                     status: int = 200) -> web.StreamResponse:
    state = state_of(request)
    if error is None and state.sessions.get(request.cookies.get(COOKIE)) is not None:
        return redirect("/")
    nonce = state.login_guard.new_nonce()
    response = await render(request, "login.html",
                            {"csrf": state.login_guard.token_for(nonce), "error": error},
                            status=status)
    response.set_cookie(csrf.LOGIN_COOKIE, nonce, httponly=True, samesite="Strict", path="/",
                        secure=request.secure, max_age=3600)
    return response


async def login_submit(request: web.Request) -> web.StreamResponse:
    """Check the login form's CSRF pair, then the token; a success starts a new session."""
    state = state_of(request)
    form = await request.post()
    token = form.get(csrf.FIELD)
    if not state.login_guard.check(request.cookies.get(csrf.LOGIN_COOKIE),
                                   token if isinstance(token, str) else None):
        return await login_page(request, status=403, error=PageError(
            "csrf_failed", "the login form was out of date; enter the token again"))
    given = form.get("token")
    if not csrf.same(given.strip() if isinstance(given, str) else None, state.token):
        log.warning("console: a login with a wrong token from %s", request.remote)
        return await login_page(request, status=401, error=PageError(
            "unauthorized", "invalid token: paste the API token venuekit serve names"))
    state.sessions.drop(request.cookies.get(COOKIE))  # a fresh id on every login
    raw_id, _ = state.sessions.create()
    response = redirect("/")
    response.set_cookie(COOKIE, raw_id, httponly=True, samesite="Strict", path="/",
                        secure=request.secure, max_age=int(state.sessions.lifetime_s))
    response.del_cookie(csrf.LOGIN_COOKIE, path="/")
    return response


async def logout(request: web.Request, form: Form) -> web.StreamResponse:
    state_of(request).sessions.drop(request.cookies.get(COOKIE))
    response = redirect("/login")
    response.del_cookie(COOKIE, path="/")
    return response
