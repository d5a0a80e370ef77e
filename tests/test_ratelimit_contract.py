"""The contract every limiter backend keeps, run against memory, SQLite and Redis alike.

Real time and short rules (a fraction of a second), because Redis keeps its own clock; the
in-memory backend's finer points (exact timers, no clock reads while waiting, thousands of
waiters) are tested on virtual time in ``test_ratelimit.py``. The Redis runs use a
redis-server this module starts on loopback: without the binary they skip, or fail under CI.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis
from redis_server import RedisServer
from venuekit.errors import ConfigurationError
from venuekit.models import LimitScope, RateLimit
from venuekit.ratelimit import Demand, Limiter, make_limiter, sqlite_url

KEY = "venue:account:0123abcd:req"
BACKENDS = ["memory", "sqlite", "redis"]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(params=BACKENDS)
async def limiter(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Limiter]:
    if request.param == "memory":
        made = make_limiter("memory://")
    elif request.param == "sqlite":
        made = make_limiter(sqlite_url(tmp_path / "limits.sqlite"))
    else:
        url = request.getfixturevalue("redis_url")
        with redis.Redis.from_url(url) as client:
            client.flushall()
        made = make_limiter(url)
    try:
        yield made
    finally:
        await made.aclose()


def need(rule: RateLimit, cost: int = 1, key: str = KEY) -> Demand:
    return Demand(key, rule, cost)


def busiest_window(grants: list[tuple[float, int]], period: float) -> int:
    """Most cost granted in any half-open window [t, t + period) starting at a grant."""
    grants = sorted(grants)
    best = total = right = 0
    for left, (start, _) in enumerate(grants):
        while right < len(grants) and grants[right][0] < start + period:
            total += grants[right][1]
            right += 1
        best = max(best, total)
        total -= grants[left][1]
    return best


async def test_never_over_the_limit_in_any_window(limiter: Limiter) -> None:
    rule = RateLimit("weight", 10, 0.2)
    costs = [1 + index % 3 for index in range(40)]
    grants: list[tuple[float, int]] = []

    async def one(cost: int) -> None:
        await limiter.acquire([need(rule, cost)])
        grants.append((time.monotonic(), cost))

    await asyncio.gather(*(one(cost) for cost in costs))
    # taken on this host's clock after the grant: a little later than the backend's
    assert busiest_window(grants, rule.period_s) <= rule.limit + 2
    span = max(at for at, _ in grants) - min(at for at, _ in grants)
    assert span >= (sum(costs) - rule.limit) / rule.limit * rule.period_s * 0.9


async def test_waiters_are_served_in_arrival_order(limiter: Limiter) -> None:
    rule = RateLimit("req", 3, 0.15)
    await limiter.acquire([need(rule, 3)])
    granted: dict[int, float] = {}

    async def one(index: int) -> None:
        await limiter.acquire([need(rule, 1 + index % 2)])
        granted[index] = time.monotonic()

    tasks = []
    for index in range(8):
        tasks.append(asyncio.create_task(one(index)))
        await asyncio.sleep(0.005)  # each has queued before the next arrives
    await asyncio.gather(*tasks)
    # Nobody is served a window after someone who came later. Within one wake-up the
    # shared backends may serve a later ticket first when there is room for both, which
    # delays nobody; the in-memory one keeps strict order even then.
    for index in range(7):
        assert granted[index] <= granted[index + 1] + 0.03, index
    assert granted[7] - granted[0] >= 0.15 * 2


async def test_two_rules_are_taken_together_or_not_at_all(limiter: Limiter) -> None:
    ip = RateLimit("ip", 5, 0.3)
    orders = RateLimit("orders", 1, 0.3, LimitScope.ACCOUNT)
    await limiter.acquire([need(orders, 1, "acct")])
    started = time.monotonic()
    both = asyncio.create_task(limiter.acquire([need(ip, 1, "ip"), need(orders, 1, "acct")]))
    await asyncio.sleep(0.05)
    assert not both.done()
    await both
    assert time.monotonic() - started >= 0.28
    # "ip" was taken once, with "acct": four more fit at once, a sixth does not
    for _ in range(4):
        assert (await limiter.acquire([need(ip, 1, "ip")])).waited < 0.05
    assert (await limiter.acquire([need(ip, 1, "ip")])).waited >= 0.2


async def test_feedback_raises_the_count_and_never_lowers_it(limiter: Limiter) -> None:
    rule = RateLimit("req", 5, 0.3)
    await limiter.feedback(KEY, rule, 5)
    await limiter.feedback(KEY, rule, 1)
    started = time.monotonic()
    await limiter.acquire([need(rule)])
    assert time.monotonic() - started >= 0.28


async def test_block_is_honoured_and_only_extends(limiter: Limiter) -> None:
    rule = RateLimit("req", 5, 1.0)
    await limiter.block(KEY, rule, 0.25)
    await limiter.block(KEY, rule, 0.05)
    await limiter.block(KEY, rule, float("nan"))
    started = time.monotonic()
    await limiter.acquire([need(rule)])
    assert time.monotonic() - started >= 0.24


async def test_settle_redates_a_slow_response(limiter: Limiter) -> None:
    rule = RateLimit("req", 1, 0.2)
    permit = await limiter.acquire([need(rule)])
    sent = time.monotonic()
    await asyncio.sleep(0.1)
    permit.settle()
    permit.settle()  # twice is once
    await asyncio.sleep(0.02)  # a backend may re-date in the background
    await limiter.acquire([need(rule)])
    assert time.monotonic() - sent >= 0.1 + 0.2 - 0.01


async def test_cancelled_waiter_takes_nothing(limiter: Limiter) -> None:
    rule = RateLimit("req", 2, 0.3)
    await limiter.acquire([need(rule, 2)])
    waiter = asyncio.create_task(limiter.acquire([need(rule)]))
    await asyncio.sleep(0.05)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    started = time.monotonic()
    await limiter.acquire([need(rule, 2)])  # the whole budget, once the first two end
    assert 0.2 <= time.monotonic() - started < 0.3 + 0.15


async def test_costs_that_never_fit_or_cost_nothing(limiter: Limiter) -> None:
    rule = RateLimit("req", 3, 1.0)
    with pytest.raises(ConfigurationError, match="add up to 4"):
        await limiter.acquire([need(rule, 2), need(rule, 2)])
    await limiter.block(KEY, rule, 5.0)
    permit = await limiter.acquire([need(rule, 0)])  # costs nothing, waits for nothing
    permit.settle()


async def test_aclose_fails_the_waiters(limiter: Limiter) -> None:
    rule = RateLimit("req", 1, 1.0)
    await limiter.acquire([need(rule)])
    waiter = asyncio.create_task(limiter.acquire([need(rule)]))
    await asyncio.sleep(0.05)
    await limiter.aclose()
    with pytest.raises(ConfigurationError, match="closed"):
        await waiter
    with pytest.raises(ConfigurationError, match="closed"):
        await limiter.acquire([need(rule)])


# ---------------------------------------------------------------- SQLite across processes

SQLITE_WORKER = """
import asyncio, json, random, sys, time
from venuekit.models import RateLimit
from venuekit.ratelimit import Demand, make_limiter

url, count, start_at, seed, limit, period = sys.argv[1:7]
rule = RateLimit("req", int(limit), float(period))

async def main():
    limiter = make_limiter(url)
    rng = random.Random(int(seed))
    costs = [rng.choice((1, 2)) for _ in range(int(count))]
    await asyncio.sleep(max(0.0, float(start_at) - time.time()))

    async def one(cost):
        permit = await limiter.acquire([Demand("venue:account:k:req", rule, cost)])
        return permit.granted_at, cost

    grants = await asyncio.gather(*(one(cost) for cost in costs))
    await limiter.aclose()
    print(json.dumps(grants))

asyncio.run(main())
"""


async def test_sqlite_never_over_the_limit_across_processes(tmp_path: Path) -> None:
    """Four processes on one file, weighted costs, one rule: on the shared clock, no
    window of the rule's period holds more than its limit, and the limit is used."""
    import json
    import subprocess
    import sys

    rule = RateLimit("req", 20, 0.25)
    url = sqlite_url(tmp_path / "limits.sqlite")
    start_at = time.time() + 1.5
    workers = [subprocess.Popen([sys.executable, "-c", SQLITE_WORKER, url, "30", str(start_at),
                                 str(seed), str(rule.limit), str(rule.period_s)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
               for seed in range(4)]
    grants: list[tuple[float, int]] = []
    for worker in workers:
        out, err = await asyncio.get_running_loop().run_in_executor(None, worker.communicate)
        assert worker.returncode == 0, err.decode()
        grants += [(at, cost) for at, cost in json.loads(out)]
    assert len(grants) == 120
    # on the shared wall clock, as the grants are dated; with the 2% margin
    assert busiest_window(grants, rule.period_s * 1.02) <= rule.limit
    times = sorted(at for at, _ in grants)
    total = sum(cost for _, cost in grants)
    achieved = (total - rule.limit) / (times[-1] - times[0]) / (rule.limit / rule.period_s)
    assert achieved > 0.8, achieved


def test_sqlite_urls(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "limits.sqlite")
    assert url == "sqlite://" + str(tmp_path / "limits.sqlite")
    assert url.startswith("sqlite:///")
    with pytest.raises(ConfigurationError, match="absolute path"):
        make_limiter("sqlite://limits.sqlite")
    with pytest.raises(ConfigurationError, match="absolute path"):
        make_limiter("sqlite:relative.sqlite")
    with pytest.raises(ConfigurationError, match="cannot open"):
        asyncio.run(make_limiter("sqlite:///nonexistent/dir/x.sqlite").acquire(
            [need(RateLimit("req", 1, 1.0))]))


async def test_sqlite_file_is_chosen_by_the_environment(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from venuekit.ratelimit import shared_limiter
    from venuekit.ratelimit.sqlite_backend import SqliteLimiter

    monkeypatch.setenv("VENUEKIT_LIMITER_URL", sqlite_url(tmp_path / "limits.sqlite"))
    limiter = shared_limiter()
    try:
        assert isinstance(limiter, SqliteLimiter)
        assert shared_limiter() is limiter
        await limiter.acquire([need(RateLimit("req", 1, 1.0))])
        assert (tmp_path / "limits.sqlite").exists()
    finally:
        await limiter.aclose()
