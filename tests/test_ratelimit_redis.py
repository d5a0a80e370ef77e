"""The Redis limiter against a real redis-server: atomicity across clients and processes,
all-or-nothing rules, FIFO, sharing, cancellation, TTL cleanup and the loss of Redis.

Every test talks to a redis-server this module starts on a free loopback port (see
``redis_server.py``); without the binary they skip, or fail under CI. Times are real and
short: rules of a fraction of a second.
"""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import redis.asyncio as aioredis
from redis_server import RedisServer, free_port
from venuekit import Registry
from venuekit.connector import connect
from venuekit.errors import ConfigurationError, LimiterUnavailable, VenueError
from venuekit.models import RateLimit
from venuekit.ratelimit import Demand, MemoryLimiter, default_limiter
from venuekit.ratelimit.redis_backend import RedisLimiter
from venuekit.ratelimit.select import limiter_from_env, make_limiter, shared_limiter
from venuekit.testing.example.simulator import ExampleSimulator

KEY = "venue:account:0123abcd:req"
NS = "venuekit:rl:"

# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    instance = RedisServer(tmp_path_factory.mktemp("redis"))
    instance.start()
    try:
        yield instance
    finally:
        instance.stop()


@pytest.fixture
def url(server: RedisServer) -> str:
    with redis.Redis.from_url(server.url) as client:
        client.flushall()
    return server.url


@pytest.fixture
async def db(url: str) -> AsyncIterator[aioredis.Redis]:
    """A plain client to look at what the limiter wrote."""
    client = aioredis.Redis.from_url(url, decode_responses=True)
    try:
        yield client
    finally:
        await client.aclose()


Make = Callable[..., RedisLimiter]


@pytest.fixture
async def make(url: str) -> AsyncIterator[Make]:
    """Limiters on the test server (or another URL), all closed after the test."""
    made: list[RedisLimiter] = []

    def factory(target: str | None = None, **options: Any) -> RedisLimiter:
        limiter = RedisLimiter(target or url, **options)
        made.append(limiter)
        return limiter

    try:
        yield factory
    finally:
        for limiter in made:
            await limiter.aclose()


@pytest.fixture
async def own_server(tmp_path: Path) -> AsyncIterator[RedisServer]:
    """A server of the test's own, to kill and restart."""
    instance = RedisServer(tmp_path)
    instance.start()
    try:
        yield instance
    finally:
        instance.stop()


def need(rule: RateLimit, cost: int = 1, key: str = KEY) -> Demand:
    return Demand(key, rule, cost)


def busiest_window(grants: list[tuple[float, int]], period: float) -> int:
    """Most cost granted in any half-open window [t, t + period) starting at a grant."""
    grants = sorted(grants)
    best = total = 0
    right = 0
    for left, (start, _) in enumerate(grants):
        while right < len(grants) and grants[right][0] < start + period:
            total += grants[right][1]
            right += 1
        best = max(best, total)
        total -= grants[left][1]
    return best


async def wait_for(check: Callable[[], Any], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.002)


# ---------------------------------------------------------------- atomicity

WORKER = """
import asyncio, json, random, sys, time
from venuekit.models import RateLimit
from venuekit.ratelimit import Demand
from venuekit.ratelimit.redis_backend import RedisLimiter

url, key, count, start_at, seed = sys.argv[1:6]
rule = RateLimit("req", int(sys.argv[6]), float(sys.argv[7]))

async def main():
    limiter = RedisLimiter(url)
    rng = random.Random(int(seed))
    costs = [rng.choice((1, 2)) for _ in range(int(count))]
    await asyncio.sleep(max(0.0, float(start_at) - time.time()))

    async def one(cost):
        permit = await limiter.acquire([Demand(key, rule, cost)])
        return permit.granted_at, cost

    grants = await asyncio.gather(*(one(cost) for cost in costs))
    await limiter.aclose()
    print(json.dumps(grants))

asyncio.run(main())
"""


async def test_never_over_the_limit_across_clients_and_processes(make: Make, url: str) -> None:
    """Two processes and three clients here, weighted costs, one rule: on the Redis clock,
    no window of the rule's period ever holds more than its limit."""
    rule = RateLimit("req", 20, 0.25)
    each = 25
    start_at = time.time() + 1.5  # past the workers' start-up, so all of them contend
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, url, KEY, str(each),
                                 str(start_at), str(seed), str(rule.limit), str(rule.period_s)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
               for seed in (1, 2)]
    limiters = [make() for _ in range(3)]
    costs = [1 + (i * 7) % 2 for i in range(each)]
    await asyncio.sleep(max(0.0, start_at - time.time()))

    async def one(limiter: RedisLimiter, cost: int) -> tuple[float, int]:
        permit = await limiter.acquire([need(rule, cost)])
        return permit.granted_at, cost

    here = await asyncio.gather(*(one(limiter, cost)
                                  for limiter in limiters for cost in costs))
    grants = list(here)
    for worker in workers:
        out, err = await asyncio.get_running_loop().run_in_executor(None, worker.communicate)
        assert worker.returncode == 0, err.decode()
        grants += [(at, cost) for at, cost in json.loads(out)]
    assert len(grants) == 5 * each
    assert busiest_window(grants, rule.period_s) <= rule.limit
    # and the rule is used, not merely respected: close to limit per window after the first
    times = sorted(at for at, _ in grants)
    total = sum(cost for _, cost in grants)
    achieved = (total - rule.limit) / (times[-1] - times[0]) / (rule.limit / rule.period_s)
    assert achieved > 0.85, achieved


async def test_one_process_is_served_in_arrival_order_without_polling(make: Make) -> None:
    limiter = make()
    rule = RateLimit("req", 5, 0.1)
    granted: dict[int, float] = {}
    calls: dict[str, int] = {}
    registered = asyncio.Event()
    call = limiter._call

    async def spy(op: str, spec: Any, ident: str, extra: int = 0) -> list[int]:
        reply = await call(op, spec, ident, extra)
        if ident not in calls:  # this request now holds a ticket (or its grant)
            registered.set()
        calls[ident] = calls.get(ident, 0) + 1
        return reply

    limiter._call = spy  # type: ignore[method-assign]

    async def one(index: int) -> None:
        granted[index] = (await limiter.acquire([need(rule)])).granted_at

    tasks = []
    for index in range(30):
        registered.clear()
        tasks.append(asyncio.create_task(one(index)))
        await registered.wait()
    await asyncio.gather(*tasks)
    # Window by window in arrival order. Within one window the order is the order the
    # wake-ups reach Redis: a ticket may go before one ahead of it when there is room for
    # both, which delays nobody.
    first = granted[0]
    for index, at in granted.items():
        assert at - first == pytest.approx(index // 5 * 0.102, abs=0.03), index
    # One call to take a ticket and one after the sleep; one more when a grant ahead took
    # a few ms later than planned (the plan is made before anyone knows): never a loop.
    assert len(calls) == 30
    assert max(calls.values()) <= 3


async def test_a_heavy_waiter_is_not_overtaken_by_light_ones(make: Make) -> None:
    rule = RateLimit("weight", 5, 0.2)
    limiter = make()
    await limiter.acquire([need(rule, 3)])
    heavy = asyncio.create_task(limiter.acquire([need(rule, 5)]))
    await asyncio.sleep(0.02)
    light = asyncio.create_task(limiter.acquire([need(rule, 1)]))  # would fit now: 3 + 1
    heavy_permit, light_permit = await asyncio.gather(heavy, light)
    assert light_permit.granted_at > heavy_permit.granted_at


# ---------------------------------------------------------------- several rules


async def test_two_rules_are_taken_together_or_not_at_all(make: Make,
                                                         db: aioredis.Redis) -> None:
    orders = RateLimit("orders", 2, 0.3)
    weight = RateLimit("weight", 5, 0.3)
    o_key, w_key = "venue:account:k:orders", "venue:ip:h:weight"
    both = [need(orders, 1, o_key), need(weight, 1, w_key)]
    limiter = make()
    await limiter.acquire(both)
    await limiter.acquire(both)  # orders is full now, weight has 3 left
    waiting = asyncio.create_task(limiter.acquire(both))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    # nothing of weight is held while orders has no room
    assert await db.hget(NS + w_key, "used") == "2"
    assert await db.zcard(NS + w_key + ":log") == 2
    # a weight-only request may use weight's room, but not the share the waiter will take
    assert (await limiter.acquire([need(weight, 2, w_key)])).waited < 0.05
    late = asyncio.create_task(limiter.acquire([need(weight, 1, w_key)]))
    permit = await waiting
    assert permit.waited > 0.25
    assert (await late).waited > 0.2  # it could not use the share the waiter was to take
    assert await db.zcard(NS + o_key + ":log") == 1  # the first two have expired


async def test_a_blocked_rule_holds_back_the_other(make: Make, db: aioredis.Redis) -> None:
    a, b = RateLimit("a", 10, 1.0), RateLimit("b", 10, 1.0)
    limiter = make()
    await limiter.block("v:ip:h:b", b, 0.2)
    started = time.monotonic()
    await limiter.acquire([need(a, 1, "v:ip:h:a"), need(b, 1, "v:ip:h:b")])
    assert time.monotonic() - started >= 0.19
    assert await db.zcard(NS + "v:ip:h:a:log") == 1


async def test_cost_over_the_limit_is_refused(make: Make) -> None:
    rule = RateLimit("req", 3, 1.0)
    with pytest.raises(ConfigurationError, match="add up to 4"):
        await make().acquire([need(rule, 2), need(rule, 2)])
    permit = await make().acquire([need(rule, 0)])  # costs nothing, touches nothing
    permit.settle()


# ---------------------------------------------------------------- sharing


async def test_feedback_and_block_are_shared_between_limiters(make: Make) -> None:
    rule = RateLimit("req", 5, 0.3)
    one, other = make(), make()
    await one.feedback(KEY, rule, 5)  # another host used the whole window
    await one.feedback(KEY, rule, 2)  # a lower figure says nothing
    started = time.monotonic()
    await other.acquire([need(rule)])
    assert time.monotonic() - started >= 0.29

    blocked = "venue:ip:h:req"
    await other.block(blocked, rule, 0.25)  # a 429 with Retry-After seen by the other one
    await other.block(blocked, rule, 0.05)  # only ever extends
    started = time.monotonic()
    permit = await one.acquire([need(rule, key=blocked)])
    assert time.monotonic() - started >= 0.24
    assert permit.waited >= 0.24


async def test_settle_redates_a_slow_response_and_skips_a_fast_one(
        make: Make, db: aioredis.Redis) -> None:
    rule = RateLimit("req", 5, 1.0)
    limiter = make()
    fast = await limiter.acquire([need(rule)])
    calls = limiter.round_trips
    fast.settle()  # back within the margin: no call at all
    assert limiter.round_trips == calls
    slow = await limiter.acquire([need(rule)])
    await asyncio.sleep(0.1)
    slow.settle()
    slow.settle()  # twice is once
    await asyncio.sleep(0.02)
    scores = sorted(float(score) for _, score in
                    await db.zrange(NS + KEY + ":log", 0, -1, withscores=True))
    assert scores[0] / 1e6 == pytest.approx(fast.granted_at + 1.02, abs=1e-5)
    assert scores[1] / 1e6 >= slow.granted_at + 0.1 + 1.0


async def test_connector_sends_through_the_redis_limiter(make: Make, db: aioredis.Redis,
                                                         registry: Registry) -> None:
    sim = ExampleSimulator()
    await sim.start()
    try:
        async with connect("example", sim.credentials, base_url=sim.base_url,
                           registry=registry, limiter=make()) as conn:
            await conn.fetch_balance()
    finally:
        await sim.stop()
    assert await db.keys(NS + "example:*")


# ---------------------------------------------------------------- cancellation


async def test_cancelled_waiter_leaves_no_ticket(make: Make, db: aioredis.Redis) -> None:
    rule = RateLimit("req", 2, 1.0)
    limiter = make()
    await limiter.acquire([need(rule, 2)])
    waiter = asyncio.create_task(limiter.acquire([need(rule)]))
    await wait_for(lambda: db.exists(NS + KEY + ":q"))
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert await db.zcard(NS + KEY + ":q") == 0
    assert await db.zcard(NS + KEY + ":dl") == 0
    assert await db.hget(NS + KEY, "queued") == "0"
    assert await db.hget(NS + KEY, "used") == "2"


async def test_cancel_at_any_moment_takes_nothing(make: Make, db: aioredis.Redis) -> None:
    """Cancelled before, during or after its call reached Redis: what a task did not get
    back is not counted, and no ticket is left behind."""
    rule = RateLimit("req", 100, 5.0)
    limiter = make()
    got = 0
    for attempt in range(40):
        task = asyncio.create_task(limiter.acquire([need(rule)]))
        await asyncio.sleep(attempt * 0.0001)
        task.cancel()
        try:
            await task
            got += 1
        except asyncio.CancelledError:
            pass
    assert await db.hget(NS + KEY, "used") == str(got)
    assert await db.zcard(NS + KEY + ":q") == 0


async def test_aclose_fails_the_waiters_and_withdraws_them(make: Make,
                                                           db: aioredis.Redis) -> None:
    rule = RateLimit("req", 1, 1.0)
    limiter = make()
    await limiter.acquire([need(rule)])
    waiter = asyncio.create_task(limiter.acquire([need(rule)]))
    await wait_for(lambda: db.exists(NS + KEY + ":q"))
    await limiter.aclose()
    with pytest.raises(ConfigurationError, match="closed"):
        await waiter
    assert await db.zcard(NS + KEY + ":q") == 0
    with pytest.raises(ConfigurationError, match="closed"):
        await limiter.acquire([need(rule)])


async def test_a_crashed_waiters_ticket_lapses(make: Make, db: aioredis.Redis) -> None:
    """A ticket whose owner never comes back leaves the line after its grace."""
    rule = RateLimit("req", 1, 0.1)
    ghost = make(ticket_grace_s=0.05)
    await ghost.acquire([need(rule)])
    spec = ghost._spec([need(rule)])
    assert spec is not None
    await ghost._call("take", spec, "ghost:1")
    assert await db.zcard(NS + KEY + ":q") == 1  # and its owner is gone
    started = time.monotonic()
    await make().acquire([need(rule)])
    assert time.monotonic() - started < 0.5
    assert await db.zcard(NS + KEY + ":q") == 0


async def test_counters_that_lie_are_recounted(make: Make, db: aioredis.Redis) -> None:
    """A log evicted under memory pressure leaves a stale count: it heals at once, and a
    request is not kept waiting (nor spinning) on capacity that is not there."""
    rule = RateLimit("req", 2, 5.0)
    limiter = make()
    await limiter.acquire([need(rule, 2)])
    await db.delete(NS + KEY + ":log")
    started = time.monotonic()
    await limiter.acquire([need(rule)])
    assert time.monotonic() - started < 0.1
    assert limiter.round_trips <= 4
    assert await db.hget(NS + KEY, "used") == "1"


# ---------------------------------------------------------------- keys


async def test_keys_are_namespaced_and_expire_after_the_window(
        make: Make, db: aioredis.Redis) -> None:
    rule = RateLimit("req", 2, 0.2)
    limiter = make()
    permits = [await limiter.acquire([need(rule)]) for _ in range(2)]
    waiter = asyncio.create_task(limiter.acquire([need(rule)]))
    await limiter.feedback("venue:ip:h:req", rule, 1)
    await limiter.block("venue:ip:h:req", rule, 0.1)
    await asyncio.sleep(0.05)
    keys = await db.keys("*")
    assert keys and all(str(key).startswith(NS) for key in keys)
    assert {NS + KEY, NS + KEY + ":log", NS + KEY + ":q", NS + KEY + ":dl",
            NS + "venue:ip:h:req:block"} <= set(keys)
    for key in keys:
        assert 0 < await db.pttl(key) <= 3_000  # nothing without an expiry
    for permit in permits:
        permit.settle()
    await waiter
    await asyncio.sleep(0.2 * 1.02 + 0.25 + 0.05)  # window, margin, key slack
    assert await db.keys("venuekit:*") == []


# ---------------------------------------------------------------- loss of Redis


async def test_unreachable_at_start_fails_closed(make: Make,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    rule = RateLimit("req", 5, 1.0)
    limiter = make(f"redis://127.0.0.1:{free_port()}/0")
    started = time.monotonic()
    for _ in range(2):
        with pytest.raises(ConfigurationError, match=r"unreachable .*; failing closed"):
            await limiter.acquire([need(rule)])
    assert time.monotonic() - started < 2.0
    assert limiter.degraded
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1


async def test_unreachable_at_start_falls_back_to_memory(
        make: Make, caplog: pytest.LogCaptureFixture) -> None:
    rule = RateLimit("req", 3, 0.2)
    limiter = make(f"redis://127.0.0.1:{free_port()}/0", fallback=True)
    started = time.monotonic()
    for _ in range(6):  # still limited: the second three wait for the window
        await limiter.acquire([need(rule)])
    assert time.monotonic() - started >= 0.2
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].name == "venuekit"
    assert "limiting in this process's memory" in warnings[0].getMessage()


async def test_restart_fails_closed_while_down_and_recovers(
        own_server: RedisServer, make: Make, caplog: pytest.LogCaptureFixture) -> None:
    rule = RateLimit("req", 2, 0.3)
    limiter = make(own_server.url)
    await limiter.acquire([need(rule, 2)])
    sleeping = asyncio.create_task(limiter.acquire([need(rule)]))  # wakes while Redis is down
    await asyncio.sleep(0.05)
    own_server.kill()
    with pytest.raises(ConfigurationError, match="unreachable"):
        await limiter.acquire([need(rule)])
    with pytest.raises(ConfigurationError, match="unreachable"):
        await sleeping
    own_server.start()  # same port, empty
    permit = await limiter.acquire([need(rule)])
    assert permit.waited < 0.5
    assert not limiter.degraded
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1


async def test_restart_with_fallback_continues_in_memory(
        own_server: RedisServer, make: Make, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="venuekit")
    rule = RateLimit("req", 5, 1.0)
    short, short_key = RateLimit("short", 1, 0.2), "venue:ip:h:short"
    limiter = make(own_server.url, fallback=True, reconnect_s=0.2)
    await limiter.acquire([need(rule, 2)])
    await limiter.acquire([need(short, 1, short_key)])
    sleeping = asyncio.create_task(limiter.acquire([need(short, 1, short_key)]))
    await asyncio.sleep(0.05)
    own_server.kill()  # the restart forgets those 2: memory starts from nothing
    for _ in range(3):
        await limiter.acquire([need(rule)])
    assert limiter.degraded
    await sleeping  # woke with Redis down, carried on in memory
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1
    own_server.start()
    await asyncio.sleep(0.25)  # past reconnect_s
    await limiter.acquire([need(RateLimit("other", 5, 1.0), 1, "venue:ip:h:other")])
    assert not limiter.degraded
    assert any("answers again" in r.getMessage() for r in caplog.records)
    client = aioredis.Redis.from_url(own_server.url, decode_responses=True)
    try:
        # what memory counted meanwhile was pushed to Redis as usage
        assert await client.hget(NS + KEY, "used") == "3"
        assert await client.exists(NS + "venue:ip:h:other:log")
    finally:
        await client.aclose()
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1


async def test_a_stalled_redis_fails_acquires_within_the_timeout(
        own_server: RedisServer, make: Make) -> None:
    """SIGSTOP: the kernel still accepts connections, nothing answers. Forty requests at
    once (more than the pool's connections) all fail within the timeout, as not sent."""
    rule = RateLimit("req", 100, 1.0)
    limiter = make(own_server.url, timeout_s=0.5)
    await limiter.acquire([need(rule)])  # connected and the script loaded
    own_server.pause()
    try:
        started = time.monotonic()
        results = await asyncio.gather(*(limiter.acquire([need(rule)]) for _ in range(40)),
                                       return_exceptions=True)
        elapsed = time.monotonic() - started
    finally:
        own_server.resume()
    assert all(isinstance(result, LimiterUnavailable) for result in results), results
    assert "no answer within 0.5 s" in str(results[0])
    assert elapsed < 0.5 + 0.4
    assert not isinstance(results[0], VenueError)  # nothing was sent: never ambiguous
    permit = await limiter.acquire([need(rule)])  # and it answers again once resumed
    assert permit.waited < 0.5


async def test_a_stalled_redis_switches_to_the_fallback_within_the_timeout(
        own_server: RedisServer, make: Make) -> None:
    rule = RateLimit("req", 100, 1.0)
    limiter = make(own_server.url, timeout_s=0.3, fallback=True)
    await limiter.acquire([need(rule)])
    own_server.pause()
    try:
        started = time.monotonic()
        await asyncio.gather(*(limiter.acquire([need(rule)]) for _ in range(20)))
        elapsed = time.monotonic() - started
    finally:
        own_server.resume()
    assert limiter.degraded
    assert elapsed < 0.3 + 0.4


FALLBACK_WORKER = """
import asyncio, json, sys, time
from venuekit.models import RateLimit
from venuekit.ratelimit import Demand
from venuekit.ratelimit.redis_backend import RedisLimiter

url, key, start_at, until = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
rule = RateLimit("req", 20, 1.0)

async def main():
    limiter = RedisLimiter(url, fallback=True, reconnect_s=0.2, timeout_s=0.3)
    await limiter.acquire([Demand(key, rule, 1)])  # connected before the clock starts
    grants = []

    async def one():
        await limiter.acquire([Demand(key, rule, 1)])
        grants.append(time.time())

    await asyncio.sleep(max(0.0, start_at - time.time()))
    tasks = [asyncio.create_task(one()) for _ in range(40)]  # a line that outlasts the outage
    while time.time() < until:
        await asyncio.sleep(0.25)
        tasks += [asyncio.create_task(one()) for _ in range(3)]  # and new requests keep coming
    await asyncio.gather(*tasks)
    await limiter.aclose()
    print(json.dumps(grants))

asyncio.run(main())
"""


@pytest.mark.parametrize("processes", [1, 2])
async def test_fallback_hands_its_count_to_redis_when_it_returns(
        own_server: RedisServer, processes: int) -> None:
    """Redis dies with a line of waiters queued, and comes back 1.2 s later, empty. Waiters
    queued in memory meanwhile go through Redis, behind what memory granted: no window
    after Redis returned (and every process has seen it) holds more than the limit."""
    start_at = time.time() + 1.5
    until = start_at + 4.0
    workers = [subprocess.Popen([sys.executable, "-c", FALLBACK_WORKER, own_server.url, KEY,
                                 str(start_at), str(until)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
               for _ in range(processes)]
    await asyncio.sleep(start_at + 0.6 - time.time())
    own_server.kill()
    await asyncio.sleep(start_at + 1.8 - time.time())
    own_server.start()
    returned = time.time()
    grants: list[tuple[float, int]] = []
    for worker in workers:
        out, err = await asyncio.get_running_loop().run_in_executor(None, worker.communicate)
        assert worker.returncode == 0, err.decode()
        grants += [(at, 1) for at in json.loads(out)]
    after = [(at, cost) for at, cost in grants if at >= returned]
    assert len(after) >= 40  # the line did go on after the return
    # Strict for one process. With two, a process that has switched back cannot know
    # what another grants from memory before that one sees Redis (within reconnect_s,
    # 0.2 s here); both drain what they granted into Redis as they switch.
    assert busiest_window(after, 1.0) <= 20
    if processes == 1:  # one process: memory counts everything, so every window holds
        since_kill = [(at, cost) for at, cost in grants if at >= start_at + 0.6 + 1.02]
        assert busiest_window(since_kill, 1.0) <= 20


# ---------------------------------------------------------------- selection


async def test_make_limiter_picks_the_backend(url: str) -> None:
    assert isinstance(make_limiter(None), MemoryLimiter)
    assert isinstance(make_limiter("memory://"), MemoryLimiter)
    limiter = make_limiter(url, fallback=True)
    try:
        assert isinstance(limiter, RedisLimiter)
    finally:
        await limiter.aclose()
    with pytest.raises(ConfigurationError, match="unknown scheme 'http'"):
        make_limiter("http://user:secret@example.com")
    with pytest.raises(ConfigurationError, match="VENUEKIT_LIMITER_FALLBACK"):
        limiter_from_env({"VENUEKIT_LIMITER_URL": url, "VENUEKIT_LIMITER_FALLBACK": "maybe"})
    assert isinstance(limiter_from_env({}), MemoryLimiter)


async def test_shared_limiter_follows_the_environment(url: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VENUEKIT_LIMITER_URL", raising=False)
    assert shared_limiter() is default_limiter()
    monkeypatch.setenv("VENUEKIT_LIMITER_URL", url)
    limiter = shared_limiter()
    try:
        assert isinstance(limiter, RedisLimiter)
        assert shared_limiter() is limiter
        other = RedisLimiter("redis://u:secret@127.0.0.1:1/0")
        assert "secret" not in other.where
        await other.aclose()
    finally:
        await limiter.aclose()
    assert shared_limiter() is not limiter  # a closed one is replaced
    await shared_limiter().aclose()
