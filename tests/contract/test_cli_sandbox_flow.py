"""Finding 1 of issue 17, end to end with real processes on loopback and no URL typed:
``venuekit sandbox --register`` in one process, then ``connections test --all`` in another,
then ``venuekit serve`` and ``POST .../test`` against the sandbox. Every wait is bounded.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import SECRET_ENV

VENUES = ("binance", "okx")  # okx: a venue with a passphrase
TIMEOUT_S = 60


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "venuekit", *args]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SECRET_ENV}
    env.update(VENUEKIT_HOME=str(tmp_path / "home"), VENUEKIT_MASTER_KEY="22" * 32,
               VENUEKIT_PLUGINS=",".join(VENUES))
    return env


def _stop(proc: subprocess.Popen[str]) -> str:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    return err


@pytest.fixture
def sandbox(env: dict[str, str]) -> Iterator[list[dict[str, object]]]:
    proc = subprocess.Popen(command("--json", "sandbox", *VENUES, "--register"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    lines: list[str] = []
    try:
        for line in proc.stdout:  # the JSON list ends with a line "]"
            lines.append(line)
            if line.rstrip() == "]":
                break
        rows = json.loads("".join(lines))
        yield rows
    finally:
        err = _stop(proc)
    assert proc.returncode == 0, err


def test_register_then_test_all_then_serve_without_typing_a_url(
        sandbox: list[dict[str, object]], env: dict[str, str]) -> None:
    assert sorted(str(r["connection"]) for r in sandbox) == [f"sandbox-{v}" for v in VENUES]
    for row in sandbox:  # credentials machine-readable but masked without --show-secrets
        assert row["secrets_shown"] is False and "…" in str(row["api_key"])
        assert str(row["stream_base_url"]).startswith("ws://127.0.0.1:")

    tested = subprocess.run(command("connections", "test", "--all", "--json"), env=env,
                            capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    assert tested.returncode == 0, tested.stderr
    results = json.loads(tested.stdout)
    urls = {str(r["connection"]): r["base_url"] for r in sandbox}
    assert {r["name"]: r["base_url"] for r in results} == urls
    assert all(r["ok"] and r["custom_host"] for r in results)

    server = subprocess.Popen(command("serve", "--port", "0"), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert server.stdout is not None
        first = server.stdout.readline()
        assert first.startswith("venuekit API on "), first
        api = first.split()[3]
        token = (Path(env["VENUEKIT_HOME"]) / "api.token").read_text().strip()
        okx = str(next(r["connection_id"] for r in sandbox if r["exchange"] == "okx"))
        assert api.startswith("http://127.0.0.1:")
        request = urllib.request.Request(  # noqa: S310 - a loopback http URL, checked above
            f"{api}/settings/connections/{okx}/test", method="POST",
            headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310
            body = json.loads(response.read())
    finally:
        _stop(server)
    assert body["status"] == "ok", body
    assert body["base_url"] == urls["sandbox-okx"] and body["custom_host"] is True


def test_registering_again_refreshes_instead_of_adding(env: dict[str, str]) -> None:
    ids = []
    for _ in range(2):
        proc = subprocess.Popen(command("--json", "sandbox", "binance", "--register"),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=env)
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.rstrip() == "]":
                break
        _stop(proc)
        ids.append(json.loads("".join(lines))[0]["connection_id"])
    assert ids[0] == ids[1]
    listing = subprocess.run(command("--json", "connections", "list"), env=env,
                             capture_output=True, text=True, timeout=TIMEOUT_S, check=True)
    assert [c["name"] for c in json.loads(listing.stdout)["connections"]] == ["sandbox-binance"]
