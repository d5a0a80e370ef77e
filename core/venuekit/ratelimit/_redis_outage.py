"""What the Redis limiter does while Redis is unreachable.

Internal to :mod:`venuekit.ratelimit.redis_backend`. Failing closed, requests get a clear
:class:`~venuekit.errors.LimiterUnavailable`; with the fallback, they are limited in this
process's memory. Either way, usage feedback and blocks that arrive meanwhile are kept in
memory, and pushed to Redis (with what memory granted) when it answers again. One warning
per outage, one info line when it ends.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable, Sequence

from ..errors import LimiterUnavailable
from ..models import RateLimit
from .base import Demand, Permit
from .memory import MemoryLimiter

__all__ = ["Outage"]

log = logging.getLogger("venuekit")

#: ``send(op, key, rule, argument)``: one feedback or block call to Redis.
Send = Callable[[str, str, RateLimit, int], Awaitable[None]]


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
        if not self.fallback:
            raise self.error() from self.cause
        for demand in demands:
            self._kept[demand.key] = demand.rule
        return await self.memory().acquire(demands)

    async def feedback(self, key: str, rule: RateLimit, used: int) -> None:
        self._kept[key] = rule
        await self.memory().feedback(key, rule, used)

    async def block(self, key: str, rule: RateLimit, seconds: float) -> None:
        until = time.monotonic() + seconds
        _, known = self._blocks.get(key, (rule, 0.0))
        self._blocks[key] = (rule, max(until, known))
        await self.memory().block(key, rule, seconds)

    async def push(self, send: Send) -> bool:
        """Hand what memory counted and blocked to Redis; False if there was nothing.

        Each item is forgotten once sent, so a push cut short by Redis failing again
        resumes where it stopped.
        """
        if self._memory is None or not (self._kept or self._blocks):
            return False
        for key, rule in list(self._kept.items()):
            used = self._memory.used(key)
            if used:
                await send("feedback", key, rule, used)
            del self._kept[key]
        now = time.monotonic()
        for key, (rule, until) in list(self._blocks.items()):
            if until > now:
                await send("block", key, rule, math.ceil((until - now) * 1e6))
            del self._blocks[key]
        return True

    async def aclose(self) -> None:
        if self._memory is not None:
            await self._memory.aclose()
