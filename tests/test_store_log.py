"""The per-connection test log: bounded, paged newest first, scrubbed, crash tolerant."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from venuekit.errors import StoreError
from venuekit.models import Credentials
from venuekit.store import ConnectionNotFound, ConnectionStore
from venuekit.store.testlog import scrub

CREDS = Credentials(api_key="AKabcdefghijklmnopqrstuv", api_secret="S3cr3t-value-0123456789",
                    passphrase="4242")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("VENUEKIT_MASTER_KEY", "VENUEKIT_PASSPHRASE", "VENUEKIT_HOME"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def store(tmp_path: Path) -> ConnectionStore:
    return ConnectionStore(tmp_path / "home", max_log_entries=5)


def _log_lines(store: ConnectionStore, conn_id: str) -> list[bytes]:
    return (store.logs_dir / f"{conn_id}.jsonl").read_bytes().splitlines()


def test_log_is_bounded_and_pages_newest_first(store: ConnectionStore) -> None:
    conn = store.create(name="c", exchange="sim", credentials=CREDS)
    assert store.read_logs(conn.id) == []
    for n in range(12):
        store.append_log(conn.id, {"n": n})
        assert len(_log_lines(store, conn.id)) == min(n + 1, 5)
    assert [e["n"] for e in store.read_logs(conn.id)] == [11, 10, 9, 8, 7]
    assert [e["n"] for e in store.read_logs(conn.id, offset=1, limit=2)] == [10, 9]
    assert store.read_logs(conn.id, offset=5) == []
    with pytest.raises(ValueError, match="negative"):
        store.read_logs(conn.id, offset=-1)
    with pytest.raises(ConnectionNotFound):
        store.read_logs("missing")


def test_entries_keep_their_values(store: ConnectionStore) -> None:
    conn = store.create(name="c", exchange="sim", credentials=CREDS)
    store.append_log(conn.id, {"ok": True, "latency_ms": 12.5, "balance": Decimal("0.10"),
                               "steps": [{"name": "time", "ok": True}]})
    [entry] = store.read_logs(conn.id)
    assert entry == {"ok": True, "latency_ms": 12.5, "balance": "0.10",
                     "steps": [{"name": "time", "ok": True}]}


def test_log_never_holds_a_secret(store: ConnectionStore) -> None:
    conn = store.create(name="c", exchange="sim", credentials=CREDS)
    store.append_log(conn.id, {
        "error": f"invalid key {CREDS.api_key}",
        "request": {"X-API-KEY": CREDS.api_key, "sig": f"secret={CREDS.api_secret}&x=1"},
        CREDS.api_secret: "as a key, too",
        "passphrase": CREDS.passphrase,
        "pin": 4242,
        "unrelated": "order 42424 filled",  # a short secret only goes where it is the value
    })
    raw = (store.logs_dir / f"{conn.id}.jsonl").read_bytes()
    assert CREDS.api_key.encode() not in raw and CREDS.api_secret.encode() not in raw
    [entry] = store.read_logs(conn.id)
    assert entry["error"] == "invalid key ***"
    assert entry["request"] == {"X-API-KEY": "***", "sig": "secret=***&x=1"}
    assert entry["***"] == "as a key, too"
    assert entry["passphrase"] == "***" and entry["pin"] == "***"
    assert entry["unrelated"] == "order 42424 filled"


def test_scrub_leaves_values_alone_without_secrets() -> None:
    value = {"a": [1, "x"], "b": None}
    assert scrub(value, []) is value
    assert scrub(("ab", "abcdefgh"), ["abcdefgh"]) == ["ab", "***"]


def test_a_torn_last_line_is_skipped_then_cut_off(store: ConnectionStore) -> None:
    conn = store.create(name="c", exchange="sim", credentials=CREDS)
    store.append_log(conn.id, {"n": 1})
    path = store.logs_dir / f"{conn.id}.jsonl"
    with path.open("ab") as handle:
        handle.write(b'{"n": 2, "det')  # a writer killed mid-append
    assert [e["n"] for e in store.read_logs(conn.id)] == [1]
    store.append_log(conn.id, {"n": 3})
    assert [json.loads(line)["n"] for line in _log_lines(store, conn.id)] == [1, 3]


def test_appending_needs_a_readable_connection(store: ConnectionStore) -> None:
    conn = store.create(name="c", exchange="sim", credentials=CREDS)
    store.path_of(conn.id).write_text("{")
    with pytest.raises(StoreError, match="cannot scrub"):
        store.append_log(conn.id, {"n": 1})
    assert not (store.logs_dir / f"{conn.id}.jsonl").exists()


def test_record_test_scrubs_the_latest_log_lines(store: ConnectionStore) -> None:
    conn = store.create(name="c", exchange="sim", credentials=CREDS)
    store.record_test(conn.id, "failed", log_lines=[f"401 for key {CREDS.api_key}", "4242"])
    assert store.get(conn.id).last_test_log == ("401 for key ***", "***")
