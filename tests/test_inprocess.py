"""The in-process sender: a simulator's handlers or a table answer, no socket, all recorded."""

from __future__ import annotations

from decimal import Decimal

import pytest
from venuekit import Registry, RetryPolicy
from venuekit.connector import Connector, connect
from venuekit.errors import (
    ConfigurationError,
    ExchangeUnavailable,
    NetworkError,
    RequestTimeout,
)
from venuekit.models import OrderParams
from venuekit.ratelimit import MemoryLimiter
from venuekit.testing import Canned, InProcessSender, UnmatchedRequest
from venuekit.testing.example.simulator import ExampleSimulator

BASE = "http://example.invalid"


def in_process(registry: Registry, sim: ExampleSimulator, sender: InProcessSender,
               **options: object) -> Connector:
    settings: dict[str, object] = {"limiter": MemoryLimiter(), "order_settle_s": 0.05,
                                   "retry": RetryPolicy(max_tries=3, base_delay_s=0.01,
                                                        max_delay_s=0.02)}
    settings.update(options)
    return connect("example", sim.credentials, base_url=BASE, registry=registry,
                   sender=sender, **settings)  # type: ignore[arg-type]


def order() -> OrderParams:
    return OrderParams(symbol="BTC/USDT:USDT", side="buy", type="limit", quantity="0.01",
                       price="40000")


async def test_a_simulator_answers_without_a_socket(registry: Registry) -> None:
    sim = ExampleSimulator()  # never started: no port is opened
    sender = InProcessSender.for_simulator(sim)
    async with in_process(registry, sim, sender) as conn:
        balance = await conn.fetch_balance()
        placed = await conn.place_order(order())
        cancelled = await conn.cancel_order(placed.symbol, order_id=placed.order_id)
    assert balance["USDT"].total > 0
    assert cancelled.order_id == placed.order_id
    assert sim.stats.signature_failures == 0
    # every request the simulator saw was recorded with its exact signed bytes
    assert [(r.method, r.path) for r in sender.requests] == [
        (m, p) for _, m, p in sim.stats.requests]
    assert any(r.path == "/v1/order" and r.method == "POST" for r in sender.requests)
    assert sender.requests[-1].query_string == sim.stats.raw_targets[-1].partition("?")[2]


async def test_a_dropped_answer_is_ambiguous_and_the_order_is_found_not_resent(
        registry: Registry) -> None:
    sim = ExampleSimulator()
    sim.faults.drop_after_accept(path="/v1/order")
    sender = InProcessSender.for_simulator(sim)
    async with in_process(registry, sim, sender) as conn:
        placed = await conn.place_order(order())
    assert len(sim.state.orders) == 1
    assert placed.client_order_id is not None
    assert len(sender.sent("/v1/order", "POST")) == 1  # looked up, never sent twice


async def test_latency_beyond_the_timeout_is_request_timeout(registry: Registry) -> None:
    sim = ExampleSimulator()
    sim.faults.latency_s = 0.5
    sender = InProcessSender.for_simulator(sim)
    async with in_process(registry, sim, sender, timeout_s=0.05,
                          retry=RetryPolicy.none()) as conn:
        with pytest.raises(RequestTimeout):
            await conn.fetch_balance()


async def test_a_table_answers_and_records(registry: Registry) -> None:
    sim = ExampleSimulator()
    sender = InProcessSender.from_table({
        ("GET", "/v1/time"): Canned.json({"ok": True, "data": {"serverTime": 1_700_000_000_000}}),
        ("GET", "/v1/balance"): [
            Canned(status=503, body=b"<html>busy</html>"),
            Canned.json({"ok": True, "data": [
                {"asset": "USDT", "free": "10.5", "locked": "0"}]}),
        ],
    })
    async with in_process(registry, sim, sender) as conn:
        balance = await conn.fetch_balance()
        with pytest.raises(UnmatchedRequest):
            await conn.fetch_markets()
    assert balance["USDT"].free == Decimal("10.5")
    assert len(sender.sent("/v1/balance")) == 2  # the 503 was retried once


async def test_a_table_can_fail_the_connection(registry: Registry) -> None:
    sim = ExampleSimulator()
    sender = InProcessSender.from_table({
        ("GET", "/v1/time"): Canned.json({"ok": True, "data": {"serverTime": 1}}),
        ("GET", "/v1/balance"): NetworkError("connection reset"),
    })
    async with in_process(registry, sim, sender, retry=RetryPolicy.none()) as conn:
        with pytest.raises(NetworkError) as info:
            await conn.fetch_balance()
    assert info.value.exchange == "example"


async def test_html_error_page_through_the_table_is_exchange_unavailable(
        registry: Registry) -> None:
    sim = ExampleSimulator()
    sender = InProcessSender.from_table({
        ("GET", "/v1/time"): Canned.json({"ok": True, "data": {"serverTime": 1}}),
        ("GET", "/v1/balance"): Canned(status=502, body=b"<html>Bad Gateway</html>"),
    })
    async with in_process(registry, sim, sender, retry=RetryPolicy.none()) as conn:
        with pytest.raises(ExchangeUnavailable):
            await conn.fetch_balance()


async def test_a_closed_sender_refuses(registry: Registry) -> None:
    sim = ExampleSimulator()
    sender = InProcessSender.for_simulator(sim)
    conn = in_process(registry, sim, sender)
    await conn.close()
    with pytest.raises(ConfigurationError, match="closed"):
        await conn.fetch_balance()
    assert sender.requests == []


async def test_the_target_reaches_the_handler_byte_for_byte() -> None:
    from aiohttp import web
    from venuekit.wire import SignedRequest

    seen: list[str] = []

    async def echo(request: web.Request) -> web.Response:
        seen.append(request.rel_url.raw_query_string)
        seen.append(request.raw_path)
        return web.Response(body=await request.read())

    app = web.Application()
    app.router.add_post("/v5/x", echo)
    sender = InProcessSender.for_app(app)
    signed = SignedRequest(method="POST", path="/v5/x", query_string="cursor=2%3A6&b=%2F",
                           body=b'{"a":1}')
    response = await sender.send(signed, base_url="http://h.invalid", exchange="x",
                                 timeout_s=1.0)
    assert seen == ["cursor=2%3A6&b=%2F", "/v5/x?cursor=2%3A6&b=%2F"]
    assert response.body == b'{"a":1}' and sender.requests == [signed]
