"""Benchmark of the Redis limiter: several processes sharing one API key's limit.

Run ``python bench/bench_redis.py`` (~30 s) or ``--quick`` (~10 s). Needs the ``redis``
extra (``pip install -e .[redis]``) and a ``redis-server`` binary: the script starts its own
on a free loopback port, without persistence, and stops it at the end.

4 processes x 250 requests, all fired at once, share one account rule of 50 per 1 s and
hit a strict loopback server that answers 429 to the 51st request in any 1 s window
(measured at arrival). The same run is made twice:

- ``redis``   every process limits through one Redis (the shared backend);
- ``memory``  every process has its own in-memory limiter (each keeps 50 per 1 s, so
              together they send four times the limit): the contrast.

Targets for the Redis run: 0 rejections and an aggregate rate of at least 0.95 of the
allowed one (the margin of 2% alone costs 0.02).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp
from bench_ratelimit import _serve
from venuekit.models import LimitScope, RateLimit
from venuekit.ratelimit import Demand, Limiter, MemoryLimiter, make_limiter
from venuekit.testing.redis_server import RedisServer

RULE = RateLimit("orders", 50, 1.0, LimitScope.ACCOUNT)
KEY = f"bench:account:{hashlib.sha256(b'one shared api key').hexdigest()[:16]}:orders"

# The strict server (weight 1 per request here) and the throwaway redis-server are the
# ones bench_ratelimit.py and the test kit already have.

# ---------------------------------------------------------------- one process


def _worker(backend: str, redis_url: str, url: str, bucket: str, count: int,
            ready: Any, out: Connection) -> None:
    out.send(asyncio.run(_work(backend, redis_url, url, bucket, count, ready)))


async def _work(backend: str, redis_url: str, url: str, bucket: str, count: int,
                ready: Any) -> dict[str, Any]:
    """Fire ``count`` requests at once through this process's limiter."""
    limiter: Limiter
    if backend == "redis":
        from venuekit.ratelimit.redis_backend import RedisLimiter
        limiter = RedisLimiter(redis_url)
    elif backend == "sqlite":  # bench_sqlite.py: ``redis_url`` is the SQLite file's URL
        limiter = make_limiter(redis_url)
    else:
        limiter = MemoryLimiter()
    demand = Demand(KEY, RULE, 1)
    params = {"bucket": bucket, "limit": str(RULE.limit), "period": str(RULE.period_s)}
    sent: list[float] = []
    rejected = 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        async with session.get(url, params={**params, "bucket": "warm-up"}) as response:
            await response.read()
        if backend == "redis":  # open the pool's connections and load the script
            await asyncio.gather(*(limiter.feedback(KEY, RULE, 0) for _ in range(16)))
        await asyncio.get_running_loop().run_in_executor(None, ready.wait)
        cpu = time.process_time()

        async def one() -> None:
            nonlocal rejected
            permit = await limiter.acquire([demand])
            sent.append(time.monotonic())
            async with session.get(url, params=params) as response:
                await response.read()
                rejected += response.status == 429
            permit.settle()

        await asyncio.gather(*(one() for _ in range(count)))
        cpu = time.process_time() - cpu
    round_trips = getattr(limiter, "round_trips", 0)
    await limiter.aclose()
    return {"sent": sent, "rejected": rejected, "cpu": cpu, "round_trips": round_trips}


# ---------------------------------------------------------------- runs


def run(backend: str, processes: int, count: int, redis_url: str, url: str) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(processes + 1)
    pipes, workers = [], []
    bucket = f"{backend}-{time.monotonic_ns()}"
    for _ in range(processes):
        ours, theirs = context.Pipe()
        worker = context.Process(target=_worker, args=(backend, redis_url, url, bucket, count,
                                                       ready, theirs), daemon=True)
        worker.start()
        pipes.append(ours)
        workers.append(worker)
    ready.wait()  # every worker is up, warmed up and about to fire
    began = time.monotonic()
    results = [pipe.recv() for pipe in pipes]
    wall = time.monotonic() - began
    for worker in workers:
        worker.join(10)
    sent = sorted(at for result in results for at in result["sent"])
    total = len(sent)
    span = sent[-1] - sent[0]
    allowed = RULE.limit / RULE.period_s
    return {
        "rejected": sum(result["rejected"] for result in results),
        # after the first window's burst, as in bench_ratelimit.py: sound because the total
        # is a whole number of windows' worth
        "rate": (total - RULE.limit) / span / allowed if span else float("inf"),
        "wall": wall,
        "cpu": sum(result["cpu"] for result in results),
        "calls": sum(result["round_trips"] for result in results) / total,
        "total": total,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="4 x 100 requests (~10 s)")
    options = parser.parse_args()
    processes, count = 4, 100 if options.quick else 250
    missing = None
    binary = shutil.which("redis-server")
    try:
        import redis  # noqa: F401
    except ImportError:
        missing = "redis-py is not installed (pip install -e .[redis])"
    if binary is None:
        missing = "redis-server is not installed (apt-get install redis-server)"
    if missing:
        print(f"Redis limiter benchmark skipped: {missing}")
        return 1 if os.environ.get("CI") else 0
    assert binary is not None

    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    server = context.Process(target=_serve, args=(theirs,), daemon=True)
    server.start()
    scratch = tempfile.mkdtemp(prefix="venuekit-bench-redis-")
    redis_server = RedisServer(Path(scratch))
    redis_server.start()
    try:
        url = f"http://127.0.0.1:{ours.recv()}/hit"
        print(f"venuekit Redis limiter benchmark ({'quick' if options.quick else 'full'}), "
              f"Python {sys.version.split()[0]}")
        print(f"\n{processes} processes x {count} requests at once, one API key, account rule "
              f"{RULE.limit} per {RULE.period_s:g} s, strict server (429 on the "
              f"{RULE.limit + 1}st in any window)")
        print(f"   {'limiter':<26}{'rejected':>10}{'sent/allowed':>14}{'wall s':>9}"
              f"{'calls/req':>11}{'client CPU s':>14}")
        figures = {}
        for backend, label in (("redis", "Redis, shared"),
                               ("memory", "in memory, per process")):
            result = figures[backend] = run(backend, processes, count, redis_server.url, url)
            calls = f"{result['calls']:.2f}" if result["calls"] else "-"
            print(f"   {label:<26}{result['rejected']:>10}{result['rate']:>14.3f}"
                  f"{result['wall']:>9.1f}{calls:>11}{result['cpu']:>14.2f}")
        shared = figures["redis"]
        ok = shared["rejected"] == 0 and shared["rate"] >= 0.95
        print(f"\n   Redis target (0 rejected, sent/allowed >= 0.95): {'met' if ok else 'MISSED'}"
              f"; in memory {figures['memory']['rejected']} of {figures['memory']['total']} "
              "were rejected")
        return 0 if ok else 1
    finally:
        ours.send("stop")
        server.join(5)
        redis_server.stop()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
