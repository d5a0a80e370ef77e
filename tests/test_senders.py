"""AiohttpSender on a real loopback socket: keep-alive reuse, the direct await, closed sessions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from venuekit import senders
from venuekit.errors import ConfigurationError
from venuekit.senders import AiohttpSender
from venuekit.wire import Response, SignedRequest


class Peers:
    """A tiny server that remembers which client socket each request came from."""

    def __init__(self) -> None:
        self.seen: list[object] = []
        self.types: list[str] = []
        self.keys: list[list[str]] = []
        self.base_url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.seen.append(request.transport.get_extra_info("peername")
                         if request.transport else None)
        self.types.append(request.headers.get("Content-Type", ""))
        self.keys.append(request.headers.getall("X-Key", []))
        status = int(request.query.get("status", "200"))
        await asyncio.sleep(float(request.query.get("delay", "0")))
        return web.json_response({"path": request.path_qs, "body": (await request.text())},
                                 status=status, headers={"X-Used": str(len(self.seen))})


@pytest.fixture
async def peers() -> AsyncIterator[Peers]:
    server = Peers()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    server.base_url = f"http://127.0.0.1:{port}"
    yield server
    await runner.cleanup()


def signed(target: str, body: bytes = b"") -> SignedRequest:
    path, _, query = target.partition("?")
    return SignedRequest(method="POST" if body else "GET", path=path, query_string=query,
                         body=body, headers=(("X-Key", "k"),))


async def send(sender: AiohttpSender, peers: Peers, target: str,
               body: bytes = b"") -> Response:
    return await sender.send(signed(target, body), base_url=peers.base_url,
                             exchange="example", timeout_s=5.0)


def test_the_installed_aiohttp_takes_the_direct_await() -> None:
    """If aiohttp drops the coroutine method, requests still work through request(); this
    says so, so the measured cost is not lost unnoticed."""
    assert senders._AWAIT_DIRECTLY


@pytest.mark.parametrize("direct", [True, False])
async def test_sequential_requests_share_one_connection(
        peers: Peers, monkeypatch: pytest.MonkeyPatch, direct: bool) -> None:
    monkeypatch.setattr(senders, "_AWAIT_DIRECTLY", direct)
    sender = AiohttpSender()
    try:
        answers = [await send(sender, peers, f"/a?n={n}") for n in range(10)]
        failed = await send(sender, peers, "/b?status=503")
        posted = await send(sender, peers, "/c", b'{"x":1}')
    finally:
        await sender.aclose()
    assert [a.json()["path"] for a in answers] == [f"/a?n={n}" for n in range(10)]
    assert failed.status == 503 and failed.json()["path"] == "/b?status=503"
    assert posted.json()["body"] == '{"x":1}'
    assert peers.types[-1] == "application/json"  # a body without a type is JSON
    assert posted.header("x-used") == "12"
    # every body was read and its connection handed back: one socket for all twelve
    assert len(set(peers.seen)) == 1


async def test_extra_headers_replace_and_a_given_content_type_stays(peers: Peers) -> None:
    sender = AiohttpSender(extra_headers=(("X-Key", "testnet"),))
    form = SignedRequest(method="POST", path="/m", body=b"a=1",
                         headers=(("x-key", "k"), ("content-TYPE", "text/plain")))
    try:
        answer = await sender.send(form, base_url=peers.base_url, exchange="example",
                                   timeout_s=5.0)
    finally:
        await sender.aclose()
    assert answer.json()["body"] == "a=1"
    assert peers.types == ["text/plain"]
    assert peers.keys == [["testnet"]]  # replaced, as a testnet header must be, not added


async def test_concurrent_requests_use_no_more_sockets_than_in_flight(peers: Peers) -> None:
    sender = AiohttpSender()
    try:
        for _ in range(3):
            await asyncio.gather(*(send(sender, peers, "/d?delay=0.01") for _ in range(4)))
    finally:
        await sender.aclose()
    assert len(peers.seen) == 12
    assert len(set(peers.seen)) <= 4


async def test_a_cancelled_request_leaves_no_open_response(peers: Peers) -> None:
    sender = AiohttpSender()
    try:
        task = asyncio.create_task(send(sender, peers, "/e?delay=0.5"))
        while not peers.seen:
            await asyncio.sleep(0.005)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        answer = await send(sender, peers, "/f")
        assert answer.status == 200
    finally:
        await sender.aclose()


async def test_our_session_closed_from_outside_is_replaced_after_one_refusal(
        peers: Peers) -> None:
    sender = AiohttpSender()
    try:
        await send(sender, peers, "/g")
        session = sender.session
        assert session is not None
        await session.close()
        with pytest.raises(ConfigurationError, match="closed outside venuekit"):
            await send(sender, peers, "/h")
        assert (await send(sender, peers, "/i")).status == 200
        assert sender.session is not session
    finally:
        await sender.aclose()
    assert len(peers.seen) == 2  # nothing went out on the refused request


async def test_a_host_session_closed_is_a_configuration_error(peers: Peers) -> None:
    session = aiohttp.ClientSession()
    sender = AiohttpSender(session)
    await send(sender, peers, "/j")
    await session.close()
    with pytest.raises(ConfigurationError, match="session passed to connect"):
        await send(sender, peers, "/k")
    await sender.aclose()
    with pytest.raises(ConfigurationError, match="connector closed"):
        await send(sender, peers, "/l")
