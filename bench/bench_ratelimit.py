"""Benchmark of the in-memory rate limiter against a strict loopback server.

Run ``python bench/bench_ratelimit.py`` (~50 s) or ``--quick`` (~10 s). Every figure is
measured in this run, next to a baseline measured the same way: a burst-then-refill leaky
bucket that polls every millisecond, the pattern many connector libraries use.

1. accuracy   500 requests fired at once at a server that answers 429 to the 51st request
              in any 1 s window (measured at arrival): rejections and achieved/allowed rate
2. wait CPU   client CPU seconds spent while those 500 requests wait (no-op requests)
3. scale      CPU microseconds per acquire with 100, 1,000 and 10,000 queued waiters
4. weights    costs 1, 5 and 20 mixed on one weight rule: rejections, p50/max wait per cost
5. idle keys  100k API keys (two rules each) send once, three rounds of fresh keys; buckets
              kept and RSS growth once their windows have passed, against the same limiter
              with idle-bucket eviction switched off (what 0.1 did)

The server runs in a child process so the client's CPU figures are the client's alone.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing
import os
import random
import statistics
import sys
import time
from collections import deque
from collections.abc import Awaitable, Callable
from multiprocessing.connection import Connection

import aiohttp
from aiohttp import web
from venuekit.models import LimitScope, RateLimit
from venuekit.ratelimit import Demand, MemoryLimiter

# ---------------------------------------------------------------- the strict server


def _serve(conn: Connection) -> None:
    asyncio.run(_serve_async(conn))


async def _serve_async(conn: Connection) -> None:
    """Count weight per named bucket at arrival; refuse whatever would exceed the limit."""
    logs: dict[str, deque[tuple[float, int]]] = {}
    used: dict[str, int] = {}

    async def hit(request: web.Request) -> web.Response:
        now = time.monotonic()
        name = request.query["bucket"]
        limit = int(request.query["limit"])
        period = float(request.query["period"])
        weight = int(request.query.get("w", "1"))
        log = logs.setdefault(name, deque())
        total = used.get(name, 0)
        while log and log[0][0] <= now - period:
            total -= log.popleft()[1]
        if total + weight > limit:
            used[name] = total
            return web.Response(status=429, text="too many requests")
        log.append((now, weight))
        used[name] = total + weight
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/hit", hit)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    conn.send(runner.addresses[0][1])
    await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # wait for "stop"
    await runner.cleanup()


# ---------------------------------------------------------------- the baseline


class PollingBucket:
    """Burst-then-refill leaky bucket; a waiter re-checks every millisecond."""

    def __init__(self, rule: RateLimit) -> None:
        self.capacity = rule.limit
        self.rate = rule.limit / rule.period_s
        self.level = 0.0
        self.stamp = time.monotonic()

    async def acquire(self, cost: int) -> None:
        while True:
            now = time.monotonic()
            self.level = max(0.0, self.level - (now - self.stamp) * self.rate)
            self.stamp = now
            if self.level + cost <= self.capacity:
                self.level += cost
                return
            await asyncio.sleep(0.001)


# An adapter per limiter: wait for room for ``cost``, return the "settle" to call afterwards.
Acquirer = Callable[[int], Awaitable[Callable[[], None]]]


def ours(rule: RateLimit, key: str) -> Acquirer:
    limiter = MemoryLimiter()

    async def acquire(cost: int) -> Callable[[], None]:
        permit = await limiter.acquire([Demand(key, rule, cost)])
        return permit.settle

    return acquire


def baseline(rule: RateLimit) -> Acquirer:
    bucket = PollingBucket(rule)

    async def acquire(cost: int) -> Callable[[], None]:
        await bucket.acquire(cost)
        return lambda: None

    return acquire


# ---------------------------------------------------------------- runs


class Result:
    def __init__(self, count: int) -> None:
        self.sent = [0.0] * count  # by arrival order
        self.waits: dict[int, list[float]] = {}
        self.rejected = 0

    def jumped(self) -> int:
        """Requests sent before one that arrived earlier: zero for a FIFO limiter."""
        latest, count = 0.0, 0
        for sent in self.sent:
            count += sent < latest
            latest = max(latest, sent)
        return count


async def fire(session: aiohttp.ClientSession | None, url: str, acquire: Acquirer,
               rule: RateLimit, bucket: str, costs: list[int]) -> Result:
    """Start every request at once; each waits for the limiter, is sent, then settles."""
    result = Result(len(costs))
    began = time.monotonic()

    async def one(index: int, cost: int) -> None:
        settle = await acquire(cost)
        sent = time.monotonic()
        result.sent[index] = sent
        result.waits.setdefault(cost, []).append(sent - began)
        if session is not None:
            params = {"bucket": bucket, "limit": str(rule.limit),
                      "period": str(rule.period_s), "w": str(cost)}
            async with session.get(url, params=params) as response:
                await response.read()
                if response.status == 429:
                    result.rejected += 1
        settle()

    await asyncio.gather(*(one(index, cost) for index, cost in enumerate(costs)))
    return result


def achieved_ratio(result: Result, rule: RateLimit, costs: list[int]) -> float:
    """Throughput after the first window's burst, over the rule's rate.

    Sound when the total is a whole number of windows' worth: the last send then closes a
    window, as the first one opens one.
    """
    assert sum(costs) % rule.limit == 0
    span = max(result.sent) - min(result.sent)
    return (sum(costs) - rule.limit) / span / (rule.limit / rule.period_s)


async def accuracy(url: str, count: int) -> None:
    rule = RateLimit("req", 50, 1.0)
    costs = [1] * count
    print(f"\n1. accuracy: {count} requests at once, limit 50 per 1 s, strict server")
    print(f"   {'limiter':<24}{'rejected':>10}{'achieved/allowed':>18}{'wall s':>9}")
    async with aiohttp.ClientSession() as session:
        for name, acquire in (("MemoryLimiter", ours(rule, "acc")),
                              ("polling leaky bucket", baseline(rule))):
            began = time.monotonic()
            result = await fire(session, url, acquire, rule, f"acc-{name}", costs)
            wall = time.monotonic() - began
            print(f"   {name:<24}{result.rejected:>10}"
                  f"{achieved_ratio(result, rule, costs):>18.3f}{wall:>9.1f}")


async def waiting_cpu(count: int) -> None:
    rule = RateLimit("req", 50, 1.0)
    print(f"\n2. waiting CPU: {count} no-op requests at once, limit 50 per 1 s")
    print(f"   {'limiter':<24}{'CPU s':>10}{'wall s':>9}{'vs ours':>10}")
    figures = []
    for name, acquire in (("MemoryLimiter", ours(rule, "cpu")),
                          ("polling leaky bucket", baseline(rule))):
        cpu, began = time.process_time(), time.monotonic()
        await fire(None, "", acquire, rule, "", [1] * count)
        cpu, wall = time.process_time() - cpu, time.monotonic() - began
        figures.append(cpu)
        print(f"   {name:<24}{cpu:>10.3f}{wall:>9.1f}{cpu / figures[0]:>9.0f}x")


async def scale(sizes: tuple[int, ...]) -> None:
    """Fill the bucket, queue N waiters, and let them drain at 100 per 10 ms window."""
    rule = RateLimit("scale", 100, 0.01)
    print("\n3. scale: CPU per acquire with N waiters queued on one rule (100 per 10 ms)")
    print(f"   {'waiters':<24}{'us/acquire':>10}{'vs 100':>9}{'wall s':>9}")
    first = None
    for size in sizes:
        limiter = MemoryLimiter()
        demand = Demand("scale", rule, 1)
        await limiter.acquire([Demand("scale", rule, rule.limit)])
        cpu, began = time.process_time(), time.monotonic()
        await asyncio.gather(*(limiter.acquire([demand]) for _ in range(size)))
        cpu, wall = time.process_time() - cpu, time.monotonic() - began
        per = cpu / size * 1e6
        first = first or per
        print(f"   {size:<24,}{per:>10.1f}{per / first:>8.2f}x{wall:>9.2f}")
    cpu = time.process_time()
    await bare_tasks(sizes[-1], rule.limit)
    per = (time.process_time() - cpu) / sizes[-1] * 1e6
    print(f"   {'asyncio alone, 10,000':<24}{per:>10.1f}   (a task awaiting a future: the floor)")


async def bare_tasks(size: int, batch: int) -> None:
    """What the scale figures cost without any limiter: a task per request, woken in batches."""
    loop = asyncio.get_running_loop()
    futures = [loop.create_future() for _ in range(size)]

    async def release() -> None:
        for start in range(0, size, batch):
            for future in futures[start:start + batch]:
                future.set_result(None)
            await asyncio.sleep(0)

    async def wait(future: asyncio.Future[None]) -> None:
        await future

    await asyncio.gather(release(), *(wait(future) for future in futures))


async def weights(url: str, each: int) -> None:
    rule = RateLimit("weight", 200, 1.0)
    costs = [1, 5, 20] * each
    random.Random(42).shuffle(costs)
    print(f"\n4. weights: {each} requests each of cost 1, 5, 20 at once, limit 200 per 1 s")
    print(f"   {'limiter':<24}{'rejected':>10}{'jumped queue':>14}   "
          "wait p50 / max s per cost")
    async with aiohttp.ClientSession() as session:
        for name, acquire in (("MemoryLimiter", ours(rule, "w")),
                              ("polling leaky bucket", baseline(rule))):
            result = await fire(session, url, acquire, rule, f"w-{name}", costs)
            classes = "  ".join(
                f"{cost:>2}: {statistics.median(waits):4.1f} / {max(waits):4.1f}"
                for cost, waits in sorted(result.waits.items()))
            print(f"   {name:<24}{result.rejected:>10}{result.jumped():>14}   {classes}")


class NeverEvicting(MemoryLimiter):
    """The baseline of run 5: the same limiter with its idle-bucket sweep switched off."""

    def _sweep(self, now: float) -> None:
        return None


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:  # Linux: resident pages are the second field
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _idle_keys(evict: bool, keys: int, rounds: int, out: Connection) -> None:
    out.send(asyncio.run(_idle_keys_async(evict, keys, rounds)))


async def _idle_keys_async(evict: bool, keys: int, rounds: int) -> list[tuple[int, float]]:
    """Per round: ``keys`` fresh API keys send once; after their windows, other traffic."""
    orders = RateLimit("orders", 10, 0.2, LimitScope.ACCOUNT)
    weight = RateLimit("weight", 100, 0.4, LimitScope.ACCOUNT)
    traffic = Demand("bench:ip:host:ip", RateLimit("ip", 100_000, 1.0), 1)
    limiter = MemoryLimiter() if evict else NeverEvicting()
    await limiter.acquire([traffic])
    gc.collect()
    base = _rss_mb()
    figures = []
    for round_ in range(rounds):
        for index in range(keys):
            key = f"bench:account:{round_:02d}{index:08x}"
            await limiter.acquire([Demand(key + ":orders", orders, 1),
                                   Demand(key + ":weight", weight, 5)])
        await asyncio.sleep(weight.period_s * 1.05)
        for _ in range(2 * keys // 1024 + 10):  # the sweep rides on ordinary requests
            await limiter.acquire([traffic])
        gc.collect()
        figures.append((limiter.buckets, _rss_mb() - base))
    return figures


def idle_keys(keys: int, rounds: int) -> None:
    print(f"\n5. idle keys: {keys:,} fresh API keys (2 rules each) send once per round; "
          "after their windows")
    print(f"   {'limiter':<24}{'round':>6}{'buckets':>10}{'RSS growth MB':>15}")
    context = multiprocessing.get_context("spawn")
    results = {}
    for name, evict in (("MemoryLimiter", True), ("without eviction", False)):
        ours_end, child_end = context.Pipe()
        child = context.Process(target=_idle_keys, args=(evict, keys, rounds, child_end))
        child.start()
        results[name] = ours_end.recv()
        child.join(10)
        for round_, (buckets, grown) in enumerate(results[name], 1):
            print(f"   {name:<24}{round_:>6}{buckets:>10,}{grown:>15.1f}")
    ours_mb = max(results["MemoryLimiter"][-1][1], 0.1)
    print(f"   RSS growth after {rounds} rounds: without eviction "
          f"{results['without eviction'][-1][1] / ours_mb:.0f}x ours")


async def main(quick: bool) -> None:
    context = multiprocessing.get_context("spawn")
    ours_end, server_end = context.Pipe()
    server = context.Process(target=_serve, args=(server_end,), daemon=True)
    server.start()
    try:
        port = await asyncio.get_running_loop().run_in_executor(None, ours_end.recv)
        url = f"http://127.0.0.1:{port}/hit"
        print(f"venuekit rate limiter benchmark ({'quick' if quick else 'full'}), "
              f"Python {sys.version.split()[0]}")
        await accuracy(url, 150 if quick else 500)
        await waiting_cpu(150 if quick else 500)
        await scale((100, 1_000, 10_000))
        await weights(url, 12 if quick else 40)
        idle_keys(20_000 if quick else 100_000, 3)
    finally:
        ours_end.send("stop")
        server.join(5)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a ~10 s run")
    asyncio.run(main(parser.parse_args().quick))
