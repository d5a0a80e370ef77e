"""`venuekit demo`: every installed plugin against its own simulator, on loopback.

What a host app does, end to end, once per venue: start the venue's simulator, store a
connection in a connection store, test it through the connection test service (which
records the outcome and the log), then read the balance, place a resting limit order, list
the open orders (the order must be among them) and the positions, and cancel the order,
all through the real core (limiter, signing, retries). The store is a temporary
directory under a freshly generated, in-memory master key, so the demo never reads or
writes the user's own store; before it is deleted, each venue's files are checked for the
venue's secrets in clear. The result is one row per venue; success only when every row
passes. An operation the venue declares absent (``NotSupported``, nothing sent) shows as
"n/a" and does not fail its row; one it claims and gets wrong does.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import tempfile
import time
from collections.abc import Callable, Collection
from decimal import ROUND_DOWN, ROUND_UP, Decimal
from pathlib import Path
from types import ModuleType

from attrs import frozen

from .connector import Connector, connect
from .errors import NotSupported, VenuekitError
from .models import OrderParams, OrderResult, OrderStatus
from .registry import PluginInfo, Registry, default_registry
from .retry import RetryPolicy
from .service import ConnectionTester
from .store import ConnectionStore, ExchangeConnection, Keyring, generate_key
from .store.testlog import secret_values
from .streams.watching import hub as stream_hub
from .testing.simulator import Simulator

__all__ = ["DemoRow", "Venue", "find_simulator", "run_demo", "venues"]

EXAMPLE = "example"

Progress = Callable[[str], None]


@frozen
class DemoRow:
    exchange: str
    ok: bool
    check: str
    balance: str
    order: str
    cancel: str
    seconds: float
    open_orders: str = "-"
    positions: str = "-"
    stream: str = "-"
    error: str = ""
    store: str = "-"


@frozen
class Venue:
    """An exchange the demo (and ``venuekit sandbox``) can run: its simulator and registry."""

    name: str
    simulator: type[Simulator]
    registry: Registry


def find_simulator(plugin: PluginInfo) -> type[Simulator] | None:
    """The Simulator subclass a plugin ships in ``<package>.simulator``, by convention."""
    package = plugin.module.split(":")[0].rsplit(".", 1)[0]
    try:
        module: ModuleType = importlib.import_module(f"{package}.simulator")
    except ImportError:
        return None
    for value in vars(module).values():
        if (isinstance(value, type) and issubclass(value, Simulator) and value is not Simulator
                and value.exchange == plugin.name):
            return value
    return None


def venues(registry: Registry | None = None, *, include_example: bool = False,
           progress: Progress | None = None) -> list[Venue]:
    """Every installed plugin that ships a simulator; the built-in example exchange too
    when asked for, or when no installed plugin has one."""
    registry = registry or default_registry()
    found: list[Venue] = []
    for plugin in registry.available():
        sim_class = find_simulator(plugin)
        if sim_class is None:
            if progress:
                progress(f"{plugin.name}: no simulator shipped; skipped")
            continue
        found.append(Venue(plugin.name, sim_class, registry))
    if (include_example or not found) and all(v.name != EXAMPLE for v in found):
        from .testing.example import plugin as example_plugin
        from .testing.example.simulator import ExampleSimulator
        found.insert(0, Venue(EXAMPLE, ExampleSimulator,
                              Registry(extra={EXAMPLE: example_plugin}, autoload=False)))
    return found


def _demo_order(sim: Simulator, symbol: str, step: Decimal, tick: Decimal,
                min_qty: Decimal, min_notional: Decimal | None, *,
                marketable: bool = False) -> OrderParams:
    """A limit buy resting 20% under the market, or (``marketable``) 10% over it, which
    fills at once at the market price."""
    market = next(iter(sim.state.markets.values()))
    factor = Decimal("1.1") if marketable else Decimal("0.8")
    price = (market.price * factor / tick).to_integral_value(ROUND_DOWN) * tick
    qty = max(min_qty, step)
    if min_notional:
        needed = (min_notional * Decimal("1.5") / price / step).to_integral_value(ROUND_UP) * step
        qty = max(qty, needed)
    return OrderParams(symbol=symbol, side="buy", type="limit", quantity=qty, price=price)


def _leaked(store: ConnectionStore, conn: ExchangeConnection) -> str | None:
    """The first of the connection's files holding one of its secrets in clear, if any."""
    secrets = [value.encode() for value in secret_values(conn.secrets)] if conn.secrets else []
    files = [store.path_of(conn.id), store.logs_dir / f"{conn.id}.jsonl"]
    for path in files:
        if path.exists() and any(secret in path.read_bytes() for secret in secrets):
            return path.name
    return None


NOT_AVAILABLE = "n/a"


async def _account_cells(connector: Connector, order: OrderResult) -> tuple[str, str, bool]:
    """The open-orders and positions cells after placing ``order``, and whether the open
    orders were right: the resting order listed (or the venue cannot list them)."""
    try:
        listed = await connector.fetch_open_orders(order.symbol)
    except NotSupported:
        open_cell, found = NOT_AVAILABLE, True
    else:
        found = any(o.order_id == order.order_id for o in listed)
        open_cell = f"{len(listed)} listed" if found else f"MISSING ({len(listed)} listed)"
    try:
        held = await connector.fetch_positions()
    except NotSupported:
        positions_cell = NOT_AVAILABLE
    else:
        positions_cell = f"{len(held)} open"
    return open_cell, positions_cell, found


#: How long the demo waits for a fill to arrive on the venue's stream.
STREAM_WAIT_S = 10.0


async def _stream_cell(connector: Connector, params: OrderParams) -> tuple[str, bool]:
    """Place a marketable order and wait for its fill on the fills stream: the cell, and
    whether it came (or the venue has no fills stream)."""
    source = aiter(connector.watch_fills(params.symbol))
    first = asyncio.ensure_future(anext(source))
    try:
        hub = stream_hub(connector)  # NotSupported where the venue has no streams
        deadline = time.monotonic() + STREAM_WAIT_S
        while not hub.ready():  # subscribed and resynced: a fill from now on is seen
            if first.done() or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.02)
        if first.done():
            first.result()  # raises NotSupported or the stream's failure
        sent = time.perf_counter()
        placed = await connector.place_order(params)
        async with asyncio.timeout(STREAM_WAIT_S):
            while True:
                fill = await first
                if fill.order_id == placed.order_id:
                    break
                first = asyncio.ensure_future(anext(source))
        waited = (time.perf_counter() - sent) * 1000
        return f"fill {fill.quantity} @ {fill.price} in {waited:.0f} ms", True
    except NotSupported:
        return NOT_AVAILABLE, True
    except TimeoutError:
        return f"no fill within {STREAM_WAIT_S:g} s", False
    finally:
        first.cancel()
        with contextlib.suppress(BaseException):
            await first


async def _run_one(venue: Venue, store: ConnectionStore) -> DemoRow:
    started = time.perf_counter()
    sim = venue.simulator()
    cells = {"check": "-", "balance": "-", "order": "-", "cancel": "-", "store": "-",
             "open_orders": "-", "positions": "-", "stream": "-"}
    listed = streamed = False
    retry = RetryPolicy(max_tries=2, base_delay_s=0.05)
    try:
        await sim.start()
        conn = await asyncio.to_thread(
            store.create, name=f"{venue.name}-demo", exchange=venue.name,
            credentials=sim.credentials)
        tester = ConnectionTester(store, registry=venue.registry, timeout_s=10.0,
                                  base_url_for=lambda _: sim.api_url,
                                  connect_options={"retry": retry, "order_settle_s": 0.5})
        outcome = await tester.test(conn.id)
        report = outcome.report
        latency = "" if report.latency_ms is None else f" {report.latency_ms:.0f} ms"
        cells["check"] = ("ok" if report.ok else "FAILED") + latency
        if not report.ok:
            failed = next(s for s in report.steps if not s.ok)
            raise VenuekitError(f"{failed.name}: {failed.detail}")
        credentials = await asyncio.to_thread(store.credentials, conn.id)
        async with connect(venue.name, credentials, base_url=sim.api_url,
                           stream_base_url=sim.api_url, registry=venue.registry, retry=retry,
                           order_settle_s=0.5) as connector:
            balance = await connector.fetch_balance()
            top = max(balance.assets, key=lambda a: a.total, default=None)
            cells["balance"] = f"{top.total.normalize():f} {top.asset}" if top else "empty"
            market = await connector.market(next(iter(sim.state.markets)))
            order = await connector.place_order(_demo_order(
                sim, market.symbol, market.step_size, market.tick_size, market.min_quantity,
                market.min_notional))
            side = order.side.value if order.side else "?"
            cells["order"] = f"{side} {order.quantity} @ {order.price} {order.status.value}"
            cells["open_orders"], cells["positions"], listed = await _account_cells(
                connector, order)
            cancelled = await connector.cancel_order(market.symbol, order_id=order.order_id)
            if cancelled.status is not OrderStatus.CANCELED:
                cancelled = await connector.fetch_order(market.symbol, order_id=order.order_id)
            cells["cancel"] = cancelled.status.value
            marketable = _demo_order(sim, market.symbol, market.step_size, market.tick_size,
                                     market.min_quantity, market.min_notional, marketable=True)
            cells["stream"], streamed = await _stream_cell(connector, marketable)
        leak = await asyncio.to_thread(_leaked, store, conn)
        cells["store"] = f"SECRET IN {leak}" if leak else "sealed"
        ok = cancelled.status is OrderStatus.CANCELED and leak is None and listed and streamed
        error = "" if listed else (f"open orders: the resting order {order.order_id} "
                                   "was not listed")
        if not streamed:
            error = error or "stream: the order's fill did not arrive on the fills stream"
        return DemoRow(venue.name, ok, seconds=time.perf_counter() - started, error=error,
                       **cells)
    except (VenuekitError, OSError) as exc:
        return DemoRow(venue.name, False, seconds=time.perf_counter() - started,
                       error=f"{type(exc).__name__}: {exc}", **cells)
    finally:
        await sim.stop()


async def run_demo(registry: Registry | None = None, *, include_example: bool = False,
                   progress: Progress | None = None,
                   only: Collection[str] | None = None) -> list[DemoRow]:
    """Run the demo for every installed plugin that ships a simulator (or for those named
    in ``only``), all at once."""
    jobs = venues(registry, include_example=include_example, progress=progress)
    if only is not None:
        jobs = [venue for venue in jobs if venue.name in only]
    if progress:
        progress(f"running {len(jobs)} venue(s) against loopback simulators, "
                 "with a temporary connection store…")
    done = 0

    async def one(venue: Venue, store: ConnectionStore) -> DemoRow:
        nonlocal done
        row = await _run_one(venue, store)
        done += 1
        if progress:
            progress(f"[{done}/{len(jobs)}] {row.exchange} {'PASS' if row.ok else 'FAIL'} "
                     f"{row.seconds:.2f}s")
        return row

    with tempfile.TemporaryDirectory(prefix="venuekit-demo-") as home:
        # an in-memory key: nothing here reads VENUEKIT_MASTER_KEY or any key file
        store = ConnectionStore(Path(home) / "store", keyring=Keyring.from_keys(generate_key()))
        return list(await asyncio.gather(*(one(venue, store) for venue in jobs)))
