"""The hooks driven through ``venuekit.connect`` with the Bybit host mocked (aioresponses).

An unmatched request fails, so nothing reaches the network. aioresponses records requests
under a normalised URL (sorted query), so the exact bytes are checked through the signature:
it only matches when the signer signed exactly the expected query string or body.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from decimal import Decimal
from typing import Any

import pytest
from aioresponses import aioresponses
from aioresponses.core import RequestCall
from venuekit import (
    BelowMinimum,
    ConfigurationError,
    Credentials,
    InsufficientFunds,
    InvalidOrder,
    OrderNotFound,
    OrderParams,
    RateLimitExceeded,
    UnknownSymbol,
)
from venuekit.models import OrderStatus, OrderType, Side, TimeInForce, Usage
from venuekit.testing import ConnectFactory
from venuekit.wire import Response, SignedRequest
from venuekit_bybit.plugin import rate_limit_feedback

LIVE = "https://api.bybit.com"

def url(path: str, host: str = LIVE) -> re.Pattern[str]:
    return re.compile("^" + re.escape(host + path) + r"(\?.*)?$")


def ok(result: Any) -> dict[str, Any]:
    return {"retCode": 0, "retMsg": "OK", "result": result, "retExtInfo": {},
            "time": int(time.time() * 1000)}


def server_time() -> dict[str, Any]:
    now = int(time.time() * 1000)
    return ok({"timeSecond": str(now // 1000), "timeNano": str(now * 1_000_000)})


INSTRUMENTS = ok({"category": "linear", "nextPageCursor": "", "list": [{
    "symbol": "BTCUSDT", "contractType": "LinearPerpetual", "status": "Trading",
    "baseCoin": "BTC", "quoteCoin": "USDT", "settleCoin": "USDT",
    "priceFilter": {"minPrice": "0.10", "maxPrice": "1999999.80", "tickSize": "0.10"},
    "lotSizeFilter": {"maxOrderQty": "1190.000", "minOrderQty": "0.001", "qtyStep": "0.001",
                      "maxMktOrderQty": "500.000", "minNotionalValue": "5"}}]})

ORDER_ROW = {"orderId": "1321003749386327552", "orderLinkId": "cid-1", "symbol": "BTCUSDT",
             "price": "40000.00", "qty": "0.010", "side": "Buy", "positionIdx": 0,
             "orderStatus": "New", "avgPrice": "", "leavesQty": "0.010", "cumExecQty": "0",
             "timeInForce": "GTC", "orderType": "Limit", "reduceOnly": False,
             "createdTime": "1684738540559", "updatedTime": "1684738540561"}


def calls(m: aioresponses, method: str, path: str) -> list[RequestCall]:
    found: list[RequestCall] = []
    for (verb, where), made in m.requests.items():
        if verb == method and where.path == path:
            found.extend(made)
    return found


def sent_paths(m: aioresponses) -> list[tuple[str, str]]:
    return sorted((verb, where.path) for verb, where in m.requests)


def assert_signed(call: RequestCall, creds: Credentials, payload: bytes) -> None:
    """The headers Bybit wants, and a signature over exactly ``payload``."""
    headers = call.kwargs["headers"]
    assert headers["X-BAPI-API-KEY"] == creds.api_key
    assert headers["X-BAPI-RECV-WINDOW"] == "5000"
    assert headers["X-BAPI-SIGN-TYPE"] == "2"
    stamp = headers["X-BAPI-TIMESTAMP"]
    assert abs(int(stamp) - time.time() * 1000) < 5000
    message = f"{stamp}{creds.api_key}5000".encode() + payload
    expected = hmac.new(creds.api_secret.encode(), message, hashlib.sha256).hexdigest()
    assert headers["X-BAPI-SIGN"] == expected


def order(**changes: Any) -> OrderParams:
    fields: dict[str, Any] = {"symbol": "BTC/USDT:USDT", "side": "buy", "type": "limit",
                              "quantity": "0.01", "price": "40000", "client_order_id": "cid-1"}
    fields.update(changes)
    return OrderParams(**fields)


def mock_markets(m: aioresponses, host: str = LIVE) -> None:
    m.get(url("/v5/market/instruments-info", host), payload=INSTRUMENTS)


def mock_time(m: aioresponses, host: str = LIVE) -> None:
    m.get(url("/v5/market/time", host), payload=server_time(), repeat=True)


# ---------------------------------------------------------------- public and account


async def test_markets_request(venuekit_http_mock: aioresponses,
                               venuekit_mock_connect: ConnectFactory) -> None:
    mock_markets(venuekit_http_mock)
    async with venuekit_mock_connect() as conn:
        (btc,) = await conn.fetch_markets()
    assert btc.symbol == "BTC/USDT:USDT" and btc.native == "BTCUSDT"
    (call,) = calls(venuekit_http_mock, "GET", "/v5/market/instruments-info")
    assert "X-BAPI-SIGN" not in (call.kwargs.get("headers") or {})
    (where,) = [u for _, u in venuekit_http_mock.requests
                if u.path == "/v5/market/instruments-info"]
    assert dict(where.query) == {"category": "linear", "limit": "1000"}


async def test_balance_is_signed_over_the_query(venuekit_http_mock: aioresponses,
                                                venuekit_mock_connect: ConnectFactory,
                                                venuekit_credentials: Credentials) -> None:
    mock_time(venuekit_http_mock)
    venuekit_http_mock.get(url("/v5/account/wallet-balance"), payload=ok({"list": [{
        "accountType": "UNIFIED", "coin": [{"coin": "USDT", "walletBalance": "1000",
                                            "totalOrderIM": "10", "totalPositionIM": "5",
                                            "locked": "0"}]}]}))
    async with venuekit_mock_connect() as conn:
        balance = await conn.fetch_balance()
    assert (balance["USDT"].free, balance["USDT"].used, balance["USDT"].total) == (985, 15,
                                                                                   1000)
    (call,) = calls(venuekit_http_mock, "GET", "/v5/account/wallet-balance")
    assert_signed(call, venuekit_credentials, b"accountType=UNIFIED")
    assert not call.kwargs.get("data")


@pytest.mark.parametrize(("options", "host"), [
    ({"testnet": True}, "https://api-testnet.bybit.com"),
    ({"base_url": "https://api-demo.bybit.com"}, "https://api-demo.bybit.com"),
])
async def test_test_and_demo_hosts(venuekit_http_mock: aioresponses,
                                   venuekit_mock_connect: ConnectFactory,
                                   options: dict[str, Any], host: str) -> None:
    mock_time(venuekit_http_mock, host)
    async with venuekit_mock_connect(**options) as conn:
        assert conn.base_url == host
        assert await conn.server_time() > 1_600_000_000_000
    assert all(str(u).startswith(host) for _, u in venuekit_http_mock.requests)


async def test_connection_test_reports_withdraw_and_whitelist(
        venuekit_http_mock: aioresponses, venuekit_mock_connect: ConnectFactory) -> None:
    mock_time(venuekit_http_mock)
    venuekit_http_mock.get(url("/v5/account/wallet-balance"), payload=ok({"list": [{
        "accountType": "UNIFIED", "coin": [{"coin": "USDT", "walletBalance": "50"}]}]}))
    venuekit_http_mock.get(url("/v5/user/query-api"), payload=ok({
        "readOnly": 0, "ips": ["*"],
        "permissions": {"ContractTrade": ["Order", "Position"],
                        "Wallet": ["AccountTransfer", "Withdraw"]}}))
    async with venuekit_mock_connect() as conn:
        report = await conn.check_connection()
    assert report.ok, [s.detail for s in report.steps]
    assert [s.name for s in report.steps] == ["server time", "balance", "key permissions"]
    assert report.balance is not None and report.balance["USDT"].total == 50
    assert report.permissions is not None and report.permissions.can_trade
    assert "the key can withdraw funds; trading keys should not" in report.warnings
    assert "the key has no IP whitelist" in report.warnings


# ---------------------------------------------------------------- orders


async def test_limit_order_body_and_result(venuekit_http_mock: aioresponses,
                                           venuekit_mock_connect: ConnectFactory,
                                           venuekit_credentials: Credentials) -> None:
    mock_markets(venuekit_http_mock)
    mock_time(venuekit_http_mock)
    venuekit_http_mock.post(url("/v5/order/create"), payload=ok({"orderId": "1321003749386327552",
                                                                 "orderLinkId": "cid-1"}))
    async with venuekit_mock_connect() as conn:
        placed = await conn.place_order(order())
    assert placed.order_id == "1321003749386327552" and placed.client_order_id == "cid-1"
    assert (placed.status, placed.side, placed.type) == (OrderStatus.OPEN, Side.BUY,
                                                         OrderType.LIMIT)
    assert placed.quantity == Decimal("0.01") and placed.symbol == "BTC/USDT:USDT"
    (call,) = calls(venuekit_http_mock, "POST", "/v5/order/create")
    body = (b'{"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Limit",'
            b'"qty":"0.01","price":"40000","timeInForce":"GTC","orderLinkId":"cid-1",'
            b'"positionIdx":0}')
    assert call.kwargs["data"] == body
    assert call.kwargs["headers"]["Content-Type"] == "application/json"
    assert_signed(call, venuekit_credentials, body)


async def test_reduce_only_market_sell_by_native_symbol(
        venuekit_http_mock: aioresponses, venuekit_mock_connect: ConnectFactory) -> None:
    mock_markets(venuekit_http_mock)
    mock_time(venuekit_http_mock)
    venuekit_http_mock.post(url("/v5/order/create"), payload=ok({"orderId": "77",
                                                                 "orderLinkId": "c-2"}))
    async with venuekit_mock_connect() as conn:
        placed = await conn.place_order(order(symbol="BTCUSDT", side="sell", type="market",
                                              price=None, quantity="0.5",
                                              client_order_id="c-2", reduce_only=True))
    assert placed.symbol == "BTC/USDT:USDT" and placed.reduce_only
    assert placed.time_in_force is TimeInForce.IOC
    (call,) = calls(venuekit_http_mock, "POST", "/v5/order/create")
    assert call.kwargs["data"] == (
        b'{"category":"linear","symbol":"BTCUSDT","side":"Sell","orderType":"Market",'
        b'"qty":"0.5","orderLinkId":"c-2","positionIdx":0,"reduceOnly":true}')


@pytest.mark.parametrize(("tif", "wire"), [("ioc", "IOC"), ("fok", "FOK"),
                                           ("post_only", "PostOnly")])
async def test_time_in_force_values(venuekit_http_mock: aioresponses,
                                    venuekit_mock_connect: ConnectFactory,
                                    tif: str, wire: str) -> None:
    mock_markets(venuekit_http_mock)
    mock_time(venuekit_http_mock)
    venuekit_http_mock.post(url("/v5/order/create"), payload=ok({"orderId": "9",
                                                                 "orderLinkId": "cid-1"}))
    async with venuekit_mock_connect() as conn:
        await conn.place_order(order(time_in_force=tif))
    (call,) = calls(venuekit_http_mock, "POST", "/v5/order/create")
    assert f'"timeInForce":"{wire}"'.encode() in call.kwargs["data"]


async def test_generated_client_id_fits_bybit(venuekit_http_mock: aioresponses,
                                              venuekit_mock_connect: ConnectFactory) -> None:
    mock_markets(venuekit_http_mock)
    mock_time(venuekit_http_mock)
    venuekit_http_mock.post(url("/v5/order/create"), payload=ok({"orderId": "9",
                                                                 "orderLinkId": ""}))
    async with venuekit_mock_connect() as conn:
        placed = await conn.place_order(order(client_order_id=None))
    cid = placed.client_order_id
    assert cid is not None and re.fullmatch(r"[A-Za-z0-9_-]{1,36}", cid)
    (call,) = calls(venuekit_http_mock, "POST", "/v5/order/create")
    assert f'"orderLinkId":"{cid}"'.encode() in call.kwargs["data"]


async def test_fetch_order_by_client_id(venuekit_http_mock: aioresponses,
                                        venuekit_mock_connect: ConnectFactory,
                                        venuekit_credentials: Credentials) -> None:
    mock_markets(venuekit_http_mock)
    mock_time(venuekit_http_mock)
    venuekit_http_mock.get(url("/v5/order/realtime"), payload=ok({"category": "linear",
                                                                  "list": [ORDER_ROW]}))
    async with venuekit_mock_connect() as conn:
        found = await conn.fetch_order("BTC/USDT:USDT", client_order_id="cid-1")
    assert found.order_id == "1321003749386327552" and found.status is OrderStatus.OPEN
    assert found.price == Decimal("40000") and found.average_price is None
    (call,) = calls(venuekit_http_mock, "GET", "/v5/order/realtime")
    assert_signed(call, venuekit_credentials,
                  b"category=linear&symbol=BTCUSDT&orderLinkId=cid-1&openOnly=0")


async def test_fetch_unknown_order_is_order_not_found(venuekit_http_mock: aioresponses,
                                                      venuekit_mock_connect: ConnectFactory,
                                                      venuekit_credentials: Credentials) -> None:
    mock_markets(venuekit_http_mock)
    mock_time(venuekit_http_mock)
    venuekit_http_mock.get(url("/v5/order/realtime"), payload=ok({"category": "linear", "list": [],
                                                                  "nextPageCursor": ""}))
    async with venuekit_mock_connect() as conn:
        with pytest.raises(OrderNotFound):
            await conn.fetch_order("BTCUSDT", order_id="123")
    (call,) = calls(venuekit_http_mock, "GET", "/v5/order/realtime")
    assert_signed(call, venuekit_credentials,
                  b"category=linear&symbol=BTCUSDT&orderId=123&openOnly=0")


async def test_cancel_by_order_id(venuekit_http_mock: aioresponses,
                                  venuekit_mock_connect: ConnectFactory,
                                  venuekit_credentials: Credentials) -> None:
    mock_markets(venuekit_http_mock)
    mock_time(venuekit_http_mock)
    venuekit_http_mock.post(url("/v5/order/cancel"), payload=ok({"orderId": "123",
                                                                 "orderLinkId": "c"}))
    async with venuekit_mock_connect() as conn:
        cancelled = await conn.cancel_order("BTC/USDT:USDT", order_id="123")
    assert cancelled.status is OrderStatus.CANCELED and cancelled.order_id == "123"
    (call,) = calls(venuekit_http_mock, "POST", "/v5/order/cancel")
    body = b'{"category":"linear","symbol":"BTCUSDT","orderId":"123"}'
    assert call.kwargs["data"] == body
    assert_signed(call, venuekit_credentials, body)


async def test_cancel_of_a_finished_order(venuekit_http_mock: aioresponses,
                                          venuekit_mock_connect: ConnectFactory) -> None:
    mock_markets(venuekit_http_mock)
    mock_time(venuekit_http_mock)
    venuekit_http_mock.post(url("/v5/order/cancel"), payload={
        "retCode": 110001, "retMsg": "order not exists or too late to cancel",
        "result": {}, "retExtInfo": {}})
    async with venuekit_mock_connect() as conn:
        with pytest.raises(OrderNotFound) as info:
            await conn.cancel_order("BTC/USDT:USDT", client_order_id="gone")
    assert info.value.code == "110001" and info.value.exchange == "bybit"
    (call,) = calls(venuekit_http_mock, "POST", "/v5/order/cancel")
    assert call.kwargs["data"] == b'{"category":"linear","symbol":"BTCUSDT","orderLinkId":"gone"}'


async def test_venue_rejection_is_final(venuekit_http_mock: aioresponses,
                                        venuekit_mock_connect: ConnectFactory) -> None:
    mock_markets(venuekit_http_mock)
    mock_time(venuekit_http_mock)
    venuekit_http_mock.post(url("/v5/order/create"), payload={
        "retCode": 110007, "retMsg": "ab not enough for new order", "result": {},
        "retExtInfo": {}, "time": 1668838414793})
    async with venuekit_mock_connect(retry=None) as conn:
        with pytest.raises(InsufficientFunds, match="not enough"):
            await conn.place_order(order())
    assert len(calls(venuekit_http_mock, "POST", "/v5/order/create")) == 1  # never resent


async def test_rate_limited_read(venuekit_http_mock: aioresponses,
                                 venuekit_mock_connect: ConnectFactory) -> None:
    mock_time(venuekit_http_mock)
    now = int(time.time() * 1000)
    venuekit_http_mock.get(url("/v5/account/wallet-balance"),
                           payload={"retCode": 10006, "retMsg": "Too many visits!", "result": {},
                                    "retExtInfo": {}, "time": now},
                           headers={"X-Bapi-Limit": "50", "X-Bapi-Limit-Status": "0",
                                    "X-Bapi-Limit-Reset-Timestamp": str(now + 400)})
    async with venuekit_mock_connect() as conn:
        with pytest.raises(RateLimitExceeded) as info:
            await conn.fetch_balance()
    assert info.value.retry_after == pytest.approx(0.4)


# ---------------------------------------------------------------- bad input: nothing sent


def test_wrong_key_type_is_refused(venuekit_mock_connect: ConnectFactory) -> None:
    ed = Credentials(api_key="k" * 20, api_secret="s" * 20, key_type="ed25519",
                     private_key="00" * 32)
    with pytest.raises(ConfigurationError, match="does not take ed25519"):
        venuekit_mock_connect(ed)
    rsa = Credentials(api_key="k" * 20, api_secret="s" * 20, key_type="rsa")
    with pytest.raises(ConfigurationError, match="takes: hmac"):
        venuekit_mock_connect(rsa)


def test_missing_secret_is_refused(venuekit_mock_connect: ConnectFactory) -> None:
    with pytest.raises(ConfigurationError, match="api_secret"):
        venuekit_mock_connect(Credentials(api_key="k" * 20))


@pytest.mark.parametrize(("changes", "error", "match"), [
    ({"symbol": "BTC/USDT"}, UnknownSymbol, "does not list"),           # spot
    ({"symbol": "DOGE/USDT:USDT"}, UnknownSymbol, "does not list"),
    ({"quantity": "0.0105"}, InvalidOrder, "step"),
    ({"price": "40000.05"}, InvalidOrder, "tick"),
    ({"quantity": "0.001", "price": "1000"}, BelowMinimum, "order value"),
    ({"type": "market", "price": None, "time_in_force": "fok"}, InvalidOrder, "IOC"),
    ({"client_order_id": "has space"}, InvalidOrder, "does not match"),
    ({"client_order_id": "x" * 37}, InvalidOrder, "36"),
])
async def test_bad_orders_send_nothing(venuekit_http_mock: aioresponses,
                                       venuekit_mock_connect: ConnectFactory,
                                       changes: dict[str, Any], error: type[Exception],
                                       match: str) -> None:
    mock_markets(venuekit_http_mock)
    async with venuekit_mock_connect() as conn:
        with pytest.raises(error, match=match):
            await conn.place_order(order(**changes))
    assert sent_paths(venuekit_http_mock) == [("GET", "/v5/market/instruments-info")]


# ---------------------------------------------------------------- rate-limit feedback


def feedback_response(path: str, headers: dict[str, str]) -> Response:
    signed = SignedRequest(method="GET", path=path)
    return Response(exchange="bybit", status=200, headers=headers, body=b"{}", request=signed)


@pytest.mark.parametrize(("path", "rule"), [
    ("/v5/order/create", "order_create"), ("/v5/order/cancel", "order_cancel"),
    ("/v5/order/realtime", "order_realtime"), ("/v5/account/wallet-balance", "wallet_balance"),
    ("/v5/user/query-api", "query_api"),
])
def test_usage_is_limit_minus_remaining(path: str, rule: str) -> None:
    headers = {"x-bapi-limit": "10", "x-bapi-limit-status": "7",
               "X-Bapi-Limit-Reset-Timestamp": "1672738134824"}
    assert rate_limit_feedback(feedback_response(path, headers)) == [Usage(rule, 3)]


@pytest.mark.parametrize("headers", [
    {}, {"X-Bapi-Limit": "10"}, {"X-Bapi-Limit": "ten", "X-Bapi-Limit-Status": "7"},
    {"X-Bapi-Limit": "0", "X-Bapi-Limit-Status": "0"},
])
def test_no_usage_without_usable_headers(headers: dict[str, str]) -> None:
    assert rate_limit_feedback(feedback_response("/v5/order/create", headers)) == []


def test_no_usage_for_public_paths_or_unknown_requests() -> None:
    headers = {"X-Bapi-Limit": "10", "X-Bapi-Limit-Status": "7"}
    assert rate_limit_feedback(feedback_response("/v5/market/time", headers)) == []
    bare = Response(exchange="bybit", status=200, headers=headers, body=b"{}")
    assert rate_limit_feedback(bare) == []


async def test_feedback_reaches_the_limiter(venuekit_http_mock: aioresponses,
                                            venuekit_mock_connect: ConnectFactory) -> None:
    from venuekit.ratelimit import MemoryLimiter
    limiter = MemoryLimiter()
    mock_time(venuekit_http_mock)
    venuekit_http_mock.get(url("/v5/account/wallet-balance"), repeat=True,
                           payload=ok({"list": [{"accountType": "UNIFIED", "coin": []}]}),
                           headers={"X-Bapi-Limit": "50", "X-Bapi-Limit-Status": "0"})
    async with venuekit_mock_connect(limiter=limiter) as conn:
        await conn.fetch_balance()          # Bybit says the 50/s budget is spent
        started = time.monotonic()
        await conn.fetch_balance()          # so the next one waits for the window
    assert time.monotonic() - started >= 0.5
