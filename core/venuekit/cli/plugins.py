"""`venuekit plugins`: what is installed, whether it loads, and which hooks it implements."""

from __future__ import annotations

import argparse
import textwrap
from typing import Any

from ..registry import default_registry
from .output import emit_json, table


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("plugins", help="list installed exchange plugins")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="show each plugin's module, the hooks it implements, and the full "
                             "reason a plugin did not load")
    parser.set_defaults(handler=run)


def _verbose(rows: list[dict[str, Any]]) -> str:
    blocks = []
    for r in rows:
        head = f"{r['name']}  {r['distribution'] or '(registered in code)'} {r['version'] or ''}"
        lines = [head.rstrip(), f"  module: {r['module']}"]
        if r["loaded"]:
            lines.append(f"  loaded: yes ({r.get('display_name', r['name'])})")
            hooks = f"  hooks ({len(r['hooks'])}): {', '.join(r['hooks'])}"
            lines.append(textwrap.fill(hooks, width=88, subsequent_indent="    "))
        else:
            lines.append("  loaded: NO")
            lines.append(f"  why: {r['error']}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def run(args: argparse.Namespace) -> int:
    rows = default_registry().describe()
    if args.json:
        emit_json(rows)
        return 0
    if not rows:
        print("no exchange plugins installed (pip install venuekit-binance, …)")
        return 0
    if args.verbose:
        print(_verbose(rows))
    else:
        print(table(["name", "distribution", "version", "loaded", "hooks"],
                    [[r["name"], r["distribution"], r["version"], "yes" if r["loaded"] else "NO",
                      len(r["hooks"]) if r["loaded"] else r["error"]] for r in rows]))
    return 0 if all(r["loaded"] for r in rows) else 1
