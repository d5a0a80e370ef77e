"""The simulator's session authority: OrangeX's ``/public/auth`` and bearer tokens.

Written from the venue's description, apart from the plugin's signer: it compares the client
secret, or recomputes the ``client_signature`` HMAC from the raw parameters; it issues
tokens that expire (:meth:`TokenAuthority.expire_tokens` and
:meth:`TokenAuthority.revoke_tokens` end them early, for relogin tests); and every private
method demands ``Authorization: bearer <token>`` with a live token whose scope allows it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from venuekit.testing.simulator import ErrorKind, SimReject, Simulator

DEFAULT_SCOPE = "account:read_write block_trade:read trade:read_write wallet:read"
TOKEN_LIFETIME_S = 43199.0  # the docs' example
SIGNATURE_WINDOW_MS = 30_000  # undocumented; the simulator accepts +-30 s

AUTH_FAILURE = 10000
PARAMS_NOT_VALID = 8000


@dataclass
class Session:
    access_token: str
    refresh_token: str
    expires_ms: int
    scope: str


class TokenAuthority(Simulator):
    """A simulator base that logs clients in and checks their bearer tokens."""

    #: seconds a token lives, and the scope a login is granted, unless a test passes its own
    token_lifetime_s: float = TOKEN_LIFETIME_S
    scope: str = DEFAULT_SCOPE

    def __init__(self, *, token_lifetime_s: float | None = None, scope: str | None = None,
                 **options: Any) -> None:
        super().__init__(**options)
        if token_lifetime_s is not None:
            self.token_lifetime_s = token_lifetime_s
        if scope is not None:
            self.scope = scope
        self.sessions: dict[str, Session] = {}
        self.logins = 0
        self.token_refusals = 0  # private calls refused for an expired or unknown token

    def expire_tokens(self) -> None:
        """Let every issued token run out now (the next private call is refused)."""
        for session in self.sessions.values():
            session.expires_ms = self.now_ms() - 1

    def revoke_tokens(self) -> None:
        """Forget every issued token, as a venue restart or a key reset would."""
        self.sessions.clear()

    def check_bearer(self, request: web.Request) -> Session:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise SimReject(ErrorKind.AUTH, "no bearer token")
        session = self.sessions.get(token.strip())
        if session is None or session.expires_ms <= self.now_ms():
            raise SimReject(ErrorKind.TOKEN_EXPIRED, "token expired or revoked")
        return session

    def _require_scope(self, request: web.Request, area: str, level: str) -> None:
        session = self.check_bearer(request)
        granted = {}
        for item in session.scope.split():
            name, _, value = item.partition(":")
            granted[name] = value
        if granted.get(area) not in ({level, "read_write"} if level == "read" else {level}):
            raise SimReject(ErrorKind.PERMISSION, f"scope lacks {area}:{level}")

    def _check_secret(self, params: Mapping[str, Any]) -> None:
        if params.get("client_id") != self.credentials.api_key:
            raise SimReject(ErrorKind.AUTH, "unknown client_id")
        secret = str(params.get("client_secret", ""))
        if not hmac.compare_digest(secret.encode(), self.credentials.api_secret.encode()):
            raise SimReject(ErrorKind.AUTH, "wrong client_secret")

    def verify_signature(self, params: Mapping[str, Any]) -> None:
        """Check a client_signature login as OrangeX documents it, from the raw params."""
        client_id = params.get("client_id")
        if client_id != self.credentials.api_key:
            raise SimReject(ErrorKind.AUTH, "unknown client_id")
        timestamp = params.get("timestamp")
        self.check_timestamp(str(timestamp), window_ms=SIGNATURE_WINDOW_MS,
                             ahead_ms=SIGNATURE_WINDOW_MS)
        nonce = str(params.get("nonce", ""))
        payload = f"{client_id}\n{timestamp}\n{nonce}\n".encode()
        expected = hmac.new(self.credentials.api_secret.encode(), payload,
                            hashlib.sha256).hexdigest()
        given = str(params.get("signature", "")).lower()
        if not hmac.compare_digest(expected, given):
            raise self.reject_signature()

    async def auth(self, request: web.Request, params: Mapping[str, Any]) -> Any:
        grant = params.get("grant_type")
        if grant == "client_credentials":
            self._check_secret(params)
        elif grant == "client_signature":
            self.verify_signature(params)
        elif grant == "refresh_token":
            old = next((s for s in self.sessions.values()
                        if s.refresh_token == params.get("refresh_token")), None)
            if old is None:
                raise SimReject(ErrorKind.AUTH, "unknown refresh_token")
        else:
            raise SimReject(ErrorKind.INVALID, f"grant_type {grant!r}")
        self.logins += 1
        session = Session(access_token=secrets.token_urlsafe(32),
                           refresh_token=secrets.token_urlsafe(32),
                           expires_ms=self.now_ms() + int(self.token_lifetime_s * 1000),
                           scope=self.scope)
        self.sessions[session.access_token] = session
        return {"access_token": session.access_token, "token_type": "bearer",
                "refresh_token": session.refresh_token,
                "expires_in": int(self.token_lifetime_s), "scope": session.scope}
