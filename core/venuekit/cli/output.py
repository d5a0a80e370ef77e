"""Tables for people, JSON for scripts, progress on stderr: every command prints through here.

Tables are drawn by rich (bold headers on a terminal, correct widths for wide characters)
but always rendered to plain lines first: cells are never read as rich markup (a venue's
error text may hold ``[brackets]``), nothing wraps when stdout is a pipe, and a script
that cuts columns sees the same two-space layout on a terminal and off one.
"""

from __future__ import annotations

import asyncio
import io
import json
import sys
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from ..convert import to_jsonable

__all__ = ["Progress", "emit_json", "progress", "progress_bar", "spinner_while", "table"]

T = TypeVar("T")

#: A wait shorter than this shows nothing: a spinner that flashes up for a fast command
#: is noise. Tests set it to zero.
SPINNER_DELAY_S = 0.75
#: How often the spinner's text is asked for again.
SPINNER_REFRESH_S = 0.2

#: wide enough that no table of ours wraps; lines are right-stripped afterwards
_RENDER_WIDTH = 10_000


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    grid = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0),
                 header_style="bold" if _is_terminal(sys.stdout) else "")
    for header in headers:
        grid.add_column(str(header), no_wrap=True, overflow="ignore")
    for row in rows:
        grid.add_row(*(Text("" if cell is None else str(cell)) for cell in row))
    buffer = io.StringIO()
    Console(file=buffer, width=_RENDER_WIDTH, force_terminal=_is_terminal(sys.stdout),
            highlight=False, soft_wrap=False).print(grid)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines())


def emit_json(value: Any) -> None:
    json.dump(to_jsonable(value), sys.stdout, indent=2, sort_keys=True, default=str)
    sys.stdout.write("\n")


def progress(message: str) -> None:
    """Progress lines go to stderr so ``--json`` output stays parseable."""
    print(message, file=sys.stderr, flush=True)


@contextmanager
def progress_bar(description: str, total: int) -> Iterator[Progress | None]:
    """A rich progress bar on stderr when it is a terminal, else ``None``: the caller then
    prints one line per item (``[2/5] name ok``), which logs and tests can read."""
    if not _is_terminal(sys.stderr):
        yield None
        return
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), console=Console(file=sys.stderr), transient=False)
    with bar:
        bar.add_task(description, total=total)
        yield bar


async def spinner_while(work: Awaitable[T], describe: Callable[[], str]) -> T:
    """Await ``work``; if it takes longer than :data:`SPINNER_DELAY_S` and stderr is a
    terminal, show a rich spinner there with ``describe()`` (asked again while waiting,
    so it can count pages). Off a terminal nothing is printed: logs stay clean."""
    task = asyncio.ensure_future(work)
    try:
        if not _is_terminal(sys.stderr):
            return await task
        await asyncio.wait({task}, timeout=SPINNER_DELAY_S)
        if not task.done():
            console = Console(file=sys.stderr, force_terminal=True, highlight=False)
            with console.status(Text(describe())) as status:
                while not task.done():
                    await asyncio.wait({task}, timeout=SPINNER_REFRESH_S)
                    status.update(Text(describe()))
        return task.result()
    finally:
        if not task.done():  # interrupted: stop the work with us
            task.cancel()
