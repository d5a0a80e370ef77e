"""The hooks driven through venuekit.connect, with aioresponses standing in for the venue.

An unmatched request fails, so nothing reaches the network; every test asserts what was
sent as well as what came back.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses
from venuekit.errors import (
    AuthenticationError,
    BelowMinimum,
    ConfigurationError,
    InvalidOrder,
    OrderStatusUnknown,
    PermissionDenied,
    RateLimitExceeded,
    UnknownSymbol,
)
from venuekit.models import Credentials, OrderParams, OrderStatus
from venuekit.retry import RetryPolicy
from venuekit.testing import ConnectFactory
from venuekit_orangex.signing import GRANT_ENV
from yarl import URL

HOST = "https://api.orangex.com/api/v1"
TOKEN = "tok-0001"
SKEW_MS = 5000  # the mocked venue's clock runs 5 s ahead
INSTRUMENT = {"instrument_name": "BTC-USDT-PERPETUAL", "kind": "perpetual", "is_active": True,
              "base_currency": "USDT", "quote_currency": "BTC", "tick_size": "0.1",
              "min_trade_amount": "0.001", "min_qty": "0.001", "min_notional": "10",
              "creation_timestamp": 1600000000000}
PERPETUAL = {"wallet_balance": "1000", "available_funds": "900",
             "total_margin_balance": "1000", "order_frozen": "100"}
SCOPE = "account:read_write trade:read_write wallet:read"


def url(method: str) -> str:
    return HOST + method


def ok(result: Any, **extra: Any) -> dict[str, Any]:
    now = int(time.time() * 1000) + SKEW_MS
    return {"jsonrpc": "2.0", "usIn": now, "usOut": now + 1, "usDiff": 1, "result": result,
            **extra}


def failure(code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "usIn": 1, "usOut": 2, "error": {"code": code,
                                                              "message": message, "data": {}}}


def auth_result(expires_in: int = 43199, scope: str = SCOPE) -> dict[str, Any]:
    return ok({"access_token": TOKEN, "token_type": "bearer", "refresh_token": "r",
               "expires_in": expires_in, "scope": scope})


def sent(mock: aioresponses, method: str) -> list[dict[str, Any]]:
    """What was POSTed to ``method``: decoded body plus the headers, in order."""
    calls = mock.requests.get(("POST", URL(url(method))), [])
    return [{"body": json.loads(c.kwargs["data"]), "headers": c.kwargs["headers"]}
            for c in calls]


def serve_session(mock: aioresponses, **auth: Any) -> None:
    mock.post(url("/public/ping"), payload=ok({}), repeat=True)
    mock.post(url("/public/auth"), payload=auth_result(**auth), repeat=True)
    mock.post(url("/public/get_instruments"), payload=ok([INSTRUMENT]), repeat=True)


def order(**changes: Any) -> OrderParams:
    fields: dict[str, Any] = {"symbol": "BTC/USDT:USDT", "side": "buy", "type": "limit",
                              "quantity": "0.01", "price": "40000"}
    fields.update(changes)
    return OrderParams(**fields)


# ---------------------------------------------------------------- session and connection test


async def test_connection_test(
        venuekit_http_mock: aioresponses, venuekit_mock_connect: ConnectFactory,
        venuekit_credentials: Credentials) -> None:
    serve_session(venuekit_http_mock, scope="account:read_write trade:read_write wallet:read_write")
    venuekit_http_mock.post(url("/private/get_assets_info"), payload=ok({"PERPETUAL": PERPETUAL}))
    async with venuekit_mock_connect() as conn:
        report = await conn.check_connection()
    assert report.ok, [step.detail for step in report.steps]
    assert [step.name for step in report.steps] == ["server time", "balance",
                                                    "key permissions"]
    assert report.balance is not None and report.balance["USDT"].free == 900
    assert report.permissions is not None and report.permissions.can_trade
    assert report.clock_offset_ms is not None and 4000 < report.clock_offset_ms < 6000
    assert "the key can withdraw funds; trading keys should not" in report.warnings
    logins = sent(venuekit_http_mock, "/public/auth")
    assert len(logins) == 2  # the session, then the permissions step
    for login in logins:
        assert login["body"]["params"] == {"grant_type": "client_credentials",
                                           "client_id": venuekit_credentials.api_key,
                                           "client_secret": venuekit_credentials.api_secret}
        assert "Authorization" not in login["headers"]
    assert venuekit_credentials.api_secret not in " ".join(step.detail for step in report.steps)


async def test_one_login_serves_every_private_call(venuekit_http_mock: aioresponses,
                                                   venuekit_mock_connect: ConnectFactory) -> None:
    serve_session(venuekit_http_mock)
    venuekit_http_mock.post(url("/private/get_assets_info"), payload=ok({"PERPETUAL": PERPETUAL}),
                            repeat=True)
    async with venuekit_mock_connect() as conn:
        await conn.fetch_balance()
        await conn.fetch_balance()
    assert len(sent(venuekit_http_mock, "/public/auth")) == 1
    calls = sent(venuekit_http_mock, "/private/get_assets_info")
    assert [c["headers"]["Authorization"] for c in calls] == [f"bearer {TOKEN}"] * 2
    assert calls[0]["body"]["params"] == {"asset_type": ["PERPETUAL"]}
    assert calls[0]["body"]["jsonrpc"] == "2.0"
    assert calls[0]["body"]["method"] == "/private/get_assets_info"


async def test_token_close_to_expiry_is_renewed_before_use(
        venuekit_http_mock: aioresponses, venuekit_mock_connect: ConnectFactory) -> None:
    serve_session(venuekit_http_mock, expires_in=100)  # under the 120 s the plugin keeps in hand
    venuekit_http_mock.post(url("/private/get_assets_info"), payload=ok({"PERPETUAL": PERPETUAL}),
                            repeat=True)
    async with venuekit_mock_connect() as conn:
        await conn.fetch_balance()
        await conn.fetch_balance()
    assert len(sent(venuekit_http_mock, "/public/auth")) == 2


async def test_refused_token_means_one_login_and_one_retry(
        venuekit_http_mock: aioresponses, venuekit_mock_connect: ConnectFactory) -> None:
    serve_session(venuekit_http_mock)
    venuekit_http_mock.post(url("/private/get_assets_info"),
                            payload=failure(10000, "Authentication Failure"))
    venuekit_http_mock.post(url("/private/get_assets_info"), payload=ok({"PERPETUAL": PERPETUAL}))
    async with venuekit_mock_connect(retry=RetryPolicy(max_tries=3, base_delay_s=0.01)) as conn:
        balance = await conn.fetch_balance()
    assert balance["USDT"].total == 1000
    assert len(sent(venuekit_http_mock, "/public/auth")) == 2
    assert len(sent(venuekit_http_mock, "/private/get_assets_info")) == 2


async def test_refused_key_is_an_authentication_error(
        venuekit_http_mock: aioresponses, venuekit_mock_connect: ConnectFactory) -> None:
    venuekit_http_mock.post(url("/public/ping"), payload=ok({}), repeat=True)
    venuekit_http_mock.post(url("/public/auth"), payload=failure(10000, "Authentication Failure"))
    async with venuekit_mock_connect(retry=RetryPolicy(max_tries=3, base_delay_s=0.01)) as conn:
        with pytest.raises(AuthenticationError) as info:
            await conn.fetch_balance()
    assert "client id / client secret" in str(info.value)
    assert len(sent(venuekit_http_mock,
                    "/public/auth")) == 1  # not retried: the key itself is wrong
    assert sent(venuekit_http_mock, "/private/get_assets_info") == []


async def test_client_signature_login_uses_the_venue_clock(
        venuekit_http_mock: aioresponses, monkeypatch: pytest.MonkeyPatch,
        venuekit_mock_connect: ConnectFactory, venuekit_credentials: Credentials) -> None:
    monkeypatch.setenv(GRANT_ENV, "client_signature")
    serve_session(venuekit_http_mock)
    venuekit_http_mock.post(url("/private/get_assets_info"), payload=ok({"PERPETUAL": PERPETUAL}))
    async with venuekit_mock_connect() as conn:
        await conn.fetch_balance()
    [login] = sent(venuekit_http_mock, "/public/auth")
    params = login["body"]["params"]
    assert set(params) == {"grant_type", "client_id", "nonce", "timestamp", "signature"}
    assert params["grant_type"] == "client_signature"
    local_ms = time.time() * 1000
    assert 4000 < int(params["timestamp"]) - local_ms < 6000  # signed on the venue's clock
    payload = f"{venuekit_credentials.api_key}\n{params['timestamp']}\n{params['nonce']}\n".encode()
    assert params["signature"] == hmac.new(venuekit_credentials.api_secret.encode(), payload,
                                           hashlib.sha256).hexdigest()


# ---------------------------------------------------------------- orders


async def test_place_fetch_cancel(venuekit_http_mock: aioresponses,
                                  venuekit_mock_connect: ConnectFactory) -> None:
    serve_session(venuekit_http_mock)
    venuekit_http_mock.post(url("/private/buy"),
                            payload=ok({"order": {"order_id": "77409325612535808",
                                                                       "custom_order_id": ""}}))
    venuekit_http_mock.post(url("/private/get_order_state"), payload=ok({
        "order_id": "77409325612535808", "instrument_name": "BTC-USDT-PERPETUAL",
        "direction": "buy", "order_type": "limit", "order_state": "open", "amount": "0.01",
        "price": "40000", "filled_amount": "0", "average_price": "0",
        "time_in_force": "good_til_cancelled", "custom_order_id": "x"}))
    venuekit_http_mock.post(url("/private/cancel"), payload=ok({"order_id": "77409325612535808"}))
    async with venuekit_mock_connect() as conn:
        placed = await conn.place_order(order())
        fetched = await conn.fetch_order("BTC/USDT:USDT", order_id=placed.order_id)
        cancelled = await conn.cancel_order("BTC-USDT-PERPETUAL", order_id=placed.order_id)
    [buy] = sent(venuekit_http_mock, "/private/buy")
    cid = buy["body"]["params"]["custom_order_id"]
    assert buy["body"]["params"] == {
        "instrument_name": "BTC-USDT-PERPETUAL", "amount": "0.01", "type": "limit",
        "price": "40000", "time_in_force": "good_til_cancelled", "position_side": "BOTH",
        "custom_order_id": cid}
    assert buy["headers"]["Authorization"] == f"bearer {TOKEN}"
    assert placed.client_order_id == cid and placed.status is OrderStatus.OPEN
    assert fetched.status is OrderStatus.OPEN and fetched.order_id == placed.order_id
    assert cancelled.status is OrderStatus.CANCELED and cancelled.side is None
    assert sent(venuekit_http_mock, "/private/cancel")[0]["body"]["params"] == {
        "order_id": "77409325612535808"}


async def test_lost_order_reply_is_status_unknown_and_never_resent(
        venuekit_http_mock: aioresponses, venuekit_mock_connect: ConnectFactory) -> None:
    serve_session(venuekit_http_mock)
    venuekit_http_mock.post(url("/private/buy"), exception=aiohttp.ServerDisconnectedError())
    async with venuekit_mock_connect(retry=RetryPolicy(max_tries=3, base_delay_s=0.01)) as conn:
        with pytest.raises(OrderStatusUnknown) as info:
            await conn.place_order(order(client_order_id="vk.lost:1"))
    assert info.value.client_order_id == "vk.lost:1"
    assert "vk.lost:1" in str(info.value)
    assert len(sent(venuekit_http_mock, "/private/buy")) == 1
    assert sent(venuekit_http_mock, "/private/get_order_state") == []


@pytest.mark.parametrize("answer", [
    {"jsonrpc": "2.0", "usIn": 1, "usOut": 2},  # neither result nor error (OX-DY)
    failure(9999, "System error, please try again later"),
])
async def test_ambiguous_answers_to_an_order_are_status_unknown(
        venuekit_http_mock: aioresponses, answer: dict[str, Any],
        venuekit_mock_connect: ConnectFactory) -> None:
    serve_session(venuekit_http_mock)
    venuekit_http_mock.post(url("/private/buy"), payload=answer)
    async with venuekit_mock_connect(retry=RetryPolicy(max_tries=3, base_delay_s=0.01)) as conn:
        with pytest.raises(OrderStatusUnknown) as info:
            await conn.place_order(order())
    assert info.value.client_order_id
    assert len(sent(venuekit_http_mock, "/private/buy")) == 1


async def test_refused_order_is_final(venuekit_http_mock: aioresponses,
                                      venuekit_mock_connect: ConnectFactory) -> None:
    serve_session(venuekit_http_mock)
    venuekit_http_mock.post(url("/private/buy"), payload=failure(2033, "Access denied"))
    async with venuekit_mock_connect(retry=RetryPolicy(max_tries=3, base_delay_s=0.01)) as conn:
        with pytest.raises(PermissionDenied, match="trade:read_write"):
            await conn.place_order(order())
    assert len(sent(venuekit_http_mock, "/private/buy")) == 1


async def test_order_refused_for_its_token_is_sent_again_after_login(
        venuekit_http_mock: aioresponses, venuekit_mock_connect: ConnectFactory) -> None:
    serve_session(venuekit_http_mock)
    venuekit_http_mock.post(url("/private/buy"), payload=failure(10000, "Authentication Failure"))
    venuekit_http_mock.post(url("/private/buy"), payload=ok({"order": {"order_id": "9"}}))
    async with venuekit_mock_connect() as conn:
        placed = await conn.place_order(order())
    assert placed.order_id == "9"
    buys = sent(venuekit_http_mock, "/private/buy")
    assert len(buys) == 2 and len(sent(venuekit_http_mock, "/public/auth")) == 2
    assert buys[0]["body"]["params"] == buys[1]["body"]["params"]  # same custom_order_id


async def test_rate_limit_answer_honours_retry_after(venuekit_http_mock: aioresponses,
                                                     venuekit_mock_connect: ConnectFactory) -> None:
    serve_session(venuekit_http_mock)
    venuekit_http_mock.post(url("/private/get_assets_info"), status=429, body="Too Many Requests",
                            headers={"Retry-After": "3"})
    async with venuekit_mock_connect() as conn:
        with pytest.raises(RateLimitExceeded) as info:
            await conn.fetch_balance()
    assert info.value.retry_after == 3.0


async def test_declared_limit_paces_requests(venuekit_http_mock: aioresponses,
                                             venuekit_mock_connect: ConnectFactory) -> None:
    venuekit_http_mock.post(url("/public/ping"), payload=ok({}), repeat=True)
    async with venuekit_mock_connect() as conn:
        started = time.monotonic()
        for _ in range(11):
            await conn.server_time()
    assert time.monotonic() - started >= 0.95  # the 11th waits for the 1 s window


# ---------------------------------------------------------------- refused before sending


async def test_testnet_is_refused(venuekit_mock_connect: ConnectFactory) -> None:
    with pytest.raises(ConfigurationError, match="OrangeX has no test environment"):
        venuekit_mock_connect(testnet=True)


async def test_wrong_key_type_is_refused(venuekit_mock_connect: ConnectFactory) -> None:
    with pytest.raises(ConfigurationError, match="ed25519"):
        venuekit_mock_connect(Credentials(api_key="id", api_secret="s", key_type="ed25519",
                                          private_key="seed"))


async def test_missing_secret_is_refused(venuekit_mock_connect: ConnectFactory) -> None:
    with pytest.raises(ConfigurationError, match="api_secret"):
        venuekit_mock_connect(Credentials(api_key="client-id-0001"))


@pytest.mark.parametrize(("params", "error", "match"), [
    ({"symbol": "NOPE/USDT:USDT"}, UnknownSymbol, "does not list"),
    ({"quantity": "0.0105"}, InvalidOrder, "step"),
    ({"price": "40000.05"}, InvalidOrder, "tick"),
    ({"quantity": "0.001", "price": "5000"}, BelowMinimum, "minimum 10"),
    ({"client_order_id": "not allowed!"}, InvalidOrder, "does not match"),
    ({"type": "market", "price": None, "quantity": None, "quote_quantity": "100"},
     InvalidOrder, "quote_quantity"),
])
async def test_bad_orders_send_nothing(
        venuekit_http_mock: aioresponses, params: dict[str, Any], error: type[Exception],
        match: str, venuekit_mock_connect: ConnectFactory) -> None:
    venuekit_http_mock.post(url("/public/get_instruments"), payload=ok([INSTRUMENT]))
    async with venuekit_mock_connect() as conn:
        with pytest.raises(error, match=match):
            await conn.place_order(order(**params))
    assert list(venuekit_http_mock.requests) == [("POST", URL(url("/public/get_instruments")))]


@pytest.mark.parametrize("action", ["fetch_order", "cancel_order"])
async def test_lookup_by_client_order_id_sends_nothing(
        venuekit_http_mock: aioresponses, action: str,
        venuekit_mock_connect: ConnectFactory) -> None:
    venuekit_http_mock.post(url("/public/get_instruments"), payload=ok([INSTRUMENT]))
    async with venuekit_mock_connect() as conn:
        with pytest.raises(InvalidOrder, match="OrangeX looks orders up by order_id only"):
            await getattr(conn, action)("BTC/USDT:USDT", client_order_id="vk-1")
    assert list(venuekit_http_mock.requests) == [("POST", URL(url("/public/get_instruments")))]
