"""The store against other processes: writers killed mid-write, and writers racing."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import attrs
import pytest
from venuekit.models import Credentials
from venuekit.store import ConnectionStore
from venuekit.store.atomic import TEMP_SUFFIX

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs fork and SIGKILL")

HELPER = Path(__file__).parent / "store_helpers" / "writer.py"
KILLS = 200


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name in ("VENUEKIT_MASTER_KEY", "VENUEKIT_PASSPHRASE", "VENUEKIT_HOME"):
        monkeypatch.delenv(name, raising=False)
    return dict(os.environ)


def _check_consistent(root: Path, last: dict[str, int], temps: set[str]) -> bool:
    """Every file parses and holds one whole state, no older than the last one seen.

    Returns whether the killed writer left a new temp file behind (it died inside a write).
    """
    new_temp = False
    for path in root.rglob("*"):
        if path.name.endswith(TEMP_SUFFIX):
            new_temp = new_temp or path.name not in temps
            temps.add(path.name)
        elif path.suffix == ".json" or path.name == "master.key":
            json.loads(path.read_bytes())
    store = ConnectionStore(root)  # a fresh keyring: what a process starting now would see
    result = store.list()
    assert result.problems == ()
    assert len(result.connections) == 3
    for conn in result:
        gen = int(conn.name.removeprefix("gen-"))
        assert conn.last_test_log == (f"gen-{gen}",)
        assert conn.api_capabilities == (f"gen-{gen}",)
        assert conn.last_test_balance is not None
        assert conn.last_test_balance["GEN"] == gen
        assert store.credentials(conn.id).api_secret == f"secret-{gen}"
        assert gen >= last.get(conn.id, 0), "a file went back to an older state"
        last[conn.id] = gen
        for entry in store.read_logs(conn.id, limit=1000):
            assert 0 < entry["gen"] <= gen
    return new_temp


def test_writer_killed_at_random_moments_leaves_old_or_new_state(
        tmp_path: Path, env: dict[str, str]) -> None:
    root = tmp_path / "home"
    store = ConnectionStore(root, max_log_entries=20)
    for n in range(3):
        conn = store.create(name="gen-0", exchange="sim", credentials=Credentials(
            api_key=f"unused-{n}", api_secret="secret-0"))
        store.update(conn.id, lambda c: attrs.evolve(
            c, last_test_log=("gen-0",), api_capabilities=("gen-0",),
            last_test_balance={"GEN": "0"}))
    last: dict[str, int] = {}
    rng = random.Random(20240601)
    kills_inside_a_write = 0
    temps: set[str] = set()
    with (tmp_path / "writer.err").open("w") as stderr, subprocess.Popen(
            [sys.executable, str(HELPER), "serve", str(root)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=stderr, text=True, env=env) as server:
        assert server.stdin is not None and server.stdout is not None
        assert server.stdout.readline().strip() == "ready"
        for _ in range(KILLS):
            server.stdin.write("fork\n")
            server.stdin.flush()
            pid = int(server.stdout.readline())
            time.sleep(rng.uniform(0.001, 0.020))
            os.kill(pid, signal.SIGKILL)
            server.stdin.write(f"reap {pid}\n")
            server.stdin.flush()
            ended = int(server.stdout.readline())
            assert ended == signal.SIGKILL, (tmp_path / "writer.err").read_text()
            kills_inside_a_write += _check_consistent(root, last, temps)
        server.stdin.write("quit\n")
    # the test means something only if writers made progress and died mid-write
    assert sum(last.values()) > KILLS
    assert kills_inside_a_write > 0


def test_two_processes_updating_one_connection_lose_no_update(
        tmp_path: Path, env: dict[str, str]) -> None:
    root = tmp_path / "home"
    conn = ConnectionStore(root).create(name="0", exchange="sim",
                                        credentials=Credentials(api_key="k", api_secret="s"))
    command = [sys.executable, str(HELPER), "incr", str(root), conn.id, "100"]
    procs = [subprocess.Popen(command,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
             for _ in range(2)]
    for proc in procs:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
    for proc in procs:  # both are loaded before either starts: they race from the first update
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    runs: list[list[int]] = []
    for proc in procs:
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0
        runs.append([int(line) for line in out.split()])
    assert ConnectionStore(root).get(conn.id).name == "200"
    assert sorted(runs[0] + runs[1]) == list(range(1, 201))  # each value written exactly once
    assert min(runs[0]) < max(runs[1]) and min(runs[1]) < max(runs[0])  # they did overlap
