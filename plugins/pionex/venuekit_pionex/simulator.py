"""A loopback Pionex spot venue for end-to-end tests and demos.

Written from Pionex's documentation, apart from the plugin: the signature is recomputed
from the raw query string and body bytes as they arrive (:func:`expected_signature`), and
the payloads follow PX-OAS. Markets ``BTC_USDT`` (price 50000) and ``ETH_USDT`` (3000),
balances in USDT and BTC, the published limits (10 weight/s per IP and per account)
enforced at arrival, market buys sized by ``amount`` in quote currency.

Refusals use the codes of the official "New Order" page (PX-GBR, and its Chinese copy):
``TRADE_NOT_ENOUGH_MONEY`` for insufficient balance, ``TRADE_REPEAT_CLIENT_ORDER_ID`` for a
reused client order id, ``TRADE_AMOUNT_FILTER_DENIED`` for an order under the minimum.
A 429 has no documented body: plain text here.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any, ClassVar
from urllib.parse import unquote

from aiohttp import web
from venuekit.decimals import decimal_places, format_decimal
from venuekit.models import LimitScope, RateLimit
from venuekit.testing.simulator import (
    ErrorKind,
    SimOrder,
    SimReject,
    Simulator,
    json_response,
    sim_market,
)
from venuekit.testing.stream_server import StreamServer

from .stream_sim import PionexStreamVenue

__all__ = ["LIMITS", "PionexSimulator", "expected_signature"]

#: PX-OAS "Rate Limits": 10 weight per second per IP (all endpoints) and per account
#: (private endpoints). Over the limit: HTTP 429.
LIMITS = (RateLimit("ip", 10, 1.0, LimitScope.IP),
          RateLimit("account", 10, 1.0, LimitScope.ACCOUNT))
#: a spot account holds the quote and the base currency
BALANCES = {"USDT": Decimal(100_000), "BTC": Decimal(2)}
#: PX-OAS: "The timestamp is valid within a range of ±20 seconds."
WINDOW_MS = 20_000

# ErrorKind -> (HTTP status, Pionex code). PX-OAS declares 400 and 401 for error bodies.
CODES: dict[ErrorKind, tuple[int, str | int]] = {
    ErrorKind.AUTH: (401, "INVALID_APIKEY"),
    ErrorKind.SIGNATURE: (401, "INVALID_SIGNATURE"),
    ErrorKind.TIMESTAMP: (401, "INVALID_TIMESTAMP"),
    ErrorKind.PERMISSION: (401, "PERMISSION_DENIED"),
    ErrorKind.TOKEN_EXPIRED: (401, "APIKEY_EXPIRED"),
    ErrorKind.NOT_FOUND: (400, "TRADE_ORDER_NOT_FOUND"),
    ErrorKind.INVALID: (400, "TRADE_PARAMETER_ERROR"),
    ErrorKind.UNKNOWN_SYMBOL: (400, "TRADE_INVALID_SYMBOL"),
    ErrorKind.BELOW_MINIMUM: (400, "TRADE_AMOUNT_FILTER_DENIED"),
    # PX-GBR "New Order" error codes:
    # https://pionex-doc.gitbook.io/apidocs/restful/orders/new-order
    ErrorKind.INSUFFICIENT_FUNDS: (400, "TRADE_NOT_ENOUGH_MONEY"),
    ErrorKind.DUPLICATE: (400, "TRADE_REPEAT_CLIENT_ORDER_ID"),
}
PUBLIC_PATHS = ("/api/v1/common/", "/api/v1/market/")
#: PX-OAS weights other than 1 (``allOrders`` is 5 to read, 1 to cancel)
WEIGHTS = {("GET", "/api/v1/common/symbols"): 5, ("GET", "/api/v1/trade/openOrders"): 5,
           ("GET", "/api/v1/trade/allOrders"): 5, ("GET", "/api/v1/trade/fills"): 5}
#: PX-OAS ``MassOrderRequest.orders`` ``maxItems``
MAX_MASS_ORDERS = 20
#: PX-OAS depth ``limit``: default 20, 1 - 1000
DEFAULT_DEPTH, MAX_DEPTH = 20, 1000
UNAVAILABLE_PAGE = "<html><body>503 Service Temporarily Unavailable</body></html>"

def expected_signature(secret: str, method: str, path: str, raw_query: str,
                       body: bytes) -> str:
    """The signature Pionex expects, from the request as it arrived.

    Documented steps: query parameters (timestamp included) as ``key=value`` with decoded
    values, sorted by key in ASCII order, joined by ``&``; ``METHOD + path + "?" + that``;
    then the body bytes if there are any; HMAC-SHA256 with the secret, hex.
    """
    pairs = []
    for part in raw_query.split("&") if raw_query else ():
        key, _, value = part.partition("=")
        pairs.append((unquote(key), unquote(value)))
    pairs.sort(key=lambda pair: pair[0])
    text = method.upper() + path + "?" + "&".join(f"{k}={v}" for k, v in pairs)
    return hmac.new(secret.encode(), text.encode() + body, hashlib.sha256).hexdigest()


def _wire(value: Decimal | None) -> str:
    return "" if value is None else format_decimal(value)


class PionexSimulator(Simulator):
    exchange = "pionex"
    codes = CODES
    default_limits = LIMITS
    default_balances = BALANCES

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._amounts: dict[str, Decimal] = {}  # market-buy quote amounts by order id
        #: the venue's streams on the same port, at /wsPub and /ws (see stream_sim.py)
        self.streams = StreamServer(self.state, PionexStreamVenue(self),
                                    ping_interval_s=self.stream_ping_interval_s)

    # ------------------------------------------------------------ framework

    #: fills per ``/api/v1/trade/fills`` answer: Pionex returns the latest 100; small here so
    #: that clients must walk the time window (tests and benchmarks may change it)
    fills_page_size: ClassVar[int] = 3
    #: PX-OAS: the server sends ``{"op": "PING"}`` every 15 s (tests shorten it)
    stream_ping_interval_s: ClassVar[float] = 15.0

    default_markets = (
        sim_market("BTC_USDT", "BTC", "USDT", tick="0.01", step="0.000001", minimum="0.00001",
                   notional="10", price="50000"),
        sim_market("ETH_USDT", "ETH", "USDT", tick="0.01", step="0.0001", minimum="0.001",
                   notional="10", price="3000"),
    )

    def request_cost(self, request: web.Request) -> dict[str, int]:
        if request.path in PionexStreamVenue.paths:
            return {}  # a socket's opening handshake is no REST endpoint: no weight
        weight = WEIGHTS.get((request.method, request.path), 1)
        if request.path.startswith(PUBLIC_PATHS):
            return {"ip": weight}
        return {"ip": weight, "account": weight}

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/api/v1/common/symbols", self.symbols),
            web.get("/api/v1/market/depth", self.depth),
            web.get("/api/v1/account/balances", self.balances),
            web.post("/api/v1/trade/order", self.place),
            web.get("/api/v1/trade/order", self.query),
            web.delete("/api/v1/trade/order", self.cancel),
            web.get("/api/v1/trade/orderByClientOrderId", self.query_by_client_id),
            web.get("/api/v1/trade/openOrders", self.open_orders),
            web.delete("/api/v1/trade/allOrders", self.cancel_all),
            web.get("/api/v1/trade/fills", self.fills),
            web.post("/api/v1/trade/massOrder", self.mass_order),
            web.get("/api/v1/market/bookTickers", self.book_tickers),
            web.get("/api/v1/market/tickers", self.tickers),
            *self.streams.routes(),
        ]

    def reject_response(self, reject: SimReject) -> web.Response:
        # Pionex's gateway answers these itself, without the JSON envelope
        if reject.kind is ErrorKind.RATE_LIMIT:
            return web.Response(status=429, text="Too Many Requests")
        if reject.kind is ErrorKind.UNAVAILABLE:
            return web.Response(status=503, content_type="text/html", text=UNAVAILABLE_PAGE)
        return json_response({"result": False, "code": reject.code, "message": reject.message,
                              "timestamp": self.now_ms()}, status=reject.status or 400)

    # ------------------------------------------------------------ envelopes

    def ok(self, data: Any = None) -> web.Response:
        payload: dict[str, Any] = {"result": True}
        if data is not None:
            payload["data"] = data
        payload["timestamp"] = self.now_ms()
        return json_response(payload)

    # ------------------------------------------------------------ authentication

    async def verify(self, request: web.Request) -> bytes:
        """Key, timestamp window and signature, as PX-OAS "Authentication" describes."""
        key = request.headers.get("PIONEX-KEY")
        if not key:
            raise SimReject(ErrorKind.AUTH, "API key is missing", code="APIKEY_LOST")
        self.check_api_key(key)
        given = request.headers.get("PIONEX-SIGNATURE")
        if not given:
            raise SimReject(ErrorKind.SIGNATURE, "signature is missing", code="SIGNATURE_LOST")
        self.check_timestamp(request.query.get("timestamp"), window_ms=WINDOW_MS,
                             ahead_ms=WINDOW_MS)
        body = await request.read()
        expected = expected_signature(self.credentials.api_secret, request.method,
                                      request.rel_url.raw_path,
                                      request.rel_url.raw_query_string, body)
        if not hmac.compare_digest(expected, given):
            raise self.reject_signature("invalid signature")
        return body

    @staticmethod
    def _json(body: bytes) -> dict[str, Any]:
        try:
            value = json.loads(body or b"{}", parse_float=Decimal)
        except ValueError:
            raise SimReject(ErrorKind.INVALID, "body is not JSON") from None
        if not isinstance(value, dict):
            raise SimReject(ErrorKind.INVALID, "body is not a JSON object")
        return value

    # ------------------------------------------------------------ public

    async def symbols(self, request: web.Request) -> web.Response:
        wanted = request.query.get("symbols")
        if request.query.get("type", "SPOT") != "SPOT":
            return self.ok({"symbols": []})
        names = set(wanted.split(",")) if wanted else None
        rows = [{
            "symbol": m.native, "type": "SPOT", "baseCurrency": m.base,
            "quoteCurrency": m.quote, "basePrecision": decimal_places(m.step_size),
            "quotePrecision": decimal_places(m.tick_size), "amountPrecision": 2,
            "minAmount": _wire(m.min_notional), "minTradeSize": _wire(m.min_quantity),
            "maxTradeSize": "1000", "minTradeDumping": _wire(m.min_quantity),
            "maxTradeDumping": "1000", "buyCeiling": "1.1", "sellFloor": "0.9",
            "enable": True,
        } for m in self.state.markets.values() if names is None or m.native in names]
        return self.ok({"symbols": rows})

    def _market_symbol(self, request: web.Request) -> str:
        symbol = request.query.get("symbol", "")
        if symbol not in self.state.markets:
            raise SimReject(ErrorKind.UNKNOWN_SYMBOL, f"invalid symbol {symbol!r}",
                            code="MARKET_INVALID_SYMBOL")
        return symbol

    async def depth(self, request: web.Request) -> web.Response:
        symbol = self._market_symbol(request)
        try:
            limit = int(request.query.get("limit", DEFAULT_DEPTH))
        except ValueError:
            limit = 0
        if not 1 <= limit <= MAX_DEPTH:
            raise SimReject(ErrorKind.INVALID, f"limit must be 1 - {MAX_DEPTH}",
                            code="MARKET_PARAMETER_ERROR")
        bids, asks = self.state.book(symbol, limit)
        return self.ok({"bids": [[_wire(p), _wire(q)] for p, q in bids],
                        "asks": [[_wire(p), _wire(q)] for p, q in asks],
                        "updateTime": self.now_ms()})

    async def book_tickers(self, request: web.Request) -> web.Response:
        """PX-OAS ``BookTicker``: the timestamp is a string there."""
        symbol = self._market_symbol(request)
        (bid, bid_size), = self.state.book(symbol, 1)[0]
        (ask, ask_size), = self.state.book(symbol, 1)[1]
        return self.ok({"tickers": [{"symbol": symbol, "bidPrice": _wire(bid),
                                     "bidSize": _wire(bid_size), "askPrice": _wire(ask),
                                     "askSize": _wire(ask_size),
                                     "timestamp": str(self.now_ms())}]})

    async def tickers(self, request: web.Request) -> web.Response:
        symbol = self._market_symbol(request)
        price = _wire(self.state.markets[symbol].price)
        volume = sum((f.quantity for f in self.state.fills if f.symbol == symbol), Decimal(0))
        return self.ok({"tickers": [{"symbol": symbol, "time": self.now_ms(), "open": price,
                                     "close": price, "high": price, "low": price,
                                     "volume": _wire(volume), "amount": "0",
                                     "count": str(len(self.state.fills))}]})

    # ------------------------------------------------------------ private

    async def balances(self, request: web.Request) -> web.Response:
        await self.verify(request)
        rows = []
        for coin in sorted(set(self.state.free) | set(self.state.used)):
            free, frozen = self.state.balance(coin)
            rows.append({"coin": coin, "free": f"{free:.8f}", "frozen": f"{frozen:.8f}"})
        return self.ok({"balances": rows})

    async def place(self, request: web.Request) -> web.Response:
        body = self._json(await self.verify(request))
        symbol, side, kind = (str(body.get(k, "")) for k in ("symbol", "side", "type"))
        if side not in ("BUY", "SELL") or kind not in ("LIMIT", "MARKET"):
            raise SimReject(ErrorKind.INVALID, "side must be BUY/SELL, type LIMIT/MARKET")
        market = self.state.market(symbol)
        ioc = body.get("IOC", False)
        if not isinstance(ioc, bool):
            raise SimReject(ErrorKind.INVALID, "IOC must be a boolean")
        amount: Decimal | None = None
        try:
            if kind == "MARKET" and side == "BUY":
                if "size" in body or "amount" not in body:
                    raise SimReject(ErrorKind.INVALID, "a MARKET BUY takes amount, not size")
                amount = Decimal(str(body["amount"]))
                if market.min_notional and amount < market.min_notional:
                    raise SimReject(ErrorKind.BELOW_MINIMUM,
                                    f"amount under the minimum {market.min_notional}")
                steps = (amount / market.price / market.step_size).to_integral_value(ROUND_DOWN)
                quantity, price = steps * market.step_size, None
            else:
                if "amount" in body or "size" not in body:
                    raise SimReject(ErrorKind.INVALID, "LIMIT and MARKET SELL take size")
                quantity = Decimal(str(body["size"]))
                price = Decimal(str(body["price"])) if kind == "LIMIT" else None
                if kind == "MARKET" and "price" in body:
                    raise SimReject(ErrorKind.INVALID, "a MARKET order takes no price")
        except (KeyError, InvalidOperation):
            raise SimReject(ErrorKind.INVALID, "size, price and amount are numbers") from None
        order = self.state.place(
            symbol=symbol, side=side, type=kind, quantity=quantity, price=price,
            client_order_id=body.get("clientOrderId"),
            time_in_force="ioc" if ioc else "gtc")
        if amount is not None:
            self._amounts[order.order_id] = amount
        return self.ok({"orderId": int(order.order_id), "clientOrderId": order.client_order_id})

    def _order(self, order: SimOrder) -> dict[str, Any]:
        amount = self._amounts.get(order.order_id)
        filled_amount = order.filled * (order.average_price or Decimal(0))
        return {
            "orderId": int(order.order_id), "symbol": order.symbol, "type": order.type.upper(),
            "side": order.side.upper(), "price": _wire(order.price),
            "size": "" if amount is not None else _wire(order.quantity),
            "amount": _wire(amount), "filledSize": _wire(order.filled),
            "filledAmount": _wire(filled_amount), "fee": "0", "feeCoin": "",
            "status": "OPEN" if order.is_open else "CLOSED",
            "IOC": order.time_in_force == "ioc", "clientOrderId": order.client_order_id or "",
            "source": "API", "createTime": order.created_ms, "updateTime": order.updated_ms,
        }

    def _check_symbol(self, request: web.Request, order: SimOrder) -> None:
        symbol = request.query.get("symbol")
        if symbol is not None and symbol != order.symbol:
            raise SimReject(ErrorKind.NOT_FOUND, "order does not exist")

    async def query(self, request: web.Request) -> web.Response:
        await self.verify(request)
        order_id = request.query.get("orderId", "")
        if not order_id.isdigit():
            raise SimReject(ErrorKind.INVALID, "orderId is required")
        order = self.state.get(order_id=order_id)
        self._check_symbol(request, order)
        return self.ok(self._order(order))

    async def query_by_client_id(self, request: web.Request) -> web.Response:
        await self.verify(request)
        client_order_id = request.query.get("clientOrderId")
        if not client_order_id:
            raise SimReject(ErrorKind.INVALID, "clientOrderId is required")
        order = self.state.get(client_order_id=client_order_id)
        self._check_symbol(request, order)
        return self.ok(self._order(order))

    async def cancel(self, request: web.Request) -> web.Response:
        body = self._json(await self.verify(request))
        order_id, symbol = body.get("orderId"), body.get("symbol")
        if not isinstance(order_id, int) or isinstance(order_id, bool) or not symbol:
            raise SimReject(ErrorKind.INVALID, "symbol and a numeric orderId are required")
        order = self.state.get(order_id=str(order_id))
        if order.symbol != symbol:
            raise SimReject(ErrorKind.NOT_FOUND, "order does not exist")
        self.state.cancel(order_id=str(order_id))
        return self.ok()

    # ------------------------------------------------------------ account state

    def _trade_symbol(self, value: object) -> str:
        if not isinstance(value, str) or not value:
            raise SimReject(ErrorKind.INVALID, "symbol is required")
        if value not in self.state.markets:
            raise SimReject(ErrorKind.UNKNOWN_SYMBOL, f"invalid symbol {value!r}")
        return value

    async def open_orders(self, request: web.Request) -> web.Response:
        """Newest first (PX-GBZ: sorted by ``createTime`` descending)."""
        await self.verify(request)
        symbol = self._trade_symbol(request.query.get("symbol"))
        orders = sorted(self.state.open_orders(symbol),
                        key=lambda o: (o.created_ms, int(o.order_id)), reverse=True)
        return self.ok({"orders": [self._order(o) for o in orders]})

    async def cancel_all(self, request: web.Request) -> web.Response:
        """Answers ``{"result": true}`` and nothing else, as Pionex does."""
        body = self._json(await self.verify(request))
        symbol = self._trade_symbol(body.get("symbol"))
        for order in self.state.open_orders(symbol):
            self.state.cancel(order_id=order.order_id)
        return self.ok()

    async def fills(self, request: web.Request) -> web.Response:
        """The newest ``fills_page_size`` fills with ``startTime <= time <= endTime``,
        newest first; no cursor, no ``limit`` (PX-OAS)."""
        await self.verify(request)
        symbol = self._trade_symbol(request.query.get("symbol"))
        try:
            start = int(request.query.get("startTime", 0))
            end = int(request.query.get("endTime", 0)) or None
        except ValueError:
            raise SimReject(ErrorKind.INVALID, "startTime and endTime are numbers") from None
        rows = [f for f in self.state.fills if f.symbol == symbol and f.time_ms >= start
                and (end is None or f.time_ms <= end)]
        rows.sort(key=lambda f: (f.time_ms, int(f.trade_id)), reverse=True)
        return self.ok({"fills": [{
            "id": int(f.trade_id), "orderId": int(f.order_id), "symbol": f.symbol,
            "side": f.side.upper(), "role": "MAKER" if f.is_maker else "TAKER",
            "price": _wire(f.price), "size": _wire(f.quantity), "fee": _wire(f.fee),
            "feeCoin": f.fee_asset, "timestamp": f.time_ms,
        } for f in rows[:self.fills_page_size]]})

    async def mass_order(self, request: web.Request) -> web.Response:
        """Up to 20 LIMIT orders of one symbol. A malformed item refuses the whole batch;
        an item the account cannot place is left out of ``orderIds`` (PX-OAS does not say
        how Pionex reports it: this is the simulator's choice, see README.md)."""
        body = self._json(await self.verify(request))
        symbol = self._trade_symbol(body.get("symbol"))
        items = body.get("orders")
        if not isinstance(items, list) or not 1 <= len(items) <= MAX_MASS_ORDERS:
            raise SimReject(ErrorKind.INVALID, f"orders must hold 1 to {MAX_MASS_ORDERS}")
        parsed: list[tuple[str, Decimal, Decimal, str | None]] = []
        for item in items:
            if not isinstance(item, dict) or item.get("type") != "LIMIT" \
                    or item.get("side") not in ("BUY", "SELL"):
                raise SimReject(ErrorKind.INVALID, "each order is a LIMIT BUY or SELL")
            try:
                size, price = Decimal(str(item["size"])), Decimal(str(item["price"]))
            except (KeyError, InvalidOperation):
                raise SimReject(ErrorKind.INVALID, "size and price are numbers") from None
            parsed.append((str(item["side"]), size, price, item.get("clientOrderId")))
        placed = []
        for side, size, price, client_order_id in parsed:
            try:
                order = self.state.place(symbol=symbol, side=side, type="LIMIT", quantity=size,
                                         price=price, client_order_id=client_order_id)
            except SimReject:
                continue
            placed.append({"orderId": int(order.order_id),
                           "clientOrderId": order.client_order_id or ""})
        return self.ok({"orderIds": placed})
