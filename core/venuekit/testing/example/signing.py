"""Example venue authentication: HMAC-SHA256, lowercase hex, in headers.

String to sign: ``timestamp + METHOD + path + ("?" + query if any) + body``. The query is
kept in the order the request gives; what is signed is exactly what is sent.
"""

from __future__ import annotations

import hashlib
import hmac

from venuekit.models import Auth
from venuekit.wire import BodyFormat, Request, SignedRequest, encode_body, encode_query

KEY_HEADER = "X-EX-KEY"
TIMESTAMP_HEADER = "X-EX-TS"
SIGNATURE_HEADER = "X-EX-SIGN"


def string_to_sign(timestamp_ms: int, method: str, path: str, query: str, body: bytes) -> bytes:
    target = f"{path}?{query}" if query else path
    return f"{timestamp_ms}{method.upper()}{target}".encode() + body


def signature(secret: str, payload: bytes) -> str:
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def sign(request: Request, auth: Auth, timestamp_ms: int) -> SignedRequest:
    query = encode_query(request.query)
    body, content_type = encode_body(request)
    if request.body_format is BodyFormat.NONE:
        body, content_type = b"", ()
    digest = signature(auth.credentials.api_secret,
                       string_to_sign(timestamp_ms, request.method, request.path, query, body))
    headers = (*request.headers, *content_type, (KEY_HEADER, auth.credentials.api_key),
               (TIMESTAMP_HEADER, str(timestamp_ms)), (SIGNATURE_HEADER, digest))
    return SignedRequest(method=request.method, path=request.path, query_string=query,
                         body=body, headers=headers, request=request)
