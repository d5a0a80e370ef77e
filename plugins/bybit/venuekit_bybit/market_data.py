"""Bybit V5 (linear) ticker and order-book snapshot: public, no I/O.

``GET /v5/market/tickers`` carries ``bid1Price``, ``ask1Price`` and ``lastPrice`` in one
row; ``GET /v5/market/orderbook`` answers ``{s, b, a, ts, u, seq, cts}``.
"""

from __future__ import annotations

from decimal import Decimal

from venuekit.account_models import OrderBook, Ticker
from venuekit.models import Market
from venuekit.payload import Reader
from venuekit.wire import Call, Response

from . import endpoints, parsing
from .endpoints import CATEGORY

TICKERS_PATH = "/v5/market/tickers"
ORDERBOOK_PATH = "/v5/market/orderbook"
#: Get Orderbook, linear: ``limit`` 1 to 1000 (default 25).
MAX_BOOK_DEPTH = 1000


def ticker(response: Response, market: Market) -> Ticker:
    envelope = parsing.envelope(response)
    rows = [row for row in parsing.result_list(response) if row.get("symbol") == market.native]
    if not rows:
        raise envelope.error(f"no ticker for {market.native}", "result")
    row = rows[0]
    return Ticker(symbol=market.symbol, bid=row.nonzero_decimal("bid1Price"),
                  ask=row.nonzero_decimal("ask1Price"), last=row.nonzero_decimal("lastPrice"),
                  timestamp=envelope.timestamp("time"))


def fetch_ticker(market: Market) -> Call[Ticker]:
    query = [("category", CATEGORY), ("symbol", market.native)]
    return Call(endpoints._get(TICKERS_PATH, query, signed=False),
                lambda r: ticker(r, market))


def _levels(rows: Reader) -> list[tuple[Decimal, Decimal]]:
    return [(level.decimal(0), level.decimal(1)) for level in rows.items()]


def order_book(response: Response, market: Market) -> OrderBook:
    data = parsing.result(response)
    if data.get("s") not in (None, market.native):
        raise data.error(f"book of {data.get('s')!r}, asked {market.native!r}", "s")
    return OrderBook(symbol=market.symbol, bids=_levels(data.at("b")), asks=_levels(data.at("a")),
                     timestamp=data.optional_timestamp("ts"), sequence=data.integer("u"))


def fetch_order_book(market: Market, depth: int) -> Call[OrderBook]:
    query = [("category", CATEGORY), ("symbol", market.native),
             ("limit", str(min(depth, MAX_BOOK_DEPTH)))]
    return Call(endpoints._get(ORDERBOOK_PATH, query, signed=False),
                lambda r: order_book(r, market))
