"""The Binance simulator's account-state, batch and market-data endpoints.

A mixin of :class:`venuekit_binance.simulator.BinanceSimulator`, written from the endpoint
pages (paths, parameters, limits, payload shapes, codes), never from the plugin's
builders. Matching is :class:`~venuekit.testing.state.SimState`'s: marketable orders fill
at the market price, resting ones stay open; positions are one-way net positions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web
from venuekit.testing.simulator import ErrorKind, SimOrder, SimReject, Simulator
from venuekit.testing.state import SimFill
from venuekit.testing.stream_server import StreamServer

from .simdata import order_payload

DAY_MS = 24 * 3600 * 1000
BOOK_LIMITS = (5, 10, 20, 50, 100, 500, 1000)


def refused(code: int, message: str, kind: ErrorKind = ErrorKind.INVALID) -> SimReject:
    """A refusal Binance answers with its own code (HTTP 400) rather than the kind's."""
    return SimReject(kind, message, code=code, status=400)


def _fill_row(fill: SimFill) -> dict[str, Any]:
    """A userTrades row (one-way mode: ``positionSide`` BOTH)."""
    return {"buyer": fill.side == "buy", "commission": str(fill.fee),
            "commissionAsset": fill.fee_asset, "id": int(fill.trade_id),
            "maker": fill.is_maker, "orderId": int(fill.order_id), "price": str(fill.price),
            "qty": str(fill.quantity), "quoteQty": str(fill.price * fill.quantity),
            "realizedPnl": "0", "side": fill.side.upper(), "positionSide": "BOTH",
            "symbol": fill.symbol, "time": fill.time_ms}


class AccountEndpoints(Simulator):
    """The endpoints; the envelope, signature check and New Order's checks come from
    :class:`~venuekit_binance.simulator.BinanceSimulator`, declared here for typing."""

    margin_types: dict[str, str]
    dual_side: bool
    streams: StreamServer

    async def verify(self, request: web.Request) -> dict[str, str]:
        raise NotImplementedError

    def ok(self, payload: Any, *, order: bool = False) -> web.Response:
        raise NotImplementedError

    def place_params(self, params: dict[str, str]) -> SimOrder:
        raise NotImplementedError

    def _ref(self, params: dict[str, str]) -> dict[str, str | None]:
        raise NotImplementedError

    #: userTrades ``limit`` maximum (1000 on Binance); tests shrink it with the plugin's
    #: ``account.MAX_FILLS_PAGE`` so windows must be split
    max_fills_page = 1000
    max_batch_orders = 5
    max_batch_cancels = 10

    def account_routes(self) -> list[web.RouteDef]:
        return [
            web.get("/fapi/v1/openOrders", self.open_orders),
            web.delete("/fapi/v1/allOpenOrders", self.cancel_all),
            web.get("/fapi/v1/userTrades", self.user_trades),
            web.get("/fapi/v3/positionRisk", self.position_risk),
            web.get("/fapi/v1/symbolConfig", self.symbol_config),
            web.post("/fapi/v1/leverage", self.leverage),
            web.post("/fapi/v1/marginType", self.margin_type),
            web.post("/fapi/v1/positionSide/dual", self.position_mode),
            web.put("/fapi/v1/order", self.amend),
            web.post("/fapi/v1/batchOrders", self.batch_place),
            web.delete("/fapi/v1/batchOrders", self.batch_cancel),
            web.get("/fapi/v1/ticker/bookTicker", self.book_ticker),
            web.get("/fapi/v1/ticker/price", self.price_ticker),
            web.get("/fapi/v1/depth", self.depth),
        ]

    def _symbol(self, params: Mapping[str, str], *, required: bool = True) -> str | None:
        symbol = params.get("symbol")
        if not symbol:
            if required:
                raise refused(-1102, "Mandatory parameter 'symbol' was not sent, was "
                                     "empty/null, or malformed.")
            return None
        return self.state.market(symbol).native  # unknown: -1121 Invalid symbol

    # ------------------------------------------------------------ orders

    async def open_orders(self, request: web.Request) -> web.Response:
        params = await self.verify(request)
        symbol = self._symbol(params, required=False)
        return self.ok([order_payload(o, with_time=True) for o in self.state.open_orders(symbol)])

    async def cancel_all(self, request: web.Request) -> web.Response:
        params = await self.verify(request)
        symbol = self._symbol(params)
        for order in self.state.open_orders(symbol):
            self.state.cancel(order_id=order.order_id)
        # HTTP 200 with a "code" field: Binance's success shape for this endpoint
        return self.ok({"code": 200, "msg": "The operation of cancel all open order is done."})

    async def amend(self, request: web.Request) -> web.Response:
        """Modify Order: symbol, side, quantity and price are all mandatory; LIMIT only."""
        params = await self.verify(request)
        self._symbol(params)
        try:
            side, quantity, price = (params["side"], Decimal(params["quantity"]),
                                     Decimal(params["price"]))
        except (KeyError, InvalidOperation):
            raise refused(-1102, "Mandatory parameter 'side', 'quantity' or 'price' was "
                                 "not sent, was empty/null, or malformed.") from None
        order = self.state.find(**self._ref(params))
        if order is None or not order.is_open or order.symbol != params["symbol"]:
            raise refused(-2013, "Order does not exist.", ErrorKind.NOT_FOUND)
        if order.type != "limit":
            raise refused(-5025, "Only limit order is supported.")
        if side.lower() != order.side:
            raise refused(-1130, "Data sent for parameter 'side' is not valid.")
        amended = self.state.amend(order_id=order.order_id, quantity=quantity, price=price)
        return self.ok(order_payload(amended, with_time=False), order=True)

    def _item_error(self, reject: SimReject) -> dict[str, Any]:
        coded = self.coded(reject)
        return {"code": coded.code, "msg": reject.message}

    async def batch_place(self, request: web.Request) -> web.Response:
        params = await self.verify(request)
        try:
            batch = json.loads(params["batchOrders"])
        except (KeyError, ValueError):
            raise refused(-1102, "Mandatory parameter 'batchOrders' was not sent, was "
                                 "empty/null, or malformed.") from None
        if not isinstance(batch, list) or not 1 <= len(batch) <= self.max_batch_orders:
            raise refused(-1130, "Data sent for parameter 'batchOrders' is not valid "
                                 f"(1 to {self.max_batch_orders} orders).")
        items: list[dict[str, Any]] = []
        for entry in batch:
            try:
                order = self.place_params({str(k): str(v) for k, v in entry.items()})
            except SimReject as reject:
                items.append(self._item_error(reject))
            else:
                items.append(order_payload(order, with_time=False))
        return self.ok(items, order=True)

    async def batch_cancel(self, request: web.Request) -> web.Response:
        params = await self.verify(request)
        symbol = self._symbol(params)
        by_id = "orderIdList" in params
        try:
            refs = json.loads(params["orderIdList" if by_id else "origClientOrderIdList"])
        except (KeyError, ValueError):
            raise refused(-1102, "Mandatory parameter 'orderIdList' or "
                                 "'origClientOrderIdList' was not sent or malformed.") from None
        if not isinstance(refs, list) or not 1 <= len(refs) <= self.max_batch_cancels:
            raise refused(-1130, f"1 to {self.max_batch_cancels} orders per batch cancel.")
        items: list[dict[str, Any]] = []
        for ref in refs:
            found = self.state.find(order_id=str(ref)) if by_id \
                else self.state.find(client_order_id=str(ref))
            if found is None or not found.is_open or found.symbol != symbol:
                items.append({"code": -2011, "msg": "Unknown order sent."})
                continue
            items.append(order_payload(self.state.cancel(order_id=found.order_id),
                                       with_time=False))
        return self.ok(items)

    # ------------------------------------------------------------ fills and positions

    async def user_trades(self, request: web.Request) -> web.Response:
        """Ascending by id; windows of at most 7 days, ``fromId`` alone, limit <= 1000."""
        params = await self.verify(request)
        symbol = self._symbol(params)
        limit = int(params.get("limit", "500"))
        if not 1 <= limit <= self.max_fills_page:
            raise refused(-1130, "Data sent for parameter 'limit' is not valid.")
        start, end = params.get("startTime"), params.get("endTime")
        fills = sorted((f for f in self.state.fills if f.symbol == symbol),
                       key=lambda f: int(f.trade_id))
        if "fromId" in params:
            if start or end:
                raise refused(-1128, "Combination of optional parameters invalid.")
            fills = [f for f in fills if int(f.trade_id) >= int(params["fromId"])]
        else:
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
                raise refused(-1127, "More than 168 hours between startTime and endTime.")
            fills = [f for f in fills if low <= f.time_ms <= high]
        return self.ok([_fill_row(f) for f in fills[:limit]])

    def _position_symbols(self, symbol: str | None) -> list[str]:
        held = {p.symbol for p in self.state.positions.values() if p.quantity != 0}
        held |= {o.symbol for o in self.state.open_orders()}
        return sorted(s for s in held if symbol is None or s == symbol)

    async def position_risk(self, request: web.Request) -> web.Response:
        """v3: only symbols with a position or open orders; no leverage or margin type."""
        params = await self.verify(request)
        rows = []
        for native in self._position_symbols(self._symbol(params, required=False)):
            held = self.state.positions.get(native)
            amount = held.quantity if held else Decimal(0)
            entry = held.entry_price if held else Decimal(0)
            mark = self.state.markets[native].price
            rows.append({
                "symbol": native, "positionSide": "BOTH", "positionAmt": str(amount),
                "entryPrice": str(entry), "breakEvenPrice": str(entry), "markPrice": str(mark),
                "unRealizedProfit": str((mark - entry) * amount) if amount else "0",
                "liquidationPrice": "0", "isolatedMargin": "0", "notional": str(mark * amount),
                "marginAsset": self.state.markets[native].quote, "isolatedWallet": "0",
                "initialMargin": "0", "maintMargin": "0", "positionInitialMargin": "0",
                "openOrderInitialMargin": "0", "adl": 0, "bidNotional": "0",
                "askNotional": "0", "updateTime": self.now_ms()})
        return self.ok(rows)

    async def symbol_config(self, request: web.Request) -> web.Response:
        params = await self.verify(request)
        symbol = self._symbol(params, required=False)
        return self.ok([
            {"symbol": native, "marginType": self.margin_types.get(native, "CROSSED"),
             "isAutoAddMargin": False, "leverage": self.state.leverage.get(native, 20),
             "maxNotionalValue": "1000000"}
            for native in sorted(self.state.markets) if symbol in (None, native)])

    # ------------------------------------------------------------ settings

    async def leverage(self, request: web.Request) -> web.Response:
        """Answers the leverage in force, also when it already was that (no error)."""
        params = await self.verify(request)
        symbol = self._symbol(params)
        assert symbol is not None
        try:
            leverage = int(params.get("leverage", ""))
        except ValueError:
            raise refused(-1102, "Mandatory parameter 'leverage' was not sent.") from None
        if not 1 <= leverage <= self.state.markets[symbol].max_leverage:
            raise refused(-4028, f"Leverage {leverage} is not valid")
        self.state.set_leverage(symbol, leverage)
        return self.ok({"leverage": leverage, "maxNotionalValue": "1000000", "symbol": symbol})

    async def margin_type(self, request: web.Request) -> web.Response:
        params = await self.verify(request)
        symbol = self._symbol(params)
        assert symbol is not None
        wanted = params.get("marginType", "")
        if wanted not in ("ISOLATED", "CROSSED"):
            raise refused(-1130, "Data sent for parameter 'marginType' is not valid.")
        if self.margin_types.get(symbol, "CROSSED") == wanted:
            raise refused(-4046, "No need to change margin type.")
        self.margin_types[symbol] = wanted
        return self.ok({"code": 200, "msg": "success"})

    async def position_mode(self, request: web.Request) -> web.Response:
        params = await self.verify(request)
        wanted = params.get("dualSidePosition", "")
        if wanted not in ("true", "false"):
            raise refused(-1130, "Data sent for parameter 'dualSidePosition' is not valid.")
        if (wanted == "true") == self.dual_side:
            raise refused(-4059, "No need to change position side.")
        self.dual_side = wanted == "true"
        return self.ok({"code": 200, "msg": "success"})

    # ------------------------------------------------------------ market data

    async def book_ticker(self, request: web.Request) -> web.Response:
        symbol = self._symbol(request.query)
        assert symbol is not None
        (bids, asks) = self.state.book(symbol, 1)
        now = self.now_ms()
        return self.ok({"symbol": symbol, "bidPrice": str(bids[0][0]), "bidQty": str(bids[0][1]),
                        "askPrice": str(asks[0][0]), "askQty": str(asks[0][1]), "time": now,
                        "lastUpdateId": len(self.state.fills) + 1})

    async def price_ticker(self, request: web.Request) -> web.Response:
        symbol = self._symbol(request.query)
        assert symbol is not None
        return self.ok({"symbol": symbol, "price": str(self.state.markets[symbol].price),
                        "time": self.now_ms()})

    async def depth(self, request: web.Request) -> web.Response:
        symbol = self._symbol(request.query)
        assert symbol is not None
        limit = int(request.query.get("limit", "500"))
        if limit not in BOOK_LIMITS:
            raise refused(-1130, "Data sent for parameter 'limit' is not valid.")
        book = self.streams.book(symbol)  # the book the depth stream updates
        bids, asks = book.top(limit)
        now = self.now_ms()
        return self.ok({"lastUpdateId": book.sequence, "E": now, "T": now,
                        "bids": [[str(p), str(q)] for p, q in bids],
                        "asks": [[str(p), str(q)] for p, q in asks]})


__all__ = ["AccountEndpoints", "refused"]
