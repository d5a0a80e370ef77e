"""`venuekit watch`: live streams, one line per event (JSON lines under ``--json``).

Account streams (orders, fills, balance, positions) need a stored connection; market
streams (ticker, book, trades) need only a venue, named directly or through a stored
connection. The stream survives drops on its own (reconnect, resync); the command ends on
Ctrl-C, after ``--count`` lines, or when the venue refuses the subscription.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..connector import Connector, connect
from ..models import Credentials
from ..streams import lines
from ..streams.watching import LINE_KINDS
from . import common
from .common import EXIT_OK, UsageError, home_option, json_option, wants_json
from .limits import machine_limiter

__all__ = ["watch"]

#: Streams of one account: they need a stored connection's credentials.
ACCOUNT_KINDS = ("orders", "fills", "balance", "positions")
#: Streams of one market: a venue name is enough.
MARKET_KINDS = ("ticker", "book", "trades")


@click.command("watch", short_help="Print a live stream, one line per event.",
               help="Print a live stream, one line per event: orders|fills|balance|positions "
                    "of a stored CONNECTION, or ticker|book|trades of a SYMBOL on an "
                    "exchange (or a connection's exchange). Ends on Ctrl-C or after --count "
                    "lines.")
@click.argument("kind", type=click.Choice(sorted(LINE_KINDS)))
@click.argument("target", metavar="CONNECTION|EXCHANGE")
@click.argument("symbol", required=False)
@click.option("--symbol", "symbol_option", metavar="SYMBOL",
              help="Only this market's orders or fills (or the market of ticker|book|trades).")
@click.option("--depth", type=click.IntRange(1, 1000), default=5, show_default=True,
              help="Book levels shown per side.")
@click.option("--count", type=click.IntRange(1), default=None,
              help="Stop after this many lines.")
@click.option("--base-url", metavar="URL", help="REST host instead of the venue's.")
@click.option("--stream-base-url", metavar="URL",
              help="WebSocket host instead of the venue's (e.g. ws://127.0.0.1:PORT).")
@click.option("--testnet", is_flag=True, help="The venue's test environment (market streams "
              "of an exchange named directly).")
@home_option
@json_option
def watch(kind: str, target: str, symbol: str | None, symbol_option: str | None, depth: int,
          count: int | None, base_url: str | None, stream_base_url: str | None,
          testnet: bool, home: Path | None) -> int:
    symbol = symbol or symbol_option
    if kind in MARKET_KINDS and symbol is None:
        raise UsageError(f"watch {kind} needs a SYMBOL")
    rest = common.host_url(base_url)
    socket_host = common.stream_url(stream_base_url)
    as_json = wants_json()

    async def follow(conn: Connector) -> int:
        printed = 0
        async for line in lines(conn, kind, symbol, as_json=as_json, depth=depth):
            click.echo(line)
            sys.stdout.flush()
            printed += 1
            if count is not None and printed >= count:
                break
        return EXIT_OK

    registry = common.registry()
    credentials: Credentials | None = None
    root: Path | None = None
    if kind in ACCOUNT_KINDS or target.lower() not in registry.names():
        store = common.open_store(home)
        stored = common.resolve(store, target)
        exchange, env_testnet, root = stored.exchange, stored.is_testnet, store.root
        rest = rest or stored.base_url  # the connection's own hosts, unless overridden
        socket_host = socket_host or stored.stream_base_url
        if kind in ACCOUNT_KINDS:
            credentials = store.credentials(stored.id)
    else:
        exchange, env_testnet = target.lower(), testnet

    async def run() -> int:
        async with connect(exchange, credentials, testnet=env_testnet, registry=registry,
                           base_url=rest, stream_base_url=socket_host) as conn:
            return await follow(conn)

    try:
        if root is None:
            return common.run_async(run())
        with machine_limiter(root):
            return common.run_async(run())
    except KeyboardInterrupt:
        return EXIT_OK  # the watcher asked to stop: not a failure
