"""venuekit orders, positions, fills and order cancel-all: account state of a connection.

Reads work on a disabled connection (so is cancel-all: disabling an account in a hurry
must never leave orders that cannot be pulled). What a venue cannot do fails with its
:class:`~venuekit.NotSupported` message, which names the venue and the operation, exit 1.

``--json`` shapes (stable; amounts are decimal strings, times ISO-8601 UTC)::

    orders      {"exchange", "symbol": str|null, "orders": [Order]}
    positions   {"exchange", "symbols": [str]|null, "positions": [Position]}
    fills       {"exchange", "symbol", "since": str|null, "limit": int|null, "fills": [Fill]}
    cancel-all  {"exchange", "symbol", "cancelled": [Order]}

Order, Position and Fill are the models as :func:`venuekit.convert.to_jsonable` writes
them (docs/cli.md lists their fields).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import click

from ..account_models import Fill, Position
from ..connector import Connector
from ..markets_cache import MarketsCache, use_cached_markets
from ..models import Capability, OrderResult
from ..wire import Response
from . import common
from .common import EXIT_OK, POSITIVE, UsageError, home_option, json_option, wants_json
from .output import emit_json, spinner_while, table
from .trading import _connection_options, _with_connector, order

__all__ = ["cancel_all", "fills", "orders", "parse_since", "positions"]

SYMBOL_HELP = "Unified (BTC/USDT:USDT) or native (BTCUSDT) symbol."

T = TypeVar("T")


async def with_markets(connector: Connector, root: Path, *needs: Capability) -> None:
    """The venue's markets from the on-disk cache (or downloaded once), but only when the
    venue has one of ``needs``: an operation it lacks fails with NotSupported before
    anything is sent, not after a market download."""
    if any(connector.info.has(capability) for capability in needs):
        await use_cached_markets(connector, MarketsCache.under(root))


def _read(ref: str, home: Path | None, base_url: str | None, needs: Sequence[Capability],
          work: Callable[[Connector], Awaitable[T]]) -> T:
    root = common.home_of(home)

    async def go(connector: Connector) -> T:
        await with_markets(connector, root, *needs)
        return await work(connector)

    return _with_connector(ref, home, base_url, trading=False, markets=False, work=go)


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, bool):
        return "yes" if value else "no"
    enum_value = getattr(value, "value", None)
    return str(enum_value) if isinstance(enum_value, str) else str(value)


def _order_rows(found: Sequence[OrderResult]) -> str:
    return table(
        ["symbol", "order id", "client order id", "side", "type", "quantity", "price",
         "filled", "status", "created"],
        [[o.symbol, o.order_id, _cell(o.client_order_id), _cell(o.side), _cell(o.type),
          _cell(o.quantity), _cell(o.price), _cell(o.filled_quantity), _cell(o.status),
          _cell(o.created_at)] for o in found])


def _exchange(connector: Connector) -> str:
    return connector.exchange


# ---------------------------------------------------------------- orders


@click.command("orders", short_help="Open orders of a connection.",
               help="Open orders of a stored connection: on --symbol, or on every symbol "
                    "where the venue lists them at once.")
@_connection_options
@click.option("--symbol", help=SYMBOL_HELP)
@home_option
@json_option
def orders(ref: str, base_url: str | None, symbol: str | None, home: Path | None) -> int:
    async def work(c: Connector) -> tuple[str, list[OrderResult]]:
        return _exchange(c), await c.fetch_open_orders(symbol)

    needs = (Capability.FETCH_OPEN_ORDERS if symbol else
             Capability.FETCH_OPEN_ORDERS_ALL_SYMBOLS,)
    exchange, found = _read(ref, home, base_url, needs, work)
    if wants_json():
        emit_json({"exchange": exchange, "symbol": symbol, "orders": found})
    elif not found:
        print(f"no open orders{f' on {symbol}' if symbol else ''}")
    else:
        print(_order_rows(found))
    return EXIT_OK


# ---------------------------------------------------------------- positions


def _position_rows(found: Sequence[Position]) -> str:
    return table(
        ["symbol", "side", "quantity", "entry price", "mark price", "unrealized pnl",
         "leverage", "liquidation price", "margin"],
        [[p.symbol, _cell(p.side), _cell(p.quantity), _cell(p.entry_price),
          _cell(p.mark_price), _cell(p.unrealized_pnl), _cell(p.leverage),
          _cell(p.liquidation_price), _cell(p.margin_mode)] for p in found])


@click.command("positions", short_help="Open positions of a connection.",
               help="Open (non-flat) derivatives positions of a stored connection, "
                    "quantities in base currency; on the --symbol(s) given, else on every "
                    "market.")
@_connection_options
@click.option("--symbol", "symbols", multiple=True, metavar="SYMBOL",
              help=SYMBOL_HELP + " Repeat for several.")
@home_option
@json_option
def positions(ref: str, base_url: str | None, symbols: tuple[str, ...],
              home: Path | None) -> int:
    wanted = list(dict.fromkeys(symbols)) or None

    async def work(c: Connector) -> tuple[str, list[Position]]:
        return _exchange(c), await c.fetch_positions(wanted)

    exchange, found = _read(ref, home, base_url, (Capability.FETCH_POSITIONS,), work)
    if wants_json():
        emit_json({"exchange": exchange, "symbols": wanted, "positions": found})
    elif not found:
        print("no open positions")
    else:
        print(_position_rows(found))
    return EXIT_OK


# ---------------------------------------------------------------- fills


def parse_since(value: str) -> datetime:
    """``--since``: milliseconds since the epoch, or ISO-8601 (a time without a zone is
    UTC, as is a bare date: its midnight).

    Raises:
        UsageError: neither.
    """
    text = value.strip()
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, UTC)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise UsageError(f"--since: not ISO-8601 or epoch milliseconds: {value!r}") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


class _Pages:
    """Counts the venue's answers while fills are paged (the connector's response tap)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, response: Response) -> None:
        self.count += 1


def _fill_rows(found: Sequence[Fill]) -> str:
    return table(
        ["time", "symbol", "trade id", "order id", "side", "price", "quantity", "fee",
         "fee currency", "maker"],
        [[_cell(f.timestamp), f.symbol, f.trade_id, f.order_id, _cell(f.side), _cell(f.price),
          _cell(f.quantity), _cell(f.fee), _cell(f.fee_currency), _cell(f.is_maker)]
         for f in found])


@click.command("fills", short_help="The account's fills (trades) on a symbol.",
               help="The account's fills on --symbol, oldest first, paged through the "
                    "venue's history by the core. With --since: fills at or after it (the "
                    "oldest --limit of them); without: the newest --limit (or all the venue "
                    "keeps). On a terminal a spinner counts the requests of a long read.")
@_connection_options
@click.option("--symbol", required=True, help=SYMBOL_HELP)
@click.option("--since", metavar="TIME",
              help="ISO-8601 (UTC unless it says otherwise) or epoch milliseconds.")
@click.option("--limit", type=POSITIVE, metavar="N", help="At most N fills.")
@home_option
@json_option
def fills(ref: str, base_url: str | None, symbol: str, since: str | None, limit: int | None,
          home: Path | None) -> int:
    start = parse_since(since) if since is not None else None
    pages = _Pages()

    async def work(c: Connector) -> tuple[str, list[Fill]]:
        c.transport.on_response = pages
        found = await spinner_while(
            c.fetch_my_trades(symbol, since=start, limit=limit),
            lambda: f"reading {symbol} fills from {c.info.display_name}: "
                    f"{pages.count} request(s)")
        return _exchange(c), found

    exchange, found = _read(ref, home, base_url, (Capability.FETCH_MY_TRADES,), work)
    if wants_json():
        payload: dict[str, Any] = {"exchange": exchange, "symbol": symbol,
                                   "since": start, "limit": limit, "fills": found}
        emit_json(payload)
    elif not found:
        print(f"no fills on {symbol}")
    else:
        print(_fill_rows(found))
    return EXIT_OK


# ---------------------------------------------------------------- cancel-all


@order.command("cancel-all", short_help="Cancel every open order on a symbol.",
               help="Cancel every open order on --symbol, natively where the venue has a "
                    "cancel-all call, else listed and cancelled in the venue's batch size. "
                    "Prints the orders that were cancelled. Works on a disabled connection.")
@_connection_options
@click.option("--symbol", required=True, help=SYMBOL_HELP)
@home_option
@json_option
def cancel_all(ref: str, base_url: str | None, symbol: str, home: Path | None) -> int:
    async def work(c: Connector) -> tuple[str, list[OrderResult]]:
        return _exchange(c), await c.cancel_all_orders(symbol)

    exchange, cancelled = _read(
        ref, home, base_url, (Capability.CANCEL_ALL_ORDERS, Capability.FETCH_OPEN_ORDERS), work)
    if wants_json():
        emit_json({"exchange": exchange, "symbol": symbol, "cancelled": cancelled})
    elif not cancelled:
        print(f"no open orders on {symbol}; nothing cancelled")
    else:
        print(_order_rows(cancelled))
        print(f"cancelled {len(cancelled)} order(s) on {symbol}")
    return EXIT_OK
