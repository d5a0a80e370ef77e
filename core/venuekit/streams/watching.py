"""The watch functions behind ``Connector.watch_*``, and printable lines for the CLI.

One :class:`~venuekit.streams.hub.StreamHub` per connector, made on the first watch and
closed with the connector. A watch is an async generator: it raises NotSupported,
UnknownSymbol or a refused login at its first step, before anything is sent, and ends
cleanly (StopAsyncIteration) when the connector closes. Leave a watch early with
``contextlib.aclosing`` (or ``break`` and let it be collected) so its subscription is
released.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from typing import TYPE_CHECKING, cast

from attrs import define, field

from ..account_models import Fill, OrderBook, Position, Ticker, Trade
from ..convert import to_jsonable
from ..errors import ConfigurationError, NotSupported
from ..models import Balance, OrderResult
from ..stream_models import StreamKind, StreamRole
from .hub import StreamHub
from .settings import StreamSettings
from .socket import AiohttpSocketOpener, SocketOpener

if TYPE_CHECKING:
    from ..surface import ConnectorLike

__all__ = ["LINE_KINDS", "close", "configure", "hub", "lines", "watch"]

@define
class _Config:
    base_url: str | Mapping[str, str] | None = None
    settings: StreamSettings = field(factory=StreamSettings)
    opener: SocketOpener | None = None


_CONFIGS: dict[int, _Config] = {}
_HUBS: dict[int, StreamHub] = {}


def _forget(key: int) -> None:
    _CONFIGS.pop(key, None)
    _HUBS.pop(key, None)


def configure(conn: ConnectorLike, *, base_url: str | Mapping[str, str] | None = None,
              settings: StreamSettings | None = None,
              opener: SocketOpener | None = None) -> None:
    """Set a connector's stream options (``connect(stream_base_url=..., ...)`` calls this)."""
    if base_url is not None and not isinstance(base_url, str):
        roles = {role.value for role in StreamRole}
        unknown = sorted(set(base_url) - roles)
        if unknown:
            raise ConfigurationError(f"stream_base_url names no socket role {unknown}; "
                                     f"roles are {sorted(roles)}")
    key = id(conn)
    if key not in _CONFIGS:
        weakref.finalize(conn, _forget, key)
    _CONFIGS[key] = _Config(base_url=base_url, settings=settings or StreamSettings(),
                            opener=opener)


def hub(conn: ConnectorLike) -> StreamHub:
    """The connector's stream hub, made on first use.

    Raises:
        NotSupported: the venue has no streams.
        ConfigurationError: the connector is closed.
    """
    key = id(conn)
    found = _HUBS.get(key)
    if found is not None:
        return found
    if conn.closed:
        raise ConfigurationError(f"{conn.exchange}: connector closed")
    info = conn.transport.protocol.hooks.stream_info()
    if info is None:
        raise NotSupported(f"{conn.info.display_name} has no streams in this plugin",
                           exchange=conn.exchange, operation="watch")
    if key not in _CONFIGS:
        configure(conn)
    config = _CONFIGS[key]
    made = StreamHub(connector=conn, settings=config.settings,
                     opener=config.opener or AiohttpSocketOpener(),
                     base_url=config.base_url, info=info)
    _HUBS[key] = made
    return made


def note_order(conn: ConnectorLike, order: OrderResult) -> None:
    """Remember an order this connector placed, so that a resync after a drop looks it up
    even if its first stream event was lost with the socket (no-op without watchers)."""
    found = _HUBS.get(id(conn))
    if found is not None:
        found.note_order(order)


async def close(conn: ConnectorLike) -> None:
    """End the connector's watchers and sockets (called by ``Connector.close``)."""
    found = _HUBS.pop(id(conn), None)
    if found is not None:
        await found.aclose()


async def watch(conn: ConnectorLike, kind: StreamKind, symbol: str | None = None,
                depth: int = 20) -> AsyncGenerator[object, None]:
    """Every item of one stream, as the connector's ``watch_*`` methods yield them."""
    if depth <= 0:
        raise ValueError("depth must be above zero")
    stream = hub(conn)
    watcher = await stream.watch(kind, symbol, depth)
    try:
        while True:
            try:
                item = await watcher.channel.get()
            except StopAsyncIteration:
                return
            yield item
    finally:
        await stream.unwatch(watcher)



async def watch_orders(conn: ConnectorLike, symbol: str | None) -> AsyncIterator[OrderResult]:
    async for item in watch(conn, StreamKind.ORDERS, symbol):
        yield cast("OrderResult", item)


async def watch_fills(conn: ConnectorLike, symbol: str | None) -> AsyncIterator[Fill]:
    async for item in watch(conn, StreamKind.FILLS, symbol):
        yield cast("Fill", item)


async def watch_balance(conn: ConnectorLike) -> AsyncIterator[Balance]:
    async for item in watch(conn, StreamKind.BALANCE):
        yield cast("Balance", item)


async def watch_positions(conn: ConnectorLike) -> AsyncIterator[list[Position]]:
    async for item in watch(conn, StreamKind.POSITIONS):
        yield cast("list[Position]", item)


async def watch_ticker(conn: ConnectorLike, symbol: str) -> AsyncIterator[Ticker]:
    async for item in watch(conn, StreamKind.TICKER, symbol):
        yield cast("Ticker", item)


async def watch_order_book(conn: ConnectorLike, symbol: str,
                           depth: int) -> AsyncIterator[OrderBook]:
    async for item in watch(conn, StreamKind.ORDER_BOOK, symbol, depth):
        yield cast("OrderBook", item)


async def watch_trades(conn: ConnectorLike, symbol: str) -> AsyncIterator[Trade]:
    async for item in watch(conn, StreamKind.TRADES, symbol):
        yield cast("Trade", item)


#: The CLI's words for the streams.
LINE_KINDS: dict[str, StreamKind] = {
    "orders": StreamKind.ORDERS, "fills": StreamKind.FILLS, "balance": StreamKind.BALANCE,
    "positions": StreamKind.POSITIONS, "ticker": StreamKind.TICKER,
    "book": StreamKind.ORDER_BOOK, "trades": StreamKind.TRADES,
}


async def lines(conn: ConnectorLike, kind: str, symbol: str | None = None, *,
                as_json: bool = False, depth: int = 5) -> AsyncIterator[str]:
    """One printable line per stream item, for ``venuekit watch`` (no trailing newline).

    ``kind`` is one of :data:`LINE_KINDS`; ``symbol`` is required for ticker, book and
    trades and optional for orders and fills. ``as_json`` gives one JSON object per line.
    """
    try:
        stream_kind = LINE_KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown stream {kind!r}; one of {', '.join(LINE_KINDS)}") from None
    if stream_kind in (StreamKind.TICKER, StreamKind.ORDER_BOOK, StreamKind.TRADES) \
            and symbol is None:
        raise ValueError(f"watch {kind} needs a symbol")
    source = watch(conn, stream_kind, symbol, depth)
    try:
        async for item in source:
            yield json.dumps(to_jsonable(item), sort_keys=True) if as_json else _text(item)
    finally:
        await source.aclose()


def _text(item: object) -> str:
    if isinstance(item, OrderResult):
        return (f"{item.symbol} {item.order_id} {item.side.value if item.side else '-'} "
                f"{item.status.value} filled {item.filled_quantity}/{item.quantity} "
                f"@ {item.price}")
    if isinstance(item, Fill):
        return (f"{item.symbol} {item.trade_id} {item.side.value} {item.quantity} @ "
                f"{item.price} fee {item.fee} {item.fee_currency or ''}".rstrip())
    if isinstance(item, Balance):
        return "  ".join(f"{a.asset} free {a.free} used {a.used}" for a in item.assets)
    if isinstance(item, Ticker):
        return f"{item.symbol} bid {item.bid} ask {item.ask} last {item.last}"
    if isinstance(item, Trade):
        return f"{item.symbol} {item.trade_id} {item.side.value} {item.quantity} @ {item.price}"
    if isinstance(item, OrderBook):
        bid = item.best_bid
        ask = item.best_ask
        return (f"{item.symbol} #{item.sequence} bid {bid[1] if bid else '-'} @ "
                f"{bid[0] if bid else '-'}  ask {ask[1] if ask else '-'} @ "
                f"{ask[0] if ask else '-'}")
    if isinstance(item, list):
        return "  ".join(f"{p.symbol} {p.side.value} {p.quantity} @ {p.entry_price}"
                         for p in item if isinstance(p, Position)) or "(no positions)"
    return repr(item)
