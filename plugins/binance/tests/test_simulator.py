"""The simulator's own behaviour: its verifier against the official examples, raw HTTP.

The verifier is exercised with bytes written here by hand (not by the plugin's signer),
with the simulator's clock skewed to the examples' timestamp so their signatures are
current: what Binance itself would have to accept.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from venuekit.models import Credentials, RateLimit
from venuekit_binance.simulator import BinanceSimulator
from venuekit_binance.vectors import (
    DOC_API_KEY,
    DOC_HMAC,
    DOC_PAYLOAD,
    DOC_SECRET,
    DOC_TIMESTAMP,
    ED25519_SIG_URL,
    MIXED_BODY,
    MIXED_HMAC,
    MIXED_QUERY,
    ed25519_credentials,
)

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def started(sim: BinanceSimulator) -> AsyncIterator[BinanceSimulator]:
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


@pytest.fixture
async def doc_sim() -> AsyncIterator[BinanceSimulator]:
    """Credentials of the official example; clock set to its timestamp."""
    sim = BinanceSimulator(credentials=Credentials(api_key=DOC_API_KEY, api_secret=DOC_SECRET))
    sim.faults.skew_ms = DOC_TIMESTAMP + 100 - int(time.time() * 1000)
    async for running in started(sim):
        yield running


@pytest.fixture
async def sim() -> AsyncIterator[BinanceSimulator]:
    async for running in started(BinanceSimulator()):
        yield running


async def call(sim: BinanceSimulator, method: str, target: str, *, body: str = "",
               key: str | None = None) -> tuple[int, Any, dict[str, str]]:
    headers = {"X-MBX-APIKEY": key if key is not None else sim.credentials.api_key}
    if body:
        headers.update(FORM)
    async with aiohttp.ClientSession() as session, session.request(
            method, f"{sim.base_url}{target}", data=body.encode() or None, headers=headers,
            skip_auto_headers=["Content-Type"] if not body else ()) as resp:
        return resp.status, await resp.json(), dict(resp.headers)


def signed_query(sim: BinanceSimulator, params: str) -> str:
    full = f"{params}&recvWindow=5000&timestamp={sim.now_ms()}" if params else \
        f"recvWindow=5000&timestamp={sim.now_ms()}"
    sig = hmac.new(sim.credentials.api_secret.encode(), full.encode(), hashlib.sha256).hexdigest()
    return f"{full}&signature={sig}"


# ---------------------------------------------------------------- official examples


async def test_official_hmac_example_is_accepted_as_a_body(doc_sim: BinanceSimulator) -> None:
    status, payload, headers = await call(doc_sim, "POST", "/fapi/v1/order",
                                          body=f"{DOC_PAYLOAD}&signature={DOC_HMAC}")
    assert status == 200, payload
    assert payload["status"] == "NEW" and payload["origQty"] == "1"
    assert "X-MBX-ORDER-COUNT-10S" in headers and "X-MBX-ORDER-COUNT-1M" in headers


async def test_official_hmac_example_is_accepted_as_a_query(doc_sim: BinanceSimulator) -> None:
    status, payload, _ = await call(doc_sim, "POST",
                                    f"/fapi/v1/order?{DOC_PAYLOAD}&signature={DOC_HMAC.upper()}")
    assert status == 200, payload  # "The signature is not case sensitive"


async def test_mixed_query_and_body_example(doc_sim: BinanceSimulator) -> None:
    status, payload, _ = await call(doc_sim, "POST", f"/fapi/v1/order?{MIXED_QUERY}",
                                    body=f"{MIXED_BODY}&signature={MIXED_HMAC}")
    assert status == 200, payload


async def test_ed25519_example_is_accepted() -> None:
    sim = BinanceSimulator(credentials=ed25519_credentials())
    sim.faults.skew_ms = DOC_TIMESTAMP + 100 - int(time.time() * 1000)
    async for running in started(sim):
        status, payload, _ = await call(running, "POST", "/fapi/v1/order",
                                        body=f"{DOC_PAYLOAD}&signature={ED25519_SIG_URL}")
        assert status == 200, payload
        tampered = DOC_PAYLOAD.replace("quantity=1", "quantity=2")
        status, payload, _ = await call(running, "POST", "/fapi/v1/order",
                                        body=f"{tampered}&signature={ED25519_SIG_URL}")
        assert (status, payload["code"]) == (400, -1022)


@pytest.mark.parametrize("body", [
    f"{DOC_PAYLOAD.replace('price=9000', 'price=9001')}&signature={DOC_HMAC}",
    f"signature={DOC_HMAC}&{DOC_PAYLOAD}",
    DOC_PAYLOAD,
], ids=["changed-byte", "signature-not-last", "no-signature"])
async def test_bad_signatures_are_refused(doc_sim: BinanceSimulator, body: str) -> None:
    status, payload, _ = await call(doc_sim, "POST", "/fapi/v1/order", body=body)
    assert (status, payload["code"]) == (400, -1022)
    assert doc_sim.stats.signature_failures == 1
    assert doc_sim.state.orders == {}


async def test_the_example_is_stale_on_todays_clock() -> None:
    sim = BinanceSimulator(credentials=Credentials(api_key=DOC_API_KEY, api_secret=DOC_SECRET))
    async for running in started(sim):
        status, payload, _ = await call(running, "POST", "/fapi/v1/order",
                                        body=f"{DOC_PAYLOAD}&signature={DOC_HMAC}")
        assert (status, payload["code"]) == (400, -1021)


# ---------------------------------------------------------------- envelopes and rules


async def test_unknown_api_key(sim: BinanceSimulator) -> None:
    status, payload, _ = await call(sim, "GET", f"/fapi/v3/balance?{signed_query(sim, '')}",
                                    key="someone-else")
    assert (status, payload["code"]) == (401, -2015)


async def test_balance_and_usage_header(sim: BinanceSimulator) -> None:
    status, payload, headers = await call(sim, "GET",
                                          f"/fapi/v3/balance?{signed_query(sim, '')}")
    assert status == 200
    assert payload[0]["asset"] == "USDT" and Decimal(payload[0]["balance"]) == 100000
    assert headers["X-MBX-USED-WEIGHT-1M"] == "5"


async def test_timestamp_ahead_of_the_server_is_refused(sim: BinanceSimulator) -> None:
    ahead = int(time.time() * 1000) + 2000  # Binance refuses more than 1000 ms ahead
    full = f"recvWindow=5000&timestamp={ahead}"
    sig = hmac.new(sim.credentials.api_secret.encode(), full.encode(), hashlib.sha256).hexdigest()
    status, payload, _ = await call(sim, "GET", f"/fapi/v3/balance?{full}&signature={sig}")
    assert (status, payload["code"]) == (400, -1021)


async def place(sim: BinanceSimulator, cid: str, **changes: str) -> tuple[int, Any]:
    fields = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "quantity": "0.01",
              "price": "40000", "timeInForce": "GTC", "newClientOrderId": cid}
    fields.update(changes)
    params = "&".join(f"{k}={v}" for k, v in fields.items())
    full = f"{params}&recvWindow=5000&timestamp={sim.now_ms()}"
    sig = hmac.new(sim.credentials.api_secret.encode(), full.encode(), hashlib.sha256).hexdigest()
    status, payload, _ = await call(sim, "POST", "/fapi/v1/order", body=f"{full}&signature={sig}")
    return status, payload


async def test_client_ids_are_unique_only_among_open_orders(sim: BinanceSimulator) -> None:
    status, first = await place(sim, "same-id")
    assert status == 200 and first["status"] == "NEW"
    status, payload = await place(sim, "same-id")
    assert (status, payload["code"]) == (400, -4116)
    target = f"/fapi/v1/order?{signed_query(sim, 'symbol=BTCUSDT&origClientOrderId=same-id')}"
    status, cancelled, _ = await call(sim, "DELETE", target)
    assert status == 200 and cancelled["status"] == "CANCELED"
    status, again = await place(sim, "same-id")  # the first is no longer open: accepted
    assert status == 200 and again["orderId"] != first["orderId"]


async def test_unknown_orders(sim: BinanceSimulator) -> None:
    query = signed_query(sim, "symbol=BTCUSDT&orderId=999999")
    status, payload, _ = await call(sim, "GET", f"/fapi/v1/order?{query}")
    assert (status, payload["code"]) == (400, -2013)
    status, payload, _ = await call(sim, "DELETE", f"/fapi/v1/order?{query}")
    assert (status, payload["code"]) == (400, -2011)


@pytest.mark.parametrize("changes, code", [
    ({"symbol": "NOPEUSDT"}, -1121),
    ({"quantity": "0.0105"}, -1130),
    ({"quantity": "0.001", "price": "40000"}, -4164),
    ({"quantity": "100", "price": "40000"}, -2019),
    ({"timeInForce": "GTX", "price": "60000"}, -5022),
    ({"type": "MARKET", "timeInForce": "GTC"}, -1106),
])
async def test_order_rejections(sim: BinanceSimulator, changes: dict[str, str],
                                code: int) -> None:
    status, payload = await place(sim, "cid", **changes)
    assert (status, payload["code"]) == (400, code)


async def test_declared_limits_are_enforced_with_binances_429() -> None:
    sim = BinanceSimulator(limits=[RateLimit("ip", 2, 60.0)])
    async for running in started(sim):
        async with aiohttp.ClientSession() as session:
            statuses = []
            for _ in range(3):
                async with session.get(f"{running.base_url}/fapi/v1/time") as resp:
                    statuses.append(resp.status)
                    body = await resp.json()
        assert statuses == [200, 200, 429]
        assert body["code"] == -1003
        assert running.stats.rate_limited == 1
