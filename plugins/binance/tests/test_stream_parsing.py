"""Binance USDⓈ-M stream frames, as the stream pages print them, read into events.

Payloads are the documented examples (User Data Streams events, market streams, the
live subscribing answers), symbols switched to BTCUSDT where the page uses another.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from venuekit.account_models import Fill, MarginMode, PositionSide, Ticker, Trade
from venuekit.errors import ExchangeError
from venuekit.models import Market, MarketKind, OrderResult, OrderStatus, OrderType, TimeInForce
from venuekit.stream_models import (
    Ack,
    BookUpdate,
    Pong,
    PositionsUpdate,
    ResyncNeeded,
    SessionExpired,
    StreamFailure,
    StreamFrame,
    StreamKind,
    StreamRole,
)
from venuekit_binance.stream_parsing import parse_stream_frame

BTC = Market(symbol="BTC/USDT:USDT", native="BTCUSDT", base="BTC", quote="USDT",
             settle="USDT", kind=MarketKind.SWAP, tick_size=Decimal("0.1"),
             step_size=Decimal("0.001"), min_quantity=Decimal("0.001"))
MARKETS = {BTC.native: BTC, BTC.symbol: BTC}


def parse(payload: Any, role: StreamRole = StreamRole.PRIVATE) -> list[Any]:
    return parse_stream_frame(StreamFrame(role=role, text=json.dumps(payload),
                                          markets=MARKETS))


def ms(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, UTC)


# ---------------------------------------------------------------- user data

ORDER_NEW = {"e": "ORDER_TRADE_UPDATE", "E": 1568879465651, "T": 1568879465650, "o": {
    "s": "BTCUSDT", "c": "TEST", "S": "SELL", "o": "LIMIT", "f": "GTC", "q": "0.001",
    "p": "7103.04", "ap": "0", "sp": "0", "x": "NEW", "X": "NEW", "i": 8886774, "l": "0",
    "z": "0", "L": "0", "T": 1568879465650, "t": 0, "b": "0", "a": "9.91", "m": False,
    "R": False, "wt": "CONTRACT_PRICE", "ot": "LIMIT", "ps": "BOTH", "cp": False,
    "rp": "0", "pP": False, "si": 0, "ss": 0, "V": "EXPIRE_TAKER", "pm": "NONE", "gtd": 0,
    "er": "0"}}


def test_order_trade_update_new_is_an_order_without_fill() -> None:
    [order] = parse(ORDER_NEW)
    assert order == OrderResult(
        exchange="binance", symbol="BTC/USDT:USDT", order_id="8886774", client_order_id="TEST",
        side="sell", type=OrderType.LIMIT, status=OrderStatus.OPEN, quantity=Decimal("0.001"),
        price=Decimal("7103.04"), filled_quantity=Decimal(0), average_price=None,
        time_in_force=TimeInForce.GTC, reduce_only=False, updated_at=ms(1568879465650))


def test_order_trade_update_trade_carries_the_fill() -> None:
    frame = json.loads(json.dumps(ORDER_NEW))
    frame["o"].update({"x": "TRADE", "X": "PARTIALLY_FILLED", "l": "0.0004", "z": "0.0004",
                       "L": "7103.04", "ap": "7103.04", "t": 1234567, "N": "USDT",
                       "n": "0.00056824", "m": True, "T": 1568879465700})
    order, fill = parse(frame)
    assert isinstance(order, OrderResult) and order.status is OrderStatus.PARTIALLY_FILLED
    assert order.filled_quantity == Decimal("0.0004")
    assert fill == Fill(symbol="BTC/USDT:USDT", order_id="8886774", client_order_id="TEST",
                        trade_id="1234567", side="sell", price=Decimal("7103.04"),
                        quantity=Decimal("0.0004"), fee=Decimal("0.00056824"),
                        fee_currency="USDT", is_maker=True, timestamp=ms(1568879465700))


def test_trailing_stop_market_reads_as_market_without_commission() -> None:
    frame = json.loads(json.dumps(ORDER_NEW))
    frame["o"].update({"o": "TRAILING_STOP_MARKET", "ot": "TRAILING_STOP_MARKET", "p": "0",
                       "x": "TRADE", "X": "FILLED", "l": "0.001", "z": "0.001",
                       "L": "7100", "t": 5})  # "will not push if no commission": no n / N
    order, fill = parse(frame)
    assert order.type is OrderType.MARKET and order.price is None
    assert isinstance(fill, Fill) and fill.fee == 0 and fill.fee_currency is None


def test_account_update_positions_partial_and_balance_resync() -> None:
    events = parse({"e": "ACCOUNT_UPDATE", "E": 1564745798939, "T": 1564745798938, "a": {
        "m": "ORDER",
        "B": [{"a": "USDT", "wb": "122624.12345678", "cw": "100.12345678",
               "bc": "50.12345678"}],
        "P": [{"s": "BTCUSDT", "pa": "-20", "ep": "6563.66500", "bep": "0", "cr": "0",
               "up": "2850.21200", "mt": "isolated", "iw": "13200.70726908", "ps": "BOTH"},
              {"s": "NOTLISTED", "pa": "1", "ep": "1", "cr": "0", "up": "0", "mt": "cross",
               "iw": "0", "ps": "BOTH"}]}})
    update, resync = events
    assert isinstance(update, PositionsUpdate) and update.complete is False
    [position] = update.positions
    assert (position.symbol, position.side, position.quantity, position.entry_price,
            position.unrealized_pnl, position.margin_mode) == (
        "BTC/USDT:USDT", PositionSide.SHORT, Decimal(20), Decimal("6563.665"),
        Decimal("2850.212"), MarginMode.ISOLATED)
    assert resync == ResyncNeeded(StreamKind.BALANCE)


def test_account_update_closed_hedge_position_is_flat() -> None:
    [update] = parse({"e": "ACCOUNT_UPDATE", "E": 1, "T": 1, "a": {"m": "ORDER", "B": [],
                      "P": [{"s": "BTCUSDT", "pa": "0", "ep": "0", "up": "0", "mt": "cross",
                             "iw": "0", "ps": "LONG"}]}})
    assert update.positions[0].is_flat and update.positions[0].side is PositionSide.LONG


def test_funding_fee_update_without_positions_asks_for_the_balance_only() -> None:
    assert parse({"e": "ACCOUNT_UPDATE", "E": 1, "T": 1, "a": {
        "m": "FUNDING_FEE", "B": [{"a": "USDT", "wb": "1", "cw": "1", "bc": "0"}]}}) \
        == [ResyncNeeded(StreamKind.BALANCE)]


@pytest.mark.parametrize("stamp", ["1736996475556", 1736996475556])
def test_listen_key_expired_string_or_number_time(stamp: object) -> None:
    assert parse({"e": "listenKeyExpired", "E": stamp, "listenKey": "WsCMN0a4"}) \
        == [SessionExpired()]


def test_trade_lite_and_unknown_events_give_nothing() -> None:
    assert parse({"e": "TRADE_LITE", "E": 1721895408092, "T": 1721895408214, "s": "BTCUSDT",
                  "q": "0.001", "p": "0", "m": False, "c": "z8", "S": "BUY", "L": "64089.20",
                  "l": "0.040", "t": 109100866, "i": 8886774}) == []
    assert parse({"e": "ACCOUNT_CONFIG_UPDATE", "E": 1, "T": 1,
                  "ac": {"s": "BTCUSDT", "l": 25}}) == []


# ---------------------------------------------------------------- market streams


def test_book_ticker_combined_stream() -> None:
    [ticker] = parse({"stream": "btcusdt@bookTicker", "data": {
        "e": "bookTicker", "u": 400900217, "E": 1568014460893, "T": 1568014460891,
        "s": "BTCUSDT", "b": "25.35190000", "B": "31.21000000", "a": "25.36520000",
        "A": "40.66000000"}}, StreamRole.PUBLIC)
    assert ticker == Ticker(symbol="BTC/USDT:USDT", bid=Decimal("25.3519"),
                            ask=Decimal("25.3652"), last=None, timestamp=ms(1568014460891))


@pytest.mark.parametrize(("maker", "side"), [(True, "sell"), (False, "buy")])
def test_agg_trade_side_is_the_takers(maker: bool, side: str) -> None:
    [trade] = parse({"e": "aggTrade", "E": 123456789, "s": "BTCUSDT", "a": 5933014,
                     "p": "0.001", "q": "100", "f": 100, "l": 105, "T": 123456785,
                     "m": maker}, StreamRole.MARKET)
    assert trade == Trade(symbol="BTC/USDT:USDT", trade_id="5933014", side=side,
                          price=Decimal("0.001"), quantity=Decimal(100),
                          timestamp=ms(123456785))


def test_depth_update_is_a_delta_chained_by_pu() -> None:
    [update] = parse({"stream": "btcusdt@depth@100ms", "data": {
        "e": "depthUpdate", "E": 123456789, "T": 123456788, "s": "BTCUSDT", "U": 157,
        "u": 160, "pu": 149, "b": [["0.0024", "10"]], "a": [["0.0026", "100"]]}},
        StreamRole.PUBLIC)
    assert update == BookUpdate(symbol="BTC/USDT:USDT", bids=[(Decimal("0.0024"), Decimal(10))],
                                asks=[(Decimal("0.0026"), Decimal(100))], snapshot=False,
                                sequence=160, prev_sequence=149, timestamp=ms(123456788))


def test_unknown_symbol_gives_nothing() -> None:
    assert parse({"e": "aggTrade", "E": 1, "s": "XYZUSDT", "a": 1, "p": "1", "q": "1",
                  "T": 1, "m": False}, StreamRole.MARKET) == []


# ---------------------------------------------------------------- answers


def test_subscribe_answer_is_an_ack_and_list_subscriptions_a_pong() -> None:
    assert parse({"result": None, "id": 312}, StreamRole.PUBLIC) == [Ack("312")]
    assert parse({"result": ["btcusdt@aggTrade"], "id": 0}, StreamRole.MARKET) == [Pong()]


@pytest.mark.parametrize("payload", [
    {"code": 2, "msg": "Invalid request: request ID must be an unsigned integer"},
    {"error": {"code": 2, "msg": "Invalid request: request ID must be an unsigned integer"},
     "id": None},
])
def test_request_errors_are_not_fatal_failures(payload: dict[str, Any]) -> None:
    [failure] = parse(payload, StreamRole.PUBLIC)
    assert isinstance(failure, StreamFailure) and failure.fatal is False
    assert isinstance(failure.error, ExchangeError) and str(failure.error.code) == "2"
