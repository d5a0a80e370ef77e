"""Loopback simulator of the example venue.

Signature verification is written from the venue's description, not by calling the
plugin's signer: it reads the raw query string and body bytes off the wire.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from decimal import Decimal
from typing import Any

from aiohttp import web

from venuekit.models import LimitScope, RateLimit
from venuekit.testing.simulator import ErrorKind, SimReject, Simulator, json_response
from venuekit.testing.stream_server import StreamServer

from .simdata import CODES, _fill, _order
from .stream_sim import ExampleStreamVenue

LEVERAGE_NOT_MODIFIED = 3007
RECV_WINDOW_MS = 3000
USED_WEIGHT_RULE = "ip"
#: The venue's page and batch sizes (kept small so clients must page and split).
MAX_FILLS_PAGE = 3
MAX_BATCH_ORDERS = 3
MAX_BATCH_CANCELS = 2
BOOK_DEPTHS = (5, 10, 20, 50, 100)


class ExampleSimulator(Simulator):
    exchange = "example"
    codes = CODES
    #: the venue reports request weight per IP per minute; counted, not enforced
    counted_limits = (RateLimit(USED_WEIGHT_RULE, 1200, 60.0, LimitScope.IP),)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        #: the venue's streams on the same port (see stream_sim.py)
        self.streams = StreamServer(self.state, ExampleStreamVenue(self))

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/v1/time", self.time),
            web.get("/v1/markets", self.markets),
            web.get("/v1/balance", self.balance),
            web.get("/v1/key", self.key),
            web.post("/v1/order", self.place),
            web.get("/v1/order", self.query),
            web.delete("/v1/order", self.cancel),
            *self.account_routes(),
            *self.stream_routes(),
        ]

    def reject_response(self, reject: SimReject) -> web.Response:
        return json_response({"ok": False, "code": reject.code, "message": reject.message},
                             status=reject.status or 400)

    def ok(self, data: Any) -> web.Response:
        # what the venue counted for this IP in the last minute, as real venues report it
        return json_response({"ok": True, "data": data},
                             headers={"X-EX-USED-WEIGHT-1M": str(self.used(USED_WEIGHT_RULE))})

    async def verify(self, request: web.Request) -> bytes:
        """Check key, timestamp and signature exactly as the venue describes them."""
        self.check_api_key(request.headers.get("X-EX-KEY"))
        timestamp = request.headers.get("X-EX-TS", "")
        self.check_timestamp(timestamp, window_ms=RECV_WINDOW_MS)
        body = await request.read()
        query = request.rel_url.raw_query_string
        target = request.rel_url.raw_path + (f"?{query}" if query else "")
        payload = timestamp.encode() + request.method.encode() + target.encode() + body
        expected = hmac.new(self.credentials.api_secret.encode(), payload,
                            hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, request.headers.get("X-EX-SIGN", "")):
            raise self.reject_signature()
        return body

    async def time(self, request: web.Request) -> web.Response:
        return self.ok({"serverTime": self.now_ms()})

    async def markets(self, request: web.Request) -> web.Response:
        rows = [{"symbol": m.native, "base": m.base, "quote": m.quote, "status": "TRADING",
                 "tickSize": str(m.tick_size), "stepSize": str(m.step_size),
                 "minQty": str(m.min_quantity), "minNotional": str(m.min_notional),
                 "maxLeverage": m.max_leverage}
                for m in self.state.markets.values()]
        return self.ok(rows)

    async def balance(self, request: web.Request) -> web.Response:
        await self.verify(request)
        rows = []
        for asset in sorted(self.state.free):
            free, used = self.state.balance(asset)
            rows.append({"asset": asset, "free": str(free), "locked": str(used)})
        return self.ok(rows)

    async def key(self, request: web.Request) -> web.Response:
        await self.verify(request)
        return self.ok({"trade": True, "withdraw": False, "ipWhitelist": True})

    async def place(self, request: web.Request) -> web.Response:
        body = json.loads(await self.verify(request) or b"{}")
        try:
            quantity = Decimal(body["quantity"])
            price = Decimal(body["price"]) if "price" in body else None
        except (KeyError, ArithmeticError):
            raise SimReject(ErrorKind.INVALID, "quantity and price must be numbers") from None
        order = self.state.place(
            symbol=body.get("symbol", ""), side=body.get("side", ""), type=body.get("type", ""),
            quantity=quantity, price=price, client_order_id=body.get("clientOrderId"),
            time_in_force=body.get("timeInForce", "GTC"),
            reduce_only=bool(body.get("reduceOnly", False)), dedupe_open_only=True)
        return self.ok(_order(order))

    def _ref(self, request: web.Request) -> dict[str, str | None]:
        return {"order_id": request.query.get("orderId"),
                "client_order_id": request.query.get("clientOrderId")}

    async def query(self, request: web.Request) -> web.Response:
        await self.verify(request)
        return self.ok(_order(self.state.get(**self._ref(request))))

    async def cancel(self, request: web.Request) -> web.Response:
        await self.verify(request)
        return self.ok(_order(self.state.cancel(**self._ref(request))))

    # ------------------------------------------------------------ account state and market data

    def account_routes(self) -> list[web.RouteDef]:
        return [
            web.get("/v1/openOrders", self.open_orders),
            web.delete("/v1/openOrders", self.cancel_all),
            web.get("/v1/myTrades", self.my_trades),
            web.get("/v1/positions", self.positions),
            web.get("/v1/leverage", self.get_leverage),
            web.post("/v1/leverage", self.post_leverage),
            web.put("/v1/order", self.amend),
            web.post("/v1/batchOrders", self.batch_place),
            web.delete("/v1/batchOrders", self.batch_cancel),
            web.get("/v1/ticker", self.ticker),
            web.get("/v1/depth", self.depth),
        ]

    def _symbol(self, request: web.Request, *, required: bool = True) -> str | None:
        symbol = request.query.get("symbol")
        if symbol is None:
            if required:
                raise SimReject(ErrorKind.INVALID, "symbol is required")
            return None
        self.state.market(symbol)  # unknown symbol: the venue's own error
        return symbol

    async def open_orders(self, request: web.Request) -> web.Response:
        await self.verify(request)
        symbol = self._symbol(request, required=False)
        return self.ok([_order(o) for o in self.state.open_orders(symbol)])

    async def cancel_all(self, request: web.Request) -> web.Response:
        await self.verify(request)
        symbol = self._symbol(request)
        orders = self.state.open_orders(symbol)
        for order in orders:
            self.state.cancel(order_id=order.order_id)
        return self.ok({"cancelled": len(orders)})

    async def my_trades(self, request: web.Request) -> web.Response:
        """Ascending from ``fromId`` / ``startTime``; or the newest before ``beforeId``."""
        await self.verify(request)
        symbol = self._symbol(request)
        limit = min(int(request.query.get("limit", MAX_FILLS_PAGE)), MAX_FILLS_PAGE)
        fills = sorted((f for f in self.state.fills if f.symbol == symbol),
                       key=lambda f: int(f.trade_id))
        if "startTime" in request.query:
            start = int(request.query["startTime"])
            fills = [f for f in fills if f.time_ms >= start]
        if "fromId" in request.query:
            from_id = int(request.query["fromId"])
            fills = [f for f in fills if int(f.trade_id) >= from_id]
            page = fills[:limit]
        else:
            if "beforeId" in request.query:
                before = int(request.query["beforeId"])
                fills = [f for f in fills if int(f.trade_id) < before]
            page = fills[:limit] if "startTime" in request.query else fills[-limit:]
        return self.ok([_fill(f) for f in page])

    async def positions(self, request: web.Request) -> web.Response:
        await self.verify(request)
        symbol = self._symbol(request, required=False)
        rows = []
        for position in self.state.positions.values():
            if symbol is not None and position.symbol != symbol:
                continue
            mark = self.state.markets[position.symbol].price
            rows.append({"symbol": position.symbol, "positionAmt": str(position.quantity),
                         "entryPrice": str(position.entry_price), "markPrice": str(mark),
                         "unrealizedPnl": str((mark - position.entry_price) * position.quantity),
                         "liquidationPrice": None})
        return self.ok(rows)

    async def get_leverage(self, request: web.Request) -> web.Response:
        await self.verify(request)
        symbol = self._symbol(request)
        assert symbol is not None
        return self.ok({"symbol": symbol, "leverage": self.state.leverage.get(symbol, 1)})

    async def post_leverage(self, request: web.Request) -> web.Response:
        body = json.loads(await self.verify(request) or b"{}")
        leverage = int(body["leverage"])
        if not self.state.set_leverage(str(body.get("symbol", "")), leverage):
            return json_response({"ok": False, "code": LEVERAGE_NOT_MODIFIED,
                                  "message": "leverage not modified"}, status=400)
        return self.ok({"symbol": body["symbol"], "leverage": leverage})

    async def amend(self, request: web.Request) -> web.Response:
        """Side, quantity and price are all required, as on Binance."""
        body = json.loads(await self.verify(request) or b"{}")
        if not all(key in body for key in ("symbol", "side", "quantity", "price")):
            raise SimReject(ErrorKind.INVALID, "symbol, side, quantity and price are required")
        order = self.state.get(order_id=body.get("orderId"),
                               client_order_id=body.get("clientOrderId"))
        if order.side != str(body["side"]).lower():
            raise SimReject(ErrorKind.INVALID, "side does not match the order")
        amended = self.state.amend(order_id=order.order_id, quantity=Decimal(body["quantity"]),
                                   price=Decimal(body["price"]))
        return self.ok(_order(amended))

    async def batch_place(self, request: web.Request) -> web.Response:
        body = json.loads(await self.verify(request) or b"{}")
        orders = body.get("orders") or []
        if not 1 <= len(orders) <= MAX_BATCH_ORDERS:
            raise SimReject(ErrorKind.INVALID, f"1 to {MAX_BATCH_ORDERS} orders per batch")
        items: list[dict[str, object]] = []
        for item in orders:
            try:
                order = self.state.place(
                    symbol=item.get("symbol", ""), side=item.get("side", ""),
                    type=item.get("type", ""), quantity=Decimal(item["quantity"]),
                    price=Decimal(item["price"]) if "price" in item else None,
                    client_order_id=item.get("clientOrderId"),
                    time_in_force=item.get("timeInForce", "GTC"),
                    reduce_only=bool(item.get("reduceOnly", False)), dedupe_open_only=True)
            except SimReject as reject:
                _, code = CODES[reject.kind]
                items.append({"ok": False, "code": code, "message": reject.message})
            else:
                items.append({"ok": True, "data": _order(order)})
        return self.ok(items)

    async def batch_cancel(self, request: web.Request) -> web.Response:
        await self.verify(request)
        self._symbol(request)
        by_id = request.query.get("orderIds")
        ids = (by_id or request.query.get("clientOrderIds", "")).split(",")
        if not 1 <= len(ids) <= MAX_BATCH_CANCELS:
            raise SimReject(ErrorKind.INVALID, f"1 to {MAX_BATCH_CANCELS} orders per batch")
        items: list[dict[str, object]] = []
        for one in ids:
            ref = {"order_id": one} if by_id else {"client_order_id": one}
            try:
                items.append({"ok": True, "data": _order(self.state.cancel(**ref))})
            except SimReject as reject:
                _, code = CODES[reject.kind]
                items.append({"ok": False, "code": code, "message": reject.message})
        return self.ok(items)

    async def ticker(self, request: web.Request) -> web.Response:
        symbol = self._symbol(request)
        assert symbol is not None
        (bid, _), (ask, _) = (level[0] for level in self.state.book(symbol, 1))
        return self.ok({"symbol": symbol, "bid": str(bid), "ask": str(ask),
                        "last": str(self.state.markets[symbol].price), "time": self.now_ms()})

    async def depth(self, request: web.Request) -> web.Response:
        symbol = self._symbol(request)
        assert symbol is not None
        limit = int(request.query.get("limit", 20))
        if limit not in BOOK_DEPTHS:
            raise SimReject(ErrorKind.INVALID, f"limit must be one of {BOOK_DEPTHS}")
        book = self.streams.book(symbol)  # the book the streams publish, same sequence
        bids, asks = book.top(limit)
        return self.ok({"lastUpdateId": book.sequence, "time": self.now_ms(),
                        "bids": [[str(p), str(q)] for p, q in bids],
                        "asks": [[str(p), str(q)] for p, q in asks]})

    # ------------------------------------------------------------ streams (listenKey + sockets)

    def stream_routes(self) -> list[web.RouteDef]:
        return [web.post("/v1/listenKey", self.listen_key_create),
                web.put("/v1/listenKey", self.listen_key_keepalive),
                web.delete("/v1/listenKey", self.listen_key_close),
                *self.streams.routes()]

    async def listen_key_create(self, request: web.Request) -> web.Response:
        await self.verify(request)
        return self.ok({"listenKey": self.streams.new_session()})

    async def listen_key_keepalive(self, request: web.Request) -> web.Response:
        await self.verify(request)
        if request.query.get("listenKey") not in self.streams.sessions:
            raise SimReject(ErrorKind.NOT_FOUND, "listenKey does not exist")
        return self.ok({})

    async def listen_key_close(self, request: web.Request) -> web.Response:
        await self.verify(request)
        self.streams.sessions.discard(request.query.get("listenKey", ""))
        return self.ok({})
