"""Shared fixtures: credentials, a registry holding only this plugin, canned venue answers."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from aioresponses import aioresponses
from venuekit.connector import Connector, connect
from venuekit.models import Credentials
from venuekit.ratelimit import MemoryLimiter
from venuekit.registry import Registry
from venuekit.retry import RetryPolicy
from venuekit.wire import Response

LIVE = "https://open-api.bingx.com"
DEMO = "https://open-api-vst.bingx.com"

CONTRACTS = {"code": 0, "msg": "", "data": [
    {"contractId": "100", "symbol": "BTC-USDT", "quantityPrecision": 4, "pricePrecision": 1,
     "takerFeeRate": 0.0005, "makerFeeRate": 0.0002, "tradeMinQuantity": 0.0001,
     "tradeMinUSDT": 2, "currency": "USDT", "asset": "BTC", "status": 1,
     "apiStateOpen": "true", "apiStateClose": "true", "ensureTrigger": False,
     "triggerFeeRate": "0.00020000", "brokerState": False, "launchTime": 1586275200000,
     "maintainTime": 0, "offTime": 0, "displayName": "BTC-USDT"},
]}


def url(path: str, host: str = LIVE) -> re.Pattern[str]:
    """Any query on ``host + path``: the signed query changes with every request."""
    return re.compile(re.escape(host + path) + r"(\?.*)?$")


@pytest.fixture
def creds() -> Credentials:
    return Credentials(api_key="test-api-key-0123456789", api_secret="test-secret-abcdef0123456789")


@pytest.fixture
def registry() -> Registry:
    return Registry(allow=["bingx"])


@pytest.fixture
def mocked() -> Iterator[aioresponses]:
    with aioresponses() as mock:
        yield mock


@pytest.fixture
def sent() -> list[Response]:
    """Every response the connector got, each holding the exact signed request sent."""
    return []


@pytest.fixture
async def conn(creds: Credentials, registry: Registry, mocked: aioresponses,
               sent: list[Response]) -> AsyncIterator[Connector]:
    """A live-host connector recording its traffic in ``sent``."""
    async with connect("bingx", creds, registry=registry, limiter=MemoryLimiter(),
                       retry=RetryPolicy.none(), order_settle_s=0.05) as connector:
        connector.transport.on_response = sent.append
        yield connector


def ok(data: Any) -> dict[str, Any]:
    return {"code": 0, "msg": "", "data": data}


def mock_time(mocked: aioresponses, host: str = LIVE, repeat: bool = True) -> None:
    mocked.get(url("/openApi/swap/v2/server/time", host),
               payload=ok({"serverTime": 1675319535362}), repeat=repeat)
