"""Client instructions per request, counted by valgrind: the hot-path ratios without noise.

``bench_core.py`` measures client CPU time, which is what users pay, but on a shared
2-core machine one round's venuekit/raw ratio swings by a fifth. This counts the user-space
instructions the client process executes instead (callgrind's ``Ir``), which repeats to
within half a percent, so a change worth one percent shows as one.

How it measures:

* The same loopback Binance simulator process and the same three clients as
  ``bench_core`` (raw aiohttp, venuekit, CCXT when installed), each client in a process of
  its own run under ``valgrind --tool=callgrind``. The server is never counted.
* Each client process sets up, warms up with 300 requests, then sends N requests at
  concurrency 16. It runs twice, with N and 2N; the difference divided by N is the count
  per request, so imports, setup and warm-up cancel out.
* Kernel work (the socket calls) is not counted, and neither are cache misses: the CPU
  ratios of ``bench_core`` stay the figures the targets are judged by. This one says which
  way a change moves the work and by how much.

``--source DIR`` also counts venuekit from another checkout (e.g. ``git worktree add``
of main), as the ``baseline`` client, for an A/B of a change in one run.

Run: python bench/instructions.py [--requests N] [--paths balance,order]
[--clients raw,venuekit] [--source DIR]
(needs valgrind: ``apt-get install valgrind``; ``nox -s instructions`` runs it)
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_core  # noqa: E402 - the clients and the server live there

WARMUP = 300
_COLLECTED = re.compile(r"Collected : (\d+)")


def child(client: str, path: str, requests: int, base: str, key: str, secret: str) -> None:
    """One measured client process: set up, warm up, then ``requests`` requests."""
    makers = {"raw": bench_core.RawClient, "venuekit": bench_core.VenuekitClient,
              "baseline": bench_core.VenuekitClient, "ccxt": bench_core.CcxtClient}

    async def main() -> None:
        maker = makers[client](base, key, secret)
        await maker.setup()
        step = getattr(maker, path)
        await bench_core.run_many(step, WARMUP, bench_core.CONCURRENCY)
        await bench_core.run_many(step, requests, bench_core.CONCURRENCY)
        await maker.close()

    asyncio.run(main())


def count(client: str, path: str, requests: int, server: tuple[str, str, str],
          source: str | None) -> int:
    """Instructions the client process executed for ``requests`` requests plus setup."""
    env = dict(os.environ, PYTHONHASHSEED="0")
    if source:  # the other checkout's core and binance plugin come first on the path
        env["PYTHONPATH"] = os.pathsep.join(
            [str(Path(source, "core")), str(Path(source, "plugins", "binance"))])
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
               sys.executable, __file__, "--child", client, path, str(requests), *server]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    found = _COLLECTED.search(done.stderr)
    if done.returncode != 0 or found is None:
        tail = "\n".join(done.stderr.splitlines()[-15:])
        raise RuntimeError(f"{client} {path} failed under valgrind:\n{tail}")
    return int(found.group(1))


def per_request(client: str, path: str, requests: int, server: tuple[str, str, str],
                source: str | None) -> float:
    """Instructions per request: the runs with N and 2N requests, differenced."""
    once = count(client, path, requests, server, source)
    twice = count(client, path, 2 * requests, server, source)
    return (twice - once) / requests


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--paths", default=",".join(bench_core.PATHS))
    parser.add_argument("--clients", help="comma-separated subset of raw,venuekit,ccxt "
                        "(CCXT takes most of the time under valgrind)")
    parser.add_argument("--source", metavar="DIR",
                        help="also count venuekit from this checkout, as 'baseline'")
    parser.add_argument("--child", nargs=6, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        client, path, requests, base, key, secret = args.child
        child(client, path, int(requests), base, key, secret)
        return
    if shutil.which("valgrind") is None:
        sys.exit("instructions.py needs valgrind (apt-get install valgrind)")
    paths = [p for p in args.paths.split(",") if p]
    unknown = set(paths) - set(bench_core.PATHS)
    if unknown:
        sys.exit(f"unknown paths {sorted(unknown)}; choose from {bench_core.PATHS}")
    clients = bench_core.available_clients()
    if args.clients:
        wanted = set(args.clients.split(","))
        if not wanted <= set(bench_core.CLIENTS) or "raw" not in wanted:
            sys.exit(f"--clients: a subset of {bench_core.CLIENTS} that includes raw")
        clients = [client for client in clients if client in wanted]
    if args.source:
        clients.insert(2, "baseline")

    ctx = multiprocessing.get_context("spawn")
    out, stop = ctx.Queue(), ctx.Event()
    server_proc = ctx.Process(target=bench_core.serve, args=(out, stop), daemon=True)
    server_proc.start()
    try:
        server = out.get(timeout=60)
        jobs = [(client, path) for path in paths for client in clients]
        print(f"client instructions per request (callgrind Ir), {args.requests} and "
              f"{2 * args.requests} requests at concurrency {bench_core.CONCURRENCY}, "
              f"{len(jobs)} measures", flush=True)
        results: dict[tuple[str, str], float] = {}
        # one measure per core: valgrind runs one thread, and counts do not depend on load
        with ThreadPoolExecutor(max_workers=max(os.cpu_count() or 1, 1)) as pool:
            futures = {job: pool.submit(per_request, *job, args.requests, server,
                                        args.source if job[0] == "baseline" else None)
                       for job in jobs}
            for (client, path), future in futures.items():
                results[client, path] = future.result()
                print(f"  measured {client} {path}", flush=True)
    finally:
        stop.set()
        server_proc.join(timeout=10)
    report(results, clients, paths)


def report(results: dict[tuple[str, str], float], clients: list[str],
           paths: list[str]) -> None:
    for path in paths:
        raw = results["raw", path]
        cells = [f"raw {raw / 1000:.0f}k"]
        for client in clients:
            if client != "raw":
                value = results[client, path]
                cells.append(f"{client} {value / 1000:.0f}k ({value / raw:.3f}x raw)")
        if "baseline" in clients:
            cells.append(f"venuekit/baseline "
                         f"{results['venuekit', path] / results['baseline', path]:.3f}x")
        print(f"  {path}: " + "  ".join(cells))


if __name__ == "__main__":
    main()
