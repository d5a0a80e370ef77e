"""OrangeX authentication: a bearer token on every private call, obtained from /public/auth.

OrangeX does not sign requests. ``/public/auth`` trades the API key for an access token
(about 12 hours), and every ``/private/*`` call carries ``Authorization: bearer <token>``
(the REST placement OrangeX support confirmed; a token in ``params`` is refused with 10000).

Two ways to get the token:

``client_credentials`` (default)
    ``client_id`` and ``client_secret`` in the request body. The only grant reported to
    work live (OX-DY). The body holds the secret, so the request is sent unsigned and the
    core never logs bodies.

``client_signature`` (opt in: ``VENUEKIT_ORANGEX_GRANT=client_signature``)
    ``client_id``, ``timestamp`` (ms, a string), ``nonce`` and ``signature`` =
    lowercase hex of HMAC-SHA256(client_secret, client_id + "\\n" + timestamp + "\\n" +
    nonce + "\\n"). The secret never leaves the process. Reported as refused live by one
    user (OX-DY), so it is not the default. The login request is marked ``signed`` so the
    core's :func:`sign` fills in the timestamp from its venue-synced clock.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import os
from collections.abc import Mapping
from typing import Any

from venuekit.errors import ConfigurationError
from venuekit.models import Auth
from venuekit.wire import Request, SignedRequest, encode_json

AUTH_METHOD = "/public/auth"
#: Environment variable choosing the grant; read each time a login is built, never at import.
GRANT_ENV = "VENUEKIT_ORANGEX_GRANT"
JSON_CONTENT_TYPE = ("Content-Type", "application/json")


class Grant(enum.Enum):
    CLIENT_CREDENTIALS = "client_credentials"
    CLIENT_SIGNATURE = "client_signature"


def grant_from_env(environ: Mapping[str, str] | None = None) -> Grant:
    """The grant chosen by ``VENUEKIT_ORANGEX_GRANT`` (default ``client_credentials``)."""
    raw = (os.environ if environ is None else environ).get(GRANT_ENV, "").strip().lower()
    if not raw:
        return Grant.CLIENT_CREDENTIALS
    try:
        return Grant(raw)
    except ValueError:
        choices = ", ".join(g.value for g in Grant)
        raise ConfigurationError(f"{GRANT_ENV}={raw!r} is not an OrangeX grant; "
                                 f"use one of: {choices}") from None


def string_to_sign(client_id: str, timestamp_ms: int | str, nonce: str) -> bytes:
    """``client_id \\n timestamp \\n nonce \\n``: each line ends in one LF, the last too."""
    return f"{client_id}\n{timestamp_ms}\n{nonce}\n".encode()


def client_signature(client_secret: str, client_id: str, timestamp_ms: int | str,
                     nonce: str) -> str:
    """The ``signature`` of a ``client_signature`` login (lowercase hex HMAC-SHA256)."""
    return hmac.new(client_secret.encode(), string_to_sign(client_id, timestamp_ms, nonce),
                    hashlib.sha256).hexdigest()


def sign(request: Request, auth: Auth, timestamp_ms: int) -> SignedRequest:
    """Fix the bytes of a signed request.

    A login gets what its grant needs from the credentials (the client_signature timestamp
    comes from the core's venue-synced clock); every other signed request (the private
    methods) gets the bearer token of the current session.
    """
    if request.path == AUTH_METHOD:
        body = _signed_login_body(request, auth, timestamp_ms)
        headers = (*request.headers, JSON_CONTENT_TYPE)
    else:
        token = auth.token
        if token is None:
            raise ConfigurationError(
                f"OrangeX: {request.path} needs a bearer token, and no login has produced one")
        body = request.body
        headers = (*request.headers, JSON_CONTENT_TYPE,
                   ("Authorization", f"bearer {token.access_token}"))
    return SignedRequest(method=request.method, path=request.path,
                         body=encode_json(body), headers=headers, request=request)


def _signed_login_body(request: Request, auth: Auth, timestamp_ms: int) -> dict[str, Any]:
    """Complete a login body from the credentials: the key and, by grant, the secret or the
    timestamp and signature over the key, the timestamp and the request's nonce."""
    body = request.body
    params = body.get("params") if isinstance(body, Mapping) else None
    if not isinstance(body, Mapping) or not isinstance(params, Mapping):
        raise ConfigurationError("OrangeX: a login request needs JSON-RPC params")
    credentials = auth.credentials
    completed = {**params, "client_id": params.get("client_id") or credentials.api_key}
    grant = params.get("grant_type")
    if grant == Grant.CLIENT_CREDENTIALS.value:
        completed["client_secret"] = credentials.api_secret
    elif grant == Grant.CLIENT_SIGNATURE.value:
        timestamp = str(timestamp_ms)
        completed["timestamp"] = timestamp
        completed["signature"] = client_signature(
            credentials.api_secret, str(completed["client_id"]), timestamp,
            str(params.get("nonce", "")))
    else:
        raise ConfigurationError(f"OrangeX: cannot sign a {grant!r} login")
    return {**body, "params": completed}
