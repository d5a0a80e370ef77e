"""HTTP API benchmark: ``GET /api/connections/active`` with 1,000 stored connections.

The server (the real API: token check, middlewares, the fingerprint-checked listing) runs
in this process; the load comes from a separate process (multiprocessing spawn) with 50
concurrent aiohttp clients on loopback. The baseline, measured in the same run against
the same server process, is a bare aiohttp handler returning the very same JSON bytes, so
the ratio is what the API adds over aiohttp itself. Also printed: what one full re-read
of the store costs (what a request pays when a write has just changed the store).

Run: ``python bench/bench_api.py [--quick] [-n 1000] [-c 50] [--seconds 8]``.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from aiohttp import web
from venuekit.api import create_app
from venuekit.models import Credentials
from venuekit.registry import Registry
from venuekit.store import ConnectionStatus, ConnectionStore, ExchangeConnection

TOKEN = "bench-token-0123456789abcdef"
PATH = "/api/connections/active"


def fill(store: ConnectionStore, count: int) -> None:
    """``count`` connections, most tested, a tenth disabled: a realistic listing."""
    tested = datetime.now(UTC)
    for i in range(count):
        store.add(ExchangeConnection(
            name=f"account {i:04d}", exchange=("binance", "okx", "bybit")[i % 3],
            is_testnet=i % 5 == 0, is_enabled=i % 10 != 0,
            last_test_status=ConnectionStatus.OK if i % 7 else ConnectionStatus.FAILED,
            last_test_balance={"USDT": Decimal("1234.5678") + i, "BTC": Decimal("0.015")},
            last_test_at=tested, api_capabilities=("read", "trade", "testnet"),
            secrets=Credentials(api_key=f"key-{i:08d}-ABCDEFGHIJKLMNOP",
                                api_secret=f"secret-{i:08d}-abcdefghijklmnop")))


# ---------------------------------------------------------------- the load (child process)


async def _load(url: str, clients: int, seconds: float, warmup: float) -> dict[str, Any]:
    import aiohttp

    headers = {"Authorization": f"Bearer {TOKEN}"}
    latencies: list[float] = []
    errors = 0
    size = 0
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:
        measuring = False
        deadline = time.perf_counter() + warmup

        async def worker() -> None:
            nonlocal errors, size
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                try:
                    async with session.get(url, headers=headers) as resp:
                        body = await resp.read()
                        ok = resp.status == 200
                except aiohttp.ClientError:
                    ok, body = False, b""
                if measuring:
                    latencies.append(time.perf_counter() - start)
                    errors += not ok
                    size = len(body)

        await asyncio.gather(*(worker() for _ in range(clients)))
        measuring = True
        began = time.perf_counter()
        deadline = began + seconds
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - began
    return {"latencies": latencies, "errors": errors, "elapsed": elapsed, "bytes": size}


def _client_main(url: str, clients: int, seconds: float, warmup: float,
                 pipe: Connection) -> None:
    pipe.send(asyncio.run(_load(url, clients, seconds, warmup)))
    pipe.close()


async def measure(url: str, clients: int, seconds: float, warmup: float) -> dict[str, Any]:
    """Run the load in a spawned process while this process's loop serves it."""
    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_client_main, args=(url, clients, seconds, warmup, send))
    proc.start()
    send.close()
    result: dict[str, Any] = await asyncio.to_thread(receive.recv)
    await asyncio.to_thread(proc.join)
    return result


# ---------------------------------------------------------------- reporting


def figures(result: dict[str, Any]) -> dict[str, float]:
    lat = sorted(result["latencies"])
    count = len(lat)
    return {"requests": count, "errors": result["errors"], "rps": count / result["elapsed"],
            "p50_ms": statistics.median(lat) * 1000,
            "p99_ms": lat[min(count - 1, int(count * 0.99))] * 1000, "bytes": result["bytes"]}


def row(name: str, f: dict[str, float]) -> str:
    return (f"{name:<22}{f['rps']:>10.0f}{f['p50_ms']:>10.2f}{f['p99_ms']:>10.2f}"
            f"{int(f['requests']):>10}{int(f['errors']):>8}")


async def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="venuekit-bench-api-") as tmp:
        store = ConnectionStore(Path(tmp) / "home")
        started = time.perf_counter()
        fill(store, args.connections)
        print(f"{args.connections} connections stored in {time.perf_counter() - started:.1f} s; "
              f"{args.clients} concurrent clients in a separate process, "
              f"{args.seconds:.0f} s per run after {args.warmup:.0f} s warm-up")

        fresh = ConnectionStore(store.root)
        started = time.perf_counter()
        listing = fresh.list()
        reread_ms = (time.perf_counter() - started) * 1000

        app = create_app(store, token=TOKEN, registry=Registry(autoload=False))
        api_runner = web.AppRunner(app, access_log=None)
        await api_runner.setup()
        await web.TCPSite(api_runner, "127.0.0.1", 0).start()
        api_url = f"http://127.0.0.1:{api_runner.addresses[0][1]}{PATH}"

        import aiohttp
        async with aiohttp.ClientSession() as session, session.get(
                api_url, headers={"Authorization": f"Bearer {TOKEN}"}) as resp:
            body = await resp.read()
        enabled = sum(1 for c in listing if c.is_enabled)

        async def same_bytes(request: web.Request) -> web.Response:
            return web.Response(body=body, content_type="application/json")

        baseline = web.Application()
        baseline.router.add_get(PATH, same_bytes)
        base_runner = web.AppRunner(baseline, access_log=None)
        await base_runner.setup()
        await web.TCPSite(base_runner, "127.0.0.1", 0).start()
        base_url = f"http://127.0.0.1:{base_runner.addresses[0][1]}{PATH}"

        try:
            base = figures(await measure(base_url, args.clients, args.seconds, args.warmup))
            api = figures(await measure(api_url, args.clients, args.seconds, args.warmup))
        finally:
            await api_runner.cleanup()
            await base_runner.cleanup()

    print(f"response: {len(body):,} bytes, {enabled} enabled connections\n")
    print(f"{'':<22}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'requests':>10}{'errors':>8}")
    print(row("baseline (same bytes)", base))
    print(row("venuekit API", api))
    print(f"\nAPI / baseline: {api['rps'] / base['rps']:.2f}x throughput, "
          f"p50 {api['p50_ms'] / base['p50_ms']:.2f}x, p99 {api['p99_ms'] / base['p99_ms']:.2f}x")
    print(f"a full re-read of the store (after any write): {reread_ms:.1f} ms")
    errors = api["errors"] + base["errors"]
    if errors:
        print(f"FAIL: {int(errors)} errors", file=sys.stderr)
        return 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--connections", type=int, default=1000)
    parser.add_argument("-c", "--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--quick", action="store_true", help="2 s runs (a smoke test)")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.warmup = 2.0, 0.5
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
