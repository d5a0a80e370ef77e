"""Where the master key comes from, passphrases, and key rotation surviving interruption."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path
from typing import Any

import pytest
from venuekit.errors import ConfigurationError, StoreError
from venuekit.models import Credentials
from venuekit.store import ConnectionStore, Keyring, generate_key, key_id, parse_key
from venuekit.store.atomic import atomic_write

CREDS = Credentials(api_key="AKabcdefghijklmnopqrstuv", api_secret="S3cr3t-value-0123456789")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("VENUEKIT_MASTER_KEY", "VENUEKIT_PASSPHRASE", "VENUEKIT_HOME"):
        monkeypatch.delenv(name, raising=False)


def _fill(store: ConnectionStore, count: int) -> list[str]:
    return [store.create(name=f"c{n}", exchange="sim", credentials=Credentials(
        api_key=f"key-{n}-abcdefgh", api_secret=f"secret-{n}")).id for n in range(count)]


def _key_ids_on_disk(store: ConnectionStore) -> dict[str, str]:
    return {p.stem: json.loads(p.read_text())["secrets"]["key_id"]
            for p in store.connections_dir.glob("*.json")}


def _key_file(store: ConnectionStore) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((store.root / "master.key").read_text())
    return data


# ---------------------------------------------------------------- key sources


def test_key_file_is_created_on_first_write_0600_in_a_0700_dir(tmp_path: Path) -> None:
    store = ConnectionStore(tmp_path / "home")
    assert not (store.root / "master.key").exists()
    conn_id = _fill(store, 1)[0]
    key_file = store.root / "master.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.root.stat().st_mode) == 0o700
    data = _key_file(store)
    assert data["kdf"] is None and len(data["keys"]) == 1
    assert data["key_ids"] == [key_id(base64.b64decode(data["keys"][0]))]
    # another process (a fresh store) finds the same key
    assert ConnectionStore(store.root).credentials(conn_id).api_secret == "secret-0"


def test_a_lost_key_file_is_reported_not_replaced(tmp_path: Path) -> None:
    store = ConnectionStore(tmp_path / "home")
    _fill(store, 1)
    (store.root / "master.key").unlink()
    with pytest.raises(ConfigurationError, match="no master key"):
        ConnectionStore(store.root).list()
    assert not (store.root / "master.key").exists()


@pytest.mark.parametrize("content", [b"{", b'{"format": "other"}',
                                     b'{"format": "venuekit-keyring", "version": 1, "kdf": null}'])
def test_a_damaged_key_file_is_a_configuration_error_and_kept(tmp_path: Path,
                                                              content: bytes) -> None:
    store = ConnectionStore(tmp_path / "home")
    _fill(store, 1)
    key_file = store.root / "master.key"
    key_file.write_bytes(content)
    with pytest.raises(ConfigurationError, match=r"master\.key: cannot read the key file"):
        ConnectionStore(store.root).list()
    with pytest.raises(ConfigurationError):
        ConnectionStore(store.root).create(name="x", exchange="sim", credentials=CREDS)
    assert key_file.read_bytes() == content


def test_env_master_key_is_honoured_in_hex_and_base64(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    key = generate_key()
    monkeypatch.setenv("VENUEKIT_MASTER_KEY", key.hex())
    store = ConnectionStore(tmp_path / "home")
    conn_id = _fill(store, 1)[0]
    assert not (store.root / "master.key").exists()
    assert _key_ids_on_disk(store)[conn_id] == key_id(key)
    for form in (base64.b64encode(key).decode(), base64.urlsafe_b64encode(key).decode(),
                 f"  {key.hex().upper()}\n"):
        monkeypatch.setenv("VENUEKIT_MASTER_KEY", form)
        assert ConnectionStore(store.root).credentials(conn_id).api_secret == "secret-0"


@pytest.mark.parametrize("value", [
    "not-a-key",
    "ab" * 31,  # 31 bytes of hex
    base64.b64encode(b"k" * 16).decode(),
    "zz" * 32,
])
def test_a_bad_master_key_is_a_configuration_error(tmp_path: Path, value: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VENUEKIT_MASTER_KEY", value)
    store = ConnectionStore(tmp_path / "home")
    with pytest.raises(ConfigurationError, match="VENUEKIT_MASTER_KEY") as info:
        _fill(store, 1)
    assert value not in str(info.value)  # a near-miss of a real key is not echoed
    with pytest.raises(ConfigurationError):
        parse_key(value)


def test_a_file_under_the_env_key_is_unreadable_under_another(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VENUEKIT_MASTER_KEY", generate_key().hex())
    store = ConnectionStore(tmp_path / "home")
    conn_id = _fill(store, 1)[0]
    monkeypatch.setenv("VENUEKIT_MASTER_KEY", generate_key().hex())
    [problem] = ConnectionStore(store.root).list().problems
    assert problem.id == conn_id and "not in the keyring" in problem.reason


# ---------------------------------------------------------------- passphrase


def test_passphrase_protects_the_key_file_with_argon2id(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "home"
    store = ConnectionStore(root, passphrase="correct horse", kdf_limits="interactive")
    conn_id = _fill(store, 1)[0]
    data = _key_file(store)
    assert data["kdf"]["alg"] == "argon2id13" and "keys" not in data and data["sealed"]
    key = store.keyring()._keys[store.keyring().primary_id]
    raw = (root / "master.key").read_bytes()
    assert base64.b64encode(key) not in raw and key.hex().encode() not in raw

    assert ConnectionStore(root, passphrase="correct horse").credentials(conn_id) == Credentials(
        api_key="key-0-abcdefgh", api_secret="secret-0")
    with pytest.raises(ConfigurationError, match="wrong passphrase"):
        ConnectionStore(root, passphrase="battery staple").list()
    with pytest.raises(ConfigurationError, match="protected by a passphrase"):
        ConnectionStore(root).list()
    monkeypatch.setenv("VENUEKIT_PASSPHRASE", "correct horse")
    env_store = ConnectionStore(root)
    assert env_store.credentials(conn_id).api_secret == "secret-0"

    # changing the passphrase rewrites the key file only
    before = store.path_of(conn_id).read_bytes()
    env_store.keyring().set_passphrase("new words", limits="interactive")
    assert store.path_of(conn_id).read_bytes() == before
    assert ConnectionStore(root, passphrase="new words").credentials(conn_id).api_secret == (
        "secret-0")


# ---------------------------------------------------------------- rotation


def test_rotate_key_re_encrypts_every_file_and_retires_the_old_key(tmp_path: Path) -> None:
    store = ConnectionStore(tmp_path / "home")
    ids = _fill(store, 4)
    old = store.keyring().primary_id
    result = store.rotate_key()
    assert result.complete and result.retired == (old,)
    assert sorted(result.rewritten) == sorted(ids)
    assert set(_key_ids_on_disk(store).values()) == {result.key_id} != {old}
    assert _key_file(store)["key_ids"] == [result.key_id]
    fresh = ConnectionStore(store.root)
    assert [fresh.credentials(i).api_secret for i in ids] == [f"secret-{n}" for n in range(4)]


def test_an_interrupted_rotation_keeps_everything_readable_and_resumes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = ConnectionStore(tmp_path / "home")
    ids = _fill(store, 5)
    old = store.keyring().primary_id
    calls = 0

    def failing_after_two(path: Path, data: bytes, *, mode: int = 0o600) -> None:
        nonlocal calls
        calls += 1
        if calls > 2:
            raise OSError(28, "No space left on device")
        atomic_write(path, data, mode=mode)

    monkeypatch.setattr("venuekit.store.store.atomic_write", failing_after_two)
    with pytest.raises(StoreError, match=r"disk full \(ENOSPC\)"):  # never a raw OSError
        store.rotate_key()
    monkeypatch.setattr("venuekit.store.store.atomic_write", atomic_write)

    # halfway: both keys saved, files under either, every one readable by a new process
    new = _key_file(store)["key_ids"][0]
    assert _key_file(store)["key_ids"] == [new, old]
    on_disk = _key_ids_on_disk(store)
    assert sorted(on_disk.values()).count(new) == 2 and list(on_disk.values()).count(old) == 3
    fresh = ConnectionStore(store.root)
    assert fresh.list().ok
    assert [fresh.credentials(i).api_secret for i in ids] == [f"secret-{n}" for n in range(5)]
    added = fresh.create(name="during", exchange="sim", credentials=CREDS)
    assert _key_ids_on_disk(store)[added.id] == new  # new writes use the new key at once

    result = fresh.rotate_key()  # finishes the job: no third key
    assert result.complete and result.key_id == new and result.retired == (old,)
    assert len(result.rewritten) == 3
    assert set(_key_ids_on_disk(store).values()) == {new}
    assert _key_file(store)["key_ids"] == [new]
    last = ConnectionStore(store.root)
    assert [last.credentials(i).api_secret for i in ids] == [f"secret-{n}" for n in range(5)]


def test_a_long_lived_store_follows_a_rotation_made_by_another_process(tmp_path: Path) -> None:
    server = ConnectionStore(tmp_path / "home")
    first = _fill(server, 2)
    assert server.list().ok  # the server now holds the keyring in memory
    cli = ConnectionStore(server.root)
    new = cli.rotate_key().key_id
    assert server.list().ok and server.credentials(first[0]).api_secret == "secret-0"
    added = server.create(name="later", exchange="sim", credentials=CREDS)
    assert _key_ids_on_disk(server)[added.id] == new  # never the retired key
    assert cli.credentials(added.id) == CREDS


def test_rotation_driven_from_the_environment(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = generate_key(), generate_key()
    monkeypatch.setenv("VENUEKIT_MASTER_KEY", old.hex())
    store = ConnectionStore(tmp_path / "home")
    ids = _fill(store, 3)
    with pytest.raises(ConfigurationError, match="put a new key first"):
        store.rotate_key()
    monkeypatch.setenv("VENUEKIT_MASTER_KEY", f"{new.hex()},{old.hex()}")
    result = ConnectionStore(store.root).rotate_key()
    assert result.complete and result.retired == (key_id(old),)  # may now be dropped
    assert len(result.rewritten) == 3
    monkeypatch.setenv("VENUEKIT_MASTER_KEY", new.hex())
    assert [ConnectionStore(store.root).credentials(i).api_secret for i in ids] == [
        "secret-0", "secret-1", "secret-2"]


def test_a_file_under_a_foreign_key_does_not_hold_rotation_back(tmp_path: Path) -> None:
    store = ConnectionStore(tmp_path / "home")
    _fill(store, 2)
    foreign = ConnectionStore(tmp_path / "other").create(name="f", exchange="sim",
                                                         credentials=CREDS)
    src = tmp_path / "other" / "connections" / f"{foreign.id}.json"
    dst = store.connections_dir / src.name
    dst.write_bytes(src.read_bytes())
    result = store.rotate_key()
    assert result.complete and len(result.retired) == 1
    [problem] = result.problems
    assert problem.id == foreign.id and "not in the keyring" in problem.reason
    assert dst.read_bytes() == src.read_bytes()
    with pytest.raises(StoreError, match="not in the keyring"):
        store.get(foreign.id)


def test_keyring_basics() -> None:
    keyring = Keyring.from_keys(generate_key(), generate_key())
    assert keyring.rotating and len(keyring.key_ids) == 2
    assert "material" not in repr(keyring) and keyring.primary_id in repr(keyring)
    kid, box = keyring.seal(b"hello")
    assert kid == keyring.primary_id and keyring.open(kid, box) == b"hello"
    with pytest.raises(LookupError):
        keyring.open("0" * 16, box)
    with pytest.raises(ConfigurationError):
        Keyring.from_keys(b"short")
    with pytest.raises(ConfigurationError, match="empty"):
        Keyring.from_env_value(" , ")
