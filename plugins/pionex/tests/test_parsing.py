"""Parsers on Pionex's documented payloads (PX-OAS examples and schemas), written inline."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from support import response
from venuekit.errors import BadResponse, InvalidOrder
from venuekit.models import (
    MarketKind,
    OrderParams,
    OrderRef,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)
from venuekit_pionex import endpoints, parsing

SYMBOLS = {
    "result": True,
    "data": {"symbols": [
        {"symbol": "BTC_USDT", "type": "SPOT", "baseCurrency": "BTC", "quoteCurrency": "USDT",
         "basePrecision": 6, "quotePrecision": 2, "amountPrecision": 2, "minAmount": "10",
         "minTradeSize": "0.000001", "maxTradeSize": "1000", "minTradeDumping": "0.000001",
         "maxTradeDumping": "1000", "buyCeiling": "1.1", "sellFloor": "0.9", "enable": True},
        {"symbol": "DOGE_USDT", "type": "SPOT", "baseCurrency": "DOGE", "quoteCurrency": "USDT",
         "basePrecision": 0, "quotePrecision": 5, "amountPrecision": 2, "minAmount": "10",
         "minTradeSize": "1", "maxTradeSize": "10000000", "enable": False},
        {"symbol": "BTC_USDT_PERP", "type": "PERP", "baseCurrency": "BTC",
         "quoteCurrency": "USDT", "basePrecision": 4, "quotePrecision": 1,
         "minNotional": "5", "enable": True},
    ]},
    "timestamp": 1566691672311,
}
BTC_USDT = parsing.parse_markets(response(SYMBOLS))[0]

# PX-OAS GET /api/v1/account/balances example
BALANCES = {"result": True, "data": {"balances": [
    {"coin": "BTC", "free": "0.90000000", "frozen": "0.00000000"},
    {"coin": "USDT", "free": "100.00000000", "frozen": "900.00000000"}]},
    "timestamp": 1566691672311}

# PX-OAS Order schema, with the values of a partly filled resting buy
ORDER: dict[str, Any] = {
    "orderId": 123456789, "symbol": "BTC_USDT", "type": "LIMIT", "side": "BUY",
    "price": "30000.00", "size": "0.010000", "amount": "0", "filledSize": "0.004000",
    "filledAmount": "120.00", "fee": "0.000004", "feeCoin": "BTC", "status": "OPEN",
    "IOC": False, "clientOrderId": "vk-123", "source": "API", "createTime": 1566676132311,
    "updateTime": 1566676132411,
}


def order_response(**changes: Any) -> dict[str, Any]:
    return {"result": True, "data": {**ORDER, **changes}, "timestamp": 1566691672311}


# ---------------------------------------------------------------- markets


def test_symbols_become_spot_markets_and_perps_are_skipped() -> None:
    markets = parsing.parse_markets(response(SYMBOLS))
    assert [m.native for m in markets] == ["BTC_USDT", "DOGE_USDT"]
    btc = markets[0]
    assert btc.symbol == "BTC/USDT" and btc.base == "BTC" and btc.quote == "USDT"
    assert btc.kind is MarketKind.SPOT and btc.settle is None
    assert btc.tick_size == Decimal("0.01")
    assert btc.step_size == Decimal("0.000001")
    assert btc.min_quantity == Decimal("0.000001")
    assert btc.min_notional == Decimal("10")
    assert btc.active
    doge = markets[1]
    assert doge.step_size == Decimal(1) and doge.tick_size == Decimal("0.00001")
    assert not doge.active


def test_symbols_without_a_list_is_a_bad_response() -> None:
    with pytest.raises(BadResponse):
        parsing.parse_markets(response({"result": True, "data": {}, "timestamp": 1}))
    broken = {"result": True, "data": {"symbols": [{"symbol": "X_Y", "type": "SPOT"}]}}
    with pytest.raises(BadResponse,
                       match=r"baseCurrency: missing @ \$\.data\.symbols\[0\]\.baseCurrency"):
        parsing.parse_markets(response(broken))


# ---------------------------------------------------------------- clock and envelope


def test_server_time_is_the_envelope_timestamp_of_a_public_answer() -> None:
    call = endpoints.server_time()
    assert call.request.path == "/api/v1/market/depth"
    assert not call.request.signed
    assert call.request.cost == {"ip": 1}
    depth = {"result": True, "data": {"bids": [["49999.99", "1.5"]], "asks": [],
                                      "updateTime": 1566676132300},
             "timestamp": 1566676132311}
    assert call.parse(response(depth)) == 1566676132311


@pytest.mark.parametrize("payload", [
    {"result": True, "data": {}},
    {"result": True, "data": {}, "timestamp": "soon"},
    {"result": True, "data": {}, "timestamp": True},
    {"data": {}, "timestamp": 1},
])
def test_server_time_without_a_usable_timestamp_is_a_bad_response(payload: Any) -> None:
    with pytest.raises(BadResponse):
        endpoints.server_time().parse(response(payload))


def test_html_body_is_a_bad_response_naming_it() -> None:
    with pytest.raises(BadResponse, match="HTML page"):
        parsing.parse_balance(response(b"<html>gateway</html>"))


# ---------------------------------------------------------------- balance


def test_balances_example() -> None:
    balance = parsing.parse_balance(response(BALANCES))
    assert balance.exchange == "pionex"
    assert balance["BTC"].free == Decimal("0.9") and balance["BTC"].used == 0
    usdt = balance["USDT"]
    assert (usdt.free, usdt.used, usdt.total) == (Decimal(100), Decimal(900), Decimal(1000))


def test_balance_with_a_bad_number_is_a_bad_response() -> None:
    payload = {"result": True, "data": {"balances": [{"coin": "BTC", "free": "lots",
                                                      "frozen": "0"}]}}
    with pytest.raises(BadResponse, match="balances"):
        parsing.parse_balance(response(payload))


# ---------------------------------------------------------------- orders


def test_order_example_partly_filled_limit_buy() -> None:
    result = parsing.order_from(response(order_response()), BTC_USDT)
    assert result.exchange == "pionex"
    assert result.symbol == "BTC/USDT"
    assert result.order_id == "123456789"
    assert result.client_order_id == "vk-123"
    assert result.side is Side.BUY and result.type is OrderType.LIMIT
    assert result.status is OrderStatus.PARTIALLY_FILLED
    assert result.quantity == Decimal("0.01")
    assert result.price == Decimal("30000")
    assert result.filled_quantity == Decimal("0.004")
    assert result.average_price == Decimal("30000")
    assert result.time_in_force is TimeInForce.GTC
    assert result.created_at == datetime(2019, 8, 24, 19, 48, 52, 311000, tzinfo=UTC)


def test_closed_market_buy_has_the_filled_base_quantity() -> None:
    payload = order_response(type="MARKET", price="0", size="", amount="100",
                             filledSize="0.002", filledAmount="99.98", status="CLOSED")
    result = parsing.order_from(response(payload), BTC_USDT)
    assert result.status is OrderStatus.FILLED
    assert result.quantity == Decimal("0.002")
    assert result.price is None
    assert result.average_price == Decimal("49990")
    assert result.time_in_force is None


@pytest.mark.parametrize(("status", "kind", "ioc", "size", "filled", "expected"), [
    ("OPEN", "LIMIT", False, "1", "0", OrderStatus.OPEN),
    ("OPEN", "LIMIT", False, "1", "0.5", OrderStatus.PARTIALLY_FILLED),
    ("CLOSED", "LIMIT", False, "1", "1", OrderStatus.FILLED),
    ("CLOSED", "LIMIT", False, "1", "0.5", OrderStatus.CANCELED),
    ("CLOSED", "LIMIT", False, "1", "0", OrderStatus.CANCELED),
    ("CLOSED", "LIMIT", True, "1", "0.5", OrderStatus.EXPIRED),
    ("CLOSED", "LIMIT", True, "1", "1", OrderStatus.FILLED),
    ("CLOSED", "MARKET", False, "", "0.3", OrderStatus.FILLED),
    ("CLOSED", "MARKET", False, "1", "0", OrderStatus.EXPIRED),
])
def test_status_mapping(status: str, kind: str, ioc: bool, size: str, filled: str,
                        expected: OrderStatus) -> None:
    payload = order_response(status=status, type=kind, IOC=ioc, size=size, filledSize=filled,
                             filledAmount="0")
    assert parsing.order_from(response(payload), BTC_USDT).status is expected


def test_unknown_status_or_other_symbol_is_a_bad_response() -> None:
    with pytest.raises(BadResponse, match="unknown order status"):
        parsing.order_from(response(order_response(status="PENDING")), BTC_USDT)
    with pytest.raises(BadResponse, match="ETH_USDT"):
        parsing.order_from(response(order_response(symbol="ETH_USDT")), BTC_USDT)


def test_new_order_answer_carries_ids_only() -> None:
    # PX-OAS POST /api/v1/trade/order: {"orderId": ..., "clientOrderId": ...}
    order = OrderParams(symbol="BTC/USDT", side="buy", type="market",
                        quote_quantity="100", client_order_id="vk-9")
    payload = {"result": True, "data": {"orderId": 123456789, "clientOrderId": "vk-9"},
               "timestamp": 1566691672311}
    result = endpoints.place_order(order, BTC_USDT).parse(response(payload))
    assert result.order_id == "123456789" and result.client_order_id == "vk-9"
    assert result.status is OrderStatus.OPEN
    assert result.type is OrderType.MARKET and result.side is Side.BUY
    assert result.quantity is None  # sized in quote currency: base quantity not known yet


def test_cancel_answer_without_data() -> None:
    call = endpoints.cancel_order(OrderRef("BTC/USDT", order_id="42"), BTC_USDT)
    result = call.parse(response({"result": True, "timestamp": 1566691672311}))
    assert result.order_id == "42" and result.status is OrderStatus.CANCELED
    assert result.type is OrderType.LIMIT
    with pytest.raises(BadResponse):
        call.parse(response({"timestamp": 1}))


# ---------------------------------------------------------------- order builder


def build(**fields: Any) -> dict[str, Any]:
    params = {"symbol": "BTC/USDT", "client_order_id": "c-1", **fields}
    body: dict[str, Any] = endpoints.place_order(OrderParams(**params), BTC_USDT).request.body
    return body


def test_market_buy_is_sized_by_amount_in_quote() -> None:
    body = build(side="buy", type="market", quote_quantity="250.50")
    assert body == {"symbol": "BTC_USDT", "side": "BUY", "type": "MARKET",
                    "clientOrderId": "c-1", "amount": "250.5"}


def test_market_sell_and_limit_are_sized_by_size_in_base() -> None:
    assert build(side="sell", type="market", quantity="0.5") == {
        "symbol": "BTC_USDT", "side": "SELL", "type": "MARKET", "clientOrderId": "c-1",
        "size": "0.5"}
    assert build(side="sell", type="limit", quantity="0.5", price="60000")["price"] == "60000"


def test_ioc_flag_from_time_in_force() -> None:
    assert build(side="buy", type="limit", quantity="1", price="1", time_in_force="ioc")[
        "IOC"] is True
    assert "IOC" not in build(side="buy", type="limit", quantity="1", price="1")
    # market orders execute at once anyway: no flag is sent
    assert "IOC" not in build(side="sell", type="market", quantity="1", time_in_force="ioc")


@pytest.mark.parametrize("fields", [
    {"side": "buy", "type": "limit", "quantity": "1", "price": "1", "time_in_force": "fok"},
    {"side": "buy", "type": "limit", "quantity": "1", "price": "1",
     "time_in_force": "post_only"},
    {"side": "sell", "type": "market", "quantity": "1", "time_in_force": "fok"},
])
def test_fok_and_post_only_are_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(InvalidOrder, match=r"no (FOK|POST_ONLY) orders"):
        build(**fields)


def test_market_buy_needs_quote_quantity_alone() -> None:
    with pytest.raises(InvalidOrder, match="quote_quantity"):
        build(side="buy", type="market", quantity="0.1")
    with pytest.raises(InvalidOrder, match="drop quantity"):
        build(side="buy", type="market", quantity="0.1", quote_quantity="100")


def test_cancel_and_fetch_requests() -> None:
    cancel = endpoints.cancel_order(OrderRef("BTC/USDT", order_id="42"), BTC_USDT).request
    assert (cancel.method, cancel.path, cancel.body) == (
        "DELETE", "/api/v1/trade/order", {"symbol": "BTC_USDT", "orderId": 42})
    assert cancel.idempotent and cancel.signed
    by_id = endpoints.fetch_order(OrderRef("BTC/USDT", order_id="42"), BTC_USDT).request
    assert (by_id.path, by_id.query) == (
        "/api/v1/trade/order", (("symbol", "BTC_USDT"), ("orderId", "42")))
    by_client = endpoints.fetch_order(OrderRef("BTC/USDT", client_order_id="c-1"),
                                      BTC_USDT).request
    assert (by_client.path, by_client.query) == (
        "/api/v1/trade/orderByClientOrderId",
        (("symbol", "BTC_USDT"), ("clientOrderId", "c-1")))
    assert by_client.cost == {"ip": 1, "account": 1}


def test_cancel_by_client_id_only_or_bad_id_is_refused_locally() -> None:
    with pytest.raises(InvalidOrder, match="order_id only"):
        endpoints.cancel_order(OrderRef("BTC/USDT", client_order_id="c-1"), BTC_USDT)
    with pytest.raises(InvalidOrder, match="numbers"):
        endpoints.cancel_order(OrderRef("BTC/USDT", order_id="abc"), BTC_USDT)


# ---------------------------------------------------------------- shared readers


def test_a_zero_time_string_is_not_set() -> None:
    # read as 1970-01-01 before the shared readers
    result = parsing.order_from(response(order_response(updateTime="0")), BTC_USDT)
    assert result.updated_at is None


def test_a_malformed_order_names_the_field_and_its_path() -> None:
    with pytest.raises(BadResponse,
                       match=r"filledSize: invalid decimal 'x' @ \$\.data\.filledSize"):
        parsing.order_from(response(order_response(filledSize="x")), BTC_USDT)
