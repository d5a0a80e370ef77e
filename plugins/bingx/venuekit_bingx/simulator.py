"""Loopback simulator of BingX USDT-M perpetual swap, for end-to-end tests.

Written from the venue's documentation, not from this plugin's signer: the verifier reads
the raw query string and body off the wire, takes everything before the final
``&signature=`` as the signed text (plus a form body, in the older docs' mixed mode) and
compares HMAC-SHA256 hex under the key's secret. Envelopes, codes and statuses are the
venue's: HTTP 200 with ``{"code", "msg", "data"}`` for business errors, 429 for rate limits.
Client order ids are folded to lower case as the server does, so lookups by client id are
case-insensitive.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from venuekit.decimals import decimal_places
from venuekit.models import LimitScope, RateLimit
from venuekit.testing.simulator import (
    ErrorKind,
    SimOrder,
    SimReject,
    Simulator,
    sim_market,
)
from venuekit.testing.stream_server import StreamServer

from . import sim_account, sim_streams

__all__ = ["BingXSimulator", "split_signature", "verify_signature"]

SERVER_TIME = "/openApi/swap/v2/server/time"
CONTRACTS = "/openApi/swap/v2/quote/contracts"
BALANCE = "/openApi/swap/v3/user/balance"
ORDER = "/openApi/swap/v2/trade/order"
KEY_HEADER = "X-BX-APIKEY"
DEFAULT_WINDOW_MS = 5000
UID_LIMIT_PER_S = 5  # "rate-limitation": "5/second" on each private endpoint used here

#: (status, code) per refusal, as BingX answers them.
CODES: dict[ErrorKind, tuple[int, str | int]] = {
    ErrorKind.AUTH: (200, 100413),
    ErrorKind.SIGNATURE: (200, 100001),
    ErrorKind.TIMESTAMP: (200, 100421),
    ErrorKind.PERMISSION: (200, 100004),
    ErrorKind.TOKEN_EXPIRED: (200, 100413),  # BingX has no tokens: an unusable key
    ErrorKind.RATE_LIMIT: (429, 109429),
    ErrorKind.NOT_FOUND: (200, 109421),
    ErrorKind.INSUFFICIENT_FUNDS: (200, 101204),
    ErrorKind.INVALID: (200, 109400),
    ErrorKind.DUPLICATE: (200, 101481),
    ErrorKind.BELOW_MINIMUM: (200, 101400),
    ErrorKind.UNKNOWN_SYMBOL: (200, 80014),
    ErrorKind.UNAVAILABLE: (200, 80012),
}

#: The venue's limits, from its docs (per UID and endpoint; per IP and group).
LIMITS: tuple[RateLimit, ...] = (
    RateLimit("market", 500, 10.0, LimitScope.IP),
    RateLimit("group2", 2000, 10.0, LimitScope.IP),
    RateLimit("group3", 2000, 10.0, LimitScope.IP),
    RateLimit("balance", UID_LIMIT_PER_S, 1.0, LimitScope.ACCOUNT),
    RateLimit("place", UID_LIMIT_PER_S, 1.0, LimitScope.ACCOUNT),
    RateLimit("cancel", UID_LIMIT_PER_S, 1.0, LimitScope.ACCOUNT),
    RateLimit("query", UID_LIMIT_PER_S, 1.0, LimitScope.ACCOUNT),
)
#: account endpoints (bingx-account-streams.md section 2): path, UID rule, IP group
ACCOUNT_ENDPOINTS = {
    ("GET", "/openApi/swap/v2/trade/openOrders"): ("open_orders", "group3"),
    ("GET", "/openApi/swap/v2/trade/fillHistory"): ("fills", "group2"),
    ("GET", "/openApi/swap/v2/user/positions"): ("positions", "group3"),
    ("DELETE", "/openApi/swap/v2/trade/allOpenOrders"): ("cancel_all", "group2"),
    ("POST", "/openApi/swap/v2/trade/batchOrders"): ("batch_place", "group3"),
    ("DELETE", "/openApi/swap/v2/trade/batchOrders"): ("batch_cancel", "group3"),
    ("POST", "/openApi/swap/v1/trade/amend"): ("amend", "group3"),
    ("POST", "/openApi/swap/v2/trade/leverage"): ("leverage", "group2"),
    ("GET", "/openApi/swap/v2/trade/leverage"): ("leverage_get", "group2"),
}
LIMITS = (*LIMITS, *(RateLimit(name, UID_LIMIT_PER_S, 1.0, LimitScope.ACCOUNT)
                     for name, _ in ACCOUNT_ENDPOINTS.values()))
_ENDPOINT = {("GET", BALANCE): "balance", ("POST", ORDER): "place",
             ("DELETE", ORDER): "cancel", ("GET", ORDER): "query",
             **{key: name for key, (name, _) in ACCOUNT_ENDPOINTS.items()}}
_GROUP = {"balance": "group3", "place": "group3", "cancel": "group3", "query": "group2",
          **dict(ACCOUNT_ENDPOINTS.values())}
#: BingX order ids are int64 above 2**53 (the docs' example ids): the simulator's are too,
#: so a client that reads them through a float fails here.
FIRST_ORDER_ID = 1733405587011123500
LISTEN_KEY = "/openApi/user/auth/userDataStream"

_STATUS = {"open": "PENDING", "partially_filled": "PARTIALLY_FILLED", "filled": "FILLED",
           "canceled": "CANCELLED", "expired": "CANCELLED"}
_TIF = {"GTC": "gtc", "IOC": "ioc", "FOK": "fok", "POSTONLY": "post_only"}


# ---------------------------------------------------------------- signature, from the docs


def split_signature(raw_query: str) -> tuple[str, str] | None:
    """``(signed text, signature)`` when the query ends with ``&signature=<hex>``."""
    head, sep, tail = raw_query.rpartition("&signature=")
    if not sep or not head or not tail or "&" in tail:
        return None
    return head, tail


def verify_signature(secret: str, raw_query: str, body: bytes = b"") -> bool:
    """BingX: HMAC-SHA256 hex of the parameter string with its values decoded (the docs
    sign the raw text and URL-encode values afterwards); a form body (older docs' mixed
    mode) is appended to the query part without a separator."""
    parts = split_signature(raw_query)
    if parts is None:
        return False
    signed, given = parts
    signed = "&".join(f"{key}={value}" for key, value in
                      parse_qsl(signed, keep_blank_values=True))
    expected = hmac.new(secret.encode(), signed.encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given.lower())


# ---------------------------------------------------------------- JSON as the venue writes it


def dump(value: Any) -> str:
    """JSON with Decimals written as bare numbers (BingX's float64 fields), exactly."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{dump(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dump(v) for v in value) + "]"
    return json.dumps(value)


def render_order(order: SimOrder) -> dict[str, Any]:
    avg = order.average_price or Decimal(0)
    return {
        "symbol": order.symbol, "orderId": int(order.order_id), "side": order.side.upper(),
        "positionSide": "BOTH", "type": order.type.upper(), "origQty": str(order.quantity),
        "price": str(order.price or Decimal(0)), "executedQty": str(order.filled),
        "avgPrice": str(avg), "cumQuote": str(order.filled * avg), "stopPrice": "",
        "profit": "0.0000", "commission": "0.000000", "status": _STATUS[order.status],
        "time": order.created_ms, "updateTime": order.updated_ms,
        "clientOrderId": order.client_order_id or "",
        "reduceOnly": "true" if order.reduce_only else "false", "workingType": "MARK_PRICE",
    }


def _client_id(params: dict[str, str]) -> str | None:
    value = params.get("clientOrderId") or params.get("clientOrderID")
    return value.lower() if value else None


class BingXSimulator(Simulator):
    """BingX swap on loopback, one-way position mode, USDT balance of 100 000."""

    exchange = "bingx"
    codes = CODES
    default_limits = LIMITS
    case_insensitive_client_ids = True
    #: rows per page of fillHistory (BingX: pageSize up to 1000; small so clients page)
    fills_page = 3
    #: batch maxima: batchOrders "up to 5", orderIdList / clientOrderIdList "up to 10"
    max_batch_orders = 5
    max_batch_cancels = 10

    #: BingX pings every 5 s; tests that shrink the idle timeout ping faster
    ping_interval_s: float | None = 5.0

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.state._next = FIRST_ORDER_ID
        #: the venue's streams on the same port, at BingX's path (see sim_streams.py)
        self.streams = StreamServer(self.state, sim_streams.BingXStreamVenue(self),
                                    ping_interval_s=self.ping_interval_s)

    # pricePrecision / quantityPrecision / tradeMinQuantity / tradeMinUSDT as BingX lists
    # BTC-USDT and ETH-USDT (tick 0.1 / 0.01, step 0.0001 / 0.01, minimum 2 USDT).
    default_markets = (
        sim_market("BTC-USDT", "BTC", "USDT", tick="0.1", step="0.0001", notional="2",
                   price="50000"),
        sim_market("ETH-USDT", "ETH", "USDT", tick="0.01", step="0.01", notional="2",
                   price="3000"),
    )

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get(SERVER_TIME, self.server_time),
            web.get(CONTRACTS, self.contracts),
            web.get(BALANCE, self.balance),
            web.post(ORDER, self.place),
            web.delete(ORDER, self.cancel),
            web.get(ORDER, self.query),
            *self.account_routes(),
        ]

    def account_routes(self) -> list[web.RouteDef]:
        def bound(handler: Callable[[BingXSimulator, web.Request], Awaitable[web.Response]]
                  ) -> Callable[[web.Request], Awaitable[web.Response]]:
            return partial(handler, self)
        a = sim_account
        return [
            web.get("/openApi/swap/v2/trade/openOrders", bound(a.open_orders)),
            web.get("/openApi/swap/v2/trade/fillHistory", bound(a.fill_history)),
            web.get("/openApi/swap/v2/user/positions", bound(a.positions)),
            web.delete("/openApi/swap/v2/trade/allOpenOrders", bound(a.cancel_all)),
            web.post("/openApi/swap/v2/trade/batchOrders", bound(a.batch_place)),
            web.delete("/openApi/swap/v2/trade/batchOrders", bound(a.batch_cancel)),
            web.post("/openApi/swap/v1/trade/amend", bound(a.amend)),
            web.get("/openApi/swap/v2/trade/leverage", bound(a.get_leverage)),
            web.post("/openApi/swap/v2/trade/leverage", bound(a.set_leverage)),
            web.get("/openApi/swap/v2/quote/ticker", bound(a.ticker)),
            web.get("/openApi/swap/v2/quote/depth", bound(a.depth)),
            web.post(LISTEN_KEY, self.listen_key_create),
            web.put(LISTEN_KEY, self.listen_key_keepalive),
            web.delete(LISTEN_KEY, self.listen_key_close),
            *self.streams.routes(),
        ]

    # ------------------------------------------------------------ listenKey

    async def listen_key_create(self, request: web.Request) -> web.Response:
        await self.verify(request)
        # the docs' answer is the bare object, no code envelope
        return web.json_response({"listenKey": self.streams.new_session()})

    async def listen_key_keepalive(self, request: web.Request) -> web.Response:
        params = await self.verify(request)
        if params.get("listenKey") not in self.streams.sessions:
            return web.Response(status=404, text="listenKey does not exist")
        return web.Response(status=200)

    async def listen_key_close(self, request: web.Request) -> web.Response:
        params = await self.verify(request)
        self.streams.sessions.discard(params.get("listenKey", ""))
        return web.Response(status=200)

    def request_cost(self, request: web.Request) -> dict[str, int]:
        if request.path in (SERVER_TIME, CONTRACTS, "/openApi/swap/v2/quote/ticker",
                            "/openApi/swap/v2/quote/depth"):
            return {"market": 1}
        endpoint = _ENDPOINT.get((request.method, request.path))
        return {endpoint: 1, _GROUP[endpoint]: 1} if endpoint else {}

    # ------------------------------------------------------------ envelopes

    def envelope(self, payload: dict[str, Any], *, status: int = 200,
                 headers: dict[str, str] | None = None) -> web.Response:
        return web.Response(text=dump(payload), status=status, headers=headers,
                            content_type="application/json")

    def reject_response(self, reject: SimReject) -> web.Response:
        return self.envelope({"code": reject.code, "msg": reject.message, "data": {}},
                             status=reject.status or 200)

    def ok(self, data: Any, request: web.Request | None = None) -> web.Response:
        headers = self.usage_headers(request) if request is not None else None
        return self.envelope({"code": 0, "msg": "", "data": data}, headers=headers)

    def usage_headers(self, request: web.Request) -> dict[str, str]:
        """What is left of the endpoint's per-UID window, as BingX reports it."""
        window = self.windows.get(_ENDPOINT.get((request.method, request.path), ""))
        if window is None:
            return {}
        expires = self.now_ms() + int((window.resets_in() or window.rule.period_s) * 1000)
        return {"X-RateLimit-Requests-Remain": str(window.remaining()),
                "X-RateLimit-Requests-Expire": str(expires)}

    # ------------------------------------------------------------ authentication

    async def verify(self, request: web.Request) -> dict[str, str]:
        """Key, signature, then timestamp window; returns the signed parameters."""
        self.check_api_key(request.headers.get(KEY_HEADER))
        body = await request.read()
        raw = request.rel_url.raw_query_string
        if not verify_signature(self.credentials.api_secret, raw, body):
            raise self.reject_signature("Signature verification failed")
        parts = split_signature(raw)
        assert parts is not None
        params = dict(parse_qsl(parts[0], keep_blank_values=True))
        if body:
            params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        try:
            window = int(params.get("recvWindow") or 0)
        except ValueError:
            raise SimReject(ErrorKind.INVALID, "recvWindow is not a number") from None
        self.check_timestamp(params.get("timestamp"),
                             window_ms=window if window > 0 else DEFAULT_WINDOW_MS)
        return params

    # ------------------------------------------------------------ public

    async def server_time(self, request: web.Request) -> web.Response:
        return self.ok({"serverTime": self.now_ms()})

    async def contracts(self, request: web.Request) -> web.Response:
        rows = [{
            "contractId": str(100 + index), "symbol": m.native,
            "quantityPrecision": decimal_places(m.step_size),
            "pricePrecision": decimal_places(m.tick_size),
            "takerFeeRate": Decimal("0.0005"), "makerFeeRate": Decimal("0.0002"),
            "tradeMinQuantity": m.min_quantity, "tradeMinUSDT": m.min_notional,
            "currency": m.quote, "asset": m.base, "status": 1, "apiStateOpen": "true",
            "apiStateClose": "true", "ensureTrigger": False, "triggerFeeRate": "0.00020000",
            "brokerState": False, "launchTime": 1586275200000, "maintainTime": 0,
            "offTime": 0, "displayName": m.native,
        } for index, m in enumerate(self.state.markets.values())]
        return self.ok(rows)

    # ------------------------------------------------------------ private

    async def balance(self, request: web.Request) -> web.Response:
        await self.verify(request)
        rows = []
        for asset in sorted(self.state.free):
            free, used = self.state.balance(asset)
            total = free + used
            held = self.position_margin(asset)  # open positions hold margin, as on BingX
            rows.append({"userId": "116***295", "asset": asset, "balance": str(total),
                         "equity": str(total), "unrealizedProfit": "0.0000",
                         "realisedProfit": "0.0000", "availableMargin": str(free - held),
                         "usedMargin": str(used + held), "freezedMargin": "0.0000"})
        return self.ok(rows, request)

    def position_margin(self, asset: str) -> Decimal:
        """Initial margin of the open positions settled in ``asset`` (default leverage 5,
        as ``GET .../trade/leverage`` answers here)."""
        return self.state.position_margin(asset, default_leverage=5)

    async def place(self, request: web.Request) -> web.Response:
        params = await self.verify(request)
        return self.ok({"order": self.book(params)}, request)

    def book(self, params: dict[str, str]) -> dict[str, Any]:
        """Validate and book one order (single or inside a batch); the acknowledgement."""
        side, kind = params.get("side", ""), params.get("type", "")
        if side not in ("BUY", "SELL") or kind not in ("LIMIT", "MARKET"):
            raise SimReject(ErrorKind.INVALID, f"side {side!r} / type {kind!r} not supported")
        # "defaults to LONG if empty"; one-way mode takes only BOTH (error 109400)
        position_side = params.get("positionSide") or "LONG"
        if position_side != "BOTH":
            raise SimReject(ErrorKind.INVALID,
                            f"positionSide {position_side} does not match one-way mode")
        tif = _TIF.get(params.get("timeInForce", "GTC").upper())
        if tif is None:
            raise SimReject(ErrorKind.INVALID, "timeInForce must be GTC, IOC, FOK or PostOnly")
        client_id = _client_id(params)
        if client_id is not None and not 1 <= len(client_id) <= 40:
            raise SimReject(ErrorKind.INVALID, "clientOrderId must be 1-40 characters")
        try:
            quantity = Decimal(params["quantity"])
            price = Decimal(params["price"]) if kind == "LIMIT" else None
        except (KeyError, InvalidOperation):
            raise SimReject(ErrorKind.INVALID, "quantity (and price for LIMIT) required") \
                from None
        order = self.state.place(
            symbol=params.get("symbol", ""), side=side, type=kind, quantity=quantity,
            price=price, client_order_id=client_id, time_in_force=tif,
            reduce_only=params.get("reduceOnly", "false") == "true", dedupe_open_only=False)
        # the acknowledgement carries ids and echoes, no status or quantities (BX-V3 example)
        ack = {"symbol": order.symbol, "orderId": int(order.order_id),
               "side": order.side.upper(), "positionSide": "BOTH", "type": order.type.upper(),
               "clientOrderId": order.client_order_id or "", "workingType": "MARK_PRICE"}
        return ack

    def lookup(self, params: dict[str, str]) -> SimOrder:
        order = self.state.get(order_id=params.get("orderId") or None,
                               client_order_id=_client_id(params))
        if order.symbol != params.get("symbol"):
            raise SimReject(ErrorKind.NOT_FOUND, "order does not exist")
        return order

    async def query(self, request: web.Request) -> web.Response:
        params = await self.verify(request)
        return self.ok({"order": render_order(self.lookup(params))}, request)

    async def cancel(self, request: web.Request) -> web.Response:
        params = await self.verify(request)
        order = self.lookup(params)
        cancelled = self.state.cancel(order_id=order.order_id)
        return self.ok({"order": render_order(cancelled)}, request)
