"""A closed connector fails fast and never reopens a session (issue: 49 of 50 leaked)."""

from __future__ import annotations

import asyncio
import gc

import pytest
from venuekit import Registry, RetryPolicy
from venuekit.connector import connect
from venuekit.errors import ConfigurationError
from venuekit.ratelimit import MemoryLimiter
from venuekit.senders import AiohttpSender
from venuekit.testing.example.simulator import ExampleSimulator


async def test_closing_while_a_retry_waits_ends_it_without_a_new_session(
        registry: Registry, sim: ExampleSimulator) -> None:
    for _ in range(50):
        sim.stats.requests.clear()
        sim.faults.fail_next(10, path="/v1/balance")
        conn = connect("example", sim.credentials, base_url=sim.base_url, registry=registry,
                       limiter=MemoryLimiter(),
                       retry=RetryPolicy(max_tries=10, base_delay_s=0.05, max_delay_s=0.05))
        sender = conn.transport.sender
        assert isinstance(sender, AiohttpSender)
        task = asyncio.create_task(conn.fetch_balance())
        while sim.stats.count("/v1/balance") < 1:
            await asyncio.sleep(0.005)
        session = sender.session
        await conn.close()
        with pytest.raises(ConfigurationError, match="connector closed"):
            await task
        assert sender.session is session and session is not None and session.closed
    gc.collect()  # an unclosed session would warn here, and warnings are errors


async def test_a_request_after_close_is_refused_without_sending(
        registry: Registry, sim: ExampleSimulator) -> None:
    conn = connect("example", sim.credentials, base_url=sim.base_url, registry=registry,
                   limiter=MemoryLimiter())
    await conn.fetch_balance()
    seen = len(sim.stats.requests)
    await conn.close()
    for call in (conn.fetch_balance, conn.server_time):
        with pytest.raises(ConfigurationError, match="connector closed"):
            await call()
    assert len(sim.stats.requests) == seen
    assert conn.closed
