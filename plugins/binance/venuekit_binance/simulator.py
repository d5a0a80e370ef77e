"""Loopback simulator of the Binance USDⓈ-M REST endpoints this plugin uses.

Written from Binance's General Info page, not from :mod:`venuekit_binance.signing`: it reads
the raw query string and body bytes off the wire, takes ``signature`` off the end of the
part that carries it, and checks ``query + body`` (no separator) with HMAC-SHA256 (hex,
case-insensitive) or Ed25519 (base64, percent-encoded). Answers use Binance's bare success
payloads, its ``{"code", "msg"}`` error envelope and HTTP statuses, and its usage headers.
Client order ids are refused as duplicates only while the first order is open, as on Binance.
"""

from __future__ import annotations

import bisect
import time
from collections import deque
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from venuekit.testing.simulator import (
    ErrorKind,
    SimMarket,
    SimReject,
    Simulator,
    json_response,
)

from .simdata import (
    CODES,
    MAX_RECV_WINDOW_MS,
    TIF_IN,
    WEIGHTS,
    order_payload,
    signature_ok,
    strip_signature,
    symbol_payload,
)

__all__ = ["BinanceSimulator"]


class BinanceSimulator(Simulator):
    exchange = "binance"

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._weight_log: deque[tuple[float, int]] = deque()
        self._weight_sum = 0  # of the log: a sum per response is quadratic under load
        self._order_log: deque[float] = deque()
        self.locked_indicators: list[str] = []  # e.g. ["UFR"]: apiTradingStatus reports a lock

    # ------------------------------------------------------------ venue description

    def default_markets(self) -> list[SimMarket]:
        # tick / step / minimums as Binance's exchangeInfo lists these perpetuals
        return [
            SimMarket(native="BTCUSDT", base="BTC", quote="USDT", tick_size=Decimal("0.10"),
                      step_size=Decimal("0.001"), min_quantity=Decimal("0.001"),
                      min_notional=Decimal("100"), price=Decimal("50000")),
            SimMarket(native="ETHUSDT", base="ETH", quote="USDT", tick_size=Decimal("0.01"),
                      step_size=Decimal("0.001"), min_quantity=Decimal("0.001"),
                      min_notional=Decimal("20"), price=Decimal("3000")),
        ]

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
        ]

    def error_response(self, kind: ErrorKind, message: str) -> web.Response:
        status, code, text = CODES[kind]
        return self.error(status, code, f"{text} ({message})" if message else text)

    def error(self, status: int, code: int, message: str) -> web.Response:
        return json_response({"code": code, "msg": message}, status=status,
                             headers=self._weight_headers())

    def request_cost(self, request: web.Request) -> dict[str, int]:
        """Costs on rules named like the plugin's: ``ip``, ``orders_10s``, ``orders_1m``."""
        weight = WEIGHTS.get((request.method, request.path), 1)
        is_order = request.method == "POST" and request.path == "/fapi/v1/order"
        return {"ip": weight, "orders_10s": int(is_order), "orders_1m": int(is_order)}

    # ------------------------------------------------------------ usage headers

    def _count(self, request: web.Request) -> None:
        now = time.monotonic()
        weight = WEIGHTS.get((request.method, request.path), 1)
        self._weight_log.append((now, weight))
        self._weight_sum += weight
        if request.method == "POST" and request.path == "/fapi/v1/order":
            self._order_log.append(now)

    def _weight_headers(self) -> dict[str, str]:
        horizon = time.monotonic() - 60.0
        while self._weight_log and self._weight_log[0][0] <= horizon:
            self._weight_sum -= self._weight_log.popleft()[1]
        return {"X-MBX-USED-WEIGHT-1M": str(self._weight_sum)}

    def ok(self, payload: Any, *, order: bool = False) -> web.Response:
        headers = self._weight_headers()
        if order:
            now = time.monotonic()
            while self._order_log and self._order_log[0] <= now - 60.0:
                self._order_log.popleft()
            headers["X-MBX-ORDER-COUNT-1M"] = str(len(self._order_log))
            recent = len(self._order_log) - bisect.bisect_right(self._order_log, now - 10.0)
            headers["X-MBX-ORDER-COUNT-10S"] = str(recent)
        return json_response(payload, headers=headers)

    # ------------------------------------------------------------ authentication

    async def verify(self, request: web.Request) -> dict[str, str]:
        """Check key, timestamp window and signature; return the merged parameters."""
        self._count(request)
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
        self._count(request)
        return self.ok({"serverTime": self.now_ms()})

    async def exchange_info(self, request: web.Request) -> web.Response:
        self._count(request)
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
            rows.append({"accountAlias": "SgsR", "asset": asset, "balance": f"{total:.8f}",
                         "crossWalletBalance": f"{total:.8f}", "crossUnPnl": "0.00000000",
                         "availableBalance": f"{free:.8f}", "maxWithdrawAmount": f"{free:.8f}",
                         "marginAvailable": True, "updateTime": self.now_ms()})
        return self.ok(rows)

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
        params = await self.verify(request)
        order_type = params.get("type", "")
        if order_type not in ("LIMIT", "MARKET"):
            return self.error(400, -1116, "Invalid orderType.")
        tif = params.get("timeInForce")
        if order_type == "LIMIT" and tif not in TIF_IN:
            return self.error(400, -1115, "Invalid timeInForce.")
        if order_type == "MARKET" and tif is not None:
            return self.error(400, -1106, "Parameter 'timeInForce' sent when not required.")
        try:
            quantity = Decimal(params["quantity"])
            price = Decimal(params["price"]) if order_type == "LIMIT" else None
        except (KeyError, InvalidOperation):
            return self.error(400, -1102, "Mandatory parameter 'quantity' or 'price' was not "
                                          "sent, was empty/null, or malformed.")
        market = self.state.market(params.get("symbol", ""))
        side = params.get("side", "").lower()
        if tif == "GTX" and price is not None and (
                (side == "buy" and price >= market.price)
                or (side == "sell" and price <= market.price)):
            return self.error(400, -5022, "Due to the order could not be executed as maker, "
                                          "the Post Only order will be rejected.")
        order = self.state.place(
            symbol=market.native, side=side, type=order_type, quantity=quantity, price=price,
            client_order_id=params.get("newClientOrderId") or f"sim{self.next_id()}",
            time_in_force=TIF_IN.get(tif or "GTC", "gtc"),
            reduce_only=params.get("reduceOnly") == "true", dedupe_open_only=True)
        return self.ok(order_payload(order, with_time=False), order=True)

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
                return self.error(400, -2011, "Unknown order sent.")
            raise
        return self.ok(order_payload(order, with_time=False))
