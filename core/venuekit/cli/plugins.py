"""venuekit plugins: what is installed, whether it loads, and which hooks it implements."""

from __future__ import annotations

import textwrap
from typing import Any

import click

from ..registry import default_registry
from .common import json_option, wants_json
from .output import emit_json, table

__all__ = ["plugins"]


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


@click.command("plugins", help="List installed exchange plugins.")
@click.option("-v", "--verbose", is_flag=True,
              help="Show each plugin's module, the hooks it implements, and the full reason "
                   "a plugin did not load.")
@json_option
def plugins(verbose: bool) -> int:
    rows = default_registry().describe()
    if wants_json():
        emit_json(rows)
        return 0
    if not rows:
        print("no exchange plugins installed (pip install venuekit-binance, …)")
        return 0
    if verbose:
        print(_verbose(rows))
    else:
        print(table(["name", "distribution", "version", "loaded", "hooks"],
                    [[r["name"], r["distribution"], r["version"], "yes" if r["loaded"] else "NO",
                      len(r["hooks"]) if r["loaded"] else r["error"]] for r in rows]))
    return 0 if all(r["loaded"] for r in rows) else 1
