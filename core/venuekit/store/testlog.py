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

from ..models import Credentials
from .atomic import atomic_write, fsync_dir

__all__ = ["REDACTED", "append", "read", "scrub", "secret_values"]

REDACTED = "***"

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


def append(path: Path, entry: Mapping[str, Any], *, max_entries: int) -> None:
    """Add one entry, dropping the oldest past ``max_entries``. Caller holds the store lock."""
    line = _encode(entry)
    try:
        existing = path.read_bytes()
    except FileNotFoundError:
        existing = b""
    end = existing.rfind(b"\n") + 1
    if end != len(existing):  # a torn line from a writer that died mid-append
        existing = existing[:end]
        with contextlib.suppress(FileNotFoundError):
            os.truncate(path, end)
    count = existing.count(b"\n")
    if count + 1 > max_entries:
        kept = existing.splitlines(keepends=True)[count + 1 - max_entries:]
        atomic_write(path, b"".join(kept) + line, mode=0o600)
        return
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)
    if not existing:  # a new directory entry is durable only once the directory is synced
        fsync_dir(path.parent)


def read(path: Path, *, offset: int = 0, limit: int = 50,
         max_entries: int | None = None) -> list[dict[str, Any]]:
    """Entries newest first, skipping ``offset`` of them; damaged lines are left out."""
    try:
        lines = path.read_bytes().splitlines()
    except FileNotFoundError:
        return []
    if max_entries is not None:
        lines = lines[-max_entries:] if max_entries > 0 else []
    entries: list[dict[str, Any]] = []
    for raw in reversed(lines):
        try:
            entry = json.loads(raw)
        except ValueError:
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return entries[offset:offset + limit]
