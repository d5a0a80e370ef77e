"""Binance USDⓈ-M public market data: ticker and order-book snapshot (no I/O).

``GET /fapi/v1/ticker/bookTicker`` has the best bid and ask but no last price, and
``GET /fapi/v1/ticker/price`` the last price alone, so the ticker is a flow of both
(weight 2 + 1); the 24-hour ticker (weight 1) has no bid or ask on fapi.
"""

from __future__ import annotations

from decimal import Decimal

from venuekit.account_models import OrderBook, Ticker
from venuekit.flows import Flow, Steps, step
from venuekit.models import Market
from venuekit.payload import Reader
from venuekit.wire import Call, Request, Response

from .endpoints import IP_WEIGHT

BOOK_TICKER_PATH = "/fapi/v1/ticker/bookTicker"
PRICE_TICKER_PATH = "/fapi/v1/ticker/price"
DEPTH_PATH = "/fapi/v1/depth"

#: ``limit`` values of Order Book, with their weights (default 500).
BOOK_DEPTHS = ((5, 2), (10, 2), (20, 2), (50, 2), (100, 5), (500, 10), (1000, 20))


def fetch_ticker(market: Market) -> Flow[Ticker]:
    query = [("symbol", market.native)]

    def steps() -> Steps[Ticker]:
        book = yield from step(Call(Request(method="GET", path=BOOK_TICKER_PATH, query=query,
                                            cost={IP_WEIGHT: 2}), Reader.of))
        last = yield from step(Call(Request(method="GET", path=PRICE_TICKER_PATH, query=query,
                                            cost={IP_WEIGHT: 1}), Reader.of))
        return ticker(book, last, market)
    return Flow(steps)


def ticker(book: Reader, last: Reader, market: Market) -> Ticker:
    """``bookTicker`` and ``ticker/price`` objects; the later of their ``time`` stamps."""
    stamps = [r.timestamp("time") for r in (book, last) if r.get("time") is not None]
    if not stamps:
        raise book.error("no time in either ticker", "time")
    return Ticker(symbol=market.symbol, bid=book.nonzero_decimal("bidPrice"),
                  ask=book.nonzero_decimal("askPrice"), last=last.nonzero_decimal("price"),
                  timestamp=max(stamps))


def _levels(rows: Reader) -> list[tuple[Decimal, Decimal]]:
    return [(level.decimal(0), level.decimal(1)) for level in rows.items()]


def order_book(response: Response, market: Market) -> OrderBook:
    """``{"lastUpdateId", "E", "T", "bids": [[price, qty]], "asks": ...}``."""
    data = Reader.of(response)
    return OrderBook(symbol=market.symbol, bids=_levels(data.at("bids")),
                     asks=_levels(data.at("asks")),
                     timestamp=data.optional_timestamp("T") or data.optional_timestamp("E"),
                     sequence=data.integer("lastUpdateId"))


def fetch_order_book(market: Market, depth: int) -> Call[OrderBook]:
    """The smallest documented ``limit`` that covers ``depth`` (1000 at most)."""
    limit, weight = next(((d, w) for d, w in BOOK_DEPTHS if d >= depth), BOOK_DEPTHS[-1])
    return Call(Request(method="GET", path=DEPTH_PATH,
                        query=[("symbol", market.native), ("limit", str(limit))],
                        cost={IP_WEIGHT: weight}), lambda r: order_book(r, market))
