"""`venuekit serve` under slow and greedy clients: head and body deadlines, connection caps.

Floods come from other loopback addresses (127.0.0.2 and up: the whole 127/8 block is this
machine on Linux), so the per-address cap can be told apart from the total one; one test
floods from the legitimate client's own address. Every socket a test opens is loopback
and closed at its end. The bounds on waiting (a few seconds) are liveness bounds, not
performance measurements: bench/bench_serve_flood.py measures latency.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from venuekit.api import create_app
from venuekit.api.server import RunningServer, ServerLimits, start_server
from venuekit.registry import Registry
from venuekit.store import ConnectionStore, Keyring, generate_key

pytestmark = pytest.mark.skipif(sys.platform != "linux",
                                reason="binds 127.0.0.2 and up, which only Linux routes")

TOKEN = "serve-limits-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PARTIAL_HEAD = b"GET /api/settings/connections HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "

Stream = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class Sockets:
    """Raw client sockets opened by a test, all closed at its end."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.open: list[Stream] = []

    async def connect(self, source: str, head: bytes = PARTIAL_HEAD) -> Stream:
        stream = await asyncio.open_connection("127.0.0.1", self.port, local_addr=(source, 0))
        stream[1].write(head)
        await stream[1].drain()
        self.open.append(stream)
        return stream

    async def flood(self, source: str, count: int) -> list[Stream]:
        return [await self.connect(source) for _ in range(count)]

    async def close(self) -> None:
        for _, writer in self.open:
            writer.close()
        for _, writer in self.open:
            with contextlib.suppress(ConnectionError, OSError):  # reset by the server
                await writer.wait_closed()


async def _start(app: web.Application, limits: ServerLimits) -> RunningServer:
    return await start_server(app, "127.0.0.1", 0, limits)


def _api(tmp_path: Path, registry: Registry) -> web.Application:
    store = ConnectionStore(tmp_path / "home", keyring=Keyring.from_keys(generate_key()))
    return create_app(store, token=TOKEN, registry=registry)


@pytest.fixture
async def serve(tmp_path: Path, registry: Registry
                ) -> AsyncIterator[tuple[list[RunningServer], list[Sockets]]]:
    servers: list[RunningServer] = []
    sockets: list[Sockets] = []
    yield servers, sockets
    for group in sockets:
        await group.close()
    for server in servers:
        await server.stop()


async def _legit(server: RunningServer, *, within_s: float = 5.0) -> int:
    async with asyncio.timeout(within_s), aiohttp.ClientSession() as session, \
            session.get(f"{server.url}/api/settings/connections", headers=AUTH) as resp:
        body = await resp.json()
        assert "connections" in body
        return resp.status


async def _closed_within(stream: Stream, seconds: float) -> bytes:
    """Everything the server sends before closing; fails if it keeps the socket open."""
    reader, _ = stream
    received = b""
    async with asyncio.timeout(seconds):
        try:
            while chunk := await reader.read(65536):
                received += chunk
        except ConnectionResetError:  # closed with our unread bytes in its buffer: a close
            pass
    return received


# ---------------------------------------------------------------- flood


@pytest.mark.parametrize("flood_from", ["127.0.0.2", "127.0.0.1"])
async def test_a_slow_header_flood_does_not_starve_a_legitimate_request(
        serve: tuple[list[RunningServer], list[Sockets]], tmp_path: Path,
        registry: Registry, flood_from: str) -> None:
    servers, sockets = serve
    limits = ServerLimits(header_timeout_s=60, max_connections=128, max_connections_per_ip=32)
    server = await _start(_api(tmp_path, registry), limits)
    servers.append(server)
    group = Sockets(server.port)
    sockets.append(group)

    await group.flood(flood_from, 200)  # none finishes its head; the deadline is far off
    assert await _legit(server) == 200
    stats = server.stats()
    assert stats.open <= limits.max_connections_per_ip
    assert stats.evicted >= 200 - limits.max_connections_per_ip


async def test_a_flood_from_many_addresses_stays_under_the_total_cap(
        serve: tuple[list[RunningServer], list[Sockets]], tmp_path: Path,
        registry: Registry) -> None:
    servers, sockets = serve
    limits = ServerLimits(header_timeout_s=60, max_connections=50, max_connections_per_ip=20)
    server = await _start(_api(tmp_path, registry), limits)
    servers.append(server)
    group = Sockets(server.port)
    sockets.append(group)
    for n in range(2, 12):
        await group.flood(f"127.0.0.{n}", 20)
    assert server.stats().open <= 50
    assert await _legit(server) == 200


# ---------------------------------------------------------------- deadlines


async def test_a_head_sent_slower_than_the_deadline_is_closed_with_408(
        serve: tuple[list[RunningServer], list[Sockets]], tmp_path: Path,
        registry: Registry) -> None:
    servers, sockets = serve
    server = await _start(_api(tmp_path, registry), ServerLimits(header_timeout_s=0.5))
    servers.append(server)
    group = Sockets(server.port)
    sockets.append(group)
    stream = await group.connect("127.0.0.2")

    async def dribble() -> None:  # one byte every 100 ms: alive, but never done
        for _ in range(100):
            stream[1].write(b"a")
            await asyncio.sleep(0.1)

    task = asyncio.create_task(dribble())
    try:
        answer = await _closed_within(stream, 5.0)
    finally:
        task.cancel()
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b'"request_timeout"' in answer
    assert server.stats().head_timeouts == 1
    assert await _legit(server) == 200  # a prompt client is untouched


async def test_an_idle_keepalive_connection_is_closed_after_the_head_deadline(
        serve: tuple[list[RunningServer], list[Sockets]], tmp_path: Path,
        registry: Registry) -> None:
    servers, sockets = serve
    server = await _start(_api(tmp_path, registry), ServerLimits(header_timeout_s=0.5))
    servers.append(server)
    group = Sockets(server.port)
    sockets.append(group)
    head = (f"GET /api/settings/connections HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {TOKEN}\r\n\r\n").encode()
    stream = await group.connect("127.0.0.2", head)
    answer = await _closed_within(stream, 5.0)
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert b"408" not in answer  # after a response the client owed nothing


async def test_a_body_slower_than_the_deadline_gets_408(
        serve: tuple[list[RunningServer], list[Sockets]], tmp_path: Path,
        registry: Registry) -> None:
    servers, sockets = serve
    server = await _start(_api(tmp_path, registry), ServerLimits(body_timeout_s=0.5))
    servers.append(server)
    group = Sockets(server.port)
    sockets.append(group)
    head = (f"POST /api/settings/connections HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n"
            "Content-Length: 100\r\n\r\n{\"name\": ").encode()
    stream = await group.connect("127.0.0.2", head)
    answer = await _closed_within(stream, 5.0)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b'"request_timeout"' in answer
    assert server.stats().body_timeouts == 1


async def test_bodies_still_reach_the_api_and_its_errors_keep_their_shape(
        serve: tuple[list[RunningServer], list[Sockets]], tmp_path: Path,
        registry: Registry) -> None:
    """The body middleware reads the body first; the handler must still see all of it."""
    servers, _ = serve
    server = await _start(_api(tmp_path, registry), ServerLimits())
    servers.append(server)
    body = {"name": "main", "exchange": "example",
            "credentials": {"api_key": "AKserve-limits-0123456789",
                            "api_secret": "serve-limits-secret-0123456789"}}
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{server.url}/api/settings/connections", json=body,
                                headers=AUTH) as resp:
            assert resp.status == 201, await resp.text()
            assert (await resp.json())["name"] == "main"
        async with session.post(f"{server.url}/api/settings/connections",
                                data=io.BytesIO(b"x" * (2 << 20)), headers={
                                    **AUTH, "Content-Type": "application/json"}) as resp:
            assert resp.status == 413
            assert (await resp.json())["error"]["code"] == "body_too_large"
    assert await _legit(server) == 200


# ---------------------------------------------------------------- per-client cap


async def test_the_per_address_cap_closes_the_oldest_idle_connection(
        serve: tuple[list[RunningServer], list[Sockets]], tmp_path: Path,
        registry: Registry) -> None:
    servers, sockets = serve
    server = await _start(_api(tmp_path, registry),
                          ServerLimits(header_timeout_s=60, max_connections_per_ip=4))
    servers.append(server)
    group = Sockets(server.port)
    sockets.append(group)
    first, *_ = await group.flood("127.0.0.3", 4)
    others = await group.flood("127.0.0.4", 4)
    assert server.stats().open == 8
    await group.connect("127.0.0.3")
    answer = await _closed_within(first, 5.0)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert server.stats().open == 8 and server.stats().evicted == 1
    for reader, _ in others:  # another address's connections are left alone
        assert not reader.at_eof()


async def test_a_new_connection_is_refused_when_every_slot_of_its_address_is_busy(
        serve: tuple[list[RunningServer], list[Sockets]]) -> None:
    servers, sockets = serve
    release = asyncio.Event()
    started = 0

    async def slow(request: web.Request) -> web.Response:
        nonlocal started
        started += 1
        await release.wait()
        return web.Response(text="done")

    app = web.Application()
    app.router.add_get("/slow", slow)
    server = await _start(app, ServerLimits(max_connections_per_ip=2))
    servers.append(server)
    group = Sockets(server.port)
    sockets.append(group)
    head = b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
    busy = [await group.connect("127.0.0.5", head) for _ in range(2)]
    async with asyncio.timeout(5):
        while started < 2:
            await asyncio.sleep(0.01)
    refused = await group.connect("127.0.0.5", head)
    answer = await _closed_within(refused, 5.0)
    assert answer.startswith(b"HTTP/1.1 503 ")
    assert server.stats().refused == 1
    release.set()
    for reader, _ in busy:  # the requests in progress finished normally
        async with asyncio.timeout(5):
            assert (await reader.readuntil(b"done")).startswith(b"HTTP/1.1 200 ")


# ---------------------------------------------------------------- logs


async def test_a_flood_cannot_flood_the_log(
        serve: tuple[list[RunningServer], list[Sockets]], tmp_path: Path,
        registry: Registry, caplog: pytest.LogCaptureFixture) -> None:
    servers, sockets = serve
    limits = ServerLimits(header_timeout_s=60, max_connections_per_ip=1, log_burst=5,
                          log_window_s=60)
    server = await _start(_api(tmp_path, registry), limits)
    servers.append(server)
    group = Sockets(server.port)
    sockets.append(group)
    caplog.set_level(logging.DEBUG)
    await group.flood("127.0.0.6", 60)  # each one evicts the one before: 59 warnings
    assert server.stats().evicted == 59
    records = [r for r in caplog.records if r.name == "venuekit.api.server"]
    assert 1 <= len(records) <= 5


async def test_stop_closes_every_connection_and_removes_the_log_budget(
        tmp_path: Path, registry: Registry) -> None:
    server = await _start(_api(tmp_path, registry), ServerLimits(header_timeout_s=60))
    group = Sockets(server.port)
    try:
        streams = await group.flood("127.0.0.7", 5)
        await server.stop()
        for stream in streams:
            await _closed_within(stream, 5.0)
        assert not logging.getLogger("asyncio").filters
    finally:
        await group.close()
