"""Bybit V5 authentication: HMAC-SHA256, lowercase hex, in ``X-BAPI-*`` headers.

String to sign (Bybit V5 integration guide, "Authentication")::

    timestamp + api_key + recv_window + (query string  for GET
                                         | JSON body    for POST)

plain concatenation without separators. The query string and the body are signed exactly as
they are sent: the core puts these bytes on the wire verbatim, so nothing is re-encoded or
re-ordered between signing and sending. Bybit does not require sorted parameters.

Only system-generated (HMAC) keys are supported. Self-generated RSA keys sign with
RSA-SHA256/PKCS#1 v1.5 and need an RSA library the core does not ship.
"""

from __future__ import annotations

import hashlib
import hmac

from venuekit.errors import PluginError
from venuekit.models import Auth
from venuekit.wire import BodyFormat, Request, SignedRequest, encode_json, encode_query

KEY_HEADER = "X-BAPI-API-KEY"
TIMESTAMP_HEADER = "X-BAPI-TIMESTAMP"
RECV_WINDOW_HEADER = "X-BAPI-RECV-WINDOW"
SIGNATURE_HEADER = "X-BAPI-SIGN"
SIGN_TYPE_HEADER = "X-BAPI-SIGN-TYPE"
#: "2" is HMAC-SHA256 in Bybit's official SDK; the V5 guide treats the header as optional.
SIGN_TYPE_HMAC = "2"
#: Milliseconds a signed request stays acceptable (Bybit's default and ours).
RECV_WINDOW_MS = 5000


def string_to_sign(timestamp_ms: int, api_key: str, recv_window_ms: int,
                   payload: bytes) -> bytes:
    """``timestamp + api_key + recv_window + payload``; payload is the query or the body."""
    return f"{timestamp_ms}{api_key}{recv_window_ms}".encode() + payload


def signature(secret: str, data: bytes) -> str:
    """HMAC-SHA256 of ``data`` under ``secret``, lowercase hex."""
    return hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()


def body_bytes(request: Request) -> bytes:
    """The exact body to send: compact JSON, or bytes/str given pre-encoded, sent as is."""
    body = request.body
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    if request.body_format is BodyFormat.FORM:
        raise PluginError("Bybit V5 takes JSON bodies only, not forms", plugin="bybit")
    return encode_json(body)


def sign(request: Request, auth: Auth, timestamp_ms: int) -> SignedRequest:
    """Sign ``request`` and fix its bytes; the signature goes in ``X-BAPI-SIGN``."""
    query = encode_query(request.query)
    body = body_bytes(request)
    if request.method == "GET" and body:
        # Bybit answers a GET that carries a body with HTTP 403.
        raise PluginError("a GET request to Bybit must not carry a body", plugin="bybit")
    payload = query.encode() if request.method == "GET" else body
    creds = auth.credentials
    digest = signature(creds.api_secret,
                       string_to_sign(timestamp_ms, creds.api_key, RECV_WINDOW_MS, payload))
    headers: list[tuple[str, str]] = [
        *request.headers,
        (KEY_HEADER, creds.api_key),
        (TIMESTAMP_HEADER, str(timestamp_ms)),
        (RECV_WINDOW_HEADER, str(RECV_WINDOW_MS)),
        (SIGNATURE_HEADER, digest),
        (SIGN_TYPE_HEADER, SIGN_TYPE_HMAC),
    ]
    if body:
        headers.append(("Content-Type", "application/json"))
    return SignedRequest(method=request.method, path=request.path, query_string=query,
                         body=body, headers=headers, request=request)
