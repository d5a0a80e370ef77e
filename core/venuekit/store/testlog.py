"""The per-connection test log: append-only JSON lines, bounded, scrubbed of secrets.

Appending is one ``write`` to an ``O_APPEND`` descriptor, so the common case touches a few
hundred bytes, not the whole history. Once the file reaches its bound it is compacted with
an atomic replace, so a crash during compaction loses nothing but the entry being added.
A crash during an append can leave a torn last line; the next append (under the store
lock) cuts it off, and readers skip any line that is not a whole JSON object.

Scrubbing is the last line of defence, not the first: the test service writes no secret,
but an exchange echoing a key back inside an error message should still not put it on disk.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from attrs import frozen

from ..errors import StoreError
from ..models import Credentials
from .atomic import atomic_write, fsync_dir, write_synced
from .safeio import MAX_LOG_BYTES, Unreadable, io_failure, parse_json, read_tail

__all__ = ["REDACTED", "LogPage", "append", "read", "scrub", "secret_values"]

REDACTED = "***"

_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)

#: Shorter secrets are redacted only where a whole value equals them: replacing every
#: occurrence of, say, a four-digit passphrase would shred the log for little gain.
_MIN_SUBSTRING = 6


def secret_values(credentials: Credentials) -> tuple[str, ...]:
    """Every string that must not reach a log, longest first so overlaps redact fully."""
    values = {credentials.api_key, credentials.api_secret, credentials.passphrase or "",
              credentials.private_key or ""}
    return tuple(sorted((v for v in values if v), key=len, reverse=True))


def scrub(value: Any, secrets: Iterable[str]) -> Any:
    """Return ``value`` with every secret replaced by ``***``, in keys and values alike."""
    secrets = tuple(secrets)
    if not secrets:
        return value
    return _scrub(value, secrets)


def _scrub(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        return _scrub_text(value, secrets)
    if isinstance(value, Mapping):
        return {_scrub_text(str(k), secrets): _scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(item, secrets) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float) and str(value) in secrets:
        return REDACTED
    return value


def _scrub_text(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if text == secret:
            return REDACTED
        if len(secret) >= _MIN_SUBSTRING and secret in text:
            text = text.replace(secret, REDACTED)
    return text


def _encode(entry: Mapping[str, Any]) -> bytes:
    return (json.dumps(entry, ensure_ascii=False, default=str, separators=(",", ":"))
            + "\n").encode()


def _read_log(path: Path, doing: str) -> tuple[bytes, bool]:
    """The newest ``MAX_LOG_BYTES`` of a log and whether older bytes were left unread."""
    try:
        return read_tail(path, max_bytes=MAX_LOG_BYTES)
    except FileNotFoundError:
        raise
    except Unreadable as exc:
        raise StoreError(f"cannot use the test log: {exc}", path=str(path)) from None
    except OSError as exc:
        raise io_failure(exc, path, doing) from exc


def append(path: Path, entry: Mapping[str, Any], *, max_entries: int) -> None:
    """Add one entry, dropping the oldest past ``max_entries``. Caller holds the store lock.

    A failed append (a full disk) cuts the file back to its previous length, or removes
    it if this call created it: no empty file and no torn line is left behind.
    """
    line = _encode(entry)
    try:
        existing, cut = _read_log(path, "reading")
    except FileNotFoundError:
        existing, cut = b"", False
    if cut:  # older than the bound: the partial first line goes with the rest
        existing = existing[existing.find(b"\n") + 1:]
    end = existing.rfind(b"\n") + 1
    torn = end != len(existing)  # a writer died mid-append
    existing = existing[:end]
    count = existing.count(b"\n")
    if cut or count + 1 > max_entries:
        kept = existing.splitlines(keepends=True)[max(0, count + 1 - max_entries):]
        atomic_write(path, b"".join(kept) + line, mode=0o600)
        return
    created = not existing and not os.path.lexists(path)
    try:
        if torn:
            os.truncate(path, end)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | _O_NOFOLLOW, 0o600)
    except OSError as exc:
        raise io_failure(exc, path, "appending to", kept=True) from exc
    try:
        write_synced(fd, line)
    except OSError as exc:
        with contextlib.suppress(OSError):
            if created:
                os.unlink(path)
            else:
                os.ftruncate(fd, end)
                os.fsync(fd)
        raise io_failure(exc, path, "appending to", kept=True) from exc
    finally:
        os.close(fd)
    if created:  # a new directory entry is durable only once the directory is synced
        try:
            fsync_dir(path.parent)
        except OSError as exc:
            raise io_failure(exc, path.parent, "syncing the directory") from exc


@frozen
class LogPage:
    """Entries newest first, and how many lines of the log could not be read as one."""

    entries: tuple[dict[str, Any], ...]
    skipped: int = 0


def read(path: Path, *, offset: int = 0, limit: int = 50,
         max_entries: int | None = None) -> LogPage:
    """Entries newest first, skipping ``offset`` of them; damaged lines are counted, not read.

    At most the newest ``MAX_LOG_BYTES`` are read: a log grown past that by hand or by
    another tool costs a bounded read, not the whole file.
    """
    try:
        raw, cut = _read_log(path, "reading")
    except FileNotFoundError:
        return LogPage(())
    lines = raw.splitlines()
    if cut and lines:
        lines = lines[1:]
    if max_entries is not None:
        lines = lines[-max_entries:] if max_entries > 0 else []
    entries: list[dict[str, Any]] = []
    skipped = 0
    for line in reversed(lines):
        try:
            entry = parse_json(line)
        except Unreadable:
            skipped += 1
            continue
        if isinstance(entry, dict):
            entries.append(entry)
        else:
            skipped += 1
    return LogPage(tuple(entries[offset:offset + limit]), skipped)
