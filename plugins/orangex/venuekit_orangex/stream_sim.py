"""OrangeX's WebSocket as the simulator serves it, written from OX-DOC, the OX-AOW probe and
OX-DY's live frames, apart from the plugin.

One path, ``/ws/api/v1`` on the REST port, for public and private data (the stream server
knows it as role "private"). JSON-RPC requests: ``/public/auth`` (``client_credentials``,
the secret checked here), ``/public/subscribe``, ``/public/unsubscribe``,
``/private/subscribe`` (after auth), and the text ``PING`` (answered ``PONG``). A frame
with one bad channel is refused whole (3401). The server never pings and cuts a socket
``idle_cut_s`` (30 s) after the client's last frame, even while it pushes data (OX-AOW).
Book deltas carry ``change_id``, one more per change; there is no snapshot on subscribe.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import secrets
import time
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from venuekit.testing.state import SimFill, SimOrder, SimReject, SimState
from venuekit.testing.stream_server import BookSide, StreamClient, StreamServer, StreamVenue

if TYPE_CHECKING:
    from .simulator import OrangeXSimulator

ACCOUNT_CHANNEL = "user.changes.perpetual.PERPETUAL.raw"
PUBLIC = {"ticker": "ticker", "book": "order_book", "trades": "trades"}
ACCOUNT_TOPICS = (("orders", None), ("fills", None), ("positions", None))
AUTH_FAILURE, NO_SERVICE, CHANNEL_MISMATCH = 10000, 1000, 3401


def _dumps(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"))


def _fmt(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


def _push(channel: str, data: Any) -> str:
    return _dumps({"jsonrpc": "2.0", "method": "subscription",
                   "params": {"channel": channel, "data": data}})


class OrangeXStreamVenue(StreamVenue):
    paths: ClassVar[dict[str, str]] = {"/ws/api/v1": "private"}

    def __init__(self, simulator: OrangeXSimulator, idle_cut_s: float) -> None:
        self.sim = simulator
        self.idle_cut_s = idle_cut_s
        self._watchdogs: set[asyncio.Task[None]] = set()
        self._tokens: set[str] = set()  # issued by /public/auth on a socket

    def on_open(self, server: StreamServer, client: StreamClient) -> None:
        task = asyncio.get_running_loop().create_task(self._watchdog(client))
        self._watchdogs.add(task)
        task.add_done_callback(self._watchdogs.discard)

    async def _watchdog(self, client: StreamClient) -> None:
        """Close the socket ``idle_cut_s`` after the client's last frame (no close frame
        is promised live: code 1006; a plain close here)."""
        while not client.ws.closed:
            await asyncio.sleep(self.idle_cut_s / 10)
            if time.monotonic() - client.last_heard > self.idle_cut_s:
                with contextlib.suppress(Exception):
                    await client.ws.close()
                return

    # ------------------------------------------------------------ requests

    def on_frame(self, server: StreamServer, client: StreamClient, text: str) -> list[str]:
        if text.strip() == "PING":
            return ["PONG"]
        try:
            message = json.loads(text)
        except ValueError:
            return [_dumps({"jsonrpc": "2.0",
                            "error": {"code": 9902, "message": "json parse error"}})]
        call_id = message.get("id")
        call_id = None if call_id is None else str(call_id)
        method = message.get("method")
        params = message.get("params") or {}
        try:
            result = self._call(server, client, str(method), params)
        except _Refused as refused:
            return [_dumps({"jsonrpc": "2.0", "id": call_id,
                            "error": {"code": refused.code, "message": refused.message,
                                      "data": refused.data}})]
        replies = [_dumps({"jsonrpc": "2.0", "id": call_id, "result": result})]
        return replies

    def _call(self, server: StreamServer, client: StreamClient, method: str,
              params: dict[str, Any]) -> Any:
        if method == "/public/auth":
            return self._auth(server, client, params)
        if method == "/public/ping":
            return {}
        if method == "/private/subscribe":
            # OX-DOC: a private call on the socket carries params.access_token, a live
            # token (of this socket's /public/auth or of a REST login)
            token = params.get("access_token")
            if token is None or not self._token_valid(str(token)):
                raise _Refused(AUTH_FAILURE, "Authentication Failure")
            channels = list(params.get("channels", []))
            if any(name != ACCOUNT_CHANNEL for name in channels):
                raise _Refused(CHANNEL_MISMATCH, "channel regex not match",
                               {"channel": next(n for n in channels if n != ACCOUNT_CHANNEL)})
            client.topics.update(ACCOUNT_TOPICS)
            return channels
        if method in ("/public/subscribe", "/public/unsubscribe"):
            channels = list(params.get("channels", []))
            topics = [self._public_topic(name) for name in channels]  # all or nothing
            for topic in topics:
                if method == "/public/subscribe":
                    client.topics.add(topic)
                else:
                    client.topics.discard(topic)
            return channels
        raise _Refused(NO_SERVICE, "No service found")

    def _auth(self, server: StreamServer, client: StreamClient, params: dict[str, Any]) -> Any:
        credentials = self.sim.credentials
        secret = str(params.get("client_secret", ""))
        if server.login_refused() or params.get("grant_type") != "client_credentials" \
                or params.get("client_id") != credentials.api_key \
                or not hmac.compare_digest(secret.encode(), credentials.api_secret.encode()):
            raise _Refused(AUTH_FAILURE, "Authentication Failure")
        client.logged_in = True
        token = secrets.token_urlsafe(24)
        self._tokens.add(token)
        return {"access_token": token, "token_type": "bearer",
                "refresh_token": secrets.token_urlsafe(24), "expires_in": 43199,
                "scope": "account:read_write trade:read_write"}

    def _token_valid(self, token: str) -> bool:
        session = self.sim.sessions.get(token)
        if session is not None:
            return session.expires_ms > self.sim.now_ms()
        return token in self._tokens

    def _public_topic(self, name: str) -> tuple[str, str | None]:
        kind, _, rest = name.partition(".")
        instrument, _, interval = rest.rpartition(".")
        if kind not in PUBLIC or interval != "raw" or instrument not in self.sim.state.markets:
            raise _Refused(CHANNEL_MISMATCH, "channel regex not match", {"channel": name})
        return (PUBLIC[kind], instrument)

    def error_frame(self, reject: SimReject) -> str:
        return _dumps({"jsonrpc": "2.0", "id": None,
                       "error": {"code": reject.code or 8000, "message": reject.message}})

    # ------------------------------------------------------------ pushes

    def order_frame(self, order: SimOrder) -> str:
        return _push(ACCOUNT_CHANNEL, {"orders": [self.sim.order_record(order)],
                                       "instrument_name": order.symbol})

    def fill_frame(self, fill: SimFill) -> str:
        """One ``user.changes`` push bundling the fill with the positions after it, as
        OX-DOC's example carries ``trades`` and ``positions`` together."""
        return _push(ACCOUNT_CHANNEL, {
            "instrument_name": fill.symbol, "positions": self._positions(self.sim.state),
            "trades": [{
                "trade_id": fill.trade_id, "order_id": fill.order_id,
                "instrument_name": fill.symbol, "direction": fill.side,
                "amount": _fmt(fill.quantity), "price": _fmt(fill.price),
                "fee": _fmt(fill.fee), "fee_coin_type": fill.fee_asset,
                "role": "maker" if fill.is_maker else "taker", "timestamp": fill.time_ms,
                "rpl": "0"}]})

    def balance_frame(self, state: SimState) -> None:
        return None  # not streamed (user.asset.* is unverified)

    def positions_frame(self, state: SimState) -> None:
        return None  # positions travel with the fill that changed them (fill_frame)

    def _positions(self, state: SimState) -> list[dict[str, Any]]:
        rows = []
        for name, position in state.positions.items():
            mark = state.markets[name].price
            rows.append({
                "instrument_name": name, "position_side": "BOTH",
                "size": _fmt(position.quantity),
                "direction": "buy" if position.quantity >= 0 else "sell",
                "average_price": _fmt(position.entry_price), "mark_price": _fmt(mark),
                "floating_profit_loss": _fmt((mark - position.entry_price) * position.quantity),
                "leverage": str(state.leverage.get(name, self.sim.default_leverage)),
                "liquid_price": "0", "margin_type": "cross"})
        return rows

    def ticker_frame(self, native: str, bid: Decimal, ask: Decimal, last: Decimal) -> str:
        return _push(f"ticker.{native}.raw", {
            "timestamp": str(self.sim.now_ms()), "state": "open", "last_price": _fmt(last),
            "instrument_name": native, "best_bid_price": float(bid), "best_bid_amount": 1.0,
            "best_ask_price": float(ask), "best_ask_amount": 1.0, "mark_price": _fmt(last)})

    def trade_frame(self, native: str, trade_id: str, side: str, price: Decimal,
                    quantity: Decimal) -> str:
        return _push(f"trades.{native}.raw", [{
            "timestamp": str(self.sim.now_ms()), "price": _fmt(price), "amount": _fmt(quantity),
            "direction": side.lower(), "instrument_name": native, "trade_id": trade_id,
            "mark_price": _fmt(price)}])

    def book_frame(self, native: str, bids: BookSide, asks: BookSide, *, snapshot: bool,
                   sequence: int, prev_sequence: int) -> str:
        def levels(side: BookSide) -> list[list[str]]:
            return [["delete" if not q else "new", f"{p:.8f}", _fmt(q) or "0"]
                    for p, q in side]  # prices zero-padded on the socket (OX-AOW)
        return _push(f"book.{native}.raw", {
            "timestamp": self.sim.now_ms(), "change_id": sequence, "bids": levels(bids),
            "asks": levels(asks), "instrument_name": native})

    def expired_frame(self) -> None:
        return None  # no expiry message: the socket is closed


class _Refused(Exception):
    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code, self.message, self.data = code, message, data
