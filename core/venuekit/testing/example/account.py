"""Example venue: account state, market data and batches (plain functions, no I/O).

A worked example of each shape a part-two hook can take:

* one call: open orders, ticker, order book, batch cancel;
* pages: fills walked forward by ``fromId`` from ``since``, or backward by ``beforeId``
  from now (the venue's page holds at most :data:`MAX_FILLS_PAGE` fills);
* flows: positions plus leverage from a second endpoint; amend, which the venue only
  takes with side, quantity and price all given, so the order is read first; cancel-all,
  which answers with a count, so the open orders are listed first; set leverage, where
  the venue's "not modified" error means the value is already in force.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from venuekit.account_models import Fill, OrderBook, Position, Ticker
from venuekit.decimals import format_decimal
from venuekit.errors import ExchangeError, VenueError
from venuekit.flows import Flow, Page, Pages, Steps, Walk, step
from venuekit.models import Market, OrderParams, OrderRef, OrderResult
from venuekit.payload import Reader
from venuekit.wire import BodyFormat, Call, Request, Response

from . import endpoints, errors
from .endpoints import _data, parse_order

#: The venue returns at most this many fills per page (small, so paging is exercised).
MAX_FILLS_PAGE = 3
#: Most orders one batch-place request takes.
MAX_BATCH_ORDERS = 3
#: Most orders one batch-cancel request takes.
MAX_BATCH_CANCELS = 2
#: Book depths the venue serves; a request asks for the smallest that covers the caller.
BOOK_DEPTHS = (5, 10, 20, 50, 100)
#: The venue's code for "leverage not modified": the value asked for is already in force.
LEVERAGE_NOT_MODIFIED = "3007"


def _by_native(markets: list[Market] | None) -> dict[str, Market]:
    return {m.native: m for m in markets or []}


# ---------------------------------------------------------------- open orders


def fetch_open_orders(market: Market | None, all_markets: list[Market]
                      ) -> Call[list[OrderResult]]:
    """``market`` None lists every symbol; rows are mapped back with ``all_markets``."""
    query = [] if market is None else [("symbol", market.native)]
    known = _by_native(all_markets if market is None else [market])

    def parse(response: Response) -> list[OrderResult]:
        return [parse_order(row, known.get(row.text("symbol")) or _unknown(row.text("symbol")))
                for row in _data(response).rows()]
    return Call(Request(method="GET", path="/v1/openOrders", query=query, signed=True,
                        cost={"ip": 1 if market else 10}), parse)


def _unknown(native: str) -> Market:
    raise ExchangeError(f"open order on a market the venue did not list: {native}",
                        exchange=endpoints.NAME)


# ---------------------------------------------------------------- fills


def _fill(row: Reader, market: Market) -> Fill:
    return Fill(symbol=market.symbol, order_id=row.text("orderId"),
                client_order_id=row.optional_text("clientOrderId"), trade_id=row.text("id"),
                side=row.text("side"), price=row.decimal("price"), quantity=row.decimal("qty"),
                fee=row.decimal("fee"), fee_currency=row.text("feeAsset"),
                is_maker=row.boolean("maker"), timestamp=row.timestamp("time"))


def _fills_call(market: Market, query: list[tuple[str, str]], page_size: int,
                walk: Walk) -> Call[Page[Fill]]:
    def parse(response: Response) -> Page[Fill]:
        rows = _data(response).rows()
        fills = [_fill(row, market) for row in rows]
        if len(rows) < page_size:  # a short page is the last one
            return Page(fills)
        ids = [row.integer("id") for row in rows]
        if walk is Walk.FORWARD:
            cursor = [("symbol", market.native), ("fromId", str(max(ids) + 1))]
        else:
            cursor = [("symbol", market.native), ("beforeId", str(min(ids)))]
        return Page(fills, _fills_call(market, cursor, page_size, walk))
    request = Request(method="GET", path="/v1/myTrades",
                      query=[*query, ("limit", str(page_size))], signed=True, cost={"ip": 5})
    return Call(request, parse)


def fetch_my_trades(market: Market, since: datetime | None, limit: int | None) -> Pages[Fill]:
    """Forward from ``since`` by ``fromId``; without ``since``, backward from the newest."""
    page_size = min(limit or MAX_FILLS_PAGE, MAX_FILLS_PAGE)
    query = [("symbol", market.native)]
    if since is not None:
        query.append(("startTime", str(int(since.timestamp() * 1000))))
        return Pages(_fills_call(market, query, page_size, Walk.FORWARD), Walk.FORWARD)
    return Pages(_fills_call(market, query, page_size, Walk.BACKWARD), Walk.BACKWARD)


# ---------------------------------------------------------------- positions


def _positions_call(markets: list[Market] | None) -> Call[list[Reader]]:
    query = [("symbol", markets[0].native)] if markets and len(markets) == 1 else []
    return Call(Request(method="GET", path="/v1/positions", query=query, signed=True,
                        cost={"ip": 5}), lambda r: _data(r).rows())


def _leverage_call(market: Market) -> Call[int]:
    return Call(Request(method="GET", path="/v1/leverage", query=[("symbol", market.native)],
                        signed=True, cost={"ip": 1}),
                lambda r: _data(r).integer("leverage"))


def _position(row: Reader, market: Market, leverage: int) -> Position:
    quantity = row.decimal("positionAmt")
    return Position(symbol=market.symbol, side="long" if quantity > 0 else "short",
                    quantity=abs(quantity), entry_price=row.decimal("entryPrice"),
                    mark_price=row.optional_decimal("markPrice"),
                    unrealized_pnl=row.optional_decimal("unrealizedPnl"),
                    leverage=leverage, liquidation_price=row.optional_decimal("liquidationPrice"),
                    margin_mode="cross")


def fetch_positions(markets: list[Market] | None, all_markets: list[Market]) -> Flow[
        list[Position]]:
    """Positions, then each open position's leverage from its own endpoint (a merge)."""
    known = _by_native(all_markets)

    def steps() -> Steps[list[Position]]:
        rows = yield from step(_positions_call(markets))
        out = []
        for row in rows:
            if row.decimal("positionAmt") == 0 or row.text("symbol") not in known:
                continue
            market = known[row.text("symbol")]
            leverage = yield from step(_leverage_call(market))
            out.append(_position(row, market, leverage))
        return out
    return Flow(steps)


# ---------------------------------------------------------------- cancel-all, batch cancel


def cancel_all_orders(market: Market) -> Flow[list[OrderResult]]:
    """The venue answers cancel-all with a count: list first, report what was listed."""
    def steps() -> Steps[list[OrderResult]]:
        listed = yield from step(fetch_open_orders(market, [market]))
        if not listed:
            return []
        yield from step(Call(Request(method="DELETE", path="/v1/openOrders",
                                     query=[("symbol", market.native)], signed=True,
                                     idempotent=False, cost={"ip": 1}),
                             lambda r: _data(r).integer("cancelled")))
        return [_as_cancelled(order) for order in listed]
    return Flow(steps)


def _as_cancelled(order: OrderResult) -> OrderResult:
    from attrs import evolve
    return evolve(order, status="canceled")


def _item(row: Reader, market: Market) -> OrderResult | VenueError:
    if row.boolean("ok", default=True):
        return parse_order(row.at("data"), market)
    code = row.integer("code")
    message = row.optional_text("message") or ""
    cls = errors.ERRORS.get(code, ExchangeError)
    return cls(message, code=code, venue_message=message)


def cancel_orders(refs: list[OrderRef], market: Market) -> Call[list[OrderResult | VenueError]]:
    ids = ",".join(ref.order_id or "" for ref in refs)
    query = [("symbol", market.native)]
    if all(ref.order_id for ref in refs):
        query.append(("orderIds", ids))
    else:
        query.append(("clientOrderIds", ",".join(ref.client_order_id or "" for ref in refs)))
    return Call(Request(method="DELETE", path="/v1/batchOrders", query=query, signed=True,
                        idempotent=False, cost={"ip": 1}),
                lambda r: [_item(row, market) for row in _data(r).rows()])


# ---------------------------------------------------------------- amend, leverage


def amend_order(ref: OrderRef, market: Market, quantity: Decimal | None,
                price: Decimal | None) -> Flow[OrderResult]:
    """The venue's amend needs side, quantity and price together: read the order first."""
    def steps() -> Steps[OrderResult]:
        current = yield from step(endpoints.fetch_order(ref, market))
        body = {"symbol": market.native, "orderId": current.order_id,
                "side": (current.side.value if current.side else "buy").upper(),
                "quantity": format_decimal(
                    quantity if quantity is not None else _known(current.quantity)),
                "price": format_decimal(price if price is not None else _known(current.price))}
        request = Request(method="PUT", path="/v1/order", body=body,
                          body_format=BodyFormat.JSON, signed=True, cost={"ip": 1})
        return (yield from step(Call(request, lambda r: parse_order(_data(r), market))))
    return Flow(steps)


def _known(value: Decimal | None) -> Decimal:
    if value is None:
        raise ExchangeError("the venue did not report the order's quantity or price",
                            exchange=endpoints.NAME)
    return value


def set_leverage(market: Market, leverage: int) -> Flow[int]:
    def steps() -> Steps[int]:
        request = Request(method="POST", path="/v1/leverage",
                          body={"symbol": market.native, "leverage": leverage},
                          body_format=BodyFormat.JSON, signed=True, cost={"ip": 1})
        try:
            return (yield from step(Call(request, lambda r: _data(r).integer("leverage"))))
        except ExchangeError as exc:
            if exc.code == LEVERAGE_NOT_MODIFIED:  # already in force: success
                return leverage
            raise
    return Flow(steps)


# ---------------------------------------------------------------- batch place


def place_orders(orders: list[OrderParams],
                 markets: list[Market]) -> Call[list[OrderResult | VenueError]]:
    bodies = [endpoints.place_order(order, market).request.body
              for order, market in zip(orders, markets, strict=True)]
    request = Request(method="POST", path="/v1/batchOrders", body={"orders": bodies},
                      body_format=BodyFormat.JSON, signed=True, idempotent=False,
                      cost={"ip": 5, "orders": len(orders)})

    def parse(response: Response) -> list[OrderResult | VenueError]:
        return [_item(row, market) for row, market in zip(_data(response).rows(), markets,
                                                          strict=True)]
    return Call(request, parse)


# ---------------------------------------------------------------- market data


def fetch_ticker(market: Market) -> Call[Ticker]:
    def parse(response: Response) -> Ticker:
        data = _data(response)
        return Ticker(symbol=market.symbol, bid=data.optional_decimal("bid"),
                      ask=data.optional_decimal("ask"), last=data.optional_decimal("last"),
                      timestamp=data.timestamp("time"))
    return Call(Request(method="GET", path="/v1/ticker", query=[("symbol", market.native)],
                        cost={"ip": 1}), parse)


def fetch_order_book(market: Market, depth: int) -> Call[OrderBook]:
    venue_depth = next((d for d in BOOK_DEPTHS if d >= depth), BOOK_DEPTHS[-1])

    def parse(response: Response) -> OrderBook:
        data = _data(response)
        return OrderBook(symbol=market.symbol, bids=_levels(data.at("bids")),
                         asks=_levels(data.at("asks")), timestamp=data.timestamp("time"),
                         sequence=data.integer("lastUpdateId"))
    return Call(Request(method="GET", path="/v1/depth",
                        query=[("symbol", market.native), ("limit", str(venue_depth))],
                        cost={"ip": 2 if venue_depth <= 20 else 10}), parse)


def _levels(rows: Reader) -> list[tuple[Decimal, Decimal]]:
    return [(level.decimal(0), level.decimal(1)) for level in rows.items()]
