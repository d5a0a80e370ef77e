"""When to send a request again, and how to never place an order twice.

Reads go through :func:`retry_idempotent`: exponential backoff with full jitter (from
``backoff``), bounded by tries and total time, for errors whose class says ``retryable``.
Every attempt passes the limiter again, so a retry can never break a rate limit.

Orders go through :class:`OrderPlacer`. An order carries a client order id; after an
*ambiguous* failure (timeout, dropped connection, 5xx, unknown-state code) the venue is
asked for the order by that id before anything is resent:

* found: the first attempt worked; return it.
* not found: keep asking until the request can no longer be accepted (the timestamp it was
  *signed* with plus the venue's receive window, on the venue's clock, however long it
  waited in the limiter before signing), ask once more after that, and only then resend
  with the same id. Binance and OKX free a client id once its order is filled, so a resend
  while the first copy can still arrive would execute twice.
* the venue cannot look orders up by client id: never resend; raise
  :class:`~venuekit.OrderStatusUnknown` carrying the id.

A rejection (insufficient funds, invalid order) is final and never retried.
"""

from __future__ import annotations

import asyncio
import functools
import os
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Protocol, TypeVar

import backoff
from attrs import frozen

from .attempt import Attempt
from .errors import (
    DuplicateOrder,
    InvalidTimestamp,
    OrderNotFound,
    OrderStatusUnknown,
    RateLimitExceeded,
    TokenExpired,
    VenueError,
)
from .models import ClientOrderIdRule, OrderResult

__all__ = [
    "OrderPlacer",
    "OrderRecorder",
    "RetryPolicy",
    "generate_client_order_id",
    "retry_idempotent",
]

T = TypeVar("T")


@frozen(kw_only=True)
class RetryPolicy:
    """Bounds on retrying; ``RetryPolicy.none()`` for tests that must see the first error."""

    max_tries: int = 4
    max_time_s: float = 30.0
    base_delay_s: float = 0.2
    max_delay_s: float = 5.0

    @classmethod
    def none(cls) -> RetryPolicy:
        return cls(max_tries=1)


async def retry_idempotent(attempt: Callable[[], Awaitable[T]], policy: RetryPolicy, *,
                           on_timestamp: Callable[[], Awaitable[None]] | None = None,
                           on_token: Callable[[], Awaitable[None]] | None = None,
                           first_error: VenueError | None = None) -> T:
    """Run ``attempt`` until it succeeds or a non-retryable error or a bound is reached.

    ``first_error`` is the failure of an attempt the caller already made (it counts as
    the first try and is healed or given up on exactly as if it had happened here).

    Timestamp and token errors are healed (clock resync, fresh login) before the retry,
    and only once each: a second one means the problem is not a stale clock or token.
    ``RetryPolicy.none()`` turns every retry off, healing ones included.
    """
    healed: set[type[VenueError]] = set()
    tries = 0
    started = time.monotonic()
    waits: Iterator[float] | None = None
    error = first_error
    while True:
        tries += 1
        if error is None:
            try:
                return await attempt()
            except VenueError as exc:
                error = exc
        failed, error = error, None
        if isinstance(failed, InvalidTimestamp | TokenExpired):
            kind = InvalidTimestamp if isinstance(failed, InvalidTimestamp) else TokenExpired
            heal = on_timestamp if kind is InvalidTimestamp else on_token
            if kind in healed or heal is None or policy.max_tries <= 1:
                raise failed
            healed.add(kind)
            await heal()  # then straight back: the cause is gone, waiting adds nothing
            continue
        if not failed.retryable or tries >= policy.max_tries:
            raise failed
        # backoff's wait generator and full jitter; the loop is spelled out because a
        # decorated function built per call cost more CPU than the request on loopback
        if waits is None:
            waits = backoff.expo(factor=policy.base_delay_s, max_value=policy.max_delay_s)
            next(waits)  # prime the generator, as backoff itself does
        delay = backoff.full_jitter(next(waits))
        if time.monotonic() - started + delay > policy.max_time_s:
            raise failed
        await asyncio.sleep(delay)


def generate_client_order_id(rule: ClientOrderIdRule, prefix: str = "vk") -> str:
    """A fresh id inside the venue's charset and length: prefix plus random characters.

    Random bytes come from a pool of ``secrets.token_bytes`` blocks (:class:`_RandomPool`;
    a call per character once cost a tenth of the client's CPU on the order path) and
    map onto the alphabet through a table, and
    bytes at or above the largest multiple of the alphabet's size are dropped, so every
    character stays equally likely (no modulo bias).
    """
    usable_prefix, needed, draw, table, drop = _id_plan(rule.charset, rule.lowercase,
                                                        rule.max_length, prefix)
    body = ""
    while len(body) < needed:  # a short draw (all bytes dropped) is rare: draw again
        body += _random_bytes(draw).translate(table, drop).decode("latin-1")
    return usable_prefix + body[:needed]


class _RandomPool:
    """Bytes from ``secrets.token_bytes`` drawn a block at a time.

    One system call per block rather than per id (the call cost more than the rest of
    making the id). Ids must never repeat, so a slice is handed out under a lock (loops
    in several threads) and a forked child starts with an empty pool: parent and child
    never share bytes.
    """

    BLOCK = 4096

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._block = b""
        self._used = 0

    def take(self, size: int) -> bytes:
        with self._lock:
            start = self._used
            end = start + size
            if end > len(self._block):
                self._block = secrets.token_bytes(max(self.BLOCK, size))
                start, end = 0, size
            self._used = end
            return self._block[start:end]

    def forget(self) -> None:
        self._lock = threading.Lock()  # a lock held by another thread at fork stays held
        self._block = b""
        self._used = 0


_POOL = _RandomPool()
_random_bytes = _POOL.take
os.register_at_fork(after_in_child=_POOL.forget)


@functools.lru_cache(maxsize=64)
def _id_plan(charset: str, lowercase: bool, max_length: int,
             prefix: str) -> tuple[str, int, int, bytes, bytes]:
    """What :func:`generate_client_order_id` needs per rule, worked out once per rule."""
    if lowercase:
        charset = charset.lower()
    alphabet = "".join(dict.fromkeys(ch for ch in charset if ch.isalnum())) or charset
    if not alphabet or len(alphabet) > 256 or any(ord(ch) > 255 for ch in alphabet):
        raise ValueError(f"cannot generate client order ids from charset {charset!r}")
    usable_prefix = prefix if all(ch in charset for ch in prefix) else ""
    needed = min(max_length, 32) - len(usable_prefix)
    size = len(alphabet)
    keep = 256 - 256 % size  # bytes below this map evenly onto the alphabet
    table = bytes(ord(alphabet[b % size]) for b in range(256))
    # enough bytes that a second draw is almost never needed
    draw = max(needed, 0) * 256 // keep + 16
    return usable_prefix, needed, draw, table, bytes(range(keep, 256))


class OrderRecorder(Protocol):
    """Where the placer reports an order's life: the order journal (:mod:`venuekit.journal`)."""

    def sending(self, signed_ms: int) -> None:
        """An attempt is signed at ``signed_ms`` (venue clock) and about to go out."""

    def placed(self, result: OrderResult) -> None:
        """The venue has the order."""

    def rejected(self, error: VenueError) -> None:
        """The order is final without being placed: no attempt of it can still execute."""


#: Shortest pause between two look-ups while a lost order's window is still open.
MIN_LOOKUP_INTERVAL_S = 0.25
#: Look-ups per window while waiting for a lost order (a found order ends the wait early).
LOOKUPS_PER_WINDOW = 4


@frozen(kw_only=True)
class OrderPlacer:
    """The no-duplicate protocol for one order; the connector supplies the I/O.

    Time is the venue's: an attempt may still take effect until ``settle_s`` after the
    timestamp it was signed with (:class:`~venuekit.attempt.Attempt`), read on the venue's
    clock (``clock_ms``). A request that waited in the limiter before signing gets its full
    window from the signature on, so a Retry-After block or a queued burst can never make
    the core resend while the first copy is still acceptable.
    """

    send: Callable[[Attempt], Awaitable[OrderResult]]
    lookup: Callable[[], Awaitable[OrderResult]] | None  # None: venue cannot look up by id
    resync: Callable[[], Awaitable[None]]
    relogin: Callable[[], Awaitable[None]]
    client_order_id: str
    exchange: str
    #: how long after its signed timestamp the venue may still accept an attempt, margin
    #: included (the venue's receive window, or its expiry where a plugin sets one)
    settle_s: float
    #: the venue's clock in milliseconds (the connector's :class:`~venuekit.clock.Clock`)
    clock_ms: Callable[[], int]
    max_sends: int = 3
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    record: OrderRecorder | None = None
    #: pause between look-ups while the window is open; None: a quarter of ``settle_s``
    lookup_interval_s: float | None = None

    async def place(self, first: tuple[Attempt, VenueError] | None = None) -> OrderResult:
        """Place the order once; report it to :attr:`record` when its fate is known.

        ``first`` is an attempt the caller already sent, and how it failed: the placer
        goes on from there exactly as if it had made that attempt itself (the connector
        sends first without building a placer: nearly every order succeeds at once).

        Raises:
            OrderStatusUnknown: the order may exist and the core cannot tell (it is left
                unresolved in the journal, for :meth:`Connector.recover`).
            VenueError: the order was refused and no attempt of it can still execute.
        """
        try:
            result = await self._place(first)
        except OrderStatusUnknown:
            raise
        except VenueError as exc:
            if self.record is not None:
                self.record.rejected(exc)
            raise
        if self.record is not None:
            self.record.placed(result)
        return result

    async def _place(self, first: tuple[Attempt, VenueError] | None) -> OrderResult:
        sends = 0
        resynced = relogged = False
        while True:
            sends += 1
            failed: VenueError | None = None
            if first is not None:
                (attempt, failed), first = first, None
            else:
                attempt = Attempt(before_send=self.record.sending if self.record else None)
            try:
                if failed is not None:
                    raise failed  # the caller's attempt: handled below like our own
                return await self.send(attempt)
            except InvalidTimestamp:
                # rejected before execution: safe to resend once with a fresh clock
                if resynced:
                    raise
                resynced = True
                await self.resync()
                continue
            except TokenExpired:
                # refused at the door: one fresh login, then the same order once more
                if relogged:
                    raise
                relogged = True
                await self.relogin()
                continue
            except RateLimitExceeded as exc:
                # refused before execution; the limiter blocks until Retry-After
                if not exc.retryable or sends >= self.max_sends:
                    raise
                continue
            except DuplicateOrder as exc:
                if sends == 1 or self.lookup is None:
                    raise
                found = await self._find(exc)
                if found is not None:
                    return found
                raise OrderStatusUnknown(
                    "the venue refused a resend as a duplicate but does not show the order; "
                    f"reconcile client_order_id={self.client_order_id}",
                    client_order_id=self.client_order_id, exchange=self.exchange,
                    request=exc.request) from exc
            except VenueError as exc:
                if not exc.ambiguous or not attempt.sent:
                    raise  # refused, or never left this process: nothing can execute
                if self.lookup is None:
                    raise OrderStatusUnknown(
                        f"the order may or may not exist ({type(exc).__name__}) and "
                        f"{self.exchange} cannot look orders up by client order id; "
                        f"reconcile client_order_id={self.client_order_id} before retrying",
                        client_order_id=self.client_order_id, exchange=self.exchange,
                        request=exc.request) from exc
                found = await self._await_window(attempt, exc)
                if found is not None:
                    return found
                if sends >= self.max_sends:
                    raise OrderStatusUnknown(
                        f"order not placed after {sends} ambiguous attempts",
                        client_order_id=self.client_order_id, exchange=self.exchange) from exc

    async def _await_window(self, attempt: Attempt, cause: VenueError) -> OrderResult | None:
        """Look the order up until the attempt's window has closed on the venue's clock.

        Returns the order as soon as it shows up; None only after a look-up *asked* once the
        window had closed found nothing, so no copy of the attempt can execute any more.
        """
        assert attempt.signed_ms is not None
        closes_ms = attempt.signed_ms + round(self.settle_s * 1000)
        interval = self.lookup_interval_s
        if interval is None:
            interval = max(self.settle_s / LOOKUPS_PER_WINDOW, MIN_LOOKUP_INTERVAL_S)
        while True:
            asked_ms = self.clock_ms()
            found = await self._find(cause)
            if found is not None:
                return found
            if asked_ms >= closes_ms:
                return None
            left_s = (closes_ms - self.clock_ms()) / 1000
            await self.sleep(min(interval, max(left_s, 0.0)))

    async def _find(self, cause: VenueError) -> OrderResult | None:
        assert self.lookup is not None
        try:
            return await self.lookup()
        except OrderNotFound:
            return None
        except VenueError as exc:
            raise OrderStatusUnknown(
                f"the order may or may not exist ({type(cause).__name__}) and looking it up "
                f"failed too ({type(exc).__name__}: {exc.message})",
                client_order_id=self.client_order_id, exchange=self.exchange) from exc
