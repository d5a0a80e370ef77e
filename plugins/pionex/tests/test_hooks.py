"""Hooks driven through ``venuekit.connect`` with aioresponses mocking api.pionex.com.

An unmatched request fails (ClientConnectionError), so nothing reaches the network; the
recorded requests show exactly what was sent, and what was not.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import time
from decimal import Decimal
from typing import Any

import pytest
import venuekit
from aioresponses import aioresponses
from support import HOOK_CREDENTIALS, pionex_error, response
from venuekit.models import Credentials, OrderParams, OrderStatus
from venuekit.testing import ConnectFactory
from yarl import URL

HOST = "https://api.pionex.com"
KEY = HOOK_CREDENTIALS.api_key
SECRET = HOOK_CREDENTIALS.api_secret
NOW = 1_700_000_000_000

SYMBOLS = {"result": True, "timestamp": NOW, "data": {"symbols": [
    {"symbol": "BTC_USDT", "type": "SPOT", "baseCurrency": "BTC", "quoteCurrency": "USDT",
     "basePrecision": 6, "quotePrecision": 2, "amountPrecision": 2, "minAmount": "10",
     "minTradeSize": "0.00001", "maxTradeSize": "1000", "enable": True}]}}


def url(path: str) -> re.Pattern[str]:
    return re.compile(re.escape(HOST + path) + r"(\?.*)?$")


def sent(m: aioresponses, method: str, path: str) -> list[tuple[URL, dict[str, Any]]]:
    """The requests made to ``method path``: (url, kwargs) in order."""
    return [(key_url, call.kwargs) for (key_method, key_url), calls in m.requests.items()
            if key_method == method and key_url.path == path for call in calls]


def public(m: aioresponses, *, clock_ms: int | None = None, repeat: bool = True) -> None:
    m.get(url("/api/v1/common/symbols"), payload=SYMBOLS, repeat=repeat)
    depth = {"result": True, "timestamp": clock_ms or int(time.time() * 1000),
             "data": {"bids": [["50000.00", "1"]], "asks": [], "updateTime": NOW}}
    m.get(url("/api/v1/market/depth"), payload=depth, repeat=repeat)


@pytest.fixture
def conn(venuekit_mock_connect: ConnectFactory) -> venuekit.Connector:
    return venuekit_mock_connect()


def verify_signature(method: str, key_url: URL, kwargs: dict[str, Any]) -> None:
    """Recompute the documented signature from what the mock saw."""
    headers = kwargs["headers"]
    assert headers["PIONEX-KEY"] == KEY
    query = "&".join(f"{k}={v}" for k, v in sorted(key_url.query.items()))
    body = kwargs.get("data") or b""
    text = f"{method}{key_url.path}?{query}".encode() + body
    expected = hmac.new(SECRET.encode(), text, hashlib.sha256).hexdigest()
    assert headers["PIONEX-SIGNATURE"] == expected


# ---------------------------------------------------------------- environment


async def test_testnet_is_a_configuration_error_at_connect(
        venuekit_mock_connect: ConnectFactory) -> None:
    with pytest.raises(venuekit.ConfigurationError, match="Pionex has no test environment"):
        venuekit_mock_connect(testnet=True)


async def test_wrong_key_type_is_refused_at_connect(
        venuekit_mock_connect: ConnectFactory) -> None:
    ed = Credentials(api_key=KEY, api_secret=SECRET, key_type="ed25519")
    with pytest.raises(venuekit.ConfigurationError, match="does not take ed25519 keys"):
        venuekit_mock_connect(ed)


async def test_missing_secret_is_refused_at_connect(
        venuekit_mock_connect: ConnectFactory) -> None:
    with pytest.raises(venuekit.ConfigurationError, match="api_secret"):
        venuekit_mock_connect(Credentials(api_key=KEY))


# ---------------------------------------------------------------- reads


async def test_balance_is_signed_with_timestamp_in_the_query(
        venuekit_http_mock: aioresponses, conn: venuekit.Connector) -> None:
    public(venuekit_http_mock)
    venuekit_http_mock.get(url("/api/v1/account/balances"), payload={
        "result": True, "timestamp": NOW, "data": {"balances": [
            {"coin": "USDT", "free": "10.5", "frozen": "1"}]}})
    balance = await conn.fetch_balance()
    assert balance["USDT"].total == Decimal("11.5")
    ((key_url, kwargs),) = sent(venuekit_http_mock, "GET", "/api/v1/account/balances")
    assert list(key_url.query) == ["timestamp"]
    verify_signature("GET", key_url, kwargs)
    # the clock was read from the public depth answer before signing
    assert len(sent(venuekit_http_mock, "GET", "/api/v1/market/depth")) == 1


async def test_server_time_reads_the_depth_envelope(venuekit_http_mock: aioresponses,
                                                    conn: venuekit.Connector) -> None:
    public(venuekit_http_mock, clock_ms=NOW)
    assert await conn.server_time() == NOW
    ((key_url, _),) = sent(venuekit_http_mock, "GET", "/api/v1/market/depth")
    assert dict(key_url.query) == {"symbol": "BTC_USDT", "limit": "1"}


async def test_connection_check_measures_the_clock_and_authenticates(
        venuekit_http_mock: aioresponses, conn: venuekit.Connector) -> None:
    public(venuekit_http_mock, clock_ms=int(time.time() * 1000) + 5000)
    venuekit_http_mock.get(url("/api/v1/account/balances"), payload={
        "result": True, "timestamp": NOW, "data": {"balances": [
            {"coin": "BTC", "free": "0.9", "frozen": "0"}]}}, repeat=True)
    report = await conn.check_connection()
    assert report.ok, [s.detail for s in report.steps]
    assert [s.name for s in report.steps] == ["server time", "balance"]
    assert report.clock_offset_ms is not None and 3000 < report.clock_offset_ms < 7000
    assert report.balance is not None and report.balance["BTC"].total == Decimal("0.9")
    assert report.permissions is None  # Pionex cannot describe a key
    assert SECRET not in repr(report)


async def test_invalid_timestamp_resyncs_the_clock_and_retries_once(
        venuekit_http_mock: aioresponses, venuekit_mock_connect: ConnectFactory) -> None:
    public(venuekit_http_mock)
    error = json.loads(pionex_error("INVALID_TIMESTAMP", "invalid timestamp").body)
    venuekit_http_mock.get(url("/api/v1/account/balances"), status=401, payload=error)
    venuekit_http_mock.get(url("/api/v1/account/balances"), payload={
        "result": True, "timestamp": NOW, "data": {"balances": []}})
    policy = venuekit.RetryPolicy(max_tries=3, base_delay_s=0.001, max_delay_s=0.01)
    async with venuekit_mock_connect(retry=policy) as connector:
        balance = await connector.fetch_balance()
    assert balance.assets == ()
    assert len(sent(venuekit_http_mock, "GET", "/api/v1/account/balances")) == 2
    # synced, then resynced
    assert len(sent(venuekit_http_mock, "GET", "/api/v1/market/depth")) == 2


async def test_unknown_client_order_id_is_order_not_found(
        venuekit_http_mock: aioresponses, conn: venuekit.Connector) -> None:
    public(venuekit_http_mock)
    venuekit_http_mock.get(url("/api/v1/trade/orderByClientOrderId"), status=400,
                           payload=json.loads(pionex_error("TRADE_ORDER_NOT_FOUND",
                                                           "order not found").body))
    with pytest.raises(venuekit.OrderNotFound):
        await conn.fetch_order("BTC/USDT", client_order_id="vk-missing")
    ((key_url, kwargs),) = sent(venuekit_http_mock, "GET", "/api/v1/trade/orderByClientOrderId")
    assert key_url.query["clientOrderId"] == "vk-missing"
    verify_signature("GET", key_url, kwargs)


# ---------------------------------------------------------------- orders


async def test_limit_order_body_and_signature(venuekit_http_mock: aioresponses,
                                              conn: venuekit.Connector) -> None:
    public(venuekit_http_mock)
    venuekit_http_mock.post(url("/api/v1/trade/order"), payload={
        "result": True, "timestamp": NOW, "data": {"orderId": 77, "clientOrderId": "cl-1"}})
    placed = await conn.place_order(OrderParams(
        symbol="BTC_USDT", side="sell", type="limit", quantity="0.0015", price="65000.5",
        time_in_force="ioc", client_order_id="cl-1"))
    assert (placed.order_id, placed.symbol, placed.status) == ("77", "BTC/USDT",
                                                               OrderStatus.OPEN)
    ((key_url, kwargs),) = sent(venuekit_http_mock, "POST", "/api/v1/trade/order")
    assert kwargs["data"] == (b'{"symbol":"BTC_USDT","side":"SELL","type":"LIMIT",'
                              b'"clientOrderId":"cl-1","size":"0.0015","price":"65000.5",'
                              b'"IOC":true}')
    assert kwargs["headers"]["Content-Type"] == "application/json"
    assert list(key_url.query) == ["timestamp"]
    verify_signature("POST", key_url, kwargs)


async def test_market_buy_by_quote(venuekit_http_mock: aioresponses,
                                   conn: venuekit.Connector) -> None:
    public(venuekit_http_mock)
    venuekit_http_mock.post(url("/api/v1/trade/order"), payload={
        "result": True, "timestamp": NOW, "data": {"orderId": 78, "clientOrderId": "x"}})
    await conn.place_order(OrderParams(symbol="BTC/USDT", side="buy", type="market",
                                       quote_quantity="25"))
    ((_, kwargs),) = sent(venuekit_http_mock, "POST", "/api/v1/trade/order")
    body = json.loads(kwargs["data"])
    assert body["amount"] == "25" and "size" not in body
    # the core generated a client order id inside Pionex's rules
    assert re.fullmatch(r"[a-zA-Z0-9-]{1,64}", body["clientOrderId"])


async def test_market_buy_without_quote_quantity_is_refused_before_sending(
        venuekit_http_mock: aioresponses, conn: venuekit.Connector) -> None:
    public(venuekit_http_mock)
    with pytest.raises(venuekit.InvalidOrder, match=r"give quote_quantity \(in USDT\)"):
        await conn.place_order(OrderParams(symbol="BTC/USDT", side="buy", type="market",
                                           quantity="0.001"))
    assert sent(venuekit_http_mock, "POST", "/api/v1/trade/order") == []


async def test_fok_is_refused_before_sending(venuekit_http_mock: aioresponses,
                                             conn: venuekit.Connector) -> None:
    public(venuekit_http_mock)
    with pytest.raises(venuekit.InvalidOrder, match="no FOK orders"):
        await conn.place_order(OrderParams(symbol="BTC/USDT", side="buy", type="limit",
                                           quantity="0.001", price="50000",
                                           time_in_force="fok"))
    assert sent(venuekit_http_mock, "POST", "/api/v1/trade/order") == []


@pytest.mark.parametrize(("fields", "error", "match"), [
    ({"symbol": "NOPE/USDT"}, venuekit.UnknownSymbol, "does not list 'NOPE/USDT'"),
    ({"quantity": "0.0010005"}, venuekit.InvalidOrder, "not a multiple of the step"),
    ({"price": "50000.005"}, venuekit.InvalidOrder, "not a multiple of the tick"),
    ({"quantity": "0.000001"}, venuekit.BelowMinimum, "under the minimum"),
    ({"quantity": "0.0001", "price": "50000"}, venuekit.BelowMinimum, "order value"),
])
async def test_bad_input_is_refused_locally(venuekit_http_mock: aioresponses,
                                            conn: venuekit.Connector,
                                            fields: dict[str, Any],
                                            error: type[Exception], match: str) -> None:
    public(venuekit_http_mock)
    order = {"symbol": "BTC/USDT", "side": "buy", "type": "limit", "quantity": "0.001",
             "price": "50000", **fields}
    with pytest.raises(error, match=match):
        await conn.place_order(OrderParams(**order))
    assert sent(venuekit_http_mock, "POST", "/api/v1/trade/order") == []


async def test_cancel_sends_numeric_order_id(venuekit_http_mock: aioresponses,
                                             conn: venuekit.Connector) -> None:
    public(venuekit_http_mock)
    venuekit_http_mock.delete(url("/api/v1/trade/order"), payload={"result": True,
                                                                   "timestamp": NOW})
    result = await conn.cancel_order("BTC/USDT", order_id="123456789")
    assert result.status is OrderStatus.CANCELED and result.order_id == "123456789"
    ((key_url, kwargs),) = sent(venuekit_http_mock, "DELETE", "/api/v1/trade/order")
    assert kwargs["data"] == b'{"symbol":"BTC_USDT","orderId":123456789}'
    verify_signature("DELETE", key_url, kwargs)


async def test_cancel_by_client_id_is_refused_before_sending(
        venuekit_http_mock: aioresponses, conn: venuekit.Connector) -> None:
    public(venuekit_http_mock)
    with pytest.raises(venuekit.InvalidOrder, match="order_id only"):
        await conn.cancel_order("BTC/USDT", client_order_id="vk-1")
    assert sent(venuekit_http_mock, "DELETE", "/api/v1/trade/order") == []


# ---------------------------------------------------------------- limits


async def test_429_bans_and_the_limiter_holds_every_request_back(
        venuekit_http_mock: aioresponses, conn: venuekit.Connector) -> None:
    public(venuekit_http_mock)
    venuekit_http_mock.get(url("/api/v1/account/balances"), status=429, body="Too Many Requests")
    with pytest.raises(venuekit.IPBanned, match="60 s") as info:
        await conn.fetch_balance()
    assert info.value.retry_after == 60.0
    # another request would extend the ban by 10 s: the limiter does not let it out
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(conn.fetch_balance(), timeout=0.3)
    assert len(sent(venuekit_http_mock, "GET", "/api/v1/account/balances")) == 1


def test_no_usage_headers_means_no_feedback() -> None:
    hook = venuekit.Registry(allow=["pionex"]).load("pionex").manager.hook
    reply = response({"result": True, "data": {}, "timestamp": 1},
                     headers={"X-RateLimit-Remaining": "3"})
    assert hook.rate_limit_feedback(response=reply) == []
