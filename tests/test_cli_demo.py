"""`venuekit demo` and `venuekit sandbox`, in process and as the real console script."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from account_support import variant as without_capabilities
from aiohttp import web
from cli_support import SECRET_ENV, example_registry, isolate
from venuekit import Capability
from venuekit import demo as demo_module
from venuekit.cli import main
from venuekit.connector import connect
from venuekit.registry import PluginInfo, Registry
from venuekit.testing.example.simulator import ExampleSimulator
from venuekit.testing.simulator import ErrorKind, Simulator

SIM_SECRET = ExampleSimulator().credentials.api_secret


def command() -> list[str]:
    """The installed console script, or ``python -m venuekit`` where there is none."""
    script = Path(sys.executable).with_name("venuekit")
    return [str(script)] if script.exists() else [sys.executable, "-m", "venuekit"]


def clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SECRET_ENV}
    env["VENUEKIT_HOME"] = str(home)
    return env


# ---------------------------------------------------------------- demo, in process


def test_demo_uses_a_temporary_store_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    home, _ = isolate(monkeypatch, tmp_path)
    monkeypatch.setenv("VENUEKIT_MASTER_KEY", "not-a-key")  # the demo must not even read it
    assert main(["demo"]) == 0
    out, err = capsys.readouterr()
    header, _, row = out.splitlines()[:3]
    assert header.split() == ["exchange", "result", "test", "balance", "order", "open",
                              "orders", "positions", "cancel", "stream", "store", "time"]
    assert row.split()[:4] == ["example", "PASS", "ok", row.split()[3]]
    assert "100000 USDT" in row and "canceled" in row and "sealed" in row
    assert " ".join(row.split()).count("open 1 listed 0 open canceled fill") == 1
    assert "[1/1] example PASS" in err
    assert SIM_SECRET not in out + err
    assert not home.exists()


def test_demo_json(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                   capsys: pytest.CaptureFixture[str]) -> None:
    isolate(monkeypatch, tmp_path)
    assert main(["--json", "demo"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["exchange"] == "example" and row["ok"] is True and row["store"] == "sealed"
    assert (row["open_orders"], row["positions"]) == ("1 listed", "0 open")
    assert row["stream"].startswith("fill 0.")  # the marketable order's fill, on the stream


def test_demo_shows_n_a_where_the_venue_lacks_the_operations(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    bare = without_capabilities(without={Capability.FETCH_OPEN_ORDERS,
                                         Capability.FETCH_OPEN_ORDERS_ALL_SYMBOLS,
                                         Capability.FETCH_POSITIONS})
    isolate(monkeypatch, tmp_path,
            lambda: Registry(extra={"example": bare}, autoload=False))

    def simulator(plugin: PluginInfo) -> type[Simulator]:
        return ExampleSimulator

    monkeypatch.setattr(demo_module, "find_simulator", simulator)
    assert main(["--json", "demo"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["ok"] is True and (row["open_orders"], row["positions"]) == ("n/a", "n/a")


class ForgetfulSimulator(ExampleSimulator):
    """Lists no open orders, even with one resting: the demo must not call that a pass."""

    async def open_orders(self, request: web.Request) -> web.Response:
        await self.verify(request)
        return self.ok([])


def test_demo_fails_when_the_resting_order_is_not_listed(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    isolate(monkeypatch, tmp_path)

    def forgetful(plugin: PluginInfo) -> type[Simulator]:
        return ForgetfulSimulator

    monkeypatch.setattr(demo_module, "find_simulator", forgetful)
    assert main(["--json", "demo"]) == 1
    [row] = json.loads(capsys.readouterr().out)
    assert row["ok"] is False and row["open_orders"] == "MISSING (0 listed)"
    assert "was not listed" in row["error"] and row["cancel"] == "canceled"


class RefusingSimulator(ExampleSimulator):
    """Refuses every key: the demo must report the venue failed, and exit 1."""

    def __init__(self) -> None:
        super().__init__()
        self.faults.error_next(ErrorKind.AUTH, 1000)


def test_demo_fails_when_a_venue_fails(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    isolate(monkeypatch, tmp_path)

    def refusing(plugin: PluginInfo) -> type[Simulator]:
        return RefusingSimulator

    monkeypatch.setattr(demo_module, "find_simulator", refusing)
    assert main(["demo"]) == 1
    out, err = capsys.readouterr()
    assert "example   FAIL" in out and "example: VenuekitError: " in out
    assert "[1/1] example FAIL" in err


def test_sandbox_usage_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    isolate(monkeypatch, tmp_path)
    assert main(["sandbox", "nowhere"]) == 2
    assert "no simulator for nowhere; available: example" in capsys.readouterr().err
    assert main(["sandbox", "--port", "70000"]) == 2


# ---------------------------------------------------------------- the real command


def test_console_script_demo(tmp_path: Path) -> None:
    result = subprocess.run([*command(), "--json", "demo"], capture_output=True, text=True,
                            env=clean_env(tmp_path / "home"), timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert rows and all(row["ok"] for row in rows)
    assert len([line for line in result.stderr.splitlines() if line.startswith("[")]) == len(rows)
    assert not (tmp_path / "home").exists()


def _start_sandbox(tmp_path: Path, *options: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([*command(), "sandbox", "example", *options],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=clean_env(tmp_path / "home"))
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if line.startswith("example "):
            return proc, "".join(seen)
    proc.kill()
    raise AssertionError(f"the sandbox printed no venue line: {''.join(seen)!r}")


def test_sandbox_serves_until_sigterm(tmp_path: Path) -> None:
    proc, head = _start_sandbox(tmp_path)
    try:
        url = head.splitlines()[-1].split()[1]
        assert url.startswith("http://127.0.0.1:") and "sim-…cdef" in head

        async def check() -> bool:
            sim_creds = ExampleSimulator().credentials
            async with connect("example", sim_creds, base_url=url,
                               registry=example_registry()) as conn:
                return (await conn.check_connection()).ok

        assert asyncio.run(check())
        assert proc.stdout is not None
        hint = proc.stdout.readline()  # read here: communicate() skips what is buffered
        proc.send_signal(signal.SIGTERM)
        rest, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "--show-secrets prints them" in hint
    assert SIM_SECRET not in head + hint + rest + err and "sandbox stopped" in err


def test_sandbox_shows_secrets_only_when_asked(tmp_path: Path) -> None:
    proc, head = _start_sandbox(tmp_path, "--show-secrets")
    try:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0
    assert SIM_SECRET in head


def test_console_script_store_round_trip(tmp_path: Path) -> None:
    """`connections add` with no terminal: env vars or exit 2; then list it, key masked."""
    env = clean_env(tmp_path / "home")
    env["VENUEKIT_MASTER_KEY"] = "11" * 32
    code = ("import sys; from venuekit.cli import common, main; "
            "from venuekit.registry import Registry; "
            "from venuekit.testing.example import plugin; "
            "common.REGISTRY_FACTORY = lambda: Registry(extra={'example': plugin}, "
            "autoload=False); sys.exit(main(sys.argv[1:]))")
    add = [sys.executable, "-c", code, "connections", "add", "--name", "m",
           "--exchange", "example"]
    result = subprocess.run(add, capture_output=True, text=True, env=env, timeout=60,
                            stdin=subprocess.DEVNULL, check=False)
    assert result.returncode == 2 and "set VENUEKIT_API_KEY" in result.stderr
    sim = ExampleSimulator().credentials
    result = subprocess.run(add, capture_output=True, text=True, timeout=60, check=False,
                            stdin=subprocess.DEVNULL,
                            env={**env, "VENUEKIT_API_KEY": sim.api_key,
                                 "VENUEKIT_API_SECRET": sim.api_secret})
    assert result.returncode == 0, result.stderr
    listing = subprocess.run([*command(), "connections", "list"], capture_output=True,
                             text=True, env=env, timeout=60, check=False)
    assert listing.returncode == 0, listing.stderr
    assert " m " in listing.stdout and "sim-…cdef" in listing.stdout
    for text in (result.stdout, result.stderr, listing.stdout, listing.stderr):
        assert sim.api_secret not in text and sim.api_key not in text
    for path in (tmp_path / "home").rglob("*"):
        if path.is_file():
            assert sim.api_secret.encode() not in path.read_bytes()
            assert sim.api_key.encode() not in path.read_bytes()
