"""`venuekit demo`: every installed plugin against its own simulator, on loopback.

For each venue: start its simulator, run the connection test, read the balance, place a
resting limit order and cancel it, all through the real core (limiter, signing, retries).
The result is one row per venue; success only when every row passes.
"""

from __future__ import annotations

import asyncio
import importlib
import time
from collections.abc import Callable
from decimal import ROUND_DOWN, ROUND_UP, Decimal
from types import ModuleType

from attrs import frozen

from .connector import connect
from .errors import VenuekitError
from .models import OrderParams, OrderStatus
from .registry import PluginInfo, Registry, default_registry
from .retry import RetryPolicy
from .testing.simulator import Simulator

__all__ = ["DemoRow", "find_simulator", "run_demo"]

EXAMPLE = "example"


@frozen
class DemoRow:
    exchange: str
    ok: bool
    check: str
    balance: str
    order: str
    cancel: str
    seconds: float
    error: str = ""


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


def _demo_order(sim: Simulator, symbol: str, step: Decimal, tick: Decimal,
                min_qty: Decimal, min_notional: Decimal | None) -> OrderParams:
    market = next(iter(sim.state.markets.values()))
    price = (market.price * Decimal("0.8") / tick).to_integral_value(ROUND_DOWN) * tick
    qty = max(min_qty, step)
    if min_notional:
        needed = (min_notional * Decimal("1.5") / price / step).to_integral_value(ROUND_UP) * step
        qty = max(qty, needed)
    return OrderParams(symbol=symbol, side="buy", type="limit", quantity=qty, price=price)


async def _run_one(name: str, sim_class: type[Simulator], registry: Registry) -> DemoRow:
    started = time.perf_counter()
    sim = sim_class()
    cells = {"check": "-", "balance": "-", "order": "-", "cancel": "-"}
    try:
        await sim.start()
        async with connect(name, sim.credentials, base_url=sim.api_url, registry=registry,
                           retry=RetryPolicy(max_tries=2, base_delay_s=0.05),
                           order_settle_s=0.5) as conn:
            report = await conn.check_connection()
            cells["check"] = "ok" if report.ok else "FAILED"
            if not report.ok:
                failed = next(s for s in report.steps if not s.ok)
                raise VenuekitError(f"{failed.name}: {failed.detail}")
            balance = await conn.fetch_balance()
            top = max(balance.assets, key=lambda a: a.total, default=None)
            cells["balance"] = f"{top.total.normalize():f} {top.asset}" if top else "empty"
            native = next(iter(sim.state.markets))
            market = await conn.market(native)
            order = await conn.place_order(_demo_order(
                sim, market.symbol, market.step_size, market.tick_size, market.min_quantity,
                market.min_notional))
            side = order.side.value if order.side else "?"
            cells["order"] = f"{side} {order.quantity} @ {order.price} {order.status.value}"
            cancelled = await conn.cancel_order(market.symbol, order_id=order.order_id)
            if cancelled.status is not OrderStatus.CANCELED:
                cancelled = await conn.fetch_order(market.symbol, order_id=order.order_id)
            cells["cancel"] = cancelled.status.value
            ok = cancelled.status is OrderStatus.CANCELED
            return DemoRow(name, ok, seconds=time.perf_counter() - started, **cells)
    except (VenuekitError, OSError) as exc:
        return DemoRow(name, False, seconds=time.perf_counter() - started,
                       error=f"{type(exc).__name__}: {exc}", **cells)
    finally:
        await sim.stop()


async def run_demo(registry: Registry | None = None, *, include_example: bool = False,
                   progress: Callable[[str], None] | None = None) -> list[DemoRow]:
    """Run the demo for every installed plugin that ships a simulator."""
    registry = registry or default_registry()
    plugins = registry.available()
    jobs: list[tuple[str, type[Simulator], Registry]] = []
    for plugin in plugins:
        sim_class = find_simulator(plugin)
        if sim_class is None:
            if progress:
                progress(f"{plugin.name}: no simulator shipped; skipped")
            continue
        jobs.append((plugin.name, sim_class, registry))
    if include_example or not jobs:
        from .testing.example import plugin as example_plugin
        from .testing.example.simulator import ExampleSimulator
        jobs.insert(0, (EXAMPLE, ExampleSimulator,
                        Registry(extra={EXAMPLE: example_plugin}, autoload=False)))
    if progress:
        progress(f"running {len(jobs)} venue(s) against loopback simulators…")
    return list(await asyncio.gather(*(_run_one(*job) for job in jobs)))
