"""`venuekit watch`: a live stream through the CLI, on the example simulator."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from cli_support import Cli, ThreadedSimulator, add, cli_runner
from venuekit.testing.example.simulator import ExampleSimulator

SYMBOL = "BTC/USDT:USDT"


@pytest.fixture
def threaded() -> Iterator[ThreadedSimulator]:
    runner = ThreadedSimulator()
    with runner:
        yield runner


@pytest.fixture
def sim(threaded: ThreadedSimulator) -> ExampleSimulator:
    assert threaded.sim is not None
    return threaded.sim


def while_publishing(cli: Cli, threaded: ThreadedSimulator, *argv: str,
                     change: Callable[[ExampleSimulator], object] | None = None
                     ) -> tuple[int, str, str]:
    """Run a watch command on a thread while the venue changes something every 50 ms (by
    default: publishes a ticker), until the command ends."""
    done: list[tuple[int, str, str]] = []
    worker = threading.Thread(target=lambda: done.append(cli(*argv)))
    worker.start()
    sim = threaded.sim
    assert sim is not None
    act = change or (lambda venue: venue.streams.publish_ticker("BTCUSDT"))
    for _ in range(200):  # at most 10 s
        threaded.loop.call_soon_threadsafe(act, sim)
        worker.join(0.05)
        if not worker.is_alive():
            break
    worker.join(5)
    assert done, "the watch command did not end"
    return done[0]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        sim: ExampleSimulator) -> Iterator[Cli]:
    yield from cli_runner(monkeypatch, tmp_path, capsys, sim.credentials.api_key,
                          sim.credentials.api_secret)


def ws(sim: ExampleSimulator) -> str:
    return sim.base_url.replace("http://", "ws://")


def hosts(sim: ExampleSimulator) -> tuple[str, ...]:
    return ("--base-url", sim.base_url, "--stream-base-url", ws(sim))


def test_market_streams_need_only_the_exchange(cli: Cli, sim: ExampleSimulator,
                                               threaded: ThreadedSimulator) -> None:
    code, out, err = while_publishing(cli, threaded, "watch", "ticker", "example", SYMBOL,
                                      *hosts(sim), "--count", "2")
    assert code == 0, err
    assert len(out.splitlines()) == 2 and all(SYMBOL in line for line in out.splitlines())
    code, out, err = cli("--json", "watch", "book", "example", SYMBOL, *hosts(sim),
                         "--count", "1", "--depth", "3")
    assert code == 0, err
    book = json.loads(out.splitlines()[0])
    assert book["symbol"] == SYMBOL and 0 < len(book["bids"]) <= 3


def test_account_streams_print_each_order_change(
        cli: Cli, sim: ExampleSimulator, threaded: ThreadedSimulator,
        monkeypatch: pytest.MonkeyPatch) -> None:
    add(cli, monkeypatch, sim, "main", "--base-url", sim.base_url)
    placed = itertools.count()

    def place(venue: ExampleSimulator) -> None:
        venue.state.place(symbol="BTCUSDT", side="buy", type="limit",
                          quantity=Decimal("0.01"), price=Decimal("40000"),
                          client_order_id=f"watch-{next(placed)}")

    code, out, err = while_publishing(cli, threaded, "--json", "watch", "orders", "main",
                                      "--stream-base-url", ws(sim), "--count", "2",
                                      change=place)
    assert code == 0, err
    orders = [json.loads(line) for line in out.splitlines()]
    assert len(orders) == 2 and {o["status"] for o in orders} == {"open"}
    assert len({o["client_order_id"] for o in orders}) == 2


def test_bad_input_is_refused_before_anything_is_sent(cli: Cli, sim: ExampleSimulator) -> None:
    code, _, err = cli("watch", "ticker", "example", *hosts(sim), "--count", "1")
    assert code == 2 and "needs a SYMBOL" in err
    seen = len(sim.stats.requests)
    code, _, err = cli("watch", "ticker", "example", "NOPE/USDT:USDT", *hosts(sim),
                       "--count", "1")
    assert code == 1 and "does not list" in err
    assert all(path != "/ws" for _, _, path in sim.stats.requests[seen:])
    code, _, err = cli("watch", "orders", "nobody", "--count", "1")
    assert code != 0
