"""What one ``fetch_my_trades`` of 1,000 fills costs on each venue (issue 14's measure).

Per installed venue that declares FETCH_MY_TRADES: its simulator (in this process, through
the in-process sender, so only the core's and the plugin's work and the venue's limits
count) holds 1,000 fills on one market, with the venue's documented page size; the core
pages them with the plugin's own limits on. Reported: requests sent, the limiter weight
they cost (the sum of each request's declared costs), wall time with limits on, and, as
the baseline of the same run, wall time of the same read with every limit removed; the
ratio is what the venue's limits cost.

Run: python bench/bench_fills.py
"""

from __future__ import annotations

import asyncio
import time
from decimal import ROUND_CEILING
from typing import Any

import venuekit
from attrs import evolve
from venuekit.demo import venues
from venuekit.models import Capability
from venuekit.ratelimit import MemoryLimiter
from venuekit.testing import InProcessSender, Simulator

FILLS = 1000
#: The venues' documented page sizes for their fill history (the simulators default to 3).
PAGE_SIZES = {"binance": 1000, "bybit": 100, "okx": 100, "bingx": 1000, "pionex": 100,
              "orangex": 100}
BASE_URL = "http://venue.invalid"


def _seed(sim: Simulator, native: str, count: int) -> None:
    """``count`` market orders, alternating sides, each filling once at the market price."""
    market = sim.state.market(native)
    quantity = market.min_quantity
    if market.min_notional:  # enough for the venue's minimum order value
        steps = (market.min_notional / market.price / market.step_size).to_integral_value(
            rounding=ROUND_CEILING)
        quantity = max(quantity, steps * market.step_size)
    for index in range(count):
        order = sim.state.place(symbol=native, side="buy" if index % 2 == 0 else "sell",
                                type="market", quantity=quantity, price=None,
                                client_order_id=f"bench{index}", time_in_force="GTC",
                                reduce_only=False, dedupe_open_only=True)
        assert order.filled > 0, "the simulator did not fill a market order"
    # a second apart, as a real account's fills are (a venue that pages by time window
    # cannot split a millisecond holding more fills than its page)
    now_ms = int(time.time() * 1000)
    sim.state.fills[:] = [evolve(fill, time_ms=now_ms - (len(sim.state.fills) - i) * 1000)
                          for i, fill in enumerate(sim.state.fills)]


def _set_page_size(sim_class: type[Simulator], name: str) -> None:
    size = PAGE_SIZES.get(name)
    if size is None:
        return
    for attribute in dir(sim_class):
        if "page" in attribute and isinstance(getattr(sim_class, attribute), int):
            setattr(sim_class, attribute, size)


async def _read(name: str, sim: Simulator, symbol: str,
                rate_limits: dict[str, Any] | None) -> tuple[int, int, float]:
    sender = InProcessSender.for_simulator(sim)
    conn = venuekit.connect(name, sim.credentials, base_url=BASE_URL + sim.api_prefix,
                            sender=sender, limiter=MemoryLimiter(),
                            rate_limits=rate_limits)
    async with conn:
        await conn.fetch_markets()
        sender.requests.clear()
        started = time.perf_counter()
        fills = await conn.fetch_my_trades(symbol, limit=FILLS)
        elapsed = time.perf_counter() - started
    assert len(fills) == FILLS, f"{name}: read {len(fills)} fills, not {FILLS}"
    weight = sum(sum((r.request.cost if r.request else {}).values()) for r in sender.requests)
    return len(sender.requests), weight, elapsed


async def main() -> None:
    print("fetch_my_trades of 1,000 fills, venue page sizes, in process "
          "(ratio: with the venue's limits / all limits removed, same run)")
    for venue in venues(include_example=False):
        registry = venue.registry
        info = registry.load(venue.name).info
        if not info.has(Capability.FETCH_MY_TRADES):
            print(f"  {venue.name:8} fills not supported (NotSupported)")
            continue
        _set_page_size(venue.simulator, venue.name)
        # two venues with the same 1,000 fills: one enforcing its limits, one without any
        limited, free = venue.simulator(), venue.simulator(limits=())
        market = next(iter(limited.state.markets.values()))
        for sim in (limited, free):
            _seed(sim, market.native, FILLS)
        probe = venuekit.connect(venue.name, free.credentials,
                                 base_url=BASE_URL + free.api_prefix,
                                 sender=InProcessSender.for_simulator(free),
                                 limiter=MemoryLimiter())
        async with probe:
            symbol = next(m.symbol for m in await probe.fetch_markets()
                          if m.native == market.native)
        unlimited = {rule.name: None for rule in info.rate_limits}
        free_requests, _, free_s = await _read(venue.name, free, symbol, unlimited)
        requests, weight, limited_s = await _read(venue.name, limited, symbol, None)
        print(f"  {venue.name:8} {requests:4} requests ({free_requests} without limits), "
              f"weight {weight:5}, "
              f"{limited_s:7.3f} s with limits, {free_s:6.3f} s without: "
              f"{limited_s / free_s:6.1f}x")


if __name__ == "__main__":
    asyncio.run(main())
