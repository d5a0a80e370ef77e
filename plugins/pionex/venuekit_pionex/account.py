"""Pionex spot account state, batches and market data: request builders and parsers.

Plain functions, no I/O (PX-OAS is Pionex's OpenAPI spec, see README.md). What Pionex spot
lacks has no builder here: positions, leverage and amend (spot has none), batch cancel,
and open orders of every symbol at once (``openOrders`` requires ``symbol``).

Fills: ``GET /api/v1/trade/fills`` has no cursor and no ``limit``; it answers the newest
fills (at most 100) between ``startTime`` and ``endTime``, newest first. So the walk runs
backwards in time: each next page ends at the oldest fill seen (``endTime`` taken as
inclusive, the fills already seen are deduplicated by the core), see :func:`fetch_my_trades`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from attrs import evolve
from venuekit.account_models import Fill, OrderBook, Ticker
from venuekit.errors import BadResponse, InvalidOrder, VenueError
from venuekit.flows import Flow, Page, Pages, Steps, Walk, step
from venuekit.models import (
    Market,
    OrderParams,
    OrderResult,
    OrderStatus,
    OrderType,
    TimeInForce,
)
from venuekit.payload import Reader
from venuekit.wire import BodyFormat, Call, Request, Response

from . import endpoints, parsing
from .info import ACCOUNT, IP, MAX_BATCH_ORDERS, NAME

__all__ = [
    "ALL_ORDERS_PATH",
    "BOOK_TICKERS_PATH",
    "FILLS_PATH",
    "MASS_ORDER_PATH",
    "MAX_BATCH_ORDERS",
    "MAX_BOOK_DEPTH",
    "OPEN_ORDERS_PATH",
    "TICKERS_PATH",
    "cancel_all_orders",
    "fetch_my_trades",
    "fetch_open_orders",
    "fetch_order_book",
    "fetch_ticker",
    "place_orders",
]

OPEN_ORDERS_PATH = "/api/v1/trade/openOrders"
ALL_ORDERS_PATH = "/api/v1/trade/allOrders"  # GET: history; DELETE: cancel all of a symbol
FILLS_PATH = "/api/v1/trade/fills"
MASS_ORDER_PATH = "/api/v1/trade/massOrder"
TICKERS_PATH = "/api/v1/market/tickers"
BOOK_TICKERS_PATH = "/api/v1/market/bookTickers"

#: PX-OAS ``GET /api/v1/market/depth`` ``limit``: 1 - 1000.
MAX_BOOK_DEPTH = 1000


def _private(weight: int) -> dict[str, int]:
    return {IP: weight, ACCOUNT: weight}


def _refuse(message: str) -> InvalidOrder:
    return InvalidOrder(message, exchange=NAME)


# ---------------------------------------------------------------- open orders


def fetch_open_orders(market: Market | None) -> Call[list[OrderResult]] | None:
    """``GET /api/v1/trade/openOrders?symbol=`` (weight 5, at most 200 per symbol).

    ``symbol`` is required (PX-OAS), so there is no all-symbols form: None for ``market``
    None, and the core tells the caller to pass a symbol.
    """
    if market is None:
        return None
    request = Request(method="GET", path=OPEN_ORDERS_PATH, query=(("symbol", market.native),),
                      signed=True, cost=_private(5))
    return Call(request, lambda response: parse_open_orders(response, market))


def parse_open_orders(response: Response, market: Market) -> list[OrderResult]:
    """``data.orders``: PX-OAS ``Order`` objects, status derived as in :mod:`.parsing`."""
    return [parsing.parse_order(row, market) for row in parsing.data(response).rows("orders")]


# ---------------------------------------------------------------- fills


def parse_fill(row: Reader, market: Market) -> Fill:
    """A PX-OAS ``Fill``: ``id`` and ``orderId`` are int64 JSON numbers, read as integers
    (never through float); ``role`` MAKER/TAKER; no client order id on a fill."""
    native = row.get("symbol")
    if native is not None and native != market.native:
        raise row.error(f"fill belongs to {native}, not {market.native}", "symbol")
    role = row.text("role").upper()
    if role not in ("MAKER", "TAKER"):
        raise row.error(f"unknown role {role!r}", "role")
    return Fill(symbol=market.symbol, order_id=str(row.integer("orderId")),
                trade_id=str(row.integer("id")), side=row.text("side"),
                price=row.decimal("price"), quantity=row.decimal("size"),
                fee=row.decimal("fee", default=Decimal(0)),
                fee_currency=row.optional_text("feeCoin") or None, is_maker=role == "MAKER",
                timestamp=row.timestamp("timestamp"))


def _fills_request(market: Market, start_ms: int | None, end_ms: int | None) -> Request:
    query = [("symbol", market.native)]
    if start_ms is not None:
        query.append(("startTime", str(start_ms)))
    if end_ms is not None:
        query.append(("endTime", str(end_ms)))
    return Request(method="GET", path=FILLS_PATH, query=tuple(query), signed=True,
                   cost=_private(5))


def _fills_page(market: Market, start_ms: int | None, end_ms: int | None,
                seen: frozenset[str], widest: int) -> Call[Page[Fill]]:
    """One window ``[start_ms, end_ms]``; the parse decides where the next one ends.

    * a page with fills not seen before: the next window ends at its oldest fill's time
      (inclusive, so fills of that millisecond that did not fit are not skipped), or one
      millisecond earlier when that time is the window's own end (else the same request);
    * a page of fills already seen: they are the fills of ``end_ms`` itself. Fewer of
      them than the widest page so far means the venue had nothing older: the end.
      Otherwise that millisecond holds a whole page (never seen in practice): move one
      millisecond back so the walk cannot loop;
    * an empty page: the end.

    The walk needs no knowledge of the venue's page size (100 in PX-OAS's description),
    so it costs one request more than the fills need, at most two.
    """
    def parse(response: Response) -> Page[Fill]:
        rows = parsing.data(response).rows("fills")
        fills = [parse_fill(row, market) for row in rows]
        if not fills:
            return Page(fills)
        fresh = [f for f in fills if f.trade_id not in seen]
        wide = max(widest, len(fills))
        oldest = min(row.ms("timestamp") for row in rows)
        if fresh and oldest != end_ms:
            next_end = oldest
        elif end_ms is not None and (fresh or len(fills) >= wide):
            next_end = end_ms - 1  # this millisecond fills a page: step past it
        else:
            return Page(fills)
        if start_ms is not None and next_end < start_ms:
            return Page(fills)
        known = seen | {f.trade_id for f in fills}
        return Page(fills, _fills_page(market, start_ms, next_end, known, wide))
    return Call(_fills_request(market, start_ms, end_ms), parse)


def fetch_my_trades(market: Market, since: datetime | None) -> Pages[Fill]:
    """Fills walked backwards from now (to ``since`` when given, ``startTime``).

    ``limit`` is not sent: the endpoint has no such parameter; the core stops at it.
    """
    start_ms = None if since is None else int(since.timestamp() * 1000)
    return Pages(_fills_page(market, start_ms, None, frozenset(), 0), Walk.BACKWARD)


# ---------------------------------------------------------------- cancel-all


def cancel_all_orders(market: Market) -> Flow[list[OrderResult]]:
    """``DELETE /api/v1/trade/allOrders`` (weight 1) answers ``{"result": true}`` only.

    So the open orders are listed first (weight 5) and reported as cancelled, as the
    venue's answer does not say which orders it cancelled.
    """
    def steps() -> Steps[list[OrderResult]]:
        listed = yield from step(Call(
            Request(method="GET", path=OPEN_ORDERS_PATH, query=(("symbol", market.native),),
                    signed=True, cost=_private(5)),
            lambda response: parse_open_orders(response, market)))
        if not listed:
            return []
        yield from step(Call(
            Request(method="DELETE", path=ALL_ORDERS_PATH, body={"symbol": market.native},
                    body_format=BodyFormat.JSON, signed=True, cost=_private(1)),
            parsing.envelope))
        return [evolve(order, status=OrderStatus.CANCELED) for order in listed]
    return Flow(steps)


# ---------------------------------------------------------------- batch place


def mass_order_item(order: OrderParams, market: Market) -> dict[str, object]:
    """One ``MassOrderRequest.orders`` item: LIMIT, GTC only (the item has no ``IOC``)."""
    if order.type is not OrderType.LIMIT:
        raise _refuse("Pionex's batch (massOrder) takes LIMIT orders only; place market "
                      "orders one by one with place_order")
    if order.time_in_force not in (None, TimeInForce.GTC):
        raise _refuse("Pionex's batch (massOrder) has no time-in-force: its orders are GTC; "
                      "place IOC orders one by one with place_order")
    body = endpoints.order_body(order, market)
    return {key: body[key] for key in ("side", "type", "clientOrderId", "size", "price")}


def place_orders(orders: list[OrderParams],
                 markets: list[Market]) -> Call[list[OrderResult | VenueError]]:
    """``POST /api/v1/trade/massOrder`` (weight 1): one symbol, at most 20 LIMIT orders.

    The answer lists ``orderId`` and ``clientOrderId`` of the placed orders; each order is
    matched by its client id (always set by the core). PX-OAS does not say how one bad
    item is reported: an order missing from a success answer is reported as an ambiguous
    :class:`~venuekit.BadResponse`, which the core resolves by looking its client id up.
    """
    natives = {market.native for market in markets}
    if len(natives) != 1:
        raise _refuse("a Pionex batch holds orders of one symbol")
    market = markets[0]
    items = [mass_order_item(order, m) for order, m in zip(orders, markets, strict=True)]
    request = Request(method="POST", path=MASS_ORDER_PATH,
                      body={"symbol": market.native, "orders": items},
                      body_format=BodyFormat.JSON, signed=True, idempotent=False,
                      cost=_private(1))
    return Call(request, lambda response: parse_mass_order(response, orders, markets))


def parse_mass_order(response: Response, orders: Iterable[OrderParams],
                     markets: Iterable[Market]) -> list[OrderResult | VenueError]:
    ids: dict[str, int] = {}
    for row in parsing.data(response).rows("orderIds"):
        cid = row.optional_text("clientOrderId")
        if cid:
            ids[cid] = row.integer("orderId")
    results: list[OrderResult | VenueError] = []
    for order, market in zip(orders, markets, strict=True):
        assert order.client_order_id is not None  # the core sets every client id first
        order_id = ids.get(order.client_order_id)
        if order_id is None:
            results.append(BadResponse(
                f"the massOrder answer does not list client order id "
                f"{order.client_order_id}", exchange=NAME))
            continue
        results.append(OrderResult(
            exchange=NAME, symbol=market.symbol, order_id=str(order_id),
            client_order_id=order.client_order_id, side=order.side, type=order.type,
            status=OrderStatus.OPEN, quantity=order.quantity, price=order.price,
            time_in_force=TimeInForce.GTC))
    return results


# ---------------------------------------------------------------- market data


def _book_ticker(response: Response, market: Market) -> Reader:
    for row in parsing.data(response).rows("tickers"):
        if row.text("symbol") == market.native:
            return row
    raise response.bad(f"bookTickers has no row for {market.native}")


def _last_price(response: Response, market: Market) -> Decimal | None:
    for row in parsing.data(response).rows("tickers"):
        if row.text("symbol") == market.native:
            return row.optional_decimal("close")
    raise response.bad(f"tickers has no row for {market.native}")


def fetch_ticker(market: Market) -> Flow[Ticker]:
    """Best bid and ask from ``bookTickers``, last price (``close``) from the 24 h
    ``tickers``: Pionex splits them over two public calls of weight 1 each."""
    query = (("symbol", market.native),)

    def steps() -> Steps[Ticker]:
        book = yield from step(Call(
            Request(method="GET", path=BOOK_TICKERS_PATH, query=query, cost={IP: 1}),
            lambda response: _book_ticker(response, market)))
        last = yield from step(Call(
            Request(method="GET", path=TICKERS_PATH, query=query, cost={IP: 1}),
            lambda response: _last_price(response, market)))
        return Ticker(symbol=market.symbol, bid=book.optional_decimal("bidPrice"),
                      ask=book.optional_decimal("askPrice"), last=last,
                      timestamp=book.timestamp("timestamp"))
    return Flow(steps)


def fetch_order_book(market: Market, depth: int) -> Call[OrderBook]:
    """``GET /api/v1/market/depth`` (weight 1, ``limit`` 1 - 1000); no sequence number."""
    limit = min(depth, MAX_BOOK_DEPTH)
    request = Request(method="GET", path=endpoints.DEPTH_PATH,
                      query=(("symbol", market.native), ("limit", str(limit))), cost={IP: 1})
    return Call(request, lambda response: parse_order_book(response, market))


def parse_order_book(response: Response, market: Market) -> OrderBook:
    data = parsing.data(response)
    return OrderBook(symbol=market.symbol, bids=_levels(data.at("bids")),
                     asks=_levels(data.at("asks")),
                     timestamp=data.optional_timestamp("updateTime"))


def _levels(rows: Reader) -> list[tuple[Decimal, Decimal]]:
    return [(level.decimal(0), level.decimal(1)) for level in rows.items()]
