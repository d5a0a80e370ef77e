"""The OKX simulator's authentication check, written from OKX's description (OK-OV).

Independent of :mod:`venuekit_okx.signing` on purpose: the prehash is rebuilt from the raw
request line and body bytes as they arrived and the ISO timestamp is parsed here, so a
misunderstanding shared by signer and verifier cannot pass unnoticed (both are tested
against the same computed vectors).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import UTC, datetime

from aiohttp import web
from venuekit.testing import ErrorKind, SimReject, Simulator

#: REST timestamp window. OKX states 30 s for WS login only (okx.md, doubt 6); same here.
WINDOW_MS = 30_000
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})Z")


def parse_iso_ms(value: str) -> int:
    """``2020-12-08T09:08:57.715Z`` -> ms since the epoch; OKX's format only."""
    match = _ISO.fullmatch(value)
    if match is None:
        raise ValueError(value)
    y, mo, d, h, mi, s, ms = (int(part) for part in match.groups())
    moment = datetime(y, mo, d, h, mi, s, tzinfo=UTC)
    return int(moment.timestamp()) * 1000 + ms


def expected_signature(secret: str, timestamp: str, method: str, target: str,
                       body: bytes) -> str:
    """OKX's recipe: Base64(HMAC-SHA256(secret, timestamp + METHOD + requestPath + body))."""
    message = timestamp.encode() + method.upper().encode() + target.encode() + body
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def verify(sim: Simulator, request: web.Request, body: bytes, *, demo: bool | None) -> None:
    """Environment, key, passphrase, timestamp and signature, in OKX's order of checks.

    ``demo``: True accepts only demo-trading requests (``x-simulated-trading: 1``), False
    only live ones, None either; the wrong one is OKX's 50101.
    """
    headers = request.headers
    if demo is not None and (headers.get("x-simulated-trading") == "1") != demo:
        raise SimReject(ErrorKind.AUTH, "APIKey does not match current environment.", code="50101")
    key = headers.get("OK-ACCESS-KEY")
    if not key:
        raise SimReject(ErrorKind.AUTH, 'Request header "OK-ACCESS-KEY" cannot be empty.',
                        code="50103")
    sim.check_api_key(key)
    passphrase = headers.get("OK-ACCESS-PASSPHRASE")
    if not passphrase:
        raise SimReject(ErrorKind.AUTH, 'Request header "OK-ACCESS-PASSPHRASE" cannot be empty.',
                        code="50104")
    if not hmac.compare_digest(passphrase, sim.credentials.passphrase or ""):
        raise SimReject(ErrorKind.AUTH, 'Request header "OK-ACCESS-PASSPHRASE" incorrect.',
                        code="50105")
    timestamp = headers.get("OK-ACCESS-TIMESTAMP", "")
    if not timestamp:
        raise SimReject(ErrorKind.TIMESTAMP,
                        'Request header "OK-ACCESS-TIMESTAMP" cannot be empty.',
                        code="50107")
    try:
        sent_ms = parse_iso_ms(timestamp)
    except ValueError:
        raise SimReject(ErrorKind.TIMESTAMP, "Invalid OK-ACCESS-TIMESTAMP.", code="50112") from None
    sim.check_timestamp(sent_ms, window_ms=WINDOW_MS, ahead_ms=WINDOW_MS)
    sign = headers.get("OK-ACCESS-SIGN")
    if not sign:
        raise SimReject(ErrorKind.SIGNATURE, 'Request header "OK-ACCESS-SIGN" cannot be empty.',
                        code="50106")
    query = request.rel_url.raw_query_string
    target = request.rel_url.raw_path + (f"?{query}" if query else "")
    expected = expected_signature(sim.credentials.api_secret, timestamp, request.method,
                                  target, body)
    if not hmac.compare_digest(expected, sign):
        raise sim.reject_signature("Invalid signature.")
