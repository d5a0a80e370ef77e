"""Crash-safe file replacement and the store-wide write lock.

A connection file is never written in place: a reader, or a process that starts after a
crash, must find either the previous bytes or the next ones. The recipe is the classic one
(temp file in the same directory, fsync, ``os.replace``, fsync of the directory), because a
rename is atomic only within one file system and is durable only once the directory entry
itself has reached the disk.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from .safeio import io_failure

__all__ = ["TEMP_SUFFIX", "FileLock", "atomic_write", "ensure_private_dir", "fsync_dir",
           "remove_stale_temps", "write_synced"]

#: Temp files are dot-files ending in this suffix, so no reader mistakes one for data.
TEMP_SUFFIX = ".tmp"

_IS_WINDOWS = sys.platform == "win32"


def fsync_dir(directory: Path) -> None:
    """Make a rename or unlink in ``directory`` durable.

    Windows cannot open a directory for syncing; NTFS journals the rename instead.
    """
    if _IS_WINDOWS:
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def ensure_private_dir(directory: Path) -> None:
    """Create ``directory`` (and parents) readable by the owner only.

    ``mkdir(mode=...)`` is filtered by the umask, so the mode is set again explicitly on the
    directories this call created; a directory the user made beforehand keeps its mode.
    """
    missing: list[Path] = []
    current = directory
    while not current.exists():
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process won the race
            path.mkdir(mode=0o700)
            os.chmod(path, 0o700)


def write_synced(fd: int, data: bytes) -> None:
    """Write all of ``data`` to ``fd`` and fsync it; a short write is continued."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
    os.fsync(fd)


def atomic_write(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves the old bytes or the new ones.

    The temp file is created with ``mode`` before any byte is written: a file holding key
    material is never readable by others, not even for a moment. An ``OSError`` (a full
    disk above all) removes the temp file and becomes a ``StoreError`` naming ``path``;
    the old file is then untouched.
    """
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX,
                                        dir=path.parent)
    except OSError as exc:
        raise io_failure(exc, path, "writing", kept=True) from exc
    tmp = Path(tmp_name)
    try:
        if not _IS_WINDOWS:
            os.fchmod(fd, mode)
        write_synced(fd, data)
        os.close(fd)
        fd = -1
        os.replace(tmp, path)
    except BaseException as exc:
        if fd >= 0:
            os.close(fd)
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise io_failure(exc, path, "writing", kept=True) from exc
        raise
    try:
        fsync_dir(path.parent)
    except OSError as exc:  # the new file is in place but may not survive a power cut
        raise io_failure(exc, path.parent, "syncing the directory") from exc


def remove_stale_temps(directory: Path, *, min_age_s: float = 0.0) -> int:
    """Delete temp files left by writers that died before their rename.

    Only safe while holding the store lock: every writer of ``directory`` holds it, so any
    temp file seen then belongs to a writer that no longer exists. ``min_age_s`` covers
    directories where a writer might work without the lock (a key file made by hand).
    """
    removed = 0
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return 0
    cutoff = time.time() - min_age_s
    for entry in entries:
        if not (entry.name.startswith(".") and entry.name.endswith(TEMP_SUFFIX)):
            continue
        with contextlib.suppress(FileNotFoundError):
            if min_age_s and entry.stat().st_mtime > cutoff:
                continue
            os.unlink(entry.path)
            removed += 1
    return removed


class FileLock:
    """An exclusive lock shared by every process and thread that writes one store.

    ``flock`` excludes other open file descriptions, so the lock file is opened afresh for
    each acquisition (a descriptor inherited across ``fork`` would otherwise be shared with
    the parent). Threads of one process are also excluded by a plain mutex, because two
    threads of one process may run while the kernel lock belongs to either of them.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._mutex = threading.Lock()

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        with self._mutex:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                _lock(fd)
                yield
            finally:
                os.close(fd)  # closing the last descriptor releases the kernel lock


if sys.platform == "win32":
    import msvcrt

    def _lock(fd: int) -> None:
        while True:
            try:
                msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
                return
            except OSError:  # LK_LOCK gives up after ten seconds; a writer may take longer
                continue
else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)
