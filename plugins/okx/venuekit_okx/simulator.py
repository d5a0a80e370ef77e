"""Loopback simulator of the OKX V5 endpoints the plugin uses.

Authentication is verified from OKX's description, not by calling the plugin's signer (see
:mod:`venuekit_okx.sim_auth`). Orders and balances live in :class:`~venuekit.testing.SimState`
in base currency; the wire speaks contracts (``sz * ctVal`` on the way in,
``quantity / ctVal`` on the way out). Answers use OKX's envelopes: ``code "0"`` with
``data``, per-item ``sCode`` on place / cancel, and the HTTP statuses of OK-ERR for the rest.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from aiohttp import web
from venuekit.decimals import format_decimal
from venuekit.models import Credentials
from venuekit.testing import ErrorKind, SimMarket, SimOrder, SimReject, Simulator
from venuekit.testing.simulator import json_response, sim_market
from venuekit.testing.stream_server import StreamServer

from . import limits, sim_account, sim_auth, sim_streams

#: ErrorKind -> (HTTP status, OKX code), from OK-ERR.
CODES: dict[ErrorKind, tuple[int, str | int]] = {
    ErrorKind.AUTH: (401, "50111"),
    ErrorKind.SIGNATURE: (401, "50113"),
    ErrorKind.TIMESTAMP: (401, "50102"),
    ErrorKind.PERMISSION: (200, "50120"),
    ErrorKind.RATE_LIMIT: (429, "50011"),
    ErrorKind.NOT_FOUND: (200, "51603"),
    ErrorKind.INSUFFICIENT_FUNDS: (200, "51008"),
    ErrorKind.INVALID: (400, "51000"),
    ErrorKind.DUPLICATE: (200, "51016"),
    ErrorKind.BELOW_MINIMUM: (200, "51020"),
    ErrorKind.UNKNOWN_SYMBOL: (200, "51001"),
    ErrorKind.UNAVAILABLE: (503, "50001"),
    ErrorKind.TOKEN_EXPIRED: (401, "50111"),  # OKX has no tokens: a refused key
}
#: Per-item codes on place / cancel (data[0].sCode under top-level code "1").
ITEM_CODES: dict[ErrorKind, str] = {ErrorKind.NOT_FOUND: "51400"}

_CLIENT_ID = re.compile(r"[A-Za-z0-9]{1,32}")
_CANCEL_FAILED = ("Order cancellation failed as the order has been filled, canceled or does "
                  "not exist.")

#: wire ordType -> (SimState type, time in force)
_ORD_TYPES = {"market": ("market", "ioc"), "optimal_limit_ioc": ("market", "ioc"),
              "limit": ("limit", "gtc"), "ioc": ("limit", "ioc"), "fok": ("limit", "fok"),
              "post_only": ("limit", "post_only")}
_STATES = {"open": "live", "partially_filled": "partially_filled", "filled": "filled",
           "canceled": "canceled", "expired": "canceled"}  # OKX has no "expired" state


def _envelope(data: list[Any], **extra: Any) -> web.Response:
    return json_response({"code": "0", "msg": "", "data": data, **extra})


class OkxSimulator(Simulator):
    exchange = "okx"
    codes = CODES
    default_limits = limits.RULES
    #: rows per page of fills-history (OKX: up to 100; small so clients must page)
    fills_page = 3
    #: most orders per batch-orders / cancel-batch-orders request (OKX: 20)
    max_batch = 20

    def __init__(self, *, demo: bool | None = None, **options: Any) -> None:
        """``demo``: True accepts only demo requests (``x-simulated-trading: 1``), False only
        live ones, None either."""
        super().__init__(**options)
        self.demo = demo
        self._ord_types: dict[str, str] = {}
        #: the venue's streams on the same port, at OKX's paths (see sim_streams.py)
        self.streams = StreamServer(self.state, sim_streams.OkxStreamVenue(self))

    # ------------------------------------------------------------ configuration

    # loopback-only test credentials, known to every test that talks to the simulator
    default_credentials = Credentials(
        api_key="sim-okx-key-0123456789abcdef",
        api_secret="SIMOKXSECRET0123456789ABCDEF0123",  # noqa: S106
        passphrase="sim-okx-passphrase")  # noqa: S106

    # BTC-USDT-SWAP: ctVal 0.01 BTC, lotSz = minSz = 0.01 contracts, tickSz 0.1;
    # ETH-USDT-SWAP: ctVal 0.1 ETH, lotSz = minSz = 0.01 contracts, tickSz 0.01.
    # SimState keeps base units: step = lotSz * ctVal, minimum = minSz * ctVal.
    default_markets = (
        sim_market("BTC-USDT-SWAP", "BTC", "USDT", tick="0.1", step="0.0001", price="50000",
                   contract_size="0.01"),
        sim_market("ETH-USDT-SWAP", "ETH", "USDT", tick="0.01", step="0.001", price="3000",
                   contract_size="0.1"),
    )

    def request_cost(self, request: web.Request) -> dict[str, int]:
        rules = {
            ("GET", "/api/v5/public/time"): {limits.TIME: 1},
            ("GET", "/api/v5/public/instruments"): {limits.INSTRUMENTS: 1},
            ("GET", "/api/v5/account/balance"): {limits.BALANCE: 1},
            ("GET", "/api/v5/account/config"): {limits.ACCOUNT_CONFIG: 1},
            ("POST", "/api/v5/trade/order"): {limits.PLACE: 1, limits.SUB_ACCOUNT_ORDERS: 1},
            ("GET", "/api/v5/trade/order"): {limits.ORDER_QUERY: 1},
            ("POST", "/api/v5/trade/cancel-order"): {limits.CANCEL: 1},
            ("GET", "/api/v5/trade/orders-pending"): {limits.OPEN_ORDERS: 1},
            ("GET", "/api/v5/trade/fills-history"): {limits.FILLS: 1},
            ("GET", "/api/v5/account/positions"): {limits.POSITIONS: 1},
            ("POST", "/api/v5/trade/amend-order"): {limits.AMEND: 1,
                                                     limits.SUB_ACCOUNT_ORDERS: 1},
            ("POST", "/api/v5/account/set-leverage"): {limits.SET_LEVERAGE: 1},
            ("GET", "/api/v5/market/ticker"): {limits.TICKER: 1},
            ("GET", "/api/v5/market/books"): {limits.BOOKS: 1},
        }
        # batches count orders, read from the body the middleware cannot see: one each
        # here, as a floor (the client's limiter counts the real number)
        batches = {"/api/v5/trade/batch-orders": {limits.BATCH_ORDERS: 1},
                   "/api/v5/trade/cancel-batch-orders": {limits.BATCH_CANCEL: 1}}
        if request.method == "POST" and request.path in batches:
            return batches[request.path]
        return rules.get((request.method, request.path), {})

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/api/v5/public/time", self.time),
            web.get("/api/v5/public/instruments", self.instruments),
            web.get("/api/v5/account/balance", self.balance),
            web.get("/api/v5/account/config", self.config),
            web.post("/api/v5/trade/order", self.place),
            web.get("/api/v5/trade/order", self.query),
            web.post("/api/v5/trade/cancel-order", self.cancel),
            *self.account_routes(),
        ]

    def account_routes(self) -> list[web.RouteDef]:
        def bound(handler: Callable[[OkxSimulator, web.Request], Awaitable[web.Response]]
                  ) -> Callable[[web.Request], Awaitable[web.Response]]:
            return partial(handler, self)
        return [
            web.get("/api/v5/trade/orders-pending", bound(sim_account.orders_pending)),
            web.get("/api/v5/trade/fills-history", bound(sim_account.fills_history)),
            web.get("/api/v5/account/positions", bound(sim_account.positions)),
            web.post("/api/v5/trade/batch-orders", bound(sim_account.batch_orders)),
            web.post("/api/v5/trade/cancel-batch-orders",
                     bound(sim_account.cancel_batch_orders)),
            web.post("/api/v5/trade/amend-order", bound(sim_account.amend_order)),
            web.post("/api/v5/account/set-leverage", bound(sim_account.set_leverage)),
            web.get("/api/v5/market/ticker", bound(sim_account.ticker)),
            web.get("/api/v5/market/books", bound(sim_account.books)),
            *self.streams.routes(),
        ]

    # ------------------------------------------------------------ envelopes

    def reject_response(self, reject: SimReject) -> web.Response:
        return json_response({"code": str(reject.code), "msg": reject.message, "data": []},
                             status=reject.status or 200)

    @staticmethod
    def item_error(code: str, message: str, client_order_id: str = "",
                   order_id: str = "") -> web.Response:
        """A failed place / cancel: top-level code "1", the reason in data[0].sCode."""
        item = {"clOrdId": client_order_id, "ordId": order_id, "sCode": code, "sMsg": message,
                "tag": "", "ts": str(int(time.time() * 1000))}
        return json_response({"code": "1", "msg": "", "data": [item]})

    # ------------------------------------------------------------ authentication

    async def verify(self, request: web.Request) -> bytes:
        """Check environment, key, passphrase, timestamp and signature as OKX describes."""
        body = await request.read()
        sim_auth.verify(self, request, body, demo=self.demo)
        return body

    def check_expiry(self, request: web.Request) -> None:
        """``expTime`` (ms): OKX discards a request that arrives after it (code 50037)."""
        raw = request.headers.get("expTime")
        if raw is None:
            return
        if not raw.isdigit():
            raise SimReject(ErrorKind.INVALID, "Parameter expTime error", code="51000", status=400)
        if self.now_ms() > int(raw):
            raise SimReject(ErrorKind.TIMESTAMP, "Order expired.", code="50037", status=200)

    # ------------------------------------------------------------ public

    async def time(self, request: web.Request) -> web.Response:
        return _envelope([{"ts": str(self.now_ms())}])

    async def instruments(self, request: web.Request) -> web.Response:
        if request.query.get("instType") != "SWAP":
            raise SimReject(ErrorKind.INVALID, "Parameter instType error", code="51000", status=400)
        rows = []
        for m in self.state.markets.values():
            size = m.contract_size or Decimal(1)
            rows.append({
                "instType": "SWAP", "instId": m.native, "uly": f"{m.base}-{m.quote}",
                "instFamily": f"{m.base}-{m.quote}", "baseCcy": "", "quoteCcy": "",
                "settleCcy": m.quote, "ctVal": format_decimal(size), "ctMult": "1",
                "ctValCcy": m.base, "ctType": "linear", "lever": str(m.max_leverage),
                "tickSz": format_decimal(m.tick_size), "lotSz": format_decimal(m.step_size / size),
                "minSz": format_decimal(m.min_quantity / size), "state": "live",
                "listTime": "1611916828000", "expTime": "", "maxLmtSz": "100000000",
                "maxMktSz": "10000"})
        return _envelope(rows)

    # ------------------------------------------------------------ account

    async def balance(self, request: web.Request) -> web.Response:
        await self.verify(request)
        now = str(self.now_ms())
        details = []
        for asset in sorted(self.state.free):
            free, used = self.state.balance(asset)
            equity = format_decimal(free + used)
            details.append({"ccy": asset, "eq": equity, "cashBal": equity,
                            "availBal": format_decimal(free),
                            "availEq": format_decimal(free), "frozenBal": format_decimal(used),
                            "ordFrozen": format_decimal(used), "upl": "0", "uTime": now})
        total = sum((self.state.balance(a)[0] + self.state.balance(a)[1]
                     for a in self.state.free), Decimal(0))
        return _envelope([{"totalEq": format_decimal(total), "uTime": now, "details": details}])

    async def config(self, request: web.Request) -> web.Response:
        await self.verify(request)
        return _envelope([{"uid": "44705892343619584", "mainUid": "44705892343619584",
                           "acctLv": "2", "posMode": "net_mode", "label": "venuekit sim",
                           "perm": "read_only,trade", "ip": "127.0.0.1"}])

    # ------------------------------------------------------------ orders

    def _sim_market(self, inst_id: Any) -> SimMarket:
        return self.state.market(str(inst_id or ""))

    def _order_json(self, order: SimOrder) -> dict[str, Any]:
        market = self.state.markets[order.symbol]
        size = market.contract_size or Decimal(1)
        return {
            "instType": "SWAP", "instId": order.symbol, "ordId": order.order_id,
            "clOrdId": order.client_order_id or "", "tag": "",
            "px": "" if order.price is None else format_decimal(order.price),
            "sz": format_decimal(order.quantity / size),
            "ordType": self._ord_types.get(order.order_id, order.type), "side": order.side,
            "posSide": "net", "tdMode": "cross", "accFillSz": format_decimal(order.filled / size),
            "fillPx": "" if order.average_price is None else format_decimal(order.average_price),
            "avgPx": "" if order.average_price is None else format_decimal(order.average_price),
            "state": _STATES[order.status], "lever": "", "feeCcy": "USDT", "fee": "0",
            "category": "normal", "reduceOnly": "true" if order.reduce_only else "false",
            "cancelSource": "", "cTime": str(order.created_ms), "uTime": str(order.updated_ms),
        }

    async def place(self, request: web.Request) -> web.Response:
        raw = await self.verify(request)
        self.check_expiry(request)
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            raise SimReject(ErrorKind.INVALID, "JSON syntax error", code="50002",
                            status=400) from None
        client_id = str(body.get("clOrdId") or "")
        try:
            order = self._book(body, client_id)
        except SimReject as reject:
            code = ITEM_CODES.get(reject.kind) or str(self.coded(reject).code)
            return self.item_error(code, reject.message, client_id)
        return _envelope([{"clOrdId": client_id, "ordId": order.order_id, "tag": "",
                           "ts": str(order.created_ms), "sCode": "0", "sMsg": "Order placed"}],
                         inTime=str(self.now_ms() * 1000), outTime=str(self.now_ms() * 1000))

    def _book(self, body: dict[str, Any], client_id: str) -> SimOrder:
        market = self._sim_market(body.get("instId"))
        if body.get("tdMode") not in ("cross", "isolated"):
            raise SimReject(ErrorKind.INVALID, "Parameter tdMode error")
        if body.get("posSide", "net") != "net":
            raise SimReject(ErrorKind.INVALID, "Parameter posSide error")
        if client_id and not _CLIENT_ID.fullmatch(client_id):
            raise SimReject(ErrorKind.INVALID, "Parameter clOrdId error")
        ord_type = str(body.get("ordType"))
        if ord_type not in _ORD_TYPES:
            raise SimReject(ErrorKind.INVALID, "Parameter ordType error")
        kind, tif = _ORD_TYPES[ord_type]
        try:
            contracts = Decimal(str(body.get("sz")))
            price = None if kind == "market" else Decimal(str(body["px"]))
        except (KeyError, InvalidOperation):
            raise SimReject(ErrorKind.INVALID, "Parameter sz or px error") from None
        if not contracts.is_finite():
            raise SimReject(ErrorKind.INVALID, "Parameter sz error")
        order = self.state.place(
            symbol=market.native, side=str(body.get("side")), type=kind,
            quantity=contracts * (market.contract_size or Decimal(1)), price=price,
            client_order_id=client_id or None, time_in_force=tif,
            reduce_only=body.get("reduceOnly") is True, dedupe_open_only=True)
        self._ord_types[order.order_id] = ord_type
        return order

    def _lookup(self, params: Any) -> SimOrder:
        """By ordId (preferred) or clOrdId, within the given instId, as OKX scopes it."""
        order_id, client_id = params.get("ordId"), params.get("clOrdId")
        if not order_id and not client_id:
            raise SimReject(ErrorKind.INVALID, "Either client order ID or order ID is required.")
        order = self.state.find(order_id=order_id or None,
                                client_order_id=None if order_id else client_id)
        if order is None or order.symbol != params.get("instId"):
            raise SimReject(ErrorKind.NOT_FOUND, "Order does not exist")
        return order

    async def query(self, request: web.Request) -> web.Response:
        await self.verify(request)
        return _envelope([self._order_json(self._lookup(request.query))])

    async def cancel(self, request: web.Request) -> web.Response:
        raw = await self.verify(request)
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            raise SimReject(ErrorKind.INVALID, "JSON syntax error", code="50002",
                            status=400) from None
        try:
            order = self._lookup(body)
            self.state.cancel(order_id=order.order_id)
        except SimReject as reject:
            code = ITEM_CODES.get(reject.kind) or str(self.coded(reject).code)
            return self.item_error(code, _CANCEL_FAILED, str(body.get("clOrdId") or ""),
                                   str(body.get("ordId") or ""))
        return _envelope([{"clOrdId": order.client_order_id or "", "ordId": order.order_id,
                           "ts": str(self.now_ms()), "sCode": "0", "sMsg": ""}])
