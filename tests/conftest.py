"""Shared fixtures for the core tests: the sample exchange and its simulator on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from venuekit import Registry, RetryPolicy
from venuekit.connector import Connector, connect
from venuekit.ratelimit import MemoryLimiter
from venuekit.store import ConnectionStore
from venuekit.testing.example import plugin as example_plugin
from venuekit.testing.example.simulator import ExampleSimulator


@pytest.fixture
def store(tmp_path: Path) -> ConnectionStore:
    """An empty connection store in the test's own directory."""
    return ConnectionStore(tmp_path / "home")


@pytest.fixture
def registry() -> Registry:
    return Registry(extra={"example": example_plugin}, autoload=False)


@pytest.fixture
async def sim() -> AsyncIterator[ExampleSimulator]:
    async with ExampleSimulator() as simulator:
        yield simulator


@pytest.fixture
async def conn(sim: ExampleSimulator, registry: Registry) -> AsyncIterator[Connector]:
    async with connect("example", sim.credentials, base_url=sim.base_url, registry=registry,
                       limiter=MemoryLimiter(), order_settle_s=0.2,
                       retry=RetryPolicy(max_tries=3, base_delay_s=0.01,
                                         max_delay_s=0.05)) as connector:
        yield connector
