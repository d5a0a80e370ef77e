"""Pionex error codes -> venuekit error classes, and the envelope reader.

Pionex answers a failure with ``{"result": false, "code": "<STRING>", "message": "...",
"timestamp": ...}``, on HTTP 400 or 401 (PX-OAS ``ErrorResponse``; a real body quoted in
pionex.md: ``{"result": false, "code": "INVALID_SIGNATURE", "message": "invalid
signature", ...}``). Rate limiting is HTTP 429 with no documented body, and it comes with
a 60-second ban of the IP or account that every further request extends by 10 s
(PX-OAS "Rate Limits"): so a bare 429 is :class:`~venuekit.IPBanned` for 60 s, which makes
the core's limiter hold every request back until the ban is over.
"""

from __future__ import annotations

from collections.abc import Mapping

from venuekit import errors as e
from venuekit.payload import json_object
from venuekit.wire import Response

__all__ = [
    "BAN_SECONDS",
    "ERRORS",
    "HTTP_STATUS_ERRORS",
    "UNOFFICIAL_CODES",
    "parse_error",
]

ERRORS: dict[str, type[e.VenueError]] = {
    # --- PX-OAS "Error Codes" table and ErrorResponse.code enum
    "APIKEY_LOST": e.AuthenticationError,       # PIONEX-KEY header missing
    "INVALID_APIKEY": e.AuthenticationError,    # key unknown
    "APIKEY_EXPIRED": e.AuthenticationError,    # key expired
    "IP_NOT_WHITELISTED": e.PermissionDenied,   # key valid, caller's IP not on its whitelist
    "PERMISSION_DENIED": e.PermissionDenied,    # key lacks "Enable reading"/"Enable trading"
    "SIGNATURE_LOST": e.InvalidSignature,       # PIONEX-SIGNATURE header missing
    "INVALID_SIGNATURE": e.InvalidSignature,    # signature mismatch
    "INVALID_TIMESTAMP": e.InvalidTimestamp,    # outside +/-20 s: core resyncs and retries once
    "TRADE_INVALID_SYMBOL": e.UnknownSymbol,    # trade endpoint, no such symbol
    "TRADE_PARAMETER_ERROR": e.InvalidOrder,    # bad order parameter (size, price, precision)
    "TRADE_OPERATION_DENIED": e.InvalidOrder,   # the venue refused the trade operation
    "TRADE_ORDER_NOT_FOUND": e.OrderNotFound,   # no such order id / client order id
    "MARKET_INVALID_SYMBOL": e.UnknownSymbol,   # market-data endpoint, no such symbol
    "MARKET_PARAMETER_ERROR": e.ExchangeError,  # market-data endpoint, bad parameter
    "MARKET_INVALID_TIME": e.ExchangeError,     # market-data endpoint, bad time range
    # --- spellings printed on Pionex's own pages, accepted in case the server uses them
    "INVALIE_APIKEY": e.AuthenticationError,    # PX-GB Basic Info spells INVALID_APIKEY so
    "TRADE_INVAILD_SYMBOL": e.UnknownSymbol,    # the failure example in PX-OAS and PX-GB
    # --- PX-GBR "New Order" error-code list (official GitBook,
    # https://pionex-doc.gitbook.io/apidocs/restful/orders/new-order) and its Chinese copy
    # (PX-GBZ); not in the PX-OAS enum, which lists only the generic codes
    "TRADE_NOT_ENOUGH_MONEY": e.InsufficientFunds,  # "higher than available balance"
    "TRADE_PRICE_FILTER_DENIED": e.InvalidOrder,    # "Price too low or too high"
    "TRADE_SIZE_FILTER_DENIED": e.InvalidOrder,     # "Invalid quantity"
    "TRADE_AMOUNT_FILTER_DENIED": e.BelowMinimum,   # market-buy amount / price*size filter
    "TRADE_REPEAT_CLIENT_ORDER_ID": e.DuplicateOrder,  # "de-duplicated for >= 6 hours"
    "TRADE_OPEN_ORDER_EXCEED_LIMIT": e.InvalidOrder,   # over 200 open orders per symbol
    # PX-GBZ (order, cancel, cancel-all pages): "symbol under maintenance"
    "TRADE_SYMBOL_MAINTAIN": e.ExchangeUnavailable,
}

#: Codes mapped from material outside Pionex's API documentation. None any more:
#: ``TRADE_AMOUNT_FILTER_DENIED`` is on the official "New Order" page (PX-GBR).
UNOFFICIAL_CODES: frozenset[str] = frozenset()

#: HTTP statuses with a venue meaning of their own, whatever the body says.
HTTP_STATUS_ERRORS: dict[int, type[e.VenueError]] = {
    429: e.IPBanned,  # PX-OAS "Rate Limits": 429 and a 60-second ban
}

#: PX-OAS "Rate Limits": "The violating IP or account receives a 60-second ban."
BAN_SECONDS = 60.0


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _rate_limited(response: Response, payload: Mapping[str, object] | None) -> e.VenueError:
    code = _text(payload.get("code")) if payload else None
    venue_message = _text(payload.get("message")) if payload else None
    if response.header("Retry-After") is not None:
        # Pionex documents no Retry-After; a 429 that carries one (a proxy, or a future
        # Pionex) says exactly when to come back: a plain, retryable rate-limit rejection.
        # The core reads the header into retry_after and blocks the limiter until then.
        return e.RateLimitExceeded("rate limited; retrying after the time the venue gave",
                                   code=code or str(response.status),
                                   venue_message=venue_message)
    return e.IPBanned(
        f"rate limit exceeded: Pionex bans the IP or account for {BAN_SECONDS:g} s and "
        "extends the ban by 10 s for every further request; nothing is sent until it ends",
        code=code or str(response.status), venue_message=venue_message,
        retry_after=BAN_SECONDS)


def parse_error(response: Response) -> e.VenueError | None:
    """The venuekit error for a Pionex failure, or None for a success.

    A body that is not a JSON object is left to the core: it maps the HTTP status of a
    failed response, and the call's parser reports a 2xx body it cannot read.
    """
    payload = json_object(response)
    status_class = HTTP_STATUS_ERRORS.get(response.status)
    if status_class is e.IPBanned:
        return _rate_limited(response, payload)
    if payload is None or "result" not in payload or payload["result"] is True:
        return None
    code = _text(payload.get("code"))
    venue_message = _text(payload.get("message"))
    if code is None:
        return e.ExchangeError(venue_message or "request failed without an error code",
                               venue_message=venue_message)
    cls = ERRORS.get(code)
    if cls is None:
        cls = e.ExchangeUnavailable if response.status >= 500 else e.ExchangeError
    message = venue_message or code
    if code in UNOFFICIAL_CODES:
        message += " (code mapped from unofficial Pionex material)"
    return cls(message, code=code, venue_message=venue_message)
