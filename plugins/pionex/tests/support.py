"""Shared test helpers: the Pionex documentation's credentials and response builders."""

from __future__ import annotations

import json
from typing import Any

from venuekit.models import Credentials
from venuekit.wire import Response

#: The secret of Pionex's worked signing example (PX-GB "Authentication"). Public test data.
DOC_SECRET = "NFqv4MB3hB0SOiEsJNDP9e0jDdKPWbDqS_Z1dbU4"
#: The API key of Pionex's WebSocket authentication example (Chinese WS basics page).
DOC_KEY = "OElNn5D_Frnf5MR0ChjYdG7PunK0AOgHTvevwzWS"
DOC_TIMESTAMP = 1655896754515

DOC_CREDENTIALS = Credentials(api_key=DOC_KEY, api_secret=DOC_SECRET)

#: Made-up credentials the hook tests sign with (the ``venuekit_credentials`` fixture).
HOOK_CREDENTIALS = Credentials(api_key="test-key-0123456789abcdef",
                               api_secret="test-secret-0123456789abcdef0123456789")

#: Status codes Pionex uses for each error code family (PX-OAS: 400 BadRequest, 401
#: Unauthorized); parse_error does not depend on them, tests send them for realism.
AUTH_CODES = frozenset({
    "APIKEY_LOST", "INVALID_APIKEY", "INVALIE_APIKEY", "APIKEY_EXPIRED", "IP_NOT_WHITELISTED",
    "PERMISSION_DENIED", "SIGNATURE_LOST", "INVALID_SIGNATURE", "INVALID_TIMESTAMP",
})


def response(payload: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return Response(exchange="pionex", status=status, headers=headers or {}, body=body)


def pionex_error(code: Any, message: str) -> Response:
    """A failure exactly as Pionex sends it; code 429 is the bare HTTP rate-limit answer."""
    if code == 429:
        return response(b"Too Many Requests", status=429)
    status = 401 if code in AUTH_CODES else 400
    return response({"result": False, "code": str(code), "message": message,
                     "timestamp": 1566691672311}, status=status)
