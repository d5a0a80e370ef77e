"""OrangeX error codes -> core error classes.

OrangeX answers every failure with HTTP 200 and a JSON-RPC ``error`` object::

    {"id":"5","jsonrpc":"2.0","usIn":…,"usOut":…,"error":{"code":5001,
     "message":"Instrument does not exist.","data":{}}}

The official docs publish no code table. Every row below was observed on the live venue by
a source named in the plugin README (OX-AO: third-party probe reports; OX-DY: a user's live
notes with answers from OrangeX support). Codes for insufficient margin, an unknown order,
a duplicate ``custom_order_id``, a rate limit, a minimum-size breach and maintenance have
never been observed: they surface as :class:`~venuekit.ExchangeError` with the venue's code
and message, so nothing is guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from venuekit import errors as e
from venuekit.wire import Response

from .rpc import NAME
from .signing import AUTH_METHOD, Grant

#: The one authentication code: a bad key at login, or a missing/expired/revoked token.
AUTH_FAILURE = 10000

ERRORS: dict[int, type[e.VenueError]] = {
    1000: e.ExchangeError,        # "No service found": no such method (renamed or removed)
    1001: e.InvalidOrder,         # "Bad requested": a parameter of the wrong shape (OX-DY)
    2033: e.PermissionDenied,     # "Access denied": the key's scope lacks the right (OX-DY)
    3401: e.ExchangeError,        # "channel regex not match": WebSocket only (OX-AO)
    5001: e.UnknownSymbol,        # "Instrument does not exist." (OX-AO)
    5221: e.ExchangeError,        # more than 1500 candles asked (OX-DOC); market data only
    8000: e.InvalidOrder,         # "Request params not valid!" (OX-AO)
    9902: e.ExchangeError,        # "json parse error": the body was not JSON (OX-AO)
    9999: e.ExchangeUnavailable,  # "System error, please try again later" (OX-AO)
    # "Authentication Failure" on a private call: the token expired or was revoked, so the
    # core logs in once more and retries once. At /public/auth it means the key itself was
    # refused: see parse_error.
    AUTH_FAILURE: e.TokenExpired,
}

#: What a person should do about a code, added to the venue's terse message.
HINTS: dict[int, str] = {
    1000: "OrangeX has no such method; the venue may have renamed it",
    2033: "the API key's scope does not allow this; trading needs trade:read_write",
    5001: "OrangeX does not list this instrument",
    9999: "OrangeX reports a system error; the request may or may not have taken effect",
    AUTH_FAILURE: "OrangeX refused the bearer token (expired or revoked)",
}

#: Statuses the core maps better than the body can: rate limits (with Retry-After) and 5xx.
_STATUS_ONLY = frozenset({418, 429})


def parse_error(response: Response) -> e.VenueError | None:
    """The core error for a JSON-RPC ``error`` reply; None for a success or a non-JSON body.

    Rate-limit and 5xx statuses are left to the core, which reads ``Retry-After``; a body
    that is not JSON is left to the call's parser (HTTP 200) or the core's status mapping.
    """
    if response.status in _STATUS_ONLY or response.status >= 500:
        return None
    if response.body.lstrip()[:1] != b"{":
        return None
    payload = response.json()
    error = payload.get("error") if isinstance(payload, dict) else None
    if error is None:
        return None
    if not isinstance(error, Mapping):
        return e.ExchangeError(f"OrangeX error: {error!r}", exchange=NAME)
    code = _code(error.get("code"))
    venue_message = str(error.get("message") or "")
    if code == AUTH_FAILURE and _method(response) == AUTH_METHOD:
        return _login_refused(response, venue_message)
    cls = ERRORS.get(code, e.ExchangeError) if code is not None else e.ExchangeError
    message = HINTS.get(code or 0) or venue_message or f"OrangeX error {code}"
    return cls(message, exchange=NAME, code=code, venue_message=venue_message or None)


def _login_refused(response: Response, venue_message: str) -> e.VenueError:
    if _grant(response) == Grant.CLIENT_SIGNATURE.value:
        return e.InvalidSignature(
            "OrangeX refused the client_signature login (wrong secret, clock, or the "
            "venue's known trouble with this grant; try client_credentials)",
            exchange=NAME, code=AUTH_FAILURE, venue_message=venue_message or None)
    return e.AuthenticationError(
        "OrangeX refused the client id / client secret", exchange=NAME,
        code=AUTH_FAILURE, venue_message=venue_message or None)


def _code(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _sent_params(response: Response) -> Mapping[str, Any]:
    signed = response.request
    request = signed.request if signed is not None else None
    body = request.body if request is not None else None
    params = body.get("params") if isinstance(body, Mapping) else None
    return params if isinstance(params, Mapping) else {}


def _method(response: Response) -> str | None:
    return response.request.path if response.request is not None else None


def _grant(response: Response) -> str | None:
    grant = _sent_params(response).get("grant_type")
    return str(grant) if grant is not None else None
