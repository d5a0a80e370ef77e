"""The transport sends the signed bytes verbatim and turns every failure into a core error."""

from __future__ import annotations

import re
import socket
from typing import Any

import pytest
import venuekit
from aioresponses import aioresponses
from venuekit import errors
from venuekit.connector import Connector
from venuekit.models import Credentials, OrderParams
from venuekit.ratelimit import MemoryLimiter
from venuekit.registry import Registry
from venuekit.retry import RetryPolicy
from venuekit.testing.aioresponses_compat import mock_aiohttp
from venuekit.transport import parse_retry_after

BASE = "https://api.example.invalid"
CREDS = Credentials(api_key="key-0123456789abcdef", api_secret="secret-0123456789")


def make(registry: Registry, **options: Any) -> Connector:
    settings: dict[str, Any] = {"registry": registry, "limiter": MemoryLimiter(),
                                "retry": RetryPolicy.none()}
    settings.update(options)
    return venuekit.connect("example", CREDS, **settings)


def time_ok(mock: aioresponses) -> None:
    mock.get(f"{BASE}/v1/time", payload={"ok": True, "data": {"serverTime": 1}}, repeat=True)


async def test_signed_bytes_are_sent_verbatim(conn: Connector, sim: Any) -> None:
    """Percent-encoding and parameter order arrive as signed (the simulator checks the MAC)."""
    placed = await conn.place_order(OrderParams(symbol="BTCUSDT", side="buy", type="limit",
                                                quantity="0.01", price="40000",
                                                client_order_id="a-b_c"))
    with pytest.raises(errors.OrderNotFound):
        await conn.fetch_order("BTCUSDT", client_order_id="x/y z")
    assert sim.stats.raw_targets[-1] == "/v1/order?symbol=BTCUSDT&clientOrderId=x%2Fy%20z"
    found = await conn.fetch_order("BTCUSDT", client_order_id="a-b_c")
    assert found.order_id == placed.order_id
    assert sim.stats.signature_failures == 0


@pytest.mark.parametrize(("status", "body", "cls", "fragment"), [
    (502, b"<html><body>Bad Gateway</body></html>", errors.ExchangeUnavailable, "Bad Gateway"),
    (200, b"<html>maintenance</html>", errors.BadResponse, "HTML page"),
    (200, b"", errors.BadResponse, "empty body"),
    (200, b'{"ok": true, "data": [{"asset": "USD', errors.BadResponse, "not JSON"),
    (429, b"slow down", errors.RateLimitExceeded, "slow down"),
    (418, b"banned", errors.IPBanned, "banned"),
    (403, b"forbidden", errors.PermissionDenied, "forbidden"),
])
async def test_bad_bodies_and_statuses(registry: Registry, status: int, body: bytes,
                                       cls: type[errors.VenueError], fragment: str) -> None:
    async with make(registry) as conn:
        with mock_aiohttp() as mock:
            time_ok(mock)
            mock.get(f"{BASE}/v1/balance", status=status, body=body,
                     headers={"Retry-After": "0"} if status in (418, 429) else None)
            with pytest.raises(cls) as info:
                await conn.fetch_balance()
    error = info.value
    assert type(error) is cls
    assert error.exchange == "example" and error.status == status
    assert fragment in str(error)
    assert error.request is not None and error.request.startswith("GET /v1/balance")


async def test_parse_failure_is_a_bad_response_naming_the_venue(registry: Registry) -> None:
    async with make(registry) as conn:
        with mock_aiohttp() as mock:
            time_ok(mock)
            mock.get(f"{BASE}/v1/balance", payload={"ok": True, "data": [{"wrong": 1}]})
            with pytest.raises(errors.BadResponse, match=r"\[example\] unexpected payload"):
                await conn.fetch_balance()


async def test_timeout_is_request_timeout(registry: Registry, sim: Any) -> None:
    async with make(registry, base_url=sim.base_url, timeout_s=0.1) as conn:
        await conn.server_time()
        sim.faults.latency_s = 0.5
        with pytest.raises(errors.RequestTimeout, match=r"no answer within 0\.1 s") as info:
            await conn.server_time()
    assert info.value.ambiguous and info.value.request == "GET /v1/time"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_refused_connection_is_network_error(registry: Registry) -> None:
    async with make(registry, base_url=f"http://127.0.0.1:{free_port()}") as conn:
        with pytest.raises(errors.NetworkError, match="cannot connect") as info:
            await conn.server_time()
    assert info.value.retryable


async def test_no_request_is_sent_for_a_bad_order(registry: Registry) -> None:
    async with make(registry) as conn:
        with mock_aiohttp() as mock:
            mock.get(f"{BASE}/v1/markets", payload={"ok": True, "data": [{
                "symbol": "BTCUSDT", "base": "BTC", "quote": "USDT", "status": "TRADING",
                "tickSize": "0.1", "stepSize": "0.001", "minQty": "0.002", "minNotional": "5"}]})
            for params, cls, fragment in [
                ({"quantity": "0.0015"}, errors.InvalidOrder, "multiple of the step 0.001"),
                ({"price": "40000.05"}, errors.InvalidOrder, "multiple of the tick 0.1"),
                ({"quantity": "0.001", "price": "40000"}, errors.BelowMinimum, "minimum 0.002"),
                ({"quantity": "0.002", "price": "100"}, errors.BelowMinimum, "order value"),
                ({"symbol": "BTCUSD"}, errors.UnknownSymbol, "did you mean BTC/USDT:USDT"),
                ({"client_order_id": "x" * 40}, errors.InvalidOrder, "allows 36"),
            ]:
                fields: dict[str, Any] = {"symbol": "BTC/USDT:USDT", "side": "buy",
                                          "type": "limit", "quantity": "0.01", "price": "40000"}
                fields.update(params)
                with pytest.raises(cls, match=re.escape(fragment)):
                    await conn.place_order(OrderParams(**fields))
            assert [str(k[1]) for k in mock.requests] == [f"{BASE}/v1/markets"]


def test_connect_checks_credentials_and_environment(registry: Registry) -> None:
    with pytest.raises(errors.ConfigurationError,
                       match="needs credential field 'api_secret' for hmac keys"):
        venuekit.connect("example", Credentials(api_key="k"), registry=registry)
    with pytest.raises(errors.ConfigurationError, match="does not take ed25519 keys"):
        venuekit.connect("example", Credentials(api_key="k", api_secret="s", key_type="ed25519"),
                         registry=registry)


async def test_signed_call_without_credentials_is_a_configuration_error(
        registry: Registry) -> None:
    async with venuekit.connect("example", registry=registry, limiter=MemoryLimiter()) as conn:
        with mock_aiohttp() as mock:
            time_ok(mock)
            with pytest.raises(errors.ConfigurationError, match="needs credentials"):
                await conn.fetch_balance()


@pytest.mark.parametrize(("value", "expected"), [
    ("2", 2.0), ("0.25", 0.25), (None, None), ("soon", None),
    ("Wed, 21 Oct 2015 07:28:00 GMT", 10.0),
])
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    from email.utils import parsedate_to_datetime
    now = parsedate_to_datetime("Wed, 21 Oct 2015 07:27:50 GMT").timestamp()
    assert parse_retry_after(value, now=now) == expected
