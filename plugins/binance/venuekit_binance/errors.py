"""Binance USDⓈ-M error codes -> core error classes, and the error-envelope reader.

Errors arrive as HTTP 4xx/5xx with ``{"code": -1121, "msg": "Invalid symbol."}``. Codes
come from the USDⓈ-M "Error Codes" page (developers.binance.com, derivatives/
usds-margined-futures/error-code); the HTTP semantics from its "General Info" page:
429 rate limit, 418 IP ban, 408 backend timeout, 503 "Unknown error" (execution status
unknown) or "Service Unavailable" (failure). Codes whose execution state is unknown, and
the venue's busy / shutting-down codes, are :class:`ExchangeUnavailable`: the core then
looks an order up by its client id before sending it again.
"""

from __future__ import annotations

import contextlib
import email.utils
import re
import time

from venuekit import errors as e
from venuekit.payload import json_object
from venuekit.wire import Response

ERRORS: dict[int, type[e.VenueError]] = {
    # 10xx: server or network
    -1000: e.ExchangeUnavailable,    # UNKNOWN: unknown error while processing the request
    -1001: e.ExchangeUnavailable,    # DISCONNECTED: internal error, please try again
    -1002: e.PermissionDenied,       # UNAUTHORIZED: not authorized to execute this request
    -1003: e.RateLimitExceeded,      # TOO_MANY_REQUESTS (with HTTP 418: IP banned until %s)
    -1006: e.ExchangeUnavailable,    # UNEXPECTED_RESP: execution status unknown
    -1007: e.ExchangeUnavailable,    # TIMEOUT: send status unknown; execution status unknown
    -1008: e.ExchangeUnavailable,    # throttled by system-level protection (overload)
    -1011: e.PermissionDenied,       # NON_WHITE_LIST: this IP cannot access this route
    -1015: e.RateLimitExceeded,      # TOO_MANY_ORDERS: order rate limit
    -1016: e.ExchangeUnavailable,    # SERVICE_SHUTTING_DOWN
    -1021: e.InvalidTimestamp,       # INVALID_TIMESTAMP: outside recvWindow / 1000 ms ahead
    -1022: e.InvalidSignature,       # INVALID_SIGNATURE
    # 11xx: request issues
    -1100: e.InvalidOrder,           # ILLEGAL_CHARS in a parameter
    -1102: e.InvalidOrder,           # MANDATORY_PARAM_EMPTY_OR_MALFORMED
    -1106: e.InvalidOrder,           # PARAM_NOT_REQUIRED
    -1111: e.InvalidOrder,           # BAD_PRECISION: more decimals than the asset allows
    -1115: e.InvalidOrder,           # INVALID_TIF
    -1116: e.InvalidOrder,           # INVALID_ORDER_TYPE
    -1117: e.InvalidOrder,           # INVALID_SIDE
    -1121: e.UnknownSymbol,          # BAD_SYMBOL: invalid symbol
    -1127: e.InvalidArgument,        # MORE_THAN_XX_HOURS between startTime and endTime
    -1128: e.InvalidArgument,        # OPTIONAL_PARAMS_BAD_COMBO (e.g. fromId with a window)
    -1130: e.InvalidOrder,           # INVALID_PARAMETER: data sent for a parameter not valid
    # 20xx: processing
    -2010: e.InvalidOrder,           # NEW_ORDER_REJECTED
    -2011: e.OrderNotFound,          # CANCEL_REJECTED: "Unknown order sent"
    -2013: e.OrderNotFound,          # NO_SUCH_ORDER: order does not exist
    -2014: e.AuthenticationError,    # BAD_API_KEY_FMT: API-key format invalid
    -2015: e.AuthenticationError,    # REJECTED_MBX_KEY: invalid API-key, IP, or permissions
    -2017: e.PermissionDenied,       # API_KEYS_LOCKED on this account
    -2018: e.InsufficientFunds,      # BALANCE_NOT_SUFFICIENT
    -2019: e.InsufficientFunds,      # MARGIN_NOT_SUFFICIEN(T)
    -2021: e.InvalidOrder,           # ORDER_WOULD_IMMEDIATELY_TRIGGER
    -2022: e.InvalidOrder,           # REDUCE_ONLY_REJECT
    -2025: e.InvalidOrder,           # MAX_OPEN_ORDER_EXCEEDED
    # 40xx: filters
    -4003: e.InvalidOrder,           # QTY_LESS_THAN_ZERO
    -4004: e.BelowMinimum,           # QTY_LESS_THAN_MIN_QTY
    -4005: e.InvalidOrder,           # QTY_GREATER_THAN_MAX_QTY
    -4013: e.InvalidOrder,           # PRICE_LESS_THAN_MIN_PRICE
    -4014: e.InvalidOrder,           # PRICE_NOT_INCREASED_BY_TICK_SIZE
    -4015: e.InvalidOrder,           # INVALID_CL_ORD_ID_LEN: client order id not valid
    -4023: e.InvalidOrder,           # QTY_NOT_INCREASED_BY_STEP_SIZE
    -4028: e.InvalidArgument,        # INVALID_LEVERAGE: "Leverage %s is not valid"
    -4046: e.ExchangeError,          # NO_NEED_TO_CHANGE_MARGIN_TYPE (success to the flow)
    -4047: e.InvalidOrder,           # margin type cannot change: open orders exist
    -4048: e.InvalidOrder,           # margin type cannot change: a position exists
    -4059: e.ExchangeError,          # NO_NEED_TO_CHANGE_POSITION_SIDE (success to the flow)
    -4061: e.InvalidOrder,           # POSITION_SIDE_NOT_MATCH (account in Hedge Mode)
    -4067: e.InvalidOrder,           # position side cannot change: open orders exist
    -4068: e.InvalidOrder,           # position side cannot change: a position exists
    -4087: e.PermissionDenied,       # REDUCE_ONLY_ORDER_PERMISSION: reduce-only orders only
    -4088: e.PermissionDenied,       # NO_PLACE_ORDER_PERMISSION: cannot place orders now
    -4116: e.DuplicateOrder,         # DUPLICATED_CLIENT_ORDER_ID (among open orders only)
    -4164: e.BelowMinimum,           # MIN_NOTIONAL: notional under the symbol's minimum
    # 50xx: order-type rejections (ccxt 4.5.90's table; not on the error-code page)
    -5021: e.InvalidOrder,           # FOK order could not be filled completely
    -5022: e.InvalidOrder,           # post-only (GTX) order would have taken liquidity
    -5025: e.InvalidOrder,           # LIMIT_ORDER_ONLY: only limit orders can be modified
    -5026: e.InvalidOrder,           # more than 10000 modifications of one order
    -5027: e.InvalidOrder,           # SAME_ORDER: "No need to modify the order."
}

_BANNED_UNTIL = re.compile(r"banned until (\d{12,14})")


def parse_error(response: Response) -> e.VenueError | None:
    """The core error for a Binance error response, or None for a success.

    A body that is not a JSON error envelope returns None: on an HTTP error status the
    core then maps the status itself (418, 429, 5xx, ...), and on a success the call's
    parser reports the malformed payload.
    """
    payload = json_object(response)
    if payload is None or "code" not in payload:
        return None
    try:
        code = int(str(payload["code"]))
    except ValueError:
        return None
    if response.status < 400 and (code >= 0 or "msg" not in payload):
        return None  # e.g. {"code": 200, "msg": "success"} on some account endpoints
    message = str(payload.get("msg", ""))
    cls = _class_for(code, response.status)
    error = cls(message or f"error {code}", code=code, venue_message=message or None)
    if isinstance(error, e.IPBanned):
        error.retry_after = _ban_seconds(message, response)
    return error


def _class_for(code: int, status: int) -> type[e.VenueError]:
    if status == 418:
        return e.IPBanned
    known = ERRORS.get(code)
    if known is not None:
        return known
    if status == 429:
        return e.RateLimitExceeded
    if status == 408:
        return e.RequestTimeout
    if status >= 500:
        return e.ExchangeUnavailable  # 503 "Unknown error": execution state unknown
    return e.ExchangeError


def _ban_seconds(message: str, response: Response) -> float | None:
    """Seconds until the ban ends, from "IP banned until <ms>" measured on the venue's clock.

    The response's ``Date`` header is the venue's "now"; without one, the local clock.
    None when the message names no time (the core then honours Retry-After or waits 120 s).
    """
    found = _BANNED_UNTIL.search(message)
    if found is None:
        return None
    until_s = int(found.group(1)) / 1000.0
    now_s = time.time()
    date = response.header("Date")
    if date:
        with contextlib.suppress(TypeError, ValueError):
            now_s = email.utils.parsedate_to_datetime(date).timestamp()
    return max(until_s - now_s, 0.0)
