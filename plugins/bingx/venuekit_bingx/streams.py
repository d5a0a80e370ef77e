"""BingX perpetual swap WebSocket streams: one socket URL, listenKey for account data.

Facts (``bingx-account-streams.md`` in the venue research, from BingX's docs):

- ``wss://open-api-swap.bingx.com/swap-market`` (VST demo: ``wss://vst-open-api-ws.bingx.com``);
  account data on the same path with ``?listenKey=``, every account event pushed without a
  subscription. The listenKey comes from ``POST /openApi/user/auth/userDataStream``, lives
  60 minutes and is extended with ``PUT`` (every 30 minutes here).
- Every server frame is gzipped; the server sends ``Ping`` every 5 s and wants ``Pong``.
- Orders: ``ORDER_TRADE_UPDATE`` (the current USDT-M page prints ``TRADE_UPDATE``: both are
  read). The push has no per-fill quantity, so fills are derived by the core from the change
  in the cumulative quantity ``z`` (``derive_fills``).
- ``ACCOUNT_UPDATE`` carries balances (``B``) and positions (``P``); positions are read as
  changes (BingX removed the snapshot in 2025-07). ``B`` has wallet balances only (``wb``,
  and ``cw`` outside isolated margin), not the available margin REST reports as ``free``,
  so a balance change asks the core to read the balance over REST (as on Binance).
- Public data: ``<symbol>@ticker``, ``<symbol>@trade`` (trades without an id: one is made of
  time, price, quantity and side), ``<symbol>@incrDepth`` (a full book ``action:"all"``, then
  updates whose ``lastUpdateId`` is the previous one + 1; a gap resubscribes). One
  ``dataType`` per subscribe frame, answered by ``{"id", "code": 0}``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from venuekit.account_models import MarginMode, Position, PositionSide, Ticker, Trade
from venuekit.errors import ExchangeError
from venuekit.models import Market, OrderResult, OrderType, Side
from venuekit.payload import Reader
from venuekit.stream_models import (
    Ack,
    BookRecovery,
    BookUpdate,
    Compression,
    Ping,
    PositionsUpdate,
    ResyncNeeded,
    SessionExpired,
    SocketContext,
    StreamEvent,
    StreamFailure,
    StreamFrame,
    StreamInfo,
    StreamKind,
    StreamRole,
    StreamSession,
    Subscription,
)
from venuekit.wire import Call, Request, Response

from . import errors, parsing

NAME = parsing.NAME
HOSTS = {False: "wss://open-api-swap.bingx.com", True: "wss://vst-open-api-ws.bingx.com"}
PATH = "/swap-market"
LISTEN_KEY_PATH = "/openApi/user/auth/userDataStream"
PING = "Ping"
PONG = "Pong"
#: "one socket ≤ 200 topics" (80403 beyond)
MAX_TOPICS_PER_SOCKET = 200
#: the server pings every 5 s: three missed pings mean a dead socket
IDLE_TIMEOUT_S = 15.0
ORDER_EVENTS = frozenset({"ORDER_TRADE_UPDATE", "TRADE_UPDATE"})
_STREAMS = {StreamKind.TICKER: "ticker", StreamKind.TRADES: "trade",
            StreamKind.ORDER_BOOK: "incrDepth"}


def stream_info() -> StreamInfo:
    return StreamInfo(
        kinds=frozenset(StreamKind), heartbeat=None, idle_timeout_s=IDLE_TIMEOUT_S,
        compression=Compression.GZIP, max_subscriptions_per_connection=MAX_TOPICS_PER_SOCKET,
        max_subscriptions_per_frame=1, book_recovery=BookRecovery.RESUBSCRIBE,
        book_snapshot_on_subscribe=True, derive_fills=True, subscribe_acks=True)


# ---------------------------------------------------------------- listenKey session


def _listen_key(response: Response) -> str:
    """``{"listenKey": ...}`` as documented, or the same under ``data`` (seen in clients)."""
    body = Reader.of(response)
    if body.get("listenKey") is not None:
        return body.text("listenKey")
    return body.at("data").text("listenKey")


def _ignore(response: Response) -> object:
    return None


def _key_call(method: str, key: str | None) -> Request:
    query = [] if key is None else [("listenKey", key)]
    # no rate limit is documented for the listenKey calls: nothing to count
    return Request(method=method, path=LISTEN_KEY_PATH, query=query, signed=True)


def stream_session(role: StreamRole) -> StreamSession | None:
    if role is not StreamRole.PRIVATE:
        return None
    return StreamSession(
        create=Call(_key_call("POST", None), _listen_key),
        keepalive=lambda key: Call(_key_call("PUT", key), _ignore),
        close=lambda key: Call(_key_call("DELETE", key), _ignore),
        keepalive_interval_s=1800.0)


def stream_url(context: SocketContext) -> str | None:
    url = HOSTS[context.testnet] + PATH
    if context.role is StreamRole.PRIVATE:
        if not context.session_key:
            return None
        return f"{url}?listenKey={context.session_key}"
    return url if context.role is StreamRole.PUBLIC else None


def data_type(sub: Subscription) -> str | None:
    """``BTC-USDT@ticker`` and the like; None for account streams (pushed unasked)."""
    if sub.kind.private or sub.market is None:
        return None
    return f"{sub.market.native}@{_STREAMS[sub.kind]}"


def stream_subscribe(context: SocketContext, subscriptions: list[Subscription],
                     subscribe: bool) -> list[str]:
    frames = []
    for index, sub in enumerate(subscriptions):
        name = data_type(sub)
        if name is not None:
            frames.append(json.dumps({"id": f"{context.request_id}-{index}",
                                      "reqType": "sub" if subscribe else "unsub",
                                      "dataType": name}))
    return frames


# ---------------------------------------------------------------- parsing


def parse_stream_frame(frame: StreamFrame) -> list[StreamEvent]:
    text = frame.text.strip()
    if text == PING:
        return [Ping(PONG)]
    message = json.loads(text, parse_float=Decimal)  # numbers stay exact
    if not isinstance(message, dict):
        return []
    markets = frame.markets
    event = message.get("e")
    if event is not None:
        return _account_event(str(event), Reader(message, exchange=NAME), markets)
    kind = str(message.get("dataType") or "")
    if kind and message.get("data") is not None:
        return _public(kind, Reader(message, exchange=NAME), markets)
    if "code" in message:
        return _answer(message)
    return []


def _answer(message: dict[str, Any]) -> list[StreamEvent]:
    code = errors._code(message.get("code"))
    if code == 0:
        return [Ack(str(message["id"]) if message.get("id") is not None else None)]
    text = str(message.get("msg") or f"BingX stream error {message.get('code')}")
    error = errors.error_for(code, text) if code is not None else ExchangeError(text)
    return [StreamFailure(error, fatal=False)]


def _account_event(event: str, body: Reader,
                   markets: Mapping[str, Market]) -> list[StreamEvent]:
    if event in ORDER_EVENTS:
        row = body.at("o")
        market = markets.get(row.text("s"))
        return [] if market is None else [order(row, market)]
    if event == "ACCOUNT_UPDATE":
        update = body.at("a")
        out: list[StreamEvent] = []
        if update.get("P") is not None:
            held = [position(item, markets[item.text("s")]) for item in update.rows("P")
                    if item.text("s") in markets]
            if held:
                out.append(PositionsUpdate(positions=held, complete=False))
        if update.get("B") and update.rows("B"):
            # ``B`` has the wallet balance and ``cw`` (the wallet outside isolated margin)
            # but not the available margin that REST's ``free`` is (``availableMargin``):
            # cross position and order margin are still inside ``cw``. As on Binance, the
            # core reads the balance over REST instead of trusting a wrong ``free``.
            out.insert(0, ResyncNeeded(StreamKind.BALANCE))
        return out
    if event == "listenKeyExpired":
        return [SessionExpired()]
    return []  # ACCOUNT_CONFIG_UPDATE (leverage, margin mode): no stream of its own


def order(row: Reader, market: Market) -> OrderResult:
    """One ``o`` object: ``i`` id, ``c`` client id, ``X`` status, ``z`` cumulative filled."""
    status = parsing.STATUS.get(row.text("X").upper())
    if status is None:
        raise row.error(f"unknown order status {row.get('X')!r}", "X")
    kind = row.text("o").upper()
    filled = row.decimal("z", default=Decimal(0))
    average = row.nonzero_decimal("ap")
    unified = OrderType.MARKET if "MARKET" in kind or kind == "LIQUIDATION" else OrderType.LIMIT
    return OrderResult(
        exchange=NAME, symbol=market.symbol, order_id=row.text("i"),
        client_order_id=row.optional_text("c"), side=Side(row.text("S").lower()),
        type=unified, status=status, quantity=row.optional_decimal("q"),
        # a MARKET push carries the execution price in ``p`` (BX-V3 example: "p" equals
        # "ap"); a unified market order has no price
        price=None if unified is OrderType.MARKET else row.nonzero_decimal("p"),
        filled_quantity=filled, average_price=average if filled else None,
        reduce_only=row.boolean("ro", default=False),
        updated_at=row.optional_timestamp("T"))


def position(row: Reader, market: Market) -> Position:
    """One ``P`` item; ``pa`` 0 is a closed position."""
    amount = row.decimal("pa")
    side = str(row.get("ps") or "").upper()
    if side in ("LONG", "SHORT"):
        held = PositionSide(side.lower())
    else:  # one-way mode ("BOTH"): the sign tells
        held = PositionSide.SHORT if amount < 0 else PositionSide.LONG
    mode = str(row.get("mt") or "").lower()
    return Position(symbol=market.symbol, side=held, quantity=abs(amount),
                    entry_price=row.optional_decimal("ep"),
                    unrealized_pnl=row.optional_decimal("up"),
                    margin_mode=MarginMode.CROSS if mode == "cross"
                    else MarginMode.ISOLATED if mode == "isolated" else None)


def _public(kind: str, body: Reader, markets: Mapping[str, Market]) -> list[StreamEvent]:
    native, _, stream = kind.partition("@")
    market = markets.get(native)
    if market is None:
        return []
    data = body.at("data")
    if stream == "ticker":
        # 24h ticker: B / A best bid / ask price (b / a their quantities), c last
        return [Ticker(symbol=market.symbol, bid=data.optional_decimal("B"),
                       ask=data.optional_decimal("A"), last=data.optional_decimal("c"),
                       timestamp=data.timestamp("E"))]
    if stream == "trade":
        rows = [data] if data.is_object() else data.rows()
        return [trade(row, market) for row in rows]
    if stream == "incrDepth":
        return [BookUpdate(symbol=market.symbol, bids=_levels(data.at("bids")),
                           asks=_levels(data.at("asks")),
                           snapshot=data.text("action") == "all",
                           sequence=data.integer("lastUpdateId"),
                           timestamp=data.optional_timestamp("time"))]
    return []


def trade_id(row: Reader) -> str:
    """BingX swap trades carry no id: time, price, quantity and taker side make one."""
    taker = "s" if row.boolean("m", default=False) else "b"
    return f"{row.integer('T')}:{row.text('p')}:{row.text('q')}:{taker}"


def trade(row: Reader, market: Market) -> Trade:
    """``m`` true: the buyer was the maker, so the taker sold."""
    return Trade(symbol=market.symbol, trade_id=trade_id(row),
                 side=Side.SELL if row.boolean("m", default=False) else Side.BUY,
                 price=row.decimal("p"), quantity=row.decimal("q"),
                 timestamp=row.timestamp("T"))


def _levels(rows: Reader) -> list[tuple[Decimal, Decimal]]:
    """``[price, coin quantity]``; ``"0.0000"`` removes the level (sides come unsorted)."""
    return [(level.decimal(0), level.decimal(1)) for level in rows.items()]
