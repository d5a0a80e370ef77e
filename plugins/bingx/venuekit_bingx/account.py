"""BingX swap account state and market data: request builders and parsers. No I/O.

Open orders, fills, positions, ticker and book (cancel-all, batches, amend and leverage
are in :mod:`venuekit_bingx.trading`). Quantities are in coin (base currency) on every
endpoint used here. Order ids are int64 above 2**53, read exactly as digit strings (the
core decodes JSON integers as ints, never floats).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from venuekit.account_models import Fill, MarginMode, OrderBook, Position, PositionSide, Ticker
from venuekit.flows import Page, Pages, Walk
from venuekit.models import Market, OrderResult, Side
from venuekit.payload import Reader
from venuekit.wire import Call, Request, Response

from . import endpoints, parsing
from .limits import COSTS

OPEN_ORDERS_PATH = "/openApi/swap/v2/trade/openOrders"
FILL_HISTORY_PATH = "/openApi/swap/v2/trade/fillHistory"
POSITIONS_PATH = "/openApi/swap/v2/user/positions"
TICKER_PATH = "/openApi/swap/v2/quote/ticker"
DEPTH_PATH = "/openApi/swap/v2/quote/depth"

#: Largest ``pageSize`` of ``fillHistory``.
FILLS_PAGE = 1000
#: ``fillHistory`` reaches 7 days back (BX-V3): the window is clamped to that.
FILLS_REACH_MS = 7 * 24 * 3600 * 1000
#: ``depth`` limits BingX serves; the smallest covering the caller is asked for.
BOOK_DEPTHS = (5, 10, 20, 50, 100, 500, 1000)

_RECV = ("recvWindow", str(endpoints.RECV_WINDOW_MS))
_SIDES = {"BUY": Side.BUY, "SELL": Side.SELL}


def private_request(method: str, path: str, query: list[tuple[str, str]], cost: str, *,
                    idempotent: bool = True) -> Request:
    """A signed request with ``recvWindow`` and the endpoint's costs (COSTS[cost])."""
    return Request(method=method, path=path, query=[*query, _RECV], signed=True,
                   idempotent=idempotent, cost=COSTS[cost])


def _by_native(markets: list[Market]) -> dict[str, Market]:
    return {m.native: m for m in markets}


# ---------------------------------------------------------------- open orders


def fetch_open_orders(market: Market | None,
                      all_markets: list[Market]) -> Call[list[OrderResult]]:
    """``openOrders``: one symbol, or every symbol when ``symbol`` is left out."""
    query = [] if market is None else [("symbol", market.native)]
    known = _by_native([market] if market is not None else all_markets)

    def parse(response: Response) -> list[OrderResult]:
        return [parsing.parse_order(row, known[native].symbol)
                for row in parsing.data_of(response).rows("orders")
                if (native := row.text("symbol")) in known]
    return Call(private_request("GET", OPEN_ORDERS_PATH, query, "open_orders"), parse)


# ---------------------------------------------------------------- fills


def filled_at(row: Reader) -> datetime:
    """``filledTime`` ("2023-12-16T20:58:36.000+0800", ms and offset), else ``filledTm``."""
    for key in ("filledTime", "filledTm"):
        text = row.optional_text(key)
        if text:
            try:
                return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
            except ValueError:
                raise row.error(f"not an ISO time: {text!r}", key) from None
    raise row.error("missing", "filledTime")


def _side(row: Reader) -> Side:
    """``side`` is "buy" in the fill history example and "BUY" elsewhere: either case."""
    text = (row.optional_text("side") or "").upper()
    if text not in _SIDES:
        raise row.error(f"unknown side {row.get('side')!r}", "side")
    return _SIDES[text]


def fill(row: Reader, market: Market) -> Fill:
    """One ``fillHistory`` row. ``qty`` is the coin quantity (``volume`` in older answers);
    a paid ``commission`` is negative on BingX and positive in a Fill."""
    quantity = row.optional_decimal("qty")
    if quantity is None:
        quantity = row.decimal("volume")
    commission = row.optional_decimal("commission")
    role = (row.optional_text("role") or "").lower()
    return Fill(symbol=market.symbol, order_id=row.text("orderId"),
                client_order_id=parsing.client_id_of(row), trade_id=row.text("tradeId"),
                side=_side(row),
                price=row.decimal("price"), quantity=quantity,
                fee=Decimal(0) if commission is None else -commission,
                fee_currency=row.optional_text("commissionAsset") or row.optional_text("currency"),
                is_maker={"maker": True, "taker": False}.get(role),
                timestamp=filled_at(row))


def _fills_call(market: Market, start_ms: int, end_ms: int, page_size: int,
                last_fill_id: str | None) -> Call[Page[Fill]]:
    """One page, oldest first; the next starts after the page's last ``tradeId``
    (``lastFillId``). The walk ends on an empty page: BingX does not say that a short
    page is the last, and its ``total`` is not documented against the cursor."""
    query = [("symbol", market.native), ("startTs", str(start_ms)), ("endTs", str(end_ms)),
             ("pageSize", str(page_size))]
    if last_fill_id is not None:
        query.append(("lastFillId", last_fill_id))

    def parse(response: Response) -> Page[Fill]:
        rows = parsing.data_of(response).rows("fill_history_orders")
        fills = [fill(row, market) for row in rows]
        if not rows:
            return Page(fills)
        return Page(fills, _fills_call(market, start_ms, end_ms, page_size,
                                       rows[-1].text("tradeId")))
    return Call(private_request("GET", FILL_HISTORY_PATH, query, "fills"), parse)


def fetch_my_trades(market: Market, since: datetime | None, limit: int | None) -> Pages[Fill]:
    """``fillHistory`` (it has the trade id the aggregated ``allFillOrders`` lacks).

    It needs ``startTs`` and ``endTs`` and reaches 7 days back, so the first call reads
    the venue's clock and its page is empty; then one window, ``startTs`` exclusive:
    from ``since`` (or 7 days ago, whichever is later) to now, walked forward.
    """
    page_size = min(limit or FILLS_PAGE, FILLS_PAGE)

    def first(response: Response) -> Page[Fill]:
        now = endpoints.server_time().parse(response)
        start = now - FILLS_REACH_MS
        if since is not None:
            start = max(start, int(since.timestamp() * 1000) - 1)
        return Page((), _fills_call(market, start, now, page_size, None))
    clock = endpoints.server_time()
    return Pages(Call(clock.request, first), Walk.FORWARD)


# ---------------------------------------------------------------- positions


def position(row: Reader, market: Market) -> Position | None:
    """One ``positions`` row. ``positionSide`` LONG/SHORT gives the side; any other value
    (one-way mode, undocumented) falls back to the sign of ``positionAmt``."""
    amount = row.decimal("positionAmt")
    if amount == 0:
        return None
    given = (row.optional_text("positionSide") or "").upper()
    if given in ("LONG", "SHORT"):
        side = PositionSide(given.lower())
    else:
        side = PositionSide.LONG if amount > 0 else PositionSide.SHORT
    isolated = row.get("isolated")
    mode = None if isolated is None else (
        MarginMode.ISOLATED if isolated in (True, "true") else MarginMode.CROSS)
    leverage = row.optional_decimal("leverage")
    return Position(symbol=market.symbol, side=side, quantity=abs(amount),
                    entry_price=row.nonzero_decimal("avgPrice"),
                    mark_price=row.nonzero_decimal("markPrice"),
                    unrealized_pnl=row.optional_decimal("unrealizedProfit"),
                    leverage=leverage,
                    liquidation_price=row.nonzero_decimal("liquidationPrice"),
                    margin_mode=mode)


def fetch_positions(markets: list[Market] | None,
                    all_markets: list[Market]) -> Call[list[Position]]:
    """One call has every field: size, entry, mark, upl, leverage, liquidation, margin."""
    query = [("symbol", markets[0].native)] if markets and len(markets) == 1 else []
    known = _by_native(all_markets)

    def parse(response: Response) -> list[Position]:
        out = []
        for row in parsing.data_of(response).rows():
            market = known.get(row.text("symbol"))
            if market is not None and (found := position(row, market)) is not None:
                out.append(found)
        return out
    return Call(private_request("GET", POSITIONS_PATH, query, "positions"), parse)


# ---------------------------------------------------------------- market data


def fetch_ticker(market: Market) -> Call[Ticker]:
    """``quote/ticker``: ``bidPrice``, ``askPrice``, ``lastPrice``; time ``closeTime``."""
    def parse(response: Response) -> Ticker:
        data = parsing.data_of(response)
        row = data.rows()[0] if data.is_array() else data
        return Ticker(symbol=market.symbol, bid=row.nonzero_decimal("bidPrice"),
                      ask=row.nonzero_decimal("askPrice"),
                      last=row.nonzero_decimal("lastPrice"),
                      timestamp=row.timestamp("closeTime"))
    return Call(Request(method="GET", path=TICKER_PATH, query=[("symbol", market.native)],
                        cost=COSTS["ticker"]), parse)


def _levels(rows: Reader) -> list[tuple[Decimal, Decimal]]:
    return [(level.decimal(0), level.decimal(1)) for level in rows.items()]


def fetch_order_book(market: Market, depth: int) -> Call[OrderBook]:
    """``quote/depth``: ``bidsCoin`` / ``asksCoin`` carry coin quantities (``bids`` /
    ``asks`` are read only when the coin lists are absent); no sequence id (``T`` time)."""
    venue_depth = next((d for d in BOOK_DEPTHS if d >= depth), BOOK_DEPTHS[-1])

    def parse(response: Response) -> OrderBook:
        data = parsing.data_of(response)
        bids = "bidsCoin" if data.get("bidsCoin") is not None else "bids"
        asks = "asksCoin" if data.get("asksCoin") is not None else "asks"
        return OrderBook(symbol=market.symbol, bids=_levels(data.at(bids)),
                         asks=_levels(data.at(asks)), timestamp=data.optional_timestamp("T"))
    return Call(Request(method="GET", path=DEPTH_PATH,
                        query=[("symbol", market.native), ("limit", str(venue_depth))],
                        cost=COSTS["depth"]), parse)
