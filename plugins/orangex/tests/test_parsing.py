"""Parsers on the docs' sample payloads (OX-DOC, abridged where marked) and wire reports.

Payloads are inline literals; tokens are shortened and no key or signature appears.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from venuekit.errors import BadResponse, InvalidOrder, OrderNotFound
from venuekit.models import (
    Credentials,
    Market,
    MarketKind,
    OrderParams,
    OrderRef,
    OrderResult,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)
from venuekit.payload import Reader
from venuekit.wire import Response
from venuekit_orangex import endpoints, orders, rpc

CREDS = Credentials(api_key="client-id-0001", api_secret="client-secret-0001")
BTC = Market(symbol="BTC/USDT:USDT", native="BTC-USDT-PERPETUAL", base="BTC", quote="USDT",
             settle="USDT", kind=MarketKind.SWAP, tick_size=Decimal("0.1"),
             step_size=Decimal("0.001"), min_quantity=Decimal("0.001"))
ETH = Market(symbol="ETH/USDT:USDT", native="ETH-USDT-PERPETUAL", base="ETH", quote="USDT",
             settle="USDT", kind=MarketKind.SWAP, tick_size=Decimal("0.01"),
             step_size=Decimal("0.01"), min_quantity=Decimal("0.01"))

# OX-DOC "auth" example result (token strings shortened)
AUTH_RESULT: dict[str, Any] = {
    "access_token": "ba3avFNzfE", "token_type": "bearer", "refresh_token": "X9Vt",
    "expires_in": 43199,
    "scope": "account:read_write block_trade:read_write trade:read_write wallet:read_write"}
# OX-DOC get_order_state / open orders example (abridged in orangex.md)
ORDER_STATE = {"currency": "PERPETUAL", "kind": "perpetual", "direction": "buy", "amount": "0.1",
               "price": "3020", "order_id": "262959142199320576", "order_state": "canceled",
               "instrument_name": "ETH-USDT-PERPETUAL", "filled_amount": "0",
               "average_price": "0", "order_type": "limit", "time_in_force": "FOK",
               "post_only": False, "reduce_only": False, "creation_timestamp": 1650524745053,
               "custom_order_id": "vk-1"}
# /public/get_instruments?currency=PERPETUAL row as OX-AO describes the wire
INSTRUMENT = {"instrument_name": "BTC-USDT-PERPETUAL", "kind": "perpetual", "is_active": True,
              "base_currency": "USDT", "quote_currency": "BTC", "show_name": "BTCUSDT",
              "tick_size": "0.1", "min_trade_amount": "0.001", "min_qty": "0.001",
              "min_notional": "10", "maker_commission": "0.0002", "taker_commission": "0.0006",
              "creation_timestamp": 1600000000000, "leverage": 200, "obDepth": 100}


# ---------------------------------------------------------------- envelope and session


def parse_order(row: dict[str, Any], market: Market) -> OrderResult:
    return orders.parse_order(Reader(row, exchange="orangex"), market)


def parse_market(row: dict[str, Any], now_ms: int | None = None) -> Market | None:
    return endpoints.parse_market(Reader(row, exchange="orangex"), now_ms)


def test_fractional_lifetime_is_accepted(reply: Any) -> None:
    call = endpoints.login(CREDS)
    token = call.parse(reply(call, result={**AUTH_RESULT, "expires_in": 899.5}))  # JSON number
    assert 899 <= (token.expires_at - datetime.now(UTC)).total_seconds() <= 899.5


def test_auth_result_becomes_a_token(reply: Any) -> None:
    call = endpoints.login(CREDS)
    before = datetime.now(UTC)
    token = call.parse(reply(call, result=AUTH_RESULT, elapsed_ms=500))
    assert token.access_token == "ba3avFNzfE" and token.refresh_token == "X9Vt"
    assert token.scope.startswith("account:read_write")
    lifetime = (token.expires_at - before).total_seconds()
    assert 43198 <= lifetime <= 43199  # counted from the send, half a second earlier


@pytest.mark.parametrize("change", [{"access_token": ""}, {"expires_in": 0},
                                    {"expires_in": "43199"}, {"token_type": "mac"}])
def test_malformed_auth_result_is_a_bad_response(reply: Any, change: dict[str, Any]) -> None:
    call = endpoints.login(CREDS)
    with pytest.raises(BadResponse):
        call.parse(reply(call, result={**AUTH_RESULT, **change}))


def test_scope_becomes_key_permissions() -> None:
    perms = endpoints.permissions_from_scope(AUTH_RESULT["scope"])
    assert (perms.can_read, perms.can_trade, perms.can_withdraw, perms.ip_restricted) == (
        True, True, True, None)
    assert perms.warnings() == ("the key can withdraw funds; trading keys should not",)
    narrow = endpoints.permissions_from_scope("account:read trade:read wallet:none")
    assert (narrow.can_read, narrow.can_trade, narrow.can_withdraw) == (True, False, False)


def test_ping_gives_the_venue_clock_between_usin_and_usout(reply: Any) -> None:
    call = endpoints.server_time()
    assert call.request.path == "/public/ping" and not call.request.signed
    assert call.parse(reply(call, result={}, usIn=1790135119408, usOut=1790135119410)) == \
        1790135119409


def test_microsecond_stamps_as_the_docs_describe_them_are_accepted(reply: Any) -> None:
    call = endpoints.server_time()
    assert call.parse(reply(call, result={}, usIn=1790135119408000,
                            usOut=1790135119410000)) == 1790135119409


def test_reply_without_clock_falls_back_to_the_date_header(reply: Any) -> None:
    call = endpoints.server_time()
    response = reply(call, members={"jsonrpc": "2.0", "result": {}})
    dated = Response(exchange="orangex", status=200, body=response.body,
                     headers={"date": "Wed, 23 Sep 2026 03:45:19 GMT"},
                     request=response.request)
    assert call.parse(dated) == 1790135119000


def test_reply_without_any_clock_is_a_bad_response(reply: Any) -> None:
    call = endpoints.server_time()
    with pytest.raises(BadResponse, match="usIn"):
        call.parse(reply(call, members={"jsonrpc": "2.0", "result": {}}))


def test_reply_with_neither_result_nor_error_is_ambiguous(reply: Any) -> None:
    call = orders.place_order(OrderParams(symbol="BTC/USDT:USDT", side="buy", type="limit",
                                          quantity="0.01", price="40000",
                                          client_order_id="vk1"), BTC)
    with pytest.raises(BadResponse, match="neither result nor error") as info:
        call.parse(reply(call))
    assert info.value.ambiguous


def test_reply_to_another_request_is_refused(reply: Any) -> None:
    call = endpoints.fetch_balance()
    response = reply(call, result={"PERPETUAL": {"available_funds": "1"}}, id="999999999")
    with pytest.raises(BadResponse, match="request id"):
        call.parse(response)


# ---------------------------------------------------------------- markets and balance


def test_instrument_row_with_swapped_currencies() -> None:
    market = parse_market(INSTRUMENT, now_ms=1790135119408)
    assert market == Market(
        symbol="BTC/USDT:USDT", native="BTC-USDT-PERPETUAL", base="BTC", quote="USDT",
        settle="USDT", kind=MarketKind.SWAP, tick_size=Decimal("0.1"),
        step_size=Decimal("0.001"), min_quantity=Decimal("0.001"),
        min_notional=Decimal("10"), contract_size=None, active=True,
        max_leverage=200)  # the row's "leverage": the instrument's maximum


def test_instrument_not_yet_listed_is_inactive() -> None:
    market = parse_market({**INSTRUMENT, "creation_timestamp": 1790135400000},
                                    now_ms=1790135119408)
    assert market is not None and not market.active


def test_step_and_minimum_may_differ() -> None:
    market = parse_market({**INSTRUMENT, "min_qty": "0.005"})
    assert market is not None
    assert (market.step_size, market.min_quantity) == (Decimal("0.001"), Decimal("0.005"))


@pytest.mark.parametrize("row", [
    {**INSTRUMENT, "instrument_name": "BTC-USDT-SPOT", "kind": "spot"},
    {**INSTRUMENT, "instrument_name": "BTC-USDT"},
    {**INSTRUMENT, "kind": "future"},
])
def test_rows_that_are_not_linear_perpetuals_are_skipped(row: dict[str, Any]) -> None:
    assert parse_market(row) is None


def test_names_with_digits_and_non_latin_coins_parse() -> None:
    assert endpoints.split_instrument("1000SHIB-USDT-PERPETUAL") == ("1000SHIB", "USDT")
    assert endpoints.split_instrument("币安人生-USDT-PERPETUAL") == ("币安人生", "USDT")


def test_instrument_without_tick_is_a_bad_response() -> None:
    with pytest.raises(BadResponse, match="tick_size"):
        parse_market({k: v for k, v in INSTRUMENT.items() if k != "tick_size"})


def test_instruments_reply(reply: Any) -> None:
    call = endpoints.fetch_markets()
    assert call.request.body["params"] == {"currency": "PERPETUAL"}
    later = {**INSTRUMENT, "instrument_name": "OURA-USDT-PERPETUAL",
             "creation_timestamp": 1790135119408 + 300_000}
    markets = call.parse(reply(call, result=[INSTRUMENT, later]))
    assert [(m.symbol, m.active) for m in markets] == [("BTC/USDT:USDT", True),
                                                       ("OURA/USDT:USDT", False)]


def test_assets_info_becomes_the_usdt_balance(reply: Any) -> None:
    call = endpoints.fetch_balance()
    assert call.request.signed and call.request.body["params"] == {"asset_type": ["PERPETUAL"]}
    perpetual = {"wallet_balance": "1000.5", "available_funds": "900.25",
                 "available_withdraw_funds": "900.25", "total_margin_balance": "1010.5",
                 "total_upl": "10", "order_frozen": "50"}  # get_assets_info, abridged
    balance = call.parse(reply(call, result={"PERPETUAL": perpetual}))
    usdt = balance["USDT"]
    assert (usdt.free, usdt.used, usdt.total) == (Decimal("900.25"), Decimal("110.25"),
                                                  Decimal("1010.5"))


def test_assets_info_without_margin_balance_uses_the_wallet(reply: Any) -> None:
    call = endpoints.fetch_balance()
    balance = call.parse(reply(call, result={"PERPETUAL": {"wallet_balance": "0",
                                                           "available_funds": "0"}}))
    assert balance["USDT"].total == 0


def test_assets_info_docs_example_without_total_or_wallet_balance(reply: Any) -> None:
    # OX-DOC "Get assets info" (https://openapi-docs.orangex.com, Wallet section): its real
    # example's PERPETUAL object has neither total_margin_balance nor wallet_balance, only
    # the cross / isolated margin balances (the old code raised BadResponse on it). In the
    # user.asset.PERPETUAL example cross + isolated = total_margin_balance.
    call = endpoints.fetch_balance()
    documented = {"global_state": 0, "available_funds": "0", "available_withdraw_funds": "0",
                  "total_pl": "0", "total_upl": "0", "position_rpl": "0",
                  "total_upl_isolated": "0", "total_upl_cross": "0",
                  "total_initial_margin_cross": "0", "total_initial_margin_isolated": "0",
                  "total_variable_funds": "0", "total_margin_balance_isolated": "0",
                  "total_margin_balance_cross": "0", "total_maintenance_margin_cross": "0",
                  "total_wallet_balance_isolated": "0", "order_frozen": "0",
                  "order_cross_frozen": "0", "order_isolated_frozen": "0", "bonus": 0,
                  "bonus_max": 0}
    assert call.parse(reply(call, result={"PERPETUAL": documented}))["USDT"].total == 0
    pushed = {"available_funds": "102716.31684805",
              "total_margin_balance_isolated": "5364.397621",
              "total_margin_balance_cross": "102716.31684805"}
    usdt = call.parse(reply(call, result={"PERPETUAL": pushed}))["USDT"]
    assert usdt.total == Decimal("108080.71446905")
    assert usdt.used == Decimal("5364.397621")


def test_every_order_names_the_one_way_position_side() -> None:
    # OX-DOC "Buy" / "Sell" parameters: position_side is listed "required: true", enum
    # BOTH, LONG, SHORT, default BOTH (one-way mode). The old code never sent it.
    for changes in ({}, {"side": "sell", "reduce_only": True},
                    {"type": "market", "price": None}):
        params = orders.place_order(_order(**changes), BTC).request.body["params"]
        assert params["position_side"] == "BOTH"


def test_assets_info_without_funds_is_a_bad_response(reply: Any) -> None:
    call = endpoints.fetch_balance()
    with pytest.raises(BadResponse, match="available_funds"):
        call.parse(reply(call, result={"PERPETUAL": {"wallet_balance": "1"}}))


# ---------------------------------------------------------------- orders


def _order(**changes: Any) -> OrderParams:
    fields: dict[str, Any] = {"symbol": "BTC/USDT:USDT", "side": "buy", "type": "limit",
                              "quantity": "0.010", "price": "50000", "client_order_id": "vk-1"}
    fields.update(changes)
    return OrderParams(**fields)


def test_limit_buy_request() -> None:
    request = orders.place_order(_order(), BTC).request
    assert request.path == "/private/buy" and request.body["method"] == "/private/buy"
    assert request.signed and not request.idempotent and request.cost == {"requests": 1}
    assert request.body["params"] == {"instrument_name": "BTC-USDT-PERPETUAL",
                                      "amount": "0.01", "type": "limit", "price": "50000",
                                      "time_in_force": "good_til_cancelled",
                                      "position_side": "BOTH", "custom_order_id": "vk-1"}


def test_post_only_reduce_only_sell_request() -> None:
    params = orders.place_order(_order(side="sell", time_in_force="post_only",
                                       reduce_only=True), BTC).request.body["params"]
    assert params["time_in_force"] == "good_til_cancelled"
    assert params["post_only"] is True and params["reduce_only"] is True
    assert orders.place_order(_order(side="sell"), BTC).request.path == "/private/sell"


def test_market_order_sends_no_price_and_the_venue_default_time_in_force() -> None:
    params = orders.place_order(_order(type="market", price=None), BTC).request.body["params"]
    assert params == {"instrument_name": "BTC-USDT-PERPETUAL", "amount": "0.01",
                      "type": "market", "position_side": "BOTH", "custom_order_id": "vk-1"}
    ioc = orders.place_order(_order(type="market", price=None, time_in_force="ioc"), BTC)
    assert ioc.request.body["params"]["time_in_force"] == "immediate_or_cancel"


def test_buy_reply_acknowledges_receipt_only(reply: Any) -> None:
    order = _order()
    call = orders.place_order(order, BTC)
    # OX-DOC buy example; custom_order_id comes back empty (OX-DY)
    result = call.parse(reply(call, result={"order": {"order_id": "77409325612535808",
                                                      "custom_order_id": ""}}))
    assert result.order_id == "77409325612535808" and result.client_order_id == "vk-1"
    assert result.status is OrderStatus.OPEN and result.symbol == "BTC/USDT:USDT"
    assert (result.side, result.type, result.quantity, result.price) == (
        Side.BUY, OrderType.LIMIT, Decimal("0.010"), Decimal("50000"))


def test_buy_reply_without_order_id_is_a_bad_response(reply: Any) -> None:
    call = orders.place_order(_order(), BTC)
    with pytest.raises(BadResponse, match="order_id"):
        call.parse(reply(call, result={"order": {}}))


def test_cancel_reply_names_only_the_order(reply: Any) -> None:
    ref = OrderRef("BTC/USDT:USDT", order_id="77409325612535808")
    call = orders.cancel_order(ref, BTC)
    assert call.request.body["params"] == {"order_id": "77409325612535808"}
    assert call.request.idempotent
    result = call.parse(reply(call, result={"order_id": "77409325612535808"}))  # OX-DOC
    assert result.status is OrderStatus.CANCELED and result.order_id == "77409325612535808"
    assert result.side is None and result.type is None and result.quantity is None


def test_cancel_reply_with_a_full_order_is_used_whole(reply: Any) -> None:
    call = orders.cancel_order(OrderRef("ETH/USDT:USDT", order_id="262959142199320576"), ETH)
    result = call.parse(reply(call, result=ORDER_STATE))
    assert result.side is Side.BUY and result.status is OrderStatus.CANCELED


def test_order_state_example(reply: Any) -> None:
    call = orders.fetch_order(OrderRef("ETH/USDT:USDT", order_id="262959142199320576"), ETH)
    assert call.request.path == "/private/get_order_state"
    assert call.request.body["params"] == {"order_id": "262959142199320576"}
    result = call.parse(reply(call, result=ORDER_STATE))
    assert result.status is OrderStatus.CANCELED  # the wire's spelling, "canceled"
    assert (result.side, result.type, result.time_in_force) == (
        Side.BUY, OrderType.LIMIT, TimeInForce.FOK)
    assert (result.quantity, result.price, result.filled_quantity, result.average_price) == (
        Decimal("0.1"), Decimal("3020"), Decimal(0), None)
    assert result.client_order_id == "vk-1" and result.symbol == "ETH/USDT:USDT"
    assert result.created_at == datetime(2022, 4, 21, 7, 5, 45, 53000, tzinfo=UTC)


@pytest.mark.parametrize(("changes", "status"), [
    ({"order_state": "open", "filled_amount": "0.04"}, OrderStatus.PARTIALLY_FILLED),
    ({"order_state": "open"}, OrderStatus.OPEN),
    ({"order_state": "filled", "filled_amount": "0.1"}, OrderStatus.FILLED),
    ({"order_state": "cancelled"}, OrderStatus.CANCELED),  # the docs' spelling
    ({"order_state": "rejected"}, OrderStatus.REJECTED),
])
def test_order_states(changes: dict[str, Any], status: OrderStatus) -> None:
    assert parse_order({**ORDER_STATE, **changes}, ETH).status is status


def test_post_only_and_long_time_in_force_spellings() -> None:
    record = {**ORDER_STATE, "time_in_force": "good_til_cancelled", "post_only": True,
              "custom_order_id": ""}
    result = parse_order(record, ETH)
    assert result.time_in_force is TimeInForce.POST_ONLY and result.client_order_id is None


def test_unknown_order_state_is_never_guessed() -> None:
    with pytest.raises(BadResponse, match="untriggered"):
        parse_order({**ORDER_STATE, "order_state": "untriggered"}, ETH)


def test_order_on_another_instrument_is_refused() -> None:
    with pytest.raises(InvalidOrder, match="ETH-USDT-PERPETUAL"):
        parse_order(ORDER_STATE, BTC)


def test_empty_order_state_is_not_found(reply: Any) -> None:
    call = orders.fetch_order(OrderRef("ETH/USDT:USDT", order_id="1"), ETH)
    with pytest.raises(OrderNotFound):
        call.parse(reply(call, result=None))


@pytest.mark.parametrize("build", [orders.fetch_order, orders.cancel_order])
def test_lookup_by_client_order_id_alone_is_refused(build: Any) -> None:
    with pytest.raises(InvalidOrder, match="order_id only") as info:
        build(OrderRef("BTC/USDT:USDT", client_order_id="vk-1"), BTC)
    assert "vk-1" in str(info.value) and info.value.exchange == "orangex"


def test_ids_count_up() -> None:
    first = rpc.call("/public/ping", {}, signed=False).body["id"]
    assert rpc.call("/public/ping", {}, signed=False).body["id"] == first + 1


# ---------------------------------------------------------------- shared readers


def test_an_instrument_marked_inactive_as_a_string_is_inactive() -> None:
    # bool("false") made it active before the shared readers
    market = parse_market({**INSTRUMENT, "is_active": "false"})
    assert market is not None and not market.active


def test_a_zero_creation_time_counts_as_listed() -> None:
    market = parse_market({**INSTRUMENT, "creation_timestamp": "0"}, now_ms=1)
    assert market is not None and market.active


def test_a_malformed_order_names_the_field_and_its_path() -> None:
    with pytest.raises(BadResponse, match=r"amount: invalid decimal 'x' @ \$\.amount"):
        parse_order({**ORDER_STATE, "amount": "x"}, ETH)
