"""`venuekit connections` and `venuekit key`, driven through the CLI entry point.

Every run goes through ``venuekit.cli.main`` with a temporary ``VENUEKIT_HOME``, a
generated master key and the example exchange; every output and, at the end of each test,
every file under the home directory is searched for the secrets in play (cli_support.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import (
    OKX_LIKE_PASSPHRASE,
    WRONG_SECRET,
    Cli,
    ThreadedSimulator,
    add,
    cli_runner,
    example_registry,
    key_pair_plugin,
    prompts,
    set_credentials,
    with_passphrase_plugin,
)
from venuekit.cli import common
from venuekit.models import KeyType
from venuekit.store import ConnectionStore, generate_key
from venuekit.testing.example.simulator import ExampleSimulator

# ---------------------------------------------------------------- fixtures


@pytest.fixture
def sim() -> Iterator[ExampleSimulator]:
    with ThreadedSimulator() as simulator:
        yield simulator


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        ) -> Iterator[Cli]:
    creds = ExampleSimulator().credentials
    yield from cli_runner(monkeypatch, tmp_path, capsys, creds.api_secret, creds.api_key,
                          registry=lambda: example_registry(with_passphrase_plugin(),
                                                            key_pair_plugin()))


# ---------------------------------------------------------------- connections add / list / show


def test_add_from_env_then_list_and_show(cli: Cli, monkeypatch: pytest.MonkeyPatch,
                                         sim: ExampleSimulator) -> None:
    set_credentials(monkeypatch, sim)
    code, out, err = cli("connections", "add", "--name", "main", "--exchange", "example",
                         "--testnet")
    assert code == 0, err
    assert "added main (example, testnet, key sim-…cdef)" in out
    assert "created the master key" not in err  # the key comes from VENUEKIT_MASTER_KEY

    code, out, _ = cli("connections", "list")
    assert code == 0
    assert "main" in out and "testnet" in out and "sim-…cdef" in out and "never" in out

    listing = cli.json("connections", "list")
    assert isinstance(listing, dict) and listing["problems"] == []
    [view] = listing["connections"]
    assert view["api_key"] == "sim-…cdef" and view["is_testnet"] is True

    code, out, _ = cli("connections", "show", "main")  # by name
    assert code == 0 and view["id"] in out and "is_testnet" in out and "yes" in out
    shown = cli.json("connections", "show", view["id"])  # by id
    assert shown == view
    # --json is taken after the command too
    code, out, _ = cli("connections", "show", "main", "--json")
    assert code == 0 and json.loads(out) == view


def test_add_prompts_for_exactly_the_fields_the_plugin_declares(
        cli: Cli, monkeypatch: pytest.MonkeyPatch, sim: ExampleSimulator) -> None:
    creds = sim.credentials
    asked = prompts(monkeypatch, {"key": creds.api_key, "secret": creds.api_secret,
                                  "passphrase": OKX_LIKE_PASSPHRASE})
    code, _, err = cli("connections", "add", "--name", "a", "--exchange", "example")
    assert code == 0, err
    assert asked == ["Example Exchange API key", "Example Exchange API secret"]

    asked.clear()
    code, _, err = cli("connections", "add", "--name", "b", "--exchange", "phrase")
    assert code == 0, err
    assert asked[-1] == "Phrase Exchange API passphrase"
    [conn] = [c for c in ConnectionStore(cli.home).list() if c.name == "b"]
    assert ConnectionStore(cli.home).credentials(conn.id).passphrase == OKX_LIKE_PASSPHRASE


def test_a_passphrase_venue_reads_it_from_its_env_var(cli: Cli, monkeypatch: pytest.MonkeyPatch,
                                                      sim: ExampleSimulator) -> None:
    set_credentials(monkeypatch, sim)
    code, _, err = cli("connections", "add", "--name", "p", "--exchange", "phrase")
    assert code == 2 and "VENUEKIT_API_PASSPHRASE" in err
    monkeypatch.setenv("VENUEKIT_API_PASSPHRASE", OKX_LIKE_PASSPHRASE)
    code, _, err = cli("connections", "add", "--name", "p", "--exchange", "phrase")
    assert code == 0, err


def test_a_key_pair_comes_from_a_file_or_its_env_var(
        cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seed = generate_key().hex()
    cli.add_secrets(seed)
    monkeypatch.setenv("VENUEKIT_API_KEY", "pair-key-0123456789abcdef")
    pem = tmp_path / "key.pem"
    pem.write_text(seed + "\n")
    code, _, err = cli("connections", "add", "--name", "f", "--exchange", "pair",
                       "--key-type", "ed25519", "--private-key-file", str(pem))
    assert code == 0, err
    code, _, err = cli("connections", "add", "--name", "e", "--exchange", "pair",
                       "--key-type", "ed25519")
    assert code == 2 and "set VENUEKIT_PRIVATE_KEY" in err
    monkeypatch.setenv("VENUEKIT_PRIVATE_KEY", seed)
    assert cli("connections", "add", "--name", "e", "--exchange", "pair",
               "--key-type", "ed25519")[0] == 0
    store = ConnectionStore(cli.home)
    for conn in store.list():
        creds = store.credentials(conn.id)
        assert (creds.key_type, creds.private_key, creds.api_secret) == (
            KeyType.ED25519, seed, "")


@pytest.mark.parametrize(("argv", "message"), [
    (["--name", "x", "--exchange", "nowhere"],
     "unknown exchange 'nowhere'; installed exchange plugins: example, pair, phrase"),
    (["--name", "x", "--exchange", "example", "--key-type", "ed25519"],
     "does not take ed25519 keys (it takes: hmac)"),
    (["--name", "x", "--exchange", "example", "--private-key-file", "k.pem"],
     "--private-key-file is for key pairs"),
    (["--name", " ", "--exchange", "example"], "--name must not be empty"),
    (["--name", "x", "--exchange", "example", "--api-secret", "s3cret"],
     "No such option '--api-secret'"),  # click's wording since the CLI moved to click
    (["--exchange", "example"], "Missing option '--name'"),
    (["--name", "x", "--exchange", "example", "--key-type", "dsa"],
     "'dsa' is not one of 'hmac'"),
])
def test_add_usage_errors(cli: Cli, monkeypatch: pytest.MonkeyPatch, sim: ExampleSimulator,
                          argv: list[str], message: str) -> None:
    set_credentials(monkeypatch, sim)
    code, _, err = cli("connections", "add", *argv)
    assert code == 2
    assert message in err
    assert not (cli.home / "connections").exists() or not any(
        (cli.home / "connections").iterdir())


def test_add_without_a_terminal_or_env_var_is_a_usage_error(cli: Cli) -> None:
    code, _, err = cli("connections", "add", "--name", "x", "--exchange", "example")
    assert code == 2
    assert "set VENUEKIT_API_KEY or run from a terminal" in err
    assert "never read from the command line" in err


def test_add_refuses_a_duplicate_name(cli: Cli, monkeypatch: pytest.MonkeyPatch,
                                      sim: ExampleSimulator) -> None:
    first = add(cli, monkeypatch, sim, "main")
    code, _, err = cli("connections", "add", "--name", "main", "--exchange", "example")
    assert code == 2 and f"a connection named 'main' exists ({first})" in err


def test_list_names_an_unreadable_file_and_leaves_it(cli: Cli, monkeypatch: pytest.MonkeyPatch,
                                                     sim: ExampleSimulator) -> None:
    add(cli, monkeypatch, sim, "good")
    bad = cli.home / "connections" / "broken.json"
    bad.write_bytes(b"{not json")
    code, out, err = cli("connections", "list")
    assert code == 1
    assert "good" in out and f"skipped {bad}" in err
    assert bad.read_bytes() == b"{not json"
    code, _, err = cli("connections", "show", "broken")
    assert code == 1 and str(bad) in err


def test_list_of_an_empty_store(cli: Cli) -> None:
    code, out, _ = cli("connections", "list")
    assert code == 0 and "no connections in" in out
    assert not cli.home.exists()  # listing creates nothing


def test_home_option_wins_over_the_environment(cli: Cli, monkeypatch: pytest.MonkeyPatch,
                                               sim: ExampleSimulator, tmp_path: Path) -> None:
    other = tmp_path / "other"
    set_credentials(monkeypatch, sim)
    code, _, err = cli("connections", "add", "--home", str(other), "--name", "o",
                       "--exchange", "example")
    assert code == 0, err
    assert (other / "connections").is_dir() and not cli.home.exists()
    cli.home = other  # scan this one for secrets at the end


# ---------------------------------------------------------------- enable, disable, remove


def test_enable_and_disable(cli: Cli, monkeypatch: pytest.MonkeyPatch,
                            sim: ExampleSimulator) -> None:
    conn_id = add(cli, monkeypatch, sim, "main")
    code, out, _ = cli("connections", "disable", "main")
    assert code == 0 and f"disabled main (id {conn_id})" in out
    assert ConnectionStore(cli.home).get(conn_id).is_enabled is False
    view = cli.json("connections", "enable", conn_id)
    assert isinstance(view, dict) and view["is_enabled"] is True
    code, _, err = cli("connections", "enable", "nobody")
    assert code == 1 and "no connection with id or name 'nobody'" in err
    code, _, _ = cli("connections", "enable")
    assert code == 2


def test_remove_asks_first(cli: Cli, monkeypatch: pytest.MonkeyPatch,
                           sim: ExampleSimulator) -> None:
    conn_id = add(cli, monkeypatch, sim, "main")
    code, _, err = cli("connections", "remove", "main")  # no terminal, no --yes
    assert code == 2 and "needs confirmation: add --yes" in err
    monkeypatch.setattr(common, "interactive", lambda: True)
    monkeypatch.setattr("builtins.input", lambda question: "n")
    code, out, _ = cli("connections", "remove", "main")
    assert code == 1 and "nothing removed" in out
    assert conn_id in ConnectionStore(cli.home)
    monkeypatch.setattr("builtins.input", lambda question: "y")
    code, out, _ = cli("connections", "remove", "main")
    assert code == 0 and f"removed main (example, id {conn_id})" in out
    assert conn_id not in ConnectionStore(cli.home)
    code, _, _ = cli("connections", "remove", conn_id, "--yes")
    assert code == 1


def test_remove_works_on_an_unreadable_file(cli: Cli, monkeypatch: pytest.MonkeyPatch,
                                            sim: ExampleSimulator) -> None:
    add(cli, monkeypatch, sim, "good")
    bad = cli.home / "connections" / "broken.json"
    bad.write_bytes(b"garbage")
    code, out, _ = cli("connections", "remove", "broken", "--yes")
    assert code == 0 and "unreadable connection file" in out
    assert not bad.exists()


# ---------------------------------------------------------------- test and logs


def test_connection_tests_with_progress_table_and_exit_code(
        cli: Cli, monkeypatch: pytest.MonkeyPatch, sim: ExampleSimulator) -> None:
    good = add(cli, monkeypatch, sim, "good")
    bad = add(cli, monkeypatch, sim, "bad", secret=WRONG_SECRET)
    off = add(cli, monkeypatch, sim, "off", "--disabled")

    code, out, err = cli("connections", "test", "--all", "--base-url", sim.base_url)
    assert code == 1
    progress = [line for line in err.splitlines() if line.startswith("[")]
    assert len(progress) == 2 and {line[:5] for line in progress} == {"[1/2]", "[2/2]"}
    assert any(" good ok " in line and line.endswith(" ms") for line in progress)
    assert any(" bad FAILED balance: InvalidSignature" in line for line in progress)
    assert "1 of 2 passed" in err
    assert good in out and bad in out and off not in out and "100000 USDT" in out

    code, out, err = cli("connections", "test", "good", "--base-url", sim.base_url)
    assert code == 0 and "1 of 1 passed" in err

    results = cli("--json", "connections", "test", good, bad, "--base-url", sim.base_url)
    assert results[0] == 1
    parsed = json.loads(results[1])
    assert [(r["name"], r["ok"]) for r in parsed] == [("good", True), ("bad", False)]
    assert parsed[0]["report"]["latency_ms"] is not None

    listing = cli.json("connections", "list")
    assert isinstance(listing, dict)
    status = {c["name"]: c["last_test_status"] for c in listing["connections"]}
    assert status == {"good": "ok", "bad": "failed", "off": "never"}
    code, out, _ = cli("connections", "show", "bad")
    assert "FAIL balance" in out and WRONG_SECRET not in out


def test_test_usage_errors(cli: Cli, monkeypatch: pytest.MonkeyPatch,
                           sim: ExampleSimulator) -> None:
    add(cli, monkeypatch, sim, "main")
    code, _, err = cli("connections", "test")
    assert code == 2 and "or give --all" in err
    code, _, err = cli("connections", "test", "main", "--all")
    assert code == 2
    code, _, err = cli("connections", "test", "main", "--concurrency", "0")
    assert code == 2 and "must be at least 1" in err
    code, _, err = cli("connections", "test", "nobody")
    assert code == 1 and "no connection with id or name 'nobody'" in err


def test_logs_newest_first_with_paging(cli: Cli, monkeypatch: pytest.MonkeyPatch,
                                       sim: ExampleSimulator) -> None:
    conn_id = add(cli, monkeypatch, sim, "main")
    code, out, _ = cli("connections", "logs", "main")
    assert code == 0 and "no test log entries" in out
    for _ in range(3):
        assert cli("connections", "test", conn_id, "--base-url", sim.base_url)[0] == 0
    entries = cli.json("connections", "logs", conn_id)
    assert isinstance(entries, list) and len(entries) == 3
    stamps = [e["tested_at"] for e in entries]
    assert stamps == sorted(stamps, reverse=True)
    assert cli.json("connections", "logs", conn_id, "--limit", "2") == entries[:2]
    assert cli.json("connections", "logs", conn_id, "--offset", "2") == entries[2:]
    code, out, _ = cli("connections", "logs", "main", "--limit", "1")
    assert code == 0 and "steps ok" in out and out.count("\n") == 3  # header, rule, one row
    code, _, err = cli("connections", "logs", "main", "--limit", "-1")
    assert code == 2 and "must not be negative" in err
