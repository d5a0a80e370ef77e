"""The hooks driven through venuekit.connect with the OKX host mocked by aioresponses.

aioresponses refuses any request it was not told about, so nothing reaches the network; the
recorded calls show exactly what the plugin put on the wire.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
import venuekit
from aioresponses import aioresponses
from okx_helpers import DOC_SECRET, HOST, envelope
from venuekit import (
    Capability,
    ConfigurationError,
    Credentials,
    InsufficientFunds,
    InvalidOrder,
    InvalidSignature,
    KeyType,
    LimitScope,
    OrderParams,
    OrderStatus,
    UnknownSymbol,
)
from venuekit.testing import ConnectFactory
from venuekit.wire import Response
from venuekit_okx import plugin
from venuekit_okx.sim_auth import expected_signature, parse_iso_ms

TIME_URL = f"{HOST}/api/v5/public/time"
INSTRUMENTS_URL = re.compile(r"^https://www\.okx\.com/api/v5/public/instruments\?instType=SWAP$")
BALANCE_URL = f"{HOST}/api/v5/account/balance"
CONFIG_URL = f"{HOST}/api/v5/account/config"
ORDER_URL = f"{HOST}/api/v5/trade/order"
ORDER_QUERY_URL = re.compile(r"^https://www\.okx\.com/api/v5/trade/order\?")
CANCEL_URL = f"{HOST}/api/v5/trade/cancel-order"

INSTRUMENT = {"instType": "SWAP", "instId": "BTC-USDT-SWAP", "instFamily": "BTC-USDT",
              "uly": "BTC-USDT", "settleCcy": "USDT", "ctVal": "0.01", "ctMult": "1",
              "ctValCcy": "BTC", "ctType": "linear", "tickSz": "0.1", "lotSz": "0.01",
              "minSz": "0.01", "state": "live"}
BALANCE = envelope([{"totalEq": "1000", "details": [
    {"ccy": "USDT", "eq": "1000", "availBal": "900", "frozenBal": "100", "cashBal": "1000"}]}])


def order_row(**changes: Any) -> dict[str, Any]:
    row = {"instType": "SWAP", "instId": "BTC-USDT-SWAP", "ordId": "777", "clOrdId": "vkabc",
           "px": "40000", "sz": "2", "ordType": "limit", "side": "buy", "posSide": "net",
           "tdMode": "cross", "accFillSz": "0", "avgPx": "", "state": "live",
           "reduceOnly": "false", "cTime": "1700000000000", "uTime": "1700000000000"}
    row.update(changes)
    return row


def ack(order_id: str = "777", client_id: str = "vkabc") -> dict[str, Any]:
    return envelope([{"ordId": order_id, "clOrdId": client_id, "tag": "", "ts": "1700000000000",
                      "sCode": "0", "sMsg": ""}])


def mock_public(mocked: aioresponses) -> None:
    mocked.get(TIME_URL, payload=envelope([{"ts": "1700000000000"}]), repeat=True)
    mocked.get(INSTRUMENTS_URL, payload=envelope([INSTRUMENT]), repeat=True)


def calls(mocked: aioresponses, method: str, path: str) -> list[Any]:
    return [call for (m, url), found in mocked.requests.items() for call in found
            if m == method and url.path == path]


def sent_headers(call: Any) -> dict[str, str]:
    return dict(call.kwargs["headers"])


@pytest.fixture
def conn(venuekit_mock_connect: ConnectFactory) -> venuekit.Connector:
    return venuekit_mock_connect()


@pytest.fixture
def captured(conn: venuekit.Connector) -> list[Response]:
    """Every response the connector received, with the exact signed request behind it."""
    seen: list[Response] = []
    conn.transport.on_response = seen.append
    return seen


# ---------------------------------------------------------------- exchange info


def test_exchange_info() -> None:
    info = plugin.exchange_info()
    assert info.name == "okx"
    assert info.hosts.live == "https://www.okx.com"
    assert info.hosts.testnet == "https://www.okx.com"
    assert dict(info.hosts.testnet_headers) == {"x-simulated-trading": "1"}
    assert info.credential_fields == ("api_key", "api_secret", "passphrase")
    assert info.key_types == frozenset({KeyType.HMAC})
    assert info.capabilities == frozenset({
        Capability.FETCH_ORDER_BY_CLIENT_ID, Capability.REDUCE_ONLY, Capability.TESTNET,
        Capability.KEY_PERMISSIONS, Capability.FETCH_OPEN_ORDERS,
        Capability.FETCH_OPEN_ORDERS_ALL_SYMBOLS, Capability.FETCH_MY_TRADES,
        Capability.FETCH_POSITIONS, Capability.CANCEL_ORDERS, Capability.AMEND_ORDER_PRICE,
        Capability.AMEND_ORDER_QUANTITY, Capability.SET_LEVERAGE, Capability.PLACE_ORDERS,
        Capability.FETCH_TICKER, Capability.FETCH_ORDER_BOOK})
    # OKX has no cancel-all for a swap instrument: the core composes it
    assert Capability.CANCEL_ALL_ORDERS not in info.capabilities
    assert (info.max_batch_orders, info.max_batch_cancels) == (20, 20)
    rules = {rule.name: rule for rule in info.rate_limits}
    assert (rules["place_order"].limit, rules["place_order"].period_s) == (60, 2.0)
    assert rules["place_order"].scope is LimitScope.ACCOUNT
    assert (rules["balance"].limit, rules["balance"].scope) == (10, LimitScope.ACCOUNT)
    assert rules["public_time"].scope is LimitScope.IP
    rule = info.client_order_id
    assert rule.max_length == 32
    rule.check("vk0123456789abcdefABCDEF01234567")
    for bad in ("has-dash", "has_underscore", "x" * 33):
        with pytest.raises(InvalidOrder):
            rule.check(bad)


def test_every_request_cost_names_a_declared_rule() -> None:
    from venuekit import OrderRef
    from venuekit_okx import endpoints

    names = {rule.name for rule in plugin.exchange_info().rate_limits}
    market = next(iter(endpoints.fetch_markets().parse(
        Response(exchange="okx", status=200, headers={},
                 body=json.dumps(envelope([INSTRUMENT])).encode()))))
    ref = OrderRef(market.symbol, order_id="1")
    order = OrderParams(symbol=market.symbol, side="buy", type="market", quantity="0.01",
                        client_order_id="vk1")
    calls_ = [endpoints.server_time(), endpoints.fetch_markets(), endpoints.fetch_balance(),
              endpoints.key_permissions(), endpoints.place_order(order, market),
              endpoints.fetch_order(ref, market), endpoints.cancel_order(ref, market)]
    for call in calls_:
        assert call.request.cost and set(call.request.cost) <= names, call.request.path
        assert call.request.idempotent is (call.request.path != "/api/v5/trade/order"
                                           or call.request.method == "GET")


def test_rate_limit_feedback_is_empty() -> None:
    response = Response(exchange="okx", status=200, headers={"X-Whatever": "5"}, body=b"{}")
    assert plugin.rate_limit_feedback(response=response) == []


# ---------------------------------------------------------------- balance and signing


async def test_balance_is_signed_as_okx_documents(conn: venuekit.Connector,
                                                  venuekit_http_mock: aioresponses) -> None:
    mock_public(venuekit_http_mock)
    venuekit_http_mock.get(BALANCE_URL, payload=BALANCE)
    balance = await conn.fetch_balance()
    assert balance["USDT"].free == Decimal(900)
    (call,) = calls(venuekit_http_mock, "GET", "/api/v5/account/balance")
    headers = sent_headers(call)
    assert headers["OK-ACCESS-KEY"] == "test-okx-key-00000000"
    assert headers["OK-ACCESS-PASSPHRASE"] == "test-passphrase"
    assert "x-simulated-trading" not in headers
    expected = expected_signature(DOC_SECRET, headers["OK-ACCESS-TIMESTAMP"], "GET",
                                  "/api/v5/account/balance", b"")
    assert headers["OK-ACCESS-SIGN"] == expected


async def test_demo_trading_adds_the_header_on_the_same_host(
        venuekit_http_mock: aioresponses, venuekit_mock_connect: ConnectFactory) -> None:
    async with venuekit_mock_connect(testnet=True) as demo:
        assert demo.base_url == "https://www.okx.com"
        mock_public(venuekit_http_mock)
        venuekit_http_mock.get(BALANCE_URL, payload=BALANCE)
        await demo.fetch_balance()
    (call,) = calls(venuekit_http_mock, "GET", "/api/v5/account/balance")
    assert sent_headers(call)["x-simulated-trading"] == "1"


async def test_connection_check_reports_withdraw_and_missing_whitelist(
        venuekit_http_mock: aioresponses, venuekit_mock_connect: ConnectFactory) -> None:
    async with venuekit_mock_connect() as conn:
        mock_public(venuekit_http_mock)
        venuekit_http_mock.get(BALANCE_URL, payload=BALANCE)
        venuekit_http_mock.get(CONFIG_URL, payload=envelope([{"perm": "read_only,withdraw,trade",
                                                              "ip": ""}]))
        report = await conn.check_connection()
    assert report.ok
    assert [step.name for step in report.steps] == ["server time", "balance", "key permissions"]
    assert report.permissions is not None and report.permissions.can_withdraw
    assert "the key can withdraw funds; trading keys should not" in report.warnings
    assert "the key has no IP whitelist" in report.warnings


async def test_signature_error_maps_from_http_401(conn: venuekit.Connector,
                                                  venuekit_http_mock: aioresponses) -> None:
    mock_public(venuekit_http_mock)
    venuekit_http_mock.get(BALANCE_URL, status=401,
                           payload={"code": "50113", "msg": "Invalid signature.", "data": []})
    with pytest.raises(InvalidSignature) as info:
        await conn.fetch_balance()
    assert info.value.code == "50113" and info.value.status == 401


# ---------------------------------------------------------------- orders


async def test_limit_order_body_in_contracts(conn: venuekit.Connector,
                                             venuekit_http_mock: aioresponses) -> None:
    mock_public(venuekit_http_mock)
    venuekit_http_mock.post(ORDER_URL, payload=ack())
    placed = await conn.place_order(OrderParams(
        symbol="BTC/USDT:USDT", side="buy", type="limit", quantity="0.02", price="40000",
        client_order_id="vkabc"))
    assert placed.order_id == "777" and placed.status is OrderStatus.OPEN
    assert placed.quantity == Decimal("0.02")
    (call,) = calls(venuekit_http_mock, "POST", "/api/v5/trade/order")
    body = call.kwargs["data"]
    assert json.loads(body) == {"instId": "BTC-USDT-SWAP", "tdMode": "cross", "side": "buy",
                                "posSide": "net", "ordType": "limit", "px": "40000", "sz": "2",
                                "clOrdId": "vkabc"}
    headers = sent_headers(call)
    assert headers["Content-Type"] == "application/json"
    timestamp = headers["OK-ACCESS-TIMESTAMP"]
    assert headers["OK-ACCESS-SIGN"] == expected_signature(DOC_SECRET, timestamp, "POST",
                                                           "/api/v5/trade/order", body)
    # expTime = the signed timestamp + 5 s: OKX discards the order after that
    assert int(headers["expTime"]) == parse_iso_ms(timestamp) + 5000


@pytest.mark.parametrize(("fields", "ord_type", "extra"), [
    ({"type": "market"}, "market", {}),
    ({"type": "market", "time_in_force": "IOC"}, "optimal_limit_ioc", {}),
    ({"type": "limit", "price": "40000", "time_in_force": "IOC"}, "ioc", {"px": "40000"}),
    ({"type": "limit", "price": "40000", "time_in_force": "FOK"}, "fok", {"px": "40000"}),
    ({"type": "limit", "price": "40000.5", "time_in_force": "POST_ONLY"}, "post_only",
     {"px": "40000.5"}),
    ({"type": "market", "reduce_only": True}, "market", {"reduceOnly": True}),
])
async def test_time_in_force_and_reduce_only_encoding(
        conn: venuekit.Connector, fields: dict[str, Any], ord_type: str,
        extra: dict[str, Any], venuekit_http_mock: aioresponses) -> None:
    mock_public(venuekit_http_mock)
    venuekit_http_mock.post(ORDER_URL, payload=ack())
    await conn.place_order(OrderParams(symbol="BTC-USDT-SWAP", side="sell",
                                       quantity="0.0123", client_order_id="vkabc",
                                       **fields))
    (call,) = calls(venuekit_http_mock, "POST", "/api/v5/trade/order")
    body = json.loads(call.kwargs["data"])
    assert body["ordType"] == ord_type
    assert body["sz"] == "1.23"  # 0.0123 BTC / 0.01 BTC per contract
    assert body["side"] == "sell"
    for key, value in extra.items():
        assert body[key] == value
    assert ("reduceOnly" in body) is ("reduceOnly" in extra)


async def test_order_rejection_in_scode(conn: venuekit.Connector,
                                        venuekit_http_mock: aioresponses) -> None:
    mock_public(venuekit_http_mock)
    venuekit_http_mock.post(ORDER_URL, payload=envelope(
        [{"clOrdId": "vkabc", "ordId": "", "sCode": "51008",
          "sMsg": "Order failed. Insufficient USDT margin in account", "tag": ""}],
        code="1", msg=""))
    with pytest.raises(InsufficientFunds) as info:
        await conn.place_order(OrderParams(symbol="BTC/USDT:USDT", side="buy",
                                           type="market", quantity="0.01"))
    assert info.value.code == "51008"
    # a rejection is final
    assert len(calls(venuekit_http_mock, "POST", "/api/v5/trade/order")) == 1


async def test_unknown_state_code_looks_up_by_client_id_before_resending(
        conn: venuekit.Connector, captured: list[Response],
        venuekit_http_mock: aioresponses) -> None:
    mock_public(venuekit_http_mock)
    venuekit_http_mock.post(ORDER_URL, status=400, payload=envelope(
        [], code="50004", msg="API endpoint request timeout."))
    venuekit_http_mock.get(ORDER_QUERY_URL, payload=envelope([order_row(clOrdId="vkabc")]))
    placed = await conn.place_order(OrderParams(
        symbol="BTC/USDT:USDT", side="buy", type="limit", quantity="0.02", price="40000",
        client_order_id="vkabc"))
    assert placed.order_id == "777"
    assert len(calls(venuekit_http_mock, "POST", "/api/v5/trade/order")) == 1  # found: never resent
    (lookup,) = calls(venuekit_http_mock, "GET", "/api/v5/trade/order")
    assert lookup.kwargs.get("data") is None
    signed = captured[-1].request
    assert signed is not None
    assert signed.target == "/api/v5/trade/order?instId=BTC-USDT-SWAP&clOrdId=vkabc"


async def test_fetch_by_client_id_and_cancel(conn: venuekit.Connector,
                                             venuekit_http_mock: aioresponses) -> None:
    mock_public(venuekit_http_mock)
    venuekit_http_mock.get(ORDER_QUERY_URL, payload=envelope([
        order_row(state="partially_filled", accFillSz="1", avgPx="40000")]))
    venuekit_http_mock.post(CANCEL_URL, payload=ack())
    found = await conn.fetch_order("BTC/USDT:USDT", client_order_id="vkabc")
    canceled = await conn.cancel_order("BTC/USDT:USDT", order_id="777")
    assert found.quantity == Decimal("0.02") and found.filled_quantity == Decimal("0.01")
    assert found.status is OrderStatus.PARTIALLY_FILLED
    assert canceled.status is OrderStatus.CANCELED and canceled.order_id == "777"
    (cancel,) = calls(venuekit_http_mock, "POST", "/api/v5/trade/cancel-order")
    assert json.loads(cancel.kwargs["data"]) == {"instId": "BTC-USDT-SWAP", "ordId": "777"}
    assert "expTime" not in sent_headers(cancel)  # cancels are idempotent; no expiry


# ---------------------------------------------------------------- bad input, nothing sent


async def test_missing_passphrase_is_refused_at_connect(
        venuekit_mock_connect: ConnectFactory) -> None:
    with pytest.raises(ConfigurationError, match="passphrase"):
        venuekit_mock_connect(Credentials(api_key="k", api_secret="s"))


async def test_wrong_key_type_is_refused_at_connect(
        venuekit_mock_connect: ConnectFactory) -> None:
    creds = Credentials(api_key="k", api_secret="s", passphrase="p", key_type="ed25519",
                        private_key="00" * 32)
    with pytest.raises(ConfigurationError, match="ed25519"):
        venuekit_mock_connect(creds)


@pytest.mark.parametrize(("fields", "error", "match"), [
    ({"symbol": "DOGE/USDT:USDT"}, UnknownSymbol, "does not list"),
    ({"quantity": "0.00015"}, InvalidOrder, "step"),
    ({"price": "40000.05"}, InvalidOrder, "tick"),
    ({"quantity": "0.00005"}, InvalidOrder, "step|minimum"),
    ({"type": "market", "price": None, "time_in_force": "FOK"}, InvalidOrder, "fill-or-kill"),
    ({"client_order_id": "has-a-dash"}, InvalidOrder, "client_order_id"),
])
async def test_bad_orders_send_nothing(conn: venuekit.Connector, fields: dict[str, Any],
                                       error: type[Exception], match: str,
                                       venuekit_http_mock: aioresponses) -> None:
    order: dict[str, Any] = {"symbol": "BTC/USDT:USDT", "side": "buy", "type": "limit",
                             "quantity": "0.01", "price": "40000"}
    order.update(fields)
    mock_public(venuekit_http_mock)
    with pytest.raises(error, match=match):
        await conn.place_order(OrderParams(**order))
    assert calls(venuekit_http_mock, "POST", "/api/v5/trade/order") == []
