"""One bucket's sliding log and waiting line, for the in-memory backend.

The log is a deque of entries in the order they were written, each with the time it stops
counting, plus a running total: the count in the current window is O(1) after dropping
expired entries from the left (amortised O(1): every entry is dropped once). Re-dating an
entry (settle) zeroes it in place - a tombstone dropped when it reaches the left - and
appends a fresh one, instead of a search-and-delete in the middle.

Expiry times are nearly, not strictly, in order: a settled entry lives one period from the
response or the margin-widened window from the send, whichever ends later, and so can end
up to one margin before an entry granted just before it. An entry is only dropped once
everything to its left is, so such an entry counts a little longer than it needs to: the
error is always on the safe side, and never more than the margin.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..models import RateLimit
    from .base import Permit

__all__ = ["Bucket", "Entry", "Waiter"]


class Entry:
    """A cost in the log until ``until``; ``cost`` drops to 0 once it expires or moves."""

    __slots__ = ("cost", "until")

    def __init__(self, until: float, cost: int) -> None:
        self.until = until
        self.cost = cost


class Waiter:
    """A queued request. It sits in the line of every bucket it needs, in arrival order.

    Leaving is lazy: a cancelled waiter is flagged ``done`` and only unlinked when it reaches
    the head of a line, so cancelling never scans a queue.
    """

    __slots__ = ("at", "done", "future", "needs", "since", "timer")

    def __init__(self, needs: list[tuple[Bucket, int]], future: asyncio.Future[Permit],
                 since: float) -> None:
        self.needs = needs
        self.future = future
        self.since = since
        self.done = False
        self.timer: asyncio.TimerHandle | None = None
        self.at = math.nan

    def disarm(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def is_head(self) -> bool:
        return all(bucket.queue[0] is self for bucket, _ in self.needs)


class Bucket:
    """Budget of one key under one rule (the rule may be replaced: the latest one wins)."""

    __slots__ = ("blocked_until", "key", "log", "margin", "queue", "rule", "used", "window")
    # ``window`` is the rule's period widened by the margin: how long a grant counts when
    # all we know is when it was sent.

    def __init__(self, key: str, rule: RateLimit, margin: float) -> None:
        self.key = key
        self.margin = margin
        self.rule = rule
        self.window = rule.period_s * (1.0 + margin)
        self.log: deque[Entry] = deque()
        self.used = 0
        self.blocked_until = -math.inf
        self.queue: deque[Waiter] = deque()

    def adopt(self, rule: RateLimit) -> bool:
        if rule is self.rule or rule == self.rule:  # identity: the usual case, and cheap
            return False
        self.rule = rule
        self.window = rule.period_s * (1.0 + self.margin)
        return True

    def prune(self, now: float) -> None:
        log = self.log
        while log:
            head = log[0]
            if head.cost and head.until > now:
                return
            log.popleft()
            self.used -= head.cost
            head.cost = 0

    def free_at(self, cost: int, now: float) -> float:
        """Earliest time ``cost`` more fits, if nothing else is taken meanwhile.

        Walks the log from the oldest entry only as far as the entries whose expiry frees
        enough room: for one request that is about ``cost`` entries, whatever the queue
        length or the log size. The running maximum mirrors :meth:`prune`, which drops an
        entry only once those left of it are gone.
        """
        self.prune(now)
        need = self.used + cost - self.rule.limit
        at = now
        if need > 0:
            freed = 0
            for entry in self.log:
                freed += entry.cost
                at = max(at, entry.until)
                if freed >= need:
                    break
            else:  # the rule shrank under a queued cost
                return math.inf
        return max(at, self.blocked_until)

    def take(self, cost: int, until: float) -> Entry:
        entry = Entry(until, cost)
        self.log.append(entry)
        self.used += cost
        return entry

    def redate(self, entry: Entry, cost: int, now: float) -> None:
        """Make ``entry`` count for a full period from now, the response's arrival.

        No margin: the venue counted the request before now. Never shortened either: the
        grant-time window still holds, and most responses come back within the margin, in
        which case nothing moves at all.
        """
        until = now + self.rule.period_s
        if entry.cost:
            if until <= entry.until:
                return
            self.give_back(entry)
        self.take(cost, until)

    def give_back(self, entry: Entry) -> None:
        self.used -= entry.cost
        entry.cost = 0

    def drop_departed(self) -> None:
        queue = self.queue
        while queue and (queue[0].done or queue[0].future.cancelled()):
            queue.popleft()
