"""Bybit V5 ``retCode`` -> core error classes, and the reading of the response envelope.

Every V5 answer is ``{"retCode": int, "retMsg": str, "result": {...}, "retExtInfo": {},
"time": ms}``; business errors come with HTTP 200 and ``retCode != 0``. A few failures
happen before Bybit's API layer and carry only an HTTP status (see :data:`HTTP_ERRORS`).
Codes and texts: Bybit V5 "Error Codes" (docs/v5/error.mdx) unless a row says otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping

from venuekit import errors as e
from venuekit.payload import json_object
from venuekit.wire import Response

from . import limits

ERRORS: dict[int, type[e.VenueError]] = {
    # ---- authentication
    10003: e.AuthenticationError,   # API key is invalid (or key and host env do not match)
    33004: e.AuthenticationError,   # (derivatives) your api key has expired
    -2015: e.AuthenticationError,   # (spot) your api key has expired
    10007: e.AuthenticationError,   # user authentication failed
    10004: e.InvalidSignature,      # error sign, check your signature generation algorithm
    10005: e.PermissionDenied,      # permission denied, check your API key permissions
    10010: e.PermissionDenied,      # unmatched IP: the request IP is not bound to the key
    10008: e.PermissionDenied,      # common banned, check your account mode
    10024: e.PermissionDenied,      # compliance rules triggered
    10027: e.PermissionDenied,      # transactions are banned
    10028: e.PermissionDenied,      # the API can only be accessed by unified account users
    # "Service Restricted: Access is currently unavailable for your region" (Error Codes,
    # UTA table, since 2026-05; formerly "IP has been banned"): not a rate-limit ban, so
    # nothing to wait out and no retry
    10009: e.PermissionDenied,
    # ---- clock
    10002: e.InvalidTimestamp,      # request time exceeds the time window range
    -1: e.InvalidTimestamp,         # request expired (bybit.md, BY-ERR timestamp row)
    # ---- rate limits
    10006: e.RateLimitExceeded,     # too many visits, exceeded the API rate limit (per UID)
    10018: e.RateLimitExceeded,     # exceeded the IP rate limit (deprecated code)
    # ---- venue busy or execution state unknown: ambiguous, the core looks the order up
    10000: e.ExchangeUnavailable,   # server timeout
    10016: e.ExchangeUnavailable,   # server error / service is restarting
    110079: e.ExchangeUnavailable,  # the order is processing and can not be operated
    429: e.ExchangeUnavailable,     # (UTA) trading service is experiencing a high server load
    # ---- funds
    110004: e.InsufficientFunds,    # insufficient wallet balance
    110007: e.InsufficientFunds,    # insufficient available balance
    110012: e.InsufficientFunds,    # insufficient available balance
    110044: e.InsufficientFunds,    # insufficient available margin
    110045: e.InsufficientFunds,    # insufficient wallet balance
    # ---- order rules
    10001: e.InvalidOrder,          # request parameter error (qty/price/symbol invalid, ...)
    110003: e.InvalidOrder,         # order price is out of permissible range
    110017: e.InvalidOrder,         # reduceOnly rule not satisfied / qty truncated to zero
    110108: e.InvalidOrder,         # price limit (bybit.md: 110108/110120/110121)
    110120: e.InvalidOrder,         # price limit
    110121: e.InvalidOrder,         # price limit
    110094: e.BelowMinimum,         # order notional value below the lower limit
    110020: e.InvalidOrder,         # not allowed to have more than 500 active orders
    110001: e.OrderNotFound,        # order does not exist
    170213: e.OrderNotFound,        # order does not exist (batch-cancel item example)
    110043: e.ExchangeError,        # set leverage not modified (success to the flow)
    110025: e.ExchangeError,        # position mode not modified (success to the flow)
    110026: e.ExchangeError,        # cross/isolated margin mode not modified (success)
    110013: e.InvalidArgument,      # cannot set leverage due to the risk limit level
    110024: e.InvalidOrder,         # position mode switch blocked by an open position
    110028: e.InvalidOrder,         # position mode switch blocked by open orders
    110029: e.InvalidOrder,         # hedge mode is not supported for this symbol
    110073: e.InvalidOrder,         # set margin mode failed
    110008: e.OrderNotFound,        # order has been finished or canceled
    110010: e.OrderNotFound,        # order already cancelled
    110072: e.DuplicateOrder,       # OrderLinkedID is duplicate
    110030: e.DuplicateOrder,       # duplicate orderId (struck through in current docs)
    10014: e.DuplicateOrder,        # invalid duplicate request
    # ---- our mistake, not the caller's
    10017: e.ExchangeError,         # route not found
}

#: Failures that carry no envelope, only an HTTP status (Error Codes, "HTTP code").
HTTP_ERRORS: dict[int, type[e.VenueError]] = {
    401: e.AuthenticationError,     # wrong key, or authentication headers missing
    403: e.IPBanned,                # IP rate limit breached (also: GET with body, US IP)
    429: e.RateLimitExceeded,       # system level frequency protection, please retry
}

#: Bybit: after "403, access too frequent", stop every HTTP session for at least 10 minutes.
IP_BAN_S = 600.0


def _envelope(response: Response) -> Mapping[str, object] | None:
    payload = json_object(response)
    return payload if payload is not None and "retCode" in payload else None


def _code(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def parse_error(response: Response) -> e.VenueError | None:
    """The error a response stands for, or None for a success (or a status left to core)."""
    payload = _envelope(response)
    if payload is not None:
        code = _code(payload["retCode"])
        if code == 0:
            return None
        message = str(payload.get("retMsg") or "")
        cls = ERRORS.get(code, e.ExchangeError) if code is not None else e.ExchangeError
        error = cls(message or f"retCode {payload['retCode']}",
                    code=str(payload["retCode"]) if code is None else code, venue_message=message)
        if isinstance(error, e.RateLimitExceeded) and response.header("Retry-After") is None:
            # A Retry-After (from a proxy) is parsed by the core; otherwise Bybit's reset time.
            error.retry_after = (IP_BAN_S if isinstance(error, e.IPBanned)
                                 else limits.reset_after_s(response, _code(payload.get("time"))))
        return error
    http_cls = HTTP_ERRORS.get(response.status)
    if http_cls is None:
        return None  # 404, 5xx, ...: the core maps the status
    text = f"http {response.status}: {response.snippet()!r}"
    if http_cls is e.IPBanned:
        return e.IPBanned(f"{text}; Bybit bans an IP that breaks 600 requests / 5 s for at "
                          "least 10 minutes", status=response.status, retry_after=IP_BAN_S)
    return http_cls(text, status=response.status)
