"""Client CPU per request: venuekit and CCXT against a hand-written aiohttp client (issue 16).

How it measures, and why:

* One loopback server process for everyone: the binance plugin's own simulator
  (:class:`venuekit_binance.simulator.BinanceSimulator`) with signature checking **on**, so
  every client must sign correctly or fail, and the answers have Binance's shapes (CCXT's
  ``load_markets`` reads the simulator's ``exchangeInfo``). Its CPU is never counted.
* Three client processes, each importing only its own library: ``raw`` (aiohttp plus
  hashlib: signs and sends the same requests as venuekit, parses the JSON and checks the
  status, nothing more), ``venuekit`` (``venuekit.connect("binance", ...)`` as a user
  writes it, default limiter and retry policy) and ``ccxt`` (``ccxt.async_support
  .binanceusdm`` with its URLs pointed at the server and ``enableRateLimit: False``).
* Imports, connect and ``fetch_markets``/``load_markets`` happen before anything is
  measured, then a warm-up of both paths. The plugin's rate limits are raised far above
  what the run sends: venuekit's limiter runs on every request but never waits.
* Two paths: a signed balance call (CCXT: implicit ``fapiPrivateV3GetBalance``, the
  endpoint venuekit uses) and a signed limit order (venuekit ``place_order``, CCXT unified
  ``create_order``; the raw client signs and sends the same order fields as venuekit, with
  a counter for its client order id).
* Each measure: ``--requests`` requests per client and round (2,000 by default) at
  concurrency 16; the client
  process's own user+sys CPU (``resource.getrusage(RUSAGE_SELF)``) over the measure,
  divided by the request count (user-only ratios are printed too: on loopback the
  kernel's work for ``send`` is charged to the sender and swings with the server's load).
  Only one client runs at a time.
* Several rounds; within a round each client's requests run in ten pieces, the clients
  taking turns per piece in alternating order (ABC CBA ABC ...), so slow drifts of the
  shared machine hit all three alike. Each round gives its own venuekit/raw and ccxt/raw
  ratio; the report gives the median ratio with its min-max spread.

Also measured: ``import venuekit; venuekit.available()`` wall time against
``import aiohttp`` (core issue; target <= 1.2).

CCXT is installed only in the nox ``bench`` session; without it the CCXT column is skipped.

Run: python bench/bench_core.py [--quick] [--rounds N] [--requests N] [--profile PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import multiprocessing
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from multiprocessing.connection import Connection
from typing import Any

CONCURRENCY = 16
#: each round's measure per client, in interleaved pieces (clients alternate per piece)
CHUNKS = 10
PATHS = ("balance", "order")
CLIENTS = ("raw", "venuekit", "ccxt")
#: the limit order every client sends: rests below the simulator's 50000 (nothing fills)
ORDER_SYMBOL_NATIVE = "BTCUSDT"
ORDER_SYMBOL = "BTC/USDT:USDT"
ORDER_QTY = "0.003"
ORDER_PRICE = "40000"
BALANCE_PATH = "/fapi/v3/balance"
ORDER_PATH = "/fapi/v1/order"
RAISED_LIMIT = 10**9  # far above anything the run sends: the limiter never waits


# ---------------------------------------------------------------- server process


def serve(out: Any, stop: Any) -> None:
    """The loopback Binance USD-M simulator, signature checks on, a bottomless balance."""

    async def main() -> None:
        from venuekit_binance.simulator import BinanceSimulator

        sim = BinanceSimulator(balances={"USDT": Decimal(10) ** 15})
        await sim.start()
        creds = sim.credentials
        out.put((sim.base_url, creds.api_key, creds.api_secret))
        while not stop.is_set():
            await asyncio.sleep(0.05)
            # the request log is for tests; a bench run would grow it without bound
            sim.stats.requests.clear()
            sim.stats.raw_targets.clear()
        await sim.stop()

    asyncio.run(main())


# ---------------------------------------------------------------- clients


Step = Callable[[], Awaitable[object]]


class RawClient:
    """What a careful user writes by hand with aiohttp: sign, send, read, check."""

    name = "raw"

    def __init__(self, base: str, key: str, secret: str) -> None:
        import aiohttp
        import yarl

        self._aiohttp = aiohttp
        self._yarl = yarl
        self.base, self.key, self.secret = base, key, secret.encode()
        self.session: Any = None
        self.counter = 0

    async def setup(self) -> None:
        self.session = self._aiohttp.ClientSession()
        async with self.session.get(self.base + "/fapi/v1/exchangeInfo") as resp:
            json.loads(await resp.read())

    async def close(self) -> None:
        await self.session.close()

    def _signed(self, params: str) -> str:
        sig = hmac.new(self.secret, params.encode(), hashlib.sha256).hexdigest()
        return f"{params}&signature={sig}"

    async def balance(self) -> object:
        ts = int(time.time() * 1000)
        query = self._signed(f"recvWindow=5000&timestamp={ts}")
        url = self._yarl.URL(f"{self.base}{BALANCE_PATH}?{query}", encoded=True)
        async with self.session.get(url, headers={"X-MBX-APIKEY": self.key}) as resp:
            body = await resp.read()
            status = resp.status
        data = json.loads(body)
        if status != 200:
            raise RuntimeError(data)
        return data

    async def order(self) -> object:
        self.counter += 1
        ts = int(time.time() * 1000)
        body = self._signed(
            f"symbol={ORDER_SYMBOL_NATIVE}&side=BUY&type=LIMIT&quantity={ORDER_QTY}"
            f"&price={ORDER_PRICE}&timeInForce=GTC&newClientOrderId=raw{os.getpid()}x"
            f"{self.counter}&newOrderRespType=RESULT&recvWindow=5000&timestamp={ts}")
        url = self._yarl.URL(self.base + ORDER_PATH, encoded=True)
        async with self.session.post(
                url, data=body.encode(),
                headers={"X-MBX-APIKEY": self.key,
                         "Content-Type": "application/x-www-form-urlencoded"}) as resp:
            raw = await resp.read()
            status = resp.status
        data = json.loads(raw)
        if status != 200:
            raise RuntimeError(data)
        return data


class VenuekitClient:
    """``venuekit.connect`` as a user writes it, with the plugin's limits raised."""

    name = "venuekit"

    def __init__(self, base: str, key: str, secret: str) -> None:
        os.environ.pop("VENUEKIT_LIMITER_URL", None)  # the in-process limiter, as by default
        import attrs
        import venuekit
        from venuekit.models import OrderParams, OrderType, Side
        from venuekit.registry import default_registry

        self._params = (OrderParams, OrderType, Side)
        plugin = default_registry().load("binance")
        raised = {rule.name: attrs.evolve(rule, limit=RAISED_LIMIT)
                  for rule in plugin.info.rate_limits}
        self.conn = venuekit.connect("binance", venuekit.Credentials(api_key=key,
                                                                     api_secret=secret),
                                     base_url=base, rate_limits=raised)

    async def setup(self) -> None:
        await self.conn.fetch_markets()

    async def close(self) -> None:
        await self.conn.close()

    async def balance(self) -> object:
        return await self.conn.fetch_balance()

    async def order(self) -> object:
        order_params, order_type, side = self._params
        return await self.conn.place_order(order_params(
            symbol=ORDER_SYMBOL, side=side.BUY, type=order_type.LIMIT,
            quantity=Decimal(ORDER_QTY), price=Decimal(ORDER_PRICE)))


class CcxtClient:
    """CCXT's binanceusdm, every fapi URL pointed at the simulator, its throttle off."""

    name = "ccxt"

    def __init__(self, base: str, key: str, secret: str) -> None:
        import ccxt.async_support as ccxt_async

        self.exchange = ccxt_async.binanceusdm({
            "apiKey": key, "secret": secret, "enableRateLimit": False,
            "options": {"fetchMarkets": {"types": ["linear"]}, "fetchCurrencies": False,
                        "adjustForTimeDifference": False},
        })
        api = self.exchange.urls["api"]
        for name in list(api):
            if name.startswith("fapi"):
                version = api[name].rsplit("/", 1)[-1]
                api[name] = (f"{base}/futures/data" if name == "fapiData"
                             else f"{base}/fapi/{version}")

    async def setup(self) -> None:
        await self.exchange.load_markets()

    async def close(self) -> None:
        await self.exchange.close()

    async def balance(self) -> object:
        return await self.exchange.fapiPrivateV3GetBalance()

    async def order(self) -> object:
        return await self.exchange.create_order(ORDER_SYMBOL, "limit", "buy",
                                                float(ORDER_QTY), float(ORDER_PRICE))


async def run_many(step: Step, count: int, concurrency: int) -> None:
    """``count`` calls of ``step``, ``concurrency`` in flight; the first failure aborts."""
    left = count

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            await step()

    await asyncio.gather(*(worker() for _ in range(concurrency)))


def cpu_seconds() -> tuple[float, float]:
    """This process's (user + sys, user) CPU seconds so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime, usage.ru_utime


def client_main(name: str, base: str, key: str, secret: str, warmup: int,
                conn: Connection, profile: str | None, source: str | None) -> None:
    """One client process: set up, warm up, then measure whatever the parent asks.

    ``source`` is another checkout of this repository: its core and binance plugin are
    imported instead of the installed ones (to compare two versions in one run).
    """
    makers = {"raw": RawClient, "venuekit": VenuekitClient, "ccxt": CcxtClient,
              "baseline": VenuekitClient}
    if source:
        sys.path[:0] = [os.path.join(source, "core"), os.path.join(source, "plugins", "binance")]

    async def main() -> None:
        client = makers[name](base, key, secret)
        await client.setup()
        for path in PATHS:
            await run_many(getattr(client, path), warmup, CONCURRENCY)
        conn.send(("ready", None))
        import cProfile
        profiles = {path: cProfile.Profile() for path in PATHS}
        try:
            while True:
                msg = conn.recv()
                if msg[0] == "stop":
                    break
                _, path, count = msg
                step = getattr(client, path)
                if profile:
                    profiles[path].enable()
                start = cpu_seconds()
                await run_many(step, count, CONCURRENCY)
                end = cpu_seconds()
                if profile:
                    profiles[path].disable()
                conn.send(("done", ((end[0] - start[0]) / count, (end[1] - start[1]) / count)))
            if profile:
                for path, prof in profiles.items():
                    prof.dump_stats(f"{profile}.{name}.{path}")
        finally:
            await client.close()

    try:
        asyncio.run(main())
    except BaseException as exc:  # the parent must hear about it, not wait forever
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        raise


# ---------------------------------------------------------------- orchestration


def available_clients() -> list[str]:
    try:
        import ccxt  # noqa: F401
    except ImportError:
        print("  (ccxt is not installed: the CCXT column is skipped; `nox -s bench` has it)")
        return ["raw", "venuekit"]
    return list(CLIENTS)


def receive(conn: Connection, name: str) -> Any:
    kind, value = conn.recv()
    if kind == "error":
        raise RuntimeError(f"{name} client failed: {value}")
    return value


def cpu_rounds(rounds: int, requests: int, warmup: int, profile: str | None,
               baseline: str | None) -> dict[str, dict[str, list[float]]]:
    """Per path and client: CPU seconds per request, one figure per round."""
    ctx = multiprocessing.get_context("spawn")
    out, stop = ctx.Queue(), ctx.Event()
    server = ctx.Process(target=serve, args=(out, stop), daemon=True)
    server.start()
    names = available_clients()
    if baseline:
        names.insert(2, "baseline")
    pipes: dict[str, Connection] = {}
    procs = []
    try:
        base, key, secret = out.get(timeout=60)
        for name in names:
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=client_main, daemon=True,
                               args=(name, base, key, secret, warmup, child, profile,
                                     baseline if name == "baseline" else None))
            proc.start()
            pipes[name] = parent
            procs.append(proc)
            receive(parent, name)  # one at a time: setups do not share the CPU
        results: dict[str, dict[str, list[float]]] = {
            path: {key: [] for name in names for key in (name, f"{name}:user")}
            for path in PATHS}
        chunk = requests // CHUNKS
        flip = False
        for _ in range(rounds):
            for path in PATHS:
                spent = dict.fromkeys(names, 0.0)
                user = dict.fromkeys(names, 0.0)
                for _ in range(CHUNKS):
                    # ABC CBA ...: drifts of the shared machine hit every client alike
                    for name in names[::-1] if flip else names:
                        pipes[name].send(("run", path, chunk))
                        both, user_only = receive(pipes[name], name)
                        spent[name] += both * chunk
                        user[name] += user_only * chunk
                    flip = not flip
                for name in names:
                    results[path][name].append(spent[name] / (chunk * CHUNKS))
                    results[path][f"{name}:user"].append(user[name] / (chunk * CHUNKS))
        for name in names:
            pipes[name].send(("stop",))
        for proc in procs:
            proc.join(timeout=30)
        return results
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
        stop.set()
        server.join(timeout=10)


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


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f}x ({min(values):.2f}-{max(values):.2f})"


def report(results: dict[str, dict[str, list[float]]], rounds: int, requests: int) -> None:
    print(f"client CPU (user+sys) per request, {rounds} rounds x {requests} requests at "
          f"concurrency {CONCURRENCY}; ratios: median of the per-round ratios (min-max)")
    targets = {"balance": 1.15, "order": 1.25}
    for path in PATHS:
        per = results[path]
        clients = [name for name in per if ":" not in name]
        print(f"  {path} (venuekit target <= {targets[path]}x raw, and below ccxt)")
        print("    " + "  ".join(f"{name} {statistics.median(per[name]) * 1e6:.0f} us"
                                  for name in clients))
        for part, suffix in (("user+sys", ""), ("user only", ":user")):
            raw = per["raw" + suffix]
            cells = []
            for name in clients:
                if name == "raw":
                    continue
                ratios = [k / b for k, b in zip(per[name + suffix], raw, strict=True)]
                cells.append(f"{name}/raw {spread(ratios)}")
            if "baseline" in per:
                ratios = [k / b for k, b in zip(per["venuekit" + suffix],
                                                per["baseline" + suffix], strict=True)]
                cells.append(f"venuekit/baseline {spread(ratios)}")
            print(f"    {part:9s} " + "  ".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer rounds and requests")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--requests", type=int)
    parser.add_argument("--profile", metavar="PATH",
                        help="cProfile every measure to PATH.<client>.<path> (inflates CPU)")
    parser.add_argument("--no-import", action="store_true", help="skip the import ratio")
    parser.add_argument("--baseline", metavar="DIR",
                        help="also measure venuekit from another checkout (e.g. `git archive` "
                             "of main unpacked in DIR), as the 'baseline' client")
    args = parser.parse_args()
    rounds, requests, warmup, repeats = (3, 500, 200, 7) if args.quick else (5, 2000, 500, 11)
    rounds = args.rounds or rounds
    requests = args.requests or requests

    print("venuekit core benchmarks (ratios against baselines measured in the same run)")
    results = cpu_rounds(rounds, requests, warmup, args.profile, args.baseline)
    report(results, rounds, requests)
    if not args.no_import:
        imp = import_ratio(repeats)
        print(f"import + available(): import aiohttp {imp['aiohttp_ms']:.0f} ms, venuekit "
              f"{imp['venuekit_ms']:.0f} ms, ratio {imp['ratio']:.2f} (target <= 1.2)")


if __name__ == "__main__":
    main()
