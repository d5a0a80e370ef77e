"""`venuekit plugins`: what is installed, whether it loads, and which hooks it implements."""

from __future__ import annotations

import argparse
from typing import Any

from ..registry import default_registry
from .output import emit_json, table


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("plugins", help="list installed exchange plugins")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    rows = default_registry().describe()
    if args.json:
        emit_json(rows)
        return 0
    if not rows:
        print("no exchange plugins installed (pip install venuekit-binance, …)")
        return 0
    print(table(["name", "distribution", "version", "loaded", "hooks"],
                [[r["name"], r["distribution"], r["version"], "yes" if r["loaded"] else "NO",
                  len(r["hooks"]) if r["loaded"] else r["error"]] for r in rows]))
    return 0 if all(r["loaded"] for r in rows) else 1
