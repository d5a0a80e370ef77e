"""Pionex authentication: HMAC-SHA256 in lowercase hex, sent in the ``PIONEX-SIGNATURE`` header.

The string to sign (PX-OAS "Authentication", PX-GB "Signing", and Pionex's own client
``pionex-ai-kit``)::

    METHOD + path + "?" + sorted_query + body

* ``sorted_query``: every query parameter, *including* ``timestamp`` (ms), as ``key=value``
  with the raw value (not URL-encoded), sorted by key in ascending ASCII order, joined by
  ``&``. The ``?`` is always there: a request's query holds at least the timestamp.
* ``body``: the exact JSON bytes sent (POST and DELETE put their parameters there; the
  timestamp stays in the query). Nothing is appended when there is no body.

The query goes on the wire in that same sorted order. Every value venuekit sends (symbols,
order ids, client ids ``[a-zA-Z0-9-]``, digits) is made of URL-safe characters, so the wire
bytes and the signed bytes are identical; a value that ever needed escaping would be
percent-encoded on the wire and signed raw, as the documentation asks.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from venuekit.models import Auth
from venuekit.wire import Request, SignedRequest, encode_json, encode_query

__all__ = [
    "KEY_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_PARAM",
    "body_bytes",
    "sign",
    "signature",
    "sorted_params",
    "string_to_sign",
]

KEY_HEADER = "PIONEX-KEY"
SIGNATURE_HEADER = "PIONEX-SIGNATURE"
TIMESTAMP_PARAM = "timestamp"
JSON_CONTENT_TYPE = ("Content-Type", "application/json")


def sorted_params(query: Iterable[tuple[str, str]], timestamp_ms: int) -> list[tuple[str, str]]:
    """The request's parameters plus ``timestamp``, sorted by key (ASCII, ascending).

    A ``timestamp`` already in the query is replaced: the signer owns the clock.
    """
    params = [(key, value) for key, value in query if key != TIMESTAMP_PARAM]
    params.append((TIMESTAMP_PARAM, str(timestamp_ms)))
    return sorted(params, key=lambda pair: pair[0])


def string_to_sign(method: str, path: str, params: Iterable[tuple[str, str]],
                   body: bytes) -> bytes:
    """``METHOD + path + "?" + k=v&k=v + body`` with raw values, as bytes."""
    query = "&".join(f"{key}={value}" for key, value in params)
    return f"{method.upper()}{path}?{query}".encode() + body


def signature(secret: str, payload: bytes) -> str:
    """HMAC-SHA256 of ``payload`` under the API secret, lowercase hex."""
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def body_bytes(request: Request) -> bytes:
    """The exact body bytes: compact JSON of a dict, or bytes/str the request already holds.

    Pre-encoded bodies exist for one reason: Pionex's own worked example signs a body with
    a space after the colon, and reproducing it needs those exact bytes.
    """
    body = request.body
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return encode_json(body)


def sign(request: Request, auth: Auth, timestamp_ms: int) -> SignedRequest:
    """Sign ``request`` the Pionex way; the returned query string and body are sent verbatim."""
    params = sorted_params(request.query, timestamp_ms)
    body = body_bytes(request)
    credentials = auth.credentials
    digest = signature(credentials.api_secret,
                       string_to_sign(request.method, request.path, params, body))
    content_type = (JSON_CONTENT_TYPE,) if body else ()
    headers = (*request.headers, *content_type, (KEY_HEADER, credentials.api_key),
               (SIGNATURE_HEADER, digest))
    return SignedRequest(method=request.method, path=request.path,
                         query_string=encode_query(params), body=body, headers=headers,
                         request=request)
