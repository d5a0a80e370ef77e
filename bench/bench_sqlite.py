"""Benchmark of the SQLite limiter: the processes of one machine sharing one API key's limit.

Run ``python bench/bench_sqlite.py`` (~30 s) or ``--quick`` (~10 s). No server needed: the
limiter file lives in a temp directory.

1. accuracy   4 processes x 250 requests, all fired at once, share one account rule of 50
              per 1 s and hit a strict loopback server that answers 429 to the 51st request
              in any 1 s window (measured at arrival). Made twice: ``sqlite`` (one file for
              all) and ``memory`` (each process its own limiter: together four times the
              limit), the contrast. Target for SQLite: 0 rejections, sent/allowed >= 0.95.
2. CPU        CPU microseconds per acquire in one process, room always there (the cost a
              request pays when nobody waits), SQLite as a ratio to the in-memory backend
              measured in the same run; and the client CPU per request of run 1.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_ratelimit import _serve
from bench_redis import KEY, RULE, _worker
from venuekit.models import RateLimit
from venuekit.ratelimit import Demand, Limiter, MemoryLimiter, make_limiter, sqlite_url


def run(backend: str, processes: int, count: int, limiter_url: str,
        url: str) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(processes + 1)
    pipes, workers = [], []
    bucket = f"{backend}-{time.monotonic_ns()}"
    for _ in range(processes):
        ours, theirs = context.Pipe()
        worker = context.Process(target=_worker, args=(backend, limiter_url, url, bucket,
                                                       count, ready, theirs), daemon=True)
        worker.start()
        pipes.append(ours)
        workers.append(worker)
    ready.wait()
    began = time.monotonic()
    results = [pipe.recv() for pipe in pipes]
    wall = time.monotonic() - began
    for worker in workers:
        worker.join(10)
    sent = sorted(at for result in results for at in result["sent"])
    total = len(sent)
    span = sent[-1] - sent[0]
    return {
        "rejected": sum(result["rejected"] for result in results),
        "rate": (total - RULE.limit) / span / (RULE.limit / RULE.period_s) if span else 0.0,
        "wall": wall,
        "cpu_us": sum(result["cpu"] for result in results) / total * 1e6,
        "calls": sum(result["round_trips"] for result in results) / total,
        "total": total,
    }


async def cpu_per_acquire(limiter: Limiter, count: int) -> float:
    demand = Demand(KEY, RateLimit("roomy", 10**9, 1.0), 1)
    for _ in range(100):  # warm up: file opened, statements cached
        (await limiter.acquire([demand])).settle()
    cpu = time.process_time()
    for _ in range(count):
        (await limiter.acquire([demand])).settle()
    per = (time.process_time() - cpu) / count * 1e6
    await limiter.aclose()
    return per


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="4 x 100 requests (~10 s)")
    options = parser.parse_args()
    processes, count = 4, 100 if options.quick else 250
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    server = context.Process(target=_serve, args=(theirs,), daemon=True)
    server.start()
    scratch = Path(tempfile.mkdtemp(prefix="venuekit-bench-sqlite-"))
    try:
        url = f"http://127.0.0.1:{ours.recv()}/hit"
        print(f"venuekit SQLite limiter benchmark ({'quick' if options.quick else 'full'}), "
              f"Python {sys.version.split()[0]}")
        print(f"\n1. accuracy: {processes} processes x {count} requests at once, one API key, "
              f"account rule {RULE.limit} per {RULE.period_s:g} s, strict server")
        print(f"   {'limiter':<26}{'rejected':>10}{'sent/allowed':>14}{'wall s':>9}"
              f"{'CPU us/req':>12}{'txn/req':>9}")
        figures = {}
        for backend, label in (("sqlite", "SQLite, shared"),
                               ("memory", "in memory, per process")):
            result = figures[backend] = run(backend, processes, count,
                                            sqlite_url(scratch / "limits.sqlite"), url)
            print(f"   {label:<26}{result['rejected']:>10}{result['rate']:>14.3f}"
                  f"{result['wall']:>9.1f}{result['cpu_us']:>12.0f}"
                  f"{result['calls'] or float('nan'):>9.2f}")
        n = 5_000 if options.quick else 20_000
        memory = asyncio.run(cpu_per_acquire(MemoryLimiter(), n))
        sqlite = asyncio.run(cpu_per_acquire(
            make_limiter(sqlite_url(scratch / "cpu.sqlite")), n))
        print(f"\n2. CPU per acquire, one process, room always there ({n:,} acquires + settle)")
        print(f"   {'MemoryLimiter':<26}{memory:>10.1f} us")
        print(f"   {'SqliteLimiter':<26}{sqlite:>10.1f} us{sqlite / memory:>9.1f}x memory")
        shared = figures["sqlite"]
        ok = shared["rejected"] == 0 and shared["rate"] >= 0.95
        print(f"\n   SQLite target (0 rejected, sent/allowed >= 0.95): "
              f"{'met' if ok else 'MISSED'}; in memory {figures['memory']['rejected']} of "
              f"{figures['memory']['total']} were rejected")
        return 0 if ok else 1
    finally:
        ours.send("stop")
        server.join(5)


if __name__ == "__main__":
    raise SystemExit(main())
