"""Parsers against OKX's documented sample payloads (abridged, inline, no keys or signatures)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from okx_helpers import envelope, response
from venuekit import (
    BadResponse,
    Market,
    MarketKind,
    OrderNotFound,
    OrderParams,
    OrderRef,
    OrderStatus,
    OrderType,
    TimeInForce,
)
from venuekit.payload import Reader
from venuekit_okx import endpoints, parsing

# GET /api/v5/public/time (OK-PD)
TIME = {"code": "0", "data": [{"ts": "1597026383085"}], "msg": ""}

# GET /api/v5/public/instruments?instType=SWAP: a linear USDT swap, a USDC one, an inverse
# swap (shape of OK-PD "Get instruments"; the inverse row as OKX returns it)
INSTRUMENTS = envelope([
    {"instType": "SWAP", "instId": "BTC-USDT-SWAP", "uly": "BTC-USDT", "instFamily": "BTC-USDT",
     "baseCcy": "", "quoteCcy": "", "settleCcy": "USDT", "ctVal": "0.01", "ctMult": "1",
     "ctValCcy": "BTC", "ctType": "linear", "lever": "100", "tickSz": "0.1", "lotSz": "0.01",
     "minSz": "0.01", "state": "live", "listTime": "1611916828000", "expTime": "",
     "maxLmtSz": "100000000", "maxMktSz": "10000"},
    {"instType": "SWAP", "instId": "ETH-USDC-SWAP", "uly": "ETH-USDC", "instFamily": "ETH-USDC",
     "settleCcy": "USDC", "ctVal": "0.001", "ctMult": "1", "ctValCcy": "ETH",
     "ctType": "linear", "tickSz": "0.01", "lotSz": "1", "minSz": "1", "state": "suspend"},
    {"alias": "", "baseCcy": "", "category": "1", "ctMult": "1", "ctType": "inverse",
     "ctVal": "100", "ctValCcy": "USD", "expTime": "", "instFamily": "BTC-USD",
     "instId": "BTC-USD-SWAP", "instType": "SWAP", "lever": "125",
     "listTime": "1611916828000", "lotSz": "1", "maxLmtSz": "100000000", "maxMktSz": "10000",
     "minSz": "1", "optType": "", "quoteCcy": "", "settleCcy": "BTC", "state": "live",
     "stk": "", "tickSz": "0.1", "uly": "BTC-USD"},
])

# GET /api/v5/account/balance (OK-TA "Get balance", trimmed)
BALANCE = envelope([{
    "adjEq": "55415.624719833286", "availEq": "55415.624719833286", "totalEq": "55837.43556134779",
    "uTime": "1705474164160", "upl": "0", "imr": "0", "mmr": "0", "ordFroz": "",
    "details": [{
        "availBal": "4834.317093622894", "availEq": "4834.3170936228935",
        "cashBal": "4850.435693622894", "ccy": "USDT", "eq": "4992.890093622894",
        "eqUsd": "4991.542013297616", "frozenBal": "158.573", "ordFrozen": "0",
        "uTime": "1705449605015", "upl": "-7.545600000000006", "liab": "0"}],
}])

# GET /api/v5/account/config (OK-TA "Get account configuration", trimmed)
CONFIG = envelope([{
    "acctLv": "2", "acctStpMode": "cancel_maker", "autoLoan": False, "ip": "",
    "kycLv": "3", "label": "v5 test", "level": "Lv1", "mainUid": "44705892343619584",
    "perm": "read_only,withdraw,trade", "posMode": "long_short_mode",
    "uid": "44705892343619584"}])

# GET /api/v5/trade/order (OK-OBT "Get order details", trimmed; SWAP, partially filled)
ORDER = envelope([{
    "instType": "SWAP", "instId": "BTC-USDT-SWAP", "ccy": "", "ordId": "680800019749904384",
    "clOrdId": "vk0001", "tag": "", "px": "30000.1", "sz": "25", "pnl": "0",
    "ordType": "limit", "side": "buy", "posSide": "net", "tdMode": "cross",
    "accFillSz": "10", "fillPx": "30000.1", "tradeId": "1", "fillSz": "10",
    "fillTime": "1708587373362", "state": "partially_filled", "avgPx": "30000.1",
    "lever": "10", "feeCcy": "USDT", "fee": "-0.15", "category": "normal",
    "reduceOnly": "false", "cancelSource": "", "uTime": "1708587373362",
    "cTime": "1708587373361"}])

# POST /api/v5/trade/order, success (okx.md section 4)
PLACED = {"code": "0", "msg": "", "data": [{"clOrdId": "vk0001", "ordId": "636305438765568000",
                                            "tag": "", "ts": "1697979038584",
                                            "sCode": "0", "sMsg": "Order placed"}],
          "inTime": "1697979038584486", "outTime": "1697979038586493"}

# POST /api/v5/trade/cancel-order, accepted (okx.md section 4)
CANCELED = {"code": "0", "msg": "", "data": [{"clOrdId": "vk0001", "ordId": "636305438765568000",
                                              "ts": "1697979039000", "sCode": "0", "sMsg": ""}],
            "inTime": "1697979038584486", "outTime": "1697979038586493"}


def btc_market() -> Market:
    found = parsing.markets(response(INSTRUMENTS))
    return next(m for m in found if m.native == "BTC-USDT-SWAP")


def test_server_time() -> None:
    assert endpoints.server_time().parse(response(TIME)) == 1597026383085


def test_markets_convert_contracts_to_base() -> None:
    found = {m.native: m for m in endpoints.fetch_markets().parse(response(INSTRUMENTS))}
    assert set(found) == {"BTC-USDT-SWAP", "ETH-USDC-SWAP"}  # inverse swap skipped
    btc = found["BTC-USDT-SWAP"]
    assert (btc.symbol, btc.base, btc.quote, btc.settle) == ("BTC/USDT:USDT", "BTC", "USDT",
                                                             "USDT")
    assert btc.kind is MarketKind.SWAP
    assert btc.contract_size == Decimal("0.01")
    assert btc.tick_size == Decimal("0.1")
    assert btc.step_size == Decimal("0.0001")  # lotSz 0.01 contracts x ctVal 0.01 BTC
    assert btc.min_quantity == Decimal("0.0001")
    assert btc.active
    eth = found["ETH-USDC-SWAP"]
    assert eth.symbol == "ETH/USDC:USDC"
    assert eth.step_size == Decimal("0.001") and eth.min_quantity == Decimal("0.001")
    assert not eth.active  # suspended


def test_markets_request_asks_for_swaps() -> None:
    request = endpoints.fetch_markets().request
    assert (request.method, request.path, request.query) == (
        "GET", "/api/v5/public/instruments", (("instType", "SWAP"),))
    assert not request.signed


def test_balance_uses_equity_available_and_frozen() -> None:
    balance = endpoints.fetch_balance().parse(response(BALANCE))
    usdt = balance["USDT"]
    assert usdt.total == Decimal("4992.890093622894")
    assert usdt.free == Decimal("4834.317093622894")
    assert usdt.used == Decimal("158.573")
    assert usdt.free + usdt.used == usdt.total
    assert balance.exchange == "okx"


def test_balance_falls_back_when_fields_are_empty() -> None:
    payload = envelope([{"details": [{"ccy": "BTC", "eq": "", "cashBal": "2", "availBal": "",
                                      "availEq": "1.5", "frozenBal": ""}]}])
    btc = parsing.balance(response(payload))["BTC"]
    assert (btc.total, btc.free, btc.used) == (Decimal(2), Decimal("1.5"), Decimal("0.5"))


def test_key_permissions_from_account_config() -> None:
    perms = parsing.key_permissions(response(CONFIG))
    assert perms.can_read and perms.can_trade and perms.can_withdraw
    assert perms.ip_restricted is False
    assert "the key can withdraw funds; trading keys should not" in perms.warnings()
    assert "the key has no IP whitelist" in perms.warnings()
    bound = envelope([{"perm": "read_only,trade", "ip": "117.37.203.58,117.37.203.57"}])
    perms = parsing.key_permissions(response(bound))
    assert perms.can_trade and not perms.can_withdraw and perms.ip_restricted
    assert perms.warnings() == ()
    read_only = parsing.key_permissions(response(envelope([{"perm": "read_only"}])))
    assert read_only.can_trade is False and read_only.ip_restricted is None


def test_order_details_in_base_currency() -> None:
    result = endpoints.fetch_order(
        OrderRef("BTC/USDT:USDT", order_id="680800019749904384"),
        btc_market()).parse(response(ORDER))
    assert result.order_id == "680800019749904384"
    assert result.client_order_id == "vk0001"
    assert result.symbol == "BTC/USDT:USDT"
    assert result.status is OrderStatus.PARTIALLY_FILLED
    assert result.type is OrderType.LIMIT and result.time_in_force is TimeInForce.GTC
    assert result.quantity == Decimal("0.25")  # 25 contracts x 0.01 BTC
    assert result.filled_quantity == Decimal("0.1")
    assert result.price == Decimal("30000.1")
    assert result.average_price == Decimal("30000.1")
    assert result.reduce_only is False
    assert result.created_at == datetime(2024, 2, 22, 7, 36, 13, 361000, tzinfo=UTC)


@pytest.mark.parametrize(("state", "status"), [
    ("live", OrderStatus.OPEN), ("partially_filled", OrderStatus.PARTIALLY_FILLED),
    ("filled", OrderStatus.FILLED), ("canceled", OrderStatus.CANCELED),
    ("mmp_canceled", OrderStatus.CANCELED)])
def test_order_states(state: str, status: OrderStatus) -> None:
    row = dict(ORDER["data"][0], state=state)
    assert parsing.order(Reader(row, exchange="okx"), btc_market()).status is status


@pytest.mark.parametrize(("ord_type", "kind", "tif"), [
    ("market", OrderType.MARKET, None), ("optimal_limit_ioc", OrderType.MARKET, TimeInForce.IOC),
    ("limit", OrderType.LIMIT, TimeInForce.GTC), ("ioc", OrderType.LIMIT, TimeInForce.IOC),
    ("fok", OrderType.LIMIT, TimeInForce.FOK),
    ("post_only", OrderType.LIMIT, TimeInForce.POST_ONLY)])
def test_order_types_carry_time_in_force(ord_type: str, kind: OrderType,
                                         tif: TimeInForce | None) -> None:
    row = dict(ORDER["data"][0], ordType=ord_type)
    result = parsing.order(Reader(row, exchange="okx"), btc_market())
    assert (result.type, result.time_in_force) == (kind, tif)


def test_market_order_without_price_or_fill() -> None:
    row: dict[str, Any] = dict(ORDER["data"][0], ordType="market", px="", avgPx="",
                               accFillSz="0", state="live", clOrdId="", reduceOnly="true")
    result = parsing.order(Reader(row, exchange="okx"), btc_market())
    assert result.price is None and result.average_price is None
    assert result.filled_quantity == 0
    assert result.client_order_id is None
    assert result.reduce_only is True


def test_placed_order_acknowledgement() -> None:
    order = OrderParams(symbol="BTC/USDT:USDT", side="buy", type="limit", quantity="0.25",
                        price="30000.1", client_order_id="vk0001")
    result = endpoints.place_order(order, btc_market()).parse(response(PLACED))
    assert result.order_id == "636305438765568000"
    assert result.client_order_id == "vk0001"
    assert result.status is OrderStatus.OPEN
    assert result.quantity == Decimal("0.25")  # what was asked, in base
    assert result.created_at == datetime(2023, 10, 22, 12, 50, 38, 584000, tzinfo=UTC)


def test_cancel_acknowledgement() -> None:
    call = endpoints.cancel_order(OrderRef("BTC/USDT:USDT", client_order_id="vk0001"),
                                  btc_market())
    result = call.parse(response(CANCELED))
    assert result.order_id == "636305438765568000"
    assert result.client_order_id == "vk0001"
    assert result.status is OrderStatus.CANCELED
    assert result.quantity is None
    assert result.side is None and result.type is None  # OKX does not say; nothing invented


def test_empty_order_answer_is_not_found() -> None:
    call = endpoints.fetch_order(OrderRef("BTC/USDT:USDT", client_order_id="nope"),
                                 btc_market())
    with pytest.raises(OrderNotFound):
        call.parse(response(envelope([])))


@pytest.mark.parametrize("payload", [
    {"code": "0", "msg": ""},  # no data
    {"code": "0", "msg": "", "data": {"ts": "1"}},  # data not an array
    envelope([]),  # empty
    envelope([{"ts": "soon"}]),  # not milliseconds
])
def test_malformed_time_is_bad_response(payload: Any) -> None:
    with pytest.raises(BadResponse):
        parsing.server_time(response(payload))


@pytest.mark.parametrize("row", [
    {"instType": "SWAP", "ctType": "linear", "instId": "X-USDT-SWAP", "instFamily": "",
     "ctVal": "1", "tickSz": "0.1", "lotSz": "1", "minSz": "1"},  # no family
    {"instType": "SWAP", "ctType": "linear", "instId": "X-USDT-SWAP", "instFamily": "X-USDT",
     "ctVal": "abc", "tickSz": "0.1", "lotSz": "1", "minSz": "1"},  # not a number
    {"instType": "SWAP", "ctType": "linear", "instId": "X-USDT-SWAP", "instFamily": "X-USDT",
     "ctVal": "0", "tickSz": "0.1", "lotSz": "1", "minSz": "1"},  # zero contract value
])
def test_malformed_instrument_is_bad_response(row: dict[str, Any]) -> None:
    with pytest.raises(BadResponse):
        parsing.markets(response(envelope([row])))


def test_malformed_order_is_bad_response() -> None:
    with pytest.raises(BadResponse, match="state"):
        parsing.order(Reader(dict(ORDER["data"][0], state="exploded"), exchange="okx"),
                      btc_market())
    with pytest.raises(BadResponse, match="sz"):
        parsing.order(Reader(dict(ORDER["data"][0], sz=""), exchange="okx"), btc_market())


def test_html_body_is_bad_response() -> None:
    with pytest.raises(BadResponse, match="HTML"):
        parsing.balance(response(b"<html>502 Bad Gateway</html>", status=200))


# ---------------------------------------------------------------- shared readers


def test_a_balance_detail_that_is_not_an_object_is_bad_response_naming_its_path() -> None:
    # skipped silently before the shared readers: a hole in a balance is not a zero
    payload = envelope([{"details": [BALANCE["data"][0]["details"][0], "junk"]}])
    with pytest.raises(BadResponse,
                       match=r"1: not an object: 'junk' @ \$\.data\[0\]\.details\[1\]"):
        parsing.balance(response(payload))


def test_order_ids_written_as_json_integers_read_as_text() -> None:
    row = dict(ORDER["data"][0], ordId=680800019749904384)
    result = parsing.order(Reader(row, exchange="okx"), btc_market())
    assert result.order_id == "680800019749904384"


@pytest.mark.parametrize("flag", ["", "maybe"])
def test_a_reduce_only_flag_that_is_not_a_boolean_is_bad_response(flag: str) -> None:
    # read as False before the shared readers
    with pytest.raises(BadResponse, match="reduceOnly: invalid boolean"):
        parsing.order(Reader(dict(ORDER["data"][0], reduceOnly=flag), exchange="okx"),
                      btc_market())
