"""Cross-site request forgery: no form can be posted from another site.

Two layers. The session cookie is ``SameSite=Strict``, so a browser does not even send it
with a request another site starts. And every form carries a token the attacker cannot
read: logged in, the session's own random token; on the login form (no session yet), a
*signed double submit*: a random nonce in its own ``SameSite=Strict`` cookie and, in the
form, an HMAC of that nonce under a key made when the application starts. A login forged
from elsewhere (logging the victim into an attacker's session) therefore fails too.

Comparisons use :func:`hmac.compare_digest`. The JSON API never reads these cookies: it
takes only its bearer token, which a browser never attaches on its own, so CSRF cannot
reach it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = ["FIELD", "LOGIN_COOKIE", "LoginGuard", "same"]

#: The hidden form field every console form carries.
FIELD = "csrf"
#: The cookie holding the login form's nonce.
LOGIN_COOKIE = "venuekit_login"


def same(given: str | None, expected: str) -> bool:
    """Whether ``given`` is the expected token, in time independent of where they differ."""
    if not given:
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"),
                               expected.encode("utf-8", "surrogatepass"))


class LoginGuard:
    """Signs and checks the login form's nonce (stateless: nothing kept per visitor)."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key if key is not None else secrets.token_bytes(32)

    @staticmethod
    def new_nonce() -> str:
        return secrets.token_urlsafe(16)

    def token_for(self, nonce: str) -> str:
        return hmac.new(self._key, nonce.encode("utf-8", "surrogatepass"),
                        hashlib.sha256).hexdigest()

    def check(self, nonce: str | None, token: str | None) -> bool:
        return bool(nonce) and same(token, self.token_for(nonce or ""))
