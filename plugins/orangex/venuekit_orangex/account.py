"""OrangeX account state and market data: JSON-RPC calls and their parsers. No I/O.

What OrangeX lacks has no builder here: batch orders, amend (only copy-trading has an edit
method) and batch cancel. Positions come from ``/private/get_user_position``, one
instrument per call: the documented ``/private/get_positions`` answered ``[]`` for an
account holding a position, on every parameter combination tried live (OX-DY), so it is
not used.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from attrs import evolve
from venuekit.account_models import Fill, MarginMode, OrderBook, Position, PositionSide, Ticker
from venuekit.errors import NotSupported
from venuekit.flows import Flow, Page, Pages, Steps, Walk, step
from venuekit.models import Market, OrderResult, OrderStatus
from venuekit.payload import Reader
from venuekit.wire import Call, Response

from . import rpc
from .endpoints import PERPETUAL
from .orders import parse_order

__all__ = [
    "CANCEL_ALL_METHOD",
    "LEVERAGE_METHOD",
    "OPEN_ORDERS_ALL_METHOD",
    "OPEN_ORDERS_METHOD",
    "ORDER_BOOK_METHOD",
    "POSITION_METHOD",
    "TICKER_METHOD",
    "TRADES_METHOD",
    "TRADES_PAGE",
    "cancel_all_orders",
    "fetch_my_trades",
    "fetch_open_orders",
    "fetch_order_book",
    "fetch_positions",
    "fetch_ticker",
    "set_leverage",
]

NAME = rpc.NAME
OPEN_ORDERS_METHOD = "/private/get_open_orders_by_instrument"  # live-verified (OX-DY)
OPEN_ORDERS_ALL_METHOD = "/private/get_open_orders_by_currency"
TRADES_METHOD = "/private/get_user_trades_by_instrument"
POSITION_METHOD = "/private/get_user_position"  # undocumented, live-verified (OX-DY)
CANCEL_ALL_METHOD = "/private/cancel_all_by_instrument"
LEVERAGE_METHOD = "/private/adjust_perpetual_leverage"
TICKER_METHOD = "/public/tickers"
ORDER_BOOK_METHOD = "/public/get_order_book"

#: Fills asked per page. OX-DOC gives the default (20), not the maximum; a venue that
#: answers fewer still says ``has_more``, which is what the walk follows.
TRADES_PAGE = 100


# ---------------------------------------------------------------- open orders


def fetch_open_orders(market: Market | None,
                      all_markets: list[Market]) -> Call[list[OrderResult]]:
    """One instrument, or every perpetual with ``get_open_orders_by_currency``
    (``currency=PERPETUAL``; documented, not yet verified live)."""
    if market is not None:
        request = rpc.call(OPEN_ORDERS_METHOD, {"instrument_name": market.native},
                           signed=True)
        known = {market.native: market}
    else:
        request = rpc.call(OPEN_ORDERS_ALL_METHOD, {"currency": PERPETUAL}, signed=True)
        known = {m.native: m for m in all_markets}
    return Call(request, lambda response: parse_open_orders(response, known))


def parse_open_orders(response: Response, known: dict[str, Market]) -> list[OrderResult]:
    out = []
    for row in rpc.result_of(response).rows():
        native = row.text("instrument_name")
        market = known.get(native)
        if market is None:
            raise row.error(f"an open order on {native}, which the catalogue does not list",
                            "instrument_name")
        out.append(parse_order(row, market))
    return out


# ---------------------------------------------------------------- fills


def parse_fill(row: Reader, market: Market) -> Fill:
    """One ``trades`` row; the fill's ``custom_order_id`` is read where present (the live
    WebSocket fill had none, OX-DY)."""
    native = row.get("instrument_name")
    if native not in (None, "", market.native):
        raise row.error(f"fill belongs to {native}, not {market.native}", "instrument_name")
    role = row.optional_text("role")
    return Fill(symbol=market.symbol, order_id=row.text("order_id"),
                client_order_id=row.optional_text("custom_order_id"),
                trade_id=row.text("trade_id"), side=row.text("direction"),
                price=row.decimal("price"), quantity=row.decimal("amount"),
                fee=row.decimal("fee", default=Decimal(0)),
                fee_currency=row.optional_text("fee_coin_type"),
                is_maker=None if role is None else role.lower() == "maker",
                timestamp=row.timestamp("timestamp"))


def _trades_call(market: Market, params: dict[str, Any], walk: Walk,
                 seen: frozenset[str]) -> Call[Page[Fill]]:
    """One page. Forward (``sorting=asc``) the next starts at the newest id read
    (``start_id``), backward (``desc``) it ends at the oldest (``end_id``): whether those
    bounds are inclusive is not documented, so they are taken as inclusive and the core
    drops the repeat. The walk ends when ``has_more`` is false, or when a page brings no
    fill not seen before (a guard against a venue that keeps saying ``has_more``)."""
    def parse(response: Response) -> Page[Fill]:
        data = rpc.result_of(response)
        rows = data.rows("trades")
        fills = [parse_fill(row, market) for row in rows]
        ids = [int(f.trade_id) if f.trade_id.isdigit() else None for f in fills]
        fresh = {f.trade_id for f in fills} - seen
        if data.get("has_more") is not True or not fresh or None in ids:
            return Page(fills)
        numbers = [i for i in ids if i is not None]
        following = {key: value for key, value in params.items()
                     if key in ("instrument_name", "count", "sorting")}
        # OX-DOC types start_id / end_id as Number, not as the string trade_id is
        if walk is Walk.FORWARD:
            following["start_id"] = max(numbers)
        else:
            following["end_id"] = min(numbers)
        return Page(fills, _trades_call(market, following, walk, seen | fresh))
    return Call(rpc.call(TRADES_METHOD, params, signed=True), parse)


def fetch_my_trades(market: Market, since: datetime | None, limit: int | None) -> Pages[Fill]:
    """From ``since`` forward (``start_timestamp``, oldest first); without it, backward
    from the newest. ``count`` is ``limit`` where that is smaller than a full page."""
    count = min(limit or TRADES_PAGE, TRADES_PAGE)
    params: dict[str, Any] = {"instrument_name": market.native, "count": count}
    if since is not None:
        params.update(sorting="asc", start_timestamp=int(since.timestamp() * 1000))
        return Pages(_trades_call(market, params, Walk.FORWARD, frozenset()), Walk.FORWARD)
    params["sorting"] = "desc"
    return Pages(_trades_call(market, params, Walk.BACKWARD, frozenset()), Walk.BACKWARD)


# ---------------------------------------------------------------- positions


_MARGIN = {"cross": MarginMode.CROSS, "isolated": MarginMode.ISOLATED,
           "isolate": MarginMode.ISOLATED}


def parse_position(row: Reader, market: Market) -> Position | None:
    """One position row; None when flat. ``size`` is signed (negative = short); in hedge
    mode ``position_side`` LONG/SHORT names the leg and is trusted over the sign."""
    size = row.decimal("size", default=Decimal(0))
    if size == 0:
        return None
    leg = (row.optional_text("position_side") or "").upper()
    if leg in ("LONG", "SHORT"):
        side = PositionSide(leg.lower())
    else:
        side = PositionSide.LONG if size > 0 else PositionSide.SHORT
    margin = (row.optional_text("margin_type") or "").lower()
    return Position(symbol=market.symbol, side=side, quantity=abs(size),
                    entry_price=row.nonzero_decimal("average_price"),
                    mark_price=row.nonzero_decimal("mark_price"),
                    unrealized_pnl=row.optional_decimal("floating_profit_loss"),
                    leverage=row.nonzero_decimal("leverage"),
                    liquidation_price=row.nonzero_decimal("liquid_price"),
                    margin_mode=_MARGIN.get(margin))


def parse_positions(response: Response, market: Market) -> list[Position]:
    data = rpc.result_of(response)
    rows = [data] if data.is_object() else data.rows()
    positions = (parse_position(row, market) for row in rows if row.value)
    return [p for p in positions if p is not None]


def fetch_positions(markets: list[Market] | None) -> Flow[list[Position]]:
    """``get_user_position`` for each market asked about, merged.

    Without markets there is no call that lists them all (the documented one answers
    ``[]``), and one call per instrument over ~580 perpetuals would take a minute at the
    venue's 10 requests per second: NotSupported, before anything is sent.
    """
    if not markets:
        raise NotSupported(
            "OrangeX does not support fetch_positions for every symbol; its all-positions "
            "call answers [] for accounts that hold positions, so positions are read one "
            "instrument at a time: pass the symbols", operation="fetch_positions",
            exchange=NAME)

    def steps() -> Steps[list[Position]]:
        out: list[Position] = []
        for market in markets:
            out += yield from step(_position_call(market))
        return out
    return Flow(steps)


def _position_call(market: Market) -> Call[list[Position]]:
    return Call(rpc.call(POSITION_METHOD, {"instrument_name": market.native}, signed=True),
                lambda response: parse_positions(response, market))


# ---------------------------------------------------------------- cancel-all, leverage


def cancel_all_orders(market: Market) -> Flow[list[OrderResult]]:
    """``cancel_all_by_instrument`` answers a count (and cancels asynchronously), so the
    open orders are listed first and reported as cancelled."""
    def steps() -> Steps[list[OrderResult]]:
        listed = yield from step(fetch_open_orders(market, [market]))
        if not listed:
            return []
        yield from step(Call(
            rpc.call(CANCEL_ALL_METHOD, {"instrument_name": market.native}, signed=True),
            parse_count))
        return [evolve(order, status=OrderStatus.CANCELED) for order in listed]
    return Flow(steps)


def parse_count(response: Response) -> int:
    """The number of orders being cancelled (OX-DOC example: ``"result": 1``)."""
    value = rpc.result_of(response)
    raw = value.value
    if isinstance(raw, bool) or not isinstance(raw, int | str) or not str(raw).isdigit():
        raise value.error(f"expected a count, got {raw!r:.40}")
    return int(raw)


def set_leverage(market: Market, leverage: int) -> Call[int]:
    """``adjust_perpetual_leverage`` answers ``"ok"``; the leverage asked is then in force.
    OX-DOC documents no "already set" error, and none is treated as one."""
    request = rpc.call(LEVERAGE_METHOD, {"instrument_name": market.native,
                                         "leverage": leverage}, signed=True)

    def parse(response: Response) -> int:
        answer = rpc.result(response)
        if str(answer).lower() != "ok":
            raise rpc.result_of(response).error(f"expected \"ok\", got {answer!r:.40}")
        return leverage
    return Call(request, parse)


# ---------------------------------------------------------------- market data


def fetch_ticker(market: Market) -> Call[Ticker]:
    """``/public/tickers?instrument_name=``: best bid and ask (JSON numbers on the wire),
    last price, a millisecond timestamp (string or number)."""
    request = rpc.call(TICKER_METHOD, {"instrument_name": market.native}, signed=False)
    return Call(request, lambda response: parse_ticker(response, market))


def parse_ticker(response: Response, market: Market) -> Ticker:
    data = rpc.result_of(response)
    rows = [data] if data.is_object() else data.rows()
    row = next((r for r in rows if r.get("instrument_name") in (None, market.native)), None)
    if row is None:
        raise data.error(f"no ticker row for {market.native}")
    return Ticker(symbol=market.symbol, bid=row.nonzero_decimal("best_bid_price"),
                  ask=row.nonzero_decimal("best_ask_price"),
                  last=row.nonzero_decimal("last_price"), timestamp=row.timestamp("timestamp"))


def fetch_order_book(market: Market, depth: int) -> Call[OrderBook]:
    """``/public/get_order_book`` with ``depth`` levels (0 would be the whole book, and an
    older one: OX-AO); ``version`` is the book's sequence, the stream's ``change_id``."""
    request = rpc.call(ORDER_BOOK_METHOD, {"instrument_name": market.native, "depth": depth},
                       signed=False)
    return Call(request, lambda response: parse_order_book(response, market))


def parse_order_book(response: Response, market: Market) -> OrderBook:
    data = rpc.result_of(response)
    return OrderBook(symbol=market.symbol, bids=_levels(data.items("bids")),
                     asks=_levels(data.items("asks")),
                     timestamp=data.optional_timestamp("timestamp"),
                     sequence=data.optional_integer("version"))


def _levels(rows: Iterable[Reader]) -> list[tuple[Decimal, Decimal]]:
    """``[price, amount]``; the stream's ``[action, price, amount]`` is read too."""
    out = []
    for level in rows:
        items = level.items()
        offset = 1 if len(items) == 3 else 0
        out.append((level.decimal(offset), level.decimal(offset + 1)))
    return out
