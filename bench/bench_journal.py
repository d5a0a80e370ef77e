"""Order journal benchmarks (issue 12). Every figure is a ratio against a baseline measured
in the same run, interleaved, because the machines are shared and noisy.

1. Wall time per order with the journal (one fsynced send record, one outcome record) vs
   the same order without a journal, against the example venue's simulator on loopback in
   a child process. The journal lives on the filesystem of ``--dir`` (default: a temporary
   directory under the current one; a tmpfs would hide the cost of fsync).
2. ``recover()`` over 1,000 unresolved entries (half at the venue, half never placed) vs
   the same 1,000 look-ups by client order id without a journal, at the same concurrency.

Run: python bench/bench_journal.py [--quick] [--dir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import venuekit
from venuekit.connector import Connector
from venuekit.journal import OrderJournal, account_id
from venuekit.models import OrderParams
from venuekit.ratelimit import MemoryLimiter
from venuekit.recovery import RECOVERY_CONCURRENCY
from venuekit.registry import Registry
from venuekit.retry import RetryPolicy
from venuekit.testing.example import plugin as example_plugin
from venuekit.testing.example.simulator import ExampleSimulator

NO_LIMITS: dict[str, Any] = {"ip": None, "orders": None}
ENTRIES = 1000


def serve(port_queue: Any, stop: Any) -> None:
    async def main() -> None:
        sim = ExampleSimulator()
        await sim.start()
        port_queue.put((sim.base_url, sim.credentials.api_key, sim.credentials.api_secret))
        while not stop.is_set():
            await asyncio.sleep(0.05)
        await sim.stop()

    asyncio.run(main())


def market_order(cid: str | None = None) -> OrderParams:
    return OrderParams(symbol="BTC/USDT:USDT", side="buy", type="market", quantity="0.001",
                       client_order_id=cid)


def connector(base: str, creds: venuekit.Credentials, journal: Path | None) -> Connector:
    return venuekit.connect("example", creds, base_url=base, journal=journal,
                            registry=Registry(extra={"example": example_plugin}, autoload=False),
                            limiter=MemoryLimiter(), retry=RetryPolicy.none(),
                            rate_limits=NO_LIMITS)


async def per_order(conn: Connector, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        await conn.place_order(market_order())
    return (time.perf_counter() - started) / count


async def order_cost(base: str, creds: venuekit.Credentials, directory: Path, rounds: int,
                     per_round: int) -> dict[str, float]:
    async with connector(base, creds, None) as plain, \
            connector(base, creds, directory / "orders.jsonl") as journaled:
        for conn in (plain, journaled):  # warm: markets, clock, pool, first recover()
            await conn.place_order(market_order())
        plain_s: list[float] = []
        journal_s: list[float] = []
        ratios: list[float] = []
        for _ in range(rounds):
            # ABBA within a round, and the round's own ratio: drifts hit both sides alike
            a1 = await per_order(plain, per_round)
            b1 = await per_order(journaled, per_round)
            b2 = await per_order(journaled, per_round)
            a2 = await per_order(plain, per_round)
            plain_s += [a1, a2]
            journal_s += [b1, b2]
            ratios.append((b1 + b2) / (a1 + a2))
    return {"plain_us": statistics.median(plain_s) * 1e6,
            "journal_us": statistics.median(journal_s) * 1e6,
            "ratio": statistics.median(ratios)}


async def recovery_cost(base: str, creds: venuekit.Credentials, directory: Path,
                        repeats: int) -> dict[str, float]:
    account = account_id("example", creds.api_key, testnet=False)
    long_ago = int(time.time() * 1000) - 3_600_000
    recover_s: list[float] = []
    lookups_s: list[float] = []
    async with connector(base, creds, None) as plain:
        placed = [await plain.place_order(market_order(f"bench-{i}"))
                  for i in range(ENTRIES // 2)]
        cids = [p.client_order_id or "" for p in placed]
        cids += [f"never-{i}" for i in range(ENTRIES - len(cids))]
        gate = asyncio.Semaphore(RECOVERY_CONCURRENCY)

        async def lookup(cid: str) -> None:
            async with gate:
                with contextlib.suppress(venuekit.OrderNotFound):
                    await plain.fetch_order("BTC/USDT:USDT", client_order_id=cid)

        for repeat in range(repeats):
            path = directory / f"recover-{repeat}.jsonl"
            journal = OrderJournal.open(path)
            for cid in cids:
                journal.sent(account, market_order(cid), "BTC/USDT:USDT", long_ago, 1.0)
            async with connector(base, creds, path) as conn:
                await conn.fetch_markets()
                started = time.perf_counter()
                items = await conn.recover()
                recover_s.append(time.perf_counter() - started)
            assert len(items) == ENTRIES
            assert not OrderJournal.open(path).unresolved(account)
            started = time.perf_counter()
            await asyncio.gather(*(lookup(cid) for cid in cids))
            lookups_s.append(time.perf_counter() - started)
    return {"recover_s": statistics.median(recover_s),
            "lookups_s": statistics.median(lookups_s),
            "ratio": statistics.median(r / b for r, b in zip(recover_s, lookups_s,
                                                             strict=True))}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--dir", type=Path, default=None,
                        help="where the journal is written (its filesystem is measured)")
    args = parser.parse_args()
    rounds, per_round, repeats = (5, 40, 3) if args.quick else (11, 100, 5)
    ctx = multiprocessing.get_context("spawn")
    port_queue, stop = ctx.Queue(), ctx.Event()
    proc = ctx.Process(target=serve, args=(port_queue, stop), daemon=True)
    proc.start()
    try:
        base, key, secret = port_queue.get(timeout=30)
        creds = venuekit.Credentials(api_key=key, api_secret=secret)
        with tempfile.TemporaryDirectory(dir=args.dir or Path.cwd()) as tmp:
            orders = asyncio.run(order_cost(base, creds, Path(tmp), rounds, per_round))
            recovery = asyncio.run(recovery_cost(base, creds, Path(tmp), repeats))
    finally:
        stop.set()
        proc.join(timeout=10)
    print("venuekit order journal benchmarks (ratios against a baseline in the same run)")
    print(f"  per order: no journal {orders['plain_us']:.0f} us, journal (fdatasync) "
          f"{orders['journal_us']:.0f} us -> ratio {orders['ratio']:.2f}")
    print(f"  recover() of {ENTRIES} unresolved entries: {recovery['recover_s'] * 1000:.0f} ms"
          f" vs {ENTRIES} plain look-ups {recovery['lookups_s'] * 1000:.0f} ms -> ratio "
          f"{recovery['ratio']:.2f}")


if __name__ == "__main__":
    main()
