"""`venuekit balance` and `venuekit order` through the CLI entry point, on the example simulator."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from cli_support import Cli, ThreadedSimulator, add, cli_runner
from venuekit.testing.example.simulator import ExampleSimulator

SYMBOL = "BTC/USDT:USDT"


@pytest.fixture
def sim() -> Iterator[ExampleSimulator]:
    with ThreadedSimulator() as simulator:
        yield simulator


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        sim: ExampleSimulator) -> Iterator[Cli]:
    yield from cli_runner(monkeypatch, tmp_path, capsys, sim.credentials.api_key,
                          sim.credentials.api_secret)


@pytest.fixture
def conn(cli: Cli, monkeypatch: pytest.MonkeyPatch, sim: ExampleSimulator) -> str:
    return add(cli, monkeypatch, sim, "main")


def test_balance(cli: Cli, conn: str, sim: ExampleSimulator) -> None:
    code, out, err = cli("balance", "main", "--base-url", sim.base_url)
    assert code == 0, err
    assert out.splitlines()[0].split() == ["asset", "free", "used", "total"]
    assert "USDT   100000  0     100000" in out
    balance = cli.json("balance", conn, "--base-url", sim.base_url)
    assert isinstance(balance, dict)
    assert [(a["asset"], a["total"]) for a in balance["assets"]] == [("USDT", "100000")]


def test_place_look_up_and_cancel(cli: Cli, conn: str, sim: ExampleSimulator) -> None:
    base = ("--base-url", sim.base_url, "--symbol", SYMBOL)
    code, out, err = cli("order", "place", "main", *base, "--side", "buy", "--type", "limit",
                         "--quantity", "0.01", "--price", "40000", "--client-order-id", "cli-1")
    assert code == 0, err
    assert "client order id  cli-1" in out and "status           open" in out

    placed = cli.json("order", "place", "main", *base, "--side", "sell", "--type", "limit",
                      "--quantity", "0.01", "--price", "60000", "--tif", "gtc")
    assert isinstance(placed, dict) and placed["side"] == "sell" and placed["status"] == "open"
    assert len(sim.state.orders) == 2

    status = cli.json("order", "status", conn, *base, "--client-order-id", "cli-1")
    assert isinstance(status, dict) and status["price"] == "40000"
    cancelled = cli.json("order", "cancel", "main", *base, "--order-id", status["order_id"])
    assert isinstance(cancelled, dict) and cancelled["status"] == "canceled"
    code, out, _ = cli("order", "cancel", "main", *base, "--client-order-id",
                       placed["client_order_id"])
    assert code == 0 and "canceled" in out


def test_reduce_only_is_passed_on(cli: Cli, conn: str, sim: ExampleSimulator) -> None:
    placed = cli.json("order", "place", conn, "--base-url", sim.base_url, "--symbol", SYMBOL,
                      "--side", "buy", "--type", "limit", "--quantity", "0.01",
                      "--price", "40000", "--reduce-only")
    assert isinstance(placed, dict) and placed["reduce_only"] is True


@pytest.mark.parametrize(("argv", "message"), [
    (["--side", "buy", "--type", "limit", "--quantity", "0.01"],
     "invalid order: a limit order needs a price"),
    (["--side", "buy", "--type", "limit", "--quantity", "-1", "--price", "40000"],
     "invalid order: quantity must be a finite number above zero"),
    (["--side", "buy", "--type", "market", "--quantity", "0.01", "--price", "40000"],
     "invalid order: a market order takes no price"),
    (["--side", "buy", "--type", "limit", "--quantity", "abc", "--price", "1"],
     "not a number: 'abc'"),
    (["--side", "hold", "--type", "limit", "--quantity", "1", "--price", "1"],
     "'hold' is not one of 'buy', 'sell'"),  # click's wording
    (["--type", "limit", "--quantity", "1", "--price", "1"], "Missing option '--side'"),
])
def test_place_usage_errors(cli: Cli, conn: str, sim: ExampleSimulator, argv: list[str],
                            message: str) -> None:
    code, _, err = cli("order", "place", "main", "--base-url", sim.base_url, "--symbol", SYMBOL,
                       *argv)
    assert code == 2
    assert message in err
    assert not sim.state.orders


@pytest.mark.parametrize("which", [[], ["--order-id", "1", "--client-order-id", "x"]])
def test_cancel_needs_exactly_one_order_ref(cli: Cli, conn: str, sim: ExampleSimulator,
                                            which: list[str]) -> None:
    code, _, err = cli("order", "cancel", "main", "--symbol", SYMBOL, *which)
    assert code == 2 and "--order-id" in err


def test_venue_and_market_refusals_fail_with_exit_1(cli: Cli, conn: str,
                                                    sim: ExampleSimulator) -> None:
    base = ("--base-url", sim.base_url, "--symbol", SYMBOL)
    code, _, err = cli("order", "place", "main", *base, "--side", "buy", "--type", "limit",
                       "--quantity", "0.0105", "--price", "40000")
    assert code == 1 and "is not a multiple of the step" in err
    code, _, err = cli("order", "place", "main", *base, "--side", "buy", "--type", "market",
                       "--quote-quantity", "100")
    assert code == 1 and "give quantity, not quote_quantity" in err
    code, _, err = cli("order", "place", "main", "--base-url", sim.base_url, "--symbol",
                       "DOGE/USDT", "--side", "buy", "--type", "limit", "--quantity", "1",
                       "--price", "1")
    assert code == 1 and "does not list 'DOGE/USDT'" in err
    code, _, err = cli("order", "status", "main", *base, "--order-id", "999999")
    assert code == 1 and err.startswith("venuekit: ")
    assert not sim.state.orders


def test_a_disabled_connection_places_no_order(cli: Cli, conn: str,
                                               sim: ExampleSimulator) -> None:
    assert cli("connections", "disable", conn)[0] == 0
    code, _, err = cli("order", "place", "main", "--base-url", sim.base_url, "--symbol", SYMBOL,
                       "--side", "buy", "--type", "limit", "--quantity", "0.01",
                       "--price", "40000")
    assert code == 1 and "main is disabled; enable it first" in err
    assert not sim.state.orders
    assert cli("balance", "main", "--base-url", sim.base_url)[0] == 0  # reading is fine


def test_unknown_connection(cli: Cli, sim: ExampleSimulator) -> None:
    code, _, err = cli("balance", "nobody", "--base-url", sim.base_url)
    assert code == 1 and "no connection with id or name 'nobody'" in err


def test_a_refused_key_is_a_failure_without_the_secret(cli: Cli, monkeypatch: pytest.MonkeyPatch,
                                                       sim: ExampleSimulator) -> None:
    add(cli, monkeypatch, sim, "bad", secret="wrong-secret-never-shown-0000")
    code, out, err = cli("balance", "bad", "--base-url", sim.base_url)
    assert code == 1 and not out
    assert err.startswith("venuekit: [example] signature mismatch")
    # the Cli runner has already checked that neither secret is in the output


def test_orders_are_journaled_and_an_interrupted_one_is_recovered(
        cli: Cli, conn: str, sim: ExampleSimulator, tmp_path: Path) -> None:
    import json
    import stat

    from venuekit.journal import OrderJournal, account_id
    from venuekit.models import OrderParams

    base = ("--base-url", sim.base_url, "--symbol", SYMBOL)
    code, _, err = cli("order", "place", "main", *base, "--side", "buy", "--type", "limit",
                       "--quantity", "0.01", "--price", "40000", "--client-order-id", "jr-1")
    assert code == 0, err
    [path] = list(tmp_path.rglob(f"journals/{conn}.jsonl"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert "jr-1" in text
    assert sim.credentials.api_key not in text and sim.credentials.api_secret not in text
    assert {json.loads(line)["type"] for line in text.splitlines()} >= {"send", "placed"}
    assert cli.json("order", "recover", "main", "--base-url", sim.base_url) == {"orders": []}

    # a run killed between send and answer: the order reached the venue, the journal only
    # knows it was sent; `order recover` finds it by look-up and never sends it again
    sim.state.place(symbol="BTCUSDT", side="BUY", type="LIMIT", quantity=Decimal("0.01"),
                    price=Decimal("41000"), client_order_id="jr-2", time_in_force="GTC",
                    reduce_only=False, dedupe_open_only=True)
    journal = OrderJournal.open(path)
    journal.sent(account_id("example", sim.credentials.api_key, testnet=False),
                 OrderParams(symbol=SYMBOL, side="buy", type="limit", quantity="0.01",
                             price="41000", client_order_id="jr-2"),
                 SYMBOL, signed_ms=0, settle_s=0.1)
    before = len(sim.state.orders)
    found = cli.json("order", "recover", "main", "--base-url", sim.base_url)
    assert isinstance(found, dict)
    assert [(o["client_order_id"], o["outcome"]) for o in found["orders"]] == [
        ("jr-2", "placed")]
    assert len(sim.state.orders) == before
    assert cli.json("order", "recover", "main", "--base-url", sim.base_url) == {"orders": []}
