"""The HTTP API a host app (or its web UI) uses to manage and test exchange connections.

Build it with :func:`create_app` over a :class:`~venuekit.store.ConnectionStore`; serve it
with ``venuekit serve``. Routes, the token, limits and errors are described in the OpenAPI
document it serves at ``GET /api/openapi.json`` (:mod:`venuekit.api.openapi`).
"""

from __future__ import annotations

from .app import DEFAULT_MAX_BODY_BYTES, create_app
from .auth import ENV_TOKEN, TOKEN_FILE, ApiToken, resolve_token
from .errors import ApiError
from .openapi import build_document

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "ENV_TOKEN",
    "TOKEN_FILE",
    "ApiError",
    "ApiToken",
    "build_document",
    "create_app",
    "resolve_token",
]
