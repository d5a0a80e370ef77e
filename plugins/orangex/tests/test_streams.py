"""OrangeX's stream facts (issue 15 point 3), each against the simulator through the core.

- the client must ping (every 5 s): the venue cuts a socket ~30 s after the client's last
  frame, even while it pushes data; the connector's PING keeps its socket;
- at most 5 new sockets a minute: the sixth connect waits for the budget;
- the book is kept by ``change_id`` (a gap re-seeds from REST ``version``): the stream
  conformance test ``test_watch_order_book_is_consistent_and_recovers_from_a_gap`` runs it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest_asyncio
from venuekit import connect
from venuekit.connector import Connector
from venuekit.ratelimit import MemoryLimiter
from venuekit.streams import StreamSettings
from venuekit.streams import hub as stream_hub
from venuekit.testing.conformance_streams import next_item, until
from venuekit_orangex.simulator import OrangeXSimulator

SYMBOL = "BTC/USDT:USDT"


class QuickCut(OrangeXSimulator):
    idle_cut_s = 0.5  # the venue's ~30 s, shrunk


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[OrangeXSimulator]:
    async with QuickCut() as simulator:
        yield simulator


def connector(sim: OrangeXSimulator, heartbeat_s: float = 0.1) -> Connector:
    settings = StreamSettings(backoff_initial_s=0.01, backoff_max_s=0.05, jitter=0.5,
                              idle_timeout_s=2.0, heartbeat_s=heartbeat_s,
                              connect_timeout_s=2.0)
    return connect("orangex", sim.credentials, base_url=sim.api_url, limiter=MemoryLimiter(),
                   stream_base_url=sim.base_url, stream_settings=settings)


async def test_a_silent_client_is_cut(sim: OrangeXSimulator) -> None:
    url = sim.base_url.replace("http", "ws") + "/ws/api/v1"
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        message = await asyncio.wait_for(ws.receive(), 3.0)  # we send nothing
        assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED,
                                aiohttp.WSMsgType.CLOSING)


async def test_the_client_ping_keeps_the_socket(sim: OrangeXSimulator) -> None:
    async with connector(sim) as conn:
        source = conn.watch_ticker(SYMBOL)
        pending = asyncio.ensure_future(next_item(source))
        await until(stream_hub(conn).ready, "the public socket")
        await asyncio.sleep(1.5)  # three idle cuts
        assert sim.streams.connections == 1
        (client,) = sim.streams.clients
        assert client.frames_in.count("PING") >= 5
        pending.cancel()


async def test_at_most_five_new_sockets_a_minute(sim: OrangeXSimulator) -> None:
    async with connector(sim) as conn:
        source = conn.watch_ticker(SYMBOL)
        pending = asyncio.ensure_future(next_item(source))
        await until(stream_hub(conn).ready, "the public socket")
        for count in range(2, 6):
            await sim.streams.drop_all()
            await until(lambda n=count: sim.streams.connections == n, f"socket {count}")
        await sim.streams.drop_all()
        await asyncio.sleep(0.5)  # many backoff periods: the budget holds the sixth
        assert sim.streams.connections == 5
        assert not stream_hub(conn).ready()
        pending.cancel()
