"""Loopback simulator of the Binance USDⓈ-M REST endpoints this plugin uses.

Written from Binance's General Info page, not from :mod:`venuekit_binance.signing`: it reads
the raw query string and body bytes off the wire, takes ``signature`` off the end of the
part that carries it, and checks ``query + body`` (no separator) with HMAC-SHA256 (hex,
case-insensitive) or Ed25519 (base64, percent-encoded). Answers use Binance's bare success
payloads, its ``{"code", "msg"}`` error envelope and HTTP statuses, and its usage headers.
Client order ids are refused as duplicates only while the first order is open, as on Binance.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from attrs import evolve
from venuekit.models import Credentials, LimitScope, RateLimit
from venuekit.testing.simulator import (
    ErrorKind,
    SimOrder,
    SimReject,
    json_response,
    sim_market,
)
from venuekit.testing.stream_server import StreamServer

from .simaccount import AccountEndpoints, refused
from .simdata import (
    CODES,
    MAX_RECV_WINDOW_MS,
    MESSAGES,
    TIF_IN,
    WEIGHTS,
    order_payload,
    signature_ok,
    strip_signature,
    symbol_payload,
)
from .stream_sim import BinanceStreamVenue

__all__ = ["BinanceSimulator"]


#: Binance's limits (General Info, "Limits"), counted for its usage headers
IP_WEIGHT = RateLimit("ip", 2400, 60.0, LimitScope.IP)
ORDERS_10S = RateLimit("orders_10s", 300, 10.0, LimitScope.ACCOUNT)
ORDERS_1M = RateLimit("orders_1m", 1200, 60.0, LimitScope.ACCOUNT)


_refused = refused
#: Order-count cost per (method, path): (10-second count, minute count), from the pages
LISTEN_KEY_PATH = "/fapi/v1/listenKey"
ORDER_COUNTS = {("POST", "/fapi/v1/order"): (1, 1), ("PUT", "/fapi/v1/order"): (1, 1),
                ("POST", "/fapi/v1/batchOrders"): (5, 1)}


class BinanceSimulator(AccountEndpoints):
    exchange = "binance"
    codes = CODES
    counted_limits = (IP_WEIGHT, ORDERS_10S, ORDERS_1M)
    #: e.g. ``["UFR"]``: apiTradingStatus reports these indicators as locked
    locked_indicators: Sequence[str] = ()

    # ------------------------------------------------------------ venue description

    # tick / step / minimums as Binance's exchangeInfo lists these perpetuals
    default_markets = (
        evolve(sim_market("BTCUSDT", "BTC", "USDT", tick="0.10", step="0.001",
                          notional="100", price="50000"), max_leverage=125),
        evolve(sim_market("ETHUSDT", "ETH", "USDT", tick="0.01", step="0.001",
                          notional="20", price="3000"), max_leverage=100),
    )

    def __init__(self, *, credentials: Credentials | None = None, **kwargs: Any) -> None:
        super().__init__(credentials=credentials, **kwargs)
        #: per-symbol margin type (CROSSED by default) and the account's position mode
        self.margin_types: dict[str, str] = {}
        self.dual_side = False
        #: the streams on the REST port, at the routed paths (see stream_sim.py)
        self.streams = StreamServer(self.state, BinanceStreamVenue(self))
        #: the account's one listenKey (POST returns it again while it lives)
        self.listen_key: str | None = None
        self.listen_key_calls: list[tuple[str, str]] = []  #: (method, query string)

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/fapi/v1/time", self.time),
            web.get("/fapi/v1/exchangeInfo", self.exchange_info),
            web.get("/fapi/v2/balance", self.balance),
            web.get("/fapi/v3/balance", self.balance),
            web.get("/fapi/v1/accountConfig", self.account_config),
            web.get("/fapi/v1/apiTradingStatus", self.trading_status),
            web.post("/fapi/v1/order", self.place),
            web.get("/fapi/v1/order", self.query),
            web.delete("/fapi/v1/order", self.cancel),
            *self.account_routes(),
            web.post(LISTEN_KEY_PATH, self.listen_key_call),
            web.put(LISTEN_KEY_PATH, self.listen_key_call),
            web.delete(LISTEN_KEY_PATH, self.listen_key_call),
            *self.streams.routes(),
        ]

    def reject_response(self, reject: SimReject) -> web.Response:
        text = MESSAGES.get(reject.code or 0)
        message = (f"{text} ({reject.message})" if reject.message else text) if text \
            else reject.message
        return json_response({"code": reject.code, "msg": message}, status=reject.status or 400,
                             headers=self._weight_headers())

    def request_cost(self, request: web.Request) -> dict[str, int]:
        """Costs on rules named like the plugin's: ``ip``, ``orders_10s``, ``orders_1m``."""
        weight = WEIGHTS.get((request.method, request.path), 1)
        if request.method == "GET" and request.path in ("/fapi/v1/openOrders",
                                                        "/fapi/v1/ticker/bookTicker"):
            weight = weight if "symbol" in request.query else {"/fapi/v1/openOrders": 40}.get(
                request.path, 5)
        if request.path == "/fapi/v1/depth":
            weight = _depth_weight(request.query.get("limit", "500"))
        ten_s, minute = ORDER_COUNTS.get((request.method, request.path), (0, 0))
        return {"ip": weight, "orders_10s": ten_s, "orders_1m": minute}

    # ------------------------------------------------------------ usage headers

    def _weight_headers(self) -> dict[str, str]:
        used = self.used(IP_WEIGHT.name)
        return {} if used is None else {"X-MBX-USED-WEIGHT-1M": str(used)}

    def ok(self, payload: Any, *, order: bool = False) -> web.Response:
        headers = self._weight_headers()
        if order:
            for header, rule in (("X-MBX-ORDER-COUNT-1M", ORDERS_1M),
                                 ("X-MBX-ORDER-COUNT-10S", ORDERS_10S)):
                count = self.used(rule.name)
                if count is not None:
                    headers[header] = str(count)
        return json_response(payload, headers=headers)

    # ------------------------------------------------------------ authentication

    async def verify(self, request: web.Request) -> dict[str, str]:
        """Check key, timestamp window and signature; return the merged parameters."""
        raw_query = request.rel_url.raw_query_string
        raw_body = (await request.read()).decode("utf-8", "replace")
        if request.method == "GET" and raw_body:
            raise SimReject(ErrorKind.INVALID, "GET parameters go in the query string")
        key = request.headers.get("X-MBX-APIKEY")
        if not key:
            raise SimReject(ErrorKind.AUTH, "X-MBX-APIKEY header missing")
        self.check_api_key(key)
        if raw_body:
            split = strip_signature(raw_body)
            signed = None if split is None else raw_query + split[0]
        else:
            split = strip_signature(raw_query)
            signed = None if split is None else split[0]
        if split is None or signed is None:
            raise self.reject_signature("signature missing or not the last parameter")
        params = dict(parse_qsl(raw_body, keep_blank_values=True))
        params.update(parse_qsl(raw_query, keep_blank_values=True))  # the query wins
        try:
            window = int(params.get("recvWindow", "5000"))
        except ValueError:
            raise SimReject(ErrorKind.INVALID, "recvWindow is not a number") from None
        if not 0 < window <= MAX_RECV_WINDOW_MS:
            raise SimReject(ErrorKind.INVALID, f"recvWindow must be 1..{MAX_RECV_WINDOW_MS}")
        self.check_timestamp(params.get("timestamp"), window_ms=window)
        if not signature_ok(self.credentials, signed.encode("utf-8"), split[1]):
            raise self.reject_signature()
        params.pop("signature", None)
        return params

    # ------------------------------------------------------------ public

    async def time(self, request: web.Request) -> web.Response:
        return self.ok({"serverTime": self.now_ms()})

    async def exchange_info(self, request: web.Request) -> web.Response:
        symbols = [symbol_payload(m) for m in self.state.markets.values()]
        return self.ok({
            "timezone": "UTC", "serverTime": self.now_ms(), "exchangeFilters": [],
            "rateLimits": [
                {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
                 "limit": 2400},
                {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1,
                 "limit": 1200},
                {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10,
                 "limit": 300},
            ],
            "assets": [{"asset": "USDT", "marginAvailable": True, "autoAssetExchange": "0"}],
            "symbols": symbols,
        })

    # ------------------------------------------------------------ account

    async def balance(self, request: web.Request) -> web.Response:
        await self.verify(request)
        rows = []
        for asset in sorted(self.state.free):
            free, used = self.state.balance(asset)
            total = free + used
            free -= self.position_margin(asset)  # held by open positions, at their leverage
            rows.append({"accountAlias": "SgsR", "asset": asset, "balance": f"{total:.8f}",
                         "crossWalletBalance": f"{total:.8f}", "crossUnPnl": "0.00000000",
                         "availableBalance": f"{free:.8f}", "maxWithdrawAmount": f"{free:.8f}",
                         "marginAvailable": True, "updateTime": self.now_ms()})
        return self.ok(rows)

    def position_margin(self, asset: str) -> Decimal:
        """Initial margin of the open positions settled in ``asset``."""
        return self.state.position_margin(asset, default_leverage=20)

    # ------------------------------------------------------------ user data stream

    async def listen_key_call(self, request: web.Request) -> web.Response:
        """USER_STREAM security: the key header only (no timestamp, no signature)."""
        self.listen_key_calls.append((request.method, request.rel_url.raw_query_string))
        self.check_api_key(request.headers.get("X-MBX-APIKEY"))
        live = self.listen_key if self.listen_key in self.streams.sessions else None
        if request.method == "POST":
            self.listen_key = live or self.streams.new_session()
            return self.ok({"listenKey": self.listen_key})
        if live is None:
            raise _refused(-1125, "This listenKey does not exist.", ErrorKind.NOT_FOUND)
        if request.method == "DELETE":
            self.streams.sessions.discard(live)
            self.listen_key = None
            return self.ok({})
        return self.ok({"listenKey": live})

    async def account_config(self, request: web.Request) -> web.Response:
        await self.verify(request)
        return self.ok({"feeTier": 0, "canTrade": True, "canDeposit": True,
                        "canWithdraw": True, "dualSidePosition": False, "updateTime": 0,
                        "multiAssetsMargin": False, "tradeGroupId": -1})

    async def trading_status(self, request: web.Request) -> web.Response:
        await self.verify(request)
        indicators: dict[str, list[dict[str, Any]]] = {}
        if self.locked_indicators:
            indicators["ACCOUNT"] = [
                {"isLocked": True, "plannedRecoverTime": self.now_ms() + 600_000,
                 "indicator": name, "value": 0.99, "triggerValue": 0.5}
                for name in self.locked_indicators]
        return self.ok({"indicators": indicators, "updateTime": self.now_ms()})

    # ------------------------------------------------------------ orders

    async def place(self, request: web.Request) -> web.Response:
        order = self.place_params(await self.verify(request))
        return self.ok(order_payload(order, with_time=False), order=True)

    def place_params(self, params: dict[str, str]) -> SimOrder:
        """New Order's checks and booking, shared with batchOrders' items."""
        order_type = params.get("type", "")
        if order_type not in ("LIMIT", "MARKET"):
            raise _refused(-1116, "Invalid orderType.")
        tif = params.get("timeInForce")
        if order_type == "LIMIT" and tif not in TIF_IN:
            raise _refused(-1115, "Invalid timeInForce.")
        if order_type == "MARKET" and tif is not None:
            raise _refused(-1106, "Parameter 'timeInForce' sent when not required.")
        try:
            quantity = Decimal(params["quantity"])
            price = Decimal(params["price"]) if order_type == "LIMIT" else None
        except (KeyError, InvalidOperation):
            raise _refused(-1102, "Mandatory parameter 'quantity' or 'price' was not sent, "
                                  "was empty/null, or malformed.") from None
        market = self.state.market(params.get("symbol", ""))
        side = params.get("side", "").lower()
        if tif == "GTX" and price is not None and (
                (side == "buy" and price >= market.price)
                or (side == "sell" and price <= market.price)):
            raise _refused(-5022, "Due to the order could not be executed as maker, "
                                  "the Post Only order will be rejected.")
        return self.state.place(
            symbol=market.native, side=side, type=order_type, quantity=quantity, price=price,
            client_order_id=params.get("newClientOrderId") or f"sim{self.next_id()}",
            time_in_force=TIF_IN.get(tif or "GTC", "gtc"),
            reduce_only=params.get("reduceOnly") == "true", dedupe_open_only=True)

    def _ref(self, params: dict[str, str]) -> dict[str, str | None]:
        if "orderId" not in params and "origClientOrderId" not in params:
            raise SimReject(ErrorKind.INVALID, "orderId or origClientOrderId must be sent")
        if "orderId" in params:  # Binance uses orderId when both are sent
            return {"order_id": params["orderId"]}
        return {"client_order_id": params["origClientOrderId"]}

    async def query(self, request: web.Request) -> web.Response:
        params = await self.verify(request)
        self.state.market(params.get("symbol", ""))
        order = self.state.get(**self._ref(params))
        if order.symbol != params["symbol"]:
            raise SimReject(ErrorKind.NOT_FOUND, "order is for another symbol")
        return self.ok(order_payload(order, with_time=True))

    async def cancel(self, request: web.Request) -> web.Response:
        params = await self.verify(request)
        self.state.market(params.get("symbol", ""))
        try:
            order = self.state.cancel(**self._ref(params))
        except SimReject as reject:
            if reject.kind is ErrorKind.NOT_FOUND:
                raise _refused(-2011, "Unknown order sent.", ErrorKind.NOT_FOUND) from None
            raise
        return self.ok(order_payload(order, with_time=False))


def _depth_weight(limit: str) -> int:
    """Order Book weight by ``limit``: 2 up to 50, 5 for 100, 10 for 500, 20 for 1000."""
    value = int(limit) if limit.isdigit() else 500
    return 2 if value <= 50 else 5 if value <= 100 else 10 if value <= 500 else 20
