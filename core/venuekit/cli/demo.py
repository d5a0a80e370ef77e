"""`venuekit demo`: the whole host-side path on every installed plugin's simulator.

See :mod:`venuekit.demo`; `venuekit sandbox` keeps the same simulators running instead.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from ..demo import run_demo
from . import common
from .output import emit_json, progress, table


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "demo", help="store, test, balance, order and cancel on every plugin's loopback simulator",
        description="Start the simulator of every installed plugin on loopback and, for "
                    "each, store a connection in a temporary store, test it, fetch the "
                    "balance, place a resting limit order and cancel it. Exit 0 only when "
                    "every venue passes. Nothing touches your own store or the network.")
    parser.add_argument("--with-example", action="store_true",
                        help="also run the built-in example exchange")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    rows = asyncio.run(run_demo(common.registry(), include_example=args.with_example,
                                progress=progress))
    if args.json:
        emit_json(rows)
    else:
        print(table(["exchange", "result", "test", "balance", "order", "cancel", "store",
                     "time"],
                    [[r.exchange, "PASS" if r.ok else "FAIL", r.check, r.balance, r.order,
                      r.cancel, r.store, f"{r.seconds:.2f}s"] for r in rows]))
        for row in rows:
            if row.error:
                print(f"{row.exchange}: {row.error}")
    return 0 if rows and all(r.ok for r in rows) else 1
