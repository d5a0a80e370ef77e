"""Account state for a connection's page: open orders, positions, recent fills.

Each read opens a connector for the stored connection (its own hosts, or the tester's
override) and asks the three questions at once; a venue that lacks one raises
:class:`~venuekit.NotSupported` before sending anything, and the page says "not supported
by <venue>". Recent fills are listed per market (venues answer them per symbol): the
symbol asked for, or else those of the open orders and positions.

**Live orders.** :func:`poll_open_orders` feeds the page's server-sent events from the
venue's order stream (``watch_orders``) where it has one, and polls ``fetch_open_orders``
every few seconds where it has not; each event says which, and so does the page.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Awaitable
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from attrs import frozen

from ...account_models import Fill, Position
from ...connector import Connector, connect
from ...errors import NotSupported
from ...models import OrderResult
from ...service import connect_options
from ...store import ExchangeConnection, testlog
from ..context import ApiContext
from .problems import PageError, page_error

__all__ = [
    "FILLS_LIMIT",
    "MAX_FILL_SYMBOLS",
    "Section",
    "open_connector",
    "order_row",
    "poll_open_orders",
    "read_account",
]

T = TypeVar("T")

#: Fills shown per market.
FILLS_LIMIT = 20
#: Markets whose fills are listed when no symbol is asked for.
MAX_FILL_SYMBOLS = 3


@frozen
class Section:
    """One table of the account page: its rows, or why there are none."""

    rows: list[dict[str, str]] | None = None
    unsupported: str | None = None
    error: PageError | None = None
    note: str | None = None


async def open_connector(ctx: ApiContext, conn: ExchangeConnection
                         ) -> tuple[Connector, tuple[str, ...]]:
    """A connector for a stored connection, and its secret values (for redaction)."""
    credentials = await asyncio.to_thread(ctx.store.credentials, conn.id)
    options: dict[str, Any] = {**connect_options(conn), **ctx.tester.connect_options}
    if ctx.tester.base_url_for is not None:
        override = ctx.tester.base_url_for(conn)
        if override:
            options["base_url"] = override
    connector = connect(conn.exchange, credentials, testnet=conn.is_testnet,
                        registry=ctx.registry, **options)
    return connector, testlog.secret_values(credentials)


def _amount(value: Decimal | None) -> str:
    return "" if value is None else f"{value.normalize():f}"


def _when(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M:%S UTC")


def _enum(value: object) -> str:
    return "" if value is None else str(getattr(value, "value", value))


def order_row(order: OrderResult) -> dict[str, str]:
    return {"symbol": order.symbol, "order_id": order.order_id, "side": _enum(order.side),
            "type": _enum(order.type), "status": _enum(order.status),
            "price": _amount(order.price), "quantity": _amount(order.quantity),
            "filled": _amount(order.filled_quantity), "created": _when(order.created_at)}


def _position_row(position: Position) -> dict[str, str]:
    return {"symbol": position.symbol, "side": _enum(position.side),
            "quantity": _amount(position.quantity), "entry": _amount(position.entry_price),
            "mark": _amount(position.mark_price), "pnl": _amount(position.unrealized_pnl),
            "leverage": _amount(position.leverage)}


def _fill_row(fill: Fill) -> dict[str, str]:
    return {"symbol": fill.symbol, "trade_id": fill.trade_id, "order_id": fill.order_id,
            "side": _enum(fill.side), "price": _amount(fill.price),
            "quantity": _amount(fill.quantity),
            "fee": f"{_amount(fill.fee)} {fill.fee_currency or ''}".strip(),
            "time": _when(fill.timestamp)}


def _failed(exc: Exception, venue: str, secrets: tuple[str, ...]) -> Section:
    if isinstance(exc, NotSupported):
        return Section(unsupported=f"not supported by {venue}")
    return Section(error=page_error(exc, venue=venue, secrets=secrets))


async def _attempt(work: Awaitable[T], timeout_s: float) -> T | Exception:
    """The result, or the exception that ended it (a section shows it; others go on)."""
    try:
        async with asyncio.timeout(timeout_s):
            return await work
    except Exception as exc:
        return exc


async def read_account(ctx: ApiContext, conn: ExchangeConnection, venue: str,
                       symbol: str | None, timeout_s: float) -> dict[str, Section]:
    """The three sections of the account page; never raises for the venue."""
    try:
        connector, secrets = await open_connector(ctx, conn)
    except Exception as exc:
        failed = Section(error=page_error(exc, venue=venue))
        return {"orders": failed, "positions": failed, "fills": failed}
    async with connector:
        orders, positions = await asyncio.gather(
            _attempt(connector.fetch_open_orders(symbol), timeout_s),
            _attempt(connector.fetch_positions(None if symbol is None else [symbol]),
                     timeout_s))
        sections = {
            "orders": _failed(orders, venue, secrets) if isinstance(orders, Exception)
            else Section(rows=[order_row(o) for o in orders]),
            "positions": _failed(positions, venue, secrets)
            if isinstance(positions, Exception)
            else Section(rows=[_position_row(p) for p in positions]),
        }
        symbols = [symbol] if symbol else _seen_symbols(
            [] if isinstance(orders, Exception) else [o.symbol for o in orders],
            [] if isinstance(positions, Exception) else [p.symbol for p in positions])
        if not symbols:
            sections["fills"] = Section(note="fills are listed per market: enter a symbol")
            return sections
        fills = await asyncio.gather(
            *(_attempt(connector.fetch_my_trades(s, limit=FILLS_LIMIT), timeout_s)
              for s in symbols))
        found: list[Fill] = []
        for batch in fills:
            if isinstance(batch, Exception):
                sections["fills"] = _failed(batch, venue, secrets)
                return sections
            found.extend(batch)
        found.sort(key=lambda f: f.timestamp, reverse=True)
        sections["fills"] = Section(rows=[_fill_row(f) for f in found],
                                    note=f"markets: {', '.join(symbols)}")
        return sections


def _seen_symbols(*groups: list[str]) -> list[str]:
    found = dict.fromkeys(symbol for group in groups for symbol in group)
    return list(found)[:MAX_FILL_SYMBOLS]


async def poll_open_orders(ctx: ApiContext, conn: ExchangeConnection, venue: str,
                           symbol: str | None, every_s: float, timeout_s: float,
                           ) -> AsyncGenerator[dict[str, Any], None]:
    """Open orders as events for the page: live from the venue's order stream where it
    has one, else polled every ``every_s`` seconds.

    Yields ``{"orders": [...], "live": bool}`` or ``{"error": {...}}``
    (``{"unsupported": ...}`` once, then stops). Live, the list starts from a REST read
    and each order update then replaces its row (an order in a final state leaves it);
    the stream resyncs over REST after every reconnect, so the page never keeps a stale row.
    """
    try:
        connector, secrets = await open_connector(ctx, conn)
    except Exception as exc:
        yield {"error": page_error(exc, venue=venue).as_json()}
        return
    async with connector:
        try:
            async with asyncio.timeout(timeout_s):
                listed = await connector.fetch_open_orders(symbol)
        except NotSupported:
            yield {"unsupported": f"not supported by {venue}"}
            return
        except Exception as exc:
            yield {"error": page_error(exc, venue=venue, secrets=secrets).as_json()}
            listed = []
        rows = {order.order_id: order for order in listed}
        yield {"orders": [order_row(o) for o in rows.values()], "live": False}
        try:
            async for event in _live(connector, symbol, rows, every_s):
                yield event
        except NotSupported:
            pass  # no order stream on this venue: poll instead
        except Exception as exc:
            yield {"error": page_error(exc, venue=venue, secrets=secrets).as_json()}
        while True:
            await asyncio.sleep(every_s)
            try:
                async with asyncio.timeout(timeout_s):
                    orders = await connector.fetch_open_orders(symbol)
            except Exception as exc:
                yield {"error": page_error(exc, venue=venue, secrets=secrets).as_json()}
            else:
                yield {"orders": [order_row(o) for o in orders], "live": False}


async def _live(connector: Connector, symbol: str | None, rows: dict[str, OrderResult],
                every_s: float) -> AsyncGenerator[dict[str, Any], None]:
    """The open orders after each update of the order stream; the unchanged list again
    after ``every_s`` without one, so a page that went away is noticed (the next write
    fails) even on a quiet account."""
    updates = aiter(connector.watch_orders(symbol))
    pending = asyncio.ensure_future(anext(updates))
    try:
        while True:
            done, _ = await asyncio.wait({pending}, timeout=every_s)
            if done:
                try:
                    order = pending.result()
                except StopAsyncIteration:
                    return  # the connector closed
                if order.status.is_final:
                    rows.pop(order.order_id, None)
                else:
                    rows[order.order_id] = order
                pending = asyncio.ensure_future(anext(updates))
            yield {"orders": [order_row(o) for o in rows.values()], "live": True}
    finally:
        pending.cancel()
        with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
            await pending
