"""Bybit V5 stream frames into venuekit events (pure functions, no I/O).

Control frames carry ``op``: ``auth`` / ``subscribe`` / ``unsubscribe`` answers with
``success`` and ``ret_msg``; the pong differs by socket: the public linear socket answers
``{"success": true, "ret_msg": "pong", "op": "ping"}``, the private one
``{"op": "pong", "args": ["<ms>"]}`` (both read as :class:`~venuekit.stream_models.Pong`).
Data frames carry ``topic``:

- ``order`` / ``execution`` / ``position`` / ``wallet``: ``data`` is a list of rows;
  the all-in-one topics carry every category, so only ``category == "linear"`` rows of
  listed markets are read; executions other than trades (funding, settlement) are left
  out; positions are the ones that changed (``size`` 0 closes one); the wallet lists the
  account's coins, read as ``fetch_balance`` reads them.
- ``orderbook.1.<SYM>``: the ticker (best bid and ask, every message complete).
- ``orderbook.<depth>.<SYM>``: ``type`` snapshot or delta, ``u`` the update id (one more
  per delta; ``u == 1`` comes as a snapshot after a restart), ``seq`` cross sequence.
- ``publicTrade.<SYM>``: up to 1024 trades a message, ``S`` the taker's side.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal

from venuekit.account_models import Position, PositionSide, Ticker, Trade
from venuekit.errors import AuthenticationError, ExchangeError
from venuekit.models import Market
from venuekit.payload import Reader
from venuekit.stream_models import (
    Ack,
    BalanceUpdate,
    BookUpdate,
    LoggedIn,
    Pong,
    PositionsUpdate,
    StreamEvent,
    StreamFailure,
    StreamFrame,
)

from . import parsing, positions

NAME = parsing.NAME
LINEAR = "linear"


def parse_stream_frame(frame: StreamFrame) -> list[StreamEvent]:
    message = json.loads(frame.text)
    if not isinstance(message, dict):
        return []
    if "topic" not in message:
        return control(message)
    body = Reader(message, exchange=NAME)
    name = body.text("topic")
    markets = frame.markets
    if name in ("order", "execution", "position", "wallet"):
        return _private(name, body.rows("data"), markets)
    kind, _, native = name.rpartition(".")
    market = markets.get(native)
    if market is None:
        return []
    if kind == "publicTrade":
        return [_trade(row, market) for row in body.rows("data")]
    if kind == "orderbook.1":
        data = body.at("data")
        bids, asks = _levels(data.at("b")), _levels(data.at("a"))
        return [Ticker(symbol=market.symbol, bid=bids[0][0] if bids else None,
                       ask=asks[0][0] if asks else None, last=None,
                       timestamp=body.timestamp("ts"))]
    if kind.startswith("orderbook."):
        data = body.at("data")
        return [BookUpdate(symbol=market.symbol, bids=_levels(data.at("b")),
                           asks=_levels(data.at("a")),
                           snapshot=body.text("type") == "snapshot",
                           sequence=data.integer("u"),
                           timestamp=body.optional_timestamp("cts")
                           or body.optional_timestamp("ts"))]
    return []


def control(message: Mapping[str, object]) -> list[StreamEvent]:
    op = message.get("op")
    if op == "pong" or (op == "ping" and message.get("ret_msg") == "pong"):
        return [Pong()]
    if op not in ("auth", "subscribe", "unsubscribe"):
        return []
    if message.get("success") is True:
        if op == "auth":
            return [LoggedIn()]
        req_id = message.get("req_id")
        return [Ack(str(req_id) if req_id else None)]
    reason = str(message.get("ret_msg") or f"{op} refused")
    if op == "auth":
        return [StreamFailure(AuthenticationError(f"stream login refused: {reason}",
                                                  exchange=NAME), fatal=True)]
    return [StreamFailure(ExchangeError(f"{op} refused: {reason}", exchange=NAME),
                          fatal=False)]


def _levels(rows: Reader) -> list[tuple[Decimal, Decimal]]:
    return [(level.decimal(0), level.decimal(1)) for level in rows.items()]


def _trade(row: Reader, market: Market) -> Trade:
    return Trade(symbol=market.symbol, trade_id=row.text("i"),
                 side=row.choice("S", parsing.SIDES), price=row.decimal("p"),
                 quantity=row.decimal("v"), timestamp=row.timestamp("T"))


def _private(name: str, rows: list[Reader],
             markets: Mapping[str, Market]) -> list[StreamEvent]:
    if name == "wallet":
        return [BalanceUpdate(balance=parsing.unified_balance(rows), complete=False)]
    events: list[StreamEvent] = []
    changed: list[Position] = []
    for row in rows:
        market = markets.get(str(row.get("symbol")))
        if row.get("category") != LINEAR or market is None:
            continue
        if name == "order":
            events.append(parsing.order(row, market))
        elif name == "execution":
            if row.get("execType") in positions.FILL_TYPES:
                events.append(positions.fill(row, market))
        else:
            changed.append(position(row, market))
    if changed:
        events.append(PositionsUpdate(positions=changed, complete=False))
    return events


def position(row: Reader, market: Market) -> Position:
    """A ``position`` row: ``entryPrice`` (not REST's ``avgPrice``); ``side`` "" and
    ``size`` 0 when closed; hedge legs by ``positionIdx`` 1 / 2."""
    size = row.decimal("size", default=parsing.ZERO)
    index = row.integer("positionIdx") if row.has("positionIdx") else 0
    if index in (1, 2):
        side = PositionSide.LONG if index == 1 else PositionSide.SHORT
    else:
        side = PositionSide.SHORT if row.get("side") == "Sell" else PositionSide.LONG
    return Position(symbol=market.symbol, side=side, quantity=size,
                    entry_price=row.nonzero_decimal("entryPrice"),
                    mark_price=row.nonzero_decimal("markPrice"),
                    unrealized_pnl=row.nonzero_decimal("unrealisedPnl") or parsing.ZERO,
                    leverage=row.nonzero_decimal("leverage"),
                    liquidation_price=row.nonzero_decimal("liqPrice"))
