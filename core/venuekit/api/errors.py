"""Every failure leaves the API as one JSON shape: ``{"error": {"code", "message"}}``.

Handlers raise :class:`ApiError`; the middleware here turns it, aiohttp's own HTTP errors
(unknown route, wrong method, oversized body) and the store's errors into that shape, so a
client never has to parse an HTML error page. Messages name the problem (the field, the
id, the limit) but never echo a submitted value: a request body may carry secrets.

Codes (stable, for programs; messages are for people):

=========================  ======  ==================================================
``unauthorized``           401     missing, malformed or wrong bearer token
``invalid_json``           400     the body is not UTF-8 JSON
``invalid_parameter``      400     a query parameter is not what the route takes
``unsupported_media_type`` 415     a body that is not ``application/json``
``unknown_field``          422     a body field the route does not take
``missing_field``          422     a required body field is absent
``invalid_field``          422     a body field of the wrong type or out of range
``unknown_exchange``       422     no installed plugin of that name
``not_found``              404     no such connection, or no such route
``method_not_allowed``     405     the route exists, the method does not
``body_too_large``         413     the body is over the size limit
``test_timeout``           504     the connection test did not end within its bound
``store_error``            500     the connection store could not read or write
``internal_error``         500     a bug; details go to the server log only
=========================  ======  ==================================================
"""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from ..errors import StoreError
from ..store import ConnectionNotFound
from .responses import json_response

__all__ = ["ApiError", "error_middleware", "error_response"]

log = logging.getLogger("venuekit.api")


#: What aiohttp's own HTTP errors become.
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
}


class ApiError(Exception):
    """A request the API refuses: an HTTP status, a stable code and a message for people."""

    def __init__(self, status: int, code: str, message: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def error_response(status: int, code: str, message: str,
                   headers: dict[str, str] | None = None) -> web.Response:
    return json_response({"error": {"code": code, "message": message}}, status=status,
                         headers=headers)


def _from_http(exc: web.HTTPException, request: web.Request,
               max_body_bytes: int) -> web.Response:
    status = exc.status
    headers = {}
    if status == 405 and "Allow" in exc.headers:
        headers["Allow"] = exc.headers["Allow"]
    if status == 404:
        message = f"no route {request.path!r}"
    elif status == 405:
        message = f"{request.method} is not allowed on {request.path!r}"
    elif status == 413:
        message = f"the request body is over the {max_body_bytes} byte limit"
    else:
        message = exc.reason
    return error_response(status, _HTTP_CODES.get(status, "http_error"), message, headers)


def error_middleware(max_body_bytes: int) -> Middleware:
    """The outermost middleware: whatever goes wrong, the client gets the JSON shape.

    :param max_body_bytes: the body limit the application enforces, for the 413 message.
    """

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        return await _guarded(request, handler, max_body_bytes)

    return middleware


async def _guarded(request: web.Request, handler: Handler,
                   max_body_bytes: int) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc.status, exc.code, exc.message, exc.headers)
    except ConnectionNotFound:
        connection_id = request.match_info.get("id", "")
        return error_response(404, "not_found", f"no connection with id {connection_id!r}"
                              if len(connection_id) <= 64 else "no such connection")
    except StoreError as exc:
        log.error("store error on %s %s: %s", request.method, request.path, exc)
        return error_response(500, "store_error", f"the connection store failed: {exc}")
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _from_http(exc, request, max_body_bytes)
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error",
                              "an internal error; the server log has the details")
