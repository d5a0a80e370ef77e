"""The store on a full disk, killed mid-operation, and fed crafted files.

A full disk is injected rather than made: the store's writes go through the ``os`` module
of ``venuekit.store.atomic`` (connection and key files) and ``venuekit.store.testlog``
(log appends), so each test swaps that module reference for a :class:`FullDisk` that
behaves like ``os`` except that its writes fail with ``ENOSPC`` once ``full`` is set,
after writing half of what they were given, as a real short write before ENOSPC does.
"""

from __future__ import annotations

import errno
import json
import os
import pathlib
import sys
import threading
import types
from pathlib import Path
from typing import Any

import pytest
from venuekit.errors import ConfigurationError, StoreError
from venuekit.models import Credentials
from venuekit.store import (
    ConnectionNotFound,
    ConnectionStore,
    ExchangeConnection,
    Keyring,
    atomic,
    generate_key,
    testlog,
)

CREDS = Credentials(api_key="AKfaultsabcdefghijklmnop", api_secret="S3cr3t-faults-0123456789")

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("VENUEKIT_MASTER_KEY", "VENUEKIT_PASSPHRASE", "VENUEKIT_HOME"):
        monkeypatch.delenv(name, raising=False)


class FullDisk(types.ModuleType):
    """``os`` with a switch that makes ``write`` (and ``fsync``) fail with ENOSPC."""

    def __init__(self) -> None:
        super().__init__("os")
        self.full = False
        self.failures = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)

    def _fail(self) -> OSError:
        self.failures += 1
        return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def write(self, fd: int, data: bytes | memoryview) -> int:
        if not self.full:
            return os.write(fd, data)
        half = bytes(data)[:len(data) // 2]
        if half:
            os.write(fd, half)
        raise self._fail()

    def fsync(self, fd: int) -> None:
        if self.full:
            raise self._fail()
        os.fsync(fd)


@pytest.fixture
def disk(monkeypatch: pytest.MonkeyPatch) -> FullDisk:
    fake = FullDisk()
    monkeypatch.setattr(atomic, "os", fake)
    monkeypatch.setattr(testlog, "os", fake)
    return fake


def _file_store(root: Path) -> ConnectionStore:
    """A store whose keyring lives in ``<root>/master.key``, as the CLI's does."""
    return ConnectionStore(root, kdf_limits="interactive")


def _add(store: ConnectionStore, name: str) -> ExchangeConnection:
    return store.create(name=name, exchange="binance", credentials=CREDS)


def _unreadable_after_restart(root: Path) -> list[str]:
    """Ids whose secrets a fresh process (a new store on the same directory) cannot open."""
    fresh = _file_store(root)
    listing = fresh.list()
    bad = [problem.id for problem in listing.problems]
    for conn in listing:
        try:
            assert fresh.credentials(conn.id) == CREDS
        except StoreError:
            bad.append(conn.id)
    return bad


def _leftovers(root: Path) -> list[str]:
    """Temp files, empty files and files that are not whole JSON: what a crash leaves."""
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_dir() or path.name == ".lock":
            continue
        raw = path.read_bytes()
        if path.name.endswith(atomic.TEMP_SUFFIX) or not raw:
            found.append(path.name)
            continue
        lines = raw.splitlines() if path.suffix == ".jsonl" else [raw]
        if not raw.endswith(b"\n"):
            found.append(path.name)
            continue
        for line in lines:
            try:
                json.loads(line)
            except ValueError:
                found.append(path.name)
                break
    return found


# ---------------------------------------------------------------- finding 3: key rotation


def test_rotation_on_a_full_disk_loses_nothing_after_a_restart(tmp_path: Path,
                                                               disk: FullDisk) -> None:
    root = tmp_path / "home"
    store = _file_store(root)
    before = [_add(store, f"before-{i}").id for i in range(2)]
    key_file_bytes = (root / "master.key").read_bytes()

    disk.full = True
    with pytest.raises(StoreError, match=r"disk full \(ENOSPC\).*master\.key"):
        store.rotate_key()
    assert disk.failures
    disk.full = False
    after = [_add(store, f"after-{i}").id for i in range(2)]  # the same, long-lived store

    assert (root / "master.key").read_bytes() == key_file_bytes
    assert _unreadable_after_restart(root) == []
    assert {c.id for c in _file_store(root).list()} == set(before + after)
    assert _leftovers(root) == []


def test_a_failed_key_file_write_changes_nothing_in_memory(tmp_path: Path,
                                                            disk: FullDisk) -> None:
    keyring = Keyring.create_file(tmp_path, passphrase=None)
    ids, primary = keyring.key_ids, keyring.primary_id
    disk.full = True
    with pytest.raises(StoreError, match="ENOSPC"):
        keyring.add_primary()
    assert (keyring.key_ids, keyring.primary_id) == (ids, primary)
    with pytest.raises(StoreError, match="ENOSPC"):
        keyring.set_passphrase("a passphrase", limits="interactive")
    assert not keyring.protected
    disk.full = False
    keyring.add_primary()
    with pytest.raises(StoreError, match="ENOSPC"):
        disk.full = True
        keyring.retire_old()
    assert keyring.rotating  # still holds the old key, as the file on disk does
    disk.full = False
    assert Keyring.load(tmp_path).key_ids == keyring.key_ids


def test_a_full_disk_while_adding_a_connection_is_a_store_error(tmp_path: Path,
                                                                 disk: FullDisk) -> None:
    root = tmp_path / "home"
    store = _file_store(root)
    kept = _add(store, "kept")
    disk.full = True
    with pytest.raises(StoreError, match=r"disk full \(ENOSPC\) writing .*\.json"):
        _add(store, "lost")
    with pytest.raises(StoreError, match="ENOSPC"):
        store.set_enabled(kept.id, False)
    disk.full = False
    assert [c.id for c in _file_store(root).list()] == [kept.id]
    assert _file_store(root).get(kept.id).is_enabled
    assert _leftovers(root) == []


def test_a_full_disk_while_creating_the_key_file_leaves_no_key_file(tmp_path: Path,
                                                                     disk: FullDisk) -> None:
    disk.full = True
    with pytest.raises(StoreError, match="ENOSPC"):
        _add(_file_store(tmp_path / "home"), "first")
    assert not (tmp_path / "home" / "master.key").exists()
    disk.full = False
    assert _add(_file_store(tmp_path / "home"), "first").name == "first"
    assert _leftovers(tmp_path / "home") == []


# ---------------------------------------------------------------- finding 10: remove, logs


class Killed(BaseException):
    """Stands for a SIGKILL: nothing after it runs, no handler catches it."""


def test_a_kill_inside_remove_leaves_no_orphaned_log(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    store = ConnectionStore(tmp_path / "home", keyring=Keyring.from_keys(generate_key()))
    conn = _add(store, "main")
    store.append_log(conn.id, {"status": "ok"})
    real_unlink = pathlib.Path.unlink
    calls: list[str] = []

    def unlink_then_die(self: Path, missing_ok: bool = False) -> None:
        calls.append(self.name)
        if len(calls) == 2:
            raise Killed
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(pathlib.Path, "unlink", unlink_then_die)
    with pytest.raises(Killed):
        store.remove(conn.id)
    monkeypatch.setattr(pathlib.Path, "unlink", real_unlink)
    logs = {p.stem for p in store.logs_dir.glob("*.jsonl")}
    conns = {p.stem for p in store.connections_dir.glob("*.json")}
    assert logs <= conns, "a log outlived its connection"
    store.remove(conn.id)  # finishing the job works
    assert conn.id not in store


def test_remove_clears_an_orphaned_log_even_when_the_file_is_gone(store: ConnectionStore
                                                                    ) -> None:
    store.logs_dir.mkdir(parents=True)
    (store.logs_dir / "gone.jsonl").write_text('{"status": "ok"}\n')
    with pytest.raises(ConnectionNotFound):
        store.remove("gone")
    assert not (store.logs_dir / "gone.jsonl").exists()


def test_a_full_disk_on_the_first_log_append_leaves_no_empty_log(tmp_path: Path,
                                                                  disk: FullDisk) -> None:
    store = ConnectionStore(tmp_path / "home", keyring=Keyring.from_keys(generate_key()))
    conn = _add(store, "main")
    disk.full = True
    with pytest.raises(StoreError, match=r"disk full \(ENOSPC\).*\.jsonl"):
        store.append_log(conn.id, {"status": "failed", "detail": "x" * 200})
    disk.full = False
    assert not (store.logs_dir / f"{conn.id}.jsonl").exists()
    assert _leftovers(store.root) == []


def test_a_full_disk_on_a_later_log_append_leaves_no_torn_line(tmp_path: Path,
                                                                disk: FullDisk) -> None:
    store = ConnectionStore(tmp_path / "home", keyring=Keyring.from_keys(generate_key()))
    conn = _add(store, "main")
    store.append_log(conn.id, {"status": "ok", "n": 1})
    disk.full = True
    with pytest.raises(StoreError, match="ENOSPC"):
        store.append_log(conn.id, {"status": "ok", "n": 2, "detail": "y" * 200})
    disk.full = False
    assert _leftovers(store.root) == []
    assert [e["n"] for e in store.read_logs(conn.id)] == [1]


def test_a_full_disk_while_compacting_the_log_keeps_the_old_log(tmp_path: Path,
                                                                 disk: FullDisk) -> None:
    store = ConnectionStore(tmp_path / "home", keyring=Keyring.from_keys(generate_key()),
                            max_log_entries=2)
    conn = _add(store, "main")
    for n in (1, 2):
        store.append_log(conn.id, {"n": n})
    disk.full = True
    with pytest.raises(StoreError, match="ENOSPC"):
        store.append_log(conn.id, {"n": 3})
    disk.full = False
    assert [e["n"] for e in store.read_logs(conn.id)] == [2, 1]
    assert _leftovers(store.root) == []


# ---------------------------------------------------------------- finding 6: crafted files


@pytest.fixture
def listed(tmp_path: Path) -> tuple[ConnectionStore, list[str]]:
    """A store with two good connections; tests drop one crafted file beside them."""
    store = ConnectionStore(tmp_path / "home", keyring=Keyring.from_keys(generate_key()))
    return store, sorted(_add(store, name).id for name in ("alpha", "beta"))


def _good_file(store: ConnectionStore, conn_id: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((store.connections_dir / f"{conn_id}.json").read_text())
    return data


def _run_with_deadline(call: Any, seconds: float = 10.0) -> Any:
    """Run ``call`` on a thread; fail (instead of hanging the suite) if it blocks."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # reported to the test below
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"blocked for more than {seconds} s")
    if "error" in box:
        raise box["error"]
    return box["value"]


def _assert_one_problem(store: ConnectionStore, good: list[str], name: str) -> str:
    result = _run_with_deadline(store.list)
    assert sorted(c.id for c in result) == good
    assert [p.path.name for p in result.problems] == [name]
    reason: str = result.problems[0].reason
    return reason


def test_list_reports_a_huge_integer_and_loads_the_rest(
        listed: tuple[ConnectionStore, list[str]]) -> None:
    store, good = listed
    data = _good_file(store, good[0])
    text = json.dumps({**data, "id": "huge", "schema_version": "@"}).replace(
        '"schema_version": "@"', '"schema_version": ' + "9" * 5000)
    (store.connections_dir / "huge.json").write_text(text)
    assert "number" in _assert_one_problem(store, good, "huge.json")


def test_list_reports_deep_nesting_and_loads_the_rest(
        listed: tuple[ConnectionStore, list[str]]) -> None:
    store, good = listed
    (store.connections_dir / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    assert "nest" in _assert_one_problem(store, good, "deep.json")


def test_list_reports_moderate_nesting_inside_a_valid_file(
        listed: tuple[ConnectionStore, list[str]]) -> None:
    store, good = listed
    data = {**_good_file(store, good[0]), "id": "nested"}
    data["last_test_log"] = json.loads("[" * 200 + "]" * 200)
    (store.connections_dir / "nested.json").write_text(json.dumps(data))
    assert "nest" in _assert_one_problem(store, good, "nested.json")


def test_list_reports_undecodable_bytes_and_loads_the_rest(
        listed: tuple[ConnectionStore, list[str]]) -> None:
    store, good = listed
    (store.connections_dir / "bytes.json").write_bytes(b'{"id": "\xff\xfe"}')
    assert "UTF-8" in _assert_one_problem(store, good, "bytes.json")


@pytest.mark.parametrize("field, value", [("is_enabled", "yes"), ("last_test_log", [1]),
                                          ("name", 7), ("secrets", "sealed"),
                                          ("last_test_balance", {"BTC": "not a number"})])
def test_list_reports_a_wrong_type_and_loads_the_rest(
        listed: tuple[ConnectionStore, list[str]], field: str, value: object) -> None:
    store, good = listed
    data = {**_good_file(store, good[0]), "id": "typed", field: value}
    (store.connections_dir / "typed.json").write_text(json.dumps(data))
    assert field in _assert_one_problem(store, good, "typed.json")


def test_list_reports_an_oversized_file_and_loads_the_rest(
        listed: tuple[ConnectionStore, list[str]]) -> None:
    store, good = listed
    data = {**_good_file(store, good[0]), "id": "big", "last_test_log": ["z" * 2_000_000]}
    (store.connections_dir / "big.json").write_text(json.dumps(data))
    assert "larger than" in _assert_one_problem(store, good, "big.json")


@needs_fifo
def test_list_refuses_a_fifo_instead_of_hanging(
        listed: tuple[ConnectionStore, list[str]]) -> None:
    store, good = listed
    os.mkfifo(store.connections_dir / "x.json")
    assert "not a regular file" in _assert_one_problem(store, good, "x.json")


def test_list_refuses_a_directory_named_like_a_connection(
        listed: tuple[ConnectionStore, list[str]]) -> None:
    store, good = listed
    (store.connections_dir / "dir.json").mkdir()
    assert "not a regular file" in _assert_one_problem(store, good, "dir.json")


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_list_refuses_a_symlink(listed: tuple[ConnectionStore, list[str]],
                                tmp_path: Path) -> None:
    store, good = listed
    outside = tmp_path / "elsewhere.json"
    outside.write_text(json.dumps({**_good_file(store, good[0]), "id": "link"}))
    (store.connections_dir / "link.json").symlink_to(outside)
    assert "not a regular file" in _assert_one_problem(store, good, "link.json")


def test_get_of_a_crafted_file_is_a_store_error(
        listed: tuple[ConnectionStore, list[str]]) -> None:
    store, _ = listed
    (store.connections_dir / "deep.json").write_text("{" * 50_000)
    with pytest.raises(StoreError, match="nest"):
        store.get("deep")


def test_read_logs_skips_and_counts_bad_lines(tmp_path: Path) -> None:
    store = ConnectionStore(tmp_path / "home", keyring=Keyring.from_keys(generate_key()))
    conn = _add(store, "main")
    store.append_log(conn.id, {"n": 1})
    with open(store.logs_dir / f"{conn.id}.jsonl", "ab") as handle:
        handle.write(b'{"n": ' + b"9" * 5000 + b"}\n")      # too many digits
        handle.write(b"[" * 100_000 + b"\n")                 # too deep
        handle.write(b'{"n": "\xff"}\n')                     # not UTF-8
        handle.write(b'"a string, not an object"\n')
    store.append_log(conn.id, {"n": 2})
    page = _run_with_deadline(lambda: store.log_page(conn.id))
    assert [e["n"] for e in page.entries] == [2, 1]
    assert page.skipped == 4
    assert [e["n"] for e in store.read_logs(conn.id)] == [2, 1]


def test_read_logs_reads_a_bounded_tail_of_a_huge_log(tmp_path: Path) -> None:
    store = ConnectionStore(tmp_path / "home", keyring=Keyring.from_keys(generate_key()))
    conn = _add(store, "main")
    store.logs_dir.mkdir(exist_ok=True)
    line = json.dumps({"pad": "p" * 1000}).encode() + b"\n"
    (store.logs_dir / f"{conn.id}.jsonl").write_bytes(line * 20_000)  # ~20 MB
    store.append_log(conn.id, {"n": 1})
    entries = store.read_logs(conn.id, limit=3)
    assert entries[0] == {"n": 1} and len(entries) == 3


@needs_fifo
def test_read_logs_and_append_refuse_a_fifo(tmp_path: Path) -> None:
    store = ConnectionStore(tmp_path / "home", keyring=Keyring.from_keys(generate_key()))
    conn = _add(store, "main")
    store.logs_dir.mkdir(exist_ok=True)
    os.mkfifo(store.logs_dir / f"{conn.id}.jsonl")
    with pytest.raises(StoreError, match="not a regular file"):
        _run_with_deadline(lambda: store.read_logs(conn.id))
    with pytest.raises(StoreError, match="not a regular file"):
        _run_with_deadline(lambda: store.append_log(conn.id, {"n": 1}))


def _crafted_key_file(root: Path, kind: str) -> None:
    root.mkdir(parents=True, exist_ok=True)
    path = root / "master.key"
    if kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "oversized":
        path.write_bytes(b" " * (2 << 20))
    elif kind == "nested":
        path.write_text("[" * 20_000)  # under the size cap: the depth check must catch it
    elif kind == "huge number":
        path.write_text('{"format": "venuekit-keyring", "version": ' + "7" * 5000 + "}")


@pytest.mark.parametrize("kind", ["directory", pytest.param("fifo", marks=needs_fifo),
                                  "oversized"])
def test_a_master_key_that_is_no_key_file_is_a_clear_store_error(tmp_path: Path,
                                                                  kind: str) -> None:
    _crafted_key_file(tmp_path / "home", kind)
    store = ConnectionStore(tmp_path / "home")
    with pytest.raises(StoreError, match=r"master\.key: cannot read the key file: "
                                         r"(not a regular file|larger than)"):
        _run_with_deadline(lambda: store.keyring())


@pytest.mark.parametrize("kind", ["nested", "huge number"])
def test_a_master_key_with_crafted_json_is_a_clear_configuration_error(tmp_path: Path,
                                                                       kind: str) -> None:
    _crafted_key_file(tmp_path / "home", kind)
    store = ConnectionStore(tmp_path / "home")
    with pytest.raises(ConfigurationError, match=r"master\.key: cannot read the key file: "
                                                 r"(nested|holds a number)"):
        _run_with_deadline(lambda: store.keyring())


# ---------------------------------------------------------------- issue 17.6: wrong key


def test_a_connection_under_another_key_is_named_as_such_not_missing(tmp_path: Path) -> None:
    root = tmp_path / "home"
    writer = ConnectionStore(root, keyring=Keyring.from_keys(generate_key()))
    conn = _add(writer, "bn")
    other = ConnectionStore(root, keyring=Keyring.from_keys(generate_key()))
    for ref in ("bn", conn.id):
        with pytest.raises(StoreError) as caught:
            other.find(ref)
        assert not isinstance(caught.value, ConnectionNotFound)
        message = str(caught.value)
        assert writer.keyring().primary_id in message
        assert "VENUEKIT_MASTER_KEY" in message and "master.key" in message
    with pytest.raises(ConnectionNotFound, match="no connection"):
        other.find("nobody")
    assert writer.find("bn").id == conn.id
    assert writer.find(conn.id).name == "bn"


def test_cli_show_by_id_names_the_key_mismatch(monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Through the CLI as it is: lookup by id reaches the store's error unchanged."""
    from cli_support import cli_runner

    for cli in cli_runner(monkeypatch, tmp_path, capsys, CREDS.api_secret, CREDS.api_key):
        writer = ConnectionStore(cli.home)
        conn = _add(writer, "bn")
        wrote_with = writer.keyring().primary_id
        monkeypatch.setenv("VENUEKIT_MASTER_KEY", generate_key().hex())
        code, out, err = cli("connections", "show", conn.id)
        assert code != 0 and not out
        assert "no connection" not in err
        assert wrote_with in err and "VENUEKIT_MASTER_KEY" in err
