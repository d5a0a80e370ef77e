"""The connection store: the model, the files, and the files it must refuse."""

from __future__ import annotations

import json
import os
import stat
import threading
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from venuekit.errors import StoreError
from venuekit.models import Credentials
from venuekit.store import (
    ConnectionNotFound,
    ConnectionStatus,
    ConnectionStore,
    ExchangeConnection,
    Keyring,
    default_root,
    generate_key,
)
from venuekit.store.model import SCHEMA_VERSION

CREDS = Credentials(api_key="AKabcdefghijklmnopqrstuv", api_secret="S3cr3t-value-0123456789",
                    passphrase="pass-phrase-42")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("VENUEKIT_MASTER_KEY", "VENUEKIT_PASSPHRASE", "VENUEKIT_HOME"):
        monkeypatch.delenv(name, raising=False)


def _add(store: ConnectionStore, name: str = "main", creds: Credentials = CREDS,
         **kwargs: object) -> ExchangeConnection:
    return store.create(name=name, exchange="binance", credentials=creds, **kwargs)  # type: ignore[arg-type]


# ---------------------------------------------------------------- model


def test_repr_str_and_public_view_hold_no_secret() -> None:
    conn = ExchangeConnection(name="main", exchange="binance", secrets=CREDS)
    shown = [repr(conn), str(conn), repr(CREDS), str(CREDS), json.dumps(conn.public_view())]
    for text in shown:
        for secret in (CREDS.api_key, CREDS.api_secret, CREDS.passphrase):
            assert secret is not None and secret not in text
    assert conn.public_view()["api_key"] == "AKab…stuv"
    assert conn.api_key_hint == "AKab…stuv"


def test_model_normalises_values_and_keeps_the_hint_in_step() -> None:
    at = datetime(2024, 5, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    conn = ExchangeConnection(name="n", exchange="okx", last_test_status="ok",
                              last_test_balance={"BTC": "0.10", "USDT": 5},
                              last_test_at=at, api_capabilities=["spot"])
    assert conn.last_test_status is ConnectionStatus.OK
    assert conn.last_test_balance == {"BTC": Decimal("0.10"), "USDT": Decimal(5)}
    assert conn.last_test_at == at and conn.last_test_at.tzinfo is UTC
    assert conn.api_capabilities == ("spot",)
    other = Credentials(api_key="ZZZZ-another-key-9999")
    assert attrs.evolve(conn, secrets=other).api_key_hint == "ZZZZ…9999"
    with pytest.raises(ValueError, match="timezone"):
        ExchangeConnection(name="n", exchange="okx", last_test_at=datetime(2024, 1, 1))
    with pytest.raises(ValueError, match="id"):
        ExchangeConnection(name="n", exchange="okx", id="../escape")


# ---------------------------------------------------------------- round trip


def test_create_get_list_and_credentials_round_trip(store: ConnectionStore) -> None:
    conn = _add(store, is_testnet=True, api_capabilities=("spot", "swap"))
    _add(store, name="Alpha")
    loaded = store.get(conn.id)
    assert loaded == conn  # secrets are not compared, and a loaded connection has none
    assert loaded.secrets is None
    assert loaded.is_testnet and loaded.api_capabilities == ("spot", "swap")
    assert loaded.last_test_status is ConnectionStatus.NEVER
    assert store.credentials(conn.id) == CREDS
    result = store.list()
    assert result.ok and [c.name for c in result] == ["Alpha", "main"]
    assert conn.id in store and "nope" not in store


def test_update_set_enabled_record_test_and_remove(store: ConnectionStore) -> None:
    conn = _add(store)
    assert not store.set_enabled(conn.id, False).is_enabled
    assert not store.get(conn.id).is_enabled
    at = datetime(2024, 6, 1, 8, 30, tzinfo=UTC)
    store.record_test(conn.id, "ok", {"BTC": Decimal("0.5")}, at, ["spot"], ["time ok"])
    tested = store.get(conn.id)
    assert tested.last_test_status is ConnectionStatus.OK
    assert tested.last_test_balance == {"BTC": Decimal("0.5")}
    assert tested.last_test_at == at
    assert tested.api_capabilities == ("spot",) and tested.last_test_log == ("time ok",)
    store.record_test(conn.id, ConnectionStatus.FAILED)  # capabilities kept, log replaced
    failed = store.get(conn.id)
    assert failed.api_capabilities == ("spot",) and failed.last_test_log == ()
    assert failed.last_test_balance is None
    assert store.credentials(conn.id) == CREDS  # updates carry the sealed block over
    new = Credentials(api_key="rolled-key-000000000", api_secret="rolled-secret")
    store.replace_credentials(conn.id, new)
    assert store.credentials(conn.id) == new
    assert store.get(conn.id).api_key_hint == "roll…0000"
    store.append_log(conn.id, {"ok": True})
    store.remove(conn.id)
    assert not (store.logs_dir / f"{conn.id}.jsonl").exists()
    with pytest.raises(ConnectionNotFound):
        store.get(conn.id)
    with pytest.raises(ConnectionNotFound):
        store.remove(conn.id)


def test_update_refuses_a_changed_id_and_unknown_ids(store: ConnectionStore) -> None:
    conn = _add(store)
    with pytest.raises(StoreError, match="id cannot change"):
        store.update(conn.id, lambda c: attrs.evolve(c, id="other"))
    for bad in ("missing", "../../etc/passwd", ""):
        with pytest.raises(ConnectionNotFound):
            store.update(bad, lambda c: c)
    with pytest.raises(StoreError, match="exists"):
        store.add(conn)
    with pytest.raises(StoreError, match="credentials"):
        store.add(ExchangeConnection(name="x", exchange="binance"))


def test_threads_sharing_one_store_lose_no_update(store: ConnectionStore) -> None:
    conn = _add(store, name="0")

    def bump() -> None:
        for _ in range(25):
            store.update(conn.id, lambda c: attrs.evolve(c, name=str(int(c.name) + 1)))

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.get(conn.id).name == "100"


# ---------------------------------------------------------------- the files


def test_directories_0700_files_0600_even_under_a_loose_umask(tmp_path: Path) -> None:
    old = os.umask(0o002)
    try:
        store = ConnectionStore(tmp_path / "a" / "home")
        conn = _add(store)
        store.append_log(conn.id, {"ok": True})
    finally:
        os.umask(old)
    for directory in (store.root, store.root.parent, store.connections_dir, store.logs_dir):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    for path in (store.root / "master.key", store.path_of(conn.id),
                 store.logs_dir / f"{conn.id}.jsonl"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_reading_an_empty_or_missing_store_creates_nothing(tmp_path: Path) -> None:
    store = ConnectionStore(tmp_path / "home")
    assert store.list().connections == ()
    assert not store.root.exists()


def test_file_format(store: ConnectionStore) -> None:
    conn = _add(store)
    store.record_test(conn.id, "ok", {"BTC": "1.50"}, datetime(2024, 1, 2, tzinfo=UTC))
    data = json.loads(store.path_of(conn.id).read_text())
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["last_test_balance"] == {"BTC": "1.50"}  # Decimal as text, never a float
    assert data["last_test_at"] == "2024-01-02T00:00:00+00:00"
    assert set(data["secrets"]) == {"alg", "key_id", "box"}
    assert data["secrets"]["key_id"] == store.keyring().primary_id
    assert data["api_key_hint"] == "AKab…stuv"


def test_no_secret_in_clear_in_any_file(store: ConnectionStore) -> None:
    secrets: list[str] = []
    for n in range(3):
        creds = Credentials(api_key=f"api-key-{n}-ABCDEFGH", api_secret=f"api-secret-{n}-XYZ",
                            passphrase=f"phrase-{n}-QRST", private_key=f"pem-{n}-LMNOPQ")
        secrets += [creds.api_key, creds.api_secret, creds.passphrase or "",
                    creds.private_key or ""]
        conn = _add(store, name=f"c{n}", creds=creds)
        # a venue that echoes the key back must not put it on disk through us
        store.record_test(conn.id, "failed", log_lines=[f"bad key {creds.api_key}"])
        store.append_log(conn.id, {"error": f"{creds.api_secret} rejected",
                                   "request": {"passphrase": creds.passphrase}})
    store.rotate_key()
    files = [p for p in store.root.rglob("*") if p.is_file()]
    assert len(files) >= 7
    for path in files:
        raw = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in raw, f"{secret} in clear in {path.name}"


# ---------------------------------------------------------------- files it must refuse


def _snapshot(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in (root / "connections").iterdir()}


def test_bad_files_are_reported_by_name_and_left_untouched(tmp_path: Path) -> None:
    store = ConnectionStore(tmp_path / "home")
    good = _add(store, name="good")
    corrupt = _add(store, name="corrupt")
    newer = _add(store, name="newer")
    path = store.path_of(corrupt.id)
    path.write_bytes(path.read_bytes()[:57])  # a torn file, as a non-atomic writer leaves
    data = json.loads(store.path_of(newer.id).read_text())
    data["schema_version"] = SCHEMA_VERSION + 1
    data["brand_new_field"] = {"x": 1}
    store.path_of(newer.id).write_text(json.dumps(data))
    foreign = ConnectionStore(tmp_path / "elsewhere").create(
        name="foreign", exchange="okx", credentials=CREDS)
    foreign_path = store.connections_dir / f"{foreign.id}.json"
    foreign_path.write_bytes((tmp_path / "elsewhere" / "connections" /
                              f"{foreign.id}.json").read_bytes())
    before = _snapshot(store.root)

    result = store.list()
    assert [c.name for c in result] == ["good"]
    reasons = {p.path.name: p.reason for p in result.problems}
    assert set(reasons) == {f"{corrupt.id}.json", f"{newer.id}.json", f"{foreign.id}.json"}
    assert "not valid JSON" in reasons[f"{corrupt.id}.json"]
    assert f"newer venuekit (schema {SCHEMA_VERSION + 1}" in reasons[f"{newer.id}.json"]
    assert "not in the keyring" in reasons[f"{foreign.id}.json"]
    assert {p.id for p in result.problems} == {corrupt.id, newer.id, foreign.id}

    for bad in (corrupt, newer, foreign):
        with pytest.raises(StoreError, match=f"{bad.id}.json"):
            store.get(bad.id)
        with pytest.raises(StoreError, match=f"{bad.id}.json"):
            store.set_enabled(bad.id, False)
        with pytest.raises(StoreError, match=f"{bad.id}.json"):
            store.credentials(bad.id)
        with pytest.raises(StoreError, match=f"{bad.id}.json"):
            store.append_log(bad.id, {"x": 1})
    rotation = store.rotate_key()
    assert not rotation.complete and rotation.retired == ()
    assert rotation.rewritten == (good.id,)
    assert len(rotation.problems) == 3
    after = _snapshot(store.root)
    for bad in (corrupt, newer, foreign):
        assert after[store.path_of(bad.id)] == before[store.path_of(bad.id)]
    assert store.credentials(good.id) == CREDS


@pytest.mark.parametrize(("content", "reason"), [
    (b"\xff\xfe garbage", "not UTF-8"),
    (b"[1, 2]", "top level is a list"),
    (b'{"id": "x"}', "schema_version"),
    (b'{"schema_version": 0}', "unknown schema"),
])
def test_unreadable_content_gets_a_clear_reason(store: ConnectionStore, content: bytes,
                                                reason: str) -> None:
    _add(store)
    (store.connections_dir / "broken.json").write_bytes(content)
    [problem] = store.list().problems
    assert problem.path.name == "broken.json" and reason in problem.reason


def test_bad_fields_are_named(store: ConnectionStore) -> None:
    conn = _add(store)
    path = store.path_of(conn.id)
    original = json.loads(path.read_text())
    cases = {"is_enabled": ("yes", "'is_enabled' must be true or false"),
             "last_test_status": ("great", "not one of ok, failed, never"),
             "last_test_balance": ({"BTC": 1.5}, "decimal string"),
             "last_test_at": ("2024-01-01T00:00:00", "no UTC offset"),
             "id": ("someone-else", "holds id 'someone-else'")}
    for field, (value, reason) in cases.items():
        path.write_text(json.dumps({**original, field: value}))
        with pytest.raises(StoreError, match=reason):
            store.get(conn.id)
    path.write_text(json.dumps({k: v for k, v in original.items() if k != "name"}))
    with pytest.raises(StoreError, match="'name' is missing"):
        store.get(conn.id)


def test_tampered_or_swapped_secrets_do_not_decrypt(store: ConnectionStore) -> None:
    a, b = _add(store, name="a"), _add(store, name="b")
    data_a = json.loads(store.path_of(a.id).read_text())
    data_b = json.loads(store.path_of(b.id).read_text())
    data_b["secrets"] = data_a["secrets"]
    store.path_of(b.id).write_text(json.dumps(data_b))
    with pytest.raises(StoreError, match="belongs to another connection"):
        store.credentials(b.id)
    box = data_a["secrets"]["box"]
    data_a["secrets"]["box"] = box[:10] + ("A" if box[10] != "A" else "B") + box[11:]
    store.path_of(a.id).write_text(json.dumps(data_a))
    with pytest.raises(StoreError, match="fail authentication"):
        store.credentials(a.id)


def test_stale_temp_files_are_ignored_then_cleaned(store: ConnectionStore) -> None:
    conn = _add(store)
    stale = store.connections_dir / f".{conn.id}.json.abc123.tmp"
    stale.write_bytes(b'{"half": ')
    reader = ConnectionStore(store.root)
    assert reader.list().ok and len(reader.list()) == 1
    assert stale.exists()
    reader.set_enabled(conn.id, False)  # the first write of a store sweeps under the lock
    assert not stale.exists()


# ---------------------------------------------------------------- where it lives


def test_default_root_per_platform(tmp_path: Path) -> None:
    home = str(tmp_path)
    assert default_root({"VENUEKIT_HOME": "/data/vk", "HOME": home}) == Path("/data/vk")
    assert default_root({"HOME": home}, "linux") == tmp_path / ".local/share/venuekit"
    assert default_root({"HOME": home, "XDG_DATA_HOME": "/xdg"}, "linux") == Path(
        "/xdg/venuekit")
    assert default_root({"HOME": home, "XDG_DATA_HOME": "relative"}, "linux") == (
        tmp_path / ".local/share/venuekit")
    assert default_root({"HOME": home}, "darwin") == (
        tmp_path / "Library/Application Support/venuekit")
    assert default_root({"HOME": home, "APPDATA": "/appdata"}, "win32") == Path(
        "/appdata/venuekit")


def test_environment_is_read_when_the_store_is_made(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VENUEKIT_HOME", str(tmp_path / "from-env"))
    monkeypatch.setenv("VENUEKIT_MASTER_KEY", generate_key().hex())
    store = ConnectionStore()
    assert store.root == tmp_path / "from-env"
    _add(store)
    assert len(ConnectionStore().list()) == 1


def test_an_explicit_keyring_is_used_and_nothing_is_written_for_it(tmp_path: Path) -> None:
    keyring = Keyring.from_keys(generate_key())
    store = ConnectionStore(tmp_path / "home", keyring=keyring)
    conn = _add(store)
    assert not (store.root / "master.key").exists()
    assert ConnectionStore(store.root, keyring=keyring).credentials(conn.id) == CREDS
