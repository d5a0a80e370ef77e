"""How the API words a venue's failure: the usual error shape plus the venue's own words.

::

    {"error": {"code": "venue_error", "message": "...",
               "venue": {"exchange": "binance", "code": "-2015", "message": "..."}}}

``code`` is the API's stable code; ``venue.code`` and ``venue.message`` are what the venue
said (null where it said nothing, as for a refusal the core made before sending). Every
text is scrubbed of the connection's secret values: the connector already keeps them out
of its errors, and this is the second lock on that door.

=========================  ======  ==================================================
``not_supported``          422     the venue lacks the operation (nothing was sent)
``unknown_symbol``         422     the venue does not list the symbol (nothing sent)
``invalid_parameter``      400     a value the core refused before sending
``venue_auth_failed``      502     the venue refused the stored key (fix the connection)
``venue_rate_limited``     503     the venue's limit; ``Retry-After`` when known
``venue_timeout``          504     the venue did not answer in time
``venue_unreachable``      502     the venue could not be reached
``venue_error``            502     the venue refused or answered nonsense
=========================  ======  ==================================================

Why ``not_supported`` is a 422 and not a 501: a 5xx tells monitoring and client retry
logic that the server failed and may recover; this is a permanent property of the
connection's venue, which a client handles by not asking again (a console shows "n/a").
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from aiohttp import web

from ..errors import (
    AuthenticationError,
    InvalidArgument,
    NetworkError,
    NotSupported,
    RateLimitExceeded,
    RequestTimeout,
    UnknownSymbol,
    VenueError,
)
from ..store import testlog
from .responses import json_response

__all__ = ["VENUE_CODES", "venue_error_response"]

#: (error class, HTTP status, API code), most specific first.
VENUE_CODES: tuple[tuple[type[VenueError], int, str], ...] = (
    (NotSupported, 422, "not_supported"),
    (UnknownSymbol, 422, "unknown_symbol"),
    (InvalidArgument, 400, "invalid_parameter"),
    (AuthenticationError, 502, "venue_auth_failed"),
    (RateLimitExceeded, 503, "venue_rate_limited"),
    (RequestTimeout, 504, "venue_timeout"),
    (NetworkError, 502, "venue_unreachable"),
    (VenueError, 502, "venue_error"),
)


def _scrubbed(text: str | None, secrets: Sequence[str]) -> str | None:
    if text is None:
        return None
    return str(testlog.scrub(text, secrets))


def venue_error_response(exc: VenueError, secrets: Sequence[str]) -> web.Response:
    """The JSON error for ``exc``; ``secrets``: the connection's values to scrub out."""
    status, code = next((s, c) for kind, s, c in VENUE_CODES if isinstance(exc, kind))
    headers: dict[str, str] = {}
    if isinstance(exc, RateLimitExceeded) and exc.retry_after is not None:
        headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
    body = {"error": {
        "code": code,
        "message": _scrubbed(str(exc), secrets),
        "venue": {"exchange": exc.exchange, "code": _scrubbed(exc.code, secrets),
                  "message": _scrubbed(exc.venue_message, secrets)},
    }}
    return json_response(body, status=status, headers=headers)
