"""Listing the store for many readers: one directory scan serves every waiting request.

Reading and decoding a thousand connection files takes tens of milliseconds; a dashboard
polling ``/api/connections/active`` from several tabs would spend the server on it. So
the listing is cached under a *fingerprint* of the connections directory: the name,
inode, modification time and size of every file. The store replaces every file
atomically (a new inode each time) and no other writer is allowed, so any write by any
process changes the fingerprint, whatever the file system's timestamp resolution.
Checking the fingerprint is one ``scandir`` with a ``stat`` per file.

Concurrent requests share scans, and freshness is never traded for it: a request that
arrives while a scan runs waits for the *next* scan, which starts when the running one
ends and is shared by everyone who arrived meanwhile. So every answer reflects the store
as it was at some moment after the request arrived.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

from ..store import KEY_FILE, ConnectionStore, ExchangeConnection, LoadResult
from .responses import dumps

__all__ = ["Snapshot", "StoreListing", "active_view"]

Fingerprint = tuple[tuple[str, int, int, int], ...]


def fingerprint(directory: str | os.PathLike[str]) -> Fingerprint:
    """Name, inode, mtime (ns) and size of every entry; empty if the directory is absent."""
    found: list[tuple[str, int, int, int]] = []
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                try:
                    info = entry.stat(follow_symlinks=False)
                except FileNotFoundError:  # replaced or removed since the listing
                    found.append((entry.name, 0, -1, -1))
                    continue
                found.append((entry.name, info.st_ino, info.st_mtime_ns, info.st_size))
    except FileNotFoundError:
        return ()
    found.sort()
    return tuple(found)


def _key_file(store: ConnectionStore) -> Fingerprint:
    # a listing checks every file's key id against the keyring, so the key file counts too
    try:
        info = os.stat(store.root / KEY_FILE)
    except FileNotFoundError:
        return ()
    return ((KEY_FILE, info.st_ino, info.st_mtime_ns, info.st_size),)


#: What ``GET /api/connections/active`` shows of one enabled connection; the host of the
#: last test is among them, so a pass against a simulator never reads as a pass at the venue.
ACTIVE_FIELDS = ("id", "name", "exchange", "is_testnet", "api_key", "base_url",
                 "last_test_status", "last_test_balance", "last_test_at",
                 "last_test_base_url", "last_test_custom_host", "api_capabilities")


def active_view(conn: ExchangeConnection) -> dict[str, Any]:
    """What ``GET /api/connections/active`` shows of one enabled connection."""
    view = conn.public_view()
    return {key: view[key] for key in ACTIVE_FIELDS}


class Snapshot:
    """One listing of the store, and each rendering of it encoded at most once."""

    def __init__(self, result: LoadResult) -> None:
        self.result = result
        self._encoded: dict[str, bytes] = {}

    def encoded(self, view: str, render: Callable[[LoadResult], Any]) -> bytes:
        """The JSON bytes of ``render(result)``, computed on first use of ``view``."""
        body = self._encoded.get(view)
        if body is None:
            body = self._encoded[view] = dumps(render(self.result))
        return body


class StoreListing:
    """The store's current listing, shared by concurrent readers (see the module doc)."""

    def __init__(self, store: ConnectionStore) -> None:
        self.store = store
        self._fingerprint: Fingerprint | None = None
        self._snapshot: Snapshot | None = None
        self._running: asyncio.Future[Snapshot] | None = None
        self._next: asyncio.Future[Snapshot] | None = None
        self.scans = 0  # how many times the files were actually read (for tests)

    async def current(self) -> Snapshot:
        """A listing taken after this call began."""
        if self._running is None:
            return await asyncio.shield(self._start())
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
        return await asyncio.shield(self._next)

    def _start(self) -> asyncio.Future[Snapshot]:
        task = asyncio.ensure_future(asyncio.to_thread(self._refresh))
        self._running = task
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Future[Snapshot]) -> None:
        if not task.cancelled():
            task.exception()  # retrieved: its awaiters have seen it, or have gone
        self._running = None
        waiting, self._next = self._next, None
        if waiting is None:
            return
        following = self._start()

        def hand_over(done: asyncio.Future[Snapshot]) -> None:
            if waiting.done():
                return
            if done.cancelled():
                waiting.cancel()
            elif (error := done.exception()) is not None:
                waiting.set_exception(error)
            else:
                waiting.set_result(done.result())

        following.add_done_callback(hand_over)

    def _refresh(self) -> Snapshot:
        # runs in a worker thread, never two at once: ``current`` starts one scan at a time
        seen = fingerprint(self.store.connections_dir) + _key_file(self.store)
        if self._snapshot is None or seen != self._fingerprint:
            # the fingerprint is taken first: a write during the listing changes the next
            # one, so a listing that missed it is never mistaken for fresh
            self._snapshot = Snapshot(self.store.list())
            self._fingerprint = seen
            self.scans += 1
        return self._snapshot
