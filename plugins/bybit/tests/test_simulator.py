"""BybitSimulator on its own: authentication, envelopes, limits, state and faults.

Requests here are signed by hand (hmac in the test), not by the plugin, so the simulator's
verifier is checked against Bybit's description rather than against our signer.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
import venuekit
import yarl
from venuekit import ExchangeUnavailable, InsufficientFunds, OrderParams
from venuekit import errors as e
from venuekit.ratelimit import MemoryLimiter
from venuekit.testing.simulator import ErrorKind
from venuekit.wire import Response
from venuekit_bybit import parsing
from venuekit_bybit.errors import parse_error
from venuekit_bybit.simulator import CODES, BybitSimulator


@pytest.fixture
async def sim() -> AsyncIterator[BybitSimulator]:
    async with BybitSimulator() as simulator:
        yield simulator


async def call(sim: BybitSimulator, method: str, path: str, *, query: str = "",
               body: bytes = b"", key: str | None = None, secret: str | None = None,
               timestamp: int | None = None, recv_window: str = "5000",
               signature: str | None = None) -> tuple[int, dict[str, str], dict[str, Any]]:
    """One request signed by hand the way Bybit documents it."""
    key = sim.credentials.api_key if key is None else key
    secret = sim.credentials.api_secret if secret is None else secret
    stamp = str(int(time.time() * 1000) if timestamp is None else timestamp)
    signed_part = query.encode() if method == "GET" else body
    digest = hmac.new(secret.encode(), (stamp + key + recv_window).encode() + signed_part,
                      hashlib.sha256).hexdigest()
    headers = {"X-BAPI-API-KEY": key, "X-BAPI-TIMESTAMP": stamp,
               "X-BAPI-RECV-WINDOW": recv_window, "X-BAPI-SIGN": signature or digest}
    if body:
        headers["Content-Type"] = "application/json"
    target = yarl.URL(sim.base_url + path + (f"?{query}" if query else ""), encoded=True)
    async with aiohttp.ClientSession() as session, session.request(
            method, target, data=body or None, headers=headers) as resp:
        return resp.status, dict(resp.headers), json.loads(await resp.read())


def create_body(**changes: Any) -> bytes:
    fields: dict[str, Any] = {"category": "linear", "symbol": "BTCUSDT", "side": "Buy",
                              "orderType": "Limit", "qty": "0.01", "price": "40000",
                              "timeInForce": "GTC", "positionIdx": 0}
    fields.update(changes)
    return json.dumps({k: v for k, v in fields.items() if v is not None}).encode()


# ---------------------------------------------------------------- authentication


async def test_signed_request_succeeds_with_limit_headers(sim: BybitSimulator) -> None:
    status, headers, payload = await call(sim, "GET", "/v5/account/wallet-balance",
                                          query="accountType=UNIFIED")
    assert status == 200 and payload["retCode"] == 0 and payload["retMsg"] == "OK"
    assert set(payload) == {"retCode", "retMsg", "result", "retExtInfo", "time"}
    assert headers["X-Bapi-Limit"] == "50" and headers["X-Bapi-Limit-Status"] == "49"
    (account,) = payload["result"]["list"]
    assert account["accountType"] == "UNIFIED"
    assert account["coin"][0]["coin"] == "USDT"
    assert account["coin"][0]["walletBalance"] == "100000"


async def test_bad_signature_is_10004(sim: BybitSimulator) -> None:
    _, _, payload = await call(sim, "GET", "/v5/account/wallet-balance",
                               query="accountType=UNIFIED", signature="0" * 64)
    assert payload["retCode"] == 10004
    assert sim.stats.signature_failures == 1


async def test_signature_covers_the_exact_query(sim: BybitSimulator) -> None:
    # signing one order of parameters and sending another fails: bytes are what count
    stamp = int(time.time() * 1000)
    secret, key = sim.credentials.api_secret, sim.credentials.api_key
    digest = hmac.new(secret.encode(), f"{stamp}{key}5000coin=USDT&accountType=UNIFIED"
                      .encode(), hashlib.sha256).hexdigest()
    _, _, payload = await call(sim, "GET", "/v5/account/wallet-balance",
                               query="accountType=UNIFIED&coin=USDT", timestamp=stamp,
                               signature=digest)
    assert payload["retCode"] == 10004


async def test_verifier_reads_the_raw_percent_encoded_query(sim: BybitSimulator) -> None:
    ok = await call(sim, "GET", "/v5/account/wallet-balance",
                    query="accountType=UNIFIED&coin=USDT%2CBTC")
    assert ok[2]["retCode"] == 0
    stamp = int(time.time() * 1000)
    secret, key = sim.credentials.api_secret, sim.credentials.api_key
    decoded = hmac.new(secret.encode(), f"{stamp}{key}5000accountType=UNIFIED&coin=USDT,BTC"
                       .encode(), hashlib.sha256).hexdigest()
    _, _, payload = await call(sim, "GET", "/v5/account/wallet-balance", timestamp=stamp,
                               query="accountType=UNIFIED&coin=USDT%2CBTC", signature=decoded)
    assert payload["retCode"] == 10004


async def test_unknown_key_is_10003(sim: BybitSimulator) -> None:
    _, _, payload = await call(sim, "GET", "/v5/user/query-api", key="someone-else")
    assert payload["retCode"] == 10003


@pytest.mark.parametrize(("offset_ms", "recv_window", "code"), [
    (-6000, "5000", 10002),    # older than the receive window
    (1500, "5000", 10002),     # more than 1 s ahead of the server
    (-6000, "10000", 0),       # a wider window the request asked for
    (-4000, "5000", 0),
])
async def test_receive_window(sim: BybitSimulator, offset_ms: int, recv_window: str,
                              code: int) -> None:
    _, _, payload = await call(sim, "GET", "/v5/user/query-api",
                               timestamp=int(time.time() * 1000) + offset_ms,
                               recv_window=recv_window)
    assert payload["retCode"] == code


async def test_get_with_a_body_is_refused(sim: BybitSimulator) -> None:
    _, _, payload = await call(sim, "GET", "/v5/user/query-api", body=b"{}")
    assert payload["retCode"] == 10001


def test_every_error_kind_has_a_bybit_envelope() -> None:
    simulator = BybitSimulator()
    expected = {ErrorKind.AUTH: e.AuthenticationError, ErrorKind.SIGNATURE: e.InvalidSignature,
                ErrorKind.TIMESTAMP: e.InvalidTimestamp,
                ErrorKind.PERMISSION: e.PermissionDenied,
                ErrorKind.RATE_LIMIT: e.RateLimitExceeded,
                ErrorKind.NOT_FOUND: e.OrderNotFound,
                ErrorKind.INSUFFICIENT_FUNDS: e.InsufficientFunds,
                ErrorKind.INVALID: e.InvalidOrder, ErrorKind.DUPLICATE: e.DuplicateOrder,
                ErrorKind.BELOW_MINIMUM: e.BelowMinimum,
                ErrorKind.UNKNOWN_SYMBOL: e.InvalidOrder,
                ErrorKind.UNAVAILABLE: e.ExchangeUnavailable,
                ErrorKind.TOKEN_EXPIRED: e.AuthenticationError}
    assert set(CODES) == set(ErrorKind) == set(expected)
    for kind, cls in expected.items():
        answer = simulator.error_response(kind, f"because {kind.value}")
        assert answer.status == 200
        assert isinstance(answer.body, bytes)
        headers = {k: v for k, v in answer.headers.items()}
        error = parse_error(Response(exchange="bybit", status=answer.status,
                                     headers=headers, body=answer.body))
        assert type(error) is cls, kind
        assert error.code == str(CODES[kind][1])


# ---------------------------------------------------------------- public data


async def test_instruments_parse_into_the_simulated_markets(sim: BybitSimulator) -> None:
    async with aiohttp.ClientSession() as session, session.get(
            sim.base_url + "/v5/market/instruments-info?category=linear&limit=1000") as resp:
        body = await resp.read()
    markets = {m.native: m for m in parsing.markets(
        Response(exchange="bybit", status=200, headers={}, body=body))}
    assert set(markets) == {"BTCUSDT", "ETHUSDT", "SOLUSDT"}
    btc = markets["BTCUSDT"]
    assert (btc.symbol, btc.tick_size, btc.step_size, btc.min_quantity, btc.min_notional) == (
        "BTC/USDT:USDT", Decimal("0.1"), Decimal("0.001"), Decimal("0.001"), Decimal(5))


async def test_server_time_follows_the_injected_skew(sim: BybitSimulator) -> None:
    sim.faults.skew_ms = 60_000
    async with aiohttp.ClientSession() as session, session.get(
            sim.base_url + "/v5/market/time") as resp:
        body = await resp.read()
    server_ms = parsing.server_time(Response(exchange="bybit", status=200, headers={},
                                             body=body))
    assert abs(server_ms - time.time() * 1000 - 60_000) < 2000


# ---------------------------------------------------------------- orders and limits


async def test_order_life_cycle_on_the_wire(sim: BybitSimulator) -> None:
    _, _, placed = await call(sim, "POST", "/v5/order/create",
                              body=create_body(orderLinkId="life-1"))
    order_id = placed["result"]["orderId"]
    assert placed["result"]["orderLinkId"] == "life-1"
    _, _, found = await call(sim, "GET", "/v5/order/realtime",
                             query="category=linear&symbol=BTCUSDT&orderLinkId=life-1")
    (row,) = found["result"]["list"]
    assert (row["orderId"], row["orderStatus"], row["side"], row["orderType"]) == (
        order_id, "New", "Buy", "Limit")
    _, _, cancelled = await call(sim, "POST", "/v5/order/cancel", body=json.dumps(
        {"category": "linear", "symbol": "BTCUSDT", "orderId": order_id}).encode())
    assert cancelled["result"] == {"orderId": order_id, "orderLinkId": "life-1"}
    _, _, again = await call(sim, "POST", "/v5/order/cancel", body=json.dumps(
        {"category": "linear", "symbol": "BTCUSDT", "orderId": order_id}).encode())
    assert again["retCode"] == 110001
    _, _, closed = await call(sim, "GET", "/v5/order/realtime",
                              query="category=linear&symbol=BTCUSDT&openOnly=1")
    assert [r["orderStatus"] for r in closed["result"]["list"]] == ["Cancelled"]
    _, _, reused = await call(sim, "POST", "/v5/order/create",
                              body=create_body(orderLinkId="life-1"))
    assert reused["retCode"] == 110072  # orderLinkId stays unique after the order closed


async def test_partly_filled_then_cancelled_linear_order_reads_cancelled(
        sim: BybitSimulator) -> None:
    # Enums, orderStatus (https://bybit-exchange.github.io/docs/v5/enum#orderstatus):
    # "PartiallyFilledCanceled: Only spot has this order status"; "Cancelled: In
    # derivatives, orders with this status may have an executed qty".
    _, _, placed = await call(sim, "POST", "/v5/order/create",
                              body=create_body(orderLinkId="part-1", qty="0.02"))
    order_id = placed["result"]["orderId"]
    sim.state.fill_resting(order_id, Decimal("0.01"))
    await call(sim, "POST", "/v5/order/cancel", body=json.dumps(
        {"category": "linear", "symbol": "BTCUSDT", "orderId": order_id}).encode())
    _, _, found = await call(sim, "GET", "/v5/order/realtime",
                             query=f"category=linear&symbol=BTCUSDT&orderId={order_id}")
    (row,) = found["result"]["list"]
    assert (row["orderStatus"], row["cumExecQty"]) == ("Cancelled", "0.01")


async def test_realtime_rules(sim: BybitSimulator) -> None:
    _, _, missing = await call(sim, "GET", "/v5/order/realtime", query="category=linear")
    assert missing["retCode"] == 10001
    _, _, unknown = await call(sim, "GET", "/v5/order/realtime",
                               query="category=linear&symbol=BTCUSDT&orderId=424242")
    assert unknown["retCode"] == 0 and unknown["result"]["list"] == []
    _, _, spot = await call(sim, "GET", "/v5/order/realtime",
                            query="category=spot&symbol=BTCUSDT")
    assert spot["retCode"] == 10001


@pytest.mark.parametrize(("changes", "code"), [
    ({"qty": "0.001", "price": "1000"}, 110094),     # 1 USDT notional, minimum 5
    ({"qty": "0.0105"}, 10001),                       # off step
    ({"price": "40000.05"}, 10001),                   # off tick
    ({"symbol": "DOGEUSDT"}, 10001),                  # not listed
    ({"positionIdx": 1}, 10001),                      # hedge-mode index in one-way mode
    ({"orderLinkId": "bad id!"}, 10001),
    ({"qty": "100", "price": "40000"}, 110007),       # 4M USDT of margin
])
async def test_create_rejections(sim: BybitSimulator, changes: dict[str, Any],
                                  code: int) -> None:
    _, _, payload = await call(sim, "POST", "/v5/order/create", body=create_body(**changes))
    assert payload["retCode"] == code, payload["retMsg"]
    assert sim.state.orders == {}


async def test_per_uid_create_limit(sim: BybitSimulator) -> None:
    codes = []
    for index in range(11):
        _, headers, payload = await call(sim, "POST", "/v5/order/create",
                                         body=create_body(orderLinkId=f"burst-{index}"))
        codes.append(payload["retCode"])
    assert codes == [0] * 10 + [10006]
    assert sim.stats.rate_limited == 1
    assert headers["X-Bapi-Limit-Status"] == "0"
    assert int(headers["X-Bapi-Limit-Reset-Timestamp"]) > payload["time"]
    assert len(sim.state.orders) == 10


# ---------------------------------------------------------------- through the core


def connect(sim: BybitSimulator, **options: Any) -> venuekit.Connector:
    settings: dict[str, Any] = {"base_url": sim.base_url,
                                "registry": venuekit.Registry(allow=["bybit"]),
                                "limiter": MemoryLimiter(),
                                "retry": venuekit.RetryPolicy.none()}
    settings.update(options)
    return venuekit.connect("bybit", sim.credentials, **settings)


async def test_clock_skew_is_absorbed(sim: BybitSimulator) -> None:
    sim.faults.skew_ms = 30_000  # far outside the 5 s receive window
    async with connect(sim) as conn:
        balance = await conn.fetch_balance()
        assert balance["USDT"].total == 100_000
        assert abs(conn.clock.offset_ms - 30_000) < 2000


async def test_server_error_then_retry(sim: BybitSimulator) -> None:
    async with connect(sim) as conn:
        await conn.fetch_balance()
        sim.faults.fail_next(status=503, path="/v5/account/wallet-balance")
        with pytest.raises(ExchangeUnavailable):
            await conn.fetch_balance()
    policy = venuekit.RetryPolicy(max_tries=3, base_delay_s=0.01, max_delay_s=0.02)
    async with connect(sim, retry=policy) as conn:
        sim.faults.fail_next(status=502, path="/v5/account/wallet-balance")
        assert (await conn.fetch_balance())["USDT"].total == 100_000


async def test_venue_busy_code_on_an_order_looks_it_up(sim: BybitSimulator) -> None:
    # 10016 after the order: ambiguous, the core asks by orderLinkId, finds nothing, resends
    async with connect(sim, order_settle_s=0.05,
                       retry=venuekit.RetryPolicy(max_tries=3)) as conn:
        await conn.fetch_markets()
        sim.faults.error_next(ErrorKind.UNAVAILABLE, path="/v5/order/create")
        placed = await conn.place_order(OrderParams(
            symbol="BTC/USDT:USDT", side="buy", type="limit", quantity="0.01",
            price="40000", client_order_id="busy-1"))
    assert placed.client_order_id == "busy-1"
    assert len(sim.state.orders) == 1
    assert sim.stats.count("/v5/order/realtime") == 2  # looked up before and after settling


async def test_insufficient_funds_through_the_core() -> None:
    simulator = BybitSimulator(balances={"USDT": 100})
    await simulator.start()
    try:
        async with connect(simulator) as conn:
            with pytest.raises(InsufficientFunds) as info:
                await conn.place_order(OrderParams(symbol="BTCUSDT", side="buy",
                                                   type="limit", quantity="0.01",
                                                   price="40000"))
        assert info.value.code == "110007"
    finally:
        await simulator.stop()
