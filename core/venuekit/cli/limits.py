"""Limits that hold across CLI processes: a SQLite limiter under the store's home.

Every CLI process used to keep its limiter in memory, so two quick commands (``order place``
then ``order status`` on Pionex) could together exceed the venue's 10 per second and earn a
ban. When ``VENUEKIT_LIMITER_URL`` is unset, the commands that reach a venue point it at
``sqlite:///<home>/limits.sqlite3`` for their duration, so every connector of the process
(through :func:`venuekit.ratelimit.select.shared_limiter`) and every other CLI process or
``venuekit serve`` on the machine draw on one sliding log. A URL the user set always wins.

The SQLite backend arrives with the ``sqlite://`` scheme in ``venuekit.ratelimit.select``
(its ``sqlite_url(path)`` helper); on a core without it this is a no-op and limits stay in
memory, as before.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..ratelimit import select

__all__ = ["LIMITS_FILE", "machine_limiter"]

LIMITS_FILE = "limits.sqlite3"


def _sqlite_url() -> Callable[[Path], str] | None:
    maker = getattr(select, "sqlite_url", None)
    return maker if callable(maker) else None


@contextmanager
def machine_limiter(root: Path) -> Iterator[str | None]:
    """Use the SQLite limiter under ``root`` while the block runs, unless the user chose a
    limiter or this core has no SQLite backend; yields the URL in force, or None."""
    maker = _sqlite_url()
    if os.environ.get(select.ENV_URL) or maker is None or not root.is_dir():
        yield None
        return
    url = maker(root / LIMITS_FILE)
    os.environ[select.ENV_URL] = url
    try:
        yield url
    finally:
        if os.environ.get(select.ENV_URL) == url:
            del os.environ[select.ENV_URL]
