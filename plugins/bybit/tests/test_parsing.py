"""Parsers against Bybit's documented sample payloads (abridged, inline, no keys or signatures)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from venuekit import BadResponse, OrderNotFound, OrderParams, OrderRef
from venuekit.models import Market, MarketKind, OrderStatus, OrderType, Side, TimeInForce
from venuekit.payload import Reader
from venuekit.wire import Response
from venuekit_bybit import parsing


def envelope(result: Any, time: int = 1700000000000) -> dict[str, Any]:
    return {"retCode": 0, "retMsg": "OK", "result": result, "retExtInfo": {}, "time": time}


def response(payload: Any = None, *, body: bytes | None = None) -> Response:
    raw = body if body is not None else json.dumps(payload).encode()
    return Response(exchange="bybit", status=200, headers={}, body=raw)


# GET /v5/market/time (docs/v5/market/time.mdx)
TIME = {"retCode": 0, "retMsg": "OK",
        "result": {"timeSecond": "1688639403", "timeNano": "1688639403423213947"},
        "retExtInfo": {}, "time": 1688639403423}

# GET /v5/market/instruments-info?category=linear (docs/v5/market/instrument.mdx)
BTC_ROW: dict[str, Any] = {
    "symbol": "BTCUSDT", "symbolId": 5, "contractType": "LinearPerpetual", "status": "Trading",
    "baseCoin": "BTC", "quoteCoin": "USDT", "launchTime": "1585526400000", "deliveryTime": "0",
    "deliveryFeeRate": "", "priceScale": "2",
    "leverageFilter": {"minLeverage": "1", "maxLeverage": "100.00", "leverageStep": "0.01"},
    "priceFilter": {"minPrice": "0.10", "maxPrice": "1999999.80", "tickSize": "0.10"},
    "lotSizeFilter": {"maxOrderQty": "1190.000", "minOrderQty": "0.001", "qtyStep": "0.001",
                      "postOnlyMaxOrderQty": "1190.000", "maxMktOrderQty": "500.000",
                      "minNotionalValue": "5"},
    "unifiedMarginTrade": True, "fundingInterval": 480, "settleCoin": "USDT",
    "copyTrading": "both", "upperFundingRate": "0.00375", "lowerFundingRate": "-0.00375",
    "isPreListing": False, "preListingInfo": None, "symbolType": "",
}
PRELAUNCH_ROW: dict[str, Any] = {
    "symbol": "BIOUSDT", "contractType": "LinearPerpetual", "status": "PreLaunch",
    "baseCoin": "BIO", "quoteCoin": "USDT", "settleCoin": "USDT",
    "priceFilter": {"minPrice": "0.0001", "maxPrice": "1999.9998", "tickSize": "0.0001"},
    "lotSizeFilter": {"maxOrderQty": "70000", "minOrderQty": "1", "qtyStep": "1",
                      "maxMktOrderQty": "14000", "minNotionalValue": "5"},
}
FUTURES_ROW: dict[str, Any] = {**BTC_ROW, "symbol": "BTC-27MAR26", "contractType":
                               "LinearFutures", "quoteCoin": "USDC", "settleCoin": "USDC"}

# GET /v5/account/wallet-balance?accountType=UNIFIED (docs/v5/account/wallet-balance.mdx)
WALLET = {"retCode": 0, "retMsg": "OK", "result": {"list": [{
    "totalEquity": "18070.32797922", "accountIMRate": "0.0101",
    "totalMarginBalance": "18070.32797922", "totalInitialMargin": "182.60183684",
    "accountType": "UNIFIED", "totalAvailableBalance": "17887.72614237",
    "accountMMRate": "0", "totalPerpUPL": "-0.11001349",
    "totalWalletBalance": "18070.43799271", "totalMaintenanceMargin": "0.38106773",
    "coin": [
        {"availableToBorrow": "2.5", "bonus": "0", "accruedInterest": "0",
         "availableToWithdraw": "0.805994", "totalOrderIM": "0", "equity": "0.805994",
         "totalPositionMM": "0", "usdValue": "12920.95352538", "unrealisedPnl": "0",
         "borrowAmount": "0", "totalPositionIM": "0", "walletBalance": "0.805994",
         "cumRealisedPnl": "0", "coin": "BTC"},
        {"availableToBorrow": "", "bonus": "0", "accruedInterest": "0",
         "availableToWithdraw": "", "totalOrderIM": "120.5", "equity": "5000.1",
         "totalPositionMM": "1.2", "usdValue": "5000.1", "unrealisedPnl": "-0.11",
         "borrowAmount": "0", "totalPositionIM": "62.1", "walletBalance": "5000.21",
         "locked": "", "cumRealisedPnl": "3.2", "coin": "USDT"},
    ]}]}, "retExtInfo": {}, "time": 1672125441042}

# GET /v5/order/realtime (docs/v5/order/open-order.mdx)
REALTIME = {"retCode": 0, "retMsg": "OK", "result": {"list": [{
    "orderId": "fd4300ae-7847-404e-b947-b46980a4d140", "orderLinkId": "test-000005",
    "blockTradeId": "", "symbol": "ETHUSDT", "price": "1600.00", "qty": "0.10", "side": "Buy",
    "isLeverage": "", "positionIdx": 1, "orderStatus": "New", "cancelType": "UNKNOWN",
    "rejectReason": "EC_NoError", "avgPrice": "0", "leavesQty": "0.10", "leavesValue": "160",
    "cumExecQty": "0.00", "cumExecValue": "0", "cumExecFee": "0", "timeInForce": "GTC",
    "orderType": "Limit", "stopOrderType": "UNKNOWN", "orderIv": "", "triggerPrice": "0.00",
    "takeProfit": "2500.00", "stopLoss": "1500.00", "tpTriggerBy": "LastPrice",
    "slTriggerBy": "LastPrice", "triggerDirection": 0, "triggerBy": "UNKNOWN",
    "lastPriceOnCreated": "", "reduceOnly": False, "closeOnTrigger": False,
    "smpType": "None", "smpGroup": 0, "smpOrderId": "", "tpslMode": "Full",
    "tpLimitPrice": "", "slLimitPrice": "", "placeType": "",
    "createdTime": "1684738540559", "updatedTime": "1684738540561"}],
    "nextPageCursor": "page_args%3Dfd4300ae-7847-404e-b947-b46980a4d140%26symbol%3D6%26",
    "category": "linear"}, "retExtInfo": {}, "time": 1684765770483}

# POST /v5/order/create and /v5/order/cancel acknowledgements (create-order.mdx, cancel-order.mdx)
CREATE_ACK = {"retCode": 0, "retMsg": "OK",
              "result": {"orderId": "1321003749386327552", "orderLinkId": "spot-test-postonly"},
              "retExtInfo": {}, "time": 1672211918471}
CANCEL_ACK = {"retCode": 0, "retMsg": "OK",
              "result": {"orderId": "c6f055d9-7f21-4079-913d-e6523a9cfffa",
                         "orderLinkId": "linear-004"},
              "retExtInfo": {}, "time": 1672217377164}

# GET /v5/user/query-api (docs/v5/user/apikey-info.mdx)
KEY_INFO = {"retCode": 0, "retMsg": "", "result": {
    "id": "16651472", "note": "testxxx", "apiKey": "<redacted>", "readOnly": 0, "secret": "",
    "permissions": {"ContractTrade": [], "Spot": [], "Wallet": ["AccountTransfer"],
                    "Options": [], "Derivatives": [], "CopyTrading": [], "BlockTrade": [],
                    "Exchange": [], "NFT": []},
    "ips": ["*"], "type": 1, "deadlineDay": 88, "expiredAt": "2023-05-15T03:13:24Z",
    "createdAt": "2023-02-15T03:13:24Z", "unified": 0, "uta": 0, "userID": 53888001,
    "inviterID": 0, "vipLevel": "No VIP", "mktMakerLevel": "0", "affiliateID": 0},
    "retExtInfo": {}, "time": 1676430843547}

ETH = Market(symbol="ETH/USDT:USDT", native="ETHUSDT", base="ETH", quote="USDT",
             kind=MarketKind.SWAP, settle="USDT", tick_size="0.01", step_size="0.01")


def test_server_time_prefers_nanoseconds() -> None:
    assert parsing.server_time(response(TIME)) == 1688639403423
    no_nano = {**TIME, "result": {"timeSecond": "1688639403"}}
    assert parsing.server_time(response(no_nano)) == 1688639403000
    assert parsing.server_time(response({**TIME, "result": {}})) == 1688639403423


def test_markets_from_the_linear_sample() -> None:
    payload = envelope({"category": "linear", "list": [BTC_ROW, PRELAUNCH_ROW, FUTURES_ROW],
                        "nextPageCursor": ""})
    btc, bio = parsing.markets(response(payload))  # the dated future is left out
    assert btc == Market(symbol="BTC/USDT:USDT", native="BTCUSDT", base="BTC", quote="USDT",
                         kind=MarketKind.SWAP, settle="USDT", tick_size=Decimal("0.10"),
                         step_size=Decimal("0.001"), min_quantity=Decimal("0.001"),
                         min_notional=Decimal("5"), contract_size=Decimal(1), active=True,
                         max_leverage=100)  # leverageFilter.maxLeverage "100.00"
    assert bio.symbol == "BIO/USDT:USDT" and bio.step_size == 1 and not bio.active


def test_markets_reject_a_malformed_row() -> None:
    row = {k: v for k, v in BTC_ROW.items() if k != "lotSizeFilter"}
    # a KeyError leaked out here before the shared readers; now the venue and path are named
    with pytest.raises(BadResponse, match=r"lotSizeFilter: missing @ \$\.result\.list\[0\]"):
        parsing.markets(response(envelope({"list": [row]})))
    with pytest.raises(BadResponse):
        parsing.markets(response(envelope({"category": "linear"})))


def test_wallet_balance_sample() -> None:
    balance = parsing.balance(response(WALLET))
    assert balance.exchange == "bybit"
    btc, usdt = balance["BTC"], balance["USDT"]
    assert (btc.free, btc.used, btc.total) == (Decimal("0.805994"), 0, Decimal("0.805994"))
    assert usdt.total == Decimal("5000.21")
    assert usdt.used == Decimal("182.6")  # totalOrderIM + totalPositionIM ("" locked = 0)
    assert usdt.free == Decimal("4817.61")


def test_wallet_balance_caps_used_at_the_total() -> None:
    row = {"coin": "USDT", "walletBalance": "10", "totalOrderIM": "25", "totalPositionIM": ""}
    balance = parsing.balance(response(envelope({"list": [{"accountType": "UNIFIED",
                                                           "coin": [row]}]})))
    assert (balance["USDT"].free, balance["USDT"].used) == (0, 10)


def test_realtime_order_sample() -> None:
    ref = OrderRef("ETH/USDT:USDT", client_order_id="test-000005")
    order = parsing.fetched_order(response(REALTIME), ref, ETH)
    assert order.order_id == "fd4300ae-7847-404e-b947-b46980a4d140"
    assert order.client_order_id == "test-000005"
    assert order.symbol == "ETH/USDT:USDT"
    assert (order.side, order.type, order.status) == (Side.BUY, OrderType.LIMIT,
                                                      OrderStatus.OPEN)
    assert (order.quantity, order.price) == (Decimal("0.10"), Decimal("1600.00"))
    assert order.filled_quantity == 0 and order.average_price is None  # avgPrice "0"
    assert order.time_in_force is TimeInForce.GTC and not order.reduce_only
    assert order.created_at == datetime(2023, 5, 22, 6, 55, 40, 559000, tzinfo=UTC)


def test_market_order_has_no_price() -> None:
    # venuekit convention (core payload.py: "the price of a market order" does not apply;
    # Binance, OKX, Pionex and OrangeX read None): Bybit writes its slippage-protection
    # bound in ``price`` of a Market order (BY-WORD example: "orderType":"Market",
    # "price":"72.5", "avgPrice":"75"), which is not a price the order was given.
    row = {**REALTIME["result"]["list"][0], "orderType": "Market",  # type: ignore[index]
           "price": "1680.00", "timeInForce": "IOC", "orderStatus": "Filled",
           "cumExecQty": "0.10", "avgPrice": "1600.05"}
    order = parsing.order(Reader(row, exchange="bybit"), ETH)
    assert order.type is OrderType.MARKET
    assert (order.price, order.average_price) == (None, Decimal("1600.05"))


@pytest.mark.parametrize(("status", "expected"), [
    ("Created", OrderStatus.OPEN), ("New", OrderStatus.OPEN),
    ("PartiallyFilled", OrderStatus.PARTIALLY_FILLED), ("Filled", OrderStatus.FILLED),
    ("Cancelled", OrderStatus.CANCELED), ("PartiallyFilledCanceled", OrderStatus.CANCELED),
    ("Rejected", OrderStatus.REJECTED), ("Untriggered", OrderStatus.OPEN),
    ("Triggered", OrderStatus.OPEN), ("Deactivated", OrderStatus.CANCELED),
])
def test_order_statuses(status: str, expected: OrderStatus) -> None:
    row = {**REALTIME["result"]["list"][0], "orderStatus": status,  # type: ignore[index]
           "cumExecQty": "0.05", "avgPrice": "1599.5", "timeInForce": "PostOnly"}
    order = parsing.order(Reader(row, exchange="bybit"), ETH)
    assert order.status is expected
    assert order.filled_quantity == Decimal("0.05") and order.average_price == Decimal("1599.5")
    assert order.time_in_force is TimeInForce.POST_ONLY


def test_realtime_empty_list_is_order_not_found() -> None:
    empty = envelope({"list": [], "nextPageCursor": "", "category": "linear"})
    with pytest.raises(OrderNotFound, match="client_order_id=nope"):
        parsing.fetched_order(response(empty), OrderRef("ETH/USDT:USDT",
                                                        client_order_id="nope"), ETH)


def test_realtime_row_for_another_symbol_is_refused() -> None:
    row = {**REALTIME["result"]["list"][0], "symbol": "BTCUSDT"}  # type: ignore[index]
    with pytest.raises(BadResponse, match="BTCUSDT"):
        parsing.order(Reader(row, exchange="bybit"), ETH)


def test_create_ack_sample() -> None:
    params = OrderParams(symbol="ETH/USDT:USDT", side="sell", type="limit", quantity="0.1",
                         price="1600", time_in_force="post_only",
                         client_order_id="spot-test-postonly")
    placed = parsing.placed_order(response(CREATE_ACK), params, ETH)
    assert placed.order_id == "1321003749386327552"
    assert placed.client_order_id == "spot-test-postonly"
    assert (placed.side, placed.status, placed.quantity) == (Side.SELL, OrderStatus.OPEN,
                                                             Decimal("0.1"))
    assert placed.time_in_force is TimeInForce.POST_ONLY
    assert placed.created_at == datetime(2022, 12, 28, 7, 18, 38, 471000, tzinfo=UTC)
    market = OrderParams(symbol="ETHUSDT", side="buy", type="market", quantity="1",
                         client_order_id="m-1")
    assert parsing.placed_order(response(CREATE_ACK), market, ETH).time_in_force \
        is TimeInForce.IOC


def test_cancel_ack_sample() -> None:
    ref = OrderRef("ETH/USDT:USDT", order_id="c6f055d9-7f21-4079-913d-e6523a9cfffa")
    cancelled = parsing.cancelled_order(response(CANCEL_ACK), ref, ETH)
    assert cancelled.status is OrderStatus.CANCELED
    assert cancelled.order_id == ref.order_id and cancelled.client_order_id == "linear-004"
    assert cancelled.quantity is None


def test_ack_without_order_id_is_a_bad_response() -> None:
    with pytest.raises(BadResponse, match="orderId"):
        parsing.cancelled_order(response(envelope({})), OrderRef("x", order_id="1"), ETH)


def test_key_info_sample_warns_about_no_ip_whitelist() -> None:
    perms = parsing.key_permissions(response(KEY_INFO))
    assert perms.can_withdraw is False
    assert perms.ip_restricted is False  # ips == ["*"]
    assert perms.can_trade is False      # ContractTrade and Derivatives are empty
    assert "the key has no IP whitelist" in perms.warnings()


def test_key_info_trading_key_with_withdraw_and_whitelist() -> None:
    result = {**KEY_INFO["result"], "readOnly": 0, "ips": ["203.0.113.7"],  # type: ignore[dict-item]
              "permissions": {"ContractTrade": ["Order", "Position"],
                              "Wallet": ["AccountTransfer", "Withdraw"]}}
    perms = parsing.key_permissions(response(envelope(result)))
    assert (perms.can_trade, perms.can_withdraw, perms.ip_restricted) == (True, True, True)
    read_only = parsing.key_permissions(response(envelope({**result, "readOnly": 1})))
    assert read_only.can_trade is False


def test_non_json_body_is_a_bad_response() -> None:
    with pytest.raises(BadResponse):
        parsing.balance(response(body=b"<html>502 Bad Gateway</html>"))
    with pytest.raises(BadResponse, match="envelope"):
        parsing.balance(response({"list": []}))


@pytest.mark.parametrize(("field", "value"), [("qty", ""), ("orderId", ""), ("side", "Up")])
def test_a_blank_or_unknown_order_field_is_bad_response_naming_it(field: str,
                                                                  value: str) -> None:
    # before the shared readers a blank qty read as 0 and an unknown side was a bare ValueError
    row = {**REALTIME["result"]["list"][0], field: value}  # type: ignore[index]
    with pytest.raises(BadResponse, match=rf"{field}: .* @ \$\.{field}"):
        parsing.order(Reader(row, exchange="bybit"), ETH)


def test_blank_balance_figures_still_count_as_zero() -> None:
    payload = {"list": [{"accountType": "UNIFIED", "coin": [
        {"coin": "USDT", "walletBalance": "10", "locked": "", "totalOrderIM": "",
         "totalPositionIM": "2"}]}]}
    usdt = parsing.balance(response(envelope(payload)))["USDT"]
    assert (usdt.free, usdt.used, usdt.total) == (Decimal(8), Decimal(2), Decimal(10))
