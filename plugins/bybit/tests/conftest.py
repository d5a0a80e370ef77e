"""Fixtures for the Bybit plugin tests: a no-network connector factory and aioresponses."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import venuekit
from aioresponses import aioresponses
from venuekit import Credentials
from venuekit.connector import Connector
from venuekit.ratelimit import MemoryLimiter

CREDS = Credentials(api_key="test-key-0123456789abcd",
                    api_secret="test-secret-0123456789abcdef0123")


@pytest.fixture
def creds() -> Credentials:
    return CREDS


@pytest.fixture
def make_conn(creds: Credentials) -> Callable[..., Connector]:
    """``venuekit.connect("bybit", ...)`` through the real entry point, no retries, own limiter."""

    def factory(**options: Any) -> Connector:
        settings: dict[str, Any] = {
            "registry": venuekit.Registry(allow=["bybit"]),
            "limiter": MemoryLimiter(),
            "retry": venuekit.RetryPolicy.none(),
        }
        settings.update(options)
        credentials = settings.pop("credentials", creds)
        return venuekit.connect("bybit", credentials, **settings)

    return factory


@pytest.fixture
def mocked() -> Iterator[aioresponses]:
    """Every request must match a registered mock; an unmatched one fails (no network)."""
    with aioresponses() as m:
        yield m
