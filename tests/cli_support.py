"""Helpers shared by the CLI tests: a simulator on its own thread (each command runs its
own event loop), the ``Cli`` runner that searches every output and file for secrets, and
store isolation (a temporary ``VENUEKIT_HOME``, a generated master key, the example
exchange as the only installed plugin).
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
from venuekit.store import generate_key
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


def prompts(monkeypatch: pytest.MonkeyPatch, answers: dict[str, str]) -> list[str]:
    """Pretend stdin is a terminal; answer hidden prompts by a word in their label."""
    asked: list[str] = []

    def prompt(label: str) -> str:
        asked.append(label)
        return next(value for word, value in answers.items() if word in label)

    monkeypatch.setattr(common, "interactive", lambda: True)
    monkeypatch.setattr(common, "prompt_hidden", prompt)
    return asked


def cli_runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
               capsys: pytest.CaptureFixture[str], *secrets: str,
               registry: Callable[[], Registry] | None = None) -> Iterator[Cli]:
    """The body of every module's ``cli`` fixture: isolate, run, then check the home."""
    home, master = isolate(monkeypatch, tmp_path, *(() if registry is None else (registry,)))
    runner = Cli(capsys, home)
    runner.add_secrets(master, *secrets)
    yield runner
    runner.assert_home_clean()
