"""OKX V5 error codes -> core error classes.

Envelope (OK-OV "General Info"): ``{"code": "<str>", "msg": "<str>", "data": [...]}``,
success when ``code == "0"``. Place and cancel answer per item: when the items carry
``sCode``, it is ``sCode``/``sMsg`` that say what happened (a failed single order comes back
as top-level ``code "1"`` with the reason in ``data[0].sCode``). Most business errors are
HTTP 200; authentication errors are 401, a few are 400/410/429/500/503 (OK-ERR).

Every code listed in ../shared/exchanges/okx.md is a row below (source: OK-ERR), plus a
few neighbours from the same official table that a trading client meets (marked "+").
"""

from __future__ import annotations

from typing import Any

from venuekit import errors as e
from venuekit.payload import json_object
from venuekit.wire import Response

#: code -> core error class. Keys are strings: OKX sends its codes as strings.
ERRORS: dict[str, type[e.VenueError]] = {
    # rate limits
    "50011": e.RateLimitExceeded,     # Rate limit reached / Too Many Requests (200 or 429)
    "50061": e.RateLimitExceeded,     # sub-account order rate limit reached
    "50040": e.RateLimitExceeded,     # Too frequent operations, please try again later
    # (429) Systems are busy. Please try again later. HTTP 429, refused before execution:
    # okx.md section 5 files it under rate limits, section 7 as a safe-to-retry non-execution
    "50013": e.RateLimitExceeded,
    # venue down, or the execution state is unknown
    "50001": e.ExchangeUnavailable,   # (503) Service temporarily unavailable
    "50026": e.ExchangeUnavailable,   # (500) System error. Try again later
    "50004": e.ExchangeUnavailable,   # (400) endpoint request timeout: result unknown, check it
    "51149": e.ExchangeUnavailable,   # + order request timed out; outcome unknown
    "50005": e.ExchangeError,         # (410) API endpoint is inactive or unavailable
    # API key, IP, permissions
    "50100": e.AuthenticationError,   # (400) API frozen, please contact customer service
    "50101": e.AuthenticationError,   # (401) APIKey does not match current environment (demo/live)
    "50103": e.AuthenticationError,   # (401) header OK-ACCESS-KEY cannot be empty
    "50104": e.AuthenticationError,   # (401) header OK-ACCESS-PASSPHRASE cannot be empty
    "50105": e.AuthenticationError,   # (401) header OK-ACCESS-PASSPHRASE incorrect
    "50111": e.AuthenticationError,   # (401) Invalid OK-ACCESS-KEY
    "50110": e.PermissionDenied,      # (401) your IP is not in the key's IP whitelist
    "50121": e.PermissionDenied,      # you can't access our services through this IP
    "50120": e.PermissionDenied,      # + this API key doesn't have permission for this function
    "50030": e.PermissionDenied,      # + no permission to use this API endpoint
    # signature
    "50113": e.InvalidSignature,      # (401) Invalid signature.
    "50106": e.InvalidSignature,      # (401) header OK-ACCESS-SIGN cannot be empty
    # timestamp (and an order that arrived after its expTime: rejected, never executed)
    "50102": e.InvalidTimestamp,      # (401) Timestamp request expired.
    "50112": e.InvalidTimestamp,      # (401) Invalid OK-ACCESS-TIMESTAMP
    "50107": e.InvalidTimestamp,      # (401) header OK-ACCESS-TIMESTAMP cannot be empty
    "50036": e.InvalidTimestamp,      # + expTime can't be earlier than the current system time
    "50037": e.InvalidTimestamp,      # + Order expired (past its expTime)
    # funds
    "51008": e.InsufficientFunds,     # Order failed. Insufficient balance/margin
    "51127": e.InsufficientFunds,     # available balance is 0
    "51131": e.InsufficientFunds,     # insufficient balance
    "51119": e.InsufficientFunds,     # Order placement failed due to insufficient balance
    # order parameters
    "51000": e.InvalidOrder,          # (400) Parameter {param0} error
    "51121": e.InvalidOrder,          # Order quantity must be a multiple of the lot size
    "51006": e.InvalidOrder,          # order price is not within the price limit
    "51137": e.InvalidOrder,          # buy price above the highest allowed
    "51138": e.InvalidOrder,          # sell price below the lowest allowed
    "51001": e.UnknownSymbol,         # + Instrument ID doesn't exist
    "51020": e.BelowMinimum,          # order should meet or exceed the minimum order amount
    "50122": e.BelowMinimum,          # Order amount must exceed minimum amount
    # orders
    "51603": e.OrderNotFound,         # Order does not exist
    "51400": e.OrderNotFound,         # cancel failed: filled, canceled or does not exist
    "51016": e.DuplicateOrder,        # Client order ID already exists (among pending orders)
    "51011": e.DuplicateOrder,        # Order ID already exists
    # amend, batches, leverage (okx-account-streams.md section 2)
    "51503": e.OrderNotFound,         # amend: your order has already been filled or canceled
    "51410": e.ExchangeError,         # cancel: the order is already being canceled
    "51506": e.InvalidOrder,          # amend: order type does not support amending
    "51511": e.InvalidOrder,          # amend would break post-only
    "51512": e.InvalidOrder,          # duplicate order in an amend batch
    "51513": e.ExchangeError,         # more than 3 amend requests in flight for one order
    "59102": e.InvalidArgument,       # leverage above the maximum
    "59103": e.InsufficientFunds,     # margin insufficient: leverage too low
    "59101": e.ExchangeError,         # cancel pending isolated orders before changing leverage
    "59000": e.ExchangeError,         # settings need no open positions or orders
}

#: HTTP status OKX sends with a code where it is not 200 (OK-ERR); simulator and tests use it.
HTTP_STATUS: dict[str, int] = {
    "50001": 503, "50004": 400, "50005": 410, "50011": 429, "50013": 429, "50026": 500,
    "50100": 400, "50101": 401, "50102": 401, "50103": 401, "50104": 401, "50105": 401,
    "50106": 401, "50107": 401, "50110": 401, "50111": 401, "50112": 401, "50113": 401,
    "51000": 400,
}

#: Codes OKX reports per item (``sCode``) on place / cancel, under top-level code "1".
ITEM_CODES = frozenset(code for code in ERRORS if code.startswith("51")) | {"50036", "50037"}

_ENVELOPE_FAILURES = frozenset({"1", "2"})  # "Operation failed." / bulk partially succeeded

#: Batch endpoints: each item carries its own ``sCode``, judged by the batch's parser
#: (one failed item must not turn the whole answer into an error).
BATCH_PATHS = frozenset({"/api/v5/trade/batch-orders", "/api/v5/trade/cancel-batch-orders",
                         "/api/v5/trade/amend-batch-orders"})


def _item_error(data: Any) -> tuple[str, str] | None:
    """The first per-item failure (``sCode``/``sMsg``) in ``data``, if any."""
    if not isinstance(data, list):
        return None
    for item in data:
        if isinstance(item, dict):
            code = str(item.get("sCode") or "")
            if code and code != "0":
                return code, str(item.get("sMsg") or "")
    return None


def _per_item(data: Any) -> bool:
    return isinstance(data, list) and bool(data) and all(
        isinstance(item, dict) and "sCode" in item for item in data)


def error_for(code: str, message: str) -> e.VenueError:
    """The core error for one OKX code; unknown codes keep their code and message."""
    cls = ERRORS.get(code, e.ExchangeError)
    return cls(message or f"OKX error {code}", code=code, venue_message=message or None)


def parse_error(response: Response) -> e.VenueError | None:
    """Map an OKX envelope to a core error; None on success or when the body is not JSON.

    A body that is not JSON (a proxy's HTML page, an empty 502) says nothing OKX-specific:
    the core maps the HTTP status, or the call's parser reports a bad response.
    """
    payload = json_object(response)
    if payload is None or "code" not in payload:
        return None
    code = str(payload.get("code"))
    message = str(payload.get("msg") or "")
    if (code in {"0", *_ENVELOPE_FAILURES} and response.request is not None
            and response.request.path in BATCH_PATHS and _per_item(payload.get("data"))):
        return None
    item = _item_error(payload.get("data"))
    if code == "0":
        return None if item is None else error_for(*item)
    if item is not None:
        return error_for(*item)
    if code in _ENVELOPE_FAILURES:
        return e.ExchangeError(message or "OKX operation failed", code=code,
                               venue_message=message or None)
    return error_for(code, message)
