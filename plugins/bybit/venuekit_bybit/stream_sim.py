"""The Bybit simulator's streams, written from the V5 WebSocket pages, not from the plugin.

``/v5/public/linear`` and ``/v5/private`` on the REST port. The private socket takes
``{"op": "auth", "args": [key, expires, signature]}`` (HMAC-SHA256 of
``"GET/realtime" + expires``, checked here on its own) before any private topic; no
private topic sends a snapshot on subscribe. Pongs differ by socket, as on Bybit: the
public one answers ``{"success": true, "ret_msg": "pong", "op": "ping", ...}``, the
private one ``{"op": "pong", "args": ["<ms>"], ...}``. A book subscription gets its
snapshot after the ack, then deltas with ``u`` one higher each time; ``orderbook.1`` is a
snapshot in every message. Bybit has no session key: an expired session closes the socket.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from venuekit.testing.state import ErrorKind, SimFill, SimOrder, SimReject, SimState
from venuekit.testing.stream_server import BookSide, StreamClient, StreamServer, StreamVenue

from .simaccount import _execution

if TYPE_CHECKING:
    from .simulator import BybitSimulator

PRIVATE_TOPICS = {"order": "orders", "execution": "fills", "position": "positions",
                  "wallet": "balance"}


def _levels(side: BookSide) -> list[list[str]]:
    return [[format(price, "f"), format(quantity, "f")] for price, quantity in side]


class BybitStreamVenue(StreamVenue):
    paths: ClassVar[dict[str, str]] = {"/v5/public/linear": "public", "/v5/private": "private"}

    def __init__(self, simulator: BybitSimulator) -> None:
        self.sim = simulator
        self.depths: dict[str, int] = {}  #: book depth last subscribed per symbol
        self._ids = itertools.count(1)

    def _conn_id(self, client: StreamClient) -> str:
        return f"sim-{id(client):x}"

    # ------------------------------------------------------------ client frames

    def on_frame(self, server: StreamServer, client: StreamClient, text: str) -> list[str]:
        try:
            message = json.loads(text)
        except ValueError:
            raise SimReject(ErrorKind.INVALID, "frame is not JSON") from None
        op = message.get("op")
        if op == "ping":
            if client.role == "public":
                return [json.dumps({"success": True, "ret_msg": "pong",
                                    "conn_id": self._conn_id(client),
                                    "req_id": message.get("req_id", ""), "op": "ping"})]
            return [json.dumps({"req_id": message.get("req_id", ""), "op": "pong",
                                "args": [str(self.sim.now_ms())],
                                "conn_id": self._conn_id(client)})]
        if op == "auth":
            return [self._auth(server, client, message)]
        if op in ("subscribe", "unsubscribe"):
            return self._subscribe(server, client, message, op == "subscribe")
        raise SimReject(ErrorKind.INVALID, f"unknown op {op!r}")

    def _answer(self, client: StreamClient, op: str, message: dict[str, Any], ok: bool,
                why: str = "") -> str:
        answer: dict[str, Any] = {"success": ok, "ret_msg": why, "op": op,
                                  "conn_id": self._conn_id(client)}
        if client.role == "public" or "req_id" in message:
            answer["req_id"] = message.get("req_id", "")
        return json.dumps(answer)

    def _auth(self, server: StreamServer, client: StreamClient, message: dict[str, Any]) -> str:
        args = message.get("args")
        refused = server.login_refused()
        if client.role != "private" or not isinstance(args, list) or len(args) != 3:
            return self._answer(client, "auth", message, False, "Params Error")
        key, expires, sign = args
        if not isinstance(expires, int) or expires <= self.sim.now_ms():
            return self._answer(client, "auth", message, False,
                                "Params Error: expires must be later than now")
        expected = hmac.new(self.sim.credentials.api_secret.encode(),
                            f"GET/realtime{expires}".encode(), hashlib.sha256).hexdigest()
        if refused or key != self.sim.credentials.api_key \
                or not hmac.compare_digest(expected, str(sign)):
            return self._answer(client, "auth", message, False,
                                "Request not authorized")
        client.logged_in = True
        return self._answer(client, "auth", message, True)

    def _subscribe(self, server: StreamServer, client: StreamClient, message: dict[str, Any],
                   subscribe: bool) -> list[str]:
        op = "subscribe" if subscribe else "unsubscribe"
        topics: list[tuple[str, str | None]] = []
        snapshots: list[str] = []
        for arg in message.get("args", []):
            name = str(arg)
            if name in PRIVATE_TOPICS:
                if client.role != "private" or not client.logged_in:
                    return [self._answer(client, op, message, False,
                                         "Request not authorized")]
                topics.append((PRIVATE_TOPICS[name], None))  # and no snapshot
                continue
            kind, _, native = name.rpartition(".")
            if client.role != "public" or native not in self.sim.state.markets:
                return [self._answer(client, op, message, False,
                                     f"Invalid topic: {name}")]
            if kind == "publicTrade":
                topics.append(("trades", native))
            elif kind == "orderbook.1":
                topics.append(("ticker", native))
                if subscribe:
                    bids, asks = server.book(native).top(1)
                    snapshots.append(self.ticker_frame(native, bids[0][0], asks[0][0],
                                                       self.sim.state.markets[native].price))
            elif kind in ("orderbook.50", "orderbook.200", "orderbook.1000"):
                topics.append(("order_book", native))
                if subscribe:
                    self.depths[native] = int(kind.split(".")[1])
                    snapshots.append(server.book_snapshot_frame(native, self.depths[native]))
            else:
                return [self._answer(client, op, message, False, f"Invalid topic: {name}")]
        for topic in topics:
            if subscribe:
                client.topics.add(topic)
            else:
                client.topics.discard(topic)
        return [self._answer(client, op, message, True), *snapshots]

    def error_frame(self, reject: SimReject) -> str:
        return json.dumps({"success": False, "ret_msg": reject.message, "op": "error"})

    # ------------------------------------------------------------ account topics

    def _private(self, topic: str, rows: list[dict[str, Any]]) -> str:
        return json.dumps({"id": f"sim-{next(self._ids)}", "topic": topic,
                           "creationTime": self.sim.now_ms(), "data": rows})

    def order_frame(self, order: SimOrder) -> str:
        row = {"category": "linear", **self.sim.order_row(order), "cumExecFee": "0",
               "cancelType": "UNKNOWN", "rejectReason": "EC_NoError"}
        return self._private("order", [row])

    def fill_frame(self, fill: SimFill) -> str:
        return self._private("execution", [{"category": "linear", **_execution(fill)}])

    def balance_frame(self, state: SimState) -> str:
        return self._private("wallet", [self.sim.wallet_account()])

    def positions_frame(self, state: SimState) -> str:
        rows = []
        for native in sorted(state.positions):
            row = dict(self.sim.position_row(native))
            row["entryPrice"] = row.pop("avgPrice")
            rows.append({"category": "linear", **row})
        return self._private("position", rows)

    def expired_frame(self) -> None:
        return None  # no session key on Bybit: the socket is closed

    # ------------------------------------------------------------ market data

    def ticker_frame(self, native: str, bid: Decimal, ask: Decimal, last: Decimal) -> str:
        now = self.sim.now_ms()
        sequence = next(self._ids)
        return json.dumps({"topic": f"orderbook.1.{native}", "type": "snapshot", "ts": now,
                           "data": {"s": native, "b": [[format(bid, "f"), "1.000"]],
                                    "a": [[format(ask, "f"), "1.000"]], "u": sequence,
                                    "seq": sequence}, "cts": now})

    def trade_frame(self, native: str, trade_id: str, side: str, price: Decimal,
                    quantity: Decimal) -> str:
        now = self.sim.now_ms()
        return json.dumps({"topic": f"publicTrade.{native}", "type": "snapshot", "ts": now,
                           "data": [{"T": now, "s": native, "S": side.capitalize(),
                                     "v": format(quantity, "f"), "p": format(price, "f"),
                                     "L": "PlusTick", "i": trade_id, "BT": False,
                                     "seq": int(trade_id)}]})

    def book_frame(self, native: str, bids: BookSide, asks: BookSide, *, snapshot: bool,
                   sequence: int, prev_sequence: int) -> str:
        now = self.sim.now_ms()
        depth = self.depths.get(native, 50)
        return json.dumps({"topic": f"orderbook.{depth}.{native}",
                           "type": "snapshot" if snapshot else "delta", "ts": now,
                           "data": {"s": native, "b": _levels(bids), "a": _levels(asks),
                                    "u": sequence, "seq": sequence * 10}, "cts": now})
