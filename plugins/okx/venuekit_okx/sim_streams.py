"""The OKX simulator's WebSocket side: ``/ws/v5/public`` and ``/ws/v5/private`` on the REST
port, in OKX's frame formats, driven by the simulator's SimState.

Written from OKX's documentation, not by calling the plugin: the login check rebuilds the
signature with :func:`venuekit_okx.sim_auth.expected_signature` (the REST verifier) over
``seconds + "GET" + "/users/self/verify"`` and allows 30 s of clock difference, as OKX does.
Quantities go out in contracts (``ctVal`` of the market). Faults come from
:class:`~venuekit.testing.stream_server.StreamServer`; an expired "session" (OKX has no
listenKey) closes the private sockets, as OKX does when a key is changed (close 4007).
"""

from __future__ import annotations

import hmac
import json
import time
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from venuekit.decimals import format_decimal
from venuekit.testing import ErrorKind, SimReject
from venuekit.testing.state import SimFill, SimOrder, SimState
from venuekit.testing.stream_server import BookSide, StreamClient, StreamServer, StreamVenue

from . import sim_auth

if TYPE_CHECKING:
    from .simulator import OkxSimulator

#: channel -> (topic kind as the stream server names it, private?)
CHANNELS = {"orders": ("orders", True), "account": ("balance", True),
            "positions": ("positions", True), "tickers": ("ticker", False),
            "books": ("order_book", False), "trades": ("trades", False)}
LOGIN_WINDOW_S = 30
CONN_ID = "a4d3ae55"
UID = "44705892343619584"


class OkxStreamVenue(StreamVenue):
    paths: ClassVar[dict[str, str]] = {"/ws/v5/public": "public", "/ws/v5/private": "private"}

    def __init__(self, simulator: OkxSimulator) -> None:
        self.sim = simulator
        #: the last execution of each order, sent with the order's next push
        self._fills: dict[str, SimFill] = {}

    # ------------------------------------------------------------ client frames

    def on_frame(self, server: StreamServer, client: StreamClient, text: str) -> list[str]:
        if text == "ping":
            return ["pong"]
        try:
            message = json.loads(text)
        except ValueError:
            return [self._error("60012", f"Invalid request: {text[:100]}")]
        op = message.get("op")
        if op == "login":
            return [self._login(server, client, message)]
        if op in ("subscribe", "unsubscribe"):
            return self._subscribe(server, client, message, op == "subscribe")
        return [self._error("60012", f"Invalid request: {text[:100]}", message.get("id"))]

    def _login(self, server: StreamServer, client: StreamClient,
               message: dict[str, Any]) -> str:
        args = message.get("args") or [{}]
        arg = args[0] if isinstance(args, list) and isinstance(args[0], dict) else {}
        credentials = self.sim.credentials
        timestamp = str(arg.get("timestamp", ""))
        if server.login_refused():
            return self._error("60009", "Login failed.")
        if arg.get("apiKey") != credentials.api_key:
            return self._error("60005", "Invalid apiKey")
        if arg.get("passphrase") != credentials.passphrase:
            return self._error("60024", "Wrong passphrase")
        if not timestamp.isdigit():
            return self._error("60004", "Invalid timestamp")
        if abs(int(timestamp) - time.time()) > LOGIN_WINDOW_S:
            return self._error("60006", "Timestamp request expired")
        expected = sim_auth.expected_signature(credentials.api_secret, timestamp, "GET",
                                               "/users/self/verify", b"")
        if not hmac.compare_digest(expected, str(arg.get("sign", ""))):
            return self._error("60007", "Invalid sign")
        client.logged_in = True
        return json.dumps({"event": "login", "code": "0", "msg": "", "connId": CONN_ID})

    def _subscribe(self, server: StreamServer, client: StreamClient, message: dict[str, Any],
                   subscribe: bool) -> list[str]:
        ident = message.get("id")
        replies: list[str] = []
        for arg in message.get("args") or []:
            channel = arg.get("channel") if isinstance(arg, dict) else None
            if channel not in CHANNELS:
                replies.append(self._error("60018", f"Wrong URL or channel:{channel}", ident))
                continue
            kind, private = CHANNELS[channel]
            if private != (client.role == "private"):
                code = "60008" if private else "64001"  # a channel on the wrong URL
                replies.append(self._error(code, f"channel:{channel} on the wrong URL", ident))
                continue
            if private and not client.logged_in:
                replies.append(self._error("60011", "Please log in", ident))
                continue
            native: str | None = None
            if not private:
                native = str(arg.get("instId") or "")
                try:
                    self.sim.state.market(native)
                except SimReject:
                    replies.append(self._error(
                        "60018", f"Wrong URL or channel:{channel},instId:{native} doesn't "
                        "exist", ident))
                    continue
            topic = (kind, native)
            echo = {"id": ident} if ident is not None else {}
            replies.append(json.dumps({**echo, "event": "subscribe" if subscribe
                                       else "unsubscribe", "arg": arg, "connId": CONN_ID}))
            if subscribe:
                client.topics.add(topic)
                if channel == "books" and native is not None:
                    replies.append(server.book_snapshot_frame(native, 400))
            else:
                client.topics.discard(topic)
        return replies

    def _error(self, code: str, msg: str, ident: Any = None) -> str:
        echo = {"id": ident} if ident is not None else {}
        return json.dumps({**echo, "event": "error", "code": code, "msg": msg,
                           "connId": CONN_ID})

    def error_frame(self, reject: SimReject) -> str:
        return self._error("60012" if reject.kind is ErrorKind.INVALID else "63999",
                           reject.message)

    # ------------------------------------------------------------ pushes

    def _contracts(self, native: str) -> Decimal:
        return self.sim.state.markets[native].contract_size or Decimal(1)

    def fill_frame(self, fill: SimFill) -> str | None:
        self._fills[fill.order_id] = fill  # OKX sends it inside the order's push
        return None

    def order_frame(self, order: SimOrder) -> str:
        row = self.sim._order_json(order)
        row.update({"fillPx": "", "fillSz": "0", "tradeId": "", "fillTime": "",
                    "fillFee": "0", "fillFeeCcy": "", "execType": "", "amendResult": "",
                    "reqId": "", "code": "0", "msg": ""})
        fill = self._fills.pop(order.order_id, None)
        if fill is not None:
            row.update({"fillPx": format_decimal(fill.price),
                        "fillSz": format_decimal(fill.quantity / self._contracts(order.symbol)),
                        "tradeId": fill.trade_id, "fillTime": str(fill.time_ms),
                        "fillFee": format_decimal(-fill.fee), "fillFeeCcy": fill.fee_asset,
                        "execType": "M" if fill.is_maker else "T"})
        return json.dumps({"arg": {"channel": "orders", "instType": "SWAP", "uid": UID},
                           "data": [row]})

    def balance_frame(self, state: SimState) -> str:
        now = str(self.sim.now_ms())
        details = []
        for asset in sorted(state.free):
            free, used = state.balance(asset)
            details.append({"ccy": asset, "eq": format_decimal(free + used),
                            "cashBal": format_decimal(free + used),
                            "availBal": format_decimal(free), "availEq": format_decimal(free),
                            "frozenBal": format_decimal(used), "ordFrozen": format_decimal(used),
                            "upl": "0", "uTime": now})
        return json.dumps({"arg": {"channel": "account", "uid": UID},
                           "eventType": "event_update", "curPage": 1, "lastPage": True,
                           "data": [{"uTime": now, "details": details}]})

    def positions_frame(self, state: SimState) -> str:
        rows = []
        for held in state.positions.values():
            market = state.markets[held.symbol]
            contracts = held.quantity / self._contracts(held.symbol)
            rows.append({
                "instType": "SWAP", "instId": held.symbol, "mgnMode": "cross",
                "posSide": "net", "pos": format_decimal(contracts),
                "avgPx": format_decimal(held.entry_price), "markPx": format_decimal(market.price),
                "upl": format_decimal((market.price - held.entry_price) * held.quantity),
                "lever": str(state.leverage.get(held.symbol, 1)), "liqPx": "",
                "ccy": market.quote, "uTime": str(self.sim.now_ms())})
        return json.dumps({"arg": {"channel": "positions", "instType": "SWAP", "uid": UID},
                           "eventType": "event_update", "data": rows})

    def ticker_frame(self, native: str, bid: Decimal, ask: Decimal, last: Decimal) -> str:
        return json.dumps({"arg": {"channel": "tickers", "instId": native}, "data": [{
            "instType": "SWAP", "instId": native, "last": format_decimal(last), "lastSz": "1",
            "askPx": format_decimal(ask), "askSz": "1", "bidPx": format_decimal(bid),
            "bidSz": "1", "open24h": format_decimal(last), "high24h": format_decimal(last),
            "low24h": format_decimal(last), "volCcy24h": "0", "vol24h": "0",
            "ts": str(self.sim.now_ms())}]})

    def trade_frame(self, native: str, trade_id: str, side: str, price: Decimal,
                    quantity: Decimal) -> str:
        return json.dumps({"arg": {"channel": "trades", "instId": native}, "data": [{
            "instId": native, "tradeId": trade_id, "px": format_decimal(price),
            "sz": format_decimal(quantity / self._contracts(native)), "side": side.lower(),
            "ts": str(self.sim.now_ms()), "count": "1", "source": "0"}]})

    def book_frame(self, native: str, bids: BookSide, asks: BookSide, *, snapshot: bool,
                   sequence: int, prev_sequence: int) -> str:
        size = self._contracts(native)

        def levels(side: BookSide) -> list[list[str]]:
            return [[format_decimal(p), format_decimal(q / size), "0", "1"] for p, q in side]
        return json.dumps({"arg": {"channel": "books", "instId": native},
                           "action": "snapshot" if snapshot else "update", "data": [{
                               "asks": levels(asks), "bids": levels(bids),
                               "ts": str(self.sim.now_ms()), "checksum": 0,
                               "prevSeqId": -1 if snapshot else prev_sequence,
                               "seqId": sequence}]})

    def expired_frame(self) -> str | None:
        return None  # OKX closes the socket (no listenKey to expire)
