"""The Pionex simulator: its own signature verifier, its envelopes, limits and market buys."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
import venuekit
from support import DOC_SECRET, DOC_TIMESTAMP
from venuekit.models import Auth, OrderParams, OrderStatus
from venuekit.ratelimit import MemoryLimiter
from venuekit.wire import Request
from venuekit_pionex import signing
from venuekit_pionex.parsing import parse_markets
from venuekit_pionex.simulator import PionexSimulator, expected_signature

OFFICIAL = "ec83d21e1237cbe7e0172f79c0e3a4741c86f6b201ba762f21149bf195519be1"


# ---------------------------------------------------------------- the verifier alone


def test_verifier_reproduces_the_official_example_from_unsorted_wire_bytes() -> None:
    raw_query = "symbol=BTC_USDT&limit=1&timestamp=1655896754515"
    assert expected_signature(DOC_SECRET, "GET", "/api/v1/trade/allOrders", raw_query,
                              b'{"symbol": "BTC_USDT"}') == OFFICIAL


def test_verifier_signs_decoded_values() -> None:
    expected = signing.signature(DOC_SECRET, b"GET/p?note=a b&c&timestamp=1")
    assert expected_signature(DOC_SECRET, "GET", "/p", "timestamp=1&note=a%20b%26c",
                              b"") == expected


def test_verifier_and_signer_agree_on_a_post() -> None:
    request = Request(method="POST", path="/api/v1/trade/order", signed=True,
                      body={"symbol": "BTC_USDT", "side": "BUY", "type": "LIMIT",
                            "clientOrderId": "cl-0001", "size": "0.001", "price": "30000"})
    signed = signing.sign(request, Auth(venuekit.Credentials(api_key="k", api_secret=DOC_SECRET)),
                          DOC_TIMESTAMP)
    assert expected_signature(DOC_SECRET, "POST", signed.path, signed.query_string,
                              signed.body) == (
        "dc2e4be290f976bf958968ac599dd010d7b8b2b2440474148d3721362c3c3c89")


# ---------------------------------------------------------------- over the wire


@pytest.fixture
async def sim() -> AsyncIterator[PionexSimulator]:
    async with PionexSimulator() as simulator:
        yield simulator


def connect(sim: PionexSimulator, **options: Any) -> venuekit.Connector:
    settings: dict[str, Any] = {"base_url": sim.base_url, "limiter": MemoryLimiter(),
                                "retry": venuekit.RetryPolicy.none(),
                                "registry": venuekit.Registry(allow=["pionex"])}
    settings.update(options)
    return venuekit.connect("pionex", sim.credentials, **settings)


async def raw(sim: PionexSimulator, method: str, path: str, *,
              query: tuple[tuple[str, str], ...] = (), body: Any = None,
              timestamp_ms: int | None = None,
              drop: tuple[str, ...] = ()) -> tuple[int, Any]:
    """A request signed by the plugin's signer, optionally without some headers."""
    request = Request(method=method, path=path, query=query, body=body, signed=True)
    signed = signing.sign(request, Auth(sim.credentials),
                          timestamp_ms or int(time.time() * 1000))
    headers = {k: v for k, v in signed.headers if k not in drop}
    async with aiohttp.ClientSession() as session, session.request(
            method, sim.base_url + signed.target, data=signed.body or None,
            headers=headers) as resp:
        return resp.status, await resp.json(content_type=None)


async def test_envelope_codes_for_missing_and_wrong_credentials(sim: PionexSimulator) -> None:
    path = "/api/v1/account/balances"
    status, body = await raw(sim, "GET", path, drop=("PIONEX-KEY",))
    assert (status, body["result"], body["code"]) == (401, False, "APIKEY_LOST")
    status, body = await raw(sim, "GET", path, drop=("PIONEX-SIGNATURE",))
    assert (status, body["code"]) == (401, "SIGNATURE_LOST")
    status, body = await raw(sim, "GET", path, timestamp_ms=int(time.time() * 1000) - 25_000)
    assert (status, body["code"]) == (401, "INVALID_TIMESTAMP")
    status, body = await raw(sim, "GET", path, timestamp_ms=int(time.time() * 1000) - 15_000)
    assert status == 200 and body["result"] is True  # inside the +/-20 s window
    assert isinstance(body["timestamp"], int)


async def test_tampered_query_fails_the_signature(sim: PionexSimulator) -> None:
    request = Request(method="GET", path="/api/v1/trade/order", signed=True,
                      query=(("orderId", "1"),))
    signed = signing.sign(request, Auth(sim.credentials), int(time.time() * 1000))
    async with aiohttp.ClientSession() as session, session.get(
            sim.base_url + signed.target.replace("orderId=1", "orderId=2"),
            headers=dict(signed.headers)) as resp:
        body = await resp.json()
    assert (resp.status, body["code"]) == (401, "INVALID_SIGNATURE")
    assert sim.stats.signature_failures == 1


async def test_cancel_needs_a_numeric_order_id(sim: PionexSimulator) -> None:
    status, body = await raw(sim, "DELETE", "/api/v1/trade/order",
                             body={"symbol": "BTC_USDT", "orderId": "1001"})
    assert (status, body["code"]) == (400, "TRADE_PARAMETER_ERROR")


async def test_symbols_describe_the_default_markets(sim: PionexSimulator) -> None:
    async with aiohttp.ClientSession() as session, session.get(
            sim.base_url + "/api/v1/common/symbols?type=SPOT") as resp:
        payload = await resp.read()
    markets = parse_markets(venuekit.Response(exchange="pionex", status=200, headers={},
                                              body=payload))
    btc = {m.native: m for m in markets}["BTC_USDT"]
    assert (btc.tick_size, btc.step_size, btc.min_notional) == (
        Decimal("0.01"), Decimal("0.000001"), Decimal("10"))
    assert {m.native for m in markets} == {"BTC_USDT", "ETH_USDT"}


async def test_balances_in_usdt_and_btc(sim: PionexSimulator) -> None:
    async with connect(sim) as conn:
        balance = await conn.fetch_balance()
    assert balance["USDT"].free == Decimal(100_000)
    assert balance["BTC"].free == Decimal(2)


async def test_market_buy_amount_becomes_base_quantity_rounded_down(
        sim: PionexSimulator) -> None:
    async with connect(sim) as conn:
        placed = await conn.place_order(OrderParams(
            symbol="BTC/USDT", side="buy", type="market", quote_quantity="100.003"))
        final = await conn.fetch_order("BTC/USDT", order_id=placed.order_id)
    assert sim.state.orders[placed.order_id].quantity == Decimal("0.002")
    assert final.status is OrderStatus.FILLED
    assert final.quantity == Decimal("0.002") and final.filled_quantity == Decimal("0.002")
    assert final.average_price == Decimal("50000")


async def test_market_buy_under_minimum_amount(sim: PionexSimulator) -> None:
    status, body = await raw(sim, "POST", "/api/v1/trade/order", body={
        "symbol": "BTC_USDT", "side": "BUY", "type": "MARKET", "amount": "5"})
    assert (status, body["code"]) == (400, "TRADE_AMOUNT_FILTER_DENIED")


async def test_ioc_limit_that_cannot_fill_expires(sim: PionexSimulator) -> None:
    async with connect(sim) as conn:
        placed = await conn.place_order(OrderParams(
            symbol="ETH_USDT", side="buy", type="limit", quantity="0.01", price="2000",
            time_in_force="ioc"))
        found = await conn.fetch_order("ETH/USDT", client_order_id=placed.client_order_id)
    assert found.status is OrderStatus.EXPIRED
    assert found.order_id == placed.order_id


async def test_reused_client_order_id_is_refused(sim: PionexSimulator) -> None:
    order = OrderParams(symbol="BTC/USDT", side="buy", type="limit", quantity="0.001",
                        price="40000", client_order_id="same-id")
    async with connect(sim) as conn:
        await conn.place_order(order)
        with pytest.raises(venuekit.DuplicateOrder) as info:
            await conn.place_order(order)
    # PX-GBR "New Order": TRADE_REPEAT_CLIENT_ORDER_ID "Duplicated clientOrderId"
    # (https://pionex-doc.gitbook.io/apidocs/restful/orders/new-order)
    assert info.value.code == "TRADE_REPEAT_CLIENT_ORDER_ID"
    assert len(sim.state.orders) == 1


async def test_clock_skew_beyond_the_window_is_absorbed_by_the_response_clock(
        sim: PionexSimulator) -> None:
    sim.faults.skew_ms = 45_000  # the venue runs 45 s ahead: beyond +/-20 s
    async with connect(sim) as conn:
        report = await conn.check_connection()
    assert report.ok, [step.detail for step in report.steps]
    assert report.clock_offset_ms is not None and report.clock_offset_ms > 40_000


async def test_the_published_limit_is_enforced_with_429(sim: PionexSimulator) -> None:
    async with aiohttp.ClientSession() as session:
        statuses = []
        for _ in range(11):
            async with session.get(sim.base_url + "/api/v1/market/depth?symbol=BTC_USDT"
                                   "&limit=1") as resp:
                statuses.append(resp.status)
    assert statuses[:10] == [200] * 10 and statuses[10] == 429
    assert sim.stats.rate_limited == 1
