"""The BingX simulator: its verifier against the official vectors, and venue behaviour."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from bingx_vectors import (
    DOC_SECRET,
    OLD_DOC_MIXED_BODY,
    OLD_DOC_MIXED_QUERY,
    OLD_DOC_MIXED_SIGNATURE,
    OLD_DOC_SIGNATURE,
    OLD_DOC_STRING,
)
from venuekit.connector import connect
from venuekit.errors import InvalidTimestamp
from venuekit.models import Auth, OrderParams, OrderStatus
from venuekit.ratelimit import MemoryLimiter
from venuekit.registry import Registry
from venuekit.retry import RetryPolicy
from venuekit.testing.simulator import ErrorKind
from venuekit.wire import Request
from venuekit_bingx.signing import sign
from venuekit_bingx.simulator import CODES, BingXSimulator, split_signature, verify_signature

ORDER = "/openApi/swap/v2/trade/order"
BALANCE = "/openApi/swap/v3/user/balance"


# ---------------------------------------------------------------- the verifier, offline


def test_verifier_accepts_the_old_doc_vector() -> None:
    assert verify_signature(DOC_SECRET, f"{OLD_DOC_STRING}&signature={OLD_DOC_SIGNATURE}")


def test_verifier_accepts_the_old_doc_mixed_vector() -> None:
    raw = f"{OLD_DOC_MIXED_QUERY}&signature={OLD_DOC_MIXED_SIGNATURE}"
    assert verify_signature(DOC_SECRET, raw, OLD_DOC_MIXED_BODY.encode())


@pytest.mark.parametrize("raw", [
    f"{OLD_DOC_STRING}&signature={OLD_DOC_SIGNATURE[:-1]}0",          # one digit changed
    f"{OLD_DOC_STRING.replace('6', '7')}&signature={OLD_DOC_SIGNATURE}",  # a value changed
    f"signature={OLD_DOC_SIGNATURE}&{OLD_DOC_STRING}",                # signature not last
    OLD_DOC_STRING,                                                   # no signature
])
def test_verifier_refuses_anything_else(raw: str) -> None:
    assert not verify_signature(DOC_SECRET, raw)


def test_split_signature() -> None:
    assert split_signature("a=1&signature=ff") == ("a=1", "ff")
    assert split_signature("a=1&signature=ff&b=2") is None


def test_error_response_covers_every_kind() -> None:
    sim = BingXSimulator()
    for kind in ErrorKind:
        status, code = CODES[kind]
        response = sim.error_response(kind, "why")
        assert response.status == status
        assert response.text is not None and json.loads(response.text)["code"] == code


# ---------------------------------------------------------------- on loopback


@pytest.fixture
async def sim() -> AsyncIterator[BingXSimulator]:
    async with BingXSimulator() as simulator:
        yield simulator


async def raw_call(sim: BingXSimulator, method: str, path: str,
                   query: list[tuple[str, str]]) -> tuple[int, dict[str, Any], dict[str, str]]:
    """A request signed by the plugin's signer and sent as is, bypassing the core."""
    signed = sign(Request(method=method, path=path, query=query, signed=True),
                  Auth(sim.credentials), sim.now_ms())
    async with aiohttp.ClientSession() as session, session.request(
            method, sim.base_url + signed.target, headers=dict(signed.headers)) as resp:
        return resp.status, json.loads(await resp.read()), dict(resp.headers)


async def test_contracts_use_json_numbers(sim: BingXSimulator) -> None:
    async with aiohttp.ClientSession() as session, session.get(
            sim.base_url + "/openApi/swap/v2/quote/contracts") as resp:
        text = await resp.text()
    assert '"tradeMinQuantity":0.0001' in text and '"pricePrecision":1' in text


async def test_missing_position_side_defaults_to_long_and_is_refused(
        sim: BingXSimulator) -> None:
    status, body, _ = await raw_call(sim, "POST", ORDER, [
        ("symbol", "BTC-USDT"), ("side", "BUY"), ("type", "MARKET"), ("quantity", "0.01")])
    assert (status, body["code"]) == (200, 109400)
    assert sim.state.orders == {}


async def test_client_ids_are_stored_lowercase_and_found_either_way(
        sim: BingXSimulator) -> None:
    status, body, headers = await raw_call(sim, "POST", ORDER, [
        ("symbol", "BTC-USDT"), ("side", "BUY"), ("positionSide", "BOTH"), ("type", "LIMIT"),
        ("quantity", "0.01"), ("price", "40000"), ("clientOrderID", "MiXeD42")])
    assert (status, body["code"]) == (200, 0)
    assert body["data"]["order"]["clientOrderId"] == "mixed42"
    assert isinstance(body["data"]["order"]["orderId"], int)
    assert "status" not in body["data"]["order"]  # the acknowledgement carries no status
    (order,) = sim.state.orders.values()
    assert order.client_order_id == "mixed42"
    assert headers["X-RateLimit-Requests-Remain"] == "4"
    _, found, _ = await raw_call(sim, "GET", ORDER, [("symbol", "BTC-USDT"),
                                                     ("clientOrderId", "MIXED42")])
    assert found["data"]["order"]["status"] == "PENDING"
    _, again, _ = await raw_call(sim, "POST", ORDER, [
        ("symbol", "BTC-USDT"), ("side", "BUY"), ("positionSide", "BOTH"), ("type", "MARKET"),
        ("quantity", "0.01"), ("clientOrderId", "mixed42")])
    assert again["code"] == 101481  # unique across all orders, not only open ones


async def test_uid_rate_limit_is_enforced(sim: BingXSimulator) -> None:
    answers = await asyncio.gather(*(raw_call(sim, "GET", BALANCE, []) for _ in range(6)))
    outcomes = sorted((status, body["code"]) for status, body, _ in answers)
    assert outcomes == [(200, 0)] * 5 + [(429, 109429)]  # 5 per second per endpoint


async def test_stale_timestamp_is_refused_then_healed_by_the_core(
        sim: BingXSimulator) -> None:
    async with connect("bingx", sim.credentials, base_url=sim.base_url,
                       registry=Registry(allow=["bingx"]), limiter=MemoryLimiter(),
                       retry=RetryPolicy(max_tries=2, base_delay_s=0.01)) as conn:
        await conn.server_time()
        await conn.fetch_balance()  # synced: accepted
        sim.faults.skew_ms = 60_000  # the venue's clock jumps a minute ahead
        balance = await conn.fetch_balance()  # 100421, resync, accepted
        assert balance["USDT"].total == Decimal(100_000)
        assert sim.stats.count(BALANCE) == 3
    async with connect("bingx", sim.credentials, base_url=sim.base_url,
                       registry=Registry(allow=["bingx"]), limiter=MemoryLimiter(),
                       retry=RetryPolicy.none()) as conn:
        await conn.fetch_balance()
        sim.faults.skew_ms = -60_000
        with pytest.raises(InvalidTimestamp, match="100421"):
            await conn.fetch_balance()


async def test_round_trip_with_a_mixed_case_client_id(sim: BingXSimulator) -> None:
    async with connect("bingx", sim.credentials, base_url=sim.base_url,
                       registry=Registry(allow=["bingx"]), limiter=MemoryLimiter()) as conn:
        placed = await conn.place_order(OrderParams(
            symbol="BTC/USDT:USDT", side="buy", type="limit", quantity="0.01",
            price="40000", client_order_id="Order7ABC"))
        assert placed.client_order_id == "order7abc"
        found = await conn.fetch_order("BTC/USDT:USDT", client_order_id="ORDER7abc")
        assert found.order_id == placed.order_id and found.status is OrderStatus.OPEN
        assert (await conn.fetch_balance())["USDT"].used == Decimal(400)
        cancelled = await conn.cancel_order("BTC-USDT", client_order_id="order7ABC")
        assert cancelled.status is OrderStatus.CANCELED
        assert (await conn.fetch_balance())["USDT"].used == 0
