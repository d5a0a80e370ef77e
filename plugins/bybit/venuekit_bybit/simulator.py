"""Loopback simulator of the Bybit V5 endpoints the plugin uses.

Authentication is verified from Bybit's description, not by calling the plugin's signer: the
verifier reads the raw query string and body bytes off the wire and recomputes
``HMAC_SHA256(secret, timestamp + api_key + recv_window + (query | body))`` in lowercase hex.
Answers use Bybit's envelope (``retCode``/``retMsg``/``result``/``retExtInfo``/``time``) at
HTTP 200, with the ``X-Bapi-Limit*`` headers on endpoints that have a per-UID limit.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web
from attrs import evolve
from venuekit.models import Credentials
from venuekit.testing.simulator import (
    ErrorKind,
    SimOrder,
    SimReject,
    json_response,
    sim_market,
)
from venuekit.testing.stream_server import StreamServer

from . import limits as rules
from .simaccount import AccountEndpoints
from .stream_sim import BybitStreamVenue

#: ErrorKind -> (HTTP status, retCode): Bybit answers every refusal at HTTP 200, the code
#: inside the envelope.
CODES: dict[ErrorKind, tuple[int, str | int]] = {kind: (200, code) for kind, code in {
    ErrorKind.AUTH: 10003,
    ErrorKind.SIGNATURE: 10004,
    ErrorKind.TIMESTAMP: 10002,
    ErrorKind.PERMISSION: 10005,
    ErrorKind.RATE_LIMIT: 10006,
    ErrorKind.NOT_FOUND: 110001,
    ErrorKind.INSUFFICIENT_FUNDS: 110007,
    ErrorKind.INVALID: 10001,
    ErrorKind.DUPLICATE: 110072,
    ErrorKind.BELOW_MINIMUM: 110094,
    ErrorKind.UNKNOWN_SYMBOL: 10001,     # Bybit: "params error: symbol invalid"
    ErrorKind.UNAVAILABLE: 10016,
    ErrorKind.TOKEN_EXPIRED: 33004,      # no tokens on Bybit: an expired API key
}.items()}

DEFAULT_RECV_WINDOW_MS = 5000
#: Bybit accepts ``server_time - recv_window <= timestamp < server_time + 1000``.
AHEAD_MS = 1000
LINK_ID = re.compile(r"[A-Za-z0-9_-]{1,36}")

_STATUS = {"open": "New", "partially_filled": "PartiallyFilled", "filled": "Filled",
           "canceled": "Cancelled", "expired": "Cancelled", "rejected": "Rejected"}
_TIF_IN = {"GTC": "gtc", "IOC": "ioc", "FOK": "fok", "PostOnly": "post_only"}
_TIF_OUT = {v: k for k, v in _TIF_IN.items()}


def expected_signature(secret: str, timestamp: str, api_key: str, recv_window: str,
                       signed_part: bytes) -> str:
    """Bybit's HMAC: ``timestamp + api_key + recv_window + signed_part``, lowercase hex."""
    message = (timestamp + api_key + recv_window).encode("utf-8") + signed_part
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def _s(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f")


class BybitSimulator(AccountEndpoints):
    exchange = "bybit"
    codes = CODES
    default_limits = rules.RATE_LIMITS

    # tick / step / minimums as Bybit lists these perpetuals (instruments-info)
    default_markets = (
        sim_market("BTCUSDT", "BTC", "USDT", tick="0.10", step="0.001", notional="5",
                   price="50000"),
        sim_market("ETHUSDT", "ETH", "USDT", tick="0.01", step="0.01", notional="5",
                   price="3000"),
        evolve(sim_market("SOLUSDT", "SOL", "USDT", tick="0.010", step="0.1", notional="5",
                          price="150"), max_leverage=50),
    )

    def __init__(self, *, credentials: Credentials | None = None, **kwargs: Any) -> None:
        super().__init__(credentials=credentials, **kwargs)
        #: the streams on the REST port, at the V5 paths (see stream_sim.py)
        self.streams = StreamServer(self.state, BybitStreamVenue(self))
        #: the unified account's margin mode, symbols switched to hedge mode, and
        #: non-trade execution rows (Funding, ...) a test adds to the history
        self.margin_mode = "REGULAR_MARGIN"
        self.hedge_symbols: set[str] = set()
        self.extra_executions: list[dict[str, Any]] = []

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/v5/market/time", self.server_time),
            web.get("/v5/market/instruments-info", self.instruments),
            web.get("/v5/account/wallet-balance", self.wallet_balance),
            web.get("/v5/user/query-api", self.query_api),
            web.post("/v5/order/create", self.create),
            web.post("/v5/order/cancel", self.cancel),
            web.get("/v5/order/realtime", self.realtime),
            *self.account_routes(),
            *self.streams.routes(),
        ]

    def request_cost(self, request: web.Request) -> dict[str, int]:
        return rules.cost(request.path)

    # ------------------------------------------------------------ envelopes

    def _limit_headers(self, path: str) -> dict[str, str]:
        window = self.windows.get(rules.RULE_BY_PATH.get(path, ""))
        if window is None:
            return {}
        now = self.now_ms()
        return {rules.LIMIT_HEADER: str(window.rule.limit),
                rules.STATUS_HEADER: str(window.remaining()), rules.RESET_HEADER: str(now)}

    def envelope(self, code: str | int | None, message: str, result: Any, *,
                 headers: dict[str, str] | None = None,
                 ext: dict[str, Any] | None = None) -> web.Response:
        return json_response({"retCode": code, "retMsg": message, "result": result,
                              "retExtInfo": ext or {}, "time": self.now_ms()},
                             headers=headers)

    def ok(self, request: web.Request, result: Any, *,
           ext: dict[str, Any] | None = None) -> web.Response:
        return self.envelope(0, "OK", result, headers=self._limit_headers(request.path),
                             ext=ext)

    def reject_response(self, reject: SimReject) -> web.Response:
        headers: dict[str, str] = {}
        if reject.kind is ErrorKind.RATE_LIMIT:
            now = self.now_ms()
            headers = {rules.STATUS_HEADER: "0", rules.RESET_HEADER: str(now + 1000)}
        return self.envelope(reject.code, reject.message, {}, headers=headers)

    # ------------------------------------------------------------ authentication

    async def verify(self, request: web.Request) -> bytes:
        """Key, receive window and signature, as Bybit's V5 guide describes them."""
        headers = request.headers
        api_key = headers.get("X-BAPI-API-KEY", "")
        self.check_api_key(api_key)
        timestamp = headers.get("X-BAPI-TIMESTAMP", "")
        recv_window = headers.get("X-BAPI-RECV-WINDOW", str(DEFAULT_RECV_WINDOW_MS))
        if not recv_window.isdigit():
            raise SimReject(ErrorKind.INVALID, "X-BAPI-RECV-WINDOW must be milliseconds")
        self.check_timestamp(timestamp, window_ms=int(recv_window), ahead_ms=AHEAD_MS)
        sign_type = headers.get("X-BAPI-SIGN-TYPE", "2")
        if sign_type != "2":
            raise self.reject_signature(f"sign type {sign_type} is not HMAC")
        body = await request.read()
        if request.method == "GET":
            if body:
                raise SimReject(ErrorKind.INVALID, "GET with a body")  # Bybit: HTTP 403
            signed_part = request.rel_url.raw_query_string.encode("utf-8")
        else:
            signed_part = body
        expected = expected_signature(self.credentials.api_secret, timestamp, api_key,
                                      recv_window, signed_part)
        if not hmac.compare_digest(expected, headers.get("X-BAPI-SIGN", "")):
            raise self.reject_signature("error sign")
        return body

    @staticmethod
    def _category(value: object) -> None:
        if value != "linear":
            raise SimReject(ErrorKind.INVALID, f"category {value!r}: this simulator is linear")

    # ------------------------------------------------------------ public

    async def server_time(self, request: web.Request) -> web.Response:
        now = self.now_ms()
        return self.ok(request, {"timeSecond": str(now // 1000),
                                 "timeNano": str(now * 1_000_000)})

    async def instruments(self, request: web.Request) -> web.Response:
        self._category(request.query.get("category"))
        rows = [{
            "symbol": m.native, "contractType": "LinearPerpetual", "status": "Trading",
            "baseCoin": m.base, "quoteCoin": m.quote, "settleCoin": m.quote,
            "priceFilter": {"minPrice": _s(m.tick_size), "maxPrice": "1999999.80",
                            "tickSize": _s(m.tick_size)},
            "lotSizeFilter": {"maxOrderQty": "1190.000", "minOrderQty": _s(m.min_quantity),
                              "qtyStep": _s(m.step_size), "maxMktOrderQty": "500.000",
                              "minNotionalValue": _s(m.min_notional)},
            "leverageFilter": {"minLeverage": "1", "maxLeverage": f"{m.max_leverage}.00",
                               "leverageStep": "0.01"},
        } for m in self.state.markets.values()]
        return self.ok(request, {"category": "linear", "list": rows, "nextPageCursor": ""})

    # ------------------------------------------------------------ account

    async def wallet_balance(self, request: web.Request) -> web.Response:
        await self.verify(request)
        if request.query.get("accountType") != "UNIFIED":
            raise SimReject(ErrorKind.INVALID, "accountType must be UNIFIED")
        return self.ok(request, {"list": [self.wallet_account()]})

    def wallet_account(self) -> dict[str, Any]:
        """The unified account's row, as wallet-balance and the ``wallet`` topic show it."""
        coins = []
        for asset in sorted(self.state.free):
            free, used = self.state.balance(asset)
            total = free + used
            coins.append({"coin": asset, "equity": _s(total), "walletBalance": _s(total),
                          "usdValue": _s(total), "locked": "0", "totalOrderIM": _s(used),
                          "totalPositionIM": "0", "unrealisedPnl": "0",
                          "cumRealisedPnl": "0", "borrowAmount": "0", "bonus": "0"})
        total_usd = _s(sum((Decimal(c["walletBalance"]) for c in coins), Decimal(0)))
        account = {"accountType": "UNIFIED", "totalEquity": total_usd,
                   "totalWalletBalance": total_usd, "totalPerpUPL": "0", "coin": coins}
        return account

    async def query_api(self, request: web.Request) -> web.Response:
        await self.verify(request)
        return self.ok(request, {
            "id": "1", "note": "simulator", "apiKey": self.credentials.api_key,
            "readOnly": 0, "secret": "",
            "permissions": {"ContractTrade": ["Order", "Position"], "Spot": [],
                            "Wallet": ["AccountTransfer"], "Options": [], "Derivatives": [],
                            "CopyTrading": [], "BlockTrade": [], "Exchange": [], "NFT": []},
            "ips": ["127.0.0.1"], "type": 1, "uta": 1, "userID": 1})

    # ------------------------------------------------------------ orders

    def order_row(self, order: SimOrder) -> dict[str, Any]:
        return self._order(order)

    def body_of(self, raw: bytes) -> dict[str, Any]:
        return self._json(raw)

    def _order(self, order: SimOrder) -> dict[str, Any]:
        # a cancelled linear order with fills stays "Cancelled" (Enums, orderStatus:
        # "PartiallyFilledCanceled: Only spot has this order status")
        status = _STATUS[order.status]
        price = order.price if order.price is not None else self.state.markets[
            order.symbol].price
        return {
            "orderId": order.order_id, "orderLinkId": order.client_order_id or "",
            "symbol": order.symbol, "price": _s(price), "qty": _s(order.quantity),
            "side": order.side.capitalize(), "positionIdx": 0, "orderStatus": status,
            "avgPrice": _s(order.average_price), "leavesQty": _s(
                order.quantity - order.filled if order.is_open else Decimal(0)),
            "cumExecQty": _s(order.filled),
            "timeInForce": _TIF_OUT.get(order.time_in_force, "GTC"),
            "orderType": order.type.capitalize(), "reduceOnly": order.reduce_only,
            "createdTime": str(order.created_ms), "updatedTime": str(order.updated_ms),
        }

    @staticmethod
    def _json(body: bytes) -> dict[str, Any]:
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            raise SimReject(ErrorKind.INVALID, "body is not JSON") from None
        if not isinstance(payload, dict):
            raise SimReject(ErrorKind.INVALID, "body is not a JSON object")
        return payload

    async def create(self, request: web.Request) -> web.Response:
        order = self.create_item(self._json(await self.verify(request)))
        return self.ok(request, {"orderId": order.order_id,
                                 "orderLinkId": order.client_order_id or ""})

    def create_item(self, body: dict[str, Any]) -> SimOrder:
        """Place Order's checks and booking, shared with create-batch's items."""
        self._category(body.get("category"))
        side, order_type = body.get("side"), body.get("orderType")
        if side not in ("Buy", "Sell") or order_type not in ("Limit", "Market"):
            raise SimReject(ErrorKind.INVALID, "side must be Buy/Sell, orderType Limit/Market")
        link_id = body.get("orderLinkId")
        if link_id is not None and not LINK_ID.fullmatch(str(link_id)):
            raise SimReject(ErrorKind.INVALID, "orderLinkId is invalid")
        if body.get("positionIdx", 0) != 0:
            raise SimReject(ErrorKind.INVALID, "position idx not match position mode")
        try:
            quantity = Decimal(str(body["qty"]))
            price = Decimal(str(body["price"])) if order_type == "Limit" else None
        except (KeyError, InvalidOperation):
            raise SimReject(ErrorKind.INVALID, "qty and price must be numbers") from None
        tif = "IOC" if order_type == "Market" else body.get("timeInForce", "GTC")
        if tif not in _TIF_IN:
            raise SimReject(ErrorKind.INVALID, f"timeInForce {tif!r}")
        return self.state.place(
            symbol=str(body.get("symbol", "")), side=side, type=order_type,
            quantity=quantity, price=price, client_order_id=link_id,
            time_in_force=_TIF_IN[tif], reduce_only=body.get("reduceOnly") is True)

    async def cancel(self, request: web.Request) -> web.Response:
        body = self._json(await self.verify(request))
        self._category(body.get("category"))
        order = self.state.find(order_id=body.get("orderId"),
                                client_order_id=body.get("orderLinkId"))
        if order is None or order.symbol != body.get("symbol"):
            raise SimReject(ErrorKind.NOT_FOUND, "order not exists or too late to cancel")
        self.state.cancel(order_id=order.order_id)
        return self.ok(request, {"orderId": order.order_id,
                                 "orderLinkId": order.client_order_id or ""})

    async def realtime(self, request: web.Request) -> web.Response:
        await self.verify(request)
        query = request.query
        self._category(query.get("category"))
        symbol = query.get("symbol")
        if not (symbol or query.get("baseCoin") or query.get("settleCoin")):
            raise SimReject(ErrorKind.INVALID, "symbol, baseCoin or settleCoin is required")
        if query.get("orderId") or query.get("orderLinkId"):
            found = self.state.find(order_id=query.get("orderId") or None,
                                    client_order_id=query.get("orderLinkId") or None)
            rows = [found] if found is not None else []
        else:
            closed = query.get("openOnly") == "1"
            rows = [o for o in self.state.orders.values() if o.is_open != closed]
        coin = query.get("settleCoin")
        rows = [o for o in rows if (symbol is None or o.symbol == symbol)
                and (coin is None or self.state.markets[o.symbol].quote == coin)]
        rows.sort(key=lambda o: (o.created_ms, int(o.order_id)), reverse=True)
        limit = int(query.get("limit", "20"))
        if not 1 <= limit <= self.open_orders_page:
            raise SimReject(ErrorKind.INVALID, "params error: limit")
        start = int(query.get("cursor", "0") or 0)
        chunk = rows[start:start + limit]
        cursor = str(start + limit) if start + limit < len(rows) else ""
        return self.ok(request, {"category": "linear", "nextPageCursor": cursor,
                                 "list": [self._order(o) for o in chunk]})
