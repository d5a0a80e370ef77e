"""OKX V5 REST authentication (OK-OV "REST Authentication").

String to sign: ``timestamp + METHOD + requestPath + body`` where ``timestamp`` is the
``OK-ACCESS-TIMESTAMP`` value (ISO-8601 UTC with milliseconds, ``2020-12-08T09:08:57.715Z``),
``requestPath`` is the path plus ``?query`` for GET parameters, and ``body`` is the exact
JSON sent (empty for GET). Signature: standard Base64 of HMAC-SHA256 under the secret key,
sent in ``OK-ACCESS-SIGN`` with the key and the plaintext passphrase beside it.

What is signed is what is sent: the query string and the body bytes built here are the ones
the core puts on the wire.

A state-changing request (``idempotent=False``: order placement) also carries OKX's
``expTime`` header (OK-OV "Transaction Timeouts"): the venue discards it once its clock passes
that moment, so a delayed order can never execute late and the core knows when a lost order
can no longer arrive (:data:`ORDER_WINDOW_MS`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

from venuekit.errors import ConfigurationError
from venuekit.models import Auth
from venuekit.wire import BodyFormat, Request, SignedRequest, encode_json, encode_query

KEY_HEADER = "OK-ACCESS-KEY"
SIGN_HEADER = "OK-ACCESS-SIGN"
TIMESTAMP_HEADER = "OK-ACCESS-TIMESTAMP"
PASSPHRASE_HEADER = "OK-ACCESS-PASSPHRASE"  # noqa: S105 (a header name)
EXPIRY_HEADER = "expTime"

#: How long after its signed timestamp OKX may still execute an order (the ``expTime`` we set).
ORDER_WINDOW_MS = 5000


def iso_timestamp(timestamp_ms: int) -> str:
    """``1607418537715`` -> ``2020-12-08T09:08:57.715Z`` (integer arithmetic, no floats)."""
    seconds, millis = divmod(int(timestamp_ms), 1000)
    moment = datetime.fromtimestamp(seconds, UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{millis:03d}Z"


def prehash(timestamp: str, method: str, path: str, query: str, body: bytes) -> bytes:
    """The exact bytes OKX signs: timestamp + METHOD + path(?query) + body."""
    target = f"{path}?{query}" if query else path
    return f"{timestamp}{method.upper()}{target}".encode() + body


def signature(secret: str, payload: bytes) -> str:
    """Base64 (standard alphabet) of HMAC-SHA256(secret, payload)."""
    digest = hmac.new(secret.encode(), payload, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def body_bytes(request: Request) -> bytes:
    """The JSON body exactly as sent; OKX private endpoints take JSON only."""
    if request.body is None or request.body_format is BodyFormat.NONE:
        return b""
    if request.body_format is not BodyFormat.JSON:
        raise ValueError("OKX private endpoints take JSON bodies only")
    return encode_json(request.body)


def sign(request: Request, auth: Auth, timestamp_ms: int) -> SignedRequest:
    credentials = auth.credentials
    if not credentials.passphrase:
        # connect() already refuses this; a direct caller gets the same clear message
        raise ConfigurationError("OKX needs credential field 'passphrase'")
    query = encode_query(request.query)
    body = body_bytes(request)
    timestamp = iso_timestamp(timestamp_ms)
    digest = signature(credentials.api_secret,
                       prehash(timestamp, request.method, request.path, query, body))
    headers: list[tuple[str, str]] = list(request.headers)
    if body:
        headers.append(("Content-Type", "application/json"))
    headers += [(KEY_HEADER, credentials.api_key), (SIGN_HEADER, digest),
                (TIMESTAMP_HEADER, timestamp), (PASSPHRASE_HEADER, credentials.passphrase)]
    if not request.idempotent:
        headers.append((EXPIRY_HEADER, str(int(timestamp_ms) + ORDER_WINDOW_MS)))
    return SignedRequest(method=request.method, path=request.path, query_string=query,
                         body=body, headers=headers, request=request)
