"""Loopback simulator of OrangeX's JSON-RPC API, for tests and ``venuekit demo``.

It serves ``POST {root}/api/v1/<public|private>/<name>`` like the venue; connectors use
:attr:`~venuekit.testing.Simulator.api_url`, which ends in ``/api/v1`` exactly as the live
host does.
Every reply is HTTP 200 with the request id echoed as a string and the venue's clock in
``usIn`` / ``usOut`` (milliseconds, as on the wire); failures carry a JSON-RPC ``error``.

Written from the venue's description, apart from the plugin. Sessions (``/public/auth``,
token expiry, the bearer check, the ``client_signature`` verifier) live in
:mod:`.simulator_auth`; this module is the JSON-RPC front, the catalogue, the account and
the orders.

Where OrangeX documents nothing the simulator takes the cautious reading, and says so:

* ``custom_order_id`` is not deduplicated (no rule is documented), so a resent order would
  be a second order; the plugin never resends.
* Insufficient margin, an unknown or closed order, a duplicate id and a minimum breach have
  no known code: they answer with the placeholder codes at the end of :data:`CODES`, which
  the plugin reports as a plain ``ExchangeError`` keeping code and message, as it would a
  real unknown code.
* A rate limit has no known body: HTTP 429 from the front end, the usual answer.
"""

from __future__ import annotations

import contextvars
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from aiohttp import web
from venuekit.decimals import format_decimal
from venuekit.models import RateLimit
from venuekit.testing.simulator import (
    ErrorKind,
    SimOrder,
    SimReject,
    json_response,
    sim_market,
)
from venuekit.testing.stream_server import StreamServer

from .simulator_auth import (
    AUTH_FAILURE,
    PARAMS_NOT_VALID,
    TokenAuthority,
)
from .stream_sim import OrangeXStreamVenue

API_PREFIX = "/api/v1"
#: OrangeX support's one limit: 10 requests per second
RULE = "requests"
CUSTOM_ORDER_ID = re.compile(r"[\.A-Z\:/a-z0-9_-]{1,36}")

BAD_REQUESTED = 1001
NO_SERVICE = 1000
JSON_PARSE = 9902

#: ErrorKind -> (HTTP status, OrangeX code). Every JSON-RPC reply is HTTP 200. The last four
#: reasons have no known OrangeX code; those numbers are the simulator's own placeholders.
CODES: dict[ErrorKind, tuple[int, str | int]] = {
    ErrorKind.AUTH: (200, AUTH_FAILURE),
    ErrorKind.SIGNATURE: (200, AUTH_FAILURE),
    ErrorKind.TIMESTAMP: (200, AUTH_FAILURE),  # a stale client_signature login: no own code
    ErrorKind.TOKEN_EXPIRED: (200, AUTH_FAILURE),
    ErrorKind.PERMISSION: (200, 2033),
    ErrorKind.INVALID: (200, PARAMS_NOT_VALID),
    ErrorKind.UNKNOWN_SYMBOL: (200, 5001),
    ErrorKind.UNAVAILABLE: (200, 9999),
    ErrorKind.INSUFFICIENT_FUNDS: (200, 99001),
    ErrorKind.NOT_FOUND: (200, 99002),
    ErrorKind.DUPLICATE: (200, 99003),
    ErrorKind.BELOW_MINIMUM: (200, 99004),
}
#: The venue's ``error.message`` for each code (placeholders say they are the simulator's).
MESSAGES: dict[str | int, str] = {
    AUTH_FAILURE: "Authentication Failure",
    PARAMS_NOT_VALID: "Request params not valid!",
    2033: "Access denied",
    5001: "Instrument does not exist.",
    9999: "System error, please try again later",
    BAD_REQUESTED: "Bad requested",
    NO_SERVICE: "No service found",
    JSON_PARSE: "json parse error",
    99001: "simulator: insufficient margin",
    99002: "simulator: order does not exist or is not open",
    99003: "simulator: duplicate custom_order_id",
    99004: "simulator: under the instrument's minimum",
}

_TIF = {"good_til_cancelled": "gtc", "immediate_or_cancel": "ioc", "fill_or_kill": "fok"}
_TIF_BACK = {value: key for key, value in _TIF.items()}
_STATE = {"open": "open", "partially_filled": "open", "filled": "filled",
          "canceled": "canceled", "expired": "canceled"}

Method = Callable[[web.Request, Mapping[str, Any]], Awaitable[Any]]


@dataclass
class _Call:
    id: Any
    us_in: int
    body: Any


_current: contextvars.ContextVar[_Call | None] = contextvars.ContextVar(
    "orangex_sim_call", default=None)


def _fmt(value: Decimal | None) -> str:
    return "0" if value is None else format_decimal(value)


def _decimal(params: Mapping[str, Any], key: str) -> Decimal | None:
    value = params.get(key)
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise SimReject(ErrorKind.INVALID, f"{key} is not a number") from None
    if not number.is_finite():
        raise SimReject(ErrorKind.INVALID, f"{key} is not a finite number")
    return number


class OrangeXSimulator(TokenAuthority):
    exchange = "orangex"
    api_prefix = API_PREFIX  # connect to ``api_url``, which ends in /api/v1 like the live host

    default_limits = (RateLimit(RULE, 10, 1.0),)
    codes = CODES

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._custom: dict[str, tuple[str, bool]] = {}  # order id -> (custom id, post only)
        #: the WebSocket on the same port, at /ws/api/v1 (see stream_sim.py)
        self.streams = StreamServer(self.state, OrangeXStreamVenue(self, self.idle_cut_s))
        self._methods: dict[str, tuple[bool, Method]] = {
            "/public/auth": (False, self.auth),
            "/public/ping": (False, self.ping),
            "/public/get_instruments": (False, self.instruments),
            "/private/get_assets_info": (True, self.assets),
            "/private/buy": (True, self.buy),
            "/private/sell": (True, self.sell),
            "/private/cancel": (True, self.cancel),
            "/private/get_order_state": (True, self.order_state),
            "/private/get_open_orders_by_instrument": (True, self.open_orders),
            "/private/get_open_orders_by_currency": (True, self.open_orders_by_currency),
            "/private/get_user_trades_by_instrument": (True, self.user_trades),
            "/private/get_user_position": (True, self.user_position),
            "/private/get_positions": (True, self.documented_positions),
            "/private/cancel_all_by_instrument": (True, self.cancel_all),
            "/private/adjust_perpetual_leverage": (True, self.adjust_leverage),
            "/private/get_perpetual_user_config": (True, self.user_config),
            "/public/tickers": (False, self.tickers),
            "/public/get_order_book": (False, self.order_book),
        }

    #: fills per ``get_user_trades_by_instrument`` page at most, whatever ``count`` asks:
    #: small so that clients must follow ``has_more`` (tests and benchmarks may change it)
    trades_page_size: ClassVar[int] = 3
    #: the default leverage of an instrument nobody adjusted (OX-DY's account showed 10)
    default_leverage: ClassVar[int] = 10
    #: OX-AOW: a socket is cut ~30 s after the client's last frame (tests shorten it)
    idle_cut_s: ClassVar[float] = 30.0

    # ------------------------------------------------------------ framework

    # BTC and ETH rules as the live catalogue gives them (OX-DY phase-2 report)
    default_markets = (
        sim_market("BTC-USDT-PERPETUAL", "BTC", "USDT", tick="0.1", step="0.001",
                   notional="10", price="50000"),
        sim_market("ETH-USDT-PERPETUAL", "ETH", "USDT", tick="0.01", step="0.01",
                   notional="10", price="3000"),
    )

    def routes(self) -> list[web.RouteDef]:
        return [web.post(API_PREFIX + "/{scope:public|private}/{name}", self.dispatch),
                *self.streams.routes()]

    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._rpc_context, self._middleware])
        app.add_routes(self.routes())
        return app

    def reject_response(self, reject: SimReject) -> web.Response:
        if reject.kind is ErrorKind.RATE_LIMIT:  # the front end's answer, not JSON-RPC
            return web.Response(status=429, text="Too Many Requests")
        if reject.kind is ErrorKind.TOKEN_EXPIRED:
            self.token_refusals += 1  # counted here so injected refusals count too
        return self.error_reply(reject.code or PARAMS_NOT_VALID, reject.message)

    # ------------------------------------------------------------ envelopes

    @web.middleware
    async def _rpc_context(self, request: web.Request,
                           handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
                           ) -> web.StreamResponse:
        """Read the JSON-RPC id first, so every reply (faults included) can echo it."""
        if request.path in OrangeXStreamVenue.paths:  # the WebSocket: no body, no reply
            return await handler(request)
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        call_id = body.get("id") if isinstance(body, dict) else None
        token = _current.set(_Call(id=call_id, us_in=self.now_ms(), body=body))
        try:
            return await handler(request)
        finally:
            _current.reset(token)

    def reply(self, members: Mapping[str, Any]) -> web.Response:
        call = _current.get()
        us_in = call.us_in if call is not None else self.now_ms()
        us_out = self.now_ms()
        call_id = call.id if call is not None else None
        return json_response({"id": None if call_id is None else str(call_id),
                              "jsonrpc": "2.0", "usIn": us_in, "usOut": us_out,
                              "usDiff": us_out - us_in, **members})

    def error_reply(self, code: str | int, reason: str) -> web.Response:
        return self.reply({"error": {"code": code, "message": MESSAGES.get(code, ""),
                                     "data": {"reason": reason}}})

    async def dispatch(self, request: web.Request) -> web.Response:
        method = f"/{request.match_info['scope']}/{request.match_info['name']}"
        call = _current.get()
        body = call.body if call is not None else None
        if not isinstance(body, dict):
            raise SimReject(ErrorKind.INVALID, "the body is not a JSON object", code=JSON_PARSE)
        params = body.get("params", {})
        if not isinstance(params, dict) or body.get("method", method) != method:
            raise SimReject(ErrorKind.INVALID, "params missing or method mismatch")
        entry = self._methods.get(method)
        if entry is None:
            raise SimReject(ErrorKind.INVALID, f"no method {method}", code=NO_SERVICE)
        private, handler = entry
        if private:
            self.check_bearer(request)
        return self.reply({"result": await handler(request, params)})

    # ------------------------------------------------------------ public

    async def ping(self, request: web.Request, params: Mapping[str, Any]) -> Any:
        return {}

    async def instruments(self, request: web.Request, params: Mapping[str, Any]) -> Any:
        if params.get("currency") != "PERPETUAL":
            return []  # the venue answers an empty list for a currency it does not have
        return [{
            "instrument_name": m.native, "kind": "perpetual", "currency": "PERPETUAL",
            "is_active": True, "show_name": f"{m.base}{m.quote}",
            # swapped against their usual meaning, as on the wire (OX-AO)
            "base_currency": m.quote, "quote_currency": m.base,
            "tick_size": _fmt(m.tick_size), "min_trade_amount": _fmt(m.step_size),
            "min_qty": _fmt(m.min_quantity), "min_notional": _fmt(m.min_notional),
            "maker_commission": "0.0002", "taker_commission": "0.0006",
            "creation_timestamp": 1_600_000_000_000, "leverage": m.max_leverage,
        } for m in self.state.markets.values()]

    # ------------------------------------------------------------ private

    async def assets(self, request: web.Request, params: Mapping[str, Any]) -> Any:
        kinds = params.get("asset_type")
        if not isinstance(kinds, list):  # a plain string is refused (OX-DY)
            raise SimReject(ErrorKind.INVALID, "asset_type must be an array", code=BAD_REQUESTED)
        if "PERPETUAL" not in kinds:
            return {}
        free, used = self.state.balance("USDT")
        total = free + used
        return {"PERPETUAL": {
            "wallet_balance": _fmt(total), "available_funds": _fmt(free),
            "available_withdraw_funds": _fmt(free), "total_margin_balance": _fmt(total),
            "order_frozen": _fmt(used), "total_upl": "0", "total_initial_margin_cross": "0",
            "total_initial_margin_isolated": "0", "position_rpl": "0",
        }}

    async def buy(self, request: web.Request, params: Mapping[str, Any]) -> Any:
        return self._place(request, "buy", params)

    async def sell(self, request: web.Request, params: Mapping[str, Any]) -> Any:
        return self._place(request, "sell", params)

    def _place(self, request: web.Request, side: str, params: Mapping[str, Any]) -> Any:
        self._require_scope(request, "trade", "read_write")
        amount = _decimal(params, "amount")
        order_type = params.get("type", "limit")
        if amount is None or order_type not in ("limit", "market"):
            raise SimReject(ErrorKind.INVALID, "amount or type missing or invalid")
        tif = _TIF.get(str(params.get("time_in_force", "good_til_cancelled")))
        if tif is None:
            raise SimReject(ErrorKind.INVALID, "time_in_force")
        # OX-DOC: position_side BOTH (one-way, the default), LONG or SHORT (hedge mode); this
        # simulator's accounts are one-way, so a hedge leg is refused
        if params.get("position_side", "BOTH") != "BOTH":
            raise SimReject(ErrorKind.INVALID, "position_side: the account is in one-way mode")
        post_only = params.get("post_only") is True
        custom = str(params.get("custom_order_id") or "")
        if custom and not CUSTOM_ORDER_ID.fullmatch(custom):
            raise SimReject(ErrorKind.INVALID, "custom_order_id does not match the rule")
        # no dedupe by custom_order_id: none is documented (see the module docstring)
        order = self.state.place(
            symbol=str(params.get("instrument_name", "")), side=side, type=str(order_type),
            quantity=amount, price=_decimal(params, "price"),
            time_in_force="post_only" if post_only else tif,
            reduce_only=params.get("reduce_only") is True)
        self._custom[order.order_id] = (custom, post_only)
        # the venue acknowledges receipt only, and echoes custom_order_id empty (OX-DY)
        return {"order": {"order_id": order.order_id, "custom_order_id": ""}}

    async def cancel(self, request: web.Request, params: Mapping[str, Any]) -> Any:
        self._require_scope(request, "trade", "read_write")
        order = self.state.cancel(order_id=str(params.get("order_id", "")))
        return {"order_id": order.order_id}

    async def order_state(self, request: web.Request, params: Mapping[str, Any]) -> Any:
        self._require_scope(request, "trade", "read")
        return self.order_record(self.state.get(order_id=str(params.get("order_id", ""))))

    def order_record(self, order: SimOrder) -> dict[str, Any]:
        custom, post_only = self._custom.get(order.order_id, ("", False))
        tif = "gtc" if order.time_in_force == "post_only" else order.time_in_force
        return {
            "currency": "PERPETUAL", "kind": "perpetual", "order_id": order.order_id,
            "instrument_name": order.symbol, "direction": order.side,
            "order_type": order.type, "order_state": _STATE[order.status],
            "amount": _fmt(order.quantity), "price": _fmt(order.price),
            "filled_amount": _fmt(order.filled), "average_price": _fmt(order.average_price),
            "time_in_force": _TIF_BACK[tif], "post_only": post_only,
            "reduce_only": order.reduce_only, "custom_order_id": custom,
            "position_side": "BOTH", "error_code": 0,
            "creation_timestamp": order.created_ms, "last_update_timestamp": order.updated_ms,
        }

    # ------------------------------------------------------------ account state

    def _instrument(self, params: Mapping[str, Any]) -> str:
        name = params.get("instrument_name")
        if not isinstance(name, str) or not name:
            raise SimReject(ErrorKind.INVALID, "instrument_name is required")
        self.state.market(name)  # 5001 for an instrument the venue does not list
        return name

    async def open_orders(self, request: web.Request, params: Mapping[str, Any]) -> Any:
        self._require_scope(request, "trade", "read")
        name = self._instrument(params)
        return [self.order_record(o) for o in self.state.open_orders(name)]

    async def open_orders_by_currency(self, request: web.Request,
                                      params: Mapping[str, Any]) -> Any:
        self._require_scope(request, "trade", "read")
        if params.get("currency") != "PERPETUAL":
            return []
        return [self.order_record(o) for o in self.state.open_orders()]

    async def user_trades(self, request: web.Request, params: Mapping[str, Any]) -> Any:
        """OX-DOC's paging: ``start_id``/``end_id`` and ``start_timestamp``/``end_timestamp``
        bounds (inclusive here), ``sorting`` asc/desc (default desc), ``count`` (default 20,
        at most :attr:`trades_page_size`), and ``has_more``."""
        self._require_scope(request, "trade", "read")
        name = self._instrument(params)
        sorting = params.get("sorting", "desc")
        if sorting not in ("asc", "desc"):
            raise SimReject(ErrorKind.INVALID, "sorting is asc or desc")
        # OX-DOC types count, start_id and end_id as Number (start/end_timestamp as Date)
        if any(isinstance(params.get(key), str | bool)
               for key in ("count", "start_id", "end_id")):
            raise SimReject(ErrorKind.INVALID, "count, start_id and end_id are numbers")
        try:
            count = int(params.get("count", 20))
            bounds = {key: int(params[key]) for key in
                      ("start_id", "end_id", "start_timestamp", "end_timestamp")
                      if params.get(key) not in (None, "")}
        except (TypeError, ValueError):
            raise SimReject(ErrorKind.INVALID, "count, ids and timestamps are numbers") from None
        if count <= 0:
            raise SimReject(ErrorKind.INVALID, "count must be above zero")
        rows = [f for f in self.state.fills if f.symbol == name
                and int(f.trade_id) >= bounds.get("start_id", 0)
                and int(f.trade_id) <= bounds.get("end_id", int(f.trade_id))
                and f.time_ms >= bounds.get("start_timestamp", 0)
                and f.time_ms <= bounds.get("end_timestamp", f.time_ms)]
        rows.sort(key=lambda f: int(f.trade_id), reverse=sorting == "desc")
        size = min(count, self.trades_page_size)
        return {"count": len(rows[:size]), "has_more": len(rows) > size, "trades": [{
            "trade_id": f.trade_id, "order_id": f.order_id, "instrument_name": f.symbol,
            "direction": f.side, "amount": _fmt(f.quantity), "price": _fmt(f.price),
            "fee": _fmt(f.fee), "fee_coin_type": f.fee_asset,
            "role": "maker" if f.is_maker else "taker", "timestamp": f.time_ms,
            "order_type": self.state.orders[f.order_id].type, "fee_use_coupon": False,
            "index_price": "0", "mark_price": _fmt(self.state.markets[f.symbol].price),
            "self_trade": False,
        } for f in rows[:size]]}

    def _leverage(self, name: str) -> int:
        return self.state.leverage.get(name, self.default_leverage)

    async def user_position(self, request: web.Request, params: Mapping[str, Any]) -> Any:
        """The live-verified method (OX-DY): the instrument's position, ``[]`` when flat;
        one-way mode here (``position_side`` BOTH, the sign of ``size`` says the side)."""
        self._require_scope(request, "trade", "read")
        name = self._instrument(params)
        position = self.state.positions.get(name)
        if position is None or position.quantity == 0:
            return []
        mark = self.state.markets[name].price
        return [{
            "instrument_name": name, "position_side": "BOTH", "size": _fmt(position.quantity),
            "direction": "buy" if position.quantity > 0 else "sell",
            "average_price": _fmt(position.entry_price), "mark_price": _fmt(mark),
            "floating_profit_loss": _fmt((mark - position.entry_price) * position.quantity),
            "leverage": str(self._leverage(name)), "liquid_price": "0", "margin_type": "cross",
            "stop_loss_price": "0", "take_profit_price": "0", "risk_level": "0",
        }]

    async def documented_positions(self, request: web.Request,
                                   params: Mapping[str, Any]) -> Any:
        """``get_positions`` as it behaved live (OX-DY): ``[]`` even with a position open."""
        self._require_scope(request, "trade", "read")
        return []

    async def cancel_all(self, request: web.Request, params: Mapping[str, Any]) -> Any:
        """The number of orders being cancelled (OX-DOC); applied at once here."""
        self._require_scope(request, "trade", "read_write")
        name = self._instrument(params)
        orders = self.state.open_orders(name)
        for order in orders:
            self.state.cancel(order_id=order.order_id)
        return len(orders)

    async def adjust_leverage(self, request: web.Request, params: Mapping[str, Any]) -> Any:
        """``"ok"``, also when the leverage already was that (no error is documented)."""
        self._require_scope(request, "trade", "read_write")
        name = self._instrument(params)
        leverage = params.get("leverage")
        try:
            value = int(str(leverage))
        except ValueError:
            raise SimReject(ErrorKind.INVALID, "leverage is a whole number") from None
        self.state.leverage.setdefault(name, self.default_leverage)
        self.state.set_leverage(name, value)
        return "ok"

    async def user_config(self, request: web.Request, params: Mapping[str, Any]) -> Any:
        self._require_scope(request, "trade", "read")
        name = self._instrument(params)
        return {"margin_type": "Cross", "leverage": str(self._leverage(name))}

    # ------------------------------------------------------------ public market data

    async def tickers(self, request: web.Request, params: Mapping[str, Any]) -> Any:
        """One row per instrument; best bid/ask as JSON numbers, as on the wire (OX-AO)."""
        name = self._instrument(params)
        market = self.state.markets[name]
        (bid, bid_size), = self.state.book(name, 1)[0]
        (ask, ask_size), = self.state.book(name, 1)[1]
        return [{"instrument_name": name, "state": "open", "timestamp": str(self.now_ms()),
                 "best_bid_price": float(bid), "best_bid_amount": float(bid_size),
                 "best_ask_price": float(ask), "best_ask_amount": float(ask_size),
                 "last_price": _fmt(market.price), "mark_price": _fmt(market.price),
                 "underlying_price": _fmt(market.price)}]

    async def order_book(self, request: web.Request, params: Mapping[str, Any]) -> Any:
        """``depth`` absent: 50 levels; 0: the whole book (here 100 levels)."""
        name = self._instrument(params)
        try:
            depth = int(params.get("depth", 50))
        except (TypeError, ValueError):
            raise SimReject(ErrorKind.INVALID, "depth is a number") from None
        if depth < 0:
            raise SimReject(ErrorKind.INVALID, "depth must not be negative")
        book = self.streams.book(name)  # the book the socket publishes, same change_id
        bids, asks = book.top(depth or 100)
        return {"instrument_name": name, "timestamp": self.now_ms(),
                "version": book.sequence,
                "bids": [[_fmt(p), _fmt(q)] for p, q in bids],
                "asks": [[_fmt(p), _fmt(q)] for p, q in asks]}
