"""`venuekit orders`, `positions`, `fills`, `order cancel-all`, `ticker` and `book` through
the CLI entry point: on the example simulator (which supports everything) and on a
variant of it that declares none of the account and market operations."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from account_support import variant as without_capabilities
from cli_support import Cli, ThreadedSimulator, add, cli_runner
from venuekit import Capability
from venuekit.cli import account, output
from venuekit.registry import Registry
from venuekit.testing.example.simulator import ExampleSimulator

SYMBOL = "BTC/USDT:USDT"
ETH = "ETH/USDT:USDT"
ACCOUNT_CAPABILITIES = {
    Capability.FETCH_OPEN_ORDERS, Capability.FETCH_OPEN_ORDERS_ALL_SYMBOLS,
    Capability.FETCH_MY_TRADES, Capability.FETCH_POSITIONS, Capability.CANCEL_ALL_ORDERS,
    Capability.CANCEL_ORDERS, Capability.AMEND_ORDER_PRICE, Capability.AMEND_ORDER_QUANTITY,
    Capability.SET_LEVERAGE, Capability.PLACE_ORDERS, Capability.FETCH_TICKER,
    Capability.FETCH_ORDER_BOOK}


def bare_registry() -> Registry:
    """The example exchange as a plugin written before account state: it declares none."""
    return Registry(extra={"example": without_capabilities(without=ACCOUNT_CAPABILITIES)},
                    autoload=False)


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
    """A connection that stores the simulator as its host: no --base-url needed."""
    return add(cli, monkeypatch, sim, "main", "--base-url", sim.base_url)


def place(cli: Cli, *argv: str, symbol: str = SYMBOL) -> dict[str, str]:
    placed = cli.json("order", "place", "main", "--symbol", symbol, "--quantity", "0.01", *argv)
    assert isinstance(placed, dict)
    return placed


def limit(cli: Cli, price: str, symbol: str = SYMBOL) -> dict[str, str]:
    return place(cli, "--side", "buy", "--type", "limit", "--price", price, symbol=symbol)


def market(cli: Cli, side: str = "buy") -> dict[str, str]:
    return place(cli, "--side", side, "--type", "market")


# ---------------------------------------------------------------- orders


def test_open_orders_of_one_symbol_and_of_all(cli: Cli, conn: str) -> None:
    resting = limit(cli, "40000")
    other = limit(cli, "2000", symbol=ETH)
    market(cli)  # filled: never open
    code, out, err = cli("orders", "main", "--symbol", SYMBOL)
    assert code == 0, err
    header, *rows = [line for line in out.splitlines() if not line.startswith("\u2500")]
    assert header.split()[:3] == ["symbol", "order", "id"]
    assert len(rows) == 1 and resting["order_id"] in rows[0] and "open" in rows[0]

    listed = cli.json("orders", conn)
    assert isinstance(listed, dict) and set(listed) == {"exchange", "symbol", "orders"}
    assert listed["exchange"] == "example" and listed["symbol"] is None
    assert sorted(o["order_id"] for o in listed["orders"]) == sorted(
        [resting["order_id"], other["order_id"]])
    assert {o["price"] for o in listed["orders"]} == {"40000", "2000"}  # decimal strings


def test_no_open_orders_says_so(cli: Cli, conn: str) -> None:
    assert cli("orders", "main", "--symbol", SYMBOL)[1] == f"no open orders on {SYMBOL}\n"


def test_cancel_all_cancels_only_that_symbol(cli: Cli, conn: str, sim: ExampleSimulator) -> None:
    first, second = limit(cli, "40000"), limit(cli, "41000")
    kept = limit(cli, "2000", symbol=ETH)
    done = cli.json("order", "cancel-all", "main", "--symbol", SYMBOL)
    assert isinstance(done, dict) and done["symbol"] == SYMBOL
    assert sorted(o["order_id"] for o in done["cancelled"]) == sorted(
        [first["order_id"], second["order_id"]])
    assert [o.order_id for o in sim.state.open_orders()] == [kept["order_id"]]
    code, out, _ = cli("order", "cancel-all", "main", "--symbol", SYMBOL)
    assert code == 0 and out == f"no open orders on {SYMBOL}; nothing cancelled\n"


def test_a_disabled_connection_still_reads_and_cancels(cli: Cli, conn: str,
                                                       sim: ExampleSimulator) -> None:
    limit(cli, "40000")
    assert cli("connections", "disable", conn)[0] == 0
    assert cli("orders", "main", "--symbol", SYMBOL)[0] == 0
    assert cli("order", "cancel-all", "main", "--symbol", SYMBOL)[0] == 0
    assert not sim.state.open_orders()


# ---------------------------------------------------------------- positions and fills


def test_positions_after_a_fill(cli: Cli, conn: str) -> None:
    assert cli("positions", "main")[1] == "no open positions\n"
    market(cli)
    market(cli)
    code, out, err = cli("positions", "main")
    assert code == 0, err
    assert out.splitlines()[0].split()[:3] == ["symbol", "side", "quantity"]
    assert f"{SYMBOL}  long  0.02" in out
    held = cli.json("positions", "main", "--symbol", SYMBOL, "--symbol", ETH)
    assert isinstance(held, dict) and held["symbols"] == [SYMBOL, ETH]
    [position] = held["positions"]
    assert (position["side"], position["quantity"], position["entry_price"]) == (
        "long", "0.02", "50000")


def test_fills_oldest_first_across_pages_with_limit_and_since(cli: Cli, conn: str,
                                                              sim: ExampleSimulator) -> None:
    ids = [market(cli, "buy" if i % 2 == 0 else "sell")["order_id"] for i in range(5)]
    before = sim.stats.count("/v1/myTrades")
    every = cli.json("fills", "main", "--symbol", SYMBOL)
    assert isinstance(every, dict) and every["since"] is None and every["limit"] is None
    assert [f["order_id"] for f in every["fills"]] == ids
    assert sim.stats.count("/v1/myTrades") - before == 2  # the venue's pages hold three
    first = every["fills"][0]
    assert Decimal(first["fee"]) == Decimal("0.25") and first["side"] == "buy"

    newest = cli.json("fills", "main", "--symbol", SYMBOL, "--limit", "2")
    assert isinstance(newest, dict)
    assert [f["order_id"] for f in newest["fills"]] == ids[-2:]
    start = every["fills"][3]["timestamp"]
    since = cli.json("fills", "main", "--symbol", SYMBOL, "--since", start)
    assert isinstance(since, dict) and since["since"] == start
    assert all(f["timestamp"] >= start for f in since["fills"])
    assert ids[3] in [f["order_id"] for f in since["fills"]]

    code, out, _ = cli("fills", "main", "--symbol", SYMBOL)
    assert code == 0 and out.splitlines()[0].split()[:3] == ["time", "symbol", "trade"]
    assert len([line for line in out.splitlines() if SYMBOL in line]) == 5


@pytest.mark.parametrize(("value", "expected"), [
    ("1700000000000", datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
    ("2026-12-01", datetime(2026, 12, 1, tzinfo=UTC)),
    ("2026-12-01T10:00:00Z", datetime(2026, 12, 1, 10, tzinfo=UTC)),
    ("2026-12-01T12:00:00+02:00", datetime(2026, 12, 1, 10, tzinfo=UTC)),
])
def test_since_takes_milliseconds_or_iso_8601(value: str, expected: datetime) -> None:
    assert account.parse_since(value) == expected


@pytest.mark.parametrize(("argv", "message"), [
    (["--since", "yesterday"], "--since: not ISO-8601 or epoch milliseconds: 'yesterday'"),
    (["--limit", "0"], "must be at least 1"),
    ([], "Missing option '--symbol'"),
])
def test_fills_usage_errors(cli: Cli, conn: str, sim: ExampleSimulator, argv: list[str],
                            message: str) -> None:
    symbol = ["--symbol", SYMBOL] if argv else []
    before = len(sim.stats.requests)
    code, _, err = cli("fills", "main", *symbol, *argv)
    assert code == 2 and message in err
    assert len(sim.stats.requests) == before


def test_a_long_fills_read_shows_a_spinner_counting_requests_on_a_terminal(
        cli: Cli, conn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for _ in range(4):
        market(cli)
    monkeypatch.setattr(output, "SPINNER_DELAY_S", 0.0)
    monkeypatch.setattr(output, "_is_terminal", lambda stream: True)
    code, out, err = cli("--json", "fills", "main", "--symbol", SYMBOL)
    assert code == 0
    assert len(json.loads(out)["fills"]) == 4  # stdout stays JSON
    assert f"reading {SYMBOL} fills from Example Exchange:" in err and "request(s)" in err


def test_off_a_terminal_fills_print_no_progress(cli: Cli, conn: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    market(cli)
    monkeypatch.setattr(output, "SPINNER_DELAY_S", 0.0)
    code, _, err = cli("fills", "main", "--symbol", SYMBOL)
    assert code == 0 and err == ""


# ---------------------------------------------------------------- ticker and book


def test_ticker_by_exchange_name_needs_no_store(cli: Cli, sim: ExampleSimulator) -> None:
    code, out, err = cli("ticker", "Example", SYMBOL, "--base-url", sim.base_url)
    assert code == 0, err
    assert [line.split()[0] for line in out.splitlines()[2:]] == [
        "exchange", "symbol", "bid", "ask", "last", "time"]
    quote = cli.json("ticker", "example", SYMBOL, "--base-url", sim.base_url)
    assert isinstance(quote, dict)
    assert set(quote) == {"exchange", "symbol", "bid", "ask", "last", "timestamp"}
    assert quote["exchange"] == "example" and quote["last"] == "50000"
    assert float(quote["bid"]) < 50000 < float(quote["ask"])
    assert not cli.home.exists()  # nothing stored, not even a cache file


def test_ticker_and_book_through_a_connection_use_its_stored_host(cli: Cli, conn: str) -> None:
    quote = cli.json("ticker", "main", SYMBOL)
    assert isinstance(quote, dict) and quote["symbol"] == SYMBOL
    book = cli.json("book", conn, SYMBOL, "--depth", "3")
    assert isinstance(book, dict)
    assert set(book) == {"exchange", "symbol", "depth", "bids", "asks", "timestamp", "sequence"}
    assert len(book["bids"]) == len(book["asks"]) == 3
    assert [float(p) for p, _ in book["bids"]] == sorted(
        (float(p) for p, _ in book["bids"]), reverse=True)
    assert float(book["bids"][0][0]) < float(book["asks"][0][0])
    code, out, _ = cli("book", "main", SYMBOL, "--depth", "2")
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith(f"example {SYMBOL}")
    assert lines[1].split() == ["bid", "size", "bid", "ask", "ask", "size"]
    assert len(lines) == 5  # title, header, rule, two levels


def test_an_unknown_target_or_symbol_fails(cli: Cli, sim: ExampleSimulator) -> None:
    code, _, err = cli("ticker", "nowhere", SYMBOL)
    assert code == 1
    assert "'nowhere' is neither an installed exchange (installed: example)" in err
    code, _, err = cli("book", "example", "DOGE/USDT", "--base-url", sim.base_url)
    assert code == 1 and "does not list 'DOGE/USDT'" in err
    code, _, err = cli("book", "example", SYMBOL, "--depth", "0")
    assert code == 2 and "must be at least 1" in err


# ---------------------------------------------------------------- a venue without them


@pytest.fixture
def bare(cli: Cli, monkeypatch: pytest.MonkeyPatch, sim: ExampleSimulator) -> str:
    from venuekit.cli import common
    monkeypatch.setattr(common, "REGISTRY_FACTORY", bare_registry)
    return add(cli, monkeypatch, sim, "main", "--base-url", sim.base_url)


@pytest.mark.parametrize(("argv", "operation"), [
    (["orders", "main", "--symbol", SYMBOL], "fetch_open_orders"),
    (["orders", "main"], "fetch_open_orders for every symbol"),
    (["positions", "main"], "fetch_positions"),
    (["fills", "main", "--symbol", SYMBOL], "fetch_my_trades"),
    (["order", "cancel-all", "main", "--symbol", SYMBOL], "cancel_all_orders"),
    (["ticker", "main", SYMBOL], "fetch_ticker"),
    (["book", "example", SYMBOL], "fetch_order_book"),
])
def test_not_supported_is_one_line_naming_venue_and_operation(
        cli: Cli, bare: str, sim: ExampleSimulator, argv: list[str], operation: str) -> None:
    before = len(sim.stats.requests)
    extra = ["--base-url", sim.base_url] if argv[0] == "book" else []
    code, out, err = cli(*argv, *extra)
    assert code == 1 and out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"venuekit: [example] Example Exchange does not support {operation}")
    assert len(sim.stats.requests) == before  # not even the market list

    code, out, _ = cli("--json", *argv, *extra)
    error = json.loads(out)["error"]
    assert code == 1 and error["type"] == "NotSupported" and operation in error["message"]
