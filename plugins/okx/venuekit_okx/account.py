"""OKX V5 account state and market data: request builders and parsers. No I/O.

Open orders, fills, positions, ticker and book (the changes, batches, amend and leverage,
are in :mod:`venuekit_okx.trading`). Every size on the wire is in contracts (``sz``,
``pos``, ``fillSz``, book levels) and is converted to base currency with the market's
``ctVal`` (:mod:`venuekit_okx.contracts`).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from venuekit.account_models import Fill, MarginMode, OrderBook, Position, PositionSide, Ticker
from venuekit.flows import Flow, Page, Pages, Steps, Walk, step
from venuekit.models import Market, OrderResult
from venuekit.payload import Reader
from venuekit.wire import Call, Request, Response

from . import limits, parsing
from .contracts import to_base

OPEN_ORDERS_PATH = "/api/v5/trade/orders-pending"
FILLS_PATH = "/api/v5/trade/fills-history"
POSITIONS_PATH = "/api/v5/account/positions"
TICKER_PATH = "/api/v5/market/ticker"
BOOKS_PATH = "/api/v5/market/books"

#: Most rows one page of ``orders-pending`` / ``fills-history`` holds (``limit`` max 100).
PAGE_LIMIT = 100
#: Deepest book ``GET /api/v5/market/books`` serves (``sz`` max 400).
MAX_BOOK_DEPTH = 400
#: The instrument type every call is scoped to (the plugin trades linear swaps only).
INST_TYPE = "SWAP"


def _by_native(markets: list[Market]) -> dict[str, Market]:
    return {m.native: m for m in markets}


# ---------------------------------------------------------------- open orders


def _open_orders_call(query: list[tuple[str, str]], known: dict[str, Market],
                      page_size: int) -> Call[tuple[list[OrderResult], str | None]]:
    """One page, newest first, and the ``after`` cursor (the last ``ordId``) when full."""
    def parse(response: Response) -> tuple[list[OrderResult], str | None]:
        rows = parsing.data(response)
        # an order on an instrument the plugin does not list (an inverse swap) is left out
        orders = [parsing.order(row, known[native]) for row in rows
                  if (native := row.text("instId")) in known]
        full = len(rows) >= page_size
        return orders, rows[-1].text("ordId") if full and rows else None
    request = Request(method="GET", path=OPEN_ORDERS_PATH,
                      query=[*query, ("limit", str(page_size))], signed=True,
                      cost={limits.OPEN_ORDERS: 1})
    return Call(request, parse)


def fetch_open_orders(market: Market | None, all_markets: list[Market],
                      page_size: int = PAGE_LIMIT) -> Flow[list[OrderResult]]:
    """``orders-pending`` for one instrument or every swap, paged by ``after`` = ordId.

    A page shorter than ``limit`` is the last (OK-BP "Pagination").
    """
    query = [("instType", INST_TYPE)]
    if market is not None:
        query.append(("instId", market.native))
    known = _by_native([market] if market is not None else all_markets)

    def steps() -> Steps[list[OrderResult]]:
        out: list[OrderResult] = []
        cursor: list[tuple[str, str]] = []
        while True:
            page, after = yield from step(_open_orders_call([*query, *cursor], known,
                                                            page_size))
            out.extend(page)
            if after is None:
                return out
            cursor = [("after", after)]
    return Flow(steps)


# ---------------------------------------------------------------- fills


def fill(row: Reader, market: Market) -> Fill:
    """One ``fills-history`` row. OKX writes a charged fee as negative; Fill's is positive."""
    fee = row.optional_decimal("fee")
    return Fill(symbol=market.symbol, order_id=row.text("ordId"),
                client_order_id=row.optional_text("clOrdId"), trade_id=row.text("tradeId"),
                side=row.choice("side", parsing.SIDES), price=row.decimal("fillPx"),
                quantity=to_base(row.decimal("fillSz"), market),
                fee=Decimal(0) if fee is None else -fee,
                fee_currency=row.optional_text("feeCcy"),
                is_maker={"M": True, "T": False}.get(str(row.get("execType"))),
                timestamp=row.timestamp("fillTime") if row.get("fillTime")
                else row.timestamp("ts"))


def _fills_call(market: Market, query: list[tuple[str, str]],
                page_size: int) -> Call[Page[Fill]]:
    """Newest first; the next page is ``after`` = the oldest row's ``billId``.

    The walk ends on an empty page: OKX does not promise that a page shorter than
    ``limit`` is the last, and one extra request is cheaper than a missed fill.
    """
    def parse(response: Response) -> Page[Fill]:
        rows = parsing.data(response)
        fills = [fill(row, market) for row in rows]
        if not rows:
            return Page(fills)
        cursor = [(k, v) for k, v in query if k != "after"]
        cursor.append(("after", rows[-1].text("billId")))
        return Page(fills, _fills_call(market, cursor, page_size))
    request = Request(method="GET", path=FILLS_PATH,
                      query=[*query, ("limit", str(page_size))], signed=True,
                      cost={limits.FILLS: 1})
    return Call(request, parse)


def fetch_my_trades(market: Market, since: datetime | None, limit: int | None) -> Pages[Fill]:
    """``fills-history`` (the last 3 months), walked backward from now by ``billId``.

    ``since`` becomes ``begin`` (ms, inclusive), so OKX stops at it too.
    """
    page_size = min(limit or PAGE_LIMIT, PAGE_LIMIT)
    query = [("instType", INST_TYPE), ("instId", market.native)]
    if since is not None:
        query.append(("begin", str(int(since.timestamp() * 1000))))
    return Pages(_fills_call(market, query, page_size), Walk.BACKWARD)


# ---------------------------------------------------------------- positions


def position(row: Reader, market: Market) -> Position | None:
    """One ``GET /api/v5/account/positions`` row; None when flat.

    ``posSide`` is ``net`` (the sign of ``pos`` gives the side) or ``long``/``short`` in
    long/short mode; ``pos`` counts contracts.
    """
    contracts = row.decimal("pos")
    if contracts == 0:
        return None
    pos_side = row.optional_text("posSide") or "net"
    if pos_side in ("long", "short"):
        side = PositionSide(pos_side)
    else:
        side = PositionSide.LONG if contracts > 0 else PositionSide.SHORT
    mode = row.optional_text("mgnMode")
    return Position(symbol=market.symbol, side=side, quantity=to_base(abs(contracts), market),
                    entry_price=row.optional_decimal("avgPx"),
                    mark_price=row.optional_decimal("markPx"),
                    unrealized_pnl=row.optional_decimal("upl"),
                    leverage=row.optional_decimal("lever"),
                    liquidation_price=row.nonzero_decimal("liqPx"),
                    margin_mode=MarginMode(mode) if mode in ("cross", "isolated") else None)


def fetch_positions(markets: list[Market] | None,
                    all_markets: list[Market]) -> Call[list[Position]]:
    """One call: every field (size, entry, mark, upl, leverage, liquidation, margin mode)
    is on ``GET /api/v5/account/positions``; ``instId`` takes up to 10 ids."""
    query = [("instType", INST_TYPE)]
    if markets and len(markets) <= 10:
        query.append(("instId", ",".join(m.native for m in markets)))
    known = _by_native(all_markets)

    def parse(response: Response) -> list[Position]:
        out = []
        for row in parsing.data(response):
            market = known.get(row.text("instId"))
            if market is not None and (found := position(row, market)) is not None:
                out.append(found)
        return out
    return Call(Request(method="GET", path=POSITIONS_PATH, query=query, signed=True,
                        cost={limits.POSITIONS: 1}), parse)


# ---------------------------------------------------------------- market data


def fetch_ticker(market: Market) -> Call[Ticker]:
    def parse(response: Response) -> Ticker:
        row = parsing.first(response, "ticker")
        return Ticker(symbol=market.symbol, bid=row.optional_decimal("bidPx"),
                      ask=row.optional_decimal("askPx"), last=row.optional_decimal("last"),
                      timestamp=row.timestamp("ts"))
    return Call(Request(method="GET", path=TICKER_PATH, query=[("instId", market.native)],
                        cost={limits.TICKER: 1}), parse)


def _levels(rows: Reader, market: Market) -> list[tuple[Decimal, Decimal]]:
    """``[price, contracts, "0", orders]`` levels -> (price, base quantity)."""
    return [(level.decimal(0), to_base(level.decimal(1), market)) for level in rows.items()]


def fetch_order_book(market: Market, depth: int) -> Call[OrderBook]:
    """``GET /api/v5/market/books`` with ``sz`` = depth (at most 400). The REST snapshot has
    no sequence id, so ``sequence`` is None."""
    def parse(response: Response) -> OrderBook:
        row = parsing.first(response, "order book")
        return OrderBook(symbol=market.symbol, bids=_levels(row.at("bids"), market),
                         asks=_levels(row.at("asks"), market),
                         timestamp=row.optional_timestamp("ts"))
    query = [("instId", market.native), ("sz", str(min(depth, MAX_BOOK_DEPTH)))]
    return Call(Request(method="GET", path=BOOKS_PATH, query=query,
                        cost={limits.BOOKS: 1}), parse)
