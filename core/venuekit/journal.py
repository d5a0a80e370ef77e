"""The order journal: a host that dies between send and answer never loses an order.

Before any attempt of an order goes out, one JSON line naming its client order id, its
parameters and the venue-clock time it was signed at is appended to the journal and
fsynced. The outcome (placed, refused) is appended when known. After a crash,
:meth:`~venuekit.Connector.recover` reads the orders without an outcome and looks each up
by client order id; it never sends one again. So every order that can exist at the venue
is in the journal, and each one is resolved by the venue's own answer:

* found: the order as the venue reports it;
* not found once its receive window has closed (signed timestamp plus the window, on the
  venue's clock): it was never placed and never can be, reported as
  :class:`~venuekit.OrderNeverPlaced`;
* not found while the window is still open, or the venue cannot look orders up by client
  id, or the look-up failed: :class:`~venuekit.OrderStatusUnknown` (left unresolved, a
  later ``recover()`` tries again).

File format: JSON lines, appended with one ``write`` under an exclusive ``flock`` (several
connectors of one account may share a file), mode 0600, no secret in it (the account is a
hash of the API key). The send record is fsynced before the order leaves; outcomes are not
(one lost in a power cut only means one more look-up). A line torn by a crash mid-write is
skipped: its fsync never returned, so its order was never sent. The next append first ends
the torn line, so it can never glue onto a good one.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import logging
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from attrs import define, field, frozen

from .convert import to_jsonable
from .errors import ConfigurationError, StoreError, VenueError
from .models import OrderParams, OrderResult

__all__ = ["JournalEntry", "OrderJournal", "account_id"]

log = logging.getLogger("venuekit.journal")

#: Format version written into every record.
JOURNAL_VERSION = 1
FILE_MODE = 0o600
SEND, PLACED, REJECTED, ABSENT = "send", "placed", "rejected", "absent"
_OUTCOMES = frozenset({PLACED, REJECTED, ABSENT})

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def account_id(exchange: str, api_key: str | None, *, testnet: bool) -> str:
    """Which account a record belongs to, without the key: a hash, per environment."""
    digest = hashlib.sha256((api_key or "").encode()).hexdigest()[:16]
    return f"{exchange}:{'testnet' if testnet else 'live'}:{digest}"


@frozen(kw_only=True)
class JournalEntry:
    """One order as the journal tells it (the fold of its records, latest last)."""

    client_order_id: str
    account: str
    symbol: str
    params: Mapping[str, Any]
    #: venue-clock ms the latest attempt was signed at, and how long it may still execute
    signed_ms: int
    settle_ms: int
    #: "placed", "rejected" or "absent" once resolved; None while unresolved
    outcome: str | None = None

    @property
    def window_closes_ms(self) -> int:
        return self.signed_ms + self.settle_ms


@define
class OrderJournal:
    """One journal file. Cheap to create: every append opens, locks, writes and closes."""

    path: Path
    #: orders being placed right now by this process: recover() leaves them to their placer
    _in_flight: set[tuple[str, str]] = field(factory=set, init=False)

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> OrderJournal:
        """The journal at ``path``, created (0600) on first write in an existing directory.

        Raises:
            ConfigurationError: the directory does not exist or ``path`` is not a file.
        """
        target = Path(path).expanduser().absolute()
        if not target.parent.is_dir():
            raise ConfigurationError(f"order journal {target}: directory {target.parent} "
                                     "does not exist")
        if target.exists() and not target.is_file():
            raise ConfigurationError(f"order journal {target} is not a regular file")
        return _shared(target)

    # ------------------------------------------------------------ writing

    def append(self, record: Mapping[str, Any], *, durable: bool) -> None:
        """Append one record as one line; with ``durable``, return only once it is on disk.

        Raises:
            StoreError: the line could not be written (then, for a send record, the order
                is not sent).
        """
        line = json.dumps({"v": JOURNAL_VERSION, **record}, separators=(",", ":"),
                          sort_keys=True).encode() + b"\n"
        with _lock_for(self.path):
            try:
                self._write(line, durable)
            except OSError as exc:
                raise StoreError(f"cannot write the order journal {self.path}: "
                                 f"{exc.strerror or exc}") from None

    def _write(self, line: bytes, durable: bool) -> None:
        created = not self.path.exists()
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                line = b"\n" + line  # end a line torn by a crash; it stays unparseable
            view = memoryview(line)
            while view:
                view = view[os.write(fd, view):]
            if durable:
                os.fdatasync(fd)  # the data and the new size; mtime need not be durable
        finally:
            os.close(fd)  # releases the flock too
        if created:
            os.chmod(self.path, FILE_MODE)  # whatever the umask did
            if durable:
                _fsync_dir(self.path.parent)

    def sent(self, account: str, order: OrderParams, symbol: str, signed_ms: int,
             settle_s: float) -> None:
        assert order.client_order_id is not None
        self.append({"type": SEND, "account": account, "cid": order.client_order_id,
                     "symbol": symbol, "params": _params(order), "signed_ms": signed_ms,
                     "settle_ms": round(settle_s * 1000),
                     "at": datetime.now(UTC).isoformat(timespec="milliseconds")},
                    durable=True)

    def placed(self, account: str, result: OrderResult) -> None:
        assert result.client_order_id is not None
        self.append({"type": PLACED, "account": account, "cid": result.client_order_id,
                     "order_id": result.order_id, "status": result.status.value},
                    durable=False)

    def rejected(self, account: str, client_order_id: str, error: VenueError) -> None:
        # class and code only: a venue's message may echo what it should not
        self.append({"type": REJECTED, "account": account, "cid": client_order_id,
                     "error": type(error).__name__, "code": error.code}, durable=False)

    def absent(self, account: str, client_order_id: str) -> None:
        self.append({"type": ABSENT, "account": account, "cid": client_order_id},
                    durable=False)

    # ------------------------------------------------------------ reading

    def entries(self, account: str | None = None) -> list[JournalEntry]:
        """Every order of ``account`` (None: of every account), oldest first."""
        folded: dict[tuple[str, str], JournalEntry] = {}
        for record in self._records():
            key = (str(record.get("account")), str(record.get("cid")))
            if account is not None and key[0] != account:
                continue
            kind = record.get("type")
            known = folded.get(key)
            if kind == SEND:
                folded.pop(key, None)  # a resend moves the order to the end, pending again
                folded[key] = JournalEntry(
                    client_order_id=key[1], account=key[0], symbol=str(record["symbol"]),
                    params=record.get("params") or {}, signed_ms=int(record["signed_ms"]),
                    settle_ms=int(record["settle_ms"]))
            elif kind in _OUTCOMES and known is not None:
                folded[key] = JournalEntry(
                    client_order_id=known.client_order_id, account=known.account,
                    symbol=known.symbol, params=known.params, signed_ms=known.signed_ms,
                    settle_ms=known.settle_ms, outcome=str(kind))
        return list(folded.values())

    def unresolved(self, account: str) -> list[JournalEntry]:
        """Orders of ``account`` without an outcome that no placer of this process holds."""
        return [entry for entry in self.entries(account) if entry.outcome is None
                and (account, entry.client_order_id) not in self._in_flight]

    def _records(self) -> Iterator[dict[str, Any]]:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return
        except OSError as exc:
            raise StoreError(f"cannot read the order journal {self.path}: "
                             f"{exc.strerror or exc}") from None
        for number, raw in enumerate(data.split(b"\n"), 1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
                if not isinstance(record, dict) or record.get("type") not in (
                        _OUTCOMES | {SEND}):
                    raise ValueError("not a journal record")
                if record["type"] == SEND:
                    int(record["signed_ms"]), int(record["settle_ms"]), str(record["symbol"])
            except (ValueError, KeyError, TypeError, RecursionError):
                # a write torn by a crash: its fsync never returned, its order never left
                log.warning("order journal %s: line %d is not a record (torn write?); "
                            "skipped", self.path, number)
                continue
            yield record

    # ------------------------------------------------------------ in flight

    @contextmanager
    def placing(self, account: str, client_order_id: str) -> Iterator[None]:
        """Mark an order as held by a placer of this process, so recover() skips it."""
        key = (account, client_order_id)
        self._in_flight.add(key)
        try:
            yield
        finally:
            self._in_flight.discard(key)


@define
class JournalRecorder:
    """What the order placer reports, written to the journal (an ``OrderRecorder``)."""

    journal: OrderJournal
    account: str
    order: OrderParams
    symbol: str
    settle_s: float

    def sending(self, signed_ms: int) -> None:
        self.journal.sent(self.account, self.order, self.symbol, signed_ms, self.settle_s)

    def placed(self, result: OrderResult) -> None:
        self.journal.placed(self.account, result)

    def rejected(self, error: VenueError) -> None:
        assert self.order.client_order_id is not None
        self.journal.rejected(self.account, self.order.client_order_id, error)


def _params(order: OrderParams) -> dict[str, Any]:
    data = to_jsonable(order)
    assert isinstance(data, dict)
    return {key: value for key, value in data.items() if value is not None}


_journals: dict[Path, OrderJournal] = {}


def _shared(path: Path) -> OrderJournal:
    """One journal object per file and process, so every connector sees what is in flight."""
    with _locks_guard:
        journal = _journals.get(path)
        if journal is None:
            journal = _journals[path] = OrderJournal(path)
        return journal


def _lock_for(path: Path) -> threading.Lock:
    # flock excludes other processes; this excludes other threads of this one (flock
    # locks belong to the open file, and each append opens its own)
    with _locks_guard:
        return _locks.setdefault(str(path), threading.Lock())


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as exc:  # some filesystems refuse fsync on a directory
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP):
            raise
    finally:
        os.close(fd)
