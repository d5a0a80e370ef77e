"""The SQLite limiter: every process on one machine shares its limits, without a server.

Select it with ``VENUEKIT_LIMITER_URL=sqlite:///absolute/path.sqlite`` or
``make_limiter(sqlite_url(path))``. It keeps the in-memory backend's promises, with one
database file as the arbiter: the CLI run twice in a row, or a host and a CLI, then draw on
the same buckets.

**One transaction per decision.** Every acquire attempt is one ``BEGIN IMMEDIATE``
transaction (the write lock is taken first, so two processes never both read "room" and
both take it): drop what has expired on the request's keys, read each bucket's log, its
block and its waiting line, and either write the grant or say how long to wait. The file is
in WAL mode with ``synchronous=NORMAL``: readers never wait for the writer, and a commit is
a write to the WAL without an fsync. A power cut may lose the last few grants; the venue's
window is shorter than a reboot anyway.

**Waiting: one timer, no polling.** The answer "wait" comes with the earliest moment the
request's cost fits, computed from the log (the end of the entry whose expiry frees enough
room), so the waiter sleeps once on one timer and tries again. If someone took the room
meanwhile (another process's ticket ahead, feedback, a block), the new transaction says
how much longer; nothing wakes on a fixed tick.

**Fairness: tickets.** As in the Redis backend, a request that cannot go at once takes a
ticket in every bucket it needs, numbered from one counter shared by every process, so the
order is the order of arrival at the database. A ticket may take when every bucket has room
for it *and for every ticket ahead of it*; a new request goes at once only if there is room
on top of every ticket. Nobody is overtaken. A ticket has a deadline (its wake-up time plus
``ticket_grace_s``), renewed at every attempt; a process that died leaves the line when the
deadline passes.

**Clock.** Wall-clock seconds (``time.time``): the one clock every process on the machine
shares and that survives a restart of the process. A log entry can never end more than one
window from now, so when the clock steps back, entries are cut to that (waits never grow
beyond a window); a step forward ends windows early, as it would at the venue's side.

**Runs on the event loop's thread.** An uncontended transaction takes tens of
microseconds, less than a hop to a worker thread would; under contention it waits for the
lock at most ``timeout_s`` (SQLite's busy timeout) and then raises
:class:`~venuekit.errors.LimiterUnavailable`, as a stalled Redis does: nothing was sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from ..errors import ConfigurationError, LimiterUnavailable
from ..models import RateLimit
from .base import Demand, Limiter, Permit, Sleepers, merge_demands

__all__ = ["SqliteLimiter"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS log (
    id INTEGER PRIMARY KEY, key TEXT NOT NULL, until REAL NOT NULL, cost INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS log_key ON log (key, until);
CREATE INDEX IF NOT EXISTS log_until ON log (until);
CREATE TABLE IF NOT EXISTS used (key TEXT PRIMARY KEY, cost INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blocks (key TEXT PRIMARY KEY, until REAL NOT NULL);
CREATE TABLE IF NOT EXISTS tickets (
    key TEXT NOT NULL, ticket INTEGER NOT NULL, cost INTEGER NOT NULL,
    deadline REAL NOT NULL, PRIMARY KEY (key, ticket)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS tickets_deadline ON tickets (deadline);
CREATE TABLE IF NOT EXISTS ticket_numbers (n INTEGER PRIMARY KEY AUTOINCREMENT);
"""
#: Every so often one acquire also drops expired rows of keys nobody asks for any more.
_SWEEP_EVERY_S = 30.0
#: Floor of any sleep between two attempts of one request.
_MIN_SLEEP_S = 0.0005

#: One bucket of a request: key, rule, cost, window (period widened by the margin).
_Need = tuple[str, RateLimit, int, float]


class _SqlitePermit(Permit):
    __slots__ = ("_entries", "_limiter", "_quiet_until", "_settled")

    def __init__(self, limiter: SqliteLimiter, entries: list[tuple[int, str, int, float]],
                 granted_at: float, waited: float, quiet_until: float) -> None:
        super().__init__(granted_at, waited)
        self._limiter = limiter
        self._entries = entries  # (row id, key, cost, period)
        self._quiet_until = quiet_until
        self._settled = False

    def settle(self) -> None:
        if self._settled:
            return
        self._settled = True
        if self._limiter._clock() <= self._quiet_until or self._limiter.closed:
            return  # back within the margin: the grant-time window already covers it
        self._limiter._settle(self._entries)


class _FreePermit(Permit):
    __slots__ = ()

    def settle(self) -> None:
        return None


class SqliteLimiter(Limiter):
    """Weighted sliding-log limiter kept in a SQLite file shared by local processes.

    :param path: the database file (created with its tables if missing); its directory
        must exist.
    :param margin: fraction of each rule's period added to its window (as in memory).
    :param timeout_s: how long a transaction may wait for another process's lock.
    :param ticket_grace_s: how late a waiter may come back before its ticket lapses.
    :param clock: wall-clock seconds shared by every process using the file; injectable
        for tests.
    """

    def __init__(self, path: str | Path, *, margin: float = 0.02, timeout_s: float = 2.0,
                 ticket_grace_s: float = 2.0,
                 clock: Callable[[], float] = time.time) -> None:
        if not 0.0 <= margin < 1.0:
            raise ConfigurationError(f"rate limit margin must be in [0, 1), got {margin}")
        self.path = Path(path)
        if not self.path.is_absolute():
            raise ConfigurationError(f"SQLite limiter path {str(path)!r} must be absolute")
        self._margin = margin
        self._timeout_s = timeout_s
        self._grace = ticket_grace_s
        self._clock = clock
        self._db: sqlite3.Connection | None = None
        self._sleepers = Sleepers()
        self._sweep_at = -math.inf
        self._closed = False
        #: Transactions run so far (as the Redis backend counts its calls): for benchmarks.
        self.round_trips = 0

    @property
    def closed(self) -> bool:
        return self._closed

    # ------------------------------------------------------------ the Limiter API

    async def acquire(self, demands: Sequence[Demand]) -> Permit:
        if self._closed:
            raise ConfigurationError("the rate limiter is closed")
        needs = self._needs(demands)
        if not needs:
            return _FreePermit(self._clock(), 0.0)
        since = self._clock()
        ticket = 0
        try:
            while True:
                granted, ticket, wait = self._attempt(needs, ticket)
                if granted is not None:
                    now = wait  # the grant's own time, the one its entries are dated from
                    quiet = min(window - rule.period_s for _, rule, _, window in needs)
                    entries = [(row, key, cost, rule.period_s)
                               for row, (key, rule, cost, _) in zip(granted, needs, strict=True)]
                    return _SqlitePermit(self, entries, now, now - since, now + quiet)
                await self._sleep(wait)
                if self._closed:
                    raise ConfigurationError("the rate limiter was closed while waiting")
        except BaseException:
            if ticket and not self._closed:
                with contextlib.suppress(LimiterUnavailable):
                    self._leave(ticket)
            raise

    async def feedback(self, key: str, rule: RateLimit, used: int) -> None:
        window = rule.period_s * (1.0 + self._margin)
        with self._transaction() as db:
            now = self._clock()
            counted = self._load(db, key, now, window)
            if used > counted:
                self._take(db, key, now + window, used - counted, counted)

    async def block(self, key: str, rule: RateLimit, seconds: float) -> None:
        if not seconds > 0:  # also refuses NaN
            return
        with self._transaction() as db:
            until = self._clock() + seconds
            db.execute("INSERT INTO blocks (key, until) VALUES (?, ?) ON CONFLICT (key) "
                       "DO UPDATE SET until = max(until, excluded.until)", (key, until))

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        error = ConfigurationError("the rate limiter was closed while waiting")
        self._sleepers.fail_all(error)
        await asyncio.sleep(0)  # let the waiters leave their lines
        if self._db is not None:
            self._db.close()
            self._db = None

    # ------------------------------------------------------------ one transaction each

    def _attempt(self, needs: list[_Need], ticket: int) -> tuple[list[int] | None, int, float]:
        """Grant (row ids of the entries and the time they are dated from), or the ticket
        held and how long to wait."""
        with self._transaction() as db:
            now = self._clock()
            if now >= self._sweep_at:
                self._sweep(db, now)
                self._sweep_at = now + _SWEEP_EVERY_S
            at = now
            fits = True
            counts = [self._load(db, key, now, window) for key, _, _, window in needs]
            if ticket and db.execute("SELECT count(*) FROM tickets WHERE ticket = ?",
                                     (ticket,)).fetchone()[0] != len(needs):
                # lapsed in some line (we came back too late): queue again at the back
                db.execute("DELETE FROM tickets WHERE ticket = ?", (ticket,))
                ticket = 0
            for (key, rule, cost, window), used in zip(needs, counts, strict=True):
                blocked = db.execute("SELECT until FROM blocks WHERE key = ?",
                                     (key,)).fetchone()
                free = self._free_at(db, key, ticket, used, rule.limit, cost, now, window)
                if blocked is not None:
                    free = max(free, blocked[0])
                if free > now:
                    fits = False
                    at = max(at, free)
            if fits:
                rows = [self._take(db, key, now + window, cost, used)
                        for (key, _, cost, window), used in zip(needs, counts, strict=True)]
                if ticket:
                    db.execute("DELETE FROM tickets WHERE ticket = ?", (ticket,))
                return rows, 0, now
            if not ticket:
                ticket = int(db.execute("INSERT INTO ticket_numbers DEFAULT VALUES").lastrowid
                             or 0)
                db.execute("DELETE FROM ticket_numbers WHERE n = ?", (ticket,))
                db.executemany(
                    "INSERT INTO tickets (key, ticket, cost, deadline) VALUES (?, ?, ?, ?)",
                    [(key, ticket, cost, at + self._grace) for key, _, cost, _ in needs])
            else:
                db.execute("UPDATE tickets SET deadline = ? WHERE ticket = ?",
                           (at + self._grace, ticket))
            return None, ticket, max(at - now, _MIN_SLEEP_S)

    @staticmethod
    def _load(db: sqlite3.Connection, key: str, now: float, window: float) -> int:
        """Drop what has expired on ``key`` and return the cost still counted.

        The count is kept in ``used`` beside the log, so reading it does not sum a log
        that can hold thousands of entries (an IP rule of 6,000 a minute).
        """
        gone = sum(int(cost) for (cost,) in db.execute(
            "DELETE FROM log WHERE key = ? AND until <= ? RETURNING cost", (key, now)))
        # nothing counts longer than one window from now: a clock stepped back
        db.execute("UPDATE log SET until = ? WHERE key = ? AND until > ?",
                   (now + window, key, now + window))
        db.execute("DELETE FROM tickets WHERE key = ? AND deadline <= ?", (key, now))
        row = db.execute("SELECT cost FROM used WHERE key = ?", (key,)).fetchone()
        if row is None:
            used = int(db.execute("SELECT coalesce(sum(cost), 0) FROM log WHERE key = ?",
                                  (key,)).fetchone()[0])
        else:
            used = int(row[0]) - gone
            if not gone:
                return used
        db.execute("INSERT INTO used (key, cost) VALUES (?, ?) ON CONFLICT (key) "
                   "DO UPDATE SET cost = excluded.cost", (key, used))
        return used

    @staticmethod
    def _take(db: sqlite3.Connection, key: str, until: float, cost: int, used: int) -> int:
        """Log ``cost`` on ``key`` until ``until``; ``used`` is the count before it."""
        cursor = db.execute("INSERT INTO log (key, until, cost) VALUES (?, ?, ?)",
                            (key, until, cost))
        db.execute("UPDATE used SET cost = ? WHERE key = ?", (used + cost, key))
        return int(cursor.lastrowid or 0)

    @staticmethod
    def _sweep(db: sqlite3.Connection, now: float) -> None:
        """Drop expired rows of every key, those nobody asks for any more included."""
        db.execute("DELETE FROM log WHERE until <= ?", (now,))
        db.execute("DELETE FROM blocks WHERE until <= ?", (now,))
        db.execute("DELETE FROM tickets WHERE deadline <= ?", (now,))
        db.execute("DELETE FROM used WHERE key NOT IN (SELECT key FROM log)")
        db.execute("UPDATE used SET cost = (SELECT sum(cost) FROM log WHERE log.key = used.key)")

    def _free_at(self, db: sqlite3.Connection, key: str, ticket: int, used: int, limit: int,
                 cost: int, now: float, window: float) -> float:
        """Earliest time ``cost`` fits on top of the log and of every ticket ahead of
        ``ticket`` (every ticket, for a new request), if nothing else is taken meanwhile.

        Each ticket ahead is assumed to take at its planned time (or now, if that has
        passed) and to count for a window from then; once everything ahead has started,
        what counts only shrinks, so the answer is the end of the entry or ticket where
        the costs, summed in order of end, reach what must have ended. One plan for a
        request at the back of a long line, not one attempt per window.
        """
        if ticket:
            line = db.execute("SELECT cost, deadline FROM tickets WHERE key = ? AND ticket < ?",
                              (key, ticket)).fetchall()
        else:
            line = db.execute("SELECT cost, deadline FROM tickets WHERE key = ?",
                              (key,)).fetchall()
        need = used + sum(int(row[0]) for row in line) + cost - limit
        if need <= 0:
            return now
        ends = [(float(until), int(entry_cost)) for until, entry_cost in db.execute(
            "SELECT until, cost FROM log WHERE key = ?", (key,))]
        ends += [(max(deadline - self._grace, now) + window, int(ticket_cost))
                 for ticket_cost, deadline in line]
        ends.sort()
        freed = 0
        for until, entry_cost in ends:
            freed += entry_cost
            if freed >= need:
                return until
        return now  # pragma: no cover - the sums said there was enough

    def _leave(self, ticket: int) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM tickets WHERE ticket = ?", (ticket,))

    def _settle(self, entries: list[tuple[int, str, int, float]]) -> None:
        """Count each entry for a full period from now, if that ends later; after its end,
        it counts again (the venue may have counted it just now)."""
        with contextlib.suppress(LimiterUnavailable), self._transaction() as db:
            now = self._clock()
            for row, key, cost, period in entries:
                ends = now + period
                found = db.execute("SELECT until FROM log WHERE id = ?", (row,)).fetchone()
                if found is None or found[0] <= now:
                    used = self._load(db, key, now, period * (1.0 + self._margin))
                    self._take(db, key, ends, cost, used)
                elif found[0] < ends:
                    db.execute("UPDATE log SET until = ? WHERE id = ?", (ends, row))

    # ------------------------------------------------------------ internals

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._connect()
        self.round_trips += 1
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise self._unavailable(exc) from exc
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        try:
            db.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise self._unavailable(exc) from exc

    def _connect(self) -> sqlite3.Connection:
        if self._db is not None:
            return self._db
        if self._closed:
            raise ConfigurationError("the rate limiter is closed")
        try:
            db = sqlite3.connect(self.path, timeout=self._timeout_s, isolation_level=None,
                                 check_same_thread=False)
            _setup(db, self._timeout_s)
            if sqlite3.sqlite_version_info < (3, 35):
                raise sqlite3.NotSupportedError(
                    f"SQLite {sqlite3.sqlite_version} is older than 3.35 (RETURNING)")
        except sqlite3.Error as exc:
            raise ConfigurationError(
                f"rate limiter: cannot open the SQLite file {self.path}: {exc}") from exc
        self._db = db
        return db

    def _unavailable(self, exc: sqlite3.Error) -> LimiterUnavailable:
        return LimiterUnavailable(
            f"rate limiter: the SQLite file {self.path} stayed locked for "
            f"{self._timeout_s:g} s ({exc}); nothing was sent")

    def _needs(self, demands: Sequence[Demand]) -> list[_Need]:
        """Merge demands per key (a key listed twice costs the sum) and drop zero costs."""
        return [(key, rule, cost, rule.period_s * (1.0 + self._margin))
                for key, rule, cost in merge_demands(demands)]

    async def _sleep(self, seconds: float) -> None:
        """One timer for the whole wait; :meth:`aclose` can end it with an error."""
        await self._sleepers.sleep(seconds)



#: Pause between two tries of the one-time set-up while another process holds the file.
_SETUP_RETRY_S = 0.01


def _setup(db: sqlite3.Connection, timeout_s: float) -> None:
    """WAL mode and the schema, retried while another process sets the same file up.

    Switching a new file to WAL needs a moment of exclusive access, and SQLite reports a
    process that asks during another's switch as locked without waiting for it (the busy
    timeout does not cover it); several processes starting together must not fail on it.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(_SETUP_RETRY_S)  # set-up only: once per process, before any wait
