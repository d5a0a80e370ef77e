"""JSON out: one encoder for every response, ASCII-only so any stored text is safe to send."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web

__all__ = ["JSON_CONTENT_TYPE", "dumps", "json_response", "raw_json_response"]

JSON_CONTENT_TYPE = "application/json"


def dumps(payload: Any) -> bytes:
    """Compact JSON; ``ensure_ascii`` so even a hand-edited file's odd text encodes."""
    return json.dumps(payload, separators=(",", ":")).encode("ascii")


def json_response(payload: Any, *, status: int = 200,
                  headers: Mapping[str, str] | None = None) -> web.Response:
    return raw_json_response(dumps(payload), status=status, headers=headers)


def raw_json_response(body: bytes, *, status: int = 200,
                      headers: Mapping[str, str] | None = None) -> web.Response:
    """A response from JSON already encoded (the cached listings)."""
    return web.Response(body=body, status=status, headers=headers,
                        content_type=JSON_CONTENT_TYPE, charset="utf-8")
