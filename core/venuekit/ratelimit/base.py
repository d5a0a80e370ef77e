"""The contract between the transport and a limiter backend.

The transport only ever sees :class:`Limiter`, :class:`Demand` and :class:`Permit`, so the
in-memory backend and a Redis backend (several processes sharing one API key) are
interchangeable. Every backend keeps the same promises: a weighted sliding log (never more
than a rule's limit in any window), FIFO order per bucket, all-or-nothing grants across
buckets, and waiting without polling.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Sequence

from attrs import frozen

from ..errors import ConfigurationError
from ..models import RateLimit

__all__ = ["Demand", "Limiter", "Permit", "Sleepers", "merge_demands"]


@frozen
class Demand:
    """One rule's cost for one request.

    A cost above the rule's limit could never be granted and would wait forever, so it is
    refused when the demand is built rather than discovered as a hang.
    """

    key: str
    rule: RateLimit
    cost: int

    def __attrs_post_init__(self) -> None:
        if not self.key:
            raise ConfigurationError(f"rate limit {self.rule.name!r}: empty bucket key")
        if self.cost < 0:
            raise ConfigurationError(
                f"rate limit {self.rule.name!r}: cost {self.cost} is negative")
        if self.cost > self.rule.limit:
            raise ConfigurationError(
                f"rate limit {self.rule.name!r}: a request costing {self.cost} can never "
                f"fit a limit of {self.rule.limit} per {self.rule.period_s:g}s")


class Permit(abc.ABC):
    """Proof that a request's demands were granted, held until its response arrives.

    ``granted_at`` is on the limiter's clock and ``waited`` is how long the request queued;
    both are for logs and metrics, never for control flow.
    """

    __slots__ = ("granted_at", "waited")

    def __init__(self, granted_at: float, waited: float) -> None:
        self.granted_at = granted_at
        self.waited = waited

    @abc.abstractmethod
    def settle(self) -> None:
        """Re-date this request's log entries to now, when its response has arrived.

        The venue counted the request somewhere between our send and its response, so an
        entry counting one full period from the response is safe without any margin; it
        never ends sooner than the margin-widened window from the send either. Calling it
        again does nothing.
        """


class Limiter(abc.ABC):
    """A backend: where the buckets live and who arbitrates between waiters."""

    def resolved(self) -> Limiter:
        """The limiter that does the work, for the length of one request.

        A backend answers itself; a stand-in that picks its backend per event loop (the
        connector's default) answers that backend, so a request pays for the choice once.
        """
        return self

    @abc.abstractmethod
    async def acquire(self, demands: Sequence[Demand]) -> Permit:
        """Wait until every demanded bucket has room, then take them all at once.

        Nothing is held while waiting, so two requests needing overlapping buckets can never
        deadlock. Cancelling the waiting task takes nothing and frees its place in line.
        """

    def try_acquire(self, demands: Sequence[Demand]) -> Permit | None:
        """A permit granted on the spot, or None: then :meth:`acquire` decides.

        The usual request finds room at once; a backend that can tell so without I/O or
        waiting (the in-memory one) grants it here and spares the request a coroutine.
        None never means "refused", only "ask :meth:`acquire`", so the default is right
        for every backend and the promises above hold either way.
        """
        return None

    @abc.abstractmethod
    async def feedback(self, key: str, rule: RateLimit, used: int) -> None:
        """Raise the local count to what the venue says it counted; never lower it.

        Our count also holds requests still in flight that the venue has not seen yet, so a
        lower figure from the venue is expected and says nothing.
        """

    async def feedback_many(self, reports: Sequence[tuple[str, RateLimit, int]]) -> None:
        """Every ``(key, rule, used)`` one answer reported, in one call.

        Venues report two or three counters per answer (Binance's weight and both order
        counters); a backend that can take them in one go overrides this.
        """
        for key, rule, used in reports:
            await self.feedback(key, rule, used)

    def try_feedback(self, reports: Sequence[tuple[str, RateLimit, int]]) -> bool:
        """Apply ``reports`` on the spot if this backend can without I/O; False: the
        caller awaits :meth:`feedback_many` instead (the default)."""
        return False

    @abc.abstractmethod
    async def block(self, key: str, rule: RateLimit, seconds: float) -> None:
        """Grant nothing on ``key`` for ``seconds`` (429, 418, Retry-After); only extends."""

    @abc.abstractmethod
    async def aclose(self) -> None:
        """Release the backend's resources; requests still waiting fail."""


def merge_demands(demands: Sequence[Demand]) -> list[tuple[str, RateLimit, int]]:
    """One (key, rule, cost) per key: a key listed twice costs the sum; free ones dropped.

    Raises:
        ConfigurationError: a key's demands add up to more than its rule's limit, so they
            could never be granted (every backend refuses that the same way).
    """
    merged: dict[str, tuple[RateLimit, int]] = {}
    for demand in demands:
        if demand.cost:
            _, cost = merged.get(demand.key, (demand.rule, 0))
            merged[demand.key] = (demand.rule, cost + demand.cost)
    for key, (rule, cost) in merged.items():
        if cost > rule.limit:
            raise ConfigurationError(
                f"rate limit {rule.name!r}: demands on {key!r} add up to {cost}, over "
                f"the limit of {rule.limit}")
    return [(key, rule, cost) for key, (rule, cost) in merged.items()]


class Sleepers:
    """Precise sleeps (one timer each, no polling) that closing the limiter can end."""

    def __init__(self) -> None:
        self._waiting: set[asyncio.Future[None]] = set()

    async def sleep(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        sleeper: asyncio.Future[None] = loop.create_future()
        handle = loop.call_later(seconds, _wake, sleeper)
        self._waiting.add(sleeper)
        try:
            await sleeper
        finally:
            handle.cancel()
            self._waiting.discard(sleeper)

    def fail_all(self, error: BaseException) -> None:
        """End every sleep now with ``error`` (the limiter is closing)."""
        for sleeper in list(self._waiting):
            if not sleeper.done():
                sleeper.set_exception(error)


def _wake(sleeper: asyncio.Future[None]) -> None:
    if not sleeper.done():
        sleeper.set_result(None)
