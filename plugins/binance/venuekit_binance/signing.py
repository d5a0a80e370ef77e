"""Binance SIGNED-endpoint authentication (USDⓈ-M futures General Info, "SIGNED Endpoint Security").

* ``totalParams`` is the query string concatenated with the request body, no separator.
* ``recvWindow`` (5000 ms) and ``timestamp`` (ms) are appended to the part that carries the
  signature; ``signature`` is always the last parameter of that part.
* HMAC keys: ``HMAC-SHA256(secretKey, totalParams)`` as lowercase hex.
* Ed25519 keys: the RFC 8032 signature of ``totalParams``, base64, then percent-encoded
  (``+``, ``/`` and ``=`` would otherwise be read as a space and separators).
* The key goes in the ``X-MBX-APIKEY`` header.

What is signed is exactly what is sent: the core puts these bytes on the wire verbatim.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

import nacl.exceptions
import nacl.signing
from venuekit.errors import ConfigurationError
from venuekit.hmac_sha256 import hmac_sha256
from venuekit.models import Auth, Credentials, KeyType
from venuekit.wire import BodyFormat, Request, SignedRequest, encode_query

API_KEY_HEADER = "X-MBX-APIKEY"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
#: How long Binance accepts a signed request after its timestamp (its documented default).
RECV_WINDOW_MS = 5000
#: Endpoints of security type USER_STREAM: the key header only (the listenKey calls).
USER_STREAM_PATHS = frozenset({"/fapi/v1/listenKey"})
_RECV_WINDOW_TEXT = f"recvWindow={RECV_WINDOW_MS}"
_FORM_HEADER = ("Content-Type", FORM_CONTENT_TYPE)

#: DER prefix of an Ed25519 private key in PKCS#8 (RFC 8410): SEQUENCE, version 0,
#: AlgorithmIdentifier 1.3.101.112, OCTET STRING wrapping the 32-byte seed.
_PKCS8_ED25519_PREFIX = bytes.fromhex("302e020100300506032b657004220420")


# ---------------------------------------------------------------- signatures


def hmac_signature(secret: str, payload: bytes) -> str:
    """HMAC-SHA256 of ``payload`` under ``secret``, lowercase hex."""
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def ed25519_signature(seed: bytes, payload: bytes) -> str:
    """Ed25519 signature of ``payload`` with the key from ``seed``, base64 (not URL-encoded)."""
    signed = nacl.signing.SigningKey(seed).sign(payload)
    return base64.b64encode(signed.signature).decode("ascii")


def ed25519_seed(private_key: str) -> bytes:
    """The 32-byte Ed25519 seed from how a user may hold it.

    Accepted: 64 hex characters; base64 of the 32-byte seed; base64 of the PKCS#8 DER;
    or the PKCS#8 PEM that Binance's key generator writes (``BEGIN PRIVATE KEY``).
    """
    text = private_key.strip()
    if text.startswith("-----BEGIN"):
        if "ENCRYPTED" in text.split("\n", 1)[0]:
            raise ConfigurationError("binance: the Ed25519 PEM is encrypted; give it unencrypted")
        text = "".join(line.strip() for line in text.splitlines()
                       if line.strip() and not line.startswith("-----"))
    elif len(text) == 64 and all(ch in "0123456789abcdefABCDEF" for ch in text):
        return bytes.fromhex(text)
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) == 32:
        return raw
    if len(raw) == 48 and raw.startswith(_PKCS8_ED25519_PREFIX):
        return raw[len(_PKCS8_ED25519_PREFIX):]
    raise ConfigurationError(
        "binance: private_key is not an Ed25519 key (expected a 32-byte seed as hex or "
        "base64, or a PKCS#8 PEM)")


def signature_for(credentials: Credentials, payload: bytes) -> str:
    """The value of the ``signature`` parameter, ready to put in a query or form body."""
    if credentials.key_type is KeyType.HMAC:
        if not credentials.api_secret:
            raise ConfigurationError("binance: an HMAC key needs its api_secret")
        return hmac_sha256(credentials).hexdigest(payload)  # = hmac_signature, keyed once
    if credentials.key_type is KeyType.ED25519:
        if not credentials.private_key:
            raise ConfigurationError(
                "binance: an Ed25519 key needs private_key (the 32-byte seed as hex or "
                "base64, or the PKCS#8 PEM)")
        try:
            value = ed25519_signature(ed25519_seed(credentials.private_key), payload)
        except (nacl.exceptions.CryptoError, ValueError, TypeError) as exc:
            raise ConfigurationError(f"binance: cannot sign with the Ed25519 key: "
                                     f"{type(exc).__name__}") from None
        return quote(value, safe="")
    raise ConfigurationError(
        f"binance: {credentials.key_type.value} keys are not supported (HMAC and Ed25519 are)")


# ---------------------------------------------------------------- requests


def _form_pairs(request: Request) -> list[tuple[str, str]]:
    if request.body is None or request.body_format is BodyFormat.NONE:
        return []
    if request.body_format is not BodyFormat.FORM:
        raise ValueError("binance takes form-encoded bodies only, never JSON")
    items: Iterable[tuple[Any, Any]] = (
        request.body.items() if isinstance(request.body, Mapping) else request.body)
    pairs = []
    for key, value in items:  # a loop, not a comprehension: no extra call per order
        if type(value) is str and type(key) is str:  # what the endpoints build
            pairs.append((key, value))
        elif value is not None:
            pairs.append((str(key), _form_text(value)))
    return pairs


def _form_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def sign(request: Request, auth: Auth, timestamp_ms: int) -> SignedRequest:
    """Add ``recvWindow``, ``timestamp`` and ``signature``; fix the bytes to send.

    The timing parameters and the signature go into the body when the request has one,
    else into the query string, so ``signature`` always ends the part it is in. The
    request's own parameters are encoded once and the timing ones appended as text (they
    are digits and letters, which percent-encoding leaves as they are).
    """
    credentials = auth.credentials
    key_header = (API_KEY_HEADER, credentials.api_key)
    query = request.query
    if request.path in USER_STREAM_PATHS:
        # USER_STREAM security (listenKey): the API key alone, no timestamp, no signature
        return SignedRequest(method=request.method, path=request.path,
                             query_string=encode_query(query),
                             headers=(*request.headers, key_header), request=request)
    body = _form_pairs(request)
    own = body if body else query
    timing = (f"timestamp={timestamp_ms}"
              if (query and _names(query, "recvWindow")) or (body and _names(body, "recvWindow"))
              else f"{_RECV_WINDOW_TEXT}&timestamp={timestamp_ms}")
    carried = f"{encode_query(own)}&{timing}" if own else timing
    if body:
        query_string = encode_query(query) if query else ""
        signature = signature_for(credentials, (query_string + carried).encode("ascii"))
        return SignedRequest(method=request.method, path=request.path,
                             query_string=query_string,
                             body=f"{carried}&signature={signature}".encode("ascii"),
                             headers=(*request.headers, key_header, _FORM_HEADER),
                             request=request)
    signature = signature_for(credentials, carried.encode("ascii"))
    return SignedRequest(method=request.method, path=request.path,
                         query_string=f"{carried}&signature={signature}",
                         headers=(*request.headers, key_header), request=request)


def _names(pairs: Iterable[tuple[str, str]], name: str) -> bool:
    """Whether ``name`` is among the parameter names of ``pairs``."""
    for key, _ in pairs:  # noqa: SIM110 - a loop: any() with a generator costs more here
        if key == name:
            return True
    return False
