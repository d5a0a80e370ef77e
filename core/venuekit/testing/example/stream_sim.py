"""The example venue's streams as its simulator serves them (see ``streams.py`` for the
frame format). Written from the format's description, not by calling the plugin."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from venuekit.testing.state import ErrorKind, SimFill, SimOrder, SimReject, SimState
from venuekit.testing.stream_server import BookSide, StreamClient, StreamServer, StreamVenue

if TYPE_CHECKING:
    from venuekit.testing.simulator import Simulator

PRIVATE_TOPICS = {"orders", "fills", "balance", "positions"}
PUBLIC_TOPICS = {"ticker": "ticker", "book": "order_book", "trades": "trades"}


def _levels(side: BookSide) -> list[list[str]]:
    return [[str(price), str(quantity)] for price, quantity in side]


class ExampleStreamVenue(StreamVenue):
    paths: ClassVar[dict[str, str]] = {"/ws/public": "public", "/ws/private": "private"}

    def __init__(self, simulator: Simulator) -> None:
        self.sim = simulator

    def on_open(self, server: StreamServer, client: StreamClient) -> None:
        if client.role == "private":
            key = client.request.query.get("listenKey")
            if key not in server.sessions:
                raise SimReject(ErrorKind.AUTH, "listenKey does not exist")
            client.session_key = key

    def on_frame(self, server: StreamServer, client: StreamClient, text: str) -> list[str]:
        message = json.loads(text)
        op = message.get("op")
        if op == "ping":
            return [json.dumps({"op": "pong"})]
        if op == "pong":
            return []
        if op == "login":
            return [self._login(server, client, message)]
        if op in ("subscribe", "unsubscribe"):
            return self._subscribe(server, client, message, op == "subscribe")
        raise SimReject(ErrorKind.INVALID, f"unknown op {op!r}")

    def _login(self, server: StreamServer, client: StreamClient, message: dict[str, Any]) -> str:
        secret = self.sim.credentials.api_secret.encode()
        ts = str(message.get("ts", ""))
        expected = hmac.new(secret, f"{ts}login".encode(), hashlib.sha256).hexdigest()
        refused = server.login_refused()
        if refused or message.get("key") != self.sim.credentials.api_key \
                or not hmac.compare_digest(expected, str(message.get("sign", ""))):
            return json.dumps({"op": "login", "ok": False, "code": 1002,
                               "message": "login refused"})
        self.sim.check_timestamp(ts, window_ms=3000)
        client.logged_in = True
        return json.dumps({"op": "login", "ok": True})

    def _subscribe(self, server: StreamServer, client: StreamClient, message: dict[str, Any],
                   subscribe: bool) -> list[str]:
        op = "subscribe" if subscribe else "unsubscribe"
        snapshots = []
        for arg in message.get("args", []):
            name, _, rest = str(arg).partition(":")
            if name in PRIVATE_TOPICS:
                if client.role != "private" or not client.logged_in:
                    return [json.dumps({"op": op, "ok": False, "id": message.get("id"),
                                        "code": 1001, "message": "login first"})]
                topic: tuple[str, str | None] = (name, None)
            elif name in PUBLIC_TOPICS:
                native, _, depth = rest.partition(":")
                self.sim.state.market(native)
                topic = (PUBLIC_TOPICS[name], native)
                if name == "book" and subscribe:
                    snapshots.append(server.book_snapshot_frame(native, int(depth or 20)))
            else:
                raise SimReject(ErrorKind.INVALID, f"unknown topic {arg!r}")
            if subscribe:
                client.topics.add(topic)
            else:
                client.topics.discard(topic)
        return [json.dumps({"op": op, "ok": True, "id": message.get("id")}), *snapshots]

    def error_frame(self, reject: SimReject) -> str:
        from .simdata import CODES
        return json.dumps({"op": "error", "ok": False, "code": CODES[reject.kind][1],
                           "message": reject.message})

    def order_frame(self, order: SimOrder) -> str:
        from .simdata import _order
        return json.dumps({"ch": "orders", "data": _order(order)})

    def fill_frame(self, fill: SimFill) -> str:
        from .simdata import _fill
        return json.dumps({"ch": "fills", "data": _fill(fill)})

    def balance_frame(self, state: SimState) -> str:
        rows = [{"asset": asset, "free": str(state.free[asset]),
                 "locked": str(state.used.get(asset, Decimal(0)))} for asset in sorted(state.free)]
        return json.dumps({"ch": "balance", "data": rows})

    def positions_frame(self, state: SimState) -> str:
        rows = []
        for position in state.positions.values():
            mark = state.markets[position.symbol].price
            rows.append({"symbol": position.symbol, "positionAmt": str(position.quantity),
                         "entryPrice": str(position.entry_price), "markPrice": str(mark),
                         "unrealizedPnl": str((mark - position.entry_price) * position.quantity),
                         "leverage": state.leverage.get(position.symbol, 1)})
        return json.dumps({"ch": "positions", "data": rows})

    def ticker_frame(self, native: str, bid: Decimal, ask: Decimal, last: Decimal) -> str:
        return json.dumps({"ch": "ticker", "data": {
            "symbol": native, "bid": str(bid), "ask": str(ask), "last": str(last),
            "time": self.sim.now_ms()}})

    def trade_frame(self, native: str, trade_id: str, side: str, price: Decimal,
                    quantity: Decimal) -> str:
        return json.dumps({"ch": "trades", "data": {
            "symbol": native, "id": trade_id, "side": side.upper(), "price": str(price),
            "qty": str(quantity), "time": self.sim.now_ms()}})

    def book_frame(self, native: str, bids: BookSide, asks: BookSide, *, snapshot: bool,
                   sequence: int, prev_sequence: int) -> str:
        return json.dumps({"ch": "book", "type": "snapshot" if snapshot else "delta", "data": {
            "symbol": native, "bids": _levels(bids), "asks": _levels(asks), "seq": sequence,
            "prevSeq": prev_sequence, "time": int(time.time() * 1000)}})

    def expired_frame(self) -> str:
        return json.dumps({"op": "expired"})

    def ping_frame(self) -> str:
        return json.dumps({"op": "ping"})
