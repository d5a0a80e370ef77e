"""Shared helpers of the console tests: an app over a temp store, and logging in."""

from __future__ import annotations

import re
from typing import Any

from aiohttp.test_utils import TestClient

TOKEN = "console-test-token-0123456789"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found is not None, html[:500]
    return found.group(1)


async def login(client: TestClient[Any, Any], token: str = TOKEN) -> str:
    """Log in through the form; returns the session's CSRF token (from the list page)."""
    page = await client.get("/login")
    assert page.status == 200
    resp = await client.post("/login", data={"token": token, "csrf": csrf_of(await page.text())},
                             allow_redirects=False)
    assert resp.status == 303, await resp.text()
    index = await client.get("/")
    assert index.status == 200
    return csrf_of(await index.text())
