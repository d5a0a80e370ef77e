"""Core overhead benchmarks (issue: core foundation). Every figure is a ratio against a
baseline measured in the same run, interleaved, because the machines are shared and noisy.

1. Client CPU per balance call through Connector vs a hand-written aiohttp signed request to
   the same loopback simulator (target <= 1.3). The simulator runs in a child process so its
   CPU is not counted.
2. ``import venuekit; venuekit.available()`` wall time vs ``import aiohttp`` (target <= 1.2).

Run: python bench/bench_core.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import multiprocessing
import statistics
import subprocess
import sys
import time
from typing import Any

import aiohttp
import venuekit
import yarl
from venuekit.models import RateLimit
from venuekit.ratelimit import MemoryLimiter
from venuekit.registry import Registry
from venuekit.retry import RetryPolicy
from venuekit.testing.example import plugin as example_plugin
from venuekit.testing.example.simulator import ExampleSimulator


def serve(port_queue: Any, stop: Any) -> None:
    async def main() -> None:
        sim = ExampleSimulator()
        await sim.start()
        port_queue.put((sim.base_url, sim.credentials.api_key, sim.credentials.api_secret))
        while not stop.is_set():
            await asyncio.sleep(0.05)
        await sim.stop()

    asyncio.run(main())


async def raw_balance(session: aiohttp.ClientSession, base: str, key: str, secret: str) -> Any:
    ts = str(int(time.time() * 1000))
    payload = f"{ts}GET/v1/balance".encode()
    sig = hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
    url = yarl.URL(base + "/v1/balance", encoded=True)
    async with session.get(url, headers={"X-EX-KEY": key, "X-EX-TS": ts,
                                         "X-EX-SIGN": sig}) as resp:
        body = await resp.read()
    data = json.loads(body)
    if not data.get("ok"):
        raise RuntimeError(data)
    return data["data"]


async def cpu_ratio(base: str, key: str, secret: str, rounds: int,
                    per_round: int) -> dict[str, float]:
    registry = Registry(extra={"example": example_plugin}, autoload=False)
    creds = venuekit.Credentials(api_key=key, api_secret=secret)
    big = {"ip": RateLimit("ip", 10**9, 60.0), "orders": RateLimit("orders", 10**9, 10.0)}
    raw_cpu: list[float] = []
    kit_cpu: list[float] = []
    async with aiohttp.ClientSession() as session, venuekit.connect(
            "example", creds, base_url=base, registry=registry, limiter=MemoryLimiter(),
            retry=RetryPolicy.none(), rate_limits=big) as conn:
        await conn.fetch_balance()  # warm: clock sync, pool
        await raw_balance(session, base, key, secret)
        ratios: list[float] = []
        for _ in range(rounds):
            # ABBA order within a round, and the round's own ratio: slow drifts of the
            # shared machine hit both sides of a round alike and cancel out
            raw = await measure_raw(session, base, key, secret, per_round)
            kit = await measure_kit(conn, per_round)
            kit += await measure_kit(conn, per_round)
            raw += await measure_raw(session, base, key, secret, per_round)
            raw_cpu.append(raw / (2 * per_round))
            kit_cpu.append(kit / (2 * per_round))
            ratios.append(kit / raw)
    return {"raw_us": statistics.median(raw_cpu) * 1e6,
            "venuekit_us": statistics.median(kit_cpu) * 1e6,
            "ratio": statistics.median(ratios), "best_ratio": min(ratios),
            "worst_ratio": max(ratios)}


async def measure_raw(session: aiohttp.ClientSession, base: str, key: str, secret: str,
                      count: int) -> float:
    start = time.process_time()
    for _ in range(count):
        await raw_balance(session, base, key, secret)
    return time.process_time() - start


async def measure_kit(conn: Any, count: int) -> float:
    start = time.process_time()
    for _ in range(count):
        await conn.fetch_balance()
    return time.process_time() - start


def wall(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - start


def import_ratio(repeats: int) -> dict[str, float]:
    kit_code = "import venuekit; venuekit.available()"
    base_code = "import aiohttp"
    wall(kit_code), wall(base_code)  # warm the file cache
    kit: list[float] = []
    base: list[float] = []
    for _ in range(repeats):
        base.append(wall(base_code))
        kit.append(wall(kit_code))
    k, b = statistics.median(kit), statistics.median(base)
    return {"aiohttp_ms": b * 1000, "venuekit_ms": k * 1000, "ratio": k / b}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rounds, per_round, repeats = (7, 100, 7) if args.quick else (21, 200, 15)

    ctx = multiprocessing.get_context("spawn")
    ports, stop = ctx.Queue(), ctx.Event()
    server = ctx.Process(target=serve, args=(ports, stop), daemon=True)
    server.start()
    try:
        base, key, secret = ports.get(timeout=30)
        cpu = asyncio.run(cpu_ratio(base, key, secret, rounds, per_round))
    finally:
        stop.set()
        server.join(timeout=10)
    imp = import_ratio(repeats)

    print("venuekit core benchmarks (ratios against a baseline in the same run)")
    print(f"  client CPU per balance call: raw aiohttp {cpu['raw_us']:.0f} us, "
          f"Connector {cpu['venuekit_us']:.0f} us, ratio {cpu['ratio']:.2f} (target <= 1.3; "
          f"median of {rounds} paired rounds, range {cpu['best_ratio']:.2f}-"
          f"{cpu['worst_ratio']:.2f})")
    print(f"  import + available(): import aiohttp {imp['aiohttp_ms']:.0f} ms, venuekit "
          f"{imp['venuekit_ms']:.0f} ms, ratio {imp['ratio']:.2f} (target <= 1.2)")


if __name__ == "__main__":
    main()
