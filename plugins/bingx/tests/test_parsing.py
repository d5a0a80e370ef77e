"""Parsers on BingX's documented sample payloads (inline; no keys or signatures in them)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from bingx_helpers import ORDER, answer
from venuekit.errors import BadResponse
from venuekit.models import (
    MarketKind,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)
from venuekit_bingx import parsing

# ---------------------------------------------------------------- server time and markets


def test_server_time() -> None:
    # BX-V3 "Get Server Time" example
    assert parsing.parse_server_time(answer(
        '{"code":0,"msg":"","data":{"serverTime":1675319535362}}')) == 1675319535362


# GET /openApi/swap/v2/quote/contracts: the fields of the BX-V3 response table; numbers as
# the venue writes them (float64 fields are JSON numbers).
CONTRACTS = """{"code":0,"msg":"","data":[
 {"contractId":"100","symbol":"BTC-USDT","quantityPrecision":4,"pricePrecision":1,
  "takerFeeRate":0.0005,"makerFeeRate":0.0002,"tradeMinQuantity":0.0001,"tradeMinUSDT":2,
  "currency":"USDT","asset":"BTC","status":1,"apiStateOpen":"true","apiStateClose":"true",
  "ensureTrigger":true,"triggerFeeRate":"0.00020000","brokerState":false,
  "launchTime":1586275200000,"maintainTime":0,"offTime":0,"displayName":"BTC-USDT"},
 {"contractId":"101","symbol":"1000PEPE-USDT","quantityPrecision":0,"pricePrecision":7,
  "takerFeeRate":0.0005,"makerFeeRate":0.0002,"tradeMinQuantity":1,"tradeMinUSDT":2,
  "currency":"USDT","asset":"1000PEPE","status":25,"apiStateOpen":"true",
  "apiStateClose":"true","displayName":"1000PEPE-USDT"},
 {"contractId":"102","symbol":"ETH-USDT","quantityPrecision":2,"pricePrecision":2,
  "tradeMinQuantity":0.01,"tradeMinUSDT":2,"currency":"USDT","asset":"ETH","status":1,
  "apiStateOpen":"false","apiStateClose":"true"}
]}"""


def test_markets() -> None:
    btc, pepe, eth = parsing.parse_markets(answer(CONTRACTS))
    assert btc.symbol == "BTC/USDT:USDT"
    assert (btc.native, btc.base, btc.quote, btc.settle) == ("BTC-USDT", "BTC", "USDT", "USDT")
    assert btc.kind is MarketKind.SWAP
    assert btc.tick_size == Decimal("0.1")
    assert btc.step_size == Decimal("0.0001")
    assert btc.min_quantity == Decimal("0.0001")
    assert btc.min_notional == Decimal("2")
    assert btc.contract_size is None  # quantities are in coin, not contracts
    assert btc.active
    assert pepe.symbol == "1000PEPE/USDT:USDT"
    assert pepe.step_size == Decimal(1) and pepe.tick_size == Decimal("0.0000001")
    assert not pepe.active  # status 25: forbidden to open positions
    assert not eth.active  # the API may not open positions


def test_market_without_hyphen_is_a_bad_response() -> None:
    with pytest.raises(BadResponse, match="BASE-QUOTE"):
        parsing.parse_markets(answer('{"code":0,"data":[{"symbol":"BTCUSDT",'
                                     '"pricePrecision":1,"quantityPrecision":4}]}'))


def test_market_with_a_bad_precision_is_a_bad_response() -> None:
    with pytest.raises(BadResponse, match="pricePrecision"):
        parsing.parse_markets(answer('{"code":0,"data":[{"symbol":"BTC-USDT",'
                                     '"pricePrecision":"x","quantityPrecision":4}]}'))


# ---------------------------------------------------------------- balance


def test_balance_v3() -> None:
    # BX-V3 "Query account data" (v3) example, abridged as in shared/exchanges/bingx.md
    balance = parsing.parse_balance(answer(
        '{"code":0,"msg":"","data":[{"userId":"116***295","asset":"USDT",'
        '"balance":"194.8212","equity":"196.7431","unrealizedProfit":"1.9219",'
        '"realisedProfit":"-109.2504","availableMargin":"193.7609","usedMargin":"1.0602",'
        '"freezedMargin":"0.0000"}]}'))
    usdt = balance["USDT"]
    assert balance.exchange == "bingx"
    assert usdt.total == Decimal("194.8212")
    assert usdt.free == Decimal("193.7609")
    assert usdt.used == Decimal("1.0602")


def test_balance_v2_shape() -> None:
    balance = parsing.parse_balance(answer(
        '{"code":0,"msg":"","data":{"balance":{"asset":"USDT","balance":"10",'
        '"availableMargin":"7","usedMargin":"2","freezedMargin":"1"}}}'))
    assert balance["USDT"].used == Decimal(3)


def test_balance_that_is_not_a_list_is_a_bad_response() -> None:
    with pytest.raises(BadResponse):
        parsing.parse_balance(answer('{"code":0,"msg":"","data":"nope"}'))


def test_balance_row_without_amount_is_a_bad_response() -> None:
    with pytest.raises(BadResponse, match="balance"):
        parsing.parse_balance(answer('{"code":0,"data":[{"asset":"USDT"}]}'))


# ---------------------------------------------------------------- orders

def test_place_acknowledgement() -> None:
    # BX-V3 "Place order" example: ids and echoes, no status or quantities
    result = parsing.parse_placed(answer(
        '{"code":0,"msg":"","data":{"order":{"symbol":"BTC-USDT",'
        '"orderId":1735950529123455488,"side":"BUY","positionSide":"LONG","type":"MARKET",'
        '"clientOrderId":"","workingType":"MARK_PRICE"}}}'), ORDER, "BTC/USDT:USDT")
    assert result.order_id == "1735950529123455488"  # int64 above 2**53, kept exact
    assert result.client_order_id == "vk42"  # empty echo: the id we sent
    assert result.status is OrderStatus.OPEN
    assert result.side is Side.BUY and result.type is OrderType.MARKET
    assert result.quantity == Decimal("0.001")
    assert result.symbol == "BTC/USDT:USDT"


def test_place_acknowledgement_with_clientOrderID_casing() -> None:
    result = parsing.parse_placed(answer(
        '{"code":0,"msg":"","data":{"order":{"symbol":"BTC-USDT","orderId":7,"side":"BUY",'
        '"positionSide":"BOTH","type":"MARKET","clientOrderID":"vk42"}}}'),
        ORDER, "BTC/USDT:USDT")
    assert result.client_order_id == "vk42"


# BX-V3 "Cancel order" example (orderId written 0x18178d98f2934f00 in the bundle)
CANCELLED = """{"code":0,"msg":"","data":{"order":{"symbol":"RNDR-USDT",
 "orderId":1736011869418901248,"side":"BUY","positionSide":"LONG","type":"LIMIT",
 "origQty":"3","price":"4.5081","executedQty":"0","avgPrice":"0.0000","cumQuote":"0",
 "stopPrice":"","profit":"0.0000","commission":"0.000000","status":"CANCELLED",
 "time":1702732457867,"updateTime":1702732457888,"clientOrderId":"lo******7",
 "leverage":"","workingType":""}}}"""


def test_cancelled_order() -> None:
    result = parsing.parse_order_answer(answer(CANCELLED), "RNDR/USDT:USDT")
    assert result.order_id == "1736011869418901248"
    assert result.status is OrderStatus.CANCELED
    assert result.client_order_id == "lo******7"
    assert result.quantity == Decimal(3) and result.price == Decimal("4.5081")
    assert result.filled_quantity == 0 and result.average_price is None
    assert result.created_at == datetime(2023, 12, 16, 13, 14, 17, 867000, tzinfo=UTC)
    assert result.updated_at is not None and result.updated_at > result.created_at


# BX-V3 "Query order details" example, abridged (status PENDING for a resting order)
PENDING = """{"code":0,"msg":"","data":{"order":{"symbol":"BTC-USDT",
 "orderId":1736012449498123264,"side":"SELL","positionSide":"BOTH","type":"LIMIT",
 "origQty":"0.0010","price":"52000.5","executedQty":"0.0","avgPrice":"0.0000",
 "cumQuote":"0","status":"PENDING","time":1702732570384,"updateTime":1702732570401,
 "clientOrderId":"vkabc","reduceOnly":"true","timeInForce":"PostOnly",
 "workingType":"MARK_PRICE"}}}"""


def test_pending_order() -> None:
    result = parsing.parse_order_answer(answer(PENDING), "BTC/USDT:USDT")
    assert result.status is OrderStatus.OPEN
    assert result.side is Side.SELL
    assert result.quantity == Decimal("0.0010")
    assert result.reduce_only is True
    assert result.time_in_force is TimeInForce.POST_ONLY
    assert result.average_price is None


@pytest.mark.parametrize(("venue", "unified"), [
    ("NEW", OrderStatus.OPEN), ("PENDING", OrderStatus.OPEN),
    ("PARTIALLY_FILLED", OrderStatus.PARTIALLY_FILLED), ("FILLED", OrderStatus.FILLED),
    ("CANCELED", OrderStatus.CANCELED), ("CANCELLED", OrderStatus.CANCELED),
    ("EXPIRED", OrderStatus.EXPIRED), ("FAILED", OrderStatus.REJECTED),
])
def test_statuses(venue: str, unified: OrderStatus) -> None:
    body = PENDING.replace('"PENDING"', f'"{venue}"')
    assert parsing.parse_order_answer(answer(body), "BTC/USDT:USDT").status is unified


def test_filled_market_order_has_average_price_and_no_price() -> None:
    body = (PENDING.replace('"PENDING"', '"FILLED"').replace('"price":"52000.5"', '"price":"0"')
            .replace('"executedQty":"0.0"', '"executedQty":"0.0010"')
            .replace('"avgPrice":"0.0000"', '"avgPrice":"50001.2"')
            .replace('"type":"LIMIT"', '"type":"MARKET"'))
    result = parsing.parse_order_answer(answer(body), "BTC/USDT:USDT")
    assert result.price is None
    assert result.filled_quantity == Decimal("0.0010")
    assert result.average_price == Decimal("50001.2")


def test_market_order_with_an_echoed_price_has_no_price() -> None:
    # a unified market order has no price (core payload.py), even where BingX writes one
    # (its MARKET stream push carries the execution price in ``p``)
    body = (PENDING.replace('"PENDING"', '"FILLED"').replace('"type":"LIMIT"', '"type":"MARKET"')
            .replace('"executedQty":"0.0"', '"executedQty":"0.0010"')
            .replace('"avgPrice":"0.0000"', '"avgPrice":"52000.5"'))
    result = parsing.parse_order_answer(answer(body), "BTC/USDT:USDT")
    assert (result.price, result.average_price) == (None, Decimal("52000.5"))


def test_unknown_status_is_a_bad_response() -> None:
    with pytest.raises(BadResponse, match="status"):
        parsing.parse_order_answer(answer(PENDING.replace('"PENDING"', '"WEIRD"')), "X")


def test_order_id_as_float_is_a_bad_response() -> None:
    # a float would have lost the low digits of an int64 id: refuse rather than guess
    with pytest.raises(BadResponse, match="orderId"):
        parsing.parse_order_answer(answer(PENDING.replace(
            "1736012449498123264", "1.736012449498123e18")), "X")


def test_no_order_in_data_is_a_bad_response() -> None:
    with pytest.raises(BadResponse, match="order"):
        parsing.parse_order_answer(answer('{"code":0,"msg":"","data":{}}'), "X")


@pytest.mark.parametrize("body", ["", "<html>502 Bad Gateway</html>", '{"code":0}', "[1]"])
def test_envelope_without_data_is_a_bad_response(body: str) -> None:
    with pytest.raises(BadResponse):
        parsing.parse_server_time(answer(body))


# ---------------------------------------------------------------- shared readers


def test_a_zero_time_string_is_not_set() -> None:
    # read as 1970-01-01 before the shared readers
    result = parsing.parse_order_answer(answer(PENDING.replace('"time":1702732570384',
                                                               '"time":"0"')), "X")
    assert result.created_at is None


def test_a_precision_written_as_a_digit_string_is_read() -> None:
    # refused before the shared readers; the number of decimals is the same either way
    (market,) = parsing.parse_markets(answer(
        '{"code":0,"data":[{"symbol":"BTC-USDT","pricePrecision":"1",'
        '"quantityPrecision":"4","status":1}]}'))
    assert market.tick_size == Decimal("0.1") and market.step_size == Decimal("0.0001")


@pytest.mark.parametrize("flag", ['""', '"yes"'])
def test_a_reduce_only_flag_that_is_not_a_boolean_is_bad_response(flag: str) -> None:
    # read as False before the shared readers
    with pytest.raises(BadResponse, match="reduceOnly: invalid boolean"):
        parsing.parse_order_answer(answer(PENDING.replace('"reduceOnly":"true"',
                                                          f'"reduceOnly":{flag}')), "X")
