"""Example venue error codes -> core error classes (one row per documented code)."""

from __future__ import annotations

from venuekit import errors as e
from venuekit.wire import Response

ERRORS: dict[int, type[e.VenueError]] = {
    1001: e.AuthenticationError,     # unknown API key
    1002: e.InvalidSignature,        # signature mismatch
    1003: e.InvalidTimestamp,        # timestamp outside the receive window
    1004: e.PermissionDenied,        # key may not trade
    1005: e.TokenExpired,            # session token expired (unused by HMAC keys)
    2001: e.RateLimitExceeded,       # too many requests
    3001: e.InsufficientFunds,       # not enough balance
    3002: e.InvalidOrder,            # bad parameter
    3003: e.OrderNotFound,           # no such order
    3004: e.DuplicateOrder,          # client order id in use
    3005: e.BelowMinimum,            # quantity or notional under the minimum
    3006: e.UnknownSymbol,           # no such market
    3007: e.ExchangeError,           # leverage not modified (already in force)
    5001: e.ExchangeUnavailable,     # matching engine busy; execution state unknown
}


def parse_error(response: Response) -> e.VenueError | None:
    if response.status < 400 and response.body[:1] != b"{":
        return None
    payload = response.json()
    if not isinstance(payload, dict) or payload.get("ok", True):
        return None
    code = int(payload.get("code", 0))
    message = str(payload.get("message", ""))
    cls = ERRORS.get(code, e.ExchangeError)
    return cls(message or f"error {code}", code=code, venue_message=message)
