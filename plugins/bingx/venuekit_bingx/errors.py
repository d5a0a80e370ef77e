"""BingX error codes and HTTP statuses -> core error classes.

Business errors arrive as HTTP 200 with ``{"code": <non-zero>, "msg": "...", "data": ...}``;
``code == 0`` is success. Sources: BX-V3 docs bundle (error codes, HTTP table, FAQ) and
ccxt 4.5.90 where it adds codes, as collected in shared/exchanges/bingx.md section 5.
Where the two disagree the official docs win; the README lists each such choice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from venuekit import errors as e
from venuekit.payload import json_object
from venuekit.wire import Response

__all__ = ["ERRORS", "FIREWALL_BAN_S", "HTTP_STATUS", "error_for", "parse_error"]

ERRORS: dict[int, type[e.VenueError]] = {
    # ---- authentication
    100413: e.AuthenticationError,   # "Incorrect API key"
    100419: e.PermissionDenied,      # IP does not match the key's whitelist
    100004: e.PermissionDenied,      # permission denied (key lacks the permission)
    100001: e.InvalidSignature,      # "Signature verification failed"
    100412: e.InvalidSignature,      # "Null signature"
    # docs: "Timestamp mismatch"; ccxt's comment shows "This pair is currently restricted
    # from API trading" for the same code. Docs followed (core resyncs the clock, retries once).
    100421: e.InvalidTimestamp,
    # ---- rate limits (non-executions: safe to send again after the limiter's block)
    109429: e.RateLimitExceeded,     # rate limit (code since 2025-10-16 per BingX changelog copy)
    # docs: "Rate limit exceeded"; ccxt says the text is "The current system is busy" and
    # treats it as a generic failure. Docs followed; either way the request did not execute.
    100410: e.RateLimitExceeded,
    # ---- funds
    101204: e.InsufficientFunds,     # "Insufficient margin"
    # ---- order rules
    80014: e.InvalidOrder,           # invalid parameters
    100400: e.InvalidOrder,          # invalid parameter
    109400: e.InvalidOrder,          # invalid parameter (also positionSide vs position mode)
    110400: e.InvalidOrder,          # invalid parameter
    101211: e.InvalidOrder,          # "Order price should be higher than ..."
    101460: e.InvalidOrder,          # price beyond the liquidation price
    80013: e.InvalidOrder,           # order count limit reached
    80017: e.InvalidOrder,           # position does not exist
    101212: e.InvalidOrder,          # pending orders exist
    101215: e.InvalidOrder,          # post-only order would take liquidity
    101515: e.InvalidOrder,          # trading temporarily suspended: a final no for this order
    80020: e.PermissionDenied,       # risk control forbids the operation
    109403: e.PermissionDenied,      # "risk forbidden": replaces 80020 / 40029 (BingX change
                                     # log 2025-10-09, effective 2025-10-16)
    101414: e.InvalidOrder,          # "The maximum leverage for this trading pair is *"
    101415: e.InvalidOrder,          # "This trading pair is suspended from opening new
                                     # positions"
    101514: e.InvalidOrder,          # "Temporarily suspended from opening positions": a final
                                     # no for this order, like 101515
    101400: e.BelowMinimum,          # "minimum nominal value ... greater than 2u"; also used
                                     # for "pair not available"
    110425: e.BelowMinimum,          # same text (ccxt)
    # ---- orders that do not exist (or are already gone, on cancel)
    109421: e.OrderNotFound,         # order does not exist (since 2025-10-16)
    80016: e.OrderNotFound,          # "Order does not exist" (older code)
    80018: e.OrderNotFound,          # cancel: order already filled
    109422: e.OrderNotFound,         # "order status illegal": replaces 80018 (change log
                                     # 2025-10-09; the same code also replaces 80017)
    # ---- duplicates
    101481: e.DuplicateOrder,        # "clientOrderID cannot be repeated"
    101209: e.DuplicateOrder,        # "The same order number can only be submitted once
                                     # within 1 second"
    109201: e.DuplicateOrder,        # same text
    # ---- venue busy / execution state unknown: ask before resending
    80012: e.ExchangeUnavailable,    # "Service unavailable" / "The current system is busy"
    100500: e.ExchangeUnavailable,   # internal system error
    101500: e.ExchangeUnavailable,   # RPC timeout: the order may or may not exist
    109500: e.ExchangeUnavailable,   # account service unavailable
    # "The order is being processed. Please use the allOrders interface to retrieve the
    # order details later": the outcome is not known yet, so look it up before any resend
    80019: e.ExchangeUnavailable,
    109423: e.ExchangeUnavailable,   # replaces 80019 (change log 2025-10-09)
    # ---- retired codes whose meaning the change log states (2025-10-09: "updated to new
    # error code 109400, meaning: parameter invalid"); the docs' examples of 80001 are all
    # final refusals ("Insufficient margin", "No position to close", positionSide vs mode)
    80001: e.InvalidOrder,
    109414: e.InvalidOrder,
}

#: Statuses that mean something of their own when no ``code`` envelope explains them.
HTTP_STATUS: dict[int, type[e.VenueError]] = {
    418: e.IPBanned,                 # "Received 429 and continued access, so the user is banned"
    429: e.RateLimitExceeded,        # too many requests
    403: e.IPBanned,                 # WAF / firewall page: "usually a 5-minute ban" (FAQ)
    504: e.ExchangeUnavailable,      # "further confirmation required": may have executed
}

#: How long the firewall's 403 lasts, per the BingX FAQ ("usually a 5-minute ban").
FIREWALL_BAN_S = 300.0

#: Generic codes the venue also uses for missing margin: ccxt documents 80012 with "margin
#: is not enough"; BingX's docs show 109400 "margin is not enough" (modify leverage) and 80001
#: "Insufficient margin" / "margin not enough" (batch orders, position mode). Those texts (and
#: only those) are read as insufficient funds.
_MARGIN_CODES = frozenset({80012, 80001, 109400})
_MARGIN_TEXTS = ("margin is not enough", "margin not enough", "insufficient margin")


def _envelope(response: Response) -> Mapping[str, object] | None:
    payload = json_object(response)
    return payload if payload is not None and "code" in payload else None


def _code(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _from_code(code: int, message: str) -> e.VenueError:
    cls = ERRORS.get(code, e.ExchangeError)
    if code in _MARGIN_CODES and any(text in message.lower() for text in _MARGIN_TEXTS):
        cls = e.InsufficientFunds
    return cls(message or f"BingX error {code}", code=code, venue_message=message or None)


def error_for(code: int, message: str) -> e.VenueError:
    """The core error for one BingX code (batch answers report codes per item)."""
    return _from_code(code, message)


def _from_status(response: Response) -> e.VenueError | None:
    cls = HTTP_STATUS.get(response.status)
    if cls is None:
        return None  # the core maps the remaining statuses (401, 5xx, ...)
    text = f"http {response.status}: {response.snippet()!r}"
    retry_after = FIREWALL_BAN_S if response.status == 403 else None
    return cls(text, status=response.status, retry_after=retry_after)


def parse_error(response: Response) -> e.VenueError | None:
    """The core error for a BingX answer, or None when it is a success.

    An IP ban (418) wins over any body. A ``code`` envelope decides next, whatever the
    status. Without one, 403 / 429 / 504 map from :data:`HTTP_STATUS` and other failed
    statuses are left to the core; a 2xx body that is not an envelope is left to the
    call's parser, which raises ``BadResponse``.
    """
    if response.status == 418:
        return _from_status(response)
    payload = _envelope(response)  # None for a body that is not JSON: the status speaks
    if payload is not None:
        code = _code(payload.get("code"))
        if code is None:
            if response.status >= 400:
                return _from_status(response)
            return e.BadResponse(f"envelope code is not a number: {payload.get('code')!r}",
                                 status=response.status)
        if code != 0:
            return _from_code(code, str(payload.get("msg") or ""))
        if response.status < 400:
            return None
    if response.status >= 400:
        return _from_status(response)
    return None
