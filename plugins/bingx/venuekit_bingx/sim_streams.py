"""The BingX simulator's WebSocket side: ``/swap-market`` on the REST port, gzipped frames,
a ``Ping`` every ``ping_interval_s``, account data for a live listenKey, in BingX's formats.

Written from BingX's documentation, not by calling the plugin. One path serves both roles:
a socket opened with ``?listenKey=`` is the account socket (every account event is pushed
without a subscription); an unknown key is refused. Market data needs a ``sub`` frame per
``dataType``. Simplification: an ``ACCOUNT_UPDATE`` is pushed whenever the simulated
account's margin moves (SimState freezes margin for open orders), and after every fill
with the positions.
"""

from __future__ import annotations

import gzip
import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from venuekit.testing.simulator import ErrorKind, SimReject
from venuekit.testing.state import SimFill, SimOrder, SimState
from venuekit.testing.stream_server import BookSide, StreamClient, StreamServer, StreamVenue

if TYPE_CHECKING:
    from .simulator import BingXSimulator

STREAMS = {"ticker": "ticker", "trade": "trades", "incrDepth": "order_book"}
PRIVATE_TOPICS = (("orders", None), ("balance", None), ("positions", None))
_STATUS = {"open": "NEW", "partially_filled": "PARTIALLY_FILLED", "filled": "FILLED",
           "canceled": "CANCELED", "expired": "EXPIRED"}
_EXECUTION = {"open": "NEW", "partially_filled": "TRADE", "filled": "TRADE",
              "canceled": "CANCELED", "expired": "EXPIRED"}


class BingXStreamVenue(StreamVenue):
    paths: ClassVar[dict[str, str]] = {"/swap-market": "public"}

    def __init__(self, simulator: BingXSimulator) -> None:
        self.sim = simulator
        #: the docs name the order event both ways; tests switch it
        self.order_event = "ORDER_TRADE_UPDATE"
        self._margin: dict[str, tuple[Decimal, Decimal]] = {}

    def encode(self, text: str) -> str | bytes:
        return gzip.compress(text.encode())

    def ping_frame(self) -> str:
        return "Ping"

    def on_open(self, server: StreamServer, client: StreamClient) -> None:
        key = client.request.query.get("listenKey")
        if key is None:
            return
        if key not in server.sessions:
            raise SimReject(ErrorKind.AUTH, "listenKey does not exist")
        client.role = "private"
        client.session_key = key
        client.logged_in = True
        client.topics.update(PRIVATE_TOPICS)

    def on_frame(self, server: StreamServer, client: StreamClient, text: str) -> list[str]:
        if text == "Pong":
            return []
        try:
            message = json.loads(text)
        except ValueError:
            return [self._answer(None, 100400, "invalid request")]
        ident = message.get("id")
        request = message.get("reqType")
        native, _, stream = str(message.get("dataType", "")).partition("@")
        if request not in ("sub", "unsub") or stream not in STREAMS:
            return [self._answer(ident, 100400, f"dataType {message.get('dataType')!r}")]
        try:
            self.sim.state.market(native)
        except SimReject:
            return [self._answer(ident, 80015, f"symbol:{native} not supported")]
        topic = (STREAMS[stream], native)
        replies = [self._answer(ident, 0, "")]
        if request == "sub":
            client.topics.add(topic)
            if stream == "incrDepth":
                replies.append(server.book_snapshot_frame(native, 1000))
        else:
            client.topics.discard(topic)
        return replies

    @staticmethod
    def _answer(ident: Any, code: int, msg: str) -> str:
        return json.dumps({"id": ident, "code": code, "msg": msg, "dataType": "",
                           "data": None})

    def error_frame(self, reject: SimReject) -> str:
        return self._answer(None, 100400, reject.message)

    # ------------------------------------------------------------ account pushes

    def order_frame(self, order: SimOrder) -> str:
        market = self.sim.state.markets[order.symbol]
        avg = order.average_price or Decimal(0)
        # a MARKET push carries its fill price in ``p`` (BX-V3 example: "p" == "ap")
        return json.dumps({"e": self.order_event, "E": self.sim.now_ms(), "T": order.updated_ms,
                           "o": {"s": order.symbol, "c": order.client_order_id or "",
                                 "i": int(order.order_id), "S": order.side.upper(),
                                 "o": order.type.upper(), "q": f"{order.quantity:f}",
                                 "p": f"{order.price or avg:f}", "sp": "0",
                                 "ap": f"{avg:f}", "x": _EXECUTION[order.status],
                                 "X": _STATUS[order.status], "N": market.quote, "n": "0",
                                 "T": order.updated_ms, "wt": "", "ps": "BOTH", "rp": "0",
                                 "z": f"{order.filled:f}", "sg": "false", "ti": 0,
                                 "ro": order.reduce_only}})

    def fill_frame(self, fill: SimFill) -> None:
        return None  # BingX has no execution event: the order push carries ``z``

    def _balances(self, state: SimState) -> list[dict[str, str]]:
        rows = []
        for asset in sorted(state.free):
            free, used = state.balance(asset)
            # cw is the wallet balance outside isolated margin (BX-V2OLD); every position
            # here is cross, so it is the whole wallet balance (order margin included)
            rows.append({"a": asset, "wb": f"{free + used:f}", "cw": f"{free + used:f}",
                         "bc": "0"})
        return rows

    def balance_frame(self, state: SimState) -> str | None:
        margin = {asset: state.balance(asset) for asset in state.free}
        if margin == self._margin:
            return None  # an order change that moved no margin: BingX pushes nothing
        self._margin = margin
        return json.dumps({"e": "ACCOUNT_UPDATE", "E": self.sim.now_ms(),
                           "a": {"m": "ORDER", "B": self._balances(state)}})

    def positions_frame(self, state: SimState) -> str:
        rows = []
        for held in state.positions.values():
            market = state.markets[held.symbol]
            rows.append({"s": held.symbol, "pa": f"{held.quantity:f}",
                         "ep": f"{held.entry_price:f}",
                         "up": f"{(market.price - held.entry_price) * held.quantity:f}",
                         "mt": "cross", "iw": "0", "ps": "BOTH", "cr": "0"})
        return json.dumps({"e": "ACCOUNT_UPDATE", "E": self.sim.now_ms(),
                           "a": {"m": "ORDER", "B": self._balances(state), "P": rows}})

    def expired_frame(self) -> str:
        return json.dumps({"e": "listenKeyExpired", "E": self.sim.now_ms(),
                           "listenKey": "expired"})

    # ------------------------------------------------------------ market data

    def ticker_frame(self, native: str, bid: Decimal, ask: Decimal, last: Decimal) -> str:
        now = self.sim.now_ms()
        return json.dumps({"code": 0, "dataType": f"{native}@ticker", "data": {
            "e": "24hTicker", "E": now, "s": native, "p": "0", "P": "0", "c": f"{last:f}",
            "L": "1", "h": f"{last:f}", "l": f"{last:f}", "v": "0", "q": "0",
            "o": f"{last:f}", "O": now - 86_400_000, "C": now, "A": f"{ask:f}", "a": "1",
            "B": f"{bid:f}", "b": "1"}})

    def trade_frame(self, native: str, trade_id: str, side: str, price: Decimal,
                    quantity: Decimal) -> str:
        # BingX swap trades carry no id (trade_id stays the simulator's own)
        return json.dumps({"code": 0, "dataType": f"{native}@trade", "data": [{
            "q": f"{quantity:f}", "p": f"{price:f}", "T": self.sim.now_ms(),
            "m": side.lower() == "sell", "s": native}]})

    def book_frame(self, native: str, bids: BookSide, asks: BookSide, *, snapshot: bool,
                   sequence: int, prev_sequence: int) -> str:
        def levels(side: BookSide) -> list[list[str]]:
            return [[f"{p:f}", f"{q:.4f}"] for p, q in side]
        return json.dumps({"code": 0, "dataType": f"{native}@incrDepth", "data": {
            "action": "all" if snapshot else "update", "lastUpdateId": sequence,
            "time": self.sim.now_ms(), "bids": levels(bids),
            "asks": list(reversed(levels(asks)))}})  # BingX lists asks high to low
