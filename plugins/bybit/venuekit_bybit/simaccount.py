"""The Bybit simulator's account-state, batch and market-data endpoints (linear, UTA).

A base of :class:`venuekit_bybit.simulator.BybitSimulator`, written from the V5 pages
(paths, parameters, limits, envelopes, codes), never from the plugin's builders. Matching
is :class:`~venuekit.testing.state.SimState`'s; positions are one-way (``positionIdx`` 0)
unless a symbol is switched to hedge mode, which only changes what rows report.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from aiohttp import web
from venuekit.testing.simulator import ErrorKind, SimOrder, SimReject, Simulator
from venuekit.testing.state import SimFill
from venuekit.testing.stream_server import StreamServer

DAY_MS = 24 * 3600 * 1000
NOT_MODIFIED_LEVERAGE = 110043
NOT_MODIFIED_POSITION_MODE = 110025
NOT_MODIFIED_MARGIN_MODE = 110026


def _s(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f")


def _page(rows: list[Any], cursor: str | None, limit: int) -> tuple[list[Any], str]:
    """Offset paging behind a cursor shaped like Bybit's: handed out percent-encoded
    (``"12%3A1684738540559"``), sent back on the wire as it came, so the query decodes it
    once to ``"12:1684738540559"``. A cursor encoded a second time is one never issued."""
    if cursor and not re.fullmatch(r"[0-9]+:[0-9]+", cursor):
        raise SimReject(ErrorKind.INVALID, f"invalid cursor {cursor!r}", code=10001)
    start = int(cursor.split(":")[0]) if cursor else 0
    chunk = rows[start:start + limit]
    more = start + limit < len(rows)
    return chunk, f"{start + limit}%3A{len(rows)}" if more else ""


def _execution(fill: SimFill) -> dict[str, Any]:
    return {"symbol": fill.symbol, "orderType": "Market", "orderLinkId": fill.client_order_id
            or "", "side": fill.side.capitalize(), "orderId": fill.order_id,
            "leavesQty": "0", "execTime": str(fill.time_ms), "feeCurrency": "",
            "isMaker": fill.is_maker, "execFee": _s(fill.fee), "feeRate": "0.00055",
            "execId": f"e0cbe81d-0f18-5866-9415-{int(fill.trade_id):012d}",
            "markPrice": _s(fill.price), "execPrice": _s(fill.price), "orderQty": "0",
            "orderPrice": "0", "execValue": _s(fill.price * fill.quantity),
            "execType": "Trade", "execQty": _s(fill.quantity), "closedSize": "",
            "seq": int(fill.trade_id)}


class AccountEndpoints(Simulator):
    """The endpoints; envelope, signature check and order rows come from the subclass."""

    #: Get Trade History ``limit`` maximum (100); tests shrink it with the plugin's
    #: ``positions.EXECUTIONS_PAGE``
    max_executions_page = 100
    open_orders_page = 50
    max_batch = 20
    cancel_all_max = 500
    margin_mode: str
    hedge_symbols: set[str]
    extra_executions: list[dict[str, Any]]
    streams: StreamServer

    async def verify(self, request: web.Request) -> bytes:
        raise NotImplementedError

    def ok(self, request: web.Request, result: Any, *,
           ext: dict[str, Any] | None = None) -> web.Response:
        raise NotImplementedError

    def order_row(self, order: SimOrder) -> dict[str, Any]:
        raise NotImplementedError

    def body_of(self, raw: bytes) -> dict[str, Any]:
        raise NotImplementedError

    def create_item(self, body: dict[str, Any]) -> SimOrder:
        raise NotImplementedError

    def account_routes(self) -> list[web.RouteDef]:
        return [
            web.get("/v5/execution/list", self.executions),
            web.get("/v5/position/list", self.position_list),
            web.get("/v5/account/info", self.account_info),
            web.post("/v5/order/cancel-all", self.cancel_all),
            web.post("/v5/order/create-batch", self.create_batch),
            web.post("/v5/order/cancel-batch", self.cancel_batch),
            web.post("/v5/order/amend", self.amend),
            web.post("/v5/position/set-leverage", self.set_leverage),
            web.post("/v5/position/switch-mode", self.switch_mode),
            web.post("/v5/account/set-margin-mode", self.set_margin_mode),
            web.get("/v5/market/tickers", self.tickers),
            web.get("/v5/market/orderbook", self.orderbook),
        ]

    @staticmethod
    def _linear(value: object) -> None:
        if value != "linear":
            raise SimReject(ErrorKind.INVALID, f"category {value!r}: this simulator is linear")

    def _symbol(self, value: object) -> str:
        if not value:
            raise SimReject(ErrorKind.INVALID, "params error: symbol is required")
        return self.state.market(str(value)).native

    # ------------------------------------------------------------ reads

    async def executions(self, request: web.Request) -> web.Response:
        """Newest first; windows of at most 7 days (default the last 7), cursor paging."""
        await self.verify(request)
        query = request.query
        self._linear(query.get("category"))
        symbol = query.get("symbol")
        if symbol:
            self._symbol(symbol)
        limit = int(query.get("limit", "50"))
        if not 1 <= limit <= self.max_executions_page:
            raise SimReject(ErrorKind.INVALID, "params error: limit")
        start, end = query.get("startTime"), query.get("endTime")
        if start and end:
            low, high = int(start), int(end)
        elif start:
            low, high = int(start), int(start) + 7 * DAY_MS
        elif end:
            low, high = int(end) - 7 * DAY_MS, int(end)
        else:
            high = self.now_ms()
            low = high - 7 * DAY_MS
        if high - low > 7 * DAY_MS:
            raise SimReject(ErrorKind.INVALID, "params error: the time range is over 7 days")
        rows = [_execution(f) for f in self.state.fills] + self.extra_executions
        rows = [r for r in rows if (not symbol or r["symbol"] == symbol)
                and low <= int(r["execTime"]) <= high]
        rows.sort(key=lambda r: (int(r["execTime"]), r["execId"]), reverse=True)
        chunk, cursor = _page(rows, query.get("cursor"), limit)
        return self.ok(request, {"category": "linear", "list": chunk,
                                 "nextPageCursor": cursor})

    def position_row(self, native: str) -> dict[str, Any]:
        held = self.state.positions.get(native)
        amount = held.quantity if held else Decimal(0)
        entry = held.entry_price if held else Decimal(0)
        mark = self.state.markets[native].price
        hedge = native in self.hedge_symbols
        side = "" if amount == 0 else "Buy" if amount > 0 else "Sell"
        index = 0 if not hedge else (1 if amount >= 0 else 2)
        return {"positionIdx": index, "riskId": 1, "riskLimitValue": "2000000",
                "symbol": native, "side": side, "size": _s(abs(amount)),
                "avgPrice": _s(entry), "positionValue": _s(abs(amount) * entry),
                "tradeMode": 0, "positionStatus": "Normal", "autoAddMargin": 0,
                "adlRankIndicator": 2 if amount else 0,
                "leverage": str(self.state.leverage.get(native, 10)),
                "markPrice": _s(mark), "liqPrice": "", "bustPrice": "",
                "positionIM": "0", "positionMM": "0", "takeProfit": "0", "stopLoss": "0",
                "trailingStop": "0", "unrealisedPnl": _s((mark - entry) * amount),
                "curRealisedPnl": "0", "cumRealisedPnl": "0", "seq": 1,
                "isReduceOnly": False, "createdTime": "1676538056258",
                "updatedTime": str(self.now_ms())}

    async def position_list(self, request: web.Request) -> web.Response:
        """By ``symbol`` (returned even when flat) or ``settleCoin`` (size > 0 only)."""
        await self.verify(request)
        query = request.query
        self._linear(query.get("category"))
        limit = int(query.get("limit", "20"))
        if not 1 <= limit <= 200:
            raise SimReject(ErrorKind.INVALID, "params error: limit")
        if query.get("symbol"):
            rows = [self.position_row(self._symbol(query["symbol"]))]
        elif query.get("settleCoin"):
            coin = query["settleCoin"]
            rows = [self.position_row(native) for native, market in
                    sorted(self.state.markets.items()) if market.quote == coin
                    and self.state.positions.get(native) is not None
                    and self.state.positions[native].quantity != 0]
        else:
            raise SimReject(ErrorKind.INVALID, "params error: symbol or settleCoin is required")
        chunk, cursor = _page(rows, query.get("cursor"), limit)
        return self.ok(request, {"category": "linear", "list": chunk, "nextPageCursor": cursor})

    async def account_info(self, request: web.Request) -> web.Response:
        await self.verify(request)
        return self.ok(request, {"marginMode": self.margin_mode,
                                 "updatedTime": str(self.now_ms()), "unifiedMarginStatus": 4,
                                 "isMasterTrader": False, "spotHedgingStatus": "OFF"})

    # ------------------------------------------------------------ orders

    async def cancel_all(self, request: web.Request) -> web.Response:
        body = self.body_of(await self.verify(request))
        self._linear(body.get("category"))
        if not (body.get("symbol") or body.get("baseCoin") or body.get("settleCoin")):
            raise SimReject(ErrorKind.INVALID, "params error: symbol, baseCoin or settleCoin")
        symbol = self._symbol(body["symbol"]) if body.get("symbol") else None
        coin = body.get("settleCoin")
        orders = [o for o in self.state.open_orders(symbol)
                  if coin is None or self.state.markets[o.symbol].quote == coin]
        listed = []
        for order in orders[:self.cancel_all_max]:
            self.state.cancel(order_id=order.order_id)
            listed.append({"orderId": order.order_id,
                           "orderLinkId": order.client_order_id or ""})
        return self.ok(request, {"list": listed, "success": "1"})

    def _batch_response(self, request: web.Request, items: list[dict[str, Any]],
                        codes: list[tuple[int, str]]) -> web.Response:
        """A partial failure still answers ``retCode`` 0; each item's code is in
        ``retExtInfo.list``, in request order."""
        return self.ok(request, {"list": items},
                       ext={"list": [{"code": c, "msg": m} for c, m in codes]})

    def _request_list(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        self._linear(body.get("category"))
        items = body.get("request")
        if not isinstance(items, list) or not 1 <= len(items) <= self.max_batch:
            raise SimReject(ErrorKind.INVALID, f"params error: 1 to {self.max_batch} orders")
        return [dict(item) for item in items]

    def _code(self, reject: SimReject) -> tuple[int, str]:
        coded = self.coded(reject)
        return int(coded.code or 10001), reject.message

    async def create_batch(self, request: web.Request) -> web.Response:
        body = self.body_of(await self.verify(request))
        items: list[dict[str, Any]] = []
        codes: list[tuple[int, str]] = []
        for entry in self._request_list(body):
            entry["category"] = "linear"
            try:
                order = self.create_item(entry)
            except SimReject as reject:
                codes.append(self._code(reject))
                items.append({"category": "linear", "symbol": entry.get("symbol", ""),
                              "orderId": "", "orderLinkId": "", "createAt": ""})
            else:
                codes.append((0, "OK"))
                items.append({"category": "linear", "symbol": order.symbol,
                              "orderId": order.order_id,
                              "orderLinkId": order.client_order_id or "",
                              "createAt": str(order.created_ms)})
        return self._batch_response(request, items, codes)

    async def cancel_batch(self, request: web.Request) -> web.Response:
        body = self.body_of(await self.verify(request))
        items: list[dict[str, Any]] = []
        codes: list[tuple[int, str]] = []
        for entry in self._request_list(body):
            found = self.state.find(order_id=entry.get("orderId"),
                                    client_order_id=entry.get("orderLinkId"))
            if found is None or not found.is_open or found.symbol != entry.get("symbol"):
                codes.append((110001, "Order does not exist."))
                items.append({"category": "linear", "symbol": entry.get("symbol", ""),
                              "orderId": "", "orderLinkId": ""})
                continue
            self.state.cancel(order_id=found.order_id)
            codes.append((0, "OK"))
            items.append({"category": "linear", "symbol": found.symbol,
                          "orderId": found.order_id,
                          "orderLinkId": found.client_order_id or ""})
        return self._batch_response(request, items, codes)

    async def amend(self, request: web.Request) -> web.Response:
        body = self.body_of(await self.verify(request))
        self._linear(body.get("category"))
        symbol = self._symbol(body.get("symbol"))
        found = self.state.find(order_id=body.get("orderId"),
                                client_order_id=body.get("orderLinkId"))
        if found is None or not found.is_open or found.symbol != symbol:
            raise SimReject(ErrorKind.NOT_FOUND, "order not exists or too late to replace",
                            code=110001)
        quantity = Decimal(str(body["qty"])) if "qty" in body else None
        price = Decimal(str(body["price"])) if "price" in body else None
        if quantity is None and price is None:
            raise SimReject(ErrorKind.INVALID, "params error: nothing to amend")
        self.state.amend(order_id=found.order_id, quantity=quantity, price=price)
        return self.ok(request, {"orderId": found.order_id,
                                 "orderLinkId": found.client_order_id or ""})

    # ------------------------------------------------------------ settings

    async def set_leverage(self, request: web.Request) -> web.Response:
        body = self.body_of(await self.verify(request))
        self._linear(body.get("category"))
        symbol = self._symbol(body.get("symbol"))
        buy, sell = str(body.get("buyLeverage", "")), str(body.get("sellLeverage", ""))
        if buy != sell and symbol not in self.hedge_symbols:
            raise SimReject(ErrorKind.INVALID, "params error: buy leverage must equal sell "
                                               "leverage in one-way mode")
        try:
            leverage = int(Decimal(buy))
        except ArithmeticError:
            raise SimReject(ErrorKind.INVALID, "params error: leverage") from None
        if not self.state.set_leverage(symbol, leverage):
            raise SimReject(ErrorKind.INVALID, "leverage not modified",
                            code=NOT_MODIFIED_LEVERAGE)
        return self.ok(request, {})

    async def switch_mode(self, request: web.Request) -> web.Response:
        body = self.body_of(await self.verify(request))
        self._linear(body.get("category"))
        symbol = self._symbol(body.get("symbol"))
        hedge = body.get("mode") == 3
        if body.get("mode") not in (0, 3):
            raise SimReject(ErrorKind.INVALID, "params error: mode")
        if hedge == (symbol in self.hedge_symbols):
            raise SimReject(ErrorKind.INVALID, "position mode is not modified",
                            code=NOT_MODIFIED_POSITION_MODE)
        (self.hedge_symbols.add if hedge else self.hedge_symbols.discard)(symbol)
        return self.ok(request, {})

    async def set_margin_mode(self, request: web.Request) -> web.Response:
        body = self.body_of(await self.verify(request))
        wanted = body.get("setMarginMode")
        if wanted not in ("ISOLATED_MARGIN", "REGULAR_MARGIN", "PORTFOLIO_MARGIN"):
            raise SimReject(ErrorKind.INVALID, "params error: setMarginMode")
        if wanted == self.margin_mode:
            raise SimReject(ErrorKind.INVALID, "margin mode is not modified",
                            code=NOT_MODIFIED_MARGIN_MODE)
        self.margin_mode = str(wanted)
        return self.ok(request, {"reasons": []})

    # ------------------------------------------------------------ market data

    async def tickers(self, request: web.Request) -> web.Response:
        self._linear(request.query.get("category"))
        symbol = self._symbol(request.query.get("symbol"))
        bids, asks = self.state.book(symbol, 1)
        price = self.state.markets[symbol].price
        return self.ok(request, {"category": "linear", "list": [{
            "symbol": symbol, "lastPrice": _s(price), "indexPrice": _s(price),
            "markPrice": _s(price), "prevPrice24h": _s(price), "price24hPcnt": "0",
            "highPrice24h": _s(price), "lowPrice24h": _s(price), "prevPrice1h": _s(price),
            "openInterest": "0", "openInterestValue": "0", "turnover24h": "0",
            "volume24h": "0", "fundingRate": "0.0001", "nextFundingTime": "0",
            "bid1Price": _s(bids[0][0]), "bid1Size": _s(bids[0][1]),
            "ask1Price": _s(asks[0][0]), "ask1Size": _s(asks[0][1])}]})

    async def orderbook(self, request: web.Request) -> web.Response:
        self._linear(request.query.get("category"))
        symbol = self._symbol(request.query.get("symbol"))
        limit = int(request.query.get("limit", "25"))
        if not 1 <= limit <= 1000:
            raise SimReject(ErrorKind.INVALID, "params error: limit")
        book = self.streams.book(symbol)  # the book the orderbook topics update
        bids, asks = book.top(limit)
        now = self.now_ms()
        return self.ok(request, {
            "s": symbol, "b": [[_s(p), _s(q)] for p, q in bids],
            "a": [[_s(p), _s(q)] for p, q in asks], "ts": now,
            "u": book.sequence, "seq": book.sequence * 10, "cts": now})
