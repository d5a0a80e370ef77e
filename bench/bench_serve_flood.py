"""`venuekit serve` under a slow-header flood: a legitimate request's latency, and the log.

The server runs in a child process with the file-descriptor limit many systems default to
(1,024), as the API does when a user starts ``venuekit serve``. The flood comes from a
second child process (so the legitimate client's event loop is not the flood's):
``--sockets`` connections (1,100 by default, spread over eleven loopback addresses) that
each send a partial request head and then one header line a second, and reconnect half a
second after the server closes them, as a slowloris client does.

Two servers are measured in the same run:

- ``plain``: the API on aiohttp's own runner and site, as ``venuekit serve`` ran it before
  :mod:`venuekit.api.server` (no head deadline, no connection cap);
- ``limited``: :func:`venuekit.api.server.start_server` with its default limits.

For each: the median latency of ``--requests`` legitimate requests (each on a fresh
connection, bearer token set) without a flood and under the flood, how many of them failed
or timed out (10 s bound), and how many bytes the server wrote to stderr during the flood.
The figure of merit is the ratio flood/no-flood of the limited server, measured in one run.

Run: ``python bench/bench_serve_flood.py [--quick] [--sockets 1100] [--requests 20]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

TOKEN = "bench-flood-token-0123456789abcdef"
PATH = "/api/settings/connections"
LEGIT_TIMEOUT_S = 10.0
FD_LIMIT = 1024
PARTIAL_HEAD = b"GET /api/settings/connections HTTP/1.1\r\nHost: 127.0.0.1\r\n"


# ---------------------------------------------------------------- the server (child)


async def _serve(mode: str) -> None:
    from aiohttp import web
    from venuekit.api import create_app
    from venuekit.api.server import start_server
    from venuekit.registry import Registry
    from venuekit.store import ConnectionStore, Keyring, generate_key
    from venuekit.testing.example import plugin as example_plugin

    with tempfile.TemporaryDirectory() as home:
        store = ConnectionStore(Path(home), keyring=Keyring.from_keys(generate_key()))
        registry = Registry(extra={"example": example_plugin}, autoload=False)
        app = create_app(store, token=TOKEN, registry=registry)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        if mode == "plain":
            runner = web.AppRunner(app)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = runner.addresses[0][1]
            print(port, flush=True)
            await stop.wait()
            await runner.cleanup()
        else:
            server = await start_server(app, "127.0.0.1", 0)
            print(server.port, flush=True)
            await stop.wait()
            await server.stop()


def _child(mode: str) -> None:
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(FD_LIMIT, hard), hard))
    asyncio.run(_serve(mode))


# ---------------------------------------------------------------- the load (parent)


async def _legit(port: int) -> float | None:
    """Seconds for one request on a fresh connection; ``None`` if it failed or timed out."""
    started = time.perf_counter()
    try:
        async with asyncio.timeout(LEGIT_TIMEOUT_S), aiohttp.ClientSession() as session, \
                session.get(f"http://127.0.0.1:{port}{PATH}",
                            headers={"Authorization": f"Bearer {TOKEN}"}) as resp:
            await resp.read()
            if resp.status != 200:
                return None
    except (TimeoutError, aiohttp.ClientError, OSError):
        return None
    return time.perf_counter() - started


async def _measure(port: int, count: int) -> tuple[list[float], int]:
    times: list[float] = []
    failed = 0
    for _ in range(count):
        took = await _legit(port)
        if took is None:
            failed += 1
        else:
            times.append(took)
        await asyncio.sleep(0.1)
    return times, failed


async def _slowloris(port: int, source: str, stop: asyncio.Event, opened: list[int]) -> None:
    while not stop.is_set():
        writer = None
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port,
                                                           local_addr=(source, 0))
            writer.write(PARTIAL_HEAD)
            opened[0] += 1
            while not stop.is_set():
                writer.write(b"X-a: b\r\n")
                await writer.drain()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(1.0):
                        if not await reader.read(4096):  # closed by the server
                            break
        except (OSError, ConnectionError):
            pass
        finally:
            if writer is not None:
                writer.close()
                with contextlib.suppress(OSError, ConnectionError):
                    await writer.wait_closed()
        if not stop.is_set():
            await asyncio.sleep(0.5)


async def _flood(port: int, sockets: int) -> None:
    """The flood process: runs until SIGTERM, then prints how many connections it opened."""
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    opened = [0]
    addresses = [f"127.0.0.{2 + n % 11}" for n in range(sockets)]
    tasks = [asyncio.create_task(_slowloris(port, a, stop, opened)) for a in addresses]
    await stop.wait()
    await asyncio.gather(*tasks, return_exceptions=True)
    print(opened[0], flush=True)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


async def _run_mode(mode: str, sockets: int, requests: int, settle_s: float) -> dict[str, float]:
    with tempfile.TemporaryFile() as err:
        server = subprocess.Popen([sys.executable, __file__, "--child", mode],
                                  stdout=subprocess.PIPE, stderr=err)
        try:
            assert server.stdout is not None
            port = int(await asyncio.to_thread(server.stdout.readline))
            await _measure(port, 3)  # warm up
            calm, calm_failed = await _measure(port, requests)
            before = os.fstat(err.fileno()).st_size
            flood = subprocess.Popen([sys.executable, __file__, "--flood", str(port),
                                      str(sockets)], stdout=subprocess.PIPE)
            try:
                await asyncio.sleep(settle_s)
                flooded, flood_failed = await _measure(port, requests)
            finally:
                await asyncio.to_thread(_stop, flood)
            assert flood.stdout is not None
            opened = int(flood.stdout.read() or b"0")
            log_bytes = os.fstat(err.fileno()).st_size - before
        finally:
            await asyncio.to_thread(_stop, server)
    calm_ms = statistics.median(calm) * 1000 if calm else float("nan")
    flood_ms = statistics.median(flooded) * 1000 if flooded else float("nan")
    print(f"{mode:>8}: no flood {calm_ms:7.1f} ms median ({calm_failed} failed of {requests})"
          f" | {sockets}-socket flood {flood_ms:7.1f} ms median ({flood_failed} failed or "
          f"timed out of {requests}) | flood connections opened {opened} | server "
          f"stderr during flood {log_bytes / 1024:.1f} KiB", flush=True)
    return {"calm_ms": calm_ms, "flood_ms": flood_ms, "flood_failed": flood_failed,
            "log_bytes": log_bytes}


async def _main(args: argparse.Namespace) -> None:
    sockets = 300 if args.quick else args.sockets
    requests = 5 if args.quick else args.requests
    settle = 2.0 if args.quick else args.settle
    print(f"serve flood: {sockets} slow-header sockets from 11 loopback addresses, server fd "
          f"limit {FD_LIMIT}, {requests} legitimate requests per phase")
    results = {mode: await _run_mode(mode, sockets, requests, settle)
               for mode in ("plain", "limited")}
    limited = results["limited"]
    print(f"limited server: flood/no-flood latency ratio "
          f"{limited['flood_ms'] / limited['calm_ms']:.2f}; plain server under flood: "
          f"{results['plain']['flood_failed']:.0f} of {requests} legitimate requests failed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", choices=["plain", "limited"], help=argparse.SUPPRESS)
    parser.add_argument("--flood", nargs=2, type=int, help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sockets", type=int, default=1100)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--settle", type=float, default=5.0,
                        help="seconds of flood before measuring")
    args, _ = parser.parse_known_args()  # nox -s bench forwards its posargs to every bench
    if args.child:
        _child(args.child)
        return
    if args.flood:
        asyncio.run(_flood(*args.flood))
        return
    if sys.platform != "linux":
        print("bench_serve_flood: needs Linux (floods from 127.0.0.2 and up); skipped")
        return
    asyncio.run(_main(args))


if __name__ == "__main__":
    main()
