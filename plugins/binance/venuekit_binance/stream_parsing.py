"""Binance USDⓈ-M stream frames into venuekit events (pure functions, no I/O).

Frames come bare (``/ws``) or wrapped as ``{"stream", "data"}`` (``/stream``); both are
read. Answers to requests are ``{"result": null, "id": n}`` (an ack) or, for the
``LIST_SUBSCRIPTIONS`` heartbeat, a list result (a pong); errors ``{"code", "msg"}`` or
``{"error": {"code", "msg"}, "id"}``. Events, by ``e``:

- ``ORDER_TRADE_UPDATE``: the order's state; ``x == "TRADE"`` also carries one fill
  (``t`` trade id, ``l`` / ``L`` its quantity and price, ``n`` / ``N`` its commission).
- ``ACCOUNT_UPDATE``: positions that changed (``P``) and wallet balances (``B``). The
  balance rows have the wallet and cross-wallet balances but not the available
  balance, so they are not turned into a balance of their own: the event asks the core
  to read the balance over REST (:class:`~venuekit.stream_models.ResyncNeeded`).
- ``listenKeyExpired``: the session is gone (``E`` may be a string: both are read).
- ``bookTicker`` (ticker), ``aggTrade`` (trades), ``depthUpdate`` (book delta:
  ``u`` is its last update id, ``pu`` the previous event's ``u``).

``TRADE_LITE`` repeats fills without fee or status and is ignored (``ORDER_TRADE_UPDATE``
has them all); unknown events and symbols give no event.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal

from venuekit.account_models import Fill, MarginMode, Position, PositionSide, Ticker, Trade
from venuekit.errors import AuthenticationError, ExchangeError
from venuekit.models import Market, OrderResult, OrderType
from venuekit.payload import Reader
from venuekit.stream_models import (
    Ack,
    BookUpdate,
    Pong,
    PositionsUpdate,
    ResyncNeeded,
    SessionExpired,
    StreamEvent,
    StreamFailure,
    StreamFrame,
    StreamKind,
)

from . import NAME, errors, parsing

_MARGIN = {"cross": MarginMode.CROSS, "crossed": MarginMode.CROSS,
           "isolated": MarginMode.ISOLATED}


def parse_stream_frame(frame: StreamFrame) -> list[StreamEvent]:
    message = json.loads(frame.text)
    if not isinstance(message, dict):
        return []
    if "data" in message and "stream" in message:
        message = message["data"]
        if not isinstance(message, dict):
            return []
    if "e" not in message:
        return _answer(message)
    body = Reader(message, exchange=NAME)
    event = body.text("e")
    if event == "listenKeyExpired":
        return [SessionExpired()]
    if event == "ACCOUNT_UPDATE":
        return _account_update(body.at("a"), frame.markets)
    if event == "ORDER_TRADE_UPDATE":
        data = body.at("o")
        market = frame.markets.get(data.text("s"))
        return [] if market is None else order_events(data, market)
    market = frame.markets.get(str(message.get("s")))
    if market is None:
        return []
    if event == "bookTicker":
        return [Ticker(symbol=market.symbol, bid=body.nonzero_decimal("b"),
                       ask=body.nonzero_decimal("a"), last=None,
                       timestamp=body.optional_timestamp("T") or body.timestamp("E"))]
    if event == "aggTrade":
        # m: the buyer is the maker, so the taker sold
        return [Trade(symbol=market.symbol, trade_id=body.text("a"),
                      side="sell" if body.get("m") is True else "buy",
                      price=body.decimal("p"), quantity=body.decimal("q"),
                      timestamp=body.timestamp("T"))]
    if event == "depthUpdate":
        return [BookUpdate(symbol=market.symbol, bids=_levels(body.at("b")),
                           asks=_levels(body.at("a")), snapshot=False,
                           sequence=body.integer("u"), prev_sequence=body.integer("pu"),
                           timestamp=body.optional_timestamp("T")
                           or body.optional_timestamp("E"))]
    return []


def _answer(message: Mapping[str, object]) -> list[StreamEvent]:
    """A reply to one of our requests: ack, heartbeat answer or error."""
    failure = message.get("error")
    body = Reader(failure if isinstance(failure, dict) else message, exchange=NAME)
    if isinstance(failure, dict) or "code" in message:
        code = body.optional_integer("code")
        kind = errors.ERRORS.get(code, ExchangeError) if code is not None else ExchangeError
        error = kind(str(body.get("msg") or "request refused"), exchange=NAME, code=code)
        # a refused subscription leaves the socket up; a refused key would not answer here
        return [StreamFailure(error, fatal=isinstance(error, AuthenticationError))]
    if "result" in message and "id" in message:
        if isinstance(message["result"], list):
            return [Pong()]
        return [Ack(str(message["id"]))]
    return []


def _levels(rows: Reader) -> list[tuple[Decimal, Decimal]]:
    return [(level.decimal(0), level.decimal(1)) for level in rows.items()]


_STATUS = parsing._STATUS
_TIME_IN_FORCE = parsing._TIME_IN_FORCE


def order_events(data: Reader, market: Market) -> list[StreamEvent]:
    """The ``o`` object of ``ORDER_TRADE_UPDATE``: the order, then its fill if any."""
    native_type = data.optional_text("ot") or data.text("o")
    order = OrderResult(
        exchange=NAME, symbol=market.symbol, order_id=data.text("i"),
        client_order_id=data.optional_text("c"), side=data.text("S").lower(),
        type=OrderType.MARKET if native_type.endswith("MARKET") else OrderType.LIMIT,
        status=data.choice("X", _STATUS), quantity=data.decimal("q"),
        price=data.nonzero_decimal("p"),
        filled_quantity=data.optional_decimal("z") or Decimal(0),
        average_price=data.nonzero_decimal("ap"),
        time_in_force=_TIME_IN_FORCE.get(str(data.get("f"))),
        reduce_only=data.get("R") is True, updated_at=data.optional_timestamp("T"))
    events: list[StreamEvent] = [order]
    if data.get("x") == "TRADE":
        events.append(Fill(
            symbol=market.symbol, order_id=order.order_id,
            client_order_id=order.client_order_id, trade_id=data.text("t"),
            side=data.text("S").lower(), price=data.decimal("L"), quantity=data.decimal("l"),
            # "will not push if no commission"
            fee=data.optional_decimal("n") or Decimal(0), fee_currency=data.optional_text("N"),
            is_maker=data.get("m") is True, timestamp=data.timestamp("T")))
    return events


def _account_update(data: Reader, markets: Mapping[str, Market]) -> list[StreamEvent]:
    events: list[StreamEvent] = []
    if data.get("P") is not None:
        changed = []
        for row in data.rows("P"):
            market = markets.get(row.text("s"))
            if market is not None:
                changed.append(position(row, market))
        if changed:
            events.append(PositionsUpdate(positions=changed, complete=False))
    if data.get("B") is not None and data.rows("B"):
        events.append(ResyncNeeded(StreamKind.BALANCE))
    return events


def position(row: Reader, market: Market) -> Position:
    """One ``P`` row: only positions that changed; ``pa`` 0 is a closed position.

    The event has no mark price, leverage or liquidation price (``positionRisk`` has).
    """
    amount = row.decimal("pa")
    native_side = row.optional_text("ps") or "BOTH"
    if native_side == "BOTH":
        side = PositionSide.SHORT if amount < 0 else PositionSide.LONG
    else:
        side = PositionSide.LONG if native_side == "LONG" else PositionSide.SHORT
    return Position(symbol=market.symbol, side=side, quantity=abs(amount),
                    entry_price=row.nonzero_decimal("ep"),
                    unrealized_pnl=row.optional_decimal("up"),
                    margin_mode=_MARGIN.get(str(row.get("mt")).lower()))
