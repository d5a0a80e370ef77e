"""Shared helpers of the HTTP API tests: a client that remembers every response, so each
test can assert that no secret ever left the server, and a byte-level store snapshot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

API_KEY = "AKIA-public-key-1234567890-WXYZ"
API_SECRET = "s3cret-value-that-must-never-leak-42"
PASSPHRASE = "pass-phrase-never-shown-77"
PRIVATE_KEY = "private-key-material-never-shown-99"
SECRETS = (API_SECRET, PASSPHRASE, PRIVATE_KEY)


def credentials_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"api_key": API_KEY, "api_secret": API_SECRET,
                            "passphrase": PASSPHRASE, "private_key": PRIVATE_KEY}
    body.update(changes)
    return body


def create_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "main account", "exchange": "example",
                            "credentials": credentials_body()}
    body.update(changes)
    return body


class Api:
    """A test client that sends the token unless told otherwise and records every reply."""

    def __init__(self, client: TestClient[Any, Any], secrets: tuple[str, ...] = SECRETS) -> None:
        self.client = client
        self.secrets = list(secrets)
        self.seen: list[str] = []

    async def call(self, method: str, path: str, *, json: Any = None, data: Any = None,
                   headers: dict[str, str] | None = None,
                   token: str | None = TOKEN) -> tuple[int, Any, dict[str, str]]:
        sent = dict(headers or {})
        if token is not None:
            sent.setdefault("Authorization", f"Bearer {token}")
        if json is not None:
            resp = await self.client.request(method, path, json=json, headers=sent)
        else:
            resp = await self.client.request(method, path, data=data, headers=sent)
        text = await resp.text()
        head = dict(resp.headers)
        self.seen.append(text)
        self.seen.append(repr(head))
        payload = None
        if text:
            assert resp.content_type == "application/json", (resp.status, text)
            payload = await resp.json()
        return resp.status, payload, head

    def assert_no_secret(self) -> None:
        everything = "\n".join(self.seen)
        for secret in self.secrets:
            assert secret not in everything


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under the store root, byte for byte."""
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def assert_error(status: int, payload: Any, expected_status: int, code: str,
                 mentions: str = "") -> None:
    assert status == expected_status, payload
    assert set(payload) == {"error"} and set(payload["error"]) == {"code", "message"}
    assert payload["error"]["code"] == code, payload
    assert mentions in payload["error"]["message"], payload
