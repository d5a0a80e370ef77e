"""What the connector does for account state, market data and batches (issue 14).

Each public function here backs the :class:`~venuekit.Connector` method of the same name.
The rules every one of them follows:

* Bad input is refused locally with a clear error and nothing sent: an unknown symbol
  (:class:`~venuekit.UnknownSymbol`), ``limit`` or ``depth`` <= 0 or leverage out of the
  market's bounds (:class:`~venuekit.InvalidArgument`), amounts off step or tick
  (:class:`~venuekit.InvalidOrder`).
* What the venue cannot do raises :class:`~venuekit.NotSupported` naming the venue and
  the operation, before anything is sent: when the plugin's capabilities lack it or its
  hook answers None.
* Every call goes through the connector's ``run`` (limiter, clock, token, retries for
  idempotent requests); flows and pages are driven by :mod:`venuekit.flows`.

Batch placement, with its no-duplicate rules, lives in :mod:`venuekit.batch`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar

from attrs import evolve

from .account_models import Fill, OrderBook, Position, Ticker
from .errors import (
    InvalidArgument,
    InvalidOrder,
    NotSupported,
    OrderNotFound,
    PluginError,
    VenueError,
)
from .flows import PageCollector, Pages, Plan, run_pages, run_plan
from .models import (
    Capability,
    Market,
    MarketKind,
    OrderRef,
    OrderResult,
    to_decimal,
)

if TYPE_CHECKING:
    from .surface import ConnectorLike

__all__ = [
    "amend_order",
    "cancel_all_orders",
    "fetch_my_trades",
    "fetch_open_orders",
    "fetch_order_book",
    "fetch_positions",
    "fetch_ticker",
    "set_leverage",
]

T = TypeVar("T")
Item = OrderResult | VenueError
MS_PER_S = 1000


# ---------------------------------------------------------------- shared checks


def _unsupported(conn: ConnectorLike, operation: str, detail: str = "") -> NotSupported:
    message = f"{conn.info.display_name} does not support {operation}"
    return NotSupported(message + (f"; {detail}" if detail else ""), operation=operation,
                        exchange=conn.exchange)


def require(conn: ConnectorLike, capability: Capability, operation: str,
             detail: str = "") -> None:
    """NotSupported, before anything is sent, where the venue's capabilities lack it."""
    if not conn.info.has(capability):
        raise _unsupported(conn, operation, detail)


def planned(conn: ConnectorLike, operation: str, plan: Plan[T] | None,
            detail: str = "") -> Plan[T]:
    """The plan a hook built; its None answer means the venue cannot (NotSupported)."""
    if plan is None:
        raise _unsupported(conn, operation, detail)
    return plan


def paged(conn: ConnectorLike, operation: str, pages: Pages[T] | None) -> Pages[T]:
    """The pages a hook described; None means the venue cannot (NotSupported)."""
    if pages is None:
        raise _unsupported(conn, operation, "")
    return pages


async def run(conn: ConnectorLike, plan: Plan[T]) -> T:
    """A call or a flow, each call through the connector's limiter, clock and retries."""
    return await run_plan(plan, conn.run)


def _positive_int(name: str, value: object, conn: ConnectorLike) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidArgument(f"{name} must be a whole number above zero, got {value!r}",
                              exchange=conn.exchange)
    return value


# ---------------------------------------------------------------- reads


async def fetch_open_orders(conn: ConnectorLike, symbol: str | None) -> list[OrderResult]:
    """Open orders on ``symbol``, or on every symbol where the venue lists them at once."""
    if symbol is None:
        detail = "pass a symbol to list its open orders"
        require(conn, Capability.FETCH_OPEN_ORDERS_ALL_SYMBOLS,
                 "fetch_open_orders for every symbol", detail)
        plan = conn._hook.fetch_open_orders(market=None, all_markets=await conn.fetch_markets())
        return await run(conn, planned(conn, "fetch_open_orders for every symbol", plan,
                                         detail))
    require(conn, Capability.FETCH_OPEN_ORDERS, "fetch_open_orders")
    market = await conn.market(symbol)
    return await _open_orders(conn, market)


async def _open_orders(conn: ConnectorLike, market: Market) -> list[OrderResult]:
    plan = conn._hook.fetch_open_orders(market=market, all_markets=await conn.fetch_markets())
    orders: list[OrderResult] = await run(conn, planned(conn, "fetch_open_orders", plan))
    return orders


def _trade_id_order(trade_id: str) -> tuple[int, int, str]:
    # numeric ids compare as numbers ("9" before "10"); others as text, after numbers
    return (0, int(trade_id), "") if trade_id.isdigit() else (1, 0, trade_id)


def _fill_order(fill: Fill) -> tuple[datetime, tuple[int, int, str]]:
    return fill.timestamp, _trade_id_order(fill.trade_id)


def _since(value: datetime | int | None, conn: ConnectorLike) -> datetime | None:
    """``since`` as an aware datetime: a datetime with a zone, or epoch milliseconds.

    Raises:
        InvalidArgument: a naive datetime, or neither a datetime nor whole milliseconds.
    """
    if value is None or isinstance(value, datetime):
        if value is not None and value.tzinfo is None:
            raise InvalidArgument("since must be timezone-aware (UTC)", exchange=conn.exchange)
        return value
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidArgument("since must be a timezone-aware datetime or epoch "
                              f"milliseconds, got {value!r}", exchange=conn.exchange)
    seconds, ms = divmod(value, MS_PER_S)  # exact: no float on the way
    return datetime.fromtimestamp(seconds, UTC) + timedelta(milliseconds=ms)


async def fetch_my_trades(conn: ConnectorLike, symbol: str, since: datetime | int | None,
                          limit: int | None) -> list[Fill]:
    """The account's fills on ``symbol``, oldest first, ties by trade id.

    With ``since`` (an aware datetime, or epoch milliseconds): fills at or after it, the
    oldest ``limit`` of them. Without: the newest ``limit`` (or every fill the venue
    keeps, when ``limit`` is None).
    """
    if limit is not None:
        _positive_int("limit", limit, conn)
    since = _since(since, conn)
    require(conn, Capability.FETCH_MY_TRADES, "fetch_my_trades")
    market = await conn.market(symbol)
    pages: Pages[Fill] = paged(
        conn, "fetch_my_trades",
        conn._hook.fetch_my_trades(market=market, since=since, limit=limit))
    collector: PageCollector[Fill] = PageCollector(
        key=lambda fill: fill.trade_id, order=_fill_order, walk=pages.walk, limit=limit,
        keep=None if since is None else (lambda fill: fill.timestamp >= since),
        older=None if since is None else (lambda fill: fill.timestamp < since),
        bounded=since is not None)
    return await run_pages(pages, collector, conn.run)


async def fetch_positions(conn: ConnectorLike,
                          symbols: Sequence[str] | str | None) -> list[Position]:
    """Open positions (flat ones left out), on ``symbols`` (a bare string is one symbol)
    or on every market."""
    if isinstance(symbols, str):  # one symbol, not its characters
        symbols = [symbols]
    require(conn, Capability.FETCH_POSITIONS, "fetch_positions")
    markets = None if symbols is None else [await conn.market(s) for s in symbols]
    plan = conn._hook.fetch_positions(markets=markets, all_markets=await conn.fetch_markets())
    positions: list[Position] = await run(conn, planned(conn, "fetch_positions", plan))
    wanted = None if markets is None else {m.symbol for m in markets}
    return [p for p in positions
            if not p.is_flat and (wanted is None or p.symbol in wanted)]


async def fetch_ticker(conn: ConnectorLike, symbol: str) -> Ticker:
    require(conn, Capability.FETCH_TICKER, "fetch_ticker")
    market = await conn.market(symbol)
    ticker: Ticker = await run(
        conn, planned(conn, "fetch_ticker", conn._hook.fetch_ticker(market=market)))
    return ticker


async def fetch_order_book(conn: ConnectorLike, symbol: str, depth: int) -> OrderBook:
    """A book snapshot trimmed to ``depth`` levels per side."""
    _positive_int("depth", depth, conn)
    require(conn, Capability.FETCH_ORDER_BOOK, "fetch_order_book")
    market = await conn.market(symbol)
    plan = conn._hook.fetch_order_book(market=market, depth=depth)
    book: OrderBook = await run(conn, planned(conn, "fetch_order_book", plan))
    if len(book.bids) > depth or len(book.asks) > depth:
        book = evolve(book, bids=book.bids[:depth], asks=book.asks[:depth])
    return book


# ---------------------------------------------------------------- cancel-all


async def cancel_all_orders(conn: ConnectorLike, symbol: str) -> list[OrderResult]:
    """Cancel every open order on ``symbol``; the orders that were open just before.

    Natively where the venue has it; otherwise listed, then cancelled in batches of the
    venue's size (or one by one). An order gone meanwhile (filled, cancelled elsewhere)
    is left out; any other failure is raised after every order was tried.
    """
    if not (conn.info.has(Capability.CANCEL_ALL_ORDERS)
            or conn.info.has(Capability.FETCH_OPEN_ORDERS)):
        raise _unsupported(conn, "cancel_all_orders",
                           "it has neither a cancel-all call nor an open-orders list")
    market = await conn.market(symbol)
    if conn.info.has(Capability.CANCEL_ALL_ORDERS):
        plan = conn._hook.cancel_all_orders(market=market)
        if plan is not None:
            cancelled: list[OrderResult] = await run(conn, plan)
            return cancelled
    require(conn, Capability.FETCH_OPEN_ORDERS, "cancel_all_orders")
    open_orders = await _open_orders(conn, market)
    refs = [OrderRef(market.symbol, order_id=o.order_id) for o in open_orders]
    items = await _cancel_each(conn, refs, market)
    return _cancelled_or_raise(items)


async def _cancel_each(conn: ConnectorLike, refs: list[OrderRef], market: Market) -> list[Item]:
    size = max(conn.info.max_batch_cancels, 1)
    if conn.info.has(Capability.CANCEL_ORDERS) and refs:
        items: list[Item] = []
        for start in range(0, len(refs), size):
            chunk = refs[start:start + size]
            plan = conn._hook.cancel_orders(refs=chunk, market=market)
            answered: list[Item] = await run(conn, planned(conn, "cancel_orders", plan))
            check_items("cancel_orders", conn, answered, len(chunk))
            items.extend(answered)
        return items
    items = []
    for ref in refs:
        call = conn._built("cancel_order", conn._hook.cancel_order(ref=ref, market=market))
        try:
            items.append(await conn.run(call))
        except VenueError as exc:
            items.append(exc)
    return items


def _cancelled_or_raise(items: list[Item]) -> list[OrderResult]:
    cancelled = [item for item in items if isinstance(item, OrderResult)]
    for item in items:
        if isinstance(item, VenueError) and not isinstance(item, OrderNotFound):
            raise item
    return cancelled


def check_items(hook: str, conn: ConnectorLike, items: object, expected: int) -> None:
    if not isinstance(items, list) or len(items) != expected:
        got = len(items) if isinstance(items, list) else type(items).__name__
        raise PluginError(f"{hook} answered {got} items for {expected} orders",
                          plugin=conn.exchange)


# ---------------------------------------------------------------- amend and leverage


async def amend_order(conn: ConnectorLike, symbol: str, order_id: str | None,
                      client_order_id: str | None, quantity: object,
                      price: object) -> OrderResult:
    """Change an open order's quantity and/or price in place (never cancel-and-replace)."""
    if quantity is None and price is None:
        raise InvalidArgument("give a new quantity, a new price or both",
                              exchange=conn.exchange)
    if price is not None:
        require(conn, Capability.AMEND_ORDER_PRICE, "amend_order with a new price",
                 "cancel the order and place a new one")
    if quantity is not None:
        require(conn, Capability.AMEND_ORDER_QUANTITY, "amend_order with a new quantity",
                 "cancel the order and place a new one")
    market = await conn.market(symbol)
    ref = OrderRef(market.symbol, order_id, client_order_id)
    new_quantity = None if quantity is None else _amount("quantity", quantity, conn)
    new_price = None if price is None else _amount("price", price, conn)
    where = f"{market.symbol} on {conn.info.display_name}"
    if new_quantity is not None:
        if market.step_size and new_quantity % market.step_size != 0:
            raise InvalidOrder(f"quantity {new_quantity} is not a multiple of the step "
                               f"{market.step_size} for {where}", exchange=conn.exchange)
        if new_quantity < market.min_quantity:
            raise InvalidOrder(f"quantity {new_quantity} is under the minimum "
                               f"{market.min_quantity} for {where}", exchange=conn.exchange)
    if new_price is not None and market.tick_size and new_price % market.tick_size != 0:
        raise InvalidOrder(f"price {new_price} is not a multiple of the tick "
                           f"{market.tick_size} for {where}", exchange=conn.exchange)
    plan = conn._hook.amend_order(ref=ref, market=market, quantity=new_quantity,
                                  price=new_price)
    amended: OrderResult = await run(conn, planned(conn, "amend_order", plan))
    return amended


def _amount(name: str, value: object, conn: ConnectorLike) -> Decimal:
    try:
        amount = to_decimal(value)
    except (TypeError, ValueError) as exc:
        raise InvalidOrder(f"{name}: {exc}", exchange=conn.exchange) from None
    if not amount.is_finite() or amount <= 0:
        raise InvalidOrder(f"{name} must be a finite number above zero, got {amount}",
                           exchange=conn.exchange)
    return amount


async def set_leverage(conn: ConnectorLike, symbol: str, leverage: int) -> int:
    """Set ``symbol``'s leverage; the leverage in force afterwards ("already set" is fine)."""
    _positive_int("leverage", leverage, conn)
    require(conn, Capability.SET_LEVERAGE, "set_leverage")
    market = await conn.market(symbol)
    if market.kind is MarketKind.SPOT:
        raise InvalidArgument(f"{market.symbol} is a spot market; leverage applies to "
                              "derivatives", exchange=conn.exchange)
    if market.max_leverage is not None and leverage > market.max_leverage:
        raise InvalidArgument(f"leverage {leverage} is above the maximum "
                              f"{market.max_leverage} for {market.symbol} on "
                              f"{conn.info.display_name}", exchange=conn.exchange)
    plan = conn._hook.set_leverage(market=market, leverage=leverage)
    in_force: int = await run(conn, planned(conn, "set_leverage", plan))
    return in_force
