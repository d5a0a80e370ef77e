"""The Binance simulator's streams, written from the stream pages, not from the plugin.

Routed paths as since 2026-04-23: ``/public`` serves ``@bookTicker`` and ``@depth``
streams, ``/market`` ``@aggTrade`` (and the other market streams), ``/private`` the
user-data stream of a listenKey. A stream subscribed on another path is acknowledged and
never delivers, as on Binance; the retired unrouted ``/ws`` and ``/stream`` get only what
``/public`` serves. ``LIST_SUBSCRIPTIONS`` answers with the socket's streams.

Account events follow the User Data Streams pages: ``ORDER_TRADE_UPDATE`` for every
order change (``x`` TRADE with the execution's fields when it filled), ``ACCOUNT_UPDATE``
after a fill only (unfilled and cancelled orders do not trigger it), ``listenKeyExpired``
when the key expires.
"""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from venuekit.testing.state import ErrorKind, SimFill, SimOrder, SimReject, SimState
from venuekit.testing.stream_server import BookSide, StreamClient, StreamServer, StreamVenue

from .simdata import STATUS, TIF_OUT

if TYPE_CHECKING:
    from .simulator import BinanceSimulator

#: stream name suffix -> (routed path's role, topic kind); suffixes not listed are silent
ROUTES = {"bookTicker": ("public", "ticker"), "depth": ("public", "order_book"),
          "aggTrade": ("market", "trades"), "markPrice": ("market", None),
          "ticker": ("market", None), "miniTicker": ("market", None),
          "forceOrder": ("market", None)}
PRIVATE_TOPICS = ("orders", "fills", "balance", "positions")
#: ``events=`` filter of the query form (change notice) -> the topics each event feeds
EVENT_TOPICS = {"ORDER_TRADE_UPDATE": ("orders", "fills"),
                "ACCOUNT_UPDATE": ("balance", "positions")}
_EXECUTION = {"open": "NEW", "canceled": "CANCELED", "expired": "EXPIRED"}


def _levels(side: BookSide) -> list[list[str]]:
    return [[str(price), str(quantity)] for price, quantity in side]


def _wrap(stream: str, payload: dict[str, Any]) -> str:
    return json.dumps({"stream": stream, "data": payload})


#: the listenKey path of the user-data socket (User Data Streams, "Connect")
PRIVATE_KEY_PATH = "/private/ws/"


class _Paths(dict[str, str]):
    """Routed paths; ``/private/ws/<listenKey>`` (a path per key) reads as ``private``."""

    def __missing__(self, path: str) -> str:
        if path.startswith(PRIVATE_KEY_PATH) and "/" not in path[len(PRIVATE_KEY_PATH):]:
            return "private"
        raise KeyError(path)


class BinanceStreamVenue(StreamVenue):
    paths: ClassVar[dict[str, str]] = _Paths({
        "/public/stream": "public", "/public/ws": "public",
        "/market/stream": "market", "/market/ws": "market",
        # the documented connection: the listenKey in the path; the change notice's
        # query form (?listenKey=<key>&events=...) is served too
        PRIVATE_KEY_PATH + "{listenKey}": "private",
        "/private/ws": "private", "/private/stream": "private",
        # retired unrouted URLs: they only receive /public data now
        "/ws": "public-only", "/stream": "public-only",
    })

    def __init__(self, simulator: BinanceSimulator) -> None:
        self.sim = simulator
        #: streams each socket asked for (LIST_SUBSCRIPTIONS), routed or not
        self.names: dict[int, list[str]] = {}

    # ------------------------------------------------------------ client frames

    def on_open(self, server: StreamServer, client: StreamClient) -> None:
        if client.role != "private":
            return
        key = (client.request.match_info.get("listenKey")
               or client.request.query.get("listenKey"))
        if key not in server.sessions:
            raise SimReject(ErrorKind.AUTH, "listenKey does not exist")
        client.session_key = key
        client.logged_in = True
        events = client.request.query.get("events")
        topics = PRIVATE_TOPICS if events is None else tuple(
            topic for event in events.split("/") for topic in EVENT_TOPICS.get(event, ()))
        client.topics.update((topic, None) for topic in topics)

    def on_frame(self, server: StreamServer, client: StreamClient, text: str) -> list[str]:
        try:
            message = json.loads(text)
        except ValueError:
            return [json.dumps({"code": 3, "msg": "Invalid JSON"})]
        ident = message.get("id")
        if not isinstance(ident, int) or isinstance(ident, bool) or ident < 0:
            return [json.dumps({"code": 2, "msg": "Invalid request: request ID must be an "
                                                  "unsigned integer", "id": ident})]
        method = message.get("method")
        names = self.names.setdefault(id(client), [])
        if method == "LIST_SUBSCRIPTIONS":
            return [json.dumps({"result": list(names), "id": ident})]
        if method not in ("SUBSCRIBE", "UNSUBSCRIBE"):
            return [json.dumps({"code": 2, "msg": f"Invalid request: unknown method "
                                                  f"{method!r}", "id": ident})]
        for name in message.get("params", []):
            topic = self._topic(client, str(name))
            if method == "SUBSCRIBE":
                names.append(str(name))
                if topic is not None:
                    client.topics.add(topic)
            else:
                if str(name) in names:
                    names.remove(str(name))
                if topic is not None:
                    client.topics.discard(topic)
        return [json.dumps({"result": None, "id": ident})]

    def _topic(self, client: StreamClient, name: str) -> tuple[str, str | None] | None:
        """The topic a stream name feeds on this socket, or None when it stays silent."""
        symbol, _, rest = name.partition("@")
        suffix = rest.split("@", 1)[0]
        if suffix.startswith("depth"):
            suffix = "depth"
        role, kind = ROUTES.get(suffix, ("", None))
        if kind is None:
            return None
        served = "public" if client.role == "public-only" else client.role
        if served != role or symbol.upper() not in self.sim.state.markets:
            return None  # accepted, and silent: the wrong routed path
        return (kind, symbol.upper())

    def error_frame(self, reject: SimReject) -> str:
        return json.dumps({"code": reject.code or -1000, "msg": reject.message})

    # ------------------------------------------------------------ account events

    def _order_payload(self, order: SimOrder, fill: SimFill | None) -> dict[str, Any]:
        now = self.sim.now_ms()
        payload: dict[str, Any] = {
            "s": order.symbol, "c": order.client_order_id or "", "S": order.side.upper(),
            "o": order.type.upper(), "f": TIF_OUT.get(order.time_in_force, "GTC"),
            "q": str(order.quantity), "p": str(order.price or 0),
            "ap": str(order.average_price or 0), "sp": "0",
            "x": "TRADE" if fill is not None else _EXECUTION.get(order.status, "NEW"),
            "X": STATUS[order.status], "i": int(order.order_id),
            "l": "0", "z": str(order.filled), "L": "0", "T": order.updated_ms, "t": 0,
            "b": "0", "a": "0", "m": False, "R": order.reduce_only, "wt": "CONTRACT_PRICE",
            "ot": order.type.upper(), "ps": "BOTH", "cp": False, "rp": "0", "pP": False,
            "si": 0, "ss": 0, "V": "EXPIRE_MAKER", "pm": "NONE", "gtd": 0, "er": "0"}
        if fill is not None:
            payload.update({"l": str(fill.quantity), "L": str(fill.price), "t": int(fill.trade_id),
                            "N": fill.fee_asset, "n": str(fill.fee), "m": fill.is_maker,
                            "T": fill.time_ms})
        return {"e": "ORDER_TRADE_UPDATE", "E": now, "T": now, "o": payload}

    def order_frame(self, order: SimOrder) -> str:
        fill = None
        if order.status in ("filled", "partially_filled"):
            fill = next((f for f in reversed(self.sim.state.fills)
                         if f.order_id == order.order_id), None)
        return json.dumps(self._order_payload(order, fill))

    def fill_frame(self, fill: SimFill) -> str | None:
        return None  # the order's own ORDER_TRADE_UPDATE (x TRADE) carries it

    def balance_frame(self, state: SimState) -> str | None:
        return None  # ACCOUNT_UPDATE comes with fills (positions_frame), not order changes

    def positions_frame(self, state: SimState) -> str | None:
        now = self.sim.now_ms()
        balances = []
        for asset in sorted(state.free):
            free, used = state.balance(asset)
            total = free + used
            balances.append({"a": asset, "wb": str(total), "cw": str(total), "bc": "0"})
        positions = []
        for position in state.positions.values():
            mark = state.markets[position.symbol].price
            positions.append({
                "s": position.symbol, "pa": str(position.quantity),
                "ep": str(position.entry_price), "bep": str(position.entry_price), "cr": "0",
                "up": str((mark - position.entry_price) * position.quantity),
                "mt": "cross", "iw": "0", "ps": "BOTH"})
        return json.dumps({"e": "ACCOUNT_UPDATE", "E": now, "T": now,
                           "a": {"m": "ORDER", "B": balances, "P": positions}})

    def expired_frame(self) -> str:
        # E is a string in the documented example
        return json.dumps({"e": "listenKeyExpired", "E": str(self.sim.now_ms()),
                           "listenKey": "expired"})

    # ------------------------------------------------------------ market data

    def ticker_frame(self, native: str, bid: Decimal, ask: Decimal, last: Decimal) -> str:
        now = self.sim.now_ms()
        return _wrap(f"{native.lower()}@bookTicker", {
            "e": "bookTicker", "u": now, "E": now, "T": now, "s": native, "b": str(bid),
            "B": "1.000", "a": str(ask), "A": "1.000"})

    def trade_frame(self, native: str, trade_id: str, side: str, price: Decimal,
                    quantity: Decimal) -> str:
        now = self.sim.now_ms()
        return _wrap(f"{native.lower()}@aggTrade", {
            "e": "aggTrade", "E": now, "s": native, "a": int(trade_id), "p": str(price),
            "q": str(quantity), "f": int(trade_id), "l": int(trade_id), "T": now,
            "m": side.lower() == "sell"})

    def book_frame(self, native: str, bids: BookSide, asks: BookSide, *, snapshot: bool,
                   sequence: int, prev_sequence: int) -> str:
        now = int(time.time() * 1000)
        return _wrap(f"{native.lower()}@depth@100ms", {
            "e": "depthUpdate", "E": now, "T": now, "s": native, "U": prev_sequence + 1,
            "u": sequence, "pu": prev_sequence, "b": _levels(bids), "a": _levels(asks)})
