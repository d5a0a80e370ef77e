"""BingX request signing: HMAC-SHA256, lowercase hex, over the parameter string.

The parameter string is ``k1=v1&k2=v2&…`` in the order the request gives (BingX:
"splice all api parameters (without sorting)"), with ``timestamp`` (ms) in it. The
signature is appended *last* as ``&signature=<hex>`` and the key travels in the
``X-BX-APIKEY`` header.

Every parameter goes in the query string, for GET, POST and DELETE alike (the mode of the
official demos); bodies stay empty. The HMAC covers the **raw** parameter string and the
wire carries the same parameters with their values percent-encoded once (RFC 3986
unreserved characters kept): BingX's docs sign ``batchOrders=[...]&timestamp=...`` on the
raw text and URL-encode the values afterwards (bingx.md section 2; ccxt does the same).
For plain values (symbols such as ``BTC-USDT``, decimals, enums, lower-case alphanumeric
client ids, timestamps) both texts are identical; only the JSON lists of the batch
endpoints differ.
"""

from __future__ import annotations

import hashlib
import hmac

from venuekit.errors import PluginError
from venuekit.models import Auth
from venuekit.wire import Request, SignedRequest, encode_query

__all__ = ["KEY_HEADER", "parameter_string", "sign", "signature"]

KEY_HEADER = "X-BX-APIKEY"
TIMESTAMP = "timestamp"
SIGNATURE = "signature"


def signature(secret: str, payload: str | bytes) -> str:
    """HMAC-SHA256 of ``payload`` under ``secret``, lowercase hex."""
    data = payload.encode() if isinstance(payload, str) else payload
    return hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()


def with_timestamp(query: tuple[tuple[str, str], ...],
                   timestamp_ms: int) -> list[tuple[str, str]]:
    """The query with ``timestamp`` set: in place when the request names it, else last."""
    stamp = str(timestamp_ms)
    params = [(key, stamp if key == TIMESTAMP else value) for key, value in query]
    if all(key != TIMESTAMP for key, _ in query):
        params.append((TIMESTAMP, stamp))
    return params


def parameter_string(request: Request, timestamp_ms: int) -> str:
    """The string BingX signs: ``k=v`` pairs in the request's order, values raw."""
    return "&".join(f"{key}={value}"
                    for key, value in with_timestamp(request.query, timestamp_ms))


def sign(request: Request, auth: Auth, timestamp_ms: int) -> SignedRequest:
    if request.body is not None:
        raise PluginError(f"{request.method} {request.path}: BingX requests of this plugin "
                          "carry their parameters in the query string, not a body",
                          plugin="bingx")
    if any(key == SIGNATURE for key, _ in request.query):
        raise PluginError("the request already has a signature parameter", plugin="bingx")
    digest = signature(auth.credentials.api_secret, parameter_string(request, timestamp_ms))
    sent = encode_query(with_timestamp(request.query, timestamp_ms))
    headers = (*request.headers, (KEY_HEADER, auth.credentials.api_key))
    return SignedRequest(method=request.method, path=request.path,
                         query_string=f"{sent}&{SIGNATURE}={digest}", body=b"",
                         headers=headers, request=request)
