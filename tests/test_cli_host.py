"""The CLI habits and host handling of issue 17, each through ``venuekit.cli.main``.

Every test here failed before: stored hosts, case-insensitive exchanges, URLs refused at
once, ``--version``, help on a bare ``venuekit``, errors as JSON under ``--json``, a
re-prompt on an empty answer, ``demo NAME``, the client order id printed before sending,
the key-rotation backup reminder, the weak-passphrase warning, the plugin-name clash
warning, and a key mismatch named as such.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import (
    Cli,
    ThreadedSimulator,
    add,
    cli_runner,
    example_registry,
    set_credentials,
    variant,
)
from venuekit._version import __version__
from venuekit.cli import common
from venuekit.store import ConnectionStore, generate_key
from venuekit.testing.example.simulator import ExampleSimulator

SYMBOL = "BTC/USDT:USDT"


@pytest.fixture
def sim() -> Iterator[ExampleSimulator]:
    with ThreadedSimulator() as simulator:
        yield simulator


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        ) -> Iterator[Cli]:
    creds = ExampleSimulator().credentials
    yield from cli_runner(monkeypatch, tmp_path, capsys, creds.api_secret, creds.api_key)


# ---------------------------------------------------------------- stored hosts


def test_a_stored_base_url_is_used_by_test_balance_and_order_without_typing_it(
        cli: Cli, monkeypatch: pytest.MonkeyPatch, sim: ExampleSimulator) -> None:
    conn_id = add(cli, monkeypatch, sim, "sim", "--base-url", sim.base_url + "/")
    view = cli.json("connections", "show", conn_id)
    assert isinstance(view, dict) and view["base_url"] == sim.base_url

    code, out, err = cli("connections", "test", "--all")
    assert code == 0, err
    assert sim.base_url in out and "a host other than the venue's own was tested" in err
    [result] = cli.json("connections", "test", "sim")  # type: ignore[misc]
    assert result["base_url"] == sim.base_url and result["custom_host"] is True

    code, out, _ = cli("connections", "list")
    assert f"ok (at {sim.base_url}, not the venue)" in out
    code, out, _ = cli("connections", "logs", "sim", "--limit", "1")
    assert sim.base_url in out

    assert cli("balance", "sim")[0] == 0
    placed = cli.json("order", "place", "sim", "--symbol", SYMBOL, "--side", "buy", "--type",
                      "limit", "--quantity", "0.01", "--price", "40000")
    assert isinstance(placed, dict) and placed["status"] == "open"
    assert len(sim.state.orders) == 1


def test_edit_changes_and_clears_hosts_and_refuses_a_taken_name(
        cli: Cli, monkeypatch: pytest.MonkeyPatch, sim: ExampleSimulator) -> None:
    add(cli, monkeypatch, sim, "one")
    add(cli, monkeypatch, sim, "two")
    view = cli.json("connections", "edit", "one", "--base-url", sim.base_url,
                    "--stream-base-url", "ws://127.0.0.1:1")
    assert isinstance(view, dict)
    assert (view["base_url"], view["stream_base_url"]) == (sim.base_url, "ws://127.0.0.1:1")
    view = cli.json("connections", "edit", "one", "--venue-hosts")
    assert isinstance(view, dict) and view["base_url"] is None
    code, _, err = cli("connections", "edit", "one", "--name", "TWO")
    assert code == 2 and "a connection named 'two' exists" in err
    code, _, err = cli("connections", "edit", "one")
    assert code == 2 and "nothing to change" in err


@pytest.mark.parametrize("argv", [
    ["connections", "add", "--name", "x", "--exchange", "example"],
    ["connections", "test", "--all"],
    ["balance", "x"],
])
def test_a_url_without_a_scheme_is_refused_at_once(
        cli: Cli, monkeypatch: pytest.MonkeyPatch, sim: ExampleSimulator,
        argv: list[str]) -> None:
    set_credentials(monkeypatch, sim)
    code, _, err = cli(*argv, "--base-url", "127.0.0.1:19100")
    assert code == 2
    assert "'--base-url' must be a URL starting with http:// or https://" in err


def test_exchange_names_are_case_insensitive(cli: Cli, monkeypatch: pytest.MonkeyPatch,
                                             sim: ExampleSimulator) -> None:
    set_credentials(monkeypatch, sim)
    view = cli.json("connections", "add", "--name", "x", "--exchange", "Example")
    assert isinstance(view, dict) and view["exchange"] == "example"


# ---------------------------------------------------------------- CLI habits


def test_version_and_help_on_a_bare_command(cli: Cli) -> None:
    code, out, _ = cli("--version")
    assert code == 0 and out.strip() == f"venuekit {__version__}"
    code, out, _ = cli()
    assert code == 0 and "Usage: venuekit" in out and "connections" in out


def test_help_text_has_no_markdown(cli: Cli) -> None:
    from venuekit.cli import build_cli

    def walk(command: object, path: list[str]) -> Iterator[list[str]]:
        yield path
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, [*path, name])

    paths = list(walk(build_cli(extensions=[]), []))
    assert ["connections", "edit"] in paths
    for path in paths:
        code, out, _ = cli(*path, "--help")
        assert code == 0 and "`" not in out, path


def test_json_before_or_after_the_command_and_errors_as_json(cli: Cli) -> None:
    code, out, err = cli("--json", "connections", "show", "nobody")
    assert code == 1 and not err
    body = json.loads(out)
    assert "no connection with id or name 'nobody'" in body["error"]["message"]
    assert body["error"]["exit_code"] == 1
    code, out, _ = cli("connections", "test", "--json")
    assert code == 2 and json.loads(out)["error"]["type"] == "usage"
    code, out, _ = cli("connections", "add", "--json", "--exchange", "example")
    assert code == 2 and "Missing option '--name'" in json.loads(out)["error"]["message"]
    assert cli.json("connections", "list") == cli.json("connections", "list", "--json")


def test_an_empty_answer_is_asked_again(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    creds = ExampleSimulator().credentials
    answers = iter(["", creds.api_key, "", creds.api_secret])
    asked: list[str] = []

    def prompt(label: str) -> str:
        asked.append(label)
        return next(answers)

    monkeypatch.setattr(common, "interactive", lambda: True)
    monkeypatch.setattr(common, "prompt_hidden", prompt)
    code, _, err = cli("connections", "add", "--name", "a", "--exchange", "example")
    assert code == 0, err
    assert len(asked) == 4 and "must not be empty; try again" in err


def test_demo_runs_only_the_venues_named(cli: Cli) -> None:
    code, _, err = cli("demo", "nowhere")
    assert code == 2 and "no simulator for nowhere; available:" in err
    rows = cli.json("demo", "Example")
    assert isinstance(rows, list) and [r["exchange"] for r in rows] == ["example"]


def test_order_place_prints_its_client_order_id_before_sending(
        cli: Cli, monkeypatch: pytest.MonkeyPatch, sim: ExampleSimulator) -> None:
    add(cli, monkeypatch, sim, "main", "--base-url", sim.base_url)
    code, out, err = cli("--json", "order", "place", "main", "--symbol", SYMBOL, "--side",
                         "buy", "--type", "limit", "--quantity", "0.01", "--price", "40000")
    assert code == 0, err
    placed = json.loads(out)
    assert f"client order id {placed['client_order_id']}" in err
    assert [o.client_order_id for o in sim.state.orders.values()] == [
        placed["client_order_id"]]


def test_a_disabled_connection_cancels_but_never_places(
        cli: Cli, monkeypatch: pytest.MonkeyPatch, sim: ExampleSimulator) -> None:
    add(cli, monkeypatch, sim, "main", "--base-url", sim.base_url)
    placed = cli.json("order", "place", "main", "--symbol", SYMBOL, "--side", "buy", "--type",
                      "limit", "--quantity", "0.01", "--price", "40000")
    assert isinstance(placed, dict)
    assert cli("connections", "disable", "main")[0] == 0
    code, _, err = cli("order", "place", "main", "--symbol", SYMBOL, "--side", "buy",
                       "--type", "limit", "--quantity", "0.01", "--price", "40000")
    assert code == 1 and "main is disabled" in err and len(sim.state.orders) == 1
    cancelled = cli.json("order", "cancel", "main", "--symbol", SYMBOL, "--order-id",
                         placed["order_id"])
    assert isinstance(cancelled, dict) and cancelled["status"] == "canceled"


# ---------------------------------------------------------------- keys and plugins


def test_key_rotate_prints_the_backup_reminder(cli: Cli, monkeypatch: pytest.MonkeyPatch,
                                               sim: ExampleSimulator) -> None:
    monkeypatch.delenv("VENUEKIT_MASTER_KEY")
    assert cli("key", "init")[0] == 0
    add(cli, monkeypatch, sim, "main")
    code, out, _ = cli("key", "rotate")
    assert code == 0 and "Back it up: without it the stored secrets cannot be decrypted" in out


def test_a_weak_passphrase_warns(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VENUEKIT_MASTER_KEY")
    monkeypatch.setenv("VENUEKIT_PASSPHRASE", "hunter2")
    cli.add_secrets("hunter2")
    code, _, err = cli("key", "init", "--passphrase", "--kdf-limits", "interactive")
    assert code == 0 and "weak passphrase (it is shorter than 12 characters)" in err


def test_a_strong_passphrase_does_not_warn(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VENUEKIT_MASTER_KEY")
    monkeypatch.setenv("VENUEKIT_PASSPHRASE", "correct horse battery staple")
    cli.add_secrets("correct horse battery staple")
    code, _, err = cli("key", "init", "--passphrase", "--kdf-limits", "interactive")
    assert code == 0 and "weak" not in err


def test_new_plugin_warns_of_a_clash_with_an_installed_plugin(
        cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(common, "REGISTRY_FACTORY",
                        lambda: example_registry(variant("binance")))
    code, _, err = cli("new-plugin", "binance", "--dir", str(tmp_path / "clash"))
    assert code == 0 and "an exchange plugin named 'binance' is already installed" in err
    code, _, err = cli("new-plugin", "acme", "--dir", str(tmp_path / "acme"))
    assert code == 0 and "already installed" not in err


def test_another_valid_master_key_is_named_not_reported_as_missing(
        cli: Cli, monkeypatch: pytest.MonkeyPatch, sim: ExampleSimulator) -> None:
    add(cli, monkeypatch, sim, "bn")
    monkeypatch.setenv("VENUEKIT_MASTER_KEY", generate_key().hex())
    code, _, err = cli("connections", "show", "bn")
    # the store's find() names the connection and the key it is sealed under
    assert code == 1 and "connection 'bn' exists but is encrypted under key" in err
    assert "not in the keyring" in err
    assert len(ConnectionStore(cli.home).list().problems) == 1


def test_main_is_quiet_on_a_closed_pipe() -> None:
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "venuekit", "--json", "plugins"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the first line is written
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    proc.stderr.close()
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
    assert proc.returncode == 1


# ---------------------------------------------------------------- the machine-wide limiter


def test_commands_use_a_sqlite_limiter_under_home_when_the_core_has_one(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from venuekit.cli.limits import LIMITS_FILE, machine_limiter
    from venuekit.ratelimit import select

    monkeypatch.delenv(select.ENV_URL, raising=False)
    monkeypatch.delattr(select, "sqlite_url", raising=False)
    with machine_limiter(tmp_path) as url:  # a core without the backend: memory, as before
        assert url is None and select.ENV_URL not in os.environ
    monkeypatch.setattr(select, "sqlite_url", lambda path: f"sqlite:///{path}",
                        raising=False)
    with machine_limiter(tmp_path) as url:
        assert url == f"sqlite:///{tmp_path / LIMITS_FILE}"
        assert os.environ[select.ENV_URL] == url
    assert select.ENV_URL not in os.environ  # restored: in-process callers see no change
    monkeypatch.setenv(select.ENV_URL, "memory://")
    with machine_limiter(tmp_path) as url:  # the user's choice wins
        assert url is None and os.environ[select.ENV_URL] == "memory://"
