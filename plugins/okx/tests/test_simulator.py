"""The OKX simulator: OKX's envelopes and codes, its checks, and its contract sizing."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
import venuekit
from venuekit import (
    Auth,
    AuthenticationError,
    Credentials,
    DuplicateOrder,
    ExchangeUnavailable,
    InsufficientFunds,
    LimitScope,
    OrderNotFound,
    OrderParams,
    OrderStatus,
    RateLimit,
    RateLimitExceeded,
    Request,
    RetryPolicy,
)
from venuekit.ratelimit import MemoryLimiter
from venuekit_okx import endpoints, signing
from venuekit_okx.simulator import OkxSimulator


@pytest.fixture
async def sim() -> AsyncIterator[OkxSimulator]:
    async with OkxSimulator() as simulator:
        yield simulator


def connect(sim: OkxSimulator, credentials: Credentials | None = None,
            **options: Any) -> venuekit.Connector:
    settings: dict[str, Any] = {"base_url": sim.base_url, "limiter": MemoryLimiter(),
                                "retry": RetryPolicy.none(),
                                "registry": venuekit.Registry(allow=["okx"])}
    settings.update(options)
    return venuekit.connect("okx", credentials or sim.credentials, **settings)


async def raw(sim: OkxSimulator, request: Request, *, timestamp_ms: int | None = None,
              drop: tuple[str, ...] = (), extra: dict[str, str] | None = None
              ) -> tuple[int, dict[str, Any]]:
    """Sign with the plugin, optionally tamper, send straight to the simulator."""
    now = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    signed = signing.sign(request, Auth(sim.credentials), now)
    headers = {k: v for k, v in signed.headers if k not in drop}
    headers.update(extra or {})
    async with aiohttp.ClientSession() as session, session.request(
            signed.method, sim.base_url + signed.target, data=signed.body or None,
            headers=headers) as resp:
        return resp.status, await resp.json()


def balance_request() -> Request:
    return Request(method="GET", path="/api/v5/account/balance", signed=True)


def order_request(**changes: Any) -> Request:
    body = {"instId": "BTC-USDT-SWAP", "tdMode": "cross", "side": "buy", "posSide": "net",
            "ordType": "limit", "px": "40000", "sz": "1", "clOrdId": "vkraw1"}
    body.update(changes)
    return Request(method="POST", path="/api/v5/trade/order", body=body, signed=True,
                   idempotent=False)


def limit(**changes: Any) -> OrderParams:
    fields: dict[str, Any] = {"symbol": "BTC/USDT:USDT", "side": "buy", "type": "limit",
                              "quantity": "0.01", "price": "40000"}
    fields.update(changes)
    return OrderParams(**fields)


# ---------------------------------------------------------------- authentication


@pytest.mark.parametrize(("drop", "code"), [
    (("OK-ACCESS-KEY",), "50103"), (("OK-ACCESS-PASSPHRASE",), "50104"),
    (("OK-ACCESS-TIMESTAMP",), "50107"), (("OK-ACCESS-SIGN",), "50106")])
async def test_missing_headers_get_okx_codes(sim: OkxSimulator, drop: tuple[str, ...],
                                             code: str) -> None:
    status, payload = await raw(sim, balance_request(), drop=drop)
    assert (status, payload["code"], payload["data"]) == (401, code, [])


async def test_wrong_passphrase_is_50105(sim: OkxSimulator) -> None:
    creds = sim.credentials
    wrong = Credentials(api_key=creds.api_key, api_secret=creds.api_secret,
                        passphrase="not-the-passphrase")
    async with connect(sim, wrong) as conn:
        with pytest.raises(AuthenticationError) as info:
            await conn.fetch_balance()
    assert info.value.code == "50105" and info.value.status == 401


async def test_unknown_key_is_50111(sim: OkxSimulator) -> None:
    creds = sim.credentials
    other = Credentials(api_key="someone-else-key", api_secret=creds.api_secret,
                        passphrase=creds.passphrase)
    async with connect(sim, other) as conn:
        with pytest.raises(AuthenticationError) as info:
            await conn.fetch_balance()
    assert info.value.code == "50111"


async def test_tampered_body_fails_the_signature(sim: OkxSimulator) -> None:
    signed = signing.sign(order_request(), Auth(sim.credentials), int(time.time() * 1000))
    async with aiohttp.ClientSession() as session, session.post(
            sim.base_url + signed.target, data=signed.body.replace(b'"1"', b'"9"'),
            headers=dict(signed.headers)) as resp:
        payload = await resp.json()
    assert (resp.status, payload["code"]) == (401, "50113")
    assert sim.stats.signature_failures == 1
    assert not sim.state.orders


async def test_stale_and_malformed_timestamps(sim: OkxSimulator) -> None:
    old = int(time.time() * 1000) - 60_000
    status, payload = await raw(sim, balance_request(), timestamp_ms=old)
    assert (status, payload["code"]) == (401, "50102")
    status, payload = await raw(sim, balance_request(),
                                extra={"OK-ACCESS-TIMESTAMP": "1607418537715"})
    assert (status, payload["code"]) == (401, "50112")


async def test_clock_skew_is_compensated_by_the_core(sim: OkxSimulator) -> None:
    sim.faults.skew_ms = -45_000  # the venue's clock runs 45 s behind ours
    async with connect(sim) as conn:
        balance = await conn.fetch_balance()
    assert balance["USDT"].total == Decimal(100_000)


async def test_order_after_its_exptime_is_discarded(sim: OkxSimulator) -> None:
    sent = int(time.time() * 1000) - 10_000  # inside the 30 s window, past expTime (+5 s)
    status, payload = await raw(sim, order_request(), timestamp_ms=sent)
    assert status == 200 and payload["code"] == "50037"
    assert not sim.state.orders


async def test_demo_environment_needs_the_header() -> None:
    async with OkxSimulator(demo=True) as sim:
        async with connect(sim) as live:
            with pytest.raises(AuthenticationError) as info:
                await live.fetch_balance()
        assert info.value.code == "50101"
        async with connect(sim, testnet=True) as demo:
            assert (await demo.fetch_balance())["USDT"].total == Decimal(100_000)


# ---------------------------------------------------------------- markets and orders


async def test_instruments_speak_contracts(sim: OkxSimulator) -> None:
    async with aiohttp.ClientSession() as session, session.get(
            sim.base_url + "/api/v5/public/instruments?instType=SWAP") as resp:
        payload = await resp.json()
    btc = next(row for row in payload["data"] if row["instId"] == "BTC-USDT-SWAP")
    assert (btc["ctVal"], btc["lotSz"], btc["minSz"], btc["tickSz"]) == ("0.01", "0.01",
                                                                        "0.01", "0.1")
    async with aiohttp.ClientSession() as session, session.get(
            sim.base_url + "/api/v5/public/instruments?instType=SPOT") as resp:
        assert (resp.status, (await resp.json())["code"]) == (400, "51000")


async def test_state_holds_base_and_wire_holds_contracts(sim: OkxSimulator) -> None:
    async with connect(sim) as conn:
        placed = await conn.place_order(limit(quantity="0.025", reduce_only=True))
        fetched = await conn.fetch_order("BTC/USDT:USDT", order_id=placed.order_id)
    stored = sim.state.orders[placed.order_id]
    assert stored.quantity == Decimal("0.025") and stored.reduce_only
    assert fetched.quantity == Decimal("0.025") and fetched.reduce_only
    status, payload = await raw(sim, Request(
        method="GET", path="/api/v5/trade/order", signed=True,
        query=[("instId", "BTC-USDT-SWAP"), ("ordId", placed.order_id)]))
    assert (status, payload["data"][0]["sz"]) == (200, "2.5")  # 0.025 BTC = 2.5 contracts


async def test_duplicate_client_id_only_among_pending_orders(sim: OkxSimulator) -> None:
    async with connect(sim) as conn:
        await conn.place_order(limit(client_order_id="vkdup1"))
        with pytest.raises(DuplicateOrder) as info:
            await conn.place_order(limit(client_order_id="vkdup1"))
        assert info.value.code == "51016"
        # a filled order frees its clOrdId: OKX accepts the same id again
        first = await conn.place_order(limit(type="market", price=None,
                                             client_order_id="vkfill1"))
        second = await conn.place_order(limit(type="market", price=None,
                                              client_order_id="vkfill1"))
    assert first.order_id != second.order_id
    assert len(sim.state.orders) == 3


async def test_cancel_and_lookup_failures_are_not_found(sim: OkxSimulator) -> None:
    async with connect(sim) as conn:
        placed = await conn.place_order(limit())
        await conn.cancel_order("BTC/USDT:USDT", client_order_id=placed.client_order_id)
        assert (await conn.fetch_order("BTC/USDT:USDT", order_id=placed.order_id)).status \
            is OrderStatus.CANCELED
        with pytest.raises(OrderNotFound) as cancel_again:
            await conn.cancel_order("BTC/USDT:USDT", order_id=placed.order_id)
        with pytest.raises(OrderNotFound) as missing:
            await conn.fetch_order("BTC/USDT:USDT", client_order_id="vknotthere")
        with pytest.raises(OrderNotFound):  # right id, wrong instrument
            await conn.fetch_order("ETH/USDT:USDT", order_id=placed.order_id)
    assert cancel_again.value.code == "51400"
    assert missing.value.code == "51603"


async def test_insufficient_margin() -> None:
    async with OkxSimulator(balances={"USDT": 10}) as sim, connect(sim) as conn:
        with pytest.raises(InsufficientFunds) as info:
            await conn.place_order(limit())
    assert info.value.code == "51008"


async def test_bad_parameters_are_51000(sim: OkxSimulator) -> None:
    for change in ({"tdMode": "cash"}, {"posSide": "long"}, {"ordType": "twap"},
                   {"clOrdId": "has_underscore"}, {"sz": "lots"}):
        status, payload = await raw(sim, order_request(**change))
        assert (status, payload["code"], payload["data"][0]["sCode"]) == (200, "1", "51000"), \
            change
    assert not sim.state.orders


async def test_declared_limits_are_enforced(sim: OkxSimulator) -> None:
    """The simulator counts the plugin's own rules: account config allows 5 per 2 s."""
    roomy = {"account_config": RateLimit("account_config", 100, 2.0, LimitScope.ACCOUNT)}
    async with connect(sim, rate_limits=roomy) as conn:
        for _ in range(5):
            assert (await conn.run(endpoints.key_permissions())).can_trade
        with pytest.raises(RateLimitExceeded) as info:
            await conn.run(endpoints.key_permissions())
    assert info.value.code == "50011" and info.value.status == 429
    assert sim.stats.rate_limited == 1


async def test_the_core_limiter_keeps_under_the_declared_rules(sim: OkxSimulator) -> None:
    async with connect(sim) as conn:
        started = time.monotonic()
        for _ in range(6):
            await conn.run(endpoints.key_permissions())
    assert sim.stats.rate_limited == 0
    assert time.monotonic() - started >= 1.9  # the sixth waited for the 2 s window


async def test_injected_outage_maps_to_unavailable(sim: OkxSimulator) -> None:
    sim.faults.fail_next(status=503, path="/api/v5/account/balance")
    async with connect(sim) as conn:
        with pytest.raises(ExchangeUnavailable):
            await conn.fetch_balance()
        assert (await conn.fetch_balance())["USDT"].free == Decimal(100_000)
