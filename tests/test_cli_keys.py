"""`venuekit key init` and `venuekit key rotate`, through the CLI entry point."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import Cli, ThreadedSimulator, add, cli_runner, prompts
from venuekit.cli import common, output
from venuekit.store import ConnectionStore, Keyring, generate_key
from venuekit.testing.example.simulator import ExampleSimulator


@pytest.fixture
def sim() -> Iterator[ExampleSimulator]:
    with ThreadedSimulator() as simulator:
        yield simulator


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        ) -> Iterator[Cli]:
    creds = ExampleSimulator().credentials
    yield from cli_runner(monkeypatch, tmp_path, capsys, creds.api_key, creds.api_secret)


@pytest.fixture
def key_file_cli(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.delenv("VENUEKIT_MASTER_KEY")
    return cli


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_key_init_creates_a_private_key_file_once(key_file_cli: Cli) -> None:
    cli = key_file_cli
    code, out, _ = cli("key", "init")
    assert code == 0 and "created" in out and "Back it up" in out
    key_file = cli.home / "master.key"
    assert _mode(key_file) == 0o600 and _mode(cli.home) == 0o700
    before = key_file.read_bytes()
    code, out, _ = cli("key", "init")
    assert code == 0 and "exists (no passphrase); left unchanged" in out
    assert key_file.read_bytes() == before


def test_key_init_with_an_env_key_creates_nothing(cli: Cli) -> None:
    code, out, _ = cli("key", "init")
    assert code == 0 and "comes from VENUEKIT_MASTER_KEY" in out
    assert not cli.home.exists()


def test_key_init_passphrase_is_asked_twice(key_file_cli: Cli,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    cli = key_file_cli
    code, _, err = cli("key", "init", "--passphrase")
    assert code == 2 and "VENUEKIT_PASSPHRASE" in err  # no terminal, no variable

    answers = iter(["first-phrase", "other-phrase"])
    monkeypatch.setattr(common, "interactive", lambda: True)
    monkeypatch.setattr(common, "prompt_hidden", lambda label: next(answers))
    code, _, err = cli("key", "init", "--passphrase", "--kdf-limits", "interactive")
    assert code == 2 and "do not match" in err and not (cli.home / "master.key").exists()

    asked = prompts(monkeypatch, {"passphrase": "good-phrase"})
    code, out, _ = cli("key", "init", "--passphrase", "--kdf-limits", "interactive")
    assert code == 0 and "protected by a passphrase" in out and len(asked) == 2
    cli.add_secrets("good-phrase")

    # every later command needs the passphrase: prompted, or a usage error without one
    monkeypatch.setattr(common, "interactive", lambda: False)
    code, _, err = cli("connections", "list")
    assert code == 2 and "protected by a passphrase" in err
    monkeypatch.setenv("VENUEKIT_PASSPHRASE", "good-phrase")
    assert cli("connections", "list")[0] == 0


def test_key_rotate_rewrites_every_connection(key_file_cli: Cli,
                                              monkeypatch: pytest.MonkeyPatch,
                                              sim: ExampleSimulator) -> None:
    cli = key_file_cli
    code, _, err = cli("key", "rotate")
    assert code == 1 and "nothing to rotate" in err
    ids = {add(cli, monkeypatch, sim, name) for name in ("a", "b")}
    old = Keyring.load(cli.home).primary_id
    result = cli.json("key", "rotate")
    assert isinstance(result, dict)
    assert set(result["rewritten"]) == ids and result["retired"] == [old]
    assert result["complete"] is True and result["resumed"] is False
    assert Keyring.load(cli.home).key_ids == (result["key_id"],)
    store = ConnectionStore(cli.home)
    assert all(store.credentials(i).api_secret == sim.credentials.api_secret for i in ids)
    assert cli("connections", "test", "--all", "--base-url", sim.base_url)[0] == 0


def test_key_rotate_finishes_an_interrupted_rotation(key_file_cli: Cli,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     sim: ExampleSimulator) -> None:
    cli = key_file_cli
    conn_id = add(cli, monkeypatch, sim, "a")
    keyring = Keyring.load(cli.home)
    old = keyring.primary_id
    new = keyring.add_primary()  # what a rotation killed right after saving its new key leaves
    code, out, _ = cli("key", "rotate")
    assert code == 0
    assert "finishing a rotation that was interrupted earlier" in out
    assert f"new key id {new}: rewrote 1 connection(s)" in out and conn_id in out
    assert f"retired old key(s) {old}" in out
    assert Keyring.load(cli.home).key_ids == (new,)


def test_key_rotate_with_an_env_key(cli: Cli, monkeypatch: pytest.MonkeyPatch,
                                    sim: ExampleSimulator) -> None:
    conn_id = add(cli, monkeypatch, sim, "a")
    code, _, err = cli("key", "rotate")
    assert code == 1 and "VENUEKIT_MASTER_KEY=<new>,<old>" in err
    old = os.environ["VENUEKIT_MASTER_KEY"]
    new = generate_key().hex()
    cli.add_secrets(new)
    monkeypatch.setenv("VENUEKIT_MASTER_KEY", f"{new},{old}")
    code, out, _ = cli("key", "rotate")
    assert code == 0 and conn_id in out and "drop them from VENUEKIT_MASTER_KEY" in out
    monkeypatch.setenv("VENUEKIT_MASTER_KEY", new)
    assert cli("connections", "test", conn_id, "--base-url", sim.base_url)[0] == 0


def test_key_rotate_reports_progress_file_by_file(key_file_cli: Cli,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  sim: ExampleSimulator) -> None:
    cli = key_file_cli
    for name in ("a", "b", "c"):
        add(cli, monkeypatch, sim, name)
    seen: list[tuple[int, int]] = []
    result = ConnectionStore(cli.home).rotate_key(
        progress=lambda done, total: seen.append((done, total)))
    assert len(result.rewritten) == 3
    assert seen == [(0, 3), (1, 3), (2, 3), (3, 3)]


def test_key_rotate_draws_a_progress_bar_on_a_terminal(key_file_cli: Cli,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       sim: ExampleSimulator) -> None:
    cli = key_file_cli
    for name in ("a", "b"):
        add(cli, monkeypatch, sim, name)
    code, _, err = cli("key", "rotate")
    assert code == 0 and "re-encrypting" not in err  # off a terminal: the summary only
    monkeypatch.setattr(output, "_is_terminal", lambda stream: True)
    code, out, err = cli("key", "rotate")
    assert code == 0 and "rewrote 2 connection(s)" in out
    assert "re-encrypting connections" in err and "2/2" in err


# ---------------------------------------------------------------- naming a connection


def test_a_connection_under_another_key_is_named_as_such(cli: Cli,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         sim: ExampleSimulator) -> None:
    conn_id = add(cli, monkeypatch, sim, "bn")
    other = generate_key().hex()
    cli.add_secrets(other)
    monkeypatch.setenv("VENUEKIT_MASTER_KEY", other)
    for ref in ("bn", "BN"):
        code, _, err = cli("connections", "show", ref)
        assert code == 1
        assert "connection 'bn' exists but is encrypted under key" in err, err
        assert "no connection" not in err
    code, _, err = cli("connections", "show", conn_id)  # by id too
    assert code == 1 and "not in the keyring" in err
    code, _, err = cli("connections", "show", "nobody")
    assert code == 1 and "no readable connection with id or name 'nobody'" in err


def test_two_connections_of_one_name_are_a_usage_error_even_under_another_key(
        cli: Cli, monkeypatch: pytest.MonkeyPatch, sim: ExampleSimulator) -> None:
    first = add(cli, monkeypatch, sim, "twin")
    # a second file of that name, written behind the CLI's back (the CLI refuses it)
    second = ConnectionStore(cli.home).create(name="twin", exchange="example",
                                              credentials=sim.credentials).id
    code, _, err = cli("connections", "show", "twin")
    assert code == 2 and "2 connections are named 'twin'" in err
    assert first in err and second in err
    monkeypatch.setenv("VENUEKIT_MASTER_KEY", generate_key().hex())
    code, _, err = cli("connections", "show", "TWIN")
    assert code == 2 and "2 connections are named 'TWIN'" in err
