"""venuekit demo: the whole host-side path on every installed plugin's simulator.

See :mod:`venuekit.demo`; ``venuekit sandbox`` keeps the same simulators running instead.
"""

from __future__ import annotations

import asyncio

import click

from ..demo import run_demo, venues
from . import common
from .common import UsageError, json_option, wants_json
from .output import emit_json, progress, table

__all__ = ["demo"]


@click.command("demo", short_help="Run every plugin end to end on its loopback simulator.",
    help="Start the simulator of every installed plugin (or of the "
               "EXCHANGEs named) on loopback and, for each, store a connection in a temporary "
               "store, test it, fetch the balance, place a resting limit order, list the "
               "open orders and positions (n/a where the venue has none), cancel the "
               "order, then place a marketable one and wait for its fill on the venue's "
               "fills stream (n/a where it has none). Exit 0 only when every venue passes. "
               "Nothing touches your own store or the network.")
@click.argument("names", metavar="[EXCHANGE]...", nargs=-1)
@click.option("--with-example", is_flag=True, help="Also run the built-in example exchange.")
@json_option
def demo(names: tuple[str, ...], with_example: bool) -> int:
    wanted = [name.lower() for name in dict.fromkeys(names)]
    if wanted:
        known = {venue.name for venue in venues(common.registry(), include_example=True)}
        unknown = [name for name in wanted if name not in known]
        if unknown:
            raise UsageError(f"no simulator for {', '.join(unknown)}; available: "
                             f"{', '.join(sorted(known))}")
    rows = asyncio.run(run_demo(common.registry(),
                                include_example=with_example or "example" in wanted,
                                progress=progress, only=wanted or None))
    if wants_json():
        emit_json(rows)
    else:
        print(table(["exchange", "result", "test", "balance", "order", "open orders",
                     "positions", "cancel", "stream", "store", "time"],
                    [[r.exchange, "PASS" if r.ok else "FAIL", r.check, r.balance, r.order,
                      r.open_orders, r.positions, r.cancel, r.stream, r.store,
                      f"{r.seconds:.2f}s"] for r in rows]))
        for row in rows:
            if row.error:
                print(f"{row.exchange}: {row.error}")
    return 0 if rows and all(r.ok for r in rows) else 1
