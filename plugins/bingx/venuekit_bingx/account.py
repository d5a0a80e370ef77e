"""BingX swap account state, batches and market data: request builders and parsers. No I/O.

Quantities are in coin (base currency) on every endpoint used here. Order ids are int64
above 2**53, sent and read as digit strings (the core decodes JSON integers exactly; a
list of ids is written as JSON text by hand, never through float).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from venuekit.account_models import Fill, MarginMode, OrderBook, Position, PositionSide, Ticker
from venuekit.decimals import format_decimal
from venuekit.errors import ExchangeUnavailable, InvalidArgument, OrderNotFound, VenueError
from venuekit.flows import Flow, Page, Pages, Steps, Walk, step
from venuekit.models import Market, OrderParams, OrderRef, OrderResult, OrderStatus, Side
from venuekit.payload import Reader
from venuekit.wire import Call, Request, Response

from . import endpoints, errors, parsing
from .limits import COSTS

OPEN_ORDERS_PATH = "/openApi/swap/v2/trade/openOrders"
FILL_HISTORY_PATH = "/openApi/swap/v2/trade/fillHistory"
POSITIONS_PATH = "/openApi/swap/v2/user/positions"
CANCEL_ALL_PATH = "/openApi/swap/v2/trade/allOpenOrders"
BATCH_PATH = "/openApi/swap/v2/trade/batchOrders"
AMEND_PATH = "/openApi/swap/v1/trade/amend"
LEVERAGE_PATH = "/openApi/swap/v2/trade/leverage"
TICKER_PATH = "/openApi/swap/v2/quote/ticker"
DEPTH_PATH = "/openApi/swap/v2/quote/depth"

#: Most orders in one batch place (``batchOrders``: "up to 5").
MAX_BATCH_ORDERS = 5
#: Most ids in one batch cancel (``orderIdList`` / ``clientOrderIdList``: "up to 10").
MAX_BATCH_CANCELS = 10
#: Largest ``pageSize`` of ``fillHistory``.
FILLS_PAGE = 1000
#: ``fillHistory`` reaches 7 days back (BX-V3): the window is clamped to that.
FILLS_REACH_MS = 7 * 24 * 3600 * 1000
#: ``depth`` limits BingX serves; the smallest covering the caller is asked for.
BOOK_DEPTHS = (5, 10, 20, 50, 100, 500, 1000)

_RECV = ("recvWindow", str(endpoints.RECV_WINDOW_MS))
_SIDES = {"BUY": Side.BUY, "SELL": Side.SELL}


def _private(method: str, path: str, query: list[tuple[str, str]], cost: str, *,
             idempotent: bool = True) -> Request:
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
    return Call(_private("GET", OPEN_ORDERS_PATH, query, "open_orders"), parse)


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
    return Call(_private("GET", FILL_HISTORY_PATH, query, "fills"), parse)


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
    return Call(_private("GET", POSITIONS_PATH, query, "positions"), parse)


# ---------------------------------------------------------------- cancel-all, batch cancel


def _item_error(row: Reader, code_key: str, message_key: str) -> VenueError:
    """A per-item failure (``errorCode``/``errorMessage`` on cancels, ``code``/``msg`` on
    a batch place row) as the core error its code maps to."""
    return errors.error_for(row.integer(code_key), row.optional_text(message_key) or "")


def _json_text(text: str) -> str:
    return json.dumps(text)


def cancel_all_orders(market: Market) -> Call[list[OrderResult]]:
    """``DELETE allOpenOrders?symbol=``: answers ``success`` (the orders, cancelled) and
    ``failed``; an order that failed for any reason but being gone is raised."""
    def parse(response: Response) -> list[OrderResult]:
        data = parsing.data_of(response)
        for row in data.rows("failed") if data.get("failed") else []:
            error = _item_error(row, "errorCode", "errorMessage")
            if not isinstance(error, OrderNotFound):
                raise error
        success = data.rows("success") if data.get("success") else []
        return [parsing.parse_order(row, market.symbol) for row in success]
    return Call(_private("DELETE", CANCEL_ALL_PATH, [("symbol", market.native)],
                         "cancel_all"), parse)


def _id_list(ids: list[str], *, quoted: bool) -> str:
    """A JSON list written by hand: ids as bare digits (never a float), or strings."""
    return "[" + ",".join(f'"{i}"' if quoted else i for i in ids) + "]"


def cancel_orders(refs: list[OrderRef],
                  market: Market) -> Call[list[OrderResult | VenueError]]:
    """``DELETE batchOrders``: up to 10 ``orderIdList`` (or lower-cased
    ``clientOrderIdList``); the answer's ``success`` / ``failed`` are matched back."""
    by_id = all(ref.order_id for ref in refs)
    if by_id:
        ids = [str(ref.order_id) for ref in refs]
        if not all(i.isdigit() for i in ids):
            raise InvalidArgument("BingX order ids are numbers", exchange=parsing.NAME)
        query = [("symbol", market.native), ("orderIdList", _id_list(ids, quoted=False))]
    else:
        ids = [(ref.client_order_id or "").lower() for ref in refs]
        query = [("symbol", market.native),
                 ("clientOrderIdList", _id_list(ids, quoted=True))]

    def parse(response: Response) -> list[OrderResult | VenueError]:
        data = parsing.data_of(response)
        done: dict[str, OrderResult] = {}
        for row in data.rows("success") if data.get("success") else []:
            order = parsing.parse_order(row, market.symbol)
            done[order.order_id if by_id else (order.client_order_id or "").lower()] = order
        failed: dict[str, VenueError] = {}
        for row in data.rows("failed") if data.get("failed") else []:
            key = row.optional_text("orderId") if by_id else (
                (parsing.client_id_of(row) or "").lower())
            if key:
                failed[key] = _item_error(row, "errorCode", "errorMessage")
        out: list[OrderResult | VenueError] = []
        for key in ids:
            out.append(done.get(key) or failed.get(key) or OrderNotFound(
                f"BingX reported nothing for order {key}", exchange=parsing.NAME))
        return out
    return Call(_private("DELETE", BATCH_PATH, query, "batch_cancel"), parse)


# ---------------------------------------------------------------- batch place


def _order_json(order: OrderParams, market: Market) -> str:
    """One order of ``batchOrders`` as JSON text: the single place's parameters, numbers
    written bare from their Decimal text (the docs' example: ``"quantity":0.001``)."""
    numbers = {"quantity", "price"}
    fields = []
    for key, value in endpoints.order_query(order, market):
        if key == "recvWindow":
            continue
        fields.append(f'"{key}":{value}' if key in numbers else f'"{key}":{_json_text(value)}')
    return "{" + ",".join(fields) + "}"


def place_orders(orders: list[OrderParams],
                 markets: list[Market]) -> Call[list[OrderResult | VenueError]]:
    """``POST batchOrders`` (at most 5); each answer row is matched to its order by the
    lower-cased client id. An order missing from the answer is ambiguous (the core looks
    it up before anything is resent); a row with a non-zero ``code`` is that order's error."""
    body = "[" + ",".join(_order_json(order, market)
                          for order, market in zip(orders, markets, strict=True)) + "]"
    request = _private("POST", BATCH_PATH, [("batchOrders", body)], "batch_place",
                       idempotent=False)

    def parse(response: Response) -> list[OrderResult | VenueError]:
        data = parsing.data_of(response)
        rows = data.rows("orders") if data.get("orders") else []
        by_client = {(parsing.client_id_of(row) or "").lower(): row for row in rows}
        out: list[OrderResult | VenueError] = []
        for order, market in zip(orders, markets, strict=True):
            row = by_client.get((order.client_order_id or "").lower())
            if row is None:
                out.append(ExchangeUnavailable(
                    f"BingX's batch answer does not mention {order.client_order_id}",
                    exchange=parsing.NAME))
                continue
            if row.get("code") not in (None, 0, "0", ""):
                out.append(_item_error(row, "code", "msg"))
                continue
            out.append(OrderResult(
                exchange=parsing.NAME, symbol=market.symbol, order_id=row.text("orderId"),
                client_order_id=parsing.client_id_of(row) or order.client_order_id,
                side=order.side, type=order.type, status=OrderStatus.OPEN,
                quantity=order.quantity, price=order.price,
                time_in_force=order.time_in_force, reduce_only=order.reduce_only))
        return out
    return Call(request, parse)


# ---------------------------------------------------------------- amend, leverage


def amend_order(ref: OrderRef, market: Market, quantity: Decimal | None,
                price: Decimal | None) -> Flow[OrderResult] | None:
    """``POST /openApi/swap/v1/trade/amend`` changes the **quantity only**; then the order
    is read back. A new price is not amendable on BingX (``cancelReplace`` makes a new
    order): None, and the core raises NotSupported, never a silent cancel-and-replace."""
    if price is not None or quantity is None:
        return None
    query = [*endpoints.ref_query(ref, market)[:-1], ("quantity", format_decimal(quantity))]

    def steps() -> Steps[OrderResult]:
        yield from step(Call(_private("POST", AMEND_PATH, query, "amend"), _accepted))
        return (yield from step(endpoints.fetch_order(ref, market)))
    return Flow(steps)


def _accepted(response: Response) -> None:
    """The amend answer's shape is not documented; its envelope (``code`` 0, checked by
    ``parse_error``) is all that is read, and the order is fetched for its state."""
    Reader.of(response)


def set_leverage(market: Market, leverage: int) -> Flow[int]:
    """Read the symbol's leverage and maximum first (``maxLongLeverage``: contracts do not
    list it), refuse above it locally, skip the change when already in force, else
    ``POST leverage`` with ``side=BOTH`` (one-way mode, as every order is placed)."""
    def read(response: Response) -> tuple[int, int]:
        data = parsing.data_of(response)
        return data.integer("longLeverage"), data.integer("maxLongLeverage")

    def steps() -> Steps[int]:
        current, maximum = yield from step(Call(
            _private("GET", LEVERAGE_PATH, [("symbol", market.native)], "leverage_get"),
            read))
        if leverage > maximum:
            raise InvalidArgument(f"leverage {leverage} is above BingX's maximum {maximum} "
                                  f"for {market.symbol}", exchange=parsing.NAME)
        if current == leverage:
            return leverage
        query = [("symbol", market.native), ("side", endpoints.POSITION_SIDE),
                 ("leverage", str(leverage))]
        return (yield from step(Call(
            _private("POST", LEVERAGE_PATH, query, "leverage"),
            lambda response: parsing.data_of(response).integer("leverage"))))
    return Flow(steps)


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
