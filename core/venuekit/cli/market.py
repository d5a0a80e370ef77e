"""venuekit ticker and venuekit book: public market data, no credentials needed.

The first argument is an installed exchange's name (its public host, or its test host
with ``--testnet``) or else a stored connection (its environment and host; its secrets
are not decrypted). An exchange name wins over a connection of the same name: give the
connection's id to use the connection. ``--base-url`` points either at another host
(a simulator).

``--json`` shapes (stable; decimals as strings, times ISO-8601 UTC)::

    ticker  {"exchange", "symbol", "bid", "ask", "last", "timestamp"}
    book    {"exchange", "symbol", "depth", "bids": [[price, quantity]], "asks": [...],
             "timestamp": str|null, "sequence": int|null}
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ..account_models import OrderBook, Ticker
from ..connector import Connector, connect
from ..convert import to_jsonable
from ..models import Capability
from ..service import connect_options
from ..store import ConnectionNotFound
from . import common
from .account import SYMBOL_HELP, _cell, with_markets
from .common import EXIT_OK, POSITIVE, UsageError, home_option, host_url, json_option, wants_json
from .limits import machine_limiter
from .output import emit_json, table

__all__ = ["book", "ticker"]

T = TypeVar("T")

DEFAULT_DEPTH = 20


def _installed(target: str) -> str | None:
    wanted = target.strip().casefold()
    return next((name for name in common.registry().names() if name.casefold() == wanted),
                None)


def _public(target: str, home: Path | None, base_url: str | None, testnet: bool,
            needs: Capability, work: Callable[[Connector], Awaitable[T]]) -> T:
    """Run ``work`` on a credential-less connector for ``target`` (exchange or connection)."""
    override = host_url(base_url)
    root = common.home_of(home)
    exchange = _installed(target)
    options: dict[str, Any] = {}
    if exchange is None:
        try:
            conn = common.resolve(common.open_store(home), target)
        except ConnectionNotFound:
            installed = ", ".join(common.registry().names()) or "none"
            raise ConnectionNotFound(
                f"{target!r} is neither an installed exchange (installed: {installed}) nor "
                "a stored connection (see venuekit connections list)") from None
        if testnet and not conn.is_testnet:
            raise UsageError(f"--testnet: connection {conn.name} is a live connection")
        exchange, testnet, options = conn.exchange, conn.is_testnet, connect_options(conn)
    options.pop("stream_base_url", None)
    if override is not None:
        options["base_url"] = override

    async def go() -> T:
        async with connect(exchange, None, testnet=testnet, registry=common.registry(),
                           **options) as connector:
            if root.is_dir():  # a first run never creates the home just for a cache file
                await with_markets(connector, root, needs)
            return await work(connector)

    with machine_limiter(root):
        return common.run_async(go())


def _target_options(function: Any) -> Any:
    function = click.option("--testnet", is_flag=True,
                            help="With an exchange name: its test environment's host.")(function)
    function = click.option("--base-url", metavar="URL",
                            help="Ask this host instead (e.g. a simulator).")(function)
    function = click.argument("symbol")(function)
    return click.argument("target", metavar="CONN|EXCHANGE")(function)


@click.command("ticker", short_help="Best bid, best ask and last price of a symbol.",
               help="Best bid, best ask and last price of SYMBOL on an exchange (its public "
                    "host) or through a stored connection (its host). " + SYMBOL_HELP)
@_target_options
@home_option
@json_option
def ticker(target: str, symbol: str, base_url: str | None, testnet: bool,
           home: Path | None) -> int:
    async def work(c: Connector) -> tuple[str, Ticker]:
        return c.exchange, await c.fetch_ticker(symbol)

    exchange, found = _public(target, home, base_url, testnet, Capability.FETCH_TICKER, work)
    if wants_json():
        emit_json({"exchange": exchange, **to_jsonable(found)})
        return EXIT_OK
    print(table(["field", "value"], [
        ["exchange", exchange], ["symbol", found.symbol], ["bid", _cell(found.bid)],
        ["ask", _cell(found.ask)], ["last", _cell(found.last)],
        ["time", _cell(found.timestamp)]]))
    return EXIT_OK


def _book_rows(found: OrderBook) -> list[list[str]]:
    rows = []
    for level in range(max(len(found.bids), len(found.asks))):
        bid = found.bids[level] if level < len(found.bids) else None
        ask = found.asks[level] if level < len(found.asks) else None
        rows.append(["" if bid is None else _cell(bid[1]), "" if bid is None else _cell(bid[0]),
                     "" if ask is None else _cell(ask[0]), "" if ask is None else _cell(ask[1])])
    return rows


@click.command("book", short_help="An order-book snapshot of a symbol.",
               help="An order-book snapshot of SYMBOL, best levels first, at most --depth "
                    "per side, on an exchange (its public host) or through a stored "
                    "connection (its host). " + SYMBOL_HELP)
@_target_options
@click.option("--depth", type=POSITIVE, default=DEFAULT_DEPTH, show_default=True,
              metavar="N", help="Levels per side.")
@home_option
@json_option
def book(target: str, symbol: str, base_url: str | None, testnet: bool, depth: int,
         home: Path | None) -> int:
    async def work(c: Connector) -> tuple[str, OrderBook]:
        return c.exchange, await c.fetch_order_book(symbol, depth)

    exchange, found = _public(target, home, base_url, testnet, Capability.FETCH_ORDER_BOOK,
                              work)
    if wants_json():
        emit_json({"exchange": exchange, "depth": depth, **to_jsonable(found)})
        return EXIT_OK
    stamp = f" at {_cell(found.timestamp)} UTC" if found.timestamp else ""
    print(f"{exchange} {found.symbol}{stamp}")
    if not found.bids and not found.asks:
        print("the book is empty")
        return EXIT_OK
    print(table(["bid size", "bid", "ask", "ask size"], _book_rows(found)))
    return EXIT_OK
