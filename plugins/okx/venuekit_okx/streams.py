"""OKX V5 WebSocket streams: hosts, login, subscribe frames and the parsing of pushes.

Facts (``okx-account-streams.md`` in the venue research, from OKX's V5 docs):

- Sockets ``wss://ws.okx.com:8443/ws/v5/public`` and ``/ws/v5/private``; demo trading is
  chosen by host (``wspap.okx.com``), not by a header.
- Login (private socket) signs ``timestamp + "GET" + "/users/self/verify"`` with the
  timestamp in **seconds**, Base64 HMAC-SHA256, answered by ``{"event":"login"}``.
- Client heartbeat: the text frame ``ping`` (answer ``pong``); OKX cuts a socket that
  carried nothing for 30 s.
- ``orders`` sends no snapshot on subscribe (the core's REST resync covers it) and carries
  each execution of the order (``tradeId``, ``fillSz``, ``fillPx``, ``fillFee``): fills are
  read from it, since the ``fills`` channel is for VIP4+ accounts only.
- Books: ``books`` sends a snapshot (``prevSeqId -1``) then updates chained by
  ``prevSeqId == previous seqId``; ``checksum`` is fixed to 0 since June 2026 and is not
  read. A heartbeat update repeats ``seqId`` with empty sides; a maintenance reset has
  ``seqId < prevSeqId`` and still chains by ``prevSeqId`` (the core applies it).
- Every size (orders, positions, books, trades) is in contracts: converted to base
  currency with the market's ``ctVal``.
- One ``subscribe`` event comes back per channel of a frame; the frame's ``id`` names its
  first channel (a CRC), and only that channel's answer counts as the frame's
  :class:`~venuekit.stream_models.Ack`, so the core waits for every frame.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import zlib
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from venuekit.account_models import Fill, Position, PositionSide, Ticker, Trade
from venuekit.errors import (
    AuthenticationError,
    ExchangeError,
    ExchangeUnavailable,
    InvalidSignature,
    InvalidTimestamp,
    RateLimitExceeded,
    VenueError,
)
from venuekit.models import Balance, Market
from venuekit.payload import Reader
from venuekit.stream_models import (
    Ack,
    BalanceUpdate,
    BookRecovery,
    BookUpdate,
    Heartbeat,
    LoggedIn,
    Pong,
    PositionsUpdate,
    SessionExpired,
    SocketContext,
    StreamEvent,
    StreamFailure,
    StreamFrame,
    StreamInfo,
    StreamKind,
    StreamRole,
    Subscription,
)

from . import account, errors, parsing
from .contracts import to_base

NAME = parsing.NAME
HOSTS = {False: "wss://ws.okx.com:8443", True: "wss://wspap.okx.com:8443"}
PATHS = {StreamRole.PUBLIC: "/ws/v5/public", StreamRole.PRIVATE: "/ws/v5/private"}
VERIFY_PATH = "/users/self/verify"
PING = "ping"
PONG = "pong"
#: fewer than 30 channels a socket (OKX's advice for deep books); 64 KB a frame is far off
MAX_CHANNELS_PER_SOCKET = 25
MAX_CHANNELS_PER_FRAME = 10
#: 3 new sockets a second per IP
CONNECTIONS_PER_MINUTE = 180
#: WebSocket error codes (OKX "Error Code > WebSocket",
#: https://www.okx.com/docs-v5/en/#error-code-websocket) -> core error classes.
WS_ERRORS: dict[str, type[VenueError]] = {
    # the key, passphrase or signature: refused for good (fatal, no reconnect)
    "60005": AuthenticationError,   # Invalid apiKey
    "60007": InvalidSignature,      # Invalid sign
    "60009": AuthenticationError,   # Login failure
    "60011": AuthenticationError,   # Please log in
    "60022": AuthenticationError,   # Bulk login partially succeeded (older table)
    "60024": AuthenticationError,   # Wrong passphrase
    "60032": AuthenticationError,   # API key doesn't exist
    # the login's seconds timestamp: a clock matter, recovered by a new login
    "60004": InvalidTimestamp,      # Invalid timestamp
    "60006": InvalidTimestamp,      # Timestamp request expired (30 s after the timestamp)
    "60014": RateLimitExceeded,     # Requests too frequent
    "60023": RateLimitExceeded,     # Bulk login requests too frequent
    "63999": ExchangeUnavailable,   # Login failed due to internal error, try again later
    "64007": ExchangeUnavailable,   # Operation failed due to WebSocket internal error
}
#: login refusals that a new socket and a fresh login may cure: the socket is replaced
#: (with the core's backoff) instead of waiting for a login answer that will not come
RETRY_LOGIN_CODES = frozenset({"60004", "60006", "60023", "63999"})


def stream_info() -> StreamInfo:
    return StreamInfo(
        kinds=frozenset(StreamKind), heartbeat=Heartbeat(15.0, PING), idle_timeout_s=30.0,
        max_subscriptions_per_connection=MAX_CHANNELS_PER_SOCKET,
        max_subscriptions_per_frame=MAX_CHANNELS_PER_FRAME,
        connections_per_minute=CONNECTIONS_PER_MINUTE,
        book_recovery=BookRecovery.RESUBSCRIBE, book_snapshot_on_subscribe=True,
        subscribe_acks=True)


def stream_url(context: SocketContext) -> str | None:
    path = PATHS.get(context.role)
    return None if path is None else HOSTS[context.testnet] + path


def login_signature(secret: str, timestamp_s: str) -> str:
    """Base64(HMAC-SHA256(secret, seconds + "GET" + "/users/self/verify"))."""
    message = f"{timestamp_s}GET{VERIFY_PATH}".encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def stream_login(context: SocketContext) -> list[str]:
    if context.role is not StreamRole.PRIVATE or context.auth is None:
        return []
    credentials = context.auth.credentials
    seconds = str(context.timestamp_ms // 1000)
    return [json.dumps({"op": "login", "args": [{
        "apiKey": credentials.api_key, "passphrase": credentials.passphrase or "",
        "timestamp": seconds, "sign": login_signature(credentials.api_secret, seconds)}]})]


def channel_arg(sub: Subscription) -> dict[str, str]:
    """The ``args`` item of one subscription. FILLS read the ``orders`` channel."""
    if sub.kind in (StreamKind.ORDERS, StreamKind.FILLS):
        arg = {"channel": "orders", "instType": account.INST_TYPE}
    elif sub.kind is StreamKind.POSITIONS:
        arg = {"channel": "positions", "instType": account.INST_TYPE}
    elif sub.kind is StreamKind.BALANCE:
        return {"channel": "account"}
    else:
        channel = {StreamKind.TICKER: "tickers", StreamKind.ORDER_BOOK: "books",
                   StreamKind.TRADES: "trades"}[sub.kind]
        return {"channel": channel,
                "instId": "" if sub.market is None else sub.market.native}
    if sub.market is not None:
        arg["instId"] = sub.market.native
    return arg


def arg_tag(arg: dict[str, Any]) -> str:
    """A short fingerprint of a channel argument, echoed in the frame's ``id``."""
    key = "|".join(str(arg.get(k, "")) for k in ("channel", "instType", "instId", "ccy"))
    return f"{zlib.crc32(key.encode()):08x}"


def stream_subscribe(context: SocketContext, subscriptions: list[Subscription],
                     subscribe: bool) -> list[str]:
    args: list[dict[str, str]] = []
    for sub in subscriptions:
        arg = channel_arg(sub)
        if arg not in args:
            args.append(arg)
    if not subscribe:
        # ORDERS and FILLS share the orders channel: keep it while the other is watched
        # (the subscriptions being removed may still be listed: a resubscribe)
        leaving = {sub.key for sub in subscriptions}
        staying = [channel_arg(s) for s in context.subscriptions if s.key not in leaving]
        args = [arg for arg in args if arg not in staying]
    if not args:
        return []
    return [json.dumps({"id": f"{context.request_id}n{arg_tag(args[0])}",
                        "op": "subscribe" if subscribe else "unsubscribe", "args": args})]


# ---------------------------------------------------------------- parsing


def parse_stream_frame(frame: StreamFrame) -> list[StreamEvent]:
    if frame.text == PONG:
        return [Pong()]
    message = json.loads(frame.text)
    if "event" in message:
        return _event(message)
    body = Reader(message, exchange=NAME)
    channel = body.at("arg").text("channel")
    rows = body.rows("data")
    markets = frame.markets
    if channel == "orders":
        return [event for row in rows for event in _order(row, markets)]
    if channel == "account":
        return [BalanceUpdate(balance=Balance(NAME, [parsing._asset(item) for row in rows
                                                     for item in row.rows("details")]),
                              complete=_complete(message))]
    if channel == "positions":
        held = []
        for row in rows:
            market = markets.get(row.text("instId"))
            if market is not None:
                held.append(_position(row, market))
        return [PositionsUpdate(positions=held, complete=_complete(message))]
    market = markets.get(body.at("arg").text("instId"))
    if market is None:
        return []
    if channel == "tickers":
        return [_ticker(row, market) for row in rows]
    if channel == "trades":
        return [Trade(symbol=market.symbol, trade_id=row.text("tradeId"),
                      side=row.text("side"), price=row.decimal("px"),
                      quantity=to_base(row.decimal("sz"), market),
                      timestamp=row.timestamp("ts")) for row in rows]
    if channel == "books":
        return [event for row in rows
                for event in _book(row, market, body.optional_text("action") == "snapshot")]
    return []


def _event(message: dict[str, Any]) -> list[StreamEvent]:
    event = str(message["event"])
    if event == "login":
        return [LoggedIn()]
    if event in ("subscribe", "unsubscribe"):
        ident = str(message.get("id") or "")
        _, _, tag = ident.partition("n")
        arg = message.get("arg")
        if tag and isinstance(arg, dict) and arg_tag(arg) != tag:
            return []  # another channel of the same frame: the frame counts once
        return [Ack(ident or None)]
    if event == "error":
        code = str(message.get("code", ""))
        text = str(message.get("msg", ""))
        return [_failure(code, text)]
    if event == "notice":
        # 64008: "The connection will soon be closed for a service upgrade. Please
        # reconnect." (OKX "WebSocket > Notification": sent 60 s before): replace the
        # socket now, re-login, resubscribe and resync, rather than lose it later
        return [SessionExpired()] if str(message.get("code")) == "64008" else []
    if event == "channel-conn-count-error":
        return [_failure(str(message.get("code", "")),
                                           f"too many connections on channel "
                                           f"{message.get('channel')}")]
    return []


def _failure(code: str, text: str) -> StreamFailure:
    """An ``event:"error"`` answer.

    A refused login (key, passphrase, signature) is fatal: the core stops that socket and
    tells its watchers. A timestamp, rate or internal login error is fatal to this socket
    only (the core reconnects with backoff and logs in afresh). Anything else (a refused
    subscribe) is logged by the core and the socket stays.
    """
    kind = WS_ERRORS.get(code) or errors.ERRORS.get(code, ExchangeError)
    error: VenueError = kind(text or f"OKX error {code}", exchange=NAME, code=code)
    return StreamFailure(error, fatal=isinstance(error, AuthenticationError)
                         or code in RETRY_LOGIN_CODES)


def _complete(message: dict[str, Any]) -> bool:
    """A one-page snapshot lists everything; an event update (or a page) only changes."""
    return (message.get("eventType") == "snapshot" and message.get("curPage", 1) in (1, "1")
            and message.get("lastPage", True) in (True, "true"))


def _order(row: Reader, markets: Mapping[str, Market]) -> list[StreamEvent]:
    market = markets.get(row.text("instId"))
    if market is None:
        return []  # an instrument the plugin does not trade (inverse swap, spot)
    out: list[StreamEvent] = [parsing.order(row, market)]
    trade_id = row.optional_text("tradeId")
    size = row.optional_decimal("fillSz")
    if trade_id and size:
        fee = row.optional_decimal("fillFee")
        out.append(Fill(
            symbol=market.symbol, order_id=row.text("ordId"),
            client_order_id=row.optional_text("clOrdId"), trade_id=trade_id,
            side=row.choice("side", parsing.SIDES), price=row.decimal("fillPx"),
            quantity=to_base(size, market), fee=Decimal(0) if fee is None else -fee,
            fee_currency=row.optional_text("fillFeeCcy"),
            is_maker={"M": True, "T": False}.get(str(row.get("execType"))),
            timestamp=row.timestamp("fillTime") if row.get("fillTime")
            else row.timestamp("uTime")))
    return out


def _position(row: Reader, market: Market) -> Position:
    """Like the REST row, but a flat position stays (quantity 0: it was closed)."""
    found = account.position(row, market)
    if found is not None:
        return found
    return Position(symbol=market.symbol, side=PositionSide.LONG, quantity=Decimal(0))


def _ticker(row: Reader, market: Market) -> Ticker:
    return Ticker(symbol=market.symbol, bid=row.optional_decimal("bidPx"),
                  ask=row.optional_decimal("askPx"), last=row.optional_decimal("last"),
                  timestamp=row.timestamp("ts"))


def _book(row: Reader, market: Market, snapshot: bool) -> list[StreamEvent]:
    sequence = row.integer("seqId")
    prev = row.optional_integer("prevSeqId")
    bids = account._levels(row.at("bids"), market)
    asks = account._levels(row.at("asks"), market)
    if not snapshot and prev == sequence and not bids and not asks:
        return []  # OKX's book heartbeat: nothing changed for ~60 s
    # a restart after maintenance (seqId < prevSeqId) still chains by prevSeqId == the last
    # seqId: the core applies it and carries on, as OKX's "Sequence ID" rules say
    return [BookUpdate(symbol=market.symbol, bids=bids, asks=asks, snapshot=snapshot,
                       sequence=sequence, prev_sequence=None if snapshot else prev,
                       timestamp=row.optional_timestamp("ts"))]
