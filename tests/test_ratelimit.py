"""The in-memory limiter's promises: sliding window, FIFO, no polling, cancellation, feedback.

Most tests run on virtual time: the ``clock`` fixture replaces the running loop's ``time``
with a fake clock that is also the limiter's, so the limiter's ``loop.call_at`` timers fire
exactly when the test moves the clock, and not a moment of real time is spent waiting.
"""

from __future__ import annotations

import asyncio
import gc
import random
import threading
import weakref
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

import pytest
from venuekit.errors import ConfigurationError
from venuekit.models import LimitScope, RateLimit
from venuekit.ratelimit import (
    Demand,
    Limiter,
    MemoryLimiter,
    Permit,
    _bucket,
    apply_overrides,
    default_limiter,
    memory,
)

KEY = "venue:ip:api.example.com:req"
RULE = RateLimit("req", 10, 1.0)


class VirtualClock:
    """Fake monotonic time shared by the loop and the limiter.

    Calling it is the limiter's clock, and counts reads: a limiter that polls has to look
    at the time. The loop reads ``loop_time``, which does not count.
    """

    def __init__(self, start: float) -> None:
        self.now = start
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        return self.now

    def loop_time(self) -> float:
        return self.now

    async def set(self, when: float) -> None:
        self.now = when
        await spin()

    async def advance(self, seconds: float) -> None:
        await self.set(self.now + seconds)


async def spin(turns: int = 10) -> None:
    """Let every callback and task that is ready run, without letting real time count."""
    for _ in range(turns):
        await asyncio.sleep(0)


@pytest.fixture
async def clock() -> AsyncIterator[VirtualClock]:
    loop = asyncio.get_running_loop()
    fake = VirtualClock(loop.time())
    loop.time = fake.loop_time  # type: ignore[method-assign]
    try:
        yield fake
    finally:
        del loop.time  # type: ignore[method-assign]


@pytest.fixture
def limiter(clock: VirtualClock) -> MemoryLimiter:
    return MemoryLimiter(margin=0.0, clock=clock)


def need(cost: int = 1, rule: RateLimit = RULE, key: str = KEY) -> Demand:
    return Demand(key, rule, cost)


def start(limiter: Limiter, *demands: Demand) -> asyncio.Task[Permit]:
    return asyncio.create_task(limiter.acquire(demands))


async def drain(clock: VirtualClock, tasks: Iterable[asyncio.Future[Any]], step: float,
                limit: int = 100_000) -> None:
    pending = list(tasks)
    for _ in range(limit):
        if all(task.done() for task in pending):
            return
        await clock.advance(step)
    raise AssertionError("waiters never finished")


def busiest_window(events: list[tuple[float, int]], window: float) -> int:
    """Largest total cost of entries dated less than ``window`` apart."""
    events = sorted(events)
    best = total = left = 0
    for at, cost in events:
        total += cost
        while events[left][0] <= at - window:
            total -= events[left][1]
            left += 1
        best = max(best, total)
    return best


# ---------------------------------------------------------------- the sliding window


@pytest.mark.parametrize("settle", [False, True], ids=["grant-dated", "settled"])
async def test_never_over_limit_in_any_window(clock: VirtualClock, settle: bool) -> None:
    rule = RateLimit("weight", 20, 1.0)
    limiter = MemoryLimiter(margin=0.02, clock=clock)
    window = rule.period_s * 1.02
    rng = random.Random(7)
    granted: list[tuple[float, int]] = []
    settled: list[tuple[float, int]] = []

    async def request(cost: int, latency: float) -> None:
        permit = await limiter.acquire([need(cost, rule)])
        granted.append((permit.granted_at, cost))
        if settle:
            await asyncio.sleep(latency)  # virtual: the loop's time is the clock
            permit.settle()
            settled.append((clock.now, cost))

    tasks = [asyncio.create_task(request(rng.randint(1, 6), rng.uniform(0.0, 0.05)))
             for _ in range(150)]
    started = clock.now
    await drain(clock, tasks, 0.01)
    # Dated at the send, the margin-widened window holds; dated at the response (which
    # the venue's count cannot follow), the rule's own period does.
    assert busiest_window(granted, window) <= rule.limit
    assert busiest_window(settled, rule.period_s) <= rule.limit
    assert busiest_window(granted, window) >= rule.limit - 5  # and the budget was really used
    total = sum(cost for _, cost in granted)
    assert clock.now - started < (total / rule.limit + 2) * (window + 0.06)


async def test_real_time_window_and_pace() -> None:
    rule = RateLimit("req", 5, 0.1)
    limiter = MemoryLimiter()
    loop = asyncio.get_running_loop()
    began = loop.time()
    permits = await asyncio.gather(*(limiter.acquire([need(1, rule)]) for _ in range(25)))
    elapsed = loop.time() - began
    assert busiest_window([(p.granted_at, 1) for p in permits], 0.102) <= 5
    assert 4 * 0.102 <= elapsed < 2.0  # five bursts: generous upper bound for a busy machine
    assert [p.granted_at for p in permits] == sorted(p.granted_at for p in permits)


async def test_margin_widens_the_window(clock: VirtualClock) -> None:
    limiter = MemoryLimiter(margin=0.5, clock=clock)
    rule = RateLimit("req", 1, 1.0)
    first = await limiter.acquire([need(1, rule)])
    second = start(limiter, need(1, rule))
    await clock.set(first.granted_at + 1.49)
    assert not second.done()
    await clock.set(first.granted_at + 1.5)
    assert second.done()


async def test_timer_is_exact_and_nothing_polls(clock: VirtualClock,
                                                limiter: MemoryLimiter) -> None:
    first = await limiter.acquire([need(10)])
    waiting = start(limiter, need(3))
    await spin()
    reads = clock.reads
    await spin(200)  # plenty of loop turns, no time passing: nobody may look at the clock
    assert clock.reads == reads
    await clock.set(first.granted_at + 0.999999)
    assert not waiting.done()
    await clock.set(first.granted_at + RULE.period_s)
    assert waiting.done()
    assert (await waiting).granted_at == first.granted_at + RULE.period_s
    assert (await waiting).waited == pytest.approx(RULE.period_s)


async def test_grant_needs_no_await_when_there_is_room(limiter: MemoryLimiter) -> None:
    coro = limiter.acquire([need(1)])
    with pytest.raises(StopIteration):  # finished on the first step: never suspended
        coro.send(None)


# ---------------------------------------------------------------- FIFO


async def test_thousand_waiters_are_served_in_arrival_order(
        clock: VirtualClock, limiter: MemoryLimiter) -> None:
    rule = RateLimit("weight", 20, 1.0)
    rng = random.Random(11)
    order: list[int] = []

    async def request(index: int, cost: int) -> None:
        await limiter.acquire([need(cost, rule)])
        order.append(index)

    await limiter.acquire([need(20, rule)])  # full: everyone below has to queue
    tasks = [asyncio.create_task(request(i, rng.randint(1, 10))) for i in range(1000)]
    await spin()
    assert not order
    await drain(clock, tasks, 1.0)
    assert order == list(range(1000))


async def test_a_heavy_head_holds_back_lighter_requests(clock: VirtualClock,
                                                        limiter: MemoryLimiter) -> None:
    await limiter.acquire([need(9)])
    heavy = start(limiter, need(10))
    light = start(limiter, need(1))
    await spin()
    assert not heavy.done()
    assert not light.done()  # one unit is free, but the heavy request came first
    await clock.advance(1.0)
    assert heavy.done()
    assert not light.done()
    await clock.advance(1.0)
    assert light.done()


# ---------------------------------------------------------------- cancellation


async def test_cancelled_head_frees_its_place(clock: VirtualClock,
                                              limiter: MemoryLimiter) -> None:
    await limiter.acquire([need(5)])
    head = start(limiter, need(10))
    behind = start(limiter, need(5))
    await spin()
    assert not behind.done()
    head.cancel()
    await spin()
    assert head.cancelled()
    assert behind.done()
    assert limiter.used(KEY) == 10


async def test_timeout_leaves_the_queue_without_taking_capacity(
        clock: VirtualClock, limiter: MemoryLimiter) -> None:
    await limiter.acquire([need(10)])

    async def impatient() -> None:
        async with asyncio.timeout(0.5):
            await limiter.acquire([need(4)])

    task = asyncio.create_task(impatient())
    later = start(limiter, need(10))
    await spin()
    await clock.advance(0.5)
    with pytest.raises(TimeoutError):
        await task
    assert limiter.used(KEY) == 10
    await clock.advance(0.5)
    assert later.done()  # the timed-out request took nothing and held no place
    assert limiter.used(KEY) == 10


async def test_cancelling_half_of_a_thousand_waiters(clock: VirtualClock,
                                                     limiter: MemoryLimiter) -> None:
    order: list[int] = []

    async def request(index: int) -> None:
        await limiter.acquire([need(3)])
        order.append(index)

    await limiter.acquire([need(10)])
    tasks = [asyncio.create_task(request(i)) for i in range(1000)]
    await spin()
    for task in tasks[1::2]:
        task.cancel()
    await drain(clock, tasks, 1.0)
    assert order == list(range(0, 1000, 2))
    granted = await limiter.acquire([need(0)])
    assert granted.waited == 0.0


async def test_grant_lost_to_a_cancel_goes_back(clock: VirtualClock,
                                                limiter: MemoryLimiter) -> None:
    loop = asyncio.get_running_loop()
    full = await limiter.acquire([need(10)])
    victim = start(limiter, need(5))
    behind = start(limiter, need(10))
    await spin()
    # Both timers fall due in one loop turn: the limiter's grants ``victim`` first, then the
    # cancel lands before ``victim``'s task has resumed to collect its permit.
    loop.call_at(full.granted_at + 1.5, victim.cancel)
    await clock.set(full.granted_at + 2.0)
    assert victim.cancelled()
    assert behind.done()
    assert limiter.used(KEY) == 10


# ---------------------------------------------------------------- several rules


async def test_two_rules_are_taken_together_or_not_at_all(clock: VirtualClock,
                                                          limiter: MemoryLimiter) -> None:
    ip = RateLimit("ip", 3, 1.0)
    orders = RateLimit("orders", 3, 1.0, LimitScope.ACCOUNT)
    await limiter.acquire([need(3, ip, "ip")])
    both = start(limiter, need(1, ip, "ip"), need(1, orders, "acct"))
    only_orders = start(limiter, need(1, orders, "acct"))
    await spin()
    assert not both.done()
    assert limiter.used("acct") == 0  # waiting holds nothing
    assert not only_orders.done()  # arrived later on "acct": waits its turn
    await clock.advance(1.0)
    assert both.done()
    assert only_orders.done()
    assert (limiter.used("ip"), limiter.used("acct")) == (1, 2)


async def test_overlapping_multi_rule_requests_never_deadlock(
        clock: VirtualClock, limiter: MemoryLimiter) -> None:
    rules = {key: RateLimit(key, 8, 1.0) for key in ("a", "b", "c")}
    rng = random.Random(5)
    served: dict[str, list[int]] = {key: [] for key in rules}
    dated: dict[str, list[tuple[float, int]]] = {key: [] for key in rules}
    arrivals: dict[str, list[int]] = {key: [] for key in rules}

    async def request(index: int, demands: list[Demand]) -> None:
        permit = await limiter.acquire(demands)
        for demand in demands:
            served[demand.key].append(index)
            dated[demand.key].append((permit.granted_at, demand.cost))

    tasks = []
    for index in range(300):
        keys = rng.sample(sorted(rules), rng.randint(1, 3))
        demands = [need(rng.randint(1, 4), rules[key], key) for key in keys]
        for key in keys:
            arrivals[key].append(index)
        tasks.append(asyncio.create_task(request(index, demands)))
    await drain(clock, tasks, 0.25)
    for key in rules:
        assert served[key] == arrivals[key]
        assert busiest_window(dated[key], 1.0) <= 8


# ---------------------------------------------------------------- costs


def test_cost_over_the_limit_is_refused_at_once() -> None:
    with pytest.raises(ConfigurationError, match="never"):
        Demand(KEY, RULE, 11)
    with pytest.raises(ConfigurationError, match="negative"):
        Demand(KEY, RULE, -1)


async def test_demands_on_one_key_add_up(limiter: MemoryLimiter) -> None:
    with pytest.raises(ConfigurationError, match="add up"):
        await limiter.acquire([need(6), need(5)])
    await limiter.acquire([need(4), need(5)])
    assert limiter.used(KEY) == 9


async def test_a_known_bucket_is_granted_at_once_only_when_everything_fits(
        clock: VirtualClock, limiter: MemoryLimiter) -> None:
    """The fast grant (known buckets, nobody waiting) decides exactly as the general path."""
    other = "venue:ip:other"
    (await limiter.acquire([need(1), need(1, key=other)])).settle()  # both buckets known
    with pytest.raises(ConfigurationError, match="add up"):
        await limiter.acquire([need(6), need(5)])  # one key twice: summed, then refused
    await limiter.acquire([need(3), need(5)])
    assert limiter.used(KEY) == 9
    full = start(limiter, need(2), need(1, key=other))  # 9 + 2 > 10: waits, takes nothing
    await spin()
    assert not full.done() and limiter.used(other) == 1
    behind = start(limiter, need(1, key=other))  # room, but a line: waits its turn
    await spin()
    assert not behind.done()
    await clock.advance(1.1)
    await asyncio.gather(full, behind)
    assert limiter.used(other) == 2  # the first grant expired, the two new ones count
    await limiter.block(other, RULE, 5.0)
    blocked = start(limiter, need(1, key=other))
    await spin()
    assert not blocked.done()
    blocked.cancel()


async def test_try_acquire_grants_on_the_spot_or_defers_to_acquire(
        clock: VirtualClock, limiter: MemoryLimiter) -> None:
    """The no-await grant takes exactly what acquire would, and defers every other case."""
    assert limiter.try_acquire([need(1)]) is None  # an unknown bucket: acquire makes it
    (await limiter.acquire([need(1)])).settle()
    permit = limiter.try_acquire([need(4)])
    assert permit is not None and permit.waited == 0.0
    assert limiter.used(KEY) == 5
    assert limiter.try_acquire([need(6)]) is None  # 5 + 6 > 10: takes nothing
    assert limiter.used(KEY) == 5
    waiting = start(limiter, need(6))
    await spin()
    assert limiter.try_acquire([need(1)]) is None  # room, but a line: not before it
    await clock.advance(1.1)
    await waiting
    await limiter.block(KEY, RULE, 5.0)
    assert limiter.try_acquire([need(1)]) is None
    await limiter.aclose()
    assert limiter.try_acquire([need(1)]) is None
    with pytest.raises(ConfigurationError, match="closed"):  # acquire says why
        await limiter.acquire([need(1)])


async def test_try_feedback_counts_like_feedback(clock: VirtualClock,
                                                 limiter: MemoryLimiter) -> None:
    assert limiter.try_feedback([(KEY, RULE, 6), ("other", RULE, 2)]) is True
    assert (limiter.used(KEY), limiter.used("other")) == (6, 2)
    assert limiter.try_feedback([(KEY, RULE, 3)]) is True
    assert limiter.used(KEY) == 6  # never lowered


async def test_a_backend_without_fast_paths_is_always_asked() -> None:
    """The defaults defer to the awaited calls, which every backend must implement."""

    class Plain(Limiter):
        async def acquire(self, demands: Sequence[Demand]) -> Permit:
            raise NotImplementedError

        async def feedback(self, key: str, rule: RateLimit, used: int) -> None:
            raise NotImplementedError

        async def block(self, key: str, rule: RateLimit, seconds: float) -> None:
            raise NotImplementedError

        async def aclose(self) -> None:
            raise NotImplementedError

    plain = Plain()
    assert plain.try_acquire([need(1)]) is None
    assert plain.try_feedback([(KEY, RULE, 1)]) is False


async def test_zero_cost_is_a_no_op(clock: VirtualClock, limiter: MemoryLimiter) -> None:
    await limiter.block(KEY, RULE, 60.0)
    permit = await limiter.acquire([need(0)])
    permit.settle()
    assert limiter.used(KEY) == 0


async def test_rule_lowered_below_a_waiting_cost_fails_it(clock: VirtualClock,
                                                          limiter: MemoryLimiter) -> None:
    await limiter.acquire([need(10)])
    big = start(limiter, need(8))
    await spin()
    await limiter.feedback(KEY, RateLimit("req", 5, 1.0), 0)  # the host overrode the rule
    await spin()
    with pytest.raises(ConfigurationError, match="lowered"):
        await big


# ---------------------------------------------------------------- feedback, block, settle


async def test_feedback_raises_the_count_and_never_lowers_it(
        clock: VirtualClock, limiter: MemoryLimiter) -> None:
    first = await limiter.acquire([need(2)])
    await limiter.feedback(KEY, RULE, 7)
    assert limiter.used(KEY) == 7
    await limiter.feedback(KEY, RULE, 3)
    assert limiter.used(KEY) == 7
    waiting = start(limiter, need(4))
    await spin()
    assert not waiting.done()
    await clock.set(first.granted_at + 1.0)
    assert waiting.done()
    await limiter.feedback("fresh", RULE, 10)
    assert limiter.used("fresh") == 10


async def test_feedback_postpones_an_armed_waiter(clock: VirtualClock,
                                                  limiter: MemoryLimiter) -> None:
    first = await limiter.acquire([need(10)])
    waiting = start(limiter, need(6))
    await clock.advance(0.5)
    await limiter.feedback(KEY, RULE, 15)  # the venue saw 5 more than we sent
    await clock.set(first.granted_at + 1.0)
    assert not waiting.done()
    await clock.set(first.granted_at + 1.5)
    assert waiting.done()


async def test_block_is_honoured_and_only_extends(clock: VirtualClock,
                                                  limiter: MemoryLimiter) -> None:
    began = clock.now
    await limiter.block(KEY, RULE, 5.0)
    await limiter.block(KEY, RULE, 2.0)  # shorter: ignored
    waiting = start(limiter, need(1))
    await clock.set(began + 4.999)
    assert not waiting.done()
    await clock.set(began + 5.0)
    assert waiting.done()
    await limiter.block(KEY, RULE, float("nan"))
    await limiter.acquire([need(1)])


async def test_ban_length_block(clock: VirtualClock, limiter: MemoryLimiter) -> None:
    waiting = start(limiter, need(1))
    await spin()
    assert waiting.done()
    began = clock.now
    await limiter.block(KEY, RULE, 7200.0)  # an IP ban: two hours
    queued = [start(limiter, need(1)) for _ in range(3)]
    await spin()
    reads = clock.reads
    await spin(100)
    assert clock.reads == reads
    await clock.set(began + 7199.0)
    assert not any(task.done() for task in queued)
    await clock.set(began + 7200.0)
    assert all(task.done() for task in queued)


async def test_block_extends_an_armed_waiter(clock: VirtualClock,
                                             limiter: MemoryLimiter) -> None:
    first = await limiter.acquire([need(10)])
    waiting = start(limiter, need(1))
    await spin()
    await limiter.block(KEY, RULE, 3.0)
    await clock.set(first.granted_at + 2.9)
    assert not waiting.done()
    await clock.set(first.granted_at + 3.0)
    assert waiting.done()


async def test_settle_redates_the_entry(clock: VirtualClock, limiter: MemoryLimiter) -> None:
    rule = RateLimit("req", 1, 1.0)
    permit = await limiter.acquire([need(1, rule)])
    sent = permit.granted_at
    await clock.set(sent + 0.5)
    permit.settle()
    await clock.set(sent + 0.7)
    permit.settle()  # idempotent: neither moves it again nor counts it twice
    assert limiter.used(KEY) == 1
    waiting = start(limiter, need(1, rule))
    await clock.set(sent + 1.0)
    assert not waiting.done()  # it would have fitted here without the settle
    await clock.set(sent + 1.499)
    assert not waiting.done()
    await clock.set(sent + 1.5)
    assert waiting.done()


async def test_settle_never_shortens_the_send_window(clock: VirtualClock) -> None:
    limiter = MemoryLimiter(margin=0.5, clock=clock)
    rule = RateLimit("req", 1, 1.0)
    permit = await limiter.acquire([need(1, rule)])
    await clock.advance(0.1)
    permit.settle()  # a full period from here would end at 1.1; the send window ends at 1.5
    waiting = start(limiter, need(1, rule))
    await clock.set(permit.granted_at + 1.49)
    assert not waiting.done()
    await clock.set(permit.granted_at + 1.5)
    assert waiting.done()


async def test_settle_after_expiry_counts_again(clock: VirtualClock,
                                                limiter: MemoryLimiter) -> None:
    permit = await limiter.acquire([need(4)])
    await clock.advance(1.5)  # the response took longer than the window
    assert limiter.used(KEY) == 0
    permit.settle()
    assert limiter.used(KEY) == 4  # the venue may have counted it just now


# ---------------------------------------------------------------- sharing


async def test_two_users_of_one_key_share_one_budget(clock: VirtualClock,
                                                     limiter: MemoryLimiter) -> None:
    def connector_demand(cost: int) -> Demand:  # each connector builds its own demand
        return Demand("binance:ip:api.binance.com:ip", RateLimit("ip", 5, 1.0), cost)

    await limiter.acquire([connector_demand(3)])
    await limiter.acquire([connector_demand(2)])
    first = start(limiter, connector_demand(1))
    second = start(limiter, connector_demand(1))
    await spin()
    assert not first.done()
    assert not second.done()
    await clock.advance(1.0)
    assert first.done()
    assert second.done()


async def test_default_limiter_is_one_per_loop() -> None:
    here = default_limiter()
    assert default_limiter() is here
    assert isinstance(here, MemoryLimiter)
    elsewhere: list[MemoryLimiter] = []

    async def other_loop() -> None:
        elsewhere.append(default_limiter())
        assert default_limiter() is elsewhere[0]

    thread = threading.Thread(target=asyncio.run, args=(other_loop(),))
    thread.start()
    thread.join()
    assert elsewhere[0] is not here
    await here.aclose()
    assert default_limiter() is not here  # a closed one is replaced, not handed out


def test_default_limiter_needs_a_loop_and_goes_with_it() -> None:
    with pytest.raises(RuntimeError):
        default_limiter()
    used_loop: list[weakref.ref[asyncio.AbstractEventLoop]] = []

    async def use() -> None:
        await default_limiter().acquire([need(1)])
        loop = asyncio.get_running_loop()
        assert loop in memory._per_loop
        used_loop.append(weakref.ref(loop))

    asyncio.run(use())
    gc.collect()
    assert used_loop[0]() is None  # the limiter did not keep its loop alive, nor the entry


def test_constructed_without_a_loop() -> None:
    limiter = MemoryLimiter()
    asyncio.run(limiter.acquire([need(10)]))
    assert limiter.used(KEY) == 10


async def test_aclose_fails_the_waiters(clock: VirtualClock, limiter: MemoryLimiter) -> None:
    await limiter.acquire([need(10)])
    waiting = start(limiter, need(1))
    await spin()
    await limiter.aclose()
    with pytest.raises(ConfigurationError, match="closed"):
        await waiting
    with pytest.raises(ConfigurationError, match="closed"):
        await limiter.acquire([need(1)])


def test_margin_must_be_a_fraction() -> None:
    with pytest.raises(ConfigurationError):
        MemoryLimiter(margin=-0.1)


# ---------------------------------------------------------------- scale


@pytest.mark.parametrize("waiters", [100, 10_000])
async def test_work_per_grant_does_not_grow_with_the_queue(
        clock: VirtualClock, limiter: MemoryLimiter, monkeypatch: pytest.MonkeyPatch,
        waiters: int) -> None:
    """Counts work instead of timing it: heads examined and timers armed per grant."""
    examined = 0
    original = _bucket.Waiter.is_head

    def counting(self: _bucket.Waiter) -> bool:
        nonlocal examined
        examined += 1
        return original(self)

    monkeypatch.setattr(_bucket.Waiter, "is_head", counting)
    loop = asyncio.get_running_loop()
    armed = 0
    call_at = loop.call_at

    def counting_call_at(*args: Any, **kwargs: Any) -> asyncio.TimerHandle:
        nonlocal armed
        armed += 1
        return call_at(*args, **kwargs)

    monkeypatch.setattr(loop, "call_at", counting_call_at)
    rule = RateLimit("req", 100, 1.0)
    await limiter.acquire([need(100, rule)])
    tasks = [start(limiter, need(1, rule)) for _ in range(waiters)]
    await drain(clock, tasks, 1.0)
    assert examined <= 2 * waiters + 2 * (waiters // 100) + 5
    assert armed <= waiters // 100 + 2  # one timer per window, not one per waiter


# ---------------------------------------------------------------- idle buckets


async def test_idle_buckets_of_100k_keys_go_once_their_windows_pass(
        clock: VirtualClock, limiter: MemoryLimiter) -> None:
    """One request on each of 100k API keys, two rules each: 200k buckets while their
    windows run, and back to a handful once those have passed and requests go on."""
    orders = RateLimit("orders", 10, 1.0, LimitScope.ACCOUNT)
    weight = RateLimit("weight", 100, 10.0, LimitScope.ACCOUNT)
    for index in range(100_000):
        key = f"venue:account:{index:08x}"
        await limiter.acquire([need(1, orders, key + ":orders"), need(5, weight, key + ":w")])
    assert limiter.buckets == 200_000
    traffic = RateLimit("ip", 1000, 1.0)
    await clock.advance(5.0)  # past the 1 s windows, not the 10 s ones
    for _ in range(100):
        await limiter.acquire([need(1, traffic)])
    assert limiter.buckets == 100_000 + 1  # every weight bucket still counts
    assert limiter.used("venue:account:00000000:w") == 5
    await clock.advance(6.0)
    for _ in range(100):
        await limiter.acquire([need(1, traffic)])
    assert limiter.buckets == 1  # the one in use


async def test_a_bucket_in_use_is_never_dropped(clock: VirtualClock,
                                                limiter: MemoryLimiter) -> None:
    blocked, queued, busy = "venue:ip:blocked", "venue:ip:queued", "venue:ip:busy"
    await limiter.block(blocked, RULE, 30.0)
    await limiter.acquire([need(10, key=queued)])
    waiter = start(limiter, need(10, key=queued))
    for _ in range(40):  # a bucket used every half window for 20 s
        await limiter.acquire([need(1, key=busy)])
        await clock.advance(0.5)
        if waiter.done():
            waiter = start(limiter, need(10, key=queued))  # one always waiting
    assert {blocked, queued, busy} <= set(limiter._buckets)
    assert limiter.used(queued) == 10
    assert limiter.used(busy) == 1
    waiting = start(limiter, need(1, key=blocked))
    await spin()
    assert not waiting.done()  # the block survived every sweep
    await clock.advance(10.0)
    assert waiting.done()


async def test_settle_after_the_bucket_was_dropped_still_counts(
        clock: VirtualClock, limiter: MemoryLimiter) -> None:
    permit = await limiter.acquire([need(4)])
    await clock.advance(1.5)  # the response is later than the window
    await limiter.acquire([need(1, key="venue:ip:other")])  # a sweep drops KEY's bucket
    assert KEY not in limiter._buckets
    permit.settle()
    assert limiter.used(KEY) == 4  # the venue may have counted it just now
    waiting = start(limiter, need(7))
    await spin()
    assert not waiting.done()
    await clock.advance(1.0)
    assert waiting.done()


# ---------------------------------------------------------------- overrides


def test_overrides_replace_and_remove_rules() -> None:
    ip = RateLimit("ip", 1200, 60.0)
    orders = RateLimit("orders", 50, 10.0, LimitScope.ACCOUNT)
    raw = RateLimit("raw", 6100, 300.0)
    vip = RateLimit("orders", 100, 10.0, LimitScope.ACCOUNT)
    assert apply_overrides([ip, orders, raw], {"orders": vip, "raw": None}) == (ip, vip)
    assert apply_overrides([ip], {}) == (ip,)


def test_overrides_refuse_unknown_or_renamed_rules() -> None:
    ip = RateLimit("ip", 1200, 60.0)
    with pytest.raises(ConfigurationError, match="'oders'"):
        apply_overrides([ip], {"oders": None})
    with pytest.raises(ConfigurationError, match="names must match"):
        apply_overrides([ip], {"ip": RateLimit("weight", 10, 1.0)})
