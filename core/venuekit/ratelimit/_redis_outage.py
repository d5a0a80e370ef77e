"""What the Redis limiter does while Redis is unreachable.

Internal to :mod:`venuekit.ratelimit.redis_backend`. Failing closed, requests get a clear
:class:`~venuekit.errors.LimiterUnavailable`; with the fallback, they are limited in this
process's memory. Either way, usage feedback and blocks that arrive meanwhile are kept in
memory, and pushed to Redis when it answers again. One warning per outage, one info line
when it ends.

**Switching back drains memory into Redis.** Two ways were possible: keep granting from
memory until its windows have passed, or hand memory's accounting to Redis and go through
it at once. Only the second never exceeds a limit in any window: memory knows nothing of
other processes, which go through Redis as soon as they see it back, so staying in memory
for another window would add this process's grants to theirs uncounted. So the switch
(while nobody here is granted anything):

1. memory stops granting (it is closed; its waiters are told to ask again, and wait until
   the switch is over);
2. every grant of memory whose window has not passed goes to Redis as a log entry ending
   when it ends in memory (rounded up, a little late rather than early), added to what
   Redis counts, not merged into it as usage feedback is;
3. blocks go as blocks; then the waiters ask Redis, in their order, with tickets.

If Redis fails again halfway, what was not pushed goes into a fresh memory and the
outage goes on.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable, Sequence

from ..errors import ConfigurationError, LimiterUnavailable
from ..models import RateLimit
from .base import Demand, Permit
from .memory import MemoryLimiter

__all__ = ["Back", "Outage"]

log = logging.getLogger("venuekit")

#: ``send(op, key, rule, cost, argument)``: one record or block call to Redis.
Send = Callable[[str, str, RateLimit, int, int], Awaitable[None]]


class Back(Exception):
    """Redis answers again (or a switch was tried): ask again through Redis."""


#: Memory entries ending within this fraction of a window of each other go as one record,
#: ending at the latest: at most ~50 calls a bucket, each at most 2% late, never early.
_RECORD_GRAIN = 0.02


class Outage:
    """The limiter's state of Redis: reachable or not, and what was kept meanwhile."""

    def __init__(self, where: str, *, fallback: bool, margin: float,
                 reconnect_s: float) -> None:
        self.where = where
        self.fallback = fallback
        self.margin = margin
        self.reconnect_s = reconnect_s
        self.down = False
        self.cause: BaseException | None = None
        self.probing = False
        self._switched: asyncio.Event | None = None
        self._retry_at = 0.0
        self._memory: MemoryLimiter | None = None
        self._kept: dict[str, RateLimit] = {}
        self._blocks: dict[str, tuple[RateLimit, float]] = {}

    def lost(self, cause: BaseException) -> None:
        """Redis failed a call: warn once per outage."""
        self.cause = cause
        self._retry_at = time.monotonic() + self.reconnect_s
        if self.down:
            return
        self.down = True
        then = ("limiting in this process's memory" if self.fallback
                else "requests fail")
        log.warning("rate limiter: Redis at %s is unreachable (%s); %s until it answers "
                    "again", self.where, cause, then)

    def due(self) -> bool:
        """Whether to try Redis now: failing closed always (a request must not fail if
        Redis is back); with the fallback at most every ``reconnect_s``, one at a time."""
        if not self.fallback:
            return True
        return not self.probing and time.monotonic() >= self._retry_at

    def ended(self) -> None:
        if self.down:
            self.down = False
            log.info("rate limiter: Redis at %s answers again; limiting through it",
                     self.where)

    def error(self) -> LimiterUnavailable:
        why = f" ({self.cause})" if self.cause is not None else ""
        return LimiterUnavailable(
            f"rate limiter: Redis at {self.where} is unreachable{why}; failing closed, so "
            "nothing is sent without its limit. Bring Redis back, or allow the in-memory "
            "fallback (fallback=True, VENUEKIT_LIMITER_FALLBACK=1)")

    # ------------------------------------------------------------ in memory meanwhile

    def memory(self) -> MemoryLimiter:
        if self._memory is None:
            self._memory = MemoryLimiter(margin=self.margin)
        return self._memory

    async def acquire(self, demands: Sequence[Demand]) -> Permit:
        """Limit in memory; raises :class:`Back` when the request must ask Redis again."""
        if not self.fallback:
            raise self.error() from self.cause
        if self._switched is not None:  # a switch back is under way: nothing granted here
            await self._switched.wait()
            raise Back
        for demand in demands:
            self._kept[demand.key] = demand.rule
        memory = self.memory()
        try:
            return await memory.acquire(demands)
        except ConfigurationError:
            if memory is not self._memory:  # closed by a switch, not by aclose()
                raise Back from None
            raise

    def begin_switch(self) -> None:
        """Redis answered a probe: stop granting from memory before pushing its count."""
        self.probing = True
        self._switched = asyncio.Event()

    def end_switch(self) -> None:
        self.probing = False
        if self._switched is not None:
            self._switched.set()
            self._switched = None

    async def feedback(self, key: str, rule: RateLimit, used: int) -> None:
        self._kept[key] = rule
        await self.memory().feedback(key, rule, used)

    async def block(self, key: str, rule: RateLimit, seconds: float) -> None:
        until = time.monotonic() + seconds
        _, known = self._blocks.get(key, (rule, 0.0))
        self._blocks[key] = (rule, max(until, known))
        await self.memory().block(key, rule, seconds)

    async def push(self, send: Send) -> None:
        """Hand what memory granted and blocked to Redis, then forget memory.

        Memory is closed first, so it grants nothing while the push awaits; if a call
        fails, what was not pushed yet goes into a fresh memory, and :class:`Unavailable`
        propagates.
        """
        memory, self._memory = self._memory, None
        if memory is None:
            return
        await memory.aclose()  # its waiters ask again once the switch is over
        now = time.monotonic()
        pending = [(key, rule, _records(memory.entries(key), now, rule))
                   for key, rule in self._kept.items()]
        blocks = [(key, rule, until) for key, (rule, until) in self._blocks.items()
                  if until > now]
        self._kept.clear()
        self._blocks.clear()
        try:
            while pending:
                key, rule, records = pending[0]
                while records:
                    cost, until = records[0]
                    left = until - time.monotonic()
                    if left > 0:
                        await send("record", key, rule, cost, math.ceil(left * 1e6))
                    records.pop(0)
                pending.pop(0)
            while blocks:
                key, rule, until = blocks[0]
                left = until - time.monotonic()
                if left > 0:
                    await send("block", key, rule, 0, math.ceil(left * 1e6))
                blocks.pop(0)
        except BaseException:
            fresh = self.memory()
            for key, rule, records in pending:
                self._kept[key] = rule
                for cost, until in records:
                    fresh.record(key, rule, cost, until)
            for key, rule, until in blocks:
                self._blocks[key] = (rule, until)
                fresh.record(key, rule, 0, until, blocked=True)
            raise

    async def aclose(self) -> None:
        if self._memory is not None:
            await self._memory.aclose()


def _records(entries: list[tuple[float, int]], now: float,
             rule: RateLimit) -> list[tuple[int, float]]:
    """Live memory entries as (cost, until), runs ending within a grain of the run's first
    merged into one that ends with the run's last."""
    grain = rule.period_s * _RECORD_GRAIN
    records: list[tuple[int, float]] = []
    first = -math.inf
    for until, cost in sorted(entries):
        if until <= now or not cost:
            continue
        if records and until - first <= grain:
            records[-1] = (records[-1][0] + cost, until)
        else:
            records.append((cost, until))
            first = until
    return records
