"""Runs one Call: limiter, sign, send the exact bytes, interpret the answer.

One attempt per :meth:`Transport.send`; retry policy lives in :mod:`venuekit.retry`. The
pure steps (limiter demands, signing, status and envelope mapping, usage feedback,
parsing) are :class:`~venuekit.protocol.ExchangeProtocol`'s; the socket is the
:class:`~venuekit.senders.Sender`'s. What is left here is the order of the awaits: wait
for the limiter, sign with the venue's clock *after* the wait, send, settle the permit,
feed usage and blocks back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from attrs import define, field

from .attempt import Attempt
from .clock import Clock
from .errors import ConfigurationError, VenueError
from .models import Auth, RateLimit, Usage
from .protocol import ExchangeProtocol, parse_retry_after
from .ratelimit import Limiter
from .senders import Sender
from .wire import Call, Response

__all__ = ["Transport", "parse_retry_after"]

T = TypeVar("T")


def _without_trailing_slash(url: str) -> str:
    return url.rstrip("/")


@define
class Transport:
    """Everything one connector needs to put a request on the wire."""

    protocol: ExchangeProtocol
    sender: Sender
    base_url: str = field(converter=_without_trailing_slash)
    limiter: Limiter
    clock: Clock
    timeout_s: float = 10.0
    #: called with every response before it is interpreted (tests and audit taps)
    on_response: Callable[[Response], None] | None = None
    closed: bool = field(default=False, init=False)

    @property
    def exchange(self) -> str:
        return self.protocol.exchange

    def set_auth(self, auth: Auth | None) -> None:
        self.protocol.set_auth(auth)

    def bucket_key(self, rule: RateLimit) -> str:
        """The limiter key this connector's requests use for ``rule`` (for tests, tools)."""
        return self.protocol.bucket_key(rule)

    async def send(self, call: Call[T], *, timeout_s: float | None = None,
                   attempt: Attempt | None = None) -> T:
        """One attempt: wait for the limiter, sign, send, check, parse.

        ``attempt`` learns the venue-clock timestamp the request was signed with, before
        it is sent: the order protocol's receive window starts there, however long the
        request waited in the limiter.

        Raises:
            ConfigurationError: the connector is closed (nothing is sent).
            VenueError: the venue refused, or the request failed on the way; its text
                never holds a credential value.
        """
        if self.closed:
            raise ConfigurationError(f"{self.exchange}: connector closed")
        protocol = self.protocol
        request = call.request
        demands = protocol.demands(request)
        limiter = self.limiter.resolved()
        permit = None
        if demands:  # granted on the spot as a rule; only a wait needs a coroutine
            permit = limiter.try_acquire(demands)
            if permit is None:
                permit = await limiter.acquire(demands)
        try:
            timestamp_ms = self.clock.now_ms()
            signed = protocol.sign(request, timestamp_ms)
            if attempt is not None:  # the order protocol's clock starts here, not above
                attempt.signed(timestamp_ms)
            response = await self.sender.send(signed, base_url=self.base_url,
                                              exchange=protocol.exchange,
                                              timeout_s=timeout_s or self.timeout_s)
        except VenueError as exc:
            raise protocol.scrubber.error(exc) from None
        finally:
            if permit is not None:
                permit.settle()
        if self.on_response is not None:
            self.on_response(response)
        outcome = protocol.interpret(call, response)
        if outcome.usages:
            reports = self._reports(outcome.usages)
            # one call for all of them (venues report two or three counters), on the spot
            # where the backend can
            if reports and not limiter.try_feedback(reports):
                await limiter.feedback_many(reports)
        if outcome.block_s is not None:
            for demand in demands:
                await limiter.block(demand.key, demand.rule, outcome.block_s)
        if outcome.error is not None:  # Outcome.unwrap, written out: once per request
            raise outcome.error
        return outcome.value  # type: ignore[return-value]  # a value when error is None

    def _reports(self, usages: Sequence[Usage]) -> list[tuple[str, RateLimit, int]]:
        """``(bucket key, rule, used)`` of every reported usage this connector has a rule
        for: the limiter's feedback."""
        protocol = self.protocol
        targets = protocol.usage_targets  # worked out once per rule, read on every answer
        reports = []
        for usage in usages:
            rule = usage.rule
            target = targets[rule] if rule in targets else protocol.usage_target(rule)
            if target is not None:
                reports.append((target[1], target[0], usage.used))
        return reports

    async def aclose(self) -> None:
        self.closed = True
        await self.sender.aclose()
