"""Tables for people, JSON for scripts: every command prints through here."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from ..convert import to_jsonable


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip()
             for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def emit_json(value: Any) -> None:
    json.dump(to_jsonable(value), sys.stdout, indent=2, sort_keys=True, default=str)
    sys.stdout.write("\n")


def progress(message: str) -> None:
    """Progress lines go to stderr so ``--json`` output stays parseable."""
    print(message, file=sys.stderr, flush=True)
