"""Parsers on the sample payloads of Binance's USDⓈ-M endpoint pages (no keys, no signatures)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from venuekit.errors import BadResponse, InvalidOrder, PermissionDenied
from venuekit.models import (
    Market,
    MarketKind,
    OrderParams,
    OrderRef,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)
from venuekit.wire import BodyFormat, Response
from venuekit_binance import endpoints, parsing


def response(payload: Any, status: int = 200) -> Response:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return Response(exchange="binance", status=status, headers={}, body=body)


BTC = Market(symbol="BTC/USDT:USDT", native="BTCUSDT", base="BTC", quote="USDT", settle="USDT",
             kind=MarketKind.SWAP, tick_size="0.1", step_size="0.001", min_quantity="0.001",
             min_notional="100")

# "Exchange Information" response example (comments removed), plus one delivery contract
EXCHANGE_INFO = {
    "exchangeFilters": [],
    "rateLimits": [
        {"interval": "MINUTE", "intervalNum": 1, "limit": 2400, "rateLimitType": "REQUEST_WEIGHT"},
        {"interval": "MINUTE", "intervalNum": 1, "limit": 1200, "rateLimitType": "ORDERS"},
    ],
    "serverTime": 1565613908500,
    "assets": [{"asset": "BTC", "marginAvailable": True, "autoAssetExchange": "-0.10"},
               {"asset": "USDT", "marginAvailable": True, "autoAssetExchange": "0"}],
    "symbols": [
        {
            "symbol": "BLZUSDT", "pair": "BLZUSDT", "contractType": "PERPETUAL",
            "deliveryDate": 4133404800000, "onboardDate": 1598252400000, "status": "TRADING",
            "maintMarginPercent": "2.5000", "requiredMarginPercent": "5.0000",
            "baseAsset": "BLZ", "quoteAsset": "USDT", "marginAsset": "USDT",
            "pricePrecision": 5, "quantityPrecision": 0, "baseAssetPrecision": 8,
            "quotePrecision": 8, "underlyingType": "COIN", "underlyingSubType": ["STORAGE"],
            "settlePlan": 0, "triggerProtect": "0.15",
            "filters": [
                {"filterType": "PRICE_FILTER", "maxPrice": "300", "minPrice": "0.0001",
                 "tickSize": "0.0001"},
                {"filterType": "LOT_SIZE", "maxQty": "10000000", "minQty": "1", "stepSize": "1"},
                {"filterType": "MARKET_LOT_SIZE", "maxQty": "590119", "minQty": "1",
                 "stepSize": "1"},
                {"filterType": "MAX_NUM_ORDERS", "limit": 200},
                {"filterType": "MAX_NUM_ALGO_ORDERS", "limit": 10},
                {"filterType": "MIN_NOTIONAL", "notional": "5.0"},
                {"filterType": "PERCENT_PRICE", "multiplierUp": "1.1500",
                 "multiplierDown": "0.8500", "multiplierDecimal": "4"},
            ],
            "OrderType": ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT",
                          "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"],
            "timeInForce": ["GTC", "IOC", "FOK", "GTX"],
            "liquidationFee": "0.010000", "marketTakeBound": "0.30",
        },
        {
            "symbol": "BTCUSDT_250926", "pair": "BTCUSDT", "contractType": "CURRENT_QUARTER",
            "status": "TRADING", "baseAsset": "BTC", "quoteAsset": "USDT", "marginAsset": "USDT",
            "filters": [],
        },
    ],
    "timezone": "UTC",
}

# "Futures Account Balance V3" response example
BALANCE = [{"accountAlias": "SgsR", "asset": "USDT", "balance": "122607.35137903",
            "crossWalletBalance": "23.72469206", "crossUnPnl": "0.00000000",
            "availableBalance": "23.72469206", "maxWithdrawAmount": "23.72469206",
            "marginAvailable": True, "updateTime": 1617939110373}]

# "Query Order" response example
QUERY_ORDER = {
    "avgPrice": "0.00000", "clientOrderId": "abc", "cumQuote": "0", "executedQty": "0",
    "orderId": 1917641, "origQty": "0.40", "origType": "TRAILING_STOP_MARKET", "price": "0",
    "reduceOnly": False, "side": "BUY", "positionSide": "SHORT", "status": "NEW",
    "stopPrice": "9300", "closePosition": False, "symbol": "BTCUSDT", "time": 1579276756075,
    "timeInForce": "GTC", "type": "TRAILING_STOP_MARKET", "activatePrice": "9020",
    "priceRate": "0.3", "updateTime": 1579276756075, "workingType": "CONTRACT_PRICE",
    "priceProtect": False, "priceMatch": "NONE", "selfTradePreventionMode": "NONE",
    "goodTillDate": 0,
}

# "Cancel Order" response example
CANCEL_ORDER = {
    "clientOrderId": "myOrder1", "cumQty": "0", "cumQuote": "0", "executedQty": "0",
    "orderId": 283194212, "origQty": "11", "origType": "TRAILING_STOP_MARKET", "price": "0",
    "reduceOnly": False, "side": "BUY", "positionSide": "SHORT", "status": "CANCELED",
    "stopPrice": "9300", "closePosition": False, "symbol": "BTCUSDT", "timeInForce": "GTC",
    "type": "TRAILING_STOP_MARKET", "activatePrice": "9020", "priceRate": "0.3",
    "updateTime": 1571110484038, "workingType": "CONTRACT_PRICE", "priceProtect": False,
    "priceMatch": "NONE", "selfTradePreventionMode": "NONE", "goodTillDate": 1693207680000,
}

# "New Order" response example (limit order, RESULT detail)
NEW_ORDER = {
    "clientOrderId": "testOrder", "cumQty": "0", "cumQuote": "0", "executedQty": "0",
    "orderId": 22542179, "avgPrice": "0.00000", "origQty": "10", "price": "0",
    "reduceOnly": False, "side": "BUY", "positionSide": "SHORT", "status": "NEW",
    "stopPrice": "9300", "closePosition": False, "symbol": "BTCUSDT", "timeInForce": "GTD",
    "type": "TRAILING_STOP_MARKET", "origType": "TRAILING_STOP_MARKET", "activatePrice": "9020",
    "priceRate": "0.3", "updateTime": 1566818724722, "workingType": "CONTRACT_PRICE",
    "priceProtect": False, "priceMatch": "NONE", "selfTradePreventionMode": "NONE",
    "goodTillDate": 1693207680000,
}


def test_server_time() -> None:
    assert parsing.server_time(response({"serverTime": 1499827319559})) == 1499827319559


def test_server_time_without_the_field_is_a_bad_response() -> None:
    with pytest.raises(BadResponse):
        parsing.server_time(response({"time": 1}))


def test_markets_read_filters_and_skip_delivery_contracts() -> None:
    markets = parsing.markets(response(EXCHANGE_INFO))
    assert len(markets) == 1
    blz = markets[0]
    assert blz.symbol == "BLZ/USDT:USDT"
    assert blz.native == "BLZUSDT"
    assert (blz.base, blz.quote, blz.settle, blz.kind) == ("BLZ", "USDT", "USDT", MarketKind.SWAP)
    assert blz.tick_size == Decimal("0.0001")
    assert blz.step_size == Decimal("1")
    assert blz.min_quantity == Decimal("1")
    assert blz.min_notional == Decimal("5.0")
    assert blz.contract_size is None
    assert blz.active


def test_a_symbol_not_trading_is_inactive() -> None:
    payload = json.loads(json.dumps(EXCHANGE_INFO))
    payload["symbols"][0]["status"] = "SETTLING"
    assert not parsing.markets(response(payload))[0].active


def test_a_perpetual_without_lot_size_is_a_bad_response() -> None:
    payload = json.loads(json.dumps(EXCHANGE_INFO))
    payload["symbols"][0]["filters"] = payload["symbols"][0]["filters"][:1]
    with pytest.raises(BadResponse, match="BLZUSDT"):
        parsing.markets(response(payload))


def test_balance_sample() -> None:
    balance = parsing.balance(response(BALANCE))
    usdt = balance["USDT"]
    assert balance.exchange == "binance"
    assert usdt.total == Decimal("122607.35137903")
    assert usdt.free == Decimal("23.72469206")
    assert usdt.used == Decimal("122607.35137903") - Decimal("23.72469206")


def test_balance_used_never_negative() -> None:
    row = dict(BALANCE[0], balance="10", availableBalance="12.5")  # unrealised profit
    usdt = parsing.balance(response([row]))["USDT"]
    assert (usdt.free, usdt.used, usdt.total) == (Decimal("12.5"), 0, Decimal("10"))


@pytest.mark.parametrize("payload", [{"code": 0}, [{"asset": "USDT"}],
                                     [{"asset": "USDT", "balance": None,
                                       "availableBalance": "1"}]])
def test_malformed_balance_is_a_bad_response(payload: Any) -> None:
    with pytest.raises(BadResponse):
        parsing.balance(response(payload))


def test_html_body_is_a_bad_response() -> None:
    with pytest.raises(BadResponse, match="HTML"):
        parsing.balance(response(b"<html><body>502 Bad Gateway</body></html>"))


def test_account_config_sample() -> None:
    payload = {"feeTier": 0, "canTrade": True, "canDeposit": True, "canWithdraw": True,
               "dualSidePosition": True, "updateTime": 0, "multiAssetsMargin": False,
               "tradeGroupId": -1}
    perms = parsing.key_permissions(response(payload))
    assert perms.can_trade is True
    assert perms.can_read is True
    # canWithdraw is the account's transfer-out flag, not the key's permission: unknown
    assert perms.can_withdraw is None
    assert perms.ip_restricted is None
    assert perms.warnings() == ()


def test_account_config_that_cannot_trade_draws_a_warning() -> None:
    perms = parsing.key_permissions(response({"canTrade": False}))
    assert perms.warnings() == ("the key cannot trade",)


def test_trading_status_with_locks_is_refused() -> None:
    # "Futures Trading Quantitative Rules Indicators", account violation example
    payload = {"indicators": {"ACCOUNT": [
        {"indicator": "TMV", "value": 10, "triggerValue": 1,
         "plannedRecoverTime": 1644919865000, "isLocked": True}]},
        "updateTime": 1644913304748}
    with pytest.raises(PermissionDenied, match="ACCOUNT TMV"):
        parsing.trading_status(response(payload))


def test_trading_status_without_locks_passes() -> None:
    payload = {"indicators": {"BTCUSDT": [
        {"isLocked": False, "plannedRecoverTime": 0, "indicator": "UFR", "value": 0.05,
         "triggerValue": 0.995}]}, "updateTime": 1545741270000}
    assert "no" in parsing.trading_status(response(payload))


def test_query_order_sample() -> None:
    result = parsing.order_for(BTC)(response(QUERY_ORDER))
    assert result.exchange == "binance"
    assert result.symbol == "BTC/USDT:USDT"
    assert result.order_id == "1917641"
    assert result.client_order_id == "abc"
    assert result.side is Side.BUY
    assert result.type is OrderType.MARKET  # TRAILING_STOP_MARKET executes at market
    assert result.status is OrderStatus.OPEN
    assert result.quantity == Decimal("0.40")
    assert result.price is None  # "0"
    assert result.average_price is None  # "0.00000"
    assert result.filled_quantity == 0
    assert result.time_in_force is TimeInForce.GTC
    assert result.created_at == datetime.fromtimestamp(1579276756.075, UTC)


def test_cancel_order_sample() -> None:
    result = parsing.order_for(BTC)(response(CANCEL_ORDER))
    assert result.status is OrderStatus.CANCELED
    assert result.order_id == "283194212"
    assert result.client_order_id == "myOrder1"
    assert result.updated_at == datetime.fromtimestamp(1571110484.038, UTC)
    assert result.created_at is None


def test_new_order_sample_with_gtd() -> None:
    result = parsing.order_for(BTC)(response(NEW_ORDER))
    assert result.order_id == "22542179"
    assert result.quantity == Decimal("10")
    assert result.time_in_force is None  # GTD has no unified equivalent


def test_filled_limit_order() -> None:
    payload = dict(QUERY_ORDER, type="LIMIT", origType="LIMIT", status="FILLED", price="40000.0",
                   avgPrice="39990.5", executedQty="0.40", timeInForce="GTX", reduceOnly=True)
    result = parsing.order_for(BTC)(response(payload))
    assert result.type is OrderType.LIMIT
    assert result.status is OrderStatus.FILLED
    assert result.price == Decimal("40000.0")
    assert result.average_price == Decimal("39990.5")
    assert result.filled_quantity == Decimal("0.40")
    assert result.time_in_force is TimeInForce.POST_ONLY
    assert result.reduce_only is True


@pytest.mark.parametrize("change", [{"status": "WEIRD"}, {"orderId": None, "origQty": None},
                                    {"symbol": "ETHUSDT"}])
def test_malformed_order_is_a_bad_response(change: dict[str, Any]) -> None:
    payload = {k: v for k, v in dict(QUERY_ORDER, **change).items() if v is not None}
    with pytest.raises(BadResponse):
        parsing.order_for(BTC)(response(payload))


# ---------------------------------------------------------------- request builders


def order(**changes: Any) -> OrderParams:
    fields: dict[str, Any] = {"symbol": "BTC/USDT:USDT", "side": "buy", "type": "limit",
                              "quantity": "1", "price": "9000", "client_order_id": "my-id.1"}
    fields.update(changes)
    return OrderParams(**fields)


def test_limit_order_fields_follow_the_doc_example_order() -> None:
    call = endpoints.place_order(order(), BTC)
    request = call.request
    assert (request.method, request.path) == ("POST", "/fapi/v1/order")
    assert request.body_format is BodyFormat.FORM
    assert request.query == ()
    assert request.idempotent is False
    assert request.signed is True
    assert dict(request.cost) == {"ip": 0, "orders_10s": 1, "orders_1m": 1}
    assert request.body == [("symbol", "BTCUSDT"), ("side", "BUY"), ("type", "LIMIT"),
                            ("quantity", "1"), ("price", "9000"), ("timeInForce", "GTC"),
                            ("newClientOrderId", "my-id.1"), ("newOrderRespType", "RESULT")]


def test_decimals_are_written_plainly() -> None:
    fields = dict(endpoints.order_fields(order(quantity=Decimal("0.0100"),
                                               price=Decimal("5E+4")), BTC))
    assert fields["quantity"] == "0.01"
    assert fields["price"] == "50000"


@pytest.mark.parametrize("tif, native", [("gtc", "GTC"), ("ioc", "IOC"), ("fok", "FOK"),
                                         ("post_only", "GTX")])
def test_time_in_force_mapping(tif: str, native: str) -> None:
    assert dict(endpoints.order_fields(order(time_in_force=tif), BTC))["timeInForce"] == native


def test_market_order_with_reduce_only() -> None:
    fields = endpoints.order_fields(order(type="market", price=None, side="sell",
                                          reduce_only=True), BTC)
    assert fields == [("symbol", "BTCUSDT"), ("side", "SELL"), ("type", "MARKET"),
                      ("quantity", "1"), ("reduceOnly", "true"), ("newClientOrderId", "my-id.1"),
                      ("newOrderRespType", "RESULT")]


def test_market_ioc_is_a_plain_market_order() -> None:
    fields = dict(endpoints.order_fields(order(type="market", price=None, time_in_force="ioc"),
                                         BTC))
    assert "timeInForce" not in fields


def test_market_fok_is_refused_locally() -> None:
    with pytest.raises(InvalidOrder, match="fill-or-kill"):
        endpoints.place_order(order(type="market", price=None, time_in_force="fok"), BTC)


def test_lookups_by_order_id_and_by_client_id() -> None:
    by_id = endpoints.fetch_order(OrderRef("BTC/USDT:USDT", order_id="42"), BTC).request
    assert (by_id.method, by_id.query) == ("GET", (("symbol", "BTCUSDT"), ("orderId", "42")))
    by_client = endpoints.cancel_order(OrderRef("BTC/USDT:USDT", client_order_id="x"), BTC)
    assert by_client.request.method == "DELETE"
    assert by_client.request.query == (("symbol", "BTCUSDT"), ("origClientOrderId", "x"))
    assert by_client.request.body is None
    assert by_id.idempotent and by_client.request.idempotent


# ---------------------------------------------------------------- shared readers


def test_a_blank_executed_quantity_reads_as_nothing_filled() -> None:
    # a BadResponse before the shared readers; "" means "none yet" as it does everywhere
    result = parsing.order_for(BTC)(response({**QUERY_ORDER, "executedQty": ""}))
    assert result.filled_quantity == 0


def test_a_zero_time_string_is_not_set() -> None:
    # read as 1970-01-01 before the shared readers
    result = parsing.order_for(BTC)(response({**QUERY_ORDER, "updateTime": "0"}))
    assert result.updated_at is None


def test_a_symbols_entry_that_is_not_an_object_is_bad_response() -> None:
    # skipped before the shared readers
    payload = {**EXCHANGE_INFO, "symbols": [*EXCHANGE_INFO["symbols"], "junk"]}
    with pytest.raises(BadResponse, match=r"not an object: 'junk' @ \$\.symbols\[\d+\]"):
        parsing.markets(response(payload))


def test_a_malformed_order_names_the_field_and_its_path() -> None:
    with pytest.raises(BadResponse, match=r"origQty: invalid decimal 'lots' @ \$\.origQty"):
        parsing.order_for(BTC)(response({**QUERY_ORDER, "origQty": "lots"}))
