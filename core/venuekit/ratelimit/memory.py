"""The in-memory limiter: the default backend, shared by every connector in a process.

How waiting works, and why it stays cheap:

- Each bucket has a FIFO line (a deque). A request needing several buckets joins all their
  lines at once, so every line is in global arrival order and the oldest waiter is at the
  head of all of its lines: it can always be served once room appears, so there is no
  deadlock, and nobody holds capacity while waiting.
- Only a waiter at the head of all its lines is ever examined. It gets one timer
  (``loop.call_at``) for the exact moment its cost fits every bucket, computed from the
  log. Nothing wakes in between: no polling, no sleep loop.
- Granting pops the head and examines the next one, so a grant costs the same with ten
  waiters or ten thousand. A cancelled waiter is only flagged; it is unlinked when it
  reaches the head of a line.

Idle buckets go away, so a process that sees 100k API keys does not keep 100k buckets: every
bucket has one entry in a heap of "look again" times, first the end of its first window.
Each call of the API pops the entries that have come due (at most ``_SWEEP_BATCH`` a
call, so no request pays for a whole sweep) and drops the bucket if it is idle - nothing
in its log, nobody waiting, not blocked - or pushes it back for when its content ends.
A busy bucket is looked at about once a window, not once a request; nothing runs on a
timer, so an idle limiter costs nothing.

Not thread-safe: one limiter serves one event loop (see :func:`default_limiter`).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Sequence

from ..errors import ConfigurationError
from ..models import RateLimit
from ._bucket import Bucket, Entry, Waiter
from .base import Demand, Limiter, Permit, merge_demands

__all__ = ["MemoryLimiter", "default_limiter"]

#: Most heap entries one call of the API looks at: bounds the work a request can be handed
#: (a quarter of a millisecond or so) while 100k idle buckets still go within 100 calls.
_SWEEP_BATCH = 1024
#: Most demands the fast grant looks at (venues' requests name one to three rules).
_AT_ONCE = 2


class _MemoryPermit(Permit):
    __slots__ = ("_held", "_limiter", "_settled")

    def __init__(self, limiter: MemoryLimiter, held: list[tuple[Bucket, Entry, int]],
                 granted_at: float, waited: float) -> None:
        super().__init__(granted_at, waited)
        self._limiter = limiter
        self._held = held
        self._settled = False

    def settle(self) -> None:
        if self._settled:
            return
        self._settled = True
        limiter = self._limiter
        buckets = limiter._buckets
        now = limiter._clock()
        for bucket, entry, cost in self._held:
            if buckets.get(bucket.key) is not bucket:
                # swept while the response was out (it came back after the window): count
                # it again in the bucket that now holds the key
                bucket = limiter._bucket(bucket.key, bucket.rule)
            bucket.redate(entry, cost, now)


class MemoryLimiter(Limiter):
    """Weighted sliding-log limiter kept in this process.

    :param margin: fraction of each rule's period added to its window, to cover the time
        between our send and the venue's count for requests not yet settled.
    :param clock: monotonic seconds; injectable so tests can control time. Timers are set on
        the running loop for the delay this clock gives.
    """

    def __init__(self, *, margin: float = 0.02,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if not 0.0 <= margin < 1.0:
            raise ConfigurationError(f"rate limit margin must be in [0, 1), got {margin}")
        self._margin = margin
        self._clock = clock
        self._buckets: dict[str, Bucket] = {}
        # (when to look again, tie-break, bucket): exactly one entry per live bucket
        self._expiry: list[tuple[float, int, Bucket]] = []
        self._tie = itertools.count()
        #: a plain attribute, not a property: the connector's stand-in reads it per request
        self.closed = False

    def used(self, key: str) -> int:
        """Cost counted in ``key``'s current window, for diagnostics and metrics."""
        bucket = self._buckets.get(key)
        if bucket is None:
            return 0
        bucket.prune(self._clock())
        return bucket.used

    def entries(self, key: str) -> list[tuple[float, int]]:
        """``(until, cost)`` of every entry still counting on ``key``: for handing this
        limiter's count to another backend (the Redis fallback switching back)."""
        bucket = self._buckets.get(key)
        if bucket is None:
            return []
        bucket.prune(self._clock())
        return [(entry.until, entry.cost) for entry in bucket.log if entry.cost]

    def record(self, key: str, rule: RateLimit, cost: int, until: float, *,
               blocked: bool = False) -> None:
        """Count ``cost`` on ``key`` until ``until`` (this limiter's clock), or block it
        until then: for taking over another backend's count."""
        bucket = self._bucket(key, rule)
        if blocked:
            bucket.blocked_until = max(bucket.blocked_until, until)
        elif cost:
            bucket.take(cost, until)

    @property
    def buckets(self) -> int:
        """How many buckets are kept (idle ones included until the next sweep reaches them)."""
        return len(self._buckets)

    # ------------------------------------------------------------ the Limiter API

    async def acquire(self, demands: Sequence[Demand]) -> Permit:
        if self.closed:
            raise ConfigurationError("the rate limiter is closed")
        permit = self.try_acquire(demands)
        if permit is not None:
            return permit
        now = self._clock()
        needs = self._needs(demands)
        if not any(bucket.queue for bucket, _ in needs) and self._ready_at(needs, now) <= now:
            return self._grant(needs, now, now)
        waiter = Waiter(needs, asyncio.get_running_loop().create_future(), now)
        for bucket, _ in needs:
            bucket.queue.append(waiter)
        self._advance((waiter,))
        try:
            return await waiter.future
        except asyncio.CancelledError:
            self._abandon(waiter)
            raise

    def try_acquire(self, demands: Sequence[Demand]) -> Permit | None:
        if self.closed:
            return None  # acquire() says why
        now = self._clock()
        if self._expiry and self._expiry[0][0] <= now:
            self._sweep(now)
        return self._grant_at_once(demands, now)

    async def feedback(self, key: str, rule: RateLimit, used: int) -> None:
        self.try_feedback(((key, rule, used),))

    async def feedback_many(self, reports: Sequence[tuple[str, RateLimit, int]]) -> None:
        self.try_feedback(reports)

    def try_feedback(self, reports: Sequence[tuple[str, RateLimit, int]]) -> bool:
        now = self._clock()
        if self._expiry and self._expiry[0][0] <= now:
            self._sweep(now)
        buckets = self._buckets
        for key, rule, used in reports:
            bucket = buckets.get(key)
            if bucket is None or bucket.rule is not rule:
                bucket = self._bucket(key, rule)
            bucket.prune(now)
            if used > bucket.used:
                bucket.take(used - bucket.used, now + bucket.window)
                self._recheck(bucket)
        return True

    async def block(self, key: str, rule: RateLimit, seconds: float) -> None:
        if not seconds > 0:  # also refuses NaN, which max() would keep or drop at random
            return
        bucket = self._bucket(key, rule)
        until = self._clock() + seconds
        if until > bucket.blocked_until:
            bucket.blocked_until = until
            self._recheck(bucket)

    async def aclose(self) -> None:
        self.closed = True
        for bucket in self._buckets.values():
            for waiter in bucket.queue:
                if waiter.done:
                    continue
                waiter.done = True
                waiter.disarm()
                if not waiter.future.done():
                    waiter.future.set_exception(
                        ConfigurationError("the rate limiter was closed while waiting"))
            bucket.queue.clear()

    # ------------------------------------------------------------ internals

    def _bucket(self, key: str, rule: RateLimit) -> Bucket:
        bucket = self._buckets.get(key)
        if bucket is not None and bucket.rule is rule:  # every request: skip adopt's compare
            return bucket
        if bucket is None:
            bucket = self._buckets[key] = Bucket(key, rule, self._margin)
            heapq.heappush(self._expiry,
                           (self._clock() + bucket.window, next(self._tie), bucket))
        elif bucket.adopt(rule):
            self._recheck(bucket)
        return bucket

    def _grant_at_once(self, demands: Sequence[Demand], now: float) -> _MemoryPermit | None:
        """The usual request: known buckets, nobody waiting, room in all of them.

        Two passes (check all, then take all) over at most a few demands; anything else
        (a new or re-ruled bucket, a queue, a key named twice, no room) returns None and
        takes the general path, which decides exactly as before.
        """
        if len(demands) > _AT_ONCE:
            return None
        buckets = self._buckets
        found = []
        for demand in demands:
            bucket = buckets.get(demand.key)
            cost = demand.cost
            if bucket is None or bucket.rule is not demand.rule or bucket.queue or cost <= 0:
                return None
            bucket.prune(now)
            if bucket.used + cost > bucket.rule.limit or bucket.blocked_until > now:
                return None
            found.append((bucket, cost))
        if len(found) == 2 and found[0][0] is found[1][0]:
            return None  # one key named twice: the general path sums its costs
        held = []
        for bucket, cost in found:  # a loop, not a comprehension: no call per request
            held.append((bucket, bucket.take(cost, now + bucket.window), cost))
        return _MemoryPermit(self, held, now, 0.0)

    def _needs(self, demands: Sequence[Demand]) -> list[tuple[Bucket, int]]:
        """Merge demands per key (a key listed twice costs the sum) and drop zero costs."""
        if len(demands) == 1:  # the common case, without the bookkeeping
            demand = demands[0]
            return [(self._bucket(demand.key, demand.rule), demand.cost)] if demand.cost else []
        needs = []
        keys = set()
        for demand in demands:  # usually every key once: no merging needed
            cost = demand.cost
            if not cost:
                continue
            if demand.key in keys or cost > demand.rule.limit:
                break  # a key listed twice, or a cost to refuse: the careful path below
            keys.add(demand.key)
            needs.append((self._bucket(demand.key, demand.rule), cost))
        else:
            return needs
        return [(self._bucket(key, rule), cost) for key, rule, cost in merge_demands(demands)]

    def _grant(self, needs: list[tuple[Bucket, int]], now: float,
               since: float) -> _MemoryPermit:
        held = [(bucket, bucket.take(cost, now + bucket.window), cost)
                for bucket, cost in needs]
        return _MemoryPermit(self, held, now, now - since)

    @staticmethod
    def _ready_at(needs: list[tuple[Bucket, int]], now: float) -> float:
        at = now
        for bucket, cost in needs:
            free = bucket.free_at(cost, now)
            if free > at:
                at = free
        return at

    def _advance(self, candidates: Iterable[Waiter]) -> None:
        """Serve heads of lines while they fit; arm one timer for the first that does not.

        A worklist rather than recursion: one expiry can release thousands of waiters.
        """
        todo = deque(candidates)
        while todo:
            waiter = todo.popleft()
            if waiter.done or not waiter.is_head():
                continue
            if waiter.future.cancelled():  # cancelled; its task has not resumed yet
                todo.extend(self._withdraw(waiter))
                continue
            now = self._clock()
            at = self._ready_at(waiter.needs, now)
            if at > now:
                if at == math.inf and any(cost > bucket.rule.limit
                                          for bucket, cost in waiter.needs):
                    todo.extend(self._withdraw(waiter))
                    waiter.future.set_exception(ConfigurationError(
                        "a rate limit was lowered below the cost of a waiting request"))
                else:
                    self._arm(waiter, at)
                continue
            waiter.done = True
            waiter.disarm()
            waiter.future.set_result(self._grant(waiter.needs, now, waiter.since))
            for bucket, _ in waiter.needs:
                bucket.queue.popleft()
                bucket.drop_departed()
                if bucket.queue:
                    todo.append(bucket.queue[0])

    def _arm(self, waiter: Waiter, at: float) -> None:
        if waiter.timer is not None:
            if waiter.at == at:
                return
            waiter.timer.cancel()
        waiter.at = at
        loop = waiter.future.get_loop()
        waiter.timer = loop.call_at(loop.time() + (at - self._clock()), self._wake, waiter)

    def _wake(self, waiter: Waiter) -> None:
        waiter.timer = None
        self._advance((waiter,))

    def _recheck(self, bucket: Bucket) -> None:
        """Re-time the head after a change that only postpones it (feedback, block).

        Not strictly needed - an early timer re-arms itself when it fires - but it keeps
        the head's single timer exact instead of waking it once for nothing.
        """
        if bucket.queue:
            self._advance((bucket.queue[0],))

    def _withdraw(self, waiter: Waiter) -> list[Waiter]:
        """Take a waiter out of line; returns the new heads it was holding back."""
        waiter.done = True
        waiter.disarm()
        heads = []
        for bucket, _ in waiter.needs:
            if bucket.queue and bucket.queue[0] is waiter:
                bucket.queue.popleft()
                bucket.drop_departed()
                if bucket.queue:
                    heads.append(bucket.queue[0])
        return heads

    def _abandon(self, waiter: Waiter) -> None:
        """The waiting task was cancelled: leave the line, or give back a grant it missed."""
        if not waiter.done:
            self._advance(self._withdraw(waiter))
            return
        future = waiter.future
        if future.cancelled() or future.exception() is not None:
            return
        permit = future.result()
        if not isinstance(permit, _MemoryPermit):  # pragma: no cover - only we resolve it
            return
        # Granted in the same loop turn the task was cancelled: the request will not be
        # sent, so its cost goes back and whoever waits behind may now fit.
        heads = []
        for bucket, entry, _ in permit._held:
            bucket.give_back(entry)
            if bucket.queue:
                heads.append(bucket.queue[0])
        self._advance(heads)

    def _sweep(self, now: float) -> None:
        """Drop idle buckets whose look-again time has come; re-file the busy ones."""
        expiry, buckets = self._expiry, self._buckets
        for _ in range(_SWEEP_BATCH):
            if not expiry or expiry[0][0] > now:
                return
            _, _, bucket = heapq.heappop(expiry)
            if buckets.get(bucket.key) is not bucket:  # pragma: no cover - one entry each
                continue
            bucket.prune(now)
            if not bucket.log and not bucket.queue and bucket.blocked_until <= now:
                del buckets[bucket.key]
                continue
            again = max(bucket.log[-1].until if bucket.log else now, bucket.blocked_until)
            if again <= now:  # waiters, or a log out of order by a margin: a window on
                again = now + bucket.window
            heapq.heappush(expiry, (again, next(self._tie), bucket))


_per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, MemoryLimiter] = (
    weakref.WeakKeyDictionary())


def default_limiter() -> MemoryLimiter:
    """The limiter every connector on the running loop shares, created on first use.

    One per loop because futures and timers belong to a loop; keyed weakly so a finished
    loop takes its limiter with it. Owned by the process: connectors must not close it (a
    closed one is replaced on the next call).
    """
    loop = asyncio.get_running_loop()
    limiter = _per_loop.get(loop)
    if limiter is None or limiter.closed:
        limiter = _per_loop[loop] = MemoryLimiter()
    return limiter
