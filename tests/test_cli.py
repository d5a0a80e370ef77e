"""`venuekit connections` and `venuekit key`, driven through the CLI entry point.

Every run goes through ``venuekit.cli.main`` with a temporary ``VENUEKIT_HOME``, a
generated master key and the example exchange; every output and, at the end of each test,
every file under the home directory is searched for the secrets in play.

The helpers at the top (a simulator on its own thread, since each command runs its own
event loop, and the ``Cli`` runner) are imported by the other ``test_cli_*`` modules.
"""

from __future__ import annotations

import asyncio
import json
import threading
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from venuekit.cli import common, main
from venuekit.hookspecs import hookimpl
from venuekit.models import KeyType
from venuekit.registry import Registry
from venuekit.store import ConnectionStore, generate_key
from venuekit.testing.example import plugin as example_plugin
from venuekit.testing.example.simulator import ExampleSimulator

SECRET_ENV = ("VENUEKIT_API_KEY", "VENUEKIT_API_SECRET", "VENUEKIT_API_PASSPHRASE",
              "VENUEKIT_PRIVATE_KEY", "VENUEKIT_MASTER_KEY", "VENUEKIT_PASSPHRASE")
WRONG_SECRET = "wrong-secret-never-shown-0000"
OKX_LIKE_PASSPHRASE = "pass-phrase-never-shown"


# ---------------------------------------------------------------- shared helpers


class ThreadedSimulator:
    """A simulator serving from its own thread and loop, for commands that run their own."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.sim: ExampleSimulator | None = None

    def __enter__(self) -> ExampleSimulator:
        self.thread.start()

        async def start() -> ExampleSimulator:
            sim = ExampleSimulator()
            await sim.start()
            return sim

        self.sim = asyncio.run_coroutine_threadsafe(start(), self.loop).result(10)
        return self.sim

    def __exit__(self, *exc: object) -> None:
        if self.sim is not None:
            asyncio.run_coroutine_threadsafe(self.sim.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


def example_registry(*extra: tuple[str, object]) -> Registry:
    return Registry(extra={"example": example_plugin, **dict(extra)}, autoload=False)


def variant(name: str, **changes: Any) -> tuple[str, object]:
    """The example exchange under another name, with changed ``exchange_info`` fields."""
    hooks = {attr: getattr(example_plugin, attr) for attr in dir(example_plugin)
             if hasattr(getattr(example_plugin, attr), "venuekit_impl")}

    @hookimpl
    def exchange_info() -> object:
        return attrs.evolve(example_plugin.exchange_info(), name=name,
                            display_name=f"{name.title()} Exchange", **changes)

    hooks["exchange_info"] = exchange_info
    return name, types.SimpleNamespace(**hooks)


def with_passphrase_plugin() -> tuple[str, object]:
    """A venue that, like OKX, also needs an API passphrase."""
    return variant("phrase", credential_fields=("api_key", "api_secret", "passphrase"))


def key_pair_plugin() -> tuple[str, object]:
    """A venue that, like Binance, takes Ed25519 keys."""
    return variant("pair", key_types=frozenset({KeyType.HMAC, KeyType.ED25519}))


class Cli:
    """Runs ``venuekit.cli.main`` and checks that no known secret reached the output."""

    def __init__(self, capsys: pytest.CaptureFixture[str], home: Path) -> None:
        self.capsys = capsys
        self.home = home
        self.secrets: set[str] = {WRONG_SECRET, OKX_LIKE_PASSPHRASE}

    def add_secrets(self, *values: str | None) -> None:
        self.secrets.update(v for v in values if v)

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(list(argv))
        out, err = self.capsys.readouterr()
        for secret in self.secrets:
            assert secret not in out and secret not in err, f"secret in output of {argv}"
        return code, out, err

    def json(self, *argv: str) -> object:
        code, out, err = self("--json", *argv)
        assert code == 0, err
        return json.loads(out)

    def assert_home_clean(self) -> None:
        if not self.home.exists():
            return
        for path in self.home.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                for secret in self.secrets:
                    assert secret.encode() not in data, f"secret in clear in {path}"


def isolate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
            registry: Callable[[], Registry] = example_registry) -> tuple[Path, str]:
    """A private home, a generated master key, no secret in the environment."""
    for name in SECRET_ENV:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    master = generate_key().hex()
    monkeypatch.setenv("VENUEKIT_HOME", str(home))
    monkeypatch.setenv("VENUEKIT_MASTER_KEY", master)
    monkeypatch.setattr(common, "REGISTRY_FACTORY", registry)
    return home, master


def set_credentials(monkeypatch: pytest.MonkeyPatch, sim: ExampleSimulator,
                    secret: str | None = None) -> None:
    monkeypatch.setenv("VENUEKIT_API_KEY", sim.credentials.api_key)
    monkeypatch.setenv("VENUEKIT_API_SECRET", secret or sim.credentials.api_secret)


def add(cli: Cli, monkeypatch: pytest.MonkeyPatch, sim: ExampleSimulator, name: str,
        *options: str, secret: str | None = None) -> str:
    """Store a connection through the CLI and return its id."""
    set_credentials(monkeypatch, sim, secret)
    view = cli.json("connections", "add", "--name", name, "--exchange", "example", *options)
    assert isinstance(view, dict)
    return str(view["id"])


# ---------------------------------------------------------------- fixtures


@pytest.fixture
def sim() -> Iterator[ExampleSimulator]:
    with ThreadedSimulator() as simulator:
        yield simulator


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        ) -> Iterator[Cli]:
    home, master = isolate(monkeypatch, tmp_path,
                           lambda: example_registry(with_passphrase_plugin(),
                                                    key_pair_plugin()))
    runner = Cli(capsys, home)
    runner.add_secrets(master, ExampleSimulator().credentials.api_secret,
                       ExampleSimulator().credentials.api_key)
    yield runner
    runner.assert_home_clean()


def prompts(monkeypatch: pytest.MonkeyPatch, answers: dict[str, str]) -> list[str]:
    """Pretend stdin is a terminal; answer hidden prompts by a word in their label."""
    asked: list[str] = []

    def prompt(label: str) -> str:
        asked.append(label)
        return next(value for word, value in answers.items() if word in label)

    monkeypatch.setattr(common, "interactive", lambda: True)
    monkeypatch.setattr(common, "prompt_hidden", prompt)
    return asked


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
     "unrecognized arguments: --api-secret"),
    (["--exchange", "example"], "the following arguments are required: --name"),
    (["--name", "x", "--exchange", "example", "--key-type", "dsa"], "invalid choice: 'dsa'"),
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
