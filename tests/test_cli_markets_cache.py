"""Markets cached on disk under the store's home (markets_cache.py), as the CLI uses them.

Before: every ``venuekit order ...`` process downloaded the venue's markets again, so two
quick commands cost two downloads against the venue's limits.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import Cli, ThreadedSimulator, add, cli_runner
from venuekit.markets_cache import MarketsCache, ttl_from_env
from venuekit.models import Market, MarketKind
from venuekit.testing.example.simulator import ExampleSimulator

SYMBOL = "BTC/USDT:USDT"
MARKETS = "/v1/markets"


@pytest.fixture
def sim() -> Iterator[ExampleSimulator]:
    with ThreadedSimulator() as simulator:
        yield simulator


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        sim: ExampleSimulator) -> Iterator[Cli]:
    yield from cli_runner(monkeypatch, tmp_path, capsys, sim.credentials.api_key,
                          sim.credentials.api_secret)


def _place(cli: Cli) -> dict[str, object]:
    placed = cli.json("order", "place", "main", "--symbol", SYMBOL, "--side", "buy", "--type",
                      "limit", "--quantity", "0.01", "--price", "40000")
    assert isinstance(placed, dict)
    return placed


def test_two_commands_download_markets_once(cli: Cli, monkeypatch: pytest.MonkeyPatch,
                                            sim: ExampleSimulator) -> None:
    add(cli, monkeypatch, sim, "main", "--base-url", sim.base_url)
    placed = _place(cli)
    status = cli.json("order", "status", "main", "--symbol", SYMBOL, "--client-order-id",
                      str(placed["client_order_id"]))
    assert isinstance(status, dict) and status["status"] == "open"
    assert sim.stats.count(MARKETS) == 1
    [cached] = (cli.home / "cache" / "markets").glob("example-*.json")
    assert json.loads(cached.read_text())["base_url"] == sim.base_url


def test_a_zero_ttl_turns_the_cache_off(cli: Cli, monkeypatch: pytest.MonkeyPatch,
                                        sim: ExampleSimulator) -> None:
    monkeypatch.setenv("VENUEKIT_MARKETS_TTL", "0")
    add(cli, monkeypatch, sim, "main", "--base-url", sim.base_url)
    _place(cli)
    _place(cli)
    assert sim.stats.count(MARKETS) == 2
    assert not (cli.home / "cache").exists()


MARKET = Market(symbol="BTC/USDT", native="BTCUSDT", base="BTC", quote="USDT",
                kind=MarketKind.SPOT, tick_size="0.01", step_size="0.0001",
                min_notional="5")


def test_a_list_expires_and_never_crosses_hosts(tmp_path: Path) -> None:
    now = [1000.0]
    cache = MarketsCache(tmp_path / "m", ttl_s=60, clock=lambda: now[0])
    cache.save("x", False, "http://a", [MARKET])
    assert cache.load("x", False, "http://a") == [MARKET]
    assert cache.load("x", False, "http://b") is None  # a simulator's list is not the venue's
    assert cache.load("x", True, "http://a") is None
    now[0] += 61
    assert cache.load("x", False, "http://a") is None


def test_a_damaged_file_is_a_miss(tmp_path: Path) -> None:
    cache = MarketsCache(tmp_path / "m", ttl_s=60)
    cache.save("x", False, "http://a", [MARKET])
    path = cache.path("x", False, "http://a")
    fresh = {"format": 1, "base_url": "http://a", "fetched_at": time.time(), "markets": [{}]}
    path.write_text(json.dumps(fresh))  # fresh, but a market without its fields
    assert cache.load("x", False, "http://a") is None
    path.write_bytes(b"\x00garbage")
    assert cache.load("x", False, "http://a") is None


def test_ttl_from_the_environment() -> None:
    assert ttl_from_env({}) == 3600.0
    assert ttl_from_env({"VENUEKIT_MARKETS_TTL": "30"}) == 30.0
    assert ttl_from_env({"VENUEKIT_MARKETS_TTL": "soon"}) == 3600.0
