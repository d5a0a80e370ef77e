"""Bybit V5 stream frames, as the WebSocket pages print them, read into events.

The order example of the docs is an option order; it is shown here as the linear order
the page says has the same fields (and the option row itself must be left out).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from venuekit.account_models import Fill, PositionSide, Ticker, Trade
from venuekit.errors import AuthenticationError
from venuekit.models import (
    AssetBalance,
    Market,
    MarketKind,
    OrderResult,
    OrderStatus,
    OrderType,
    TimeInForce,
)
from venuekit.stream_models import (
    Ack,
    BalanceUpdate,
    BookUpdate,
    LoggedIn,
    Pong,
    PositionsUpdate,
    StreamFailure,
    StreamFrame,
    StreamRole,
)
from venuekit_bybit.stream_parsing import parse_stream_frame

BTC = Market(symbol="BTC/USDT:USDT", native="BTCUSDT", base="BTC", quote="USDT",
             settle="USDT", kind=MarketKind.SWAP, tick_size=Decimal("0.1"),
             step_size=Decimal("0.001"), min_quantity=Decimal("0.001"))
MARKETS = {BTC.native: BTC, BTC.symbol: BTC}


def parse(payload: Any, role: StreamRole = StreamRole.PRIVATE) -> list[Any]:
    return parse_stream_frame(StreamFrame(role=role, text=json.dumps(payload),
                                          markets=MARKETS))


def ms(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, UTC)


# ---------------------------------------------------------------- control frames


def test_the_two_pong_shapes() -> None:
    public = {"success": True, "ret_msg": "pong", "conn_id": "465772b1-7630-4fdc-a492",
              "req_id": "", "op": "ping"}
    private = {"req_id": "test", "op": "pong", "args": ["1675418560633"],
               "conn_id": "cfcb4ocsvfriu23r3er0-1b"}
    assert parse(public, StreamRole.PUBLIC) == [Pong()]
    assert parse(private) == [Pong()]


def test_auth_answer() -> None:
    assert parse({"success": True, "ret_msg": "", "op": "auth",
                  "conn_id": "cejreaspqfh3sjdnldmg-p"}) == [LoggedIn()]
    [failure] = parse({"success": False, "ret_msg": "Request not authorized", "op": "auth",
                       "conn_id": "x"})
    assert isinstance(failure, StreamFailure) and failure.fatal
    assert isinstance(failure.error, AuthenticationError)


def test_subscribe_answers() -> None:
    assert parse({"success": True, "ret_msg": "", "conn_id": "3cd84cb1", "req_id": "7",
                  "op": "subscribe"}, StreamRole.PUBLIC) == [Ack("7")]
    # the private socket's ack has no req_id
    assert parse({"success": True, "ret_msg": "", "op": "subscribe",
                  "conn_id": "cejreassvfrsfvb9v1a0-2m"}) == [Ack(None)]
    [failure] = parse({"success": False, "ret_msg": "Invalid topic", "op": "subscribe",
                       "req_id": "8", "conn_id": "x"}, StreamRole.PUBLIC)
    assert isinstance(failure, StreamFailure) and not failure.fatal


# ---------------------------------------------------------------- private topics

ORDER_ROW = {"category": "linear", "symbol": "BTCUSDT",
             "orderId": "5cf98598-39a7-459e-97bf-76ca765ee020", "orderLinkId": "my-1",
             "side": "Sell", "orderType": "Market", "price": "72.5", "qty": "1",
             "timeInForce": "IOC", "orderStatus": "Filled", "cancelType": "UNKNOWN",
             "rejectReason": "EC_NoError", "leavesQty": "", "cumExecQty": "1",
             "cumExecValue": "75", "avgPrice": "75", "positionIdx": 0, "cumExecFee": "0.358635",
             "closedPnl": "0", "reduceOnly": False, "createdTime": "1672364262444",
             "updatedTime": "1672364262457", "cumFeeDetail": {"MNT": "0.00242968"}}


def test_order_topic_reads_linear_rows_only() -> None:
    option = {**ORDER_ROW, "category": "option", "symbol": "ETH-30DEC22-1400-C"}
    events = parse({"id": "5923240c6880ab-c59f-420b-9adb-3639adc9dd90", "topic": "order",
                    "creationTime": 1672364262474, "data": [option, ORDER_ROW]})
    assert events == [OrderResult(
        exchange="bybit", symbol="BTC/USDT:USDT",
        order_id="5cf98598-39a7-459e-97bf-76ca765ee020", client_order_id="my-1",
        side="sell", type=OrderType.MARKET, status=OrderStatus.FILLED, quantity=Decimal(1),
        price=None, filled_quantity=Decimal(1), average_price=Decimal(75),
        time_in_force=TimeInForce.IOC, reduce_only=False, created_at=ms(1672364262444),
        updated_at=ms(1672364262457))]


EXECUTION = {"category": "linear", "symbol": "BTCUSDT", "closedSize": "0.5",
             "execFee": "26.3725275", "execId": "0ab1bdf7-4219-438b-b30a-32ec863018f7",
             "execPrice": "95900.1", "execQty": "0.5", "execType": "Trade",
             "execValue": "47950.05", "feeRate": "0.00055", "markPrice": "95901.48",
             "leavesQty": "0", "orderId": "9aac161b-8ed6-450d-9cab-c5cc67c21784",
             "orderLinkId": "", "orderPrice": "94942.5", "orderQty": "0.5",
             "orderType": "Market", "side": "Sell", "execTime": "1746270400353",
             "isMaker": False, "seq": 140612148849382, "execPnl": "0.05",
             "createType": "CreateByUser", "feeCurrency": "USDT"}


def test_execution_topic_gives_fills_and_leaves_funding_out() -> None:
    funding = {**EXECUTION, "execType": "Funding", "execId": "funding-1"}
    events = parse({"topic": "execution", "id": "386825804_BTCUSDT_140612148849382",
                    "creationTime": 1746270400355, "data": [EXECUTION, funding]})
    assert events == [Fill(symbol="BTC/USDT:USDT",
                           order_id="9aac161b-8ed6-450d-9cab-c5cc67c21784",
                           client_order_id=None, trade_id="0ab1bdf7-4219-438b-b30a-32ec863018f7",
                           side="sell", price=Decimal("95900.1"), quantity=Decimal("0.5"),
                           fee=Decimal("26.3725275"), fee_currency="USDT", is_maker=False,
                           timestamp=ms(1746270400353))]


def test_position_topic_uses_entry_price_and_reports_closed_legs() -> None:
    row = {"category": "linear", "symbol": "BTCUSDT", "positionIdx": 0, "side": "Buy",
           "size": "0.5", "entryPrice": "28000", "leverage": "10", "markPrice": "28184.5",
           "positionIM": "0", "positionMM": "0", "unrealisedPnl": "92.25",
           "curRealisedPnl": "1.26", "cumRealisedPnl": "-25.06579337", "liqPrice": "0",
           "positionStatus": "Normal", "autoAddMargin": 0, "seq": 8327597863,
           "isReduceOnly": False, "createdTime": "1694402496913", "updatedTime": "1697682317038"}
    closed = {**row, "positionIdx": 2, "side": "", "size": "0", "entryPrice": "0"}
    [update] = parse({"id": "1", "topic": "position", "creationTime": 1697682317044,
                      "data": [row, closed]})
    assert isinstance(update, PositionsUpdate) and update.complete is False
    held, flat = update.positions
    assert (held.side, held.quantity, held.entry_price, held.leverage, held.mark_price,
            held.liquidation_price) == (PositionSide.LONG, Decimal("0.5"), Decimal(28000),
                                        Decimal(10), Decimal("28184.5"), None)
    assert flat.is_flat and flat.side is PositionSide.SHORT


def test_wallet_topic_is_read_like_the_rest_balance() -> None:
    [update] = parse({"id": "592324d2bce751-ad38-48eb-8f42-4671d1fb4d4e", "topic": "wallet",
                      "creationTime": 1700034722104, "data": [{
                          "accountType": "UNIFIED", "accountIMRate": "0",
                          "totalEquity": "10262.91335023",
                          "totalWalletBalance": "9684.46297164",
                          "totalAvailableBalance": "9556.6056555", "coin": [
                              {"coin": "USDT", "equity": "9000", "walletBalance": "9000",
                               "locked": "0", "totalOrderIM": "100", "totalPositionIM": "400",
                               "unrealisedPnl": "0"},
                              {"coin": "BTC", "equity": "0.00102964",
                               "walletBalance": "0.00102964", "locked": "0",
                               "totalOrderIM": "", "totalPositionIM": "", "spotBorrow": "0"}]}]})
    assert isinstance(update, BalanceUpdate) and update.complete is False
    assert update.balance["USDT"] == AssetBalance("USDT", Decimal(8500), Decimal(500),
                                                  Decimal(9000))
    assert update.balance["BTC"].free == Decimal("0.00102964")


# ---------------------------------------------------------------- public topics


def test_level_one_book_is_the_ticker() -> None:
    [ticker] = parse({"topic": "orderbook.1.BTCUSDT", "type": "snapshot", "ts": 1672304484978,
                      "data": {"s": "BTCUSDT", "b": [["16493.50", "0.006"]],
                               "a": [["16611.00", "0.029"]], "u": 18521288,
                               "seq": 7961638724}, "cts": 1672304484976},
                     StreamRole.PUBLIC)
    assert ticker == Ticker(symbol="BTC/USDT:USDT", bid=Decimal("16493.5"),
                            ask=Decimal("16611"), last=None, timestamp=ms(1672304484978))


def test_book_delta_and_snapshot() -> None:
    [delta] = parse({"topic": "orderbook.50.BTCUSDT", "type": "delta", "ts": 1687940967466,
                     "data": {"s": "BTCUSDT", "b": [["30247.20", "30.028"], ["30240.00", "0"]],
                              "a": [["30248.70", "0"], ["30249.30", "0.892"]],
                              "u": 177400507, "seq": 66544703342}, "cts": 1687940967464},
                    StreamRole.PUBLIC)
    assert delta == BookUpdate(
        symbol="BTC/USDT:USDT",
        bids=[(Decimal("30247.2"), Decimal("30.028")), (Decimal(30240), Decimal(0))],
        asks=[(Decimal("30248.7"), Decimal(0)), (Decimal("30249.3"), Decimal("0.892"))],
        snapshot=False, sequence=177400507, prev_sequence=None, timestamp=ms(1687940967464))
    [restart] = parse({"topic": "orderbook.200.BTCUSDT", "type": "snapshot", "ts": 1,
                       "data": {"s": "BTCUSDT", "b": [], "a": [], "u": 1, "seq": 2}},
                      StreamRole.PUBLIC)
    assert restart.snapshot and restart.sequence == 1


@pytest.mark.parametrize(("side", "taker"), [("Buy", "buy"), ("Sell", "sell")])
def test_public_trade(side: str, taker: str) -> None:
    [trade] = parse({"topic": "publicTrade.BTCUSDT", "type": "snapshot", "ts": 1672304486868,
                     "data": [{"T": 1672304486865, "s": "BTCUSDT", "S": side, "v": "0.001",
                               "p": "16578.50", "L": "PlusTick",
                               "i": "20f43950-d8dd-5b31-9112-a178eb6023af", "BT": False,
                               "seq": 1783284617}]}, StreamRole.PUBLIC)
    assert trade == Trade(symbol="BTC/USDT:USDT", trade_id="20f43950-d8dd-5b31-9112-a178eb6023af",
                          side=taker, price=Decimal("16578.5"), quantity=Decimal("0.001"),
                          timestamp=ms(1672304486865))


def test_unlisted_symbols_and_other_topics_give_nothing() -> None:
    assert parse({"topic": "publicTrade.XYZUSDT", "type": "snapshot", "ts": 1,
                  "data": [{"T": 1, "s": "XYZUSDT", "S": "Buy", "v": "1", "p": "1",
                            "i": "a"}]}, StreamRole.PUBLIC) == []
    assert parse({"topic": "tickers.BTCUSDT", "type": "delta", "ts": 1,
                  "data": {"symbol": "BTCUSDT", "lastPrice": "1"}}, StreamRole.PUBLIC) == []
    assert parse({"topic": "dcp.future", "data": []}) == []
