"""The bearer token: every route but health needs it, where it comes from, and `serve`."""

from __future__ import annotations

import hmac
import os
import re
import signal
import stat
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from api_support import TOKEN, Api, assert_error, create_body, snapshot
from pytest_aiohttp import AiohttpClient
from venuekit.api import ENV_TOKEN, TOKEN_FILE, create_app, resolve_token
from venuekit.api import auth as auth_module
from venuekit.cli import main
from venuekit.cli.serve import is_loopback
from venuekit.errors import ConfigurationError
from venuekit.registry import Registry
from venuekit.store import ConnectionStore

FAKE_ID = "0123456789abcdef"


@pytest.fixture
async def api(aiohttp_client: AiohttpClient, store: ConnectionStore,
              registry: Registry) -> Api:
    return Api(await aiohttp_client(create_app(store, token=TOKEN, registry=registry)))


def protected_routes() -> list[tuple[str, str]]:
    # the JSON API's routes; the console's take a session instead (tests/test_console.py)
    app = create_app(ConnectionStore("/nonexistent"), token=TOKEN,
                     registry=Registry(autoload=False), console=False)
    found = []
    for route in app.router.routes():
        path = route.resource.canonical if route.resource else ""
        if route.name != "getHealth":
            found.append((route.method, path.replace("{id}", FAKE_ID)))
    return found


ROUTES = protected_routes()
BAD_HEADERS = {
    "missing": None,
    "wrong token": f"Bearer {TOKEN}x",
    "prefix of the token": f"Bearer {TOKEN[:-1]}",
    "basic scheme": f"Basic {TOKEN}",
    "no scheme": TOKEN,
    "empty bearer": "Bearer ",
    "non-ascii": "Bearer tökén-ünïcode-ŧ",
}


@pytest.mark.parametrize("header", list(BAD_HEADERS.values()), ids=list(BAD_HEADERS))
@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
async def test_every_route_but_health_needs_the_token(api: Api, store: ConnectionStore,
                                                      method: str, path: str,
                                                      header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    body = create_body() if method in ("POST", "PATCH") else None
    status, payload, got = await api.call(method, path, json=body, headers=headers,
                                          token=None)
    assert_error(status, payload, 401, "unauthorized")
    assert got["WWW-Authenticate"].startswith("Bearer")
    assert TOKEN not in repr(payload)
    assert snapshot(store.root) == {}


def test_every_route_is_covered() -> None:
    names = {(m, p) for m, p in ROUTES}
    assert len(names) == 15 and ("GET", "/api/openapi.json") in names
    assert ("GET", "/api/connections/0123456789abcdef/fills") in names


async def test_the_scheme_is_case_insensitive(api: Api) -> None:
    status, _, _ = await api.call("GET", "/api/connections/active",
                                  headers={"Authorization": f"bearer {TOKEN}"}, token=None)
    assert status == 200


async def test_the_comparison_is_constant_time(api: Api,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, Any]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(auth_module.hmac, "compare_digest", spy)
    await api.call("GET", "/api/plugins", token="nope-nope-nope-nope")
    assert calls and all(isinstance(a, bytes) and isinstance(b, bytes) for a, b in calls)


def test_create_app_needs_a_token(store: ConnectionStore) -> None:
    with pytest.raises(ValueError, match="token"):
        create_app(store, token="")


# ---------------------------------------------------------------- where the token comes from


def test_a_token_file_is_made_once_with_mode_0600(tmp_path: Path) -> None:
    root = tmp_path / "home"
    first = resolve_token(root, environ={})
    assert first.created and first.source == str(root / TOKEN_FILE)
    assert len(first.value) >= 40 and first.value not in repr(first)
    if sys.platform != "win32":
        assert stat.S_IMODE((root / TOKEN_FILE).stat().st_mode) == 0o600
        assert stat.S_IMODE(root.stat().st_mode) == 0o700
    again = resolve_token(root, environ={})
    assert again.value == first.value and not again.created
    assert [p.name for p in root.iterdir()] == [TOKEN_FILE]  # no temp file left


def test_two_servers_starting_at_once_agree_on_one_token(tmp_path: Path) -> None:
    root = tmp_path / "home"
    tokens: list[str] = []
    barrier = threading.Barrier(8)

    def start() -> None:
        barrier.wait()
        tokens.append(resolve_token(root, environ={}).value)

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(tokens)) == 1 and len(tokens) == 8


def test_the_environment_wins_and_is_checked(tmp_path: Path) -> None:
    token = resolve_token(tmp_path, environ={ENV_TOKEN: "from-the-environment-123"})
    assert token.value == "from-the-environment-123" and token.source == f"${ENV_TOKEN}"
    assert not (tmp_path / TOKEN_FILE).exists()
    for weak in ("tiny-tok", "has spaces in the token value", "tab\there-and-long-enough"):
        with pytest.raises(ConfigurationError, match=ENV_TOKEN) as info:
            resolve_token(tmp_path, environ={ENV_TOKEN: weak})
        assert weak not in str(info.value)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_a_token_file_others_can_read_is_refused(tmp_path: Path) -> None:
    resolve_token(tmp_path, environ={})
    os.chmod(tmp_path / TOKEN_FILE, 0o644)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        resolve_token(tmp_path, environ={})


# ---------------------------------------------------------------- venuekit serve


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.8.0.1", True), ("::1", True), ("[::1]", True),
    ("localhost", True), ("0.0.0.0", False),  # noqa: S104 ("::", False), ("192.168.1.10", False),
    ("example.com", False), ("localhost.evil.example", False)])
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_serve_refuses_a_remote_host_without_allow_remote(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--host", "0.0.0.0", "--home", str(tmp_path)]) == 2  # noqa: S104
    assert "--allow-remote" in capsys.readouterr().err
    assert not (tmp_path / TOKEN_FILE).exists()


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGTERM")
def test_serve_prints_where_the_token_is_and_serves(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != ENV_TOKEN}
    proc = subprocess.Popen(
        [sys.executable, "-m", "venuekit", "serve", "--port", "0", "--home", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        second = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/api", first)
        assert match, first
        assert str(tmp_path / TOKEN_FILE) in second
        token = (tmp_path / TOKEN_FILE).read_text().strip()
        assert token not in first + second
        base = f"http://127.0.0.1:{match.group(1)}/api"
        with urllib.request.urlopen(f"{base}/health", timeout=5) as resp:  # noqa: S310
            assert resp.status == 200
        request = urllib.request.Request(  # noqa: S310 - an http:// URL built above
            f"{base}/connections/active", headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=5) as resp:  # noqa: S310
            assert resp.read() == b'{"connections":[]}'
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
