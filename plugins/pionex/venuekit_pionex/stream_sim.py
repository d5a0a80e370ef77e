"""Pionex's streams as the simulator serves them, written from PX-OAS ``websocketapi.yaml``
and PX-GBW, apart from the plugin (the URL signature is recomputed here from the query as
it arrives).

Paths ``/wsPub`` and ``/ws`` on the simulator's REST port. A private socket whose key,
timestamp (±20 s) or signature is wrong is accepted and then told so in one error frame
(``{"result": false, "code", "message"}``, the REST envelope's fields: Pionex does not
document the form); it then carries nothing. The server pings every
``ping_interval_s`` (15 s, PX-OAS); a session "expiry" is Pionex's ``{"op": "CLOSE"}``.
DEPTH pushes a whole top-``limit`` book on every change, without sequence numbers.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import weakref
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from venuekit.testing.state import ErrorKind, SimFill, SimOrder, SimReject, SimState
from venuekit.testing.stream_server import BookSide, StreamClient, StreamServer, StreamVenue

if TYPE_CHECKING:
    from .simulator import PionexSimulator

PRIVATE_TOPICS = {"ORDER": "orders", "FILL": "fills", "BALANCE": "balance"}
#: account topics subscribed per market (websocketapi.yaml: ``symbol`` required)
BY_SYMBOL = frozenset({"ORDER", "FILL"})
PUBLIC_TOPICS = {"TRADE": "trades", "DEPTH": "order_book"}
DEFAULT_DEPTH, MAX_DEPTH = 5, 100
WINDOW_MS = 20_000


def _dumps(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"))


def _levels(side: BookSide) -> list[list[str]]:
    return [[str(price), str(quantity)] for price, quantity in side]


def _now_ms() -> int:
    return int(time.time() * 1000)


class PionexStreamVenue(StreamVenue):
    paths: ClassVar[dict[str, str]] = {"/wsPub": "public", "/ws": "private"}

    def __init__(self, simulator: PionexSimulator) -> None:
        self.sim = simulator
        self.server: StreamServer | None = None
        #: depth ``limit`` per socket and symbol
        self.depths: weakref.WeakKeyDictionary[StreamClient, dict[str, int]] = \
            weakref.WeakKeyDictionary()
        #: sockets whose URL failed verification: they get nothing but the error
        self.refused: weakref.WeakSet[StreamClient] = weakref.WeakSet()

    # ------------------------------------------------------------ auth

    def _check_url(self, server: StreamServer, client: StreamClient) -> str | None:
        """The error of a private URL, or None when key, timestamp and signature hold."""
        query = client.request.query
        key, stamp, given = (query.get(k, "") for k in ("key", "timestamp", "signature"))
        if server.login_refused():
            return "INVALID_SIGNATURE"
        if key != self.sim.credentials.api_key:
            return "INVALID_APIKEY"
        if not stamp.isdigit() or abs(int(stamp) - self.sim.now_ms()) > WINDOW_MS:
            return "INVALID_TIMESTAMP"
        params = "&".join(f"{k}={query[k]}" for k in sorted(query) if k != "signature")
        text = f"{client.request.path}?{params}websocket_auth"
        expected = hmac.new(self.sim.credentials.api_secret.encode(), text.encode(),
                            hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, given):
            return "INVALID_SIGNATURE"
        return None

    def on_open(self, server: StreamServer, client: StreamClient) -> None:
        self.server = server
        if client.role != "private":
            return
        code = self._check_url(server, client)
        if code is None:
            client.logged_in = True
            return
        self.refused.add(client)
        client.outbox.put_nowait(_dumps({"result": False, "code": code,
                                         "message": "websocket authentication failed",
                                         "timestamp": self.sim.now_ms()}))

    # ------------------------------------------------------------ client frames

    def on_frame(self, server: StreamServer, client: StreamClient, text: str) -> list[str]:
        if client in self.refused:
            return []
        try:
            message = json.loads(text)
        except ValueError:
            raise SimReject(ErrorKind.INVALID, "not JSON", code="INVALID_OP") from None
        op = str(message.get("op", ""))
        if op == "PONG":
            return []
        if op not in ("SUBSCRIBE", "UNSUBSCRIBE"):
            raise SimReject(ErrorKind.INVALID, f"unknown op {op!r}", code="INVALID_OP")
        return self._subscribe(server, client, message, op == "SUBSCRIBE")

    def _subscribe(self, server: StreamServer, client: StreamClient, message: dict[str, Any],
                   subscribe: bool) -> list[str]:
        name = str(message.get("topic", ""))
        symbol = message.get("symbol")
        replies = []
        if name in PRIVATE_TOPICS and client.role == "private":
            if name in BY_SYMBOL and symbol is None:
                # websocketapi.yaml: ORDER and FILL subscriptions require a symbol
                raise SimReject(ErrorKind.INVALID, "symbol required", code="PARAMETER_ERROR")
            if symbol is not None and symbol not in self.sim.state.markets:
                raise SimReject(ErrorKind.INVALID, "invalid symbol", code="INVALID_SYMBOL")
            # ORDER and FILL carry the one market; BALANCE the whole account
            topic: tuple[str, str | None] = (
                PRIVATE_TOPICS[name], str(symbol) if name in BY_SYMBOL else None)
        elif name in PUBLIC_TOPICS and client.role == "public":
            if symbol not in self.sim.state.markets:
                raise SimReject(ErrorKind.INVALID, "invalid symbol", code="INVALID_SYMBOL")
            topic = (PUBLIC_TOPICS[name], str(symbol))
            if name == "DEPTH" and subscribe:
                limit = int(message.get("limit", DEFAULT_DEPTH))
                if not 1 <= limit <= MAX_DEPTH:
                    raise SimReject(ErrorKind.INVALID, "limit 1 - 100", code="PARAMETER_ERROR")
                self.depths.setdefault(client, {})[str(symbol)] = limit
        else:
            raise SimReject(ErrorKind.INVALID, f"no topic {name!r} here", code="INVALID_TOPIC")
        ack: dict[str, Any] = {"type": "SUBSCRIBED" if subscribe else "UNSUBSCRIBED",
                               "topic": name}
        if symbol is not None:
            ack["symbol"] = symbol
        replies.append(_dumps(ack))
        if subscribe:
            client.topics.add(topic)
            if name == "DEPTH":
                replies.append(self._depth(client, str(symbol)))
        else:
            client.topics.discard(topic)
        return replies

    def error_frame(self, reject: SimReject) -> str:
        return _dumps({"code": str(reject.code or "PARAMETER_ERROR"),
                       "message": reject.message})

    # ------------------------------------------------------------ pushes

    def order_frame(self, order: SimOrder) -> str:
        row = self.sim._order(order)
        row = {k: v for k, v in row.items() if k not in ("amount", "source")}  # not on WS
        return _dumps({"topic": "ORDER", "symbol": order.symbol, "data": row,
                       "timestamp": self.sim.now_ms()})

    def fill_frame(self, fill: SimFill) -> str:
        return _dumps({"topic": "FILL", "symbol": fill.symbol, "data": {
            "id": int(fill.trade_id), "orderId": int(fill.order_id), "symbol": fill.symbol,
            "side": fill.side.upper(), "role": "MAKER" if fill.is_maker else "TAKER",
            "price": str(fill.price), "size": str(fill.quantity), "fee": str(fill.fee),
            "feeCoin": fill.fee_asset, "timestamp": fill.time_ms},
            "timestamp": self.sim.now_ms()})

    def balance_frame(self, state: SimState) -> str:
        rows = []
        for coin in sorted(set(state.free) | set(state.used)):
            free, frozen = state.balance(coin)
            rows.append({"coin": coin, "free": f"{free:.8f}", "frozen": f"{frozen:.8f}"})
        now = self.sim.now_ms()
        return _dumps({"topic": "BALANCE", "data": {"balances": rows, "timestamp": now},
                       "timestamp": now})

    def positions_frame(self, state: SimState) -> None:
        return None  # spot: no positions

    def ticker_frame(self, native: str, bid: Decimal, ask: Decimal, last: Decimal) -> str:
        # Pionex spot has no ticker topic; nobody can subscribe to one, so this never goes out
        raise SimReject(ErrorKind.INVALID, "no ticker topic", code="INVALID_TOPIC")

    def trade_frame(self, native: str, trade_id: str, side: str, price: Decimal,
                    quantity: Decimal) -> str:
        now = self.sim.now_ms()
        return _dumps({"topic": "TRADE", "symbol": native, "timestamp": now, "data": [
            {"symbol": native, "tradeId": trade_id, "price": str(price),
             "size": str(quantity), "side": side.upper(), "timestamp": now}]})

    def _depth(self, client: StreamClient, native: str) -> str:
        assert self.server is not None
        limit = self.depths.get(client, {}).get(native, DEFAULT_DEPTH)
        bids, asks = self.server.book(native).top(limit)
        return _dumps({"topic": "DEPTH", "symbol": native, "timestamp": _now_ms(),
                       "data": {"bids": _levels(bids), "asks": _levels(asks)}})

    def book_frame(self, native: str, bids: BookSide, asks: BookSide, *, snapshot: bool,
                   sequence: int, prev_sequence: int) -> str:
        """The whole book at the deepest limit any socket asked for (a socket that asked
        for less reads the top of it: the levels are the same)."""
        assert self.server is not None
        limits = [depths[native] for client, depths in self.depths.items()
                  if native in depths and not client.ws.closed]
        top_bids, top_asks = self.server.book(native).top(max(limits, default=DEFAULT_DEPTH))
        return _dumps({"topic": "DEPTH", "symbol": native, "timestamp": _now_ms(),
                       "data": {"bids": _levels(top_bids), "asks": _levels(top_asks)}})

    def expired_frame(self) -> str:
        return _dumps({"op": "CLOSE", "timestamp": self.sim.now_ms()})

    def ping_frame(self) -> str:
        return _dumps({"op": "PING", "timestamp": self.sim.now_ms()})
