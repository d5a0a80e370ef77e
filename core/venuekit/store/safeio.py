"""Reading files the store did not necessarily write, and saying why an I/O call failed.

Everything under the store's root can be replaced by anyone who can write there, by a
sync tool, or by a disk that filled up halfway. A reader must therefore survive a FIFO
(opening one blocks until a writer appears), a directory or symlink where a file should
be, a file of any size, and JSON that the standard parser handles badly: nesting deep
enough to exhaust the recursion limit, or an integer past the 4,300 digits Python agrees
to convert. Each becomes :class:`Unreadable`, which callers report against that one file.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
from pathlib import Path

from ..errors import StoreError

__all__ = ["MAX_CONNECTION_BYTES", "MAX_JSON_DEPTH", "MAX_KEY_FILE_BYTES", "MAX_LOG_BYTES",
           "Unreadable", "io_failure", "parse_json", "read_regular", "read_tail"]

#: A connection file is a few kilobytes; the test log lines it carries are bounded too.
MAX_CONNECTION_BYTES = 1 << 20
#: A key file holds a handful of 32-byte keys.
MAX_KEY_FILE_BYTES = 64 << 10
#: How much of a test log is read at most: its newest part, where paging starts.
MAX_LOG_BYTES = 4 << 20
#: Nothing the store writes nests deeper than 4; this leaves room and stays far below
#: the interpreter's recursion limit.
MAX_JSON_DEPTH = 32

_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_O_BINARY = getattr(os, "O_BINARY", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class Unreadable(Exception):
    """A file the store refuses to read or parse; the message says why, never its content."""


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISLNK, "a symbolic link"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")):
        if test(mode):
            return name
    return "not a plain file"


def read_regular(path: Path, *, max_bytes: int, follow_symlinks: bool = False) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``max_bytes``.

    Opened non-blocking, so a FIFO is seen (and refused) instead of waited on, and with
    ``O_NOFOLLOW`` unless ``follow_symlinks``. ``FileNotFoundError`` passes through
    (callers treat a vanished file as gone); so does any other ``OSError``.
    """
    return _read(path, max_bytes, follow_symlinks=follow_symlinks, tail=False)[0]


def read_tail(path: Path, *, max_bytes: int) -> tuple[bytes, bool]:
    """The last ``max_bytes`` of a regular file, and whether anything before them was cut.

    For files that only grow at the end (a log): the newest part is the useful one.
    """
    return _read(path, max_bytes, follow_symlinks=False, tail=True)


def _read(path: Path, max_bytes: int, *, follow_symlinks: bool,
          tail: bool) -> tuple[bytes, bool]:
    if not follow_symlinks:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode):
            raise Unreadable(f"not a regular file ({_kind(st.st_mode)})")
    flags = os.O_RDONLY | _O_NONBLOCK | _O_BINARY | _O_CLOEXEC
    if not follow_symlinks:
        flags |= _O_NOFOLLOW
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENXIO, errno.EISDIR):  # swapped since the lstat
            raise Unreadable("not a regular file") from None
        raise
    cut = False
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Unreadable(f"not a regular file ({_kind(st.st_mode)})")
        if st.st_size > max_bytes:
            if not tail:
                raise Unreadable(f"larger than {max_bytes} bytes ({st.st_size}): not a file "
                                 "the store wrote")
            os.lseek(fd, st.st_size - max_bytes, os.SEEK_SET)
            cut = True
        chunks: list[bytes] = []
        left = max_bytes + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 16))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > max_bytes:  # grew while being read
        if not tail:
            raise Unreadable(f"larger than {max_bytes} bytes: not a file the store wrote")
        data, cut = data[-max_bytes:], True
    return data, cut


_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def _depth(raw: bytes) -> int:
    """The deepest nesting of ``raw``, ignoring brackets inside strings."""
    depth = deepest = 0
    for token in _TOKENS.finditer(raw):
        char = token.group()[:1]
        if char in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif char in (b"]", b"}"):
            depth -= 1
    return deepest


def parse_json(raw: bytes, *, max_depth: int = MAX_JSON_DEPTH) -> object:
    """``json.loads`` that fails with :class:`Unreadable` for every way a file can be bad.

    The depth is checked before parsing, and only when the file holds enough brackets to
    possibly exceed it, which keeps ordinary files on the C parser alone.
    """
    if raw.count(b"[") + raw.count(b"{") > max_depth and _depth(raw) > max_depth:
        raise Unreadable(f"nested deeper than {max_depth} levels: not a file the store wrote")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Unreadable("not UTF-8 text: the file is damaged or not a store file") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise Unreadable(f"not valid JSON ({exc.msg} at line {exc.lineno} column "
                         f"{exc.colno}): the file is damaged or was edited by hand") from None
    except ValueError:  # int_max_str_digits: an integer of thousands of digits
        raise Unreadable("holds a number too long to read: not a file the store wrote"
                         ) from None
    except RecursionError:
        raise Unreadable("nested too deeply to read: not a file the store wrote") from None


_CAUSES = {
    errno.ENOSPC: "disk full (ENOSPC)",
    errno.EDQUOT: "disk quota exceeded (EDQUOT)",
    errno.EROFS: "read-only file system (EROFS)",
    errno.EACCES: "permission denied (EACCES)",
    errno.EPERM: "operation not permitted (EPERM)",
    errno.EIO: "input/output error (EIO)",
} if hasattr(errno, "EDQUOT") else {
    errno.ENOSPC: "disk full (ENOSPC)",
    errno.EROFS: "read-only file system (EROFS)",
    errno.EACCES: "permission denied (EACCES)",
    errno.EPERM: "operation not permitted (EPERM)",
    errno.EIO: "input/output error (EIO)",
}


def io_failure(exc: OSError, path: Path | str, doing: str, *, kept: bool = False) -> StoreError:
    """A ``StoreError`` naming the file, the action and the cause of an ``OSError``.

    ``doing`` is a gerund ("writing", "reading"); ``kept`` says the write failed before
    replacing anything, which every write path of the store guarantees, so the user knows
    nothing was half-done.
    """
    if exc.errno in _CAUSES:
        cause = _CAUSES[exc.errno]
    else:
        code = errno.errorcode.get(exc.errno or 0)
        cause = f"{exc.strerror or type(exc).__name__}" + (f" ({code})" if code else "")
    message = f"{cause} {doing} {path}"
    if kept:
        message += ": the previous contents are unchanged"
    if exc.errno in _FULL:
        message += "; free some space and retry"
    error = StoreError(message)
    error.path = str(path)
    return error


_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
