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
from venuekit.testing.simulator import ErrorKind, SimOrder, SimReject, Simulator, json_response

CODES: dict[ErrorKind, tuple[int, str | int]] = {
    ErrorKind.AUTH: (401, 1001), ErrorKind.SIGNATURE: (401, 1002),
    ErrorKind.TIMESTAMP: (400, 1003), ErrorKind.PERMISSION: (403, 1004),
    ErrorKind.TOKEN_EXPIRED: (401, 1005), ErrorKind.RATE_LIMIT: (429, 2001),
    ErrorKind.INSUFFICIENT_FUNDS: (400, 3001), ErrorKind.INVALID: (400, 3002),
    ErrorKind.NOT_FOUND: (400, 3003), ErrorKind.DUPLICATE: (400, 3004),
    ErrorKind.BELOW_MINIMUM: (400, 3005), ErrorKind.UNKNOWN_SYMBOL: (400, 3006),
    ErrorKind.UNAVAILABLE: (503, 5001),
}
RECV_WINDOW_MS = 3000
USED_WEIGHT_RULE = "ip"


def _order(order: SimOrder) -> dict[str, Any]:
    return {
        "orderId": order.order_id, "clientOrderId": order.client_order_id,
        "symbol": order.symbol, "side": order.side.upper(), "type": order.type.upper(),
        "status": {"open": "NEW", "partially_filled": "PARTIALLY_FILLED", "filled": "FILLED",
                   "canceled": "CANCELED", "expired": "EXPIRED"}[order.status],
        "quantity": str(order.quantity), "price": None if order.price is None else str(order.price),
        "filled": str(order.filled),
        "avgPrice": None if order.average_price is None else str(order.average_price),
        "reduceOnly": order.reduce_only, "createdAt": order.created_ms,
        "updatedAt": order.updated_ms,
    }


class ExampleSimulator(Simulator):
    exchange = "example"
    codes = CODES
    #: the venue reports request weight per IP per minute; counted, not enforced
    counted_limits = (RateLimit(USED_WEIGHT_RULE, 1200, 60.0, LimitScope.IP),)

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/v1/time", self.time),
            web.get("/v1/markets", self.markets),
            web.get("/v1/balance", self.balance),
            web.get("/v1/key", self.key),
            web.post("/v1/order", self.place),
            web.get("/v1/order", self.query),
            web.delete("/v1/order", self.cancel),
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
                 "minQty": str(m.min_quantity), "minNotional": str(m.min_notional)}
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
