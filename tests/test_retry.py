"""Retries heal what is safe to heal and an order is never placed twice."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import venuekit
from venuekit import errors
from venuekit.attempt import Attempt
from venuekit.clock import Clock
from venuekit.connector import Connector
from venuekit.models import ClientOrderIdRule, OrderParams, OrderResult
from venuekit.ratelimit import MemoryLimiter
from venuekit.registry import Registry
from venuekit.retry import OrderPlacer, RetryPolicy, generate_client_order_id, retry_idempotent
from venuekit.testing.example.simulator import ExampleSimulator
from venuekit.testing.state import ErrorKind


def order(**changes: Any) -> OrderParams:
    fields: dict[str, Any] = {"symbol": "BTC/USDT:USDT", "side": "buy", "type": "limit",
                              "quantity": "0.01", "price": "40000"}
    fields.update(changes)
    return OrderParams(**fields)


async def test_drop_after_accept_returns_the_found_order(conn: Connector,
                                                         sim: ExampleSimulator) -> None:
    await conn.fetch_markets()
    sim.faults.drop_after_accept(path="/v1/order")
    placed = await conn.place_order(order(client_order_id="keep-me"))
    assert placed.client_order_id == "keep-me"
    assert len(sim.state.orders) == 1
    assert sim.stats.count("/v1/order", "POST") == 1  # looked up, never resent
    assert sim.stats.count("/v1/order", "GET") == 1


async def test_lost_before_arrival_is_resent_once_with_the_same_id(
        conn: Connector, sim: ExampleSimulator) -> None:
    await conn.fetch_markets()
    sim.faults.drop_before_accept(path="/v1/order")
    started = time.monotonic()
    placed = await conn.place_order(order(client_order_id="same-id"))
    assert placed.client_order_id == "same-id" and len(sim.state.orders) == 1
    assert sim.stats.count("/v1/order", "POST") == 2
    assert sim.stats.count("/v1/order", "GET") == 2  # asked, waited out the window, asked again
    assert time.monotonic() - started >= 0.2  # order_settle_s of the fixture


async def test_5xx_on_order_is_ambiguous_and_resolved_by_lookup(
        conn: Connector, sim: ExampleSimulator) -> None:
    await conn.fetch_markets()
    sim.faults.fail_next(status=503, path="/v1/order")  # answered before processing
    placed = await conn.place_order(order())
    assert len(sim.state.orders) == 1 and placed.order_id in sim.state.orders


@pytest.mark.parametrize("kind", [ErrorKind.INSUFFICIENT_FUNDS, ErrorKind.INVALID,
                                  ErrorKind.BELOW_MINIMUM])
async def test_rejected_order_is_never_retried(conn: Connector, sim: ExampleSimulator,
                                               kind: ErrorKind) -> None:
    await conn.fetch_markets()
    sim.faults.error_next(kind, path="/v1/order")
    with pytest.raises(errors.InvalidOrder if kind is not ErrorKind.INSUFFICIENT_FUNDS
                       else errors.InsufficientFunds):
        await conn.place_order(order())
    assert sim.stats.count("/v1/order", "POST") == 1
    assert sim.stats.count("/v1/order", "GET") == 0


async def test_real_insufficient_funds_is_final(conn: Connector, sim: ExampleSimulator) -> None:
    with pytest.raises(errors.InsufficientFunds, match="insufficient"):
        await conn.place_order(order(quantity="100", price="40000"))
    assert sim.stats.count("/v1/order", "POST") == 1


async def test_rate_limited_order_waits_and_is_sent_again(conn: Connector,
                                                          sim: ExampleSimulator) -> None:
    await conn.fetch_markets()
    sim.faults.rate_limit_next(retry_after=0.2, path="/v1/order")
    started = time.monotonic()
    await conn.place_order(order())
    assert time.monotonic() - started >= 0.19
    assert len(sim.state.orders) == 1


@pytest.mark.parametrize("skew_ms", [5000, -5000])
async def test_clock_skew_is_healed_after_one_rejection(conn: Connector, sim: ExampleSimulator,
                                                        skew_ms: int) -> None:
    await conn.fetch_balance()  # synced with no skew
    sim.faults.skew_ms = skew_ms
    balances, times = sim.stats.count("/v1/balance"), sim.stats.count("/v1/time")
    balance = await conn.fetch_balance()  # rejected once, resynced, retried
    assert balance.assets
    assert abs(conn.clock.offset_ms - skew_ms) < 500
    assert sim.stats.count("/v1/balance") == balances + 2  # one rejection, one success
    assert sim.stats.count("/v1/time") == times + 1
    before = len(sim.stats.requests)
    await conn.fetch_balance()
    assert len(sim.stats.requests) == before + 1  # healed: straight through now


async def test_clock_skew_on_an_order_is_healed_too(conn: Connector,
                                                    sim: ExampleSimulator) -> None:
    await conn.fetch_balance()
    await conn.fetch_markets()
    sim.faults.skew_ms = 5000
    await conn.place_order(order())
    assert len(sim.state.orders) == 1


async def test_persistent_timestamp_errors_are_final(conn: Connector,
                                                     sim: ExampleSimulator) -> None:
    await conn.fetch_balance()
    sim.faults.error_next(ErrorKind.TIMESTAMP, count=5, path="/v1/balance")
    with pytest.raises(errors.InvalidTimestamp):
        await conn.fetch_balance()
    assert sim.stats.count("/v1/balance") == 1 + 2  # the first call, then one healed retry


async def test_5xx_reads_are_retried(conn: Connector, sim: ExampleSimulator) -> None:
    sim.faults.fail_next(count=2, path="/v1/balance")
    assert (await conn.fetch_balance()).assets
    assert sim.stats.count("/v1/balance") == 3


async def test_retries_are_bounded(conn: Connector, sim: ExampleSimulator) -> None:
    sim.faults.fail_next(count=10, path="/v1/balance")
    with pytest.raises(errors.ExchangeUnavailable):
        await conn.fetch_balance()
    assert sim.stats.count("/v1/balance") == 3  # RetryPolicy(max_tries=3) of the fixture


async def test_no_lookup_venue_raises_order_status_unknown() -> None:
    async def send(attempt: Attempt) -> OrderResult:
        attempt.signed(0)
        raise errors.RequestTimeout("no answer")

    async def nothing() -> None:
        return None

    placer = OrderPlacer(send=send, lookup=None, resync=nothing, relogin=nothing,
                         client_order_id="cid-1", exchange="x", settle_s=0, clock_ms=lambda: 0)
    with pytest.raises(errors.OrderStatusUnknown, match="cid-1") as info:
        await placer.place()
    assert info.value.client_order_id == "cid-1"


async def test_token_expired_logs_in_once_more() -> None:
    calls: list[str] = []

    async def send(attempt: Attempt) -> OrderResult:
        calls.append("send")
        if calls.count("send") == 1:
            raise errors.TokenExpired("expired")
        return "placed"  # type: ignore[return-value]

    async def relogin() -> None:
        calls.append("login")

    async def nothing() -> None:
        return None

    placer = OrderPlacer(send=send, lookup=None, resync=nothing, relogin=relogin,
                         client_order_id="c", exchange="x", settle_s=0, clock_ms=lambda: 0)
    assert await placer.place() == "placed"
    assert calls == ["send", "login", "send"]


async def test_retry_idempotent_gives_up_on_non_retryable() -> None:
    attempts = 0

    async def attempt() -> int:
        nonlocal attempts
        attempts += 1
        raise errors.InvalidOrder("bad")

    with pytest.raises(errors.InvalidOrder):
        await retry_idempotent(attempt, RetryPolicy(max_tries=5, base_delay_s=0.001))
    assert attempts == 1


@pytest.mark.parametrize("rule", [
    ClientOrderIdRule(max_length=36, pattern=r"[A-Za-z0-9_-]{1,36}"),
    ClientOrderIdRule(max_length=32),
    ClientOrderIdRule(max_length=40, lowercase=True),
    ClientOrderIdRule(max_length=10, charset="0123456789"),
])
def test_generated_client_ids_follow_the_rule(rule: ClientOrderIdRule) -> None:
    ids = {generate_client_order_id(rule) for _ in range(200)}
    assert len(ids) == 200
    for value in ids:
        rule.check(value)
        if rule.lowercase:
            assert value == value.lower()


def test_generated_client_ids_have_no_modulo_bias() -> None:
    # 62 symbols: a plain `byte % 62` would make the first 256 % 62 = 8 symbols 25% more
    # frequent than the others; 60,000 draws put the noise on that ratio near 1%
    rule = ClientOrderIdRule(max_length=32)
    alphabet = rule.charset
    counts = dict.fromkeys(alphabet, 0)
    for _ in range(2000):
        for ch in generate_client_order_id(rule, prefix=""):
            counts[ch] += 1
    assert sum(counts.values()) == 2000 * 32
    favoured = sum(counts[ch] for ch in alphabet[:8]) / 8
    others = sum(counts[ch] for ch in alphabet[8:]) / (len(alphabet) - 8)
    assert 0.92 < favoured / others < 1.08


_FORK_IDS = """
import os
from venuekit.models import ClientOrderIdRule
from venuekit.retry import generate_client_order_id
rule = ClientOrderIdRule(max_length=32)
generate_client_order_id(rule)  # the parent's pool now holds unused bytes
read_end, write_end = os.pipe()
pid = os.fork()
ids = " ".join(generate_client_order_id(rule) for _ in range(20))
if pid == 0:
    os.write(write_end, ids.encode())
    os._exit(0)
os.close(write_end)
with os.fdopen(read_end, "rb") as pipe:
    print(ids, "|", pipe.read().decode())
os.waitpid(pid, 0)
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX-only")
def test_a_forked_child_never_repeats_the_parent_ids() -> None:
    """The ids come from a pool of random bytes; a child must not inherit what is left.
    (Forked in a fresh single-threaded interpreter: forking pytest's own is unsafe.)"""
    done = subprocess.run([sys.executable, "-c", _FORK_IDS], capture_output=True, text=True,
                          check=True, timeout=60)
    parent, _, child = done.stdout.partition("|")
    assert len(parent.split()) == len(child.split()) == 20
    assert not set(parent.split()) & set(child.split())


def test_ids_drawn_from_many_threads_never_repeat() -> None:
    rule = ClientOrderIdRule(max_length=32)
    with ThreadPoolExecutor(8) as pool:
        batches = list(pool.map(lambda _: [generate_client_order_id(rule) for _ in range(500)],
                                range(8)))
    ids = [value for batch in batches for value in batch]
    assert len(set(ids)) == len(ids) == 4000


def test_generated_client_ids_refuse_a_charset_they_cannot_draw_from() -> None:
    with pytest.raises(ValueError, match="charset"):
        generate_client_order_id(ClientOrderIdRule(max_length=8, charset="\u0394\u03a9"))


def test_clock_offset_is_rtt_compensated_median() -> None:
    clock = Clock(wall=lambda: 1000.0)
    # server says 1000.5 s at the midpoint of a 200 ms round trip that started at 999.9
    assert clock.add_sample(1_000_500, 999.9, 1000.1) == pytest.approx(500)
    clock.add_sample(1_000_400, 999.9, 1000.1)
    clock.add_sample(1_009_000, 999.9, 1000.1)  # one outlier
    assert clock.offset_ms == pytest.approx(500)
    assert clock.now_ms() == 1_000_500
    clock.reset()
    assert clock.offset_ms == 0 and clock.stale()


async def test_two_connectors_with_one_key_share_the_account_budget(
        registry: Registry, sim: ExampleSimulator) -> None:
    limiter = MemoryLimiter()
    rules = {"orders": venuekit.RateLimit("orders", 3, 0.5, "account")}
    first = venuekit.connect("example", sim.credentials, base_url=sim.base_url,
                             registry=registry, limiter=limiter, rate_limits=rules)
    second = venuekit.connect("example", sim.credentials, base_url=sim.base_url,
                              registry=registry, limiter=limiter, rate_limits=rules)
    async with first, second:
        await first.fetch_markets()
        await second.fetch_markets()
        started = time.monotonic()
        for conn in (first, second, first, second):
            await conn.place_order(order())
        # the fourth order had to wait for the shared 3-per-0.5 s window to move
        assert time.monotonic() - started >= 0.45


async def test_concurrent_first_calls_sync_the_clock_once(conn: Connector,
                                                          sim: ExampleSimulator) -> None:
    results = await asyncio.gather(*(conn.fetch_balance() for _ in range(6)))
    assert len(results) == 6
    assert sim.stats.count("/v1/time") == 1


async def test_concurrent_timestamp_rejections_resync_once(conn: Connector,
                                                           sim: ExampleSimulator) -> None:
    await conn.fetch_balance()
    sim.faults.skew_ms = 6000
    await asyncio.gather(*(conn.fetch_balance() for _ in range(4)))
    assert sim.stats.count("/v1/time") == 2  # the first sync, then one shared resync


async def test_a_rule_removed_by_the_host_is_not_waited_for(
        registry: Registry, sim: ExampleSimulator) -> None:
    async with venuekit.connect("example", sim.credentials, base_url=sim.base_url,
                                registry=registry, limiter=MemoryLimiter(),
                                rate_limits={"orders": None}) as conn:
        await conn.fetch_markets()
        for _ in range(3):
            await conn.place_order(order())
    assert len(sim.state.orders) == 3
