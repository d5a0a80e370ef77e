"""The Redis limiter: several processes or hosts sharing one API key share its limits.

Install with ``pip install venuekit[redis]``; select it with
``connect(..., limiter=make_limiter("redis://host:6379/0"))`` or ``VENUEKIT_LIMITER_URL``
(see :mod:`venuekit.ratelimit.select`). It keeps the in-memory backend's promises, with
Redis as the arbiter:

**One script, the server's clock.** Every operation is one call of ``redis_script.lua``,
which Redis runs atomically. It reads the time with ``TIME``, so hosts whose clocks
disagree still agree on every window, checks every bucket of a request and takes them all
or none, and answers either "granted" or the exact wait. The client sleeps that long once
(one timer, no polling) and calls again.

**Fairness: a ticket line per bucket.** A request that cannot go at once takes a ticket at
the back of every line it needs (a sorted set, scored by its planned start, strictly
increasing, so the order is the order of arrival at the server, whichever process sent it).
The plan is the moment its cost fits once every ticket ahead has taken its share, found by
walking the log and the line from the latest end backwards: about ``limit`` entries,
however long the line. Back from its sleep, a ticket may take if every bucket has room for
it *and for every ticket ahead of it*: nobody is ever overtaken, and a slow process does
not hold up those behind it beyond its own share. A new request goes at once only if there
is room for it on top of every waiting ticket. Why tickets rather than plain reservations
(sleep until a precomputed slot, then send): a late response re-dating its entry, usage
feedback, or a 429 block can move the earliest safe moment later after a slot was handed
out; with tickets the decision is made at take time from the log as it is then, and a plan
is only when to ask.

**Tickets expire.** Each ticket has a deadline (its wait plus ``ticket_grace_s``), renewed
whenever it asks again; one past its deadline leaves the line at the next call, so a crashed
process cannot block the line. A cancelled waiter removes its ticket before the cancellation
completes, and gives back a grant whose reply it never read (a tombstone key covers a cancel
that overtakes its own in-flight call). Known cost: the waiters already asleep behind a
cancelled ticket keep their wake-up time (nobody tells them), so its place is re-used at most
one window late.

**Keys** are ``venuekit:rl:<bucket key>`` (a hash with the counters) and ``...:log``,
``...:q``, ``...:dl`` (sorted sets) and ``...:block`` (the 429 / Retry-After block, a string
with ``PX`` expiry). Every write re-arms ``PEXPIRE`` to when the content ends (one window
plus margin after the last grant or planned grant) plus a small slack, so nothing outlives
its use. A multi-bucket request touches several buckets in one script, so the keys must
live on one Redis node: use a standalone server (or Sentinel), not Redis Cluster.

**Settle** re-dates a request's entries to a full period from its response when that ends
later than the margin-widened window from its grant (the same rule as in memory). It is a
background call, made only when the response took longer than the margin.

**Loss of Redis** fails closed by default: :class:`~venuekit.errors.ConfigurationError`
saying Redis is unreachable (never a :class:`~venuekit.errors.VenueError`: the request was
not sent, so retry and order-lookup logic must not treat it as a network failure). With
``fallback=True`` the limiter logs one warning and limits in this process's memory until
Redis answers again (tried at most every ``reconnect_s``); then it pushes what it counted
meanwhile to Redis as usage feedback, logs that it is back, and carries on through Redis.
Feedback and blocks that arrive while Redis is down are kept in memory and pushed the same
way. A Redis restart without persistence forgets the current windows: run it with AOF, or
accept one window at risk.

The Redis clock must not jump (NTP slewing is fine): a jump forward ends windows early.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import math
import secrets
import time
from collections.abc import Coroutine, Sequence
from importlib import resources
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from ..errors import ConfigurationError
from ..models import RateLimit
from .base import Demand, Limiter, Permit
from .memory import MemoryLimiter

__all__ = ["DEFAULT_PREFIX", "RedisLimiter"]

log = logging.getLogger("venuekit")

#: Namespace of every key the limiter writes.
DEFAULT_PREFIX = "venuekit:rl:"
#: Added to every key's TTL beyond the end of its content.
KEY_SLACK_MS = 250
#: Floor of any sleep between two calls for one request.
MIN_SLEEP_S = 0.0005

_SCRIPT = resources.files("venuekit.ratelimit").joinpath("redis_script.lua").read_text("utf-8")
_GRANTED, _WAIT, _CANCELLED = 0, 1, -1
_SPEC_CACHE = 1024


class _Unavailable(Exception):
    """Redis did not answer; carries redis-py's error."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


class _Spec:
    """One request's buckets as the script wants them: keys and per-bucket arguments."""

    __slots__ = ("args", "keys", "quiet_s")

    def __init__(self, prefix: str, needs: Sequence[tuple[str, RateLimit, int]],
                 margin: float) -> None:
        self.keys: list[str] = []
        self.args: list[int] = []
        quiet = math.inf
        for key, rule, cost in needs:
            base = prefix + key
            self.keys += [base, base + ":log", base + ":q", base + ":dl", base + ":block"]
            period_us = round(rule.period_s * 1e6)
            window_us = math.ceil(period_us * (1.0 + margin))
            self.args += [rule.limit, period_us, window_us, cost]
            quiet = min(quiet, (window_us - period_us) / 1e6)
        #: How long after the grant a response may arrive without moving any entry.
        self.quiet_s = quiet


class _ServerClock:
    """Maps Redis's clock onto this host's monotonic clock, to wake at the planned moment.

    A reply's wait counts from when the script ran, somewhere between our send and its
    receipt; under load (a thousand waiters asking at once) that can be a hundred ms apart.
    Like NTP, trust the quickest recent call: its server time sits at the midpoint of its
    send and receipt, give or take half its round trip. A sample older than a few seconds
    gives way to the next one, which keeps up with clock drift.
    """

    __slots__ = ("_at", "_offset", "_rtt")

    def __init__(self) -> None:
        self._offset = math.nan
        self._rtt = math.inf
        self._at = -math.inf

    def sample(self, server: float, sent: float, got: float) -> None:
        rtt = got - sent
        if rtt <= self._rtt or got - self._at > 5.0:
            self._offset = server - (sent + got) / 2
            self._rtt = rtt
            self._at = got

    def sleep(self, server_at: float, wait: float, sent: float, got: float) -> float:
        """How long to sleep from now (``got``) until ``server_at``, on the server's clock.

        Whatever the estimate, the answer stays within what this call alone proves: the
        script ran after ``sent`` and before ``got``.
        """
        estimate = server_at - self._offset - got
        if math.isnan(estimate):
            estimate = wait
        # a zero wait is never planned; were a bug to answer one, this keeps it from spinning
        return max(min(max(estimate, wait - (got - sent)), wait), MIN_SLEEP_S)


class _RedisPermit(Permit):
    __slots__ = ("_limiter", "_quiet_until", "_settled", "_spec", "_ticket")

    def __init__(self, limiter: RedisLimiter, spec: _Spec, ticket: str, granted_at: float,
                 waited: float, quiet_until: float) -> None:
        super().__init__(granted_at, waited)
        self._limiter = limiter
        self._spec = spec
        self._ticket = ticket
        self._quiet_until = quiet_until
        self._settled = False

    def settle(self) -> None:
        if self._settled:
            return
        self._settled = True
        if time.monotonic() <= self._quiet_until:
            return  # back within the margin: the grant-time window already covers it
        self._limiter._background(self._limiter._settle(self._spec, self._ticket))


class _FreePermit(Permit):
    """For a request that costs nothing."""

    __slots__ = ()

    def settle(self) -> None:
        return None


class RedisLimiter(Limiter):
    """Weighted sliding-log limiter kept in Redis, shared by every process that uses it.

    :param redis: a ``redis://``, ``rediss://`` or ``unix://`` URL (the limiter then owns
        the client and closes it), or a ``redis.asyncio.Redis`` client the caller owns.
    :param margin: fraction of each rule's period added to its window (as in memory).
    :param fallback: on loss of Redis, limit in memory with one warning instead of failing.
    :param ticket_grace_s: how late a waiter may come back before its ticket lapses.
    :param timeout_s: connect and read timeout for the client made from a URL.
    :param max_connections: size of that client's pool; callers beyond it queue.
    :param reconnect_s: in fallback mode, how often Redis is tried again while it is down.
    """

    def __init__(self, redis: str | aioredis.Redis, *, margin: float = 0.02,
                 fallback: bool = False, prefix: str = DEFAULT_PREFIX,
                 ticket_grace_s: float = 2.0, timeout_s: float = 2.0,
                 reconnect_s: float = 1.0, max_connections: int = 16) -> None:
        if not 0.0 <= margin < 1.0:
            raise ConfigurationError(f"rate limit margin must be in [0, 1), got {margin}")
        self._pool: aioredis.ConnectionPool | None = None
        if isinstance(redis, str):
            # A bounded pool that queues callers: a thousand waiters waking at once share
            # a few connections instead of opening a thousand.
            self._pool = aioredis.BlockingConnectionPool.from_url(
                redis, max_connections=max_connections, timeout=None,
                socket_timeout=timeout_s, socket_connect_timeout=timeout_s,
                # one immediate retry replaces a pooled connection a restart broke; every
                # operation of the script is safe to run twice
                retry=Retry(NoBackoff(), 1))
            self._client = aioredis.Redis(connection_pool=self._pool)
            self.where = _redact(redis)
        else:
            self._client = redis
            kwargs = redis.connection_pool.connection_kwargs
            self.where = f"{kwargs.get('host', '?')}:{kwargs.get('port', '?')}"
        self._script = self._client.register_script(_SCRIPT)
        self._margin = margin
        self._fallback = fallback
        self._prefix = prefix
        self._grace_us = round(ticket_grace_s * 1e6)
        self._reconnect_s = reconnect_s
        self._instance = secrets.token_hex(6)
        self._ids = itertools.count(1)
        self._clock = _ServerClock()
        self._specs: dict[tuple[Demand, ...], _Spec | None] = {}
        self._sleepers: set[asyncio.Future[None]] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._memory: MemoryLimiter | None = None
        # while Redis is unreachable: keys counted or blocked in memory, to push back later
        self._degraded = False
        self._cause: BaseException | None = None
        self._retry_at = 0.0
        self._probing = False
        self._kept: dict[str, RateLimit] = {}
        self._kept_blocks: dict[str, tuple[RateLimit, float]] = {}
        self._active = 0
        self._idle: asyncio.Event | None = None
        self._closed = False
        #: Script calls made so far: for metrics and benchmarks.
        self.round_trips = 0

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def degraded(self) -> bool:
        """Whether Redis was unreachable at the last attempt."""
        return self._degraded

    # ------------------------------------------------------------ the Limiter API

    async def acquire(self, demands: Sequence[Demand]) -> Permit:
        if self._closed:
            raise ConfigurationError("the rate limiter is closed")
        spec = self._spec(demands)
        if spec is None:
            return _FreePermit(time.time(), 0.0)
        if self._degraded and not await self._recover():
            return await self._local(demands, self._cause)
        self._active += 1
        try:
            return await self._acquire(spec)
        except _Unavailable as exc:
            cause = exc.cause
        finally:
            self._active -= 1
            if self._active == 0 and self._idle is not None:
                self._idle.set()
        self._lost(cause)
        return await self._local(demands, cause)

    async def feedback(self, key: str, rule: RateLimit, used: int) -> None:
        if self._degraded and not await self._recover():
            await self._keep_feedback(key, rule, used)
            return
        spec = _Spec(self._prefix, [(key, rule, 0)], self._margin)
        try:
            await self._call("feedback", spec, self._new_id(), used)
        except _Unavailable as exc:
            self._lost(exc.cause)
            await self._keep_feedback(key, rule, used)

    async def block(self, key: str, rule: RateLimit, seconds: float) -> None:
        if not seconds > 0:  # also refuses NaN
            return
        if self._degraded and not await self._recover():
            await self._keep_block(key, rule, seconds)
            return
        spec = _Spec(self._prefix, [(key, rule, 0)], self._margin)
        try:
            await self._call("block", spec, self._new_id(), math.ceil(seconds * 1e6))
        except _Unavailable as exc:
            self._lost(exc.cause)
            await self._keep_block(key, rule, seconds)

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        error = ConfigurationError("the rate limiter was closed while waiting")
        for sleeper in list(self._sleepers):
            if not sleeper.done():
                sleeper.set_exception(error)
        if self._active:  # let the waiters give their tickets back
            self._idle = asyncio.Event()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), 5.0)
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._memory is not None:
            await self._memory.aclose()
        if self._pool is not None:
            await self._client.aclose()
            await self._pool.disconnect()

    # ------------------------------------------------------------ through Redis

    async def _acquire(self, spec: _Spec) -> Permit:
        ticket = self._new_id()
        since = time.monotonic()
        in_flight = False
        try:
            while True:
                sent = time.monotonic()
                in_flight = True
                reply = await self._call("take", spec, ticket)
                in_flight = False
                got = time.monotonic()
                if reply[0] == _GRANTED:
                    self._clock.sample(reply[1] / 1e6, sent, got)
                    return _RedisPermit(self, spec, ticket, reply[1] / 1e6, got - since,
                                        got + spec.quiet_s - (got - sent))
                if reply[0] == _CANCELLED:  # pragma: no cover - only our own cancel does it
                    raise ConfigurationError("rate limiter ticket cancelled by another call")
                if self._closed:
                    raise ConfigurationError("the rate limiter was closed while waiting")
                wait, server_now = reply[1] / 1e6, reply[2] / 1e6
                self._clock.sample(server_now, sent, got)
                await self._sleep(self._clock.sleep(server_now + wait, wait, sent, got))
        except _Unavailable:
            raise  # the ticket went with the server, or lapses at its deadline
        except BaseException:
            await self._withdraw(spec, ticket, in_flight)
            raise

    async def _call(self, op: str, spec: _Spec, ident: str, extra: int = 0) -> list[int]:
        self.round_trips += 1
        keys = [self._prefix + "~cancelled:" + ident, *spec.keys]
        args: list[str | int] = [op, ident, self._grace_us, KEY_SLACK_MS,
                                 len(spec.keys) // 5, extra, *spec.args]
        try:
            reply = await self._script(keys=keys, args=args)
        except (RedisError, OSError) as exc:
            raise _Unavailable(exc) from exc
        return [int(value) for value in reply]

    async def _sleep(self, seconds: float) -> None:
        """One timer for the whole wait; :meth:`aclose` can end it with an error."""
        loop = asyncio.get_running_loop()
        sleeper: asyncio.Future[None] = loop.create_future()
        handle = loop.call_later(seconds, _wake, sleeper)
        self._sleepers.add(sleeper)
        try:
            await sleeper
        finally:
            handle.cancel()
            self._sleepers.discard(sleeper)

    async def _withdraw(self, spec: _Spec, ticket: str, in_flight: bool) -> None:
        """Leave every line before the cancellation completes, even if cancelled again."""
        task = self._background(self._cancel(spec, ticket, in_flight))
        if task is not None:
            with contextlib.suppress(BaseException):
                await asyncio.shield(task)

    async def _cancel(self, spec: _Spec, ticket: str, in_flight: bool) -> None:
        try:
            await self._call("cancel", spec, ticket, 1 if in_flight else 0)
        except _Unavailable as exc:  # the ticket lapses at its deadline instead
            log.debug("rate limiter: could not withdraw ticket %s: %s", ticket, exc)

    async def _settle(self, spec: _Spec, ticket: str) -> None:
        try:
            await self._call("settle", spec, ticket)
        except _Unavailable as exc:
            log.debug("rate limiter: could not re-date %s: %s", ticket, exc)

    def _background(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None] | None:
        try:
            task = asyncio.get_running_loop().create_task(coro)
        except RuntimeError:  # no loop: nothing can be awaited anyway
            coro.close()
            return None
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # ------------------------------------------------------------ without Redis

    def _lost(self, cause: BaseException) -> None:
        self._cause = cause
        self._retry_at = time.monotonic() + self._reconnect_s
        if self._degraded:
            return
        self._degraded = True
        if self._fallback:
            log.warning("rate limiter: Redis at %s is unreachable (%s); limiting in this "
                        "process's memory until it answers again", self.where, cause)
        else:
            log.warning("rate limiter: Redis at %s is unreachable (%s); requests fail until "
                        "it answers again", self.where, cause)

    def _unreachable(self, cause: BaseException | None) -> ConfigurationError:
        why = f" ({cause})" if cause is not None else ""
        return ConfigurationError(
            f"rate limiter: Redis at {self.where} is unreachable{why}; failing closed, so "
            "nothing is sent without its limit. Bring Redis back, or allow the in-memory "
            "fallback (fallback=True, VENUEKIT_LIMITER_FALLBACK=1)")

    def _memory_limiter(self) -> MemoryLimiter:
        if self._memory is None:
            self._memory = MemoryLimiter(margin=self._margin)
        return self._memory

    async def _local(self, demands: Sequence[Demand], cause: BaseException | None) -> Permit:
        if not self._fallback:
            raise self._unreachable(cause) from cause
        for demand in demands:
            self._kept[demand.key] = demand.rule
        return await self._memory_limiter().acquire(demands)

    async def _keep_feedback(self, key: str, rule: RateLimit, used: int) -> None:
        self._kept[key] = rule
        await self._memory_limiter().feedback(key, rule, used)

    async def _keep_block(self, key: str, rule: RateLimit, seconds: float) -> None:
        until = time.monotonic() + seconds
        _, known = self._kept_blocks.get(key, (rule, 0.0))
        self._kept_blocks[key] = (rule, max(until, known))
        await self._memory_limiter().block(key, rule, seconds)

    async def _recover(self) -> bool:
        """While degraded: try Redis again; on success push what was kept in memory.

        In fallback mode at most every ``reconnect_s`` and by one caller at a time (the
        others carry on in memory); failing closed, every request tries.
        """
        if self._fallback and (self._probing or time.monotonic() < self._retry_at):
            return False
        self._probing = True
        try:
            await self._push_kept()
        except _Unavailable as exc:
            self._lost(exc.cause)
            return False
        finally:
            self._probing = False
        if self._degraded:
            self._degraded = False
            log.info("rate limiter: Redis at %s answers again; limiting through it",
                     self.where)
        return True

    async def _push_kept(self) -> None:
        memory = self._memory
        if memory is None or not (self._kept or self._kept_blocks):
            try:
                await self._client.ping()
            except (RedisError, OSError) as exc:
                raise _Unavailable(exc) from exc
            self.round_trips += 1
            return
        now = time.monotonic()
        for key, rule in list(self._kept.items()):
            used = memory.used(key)
            if used:
                spec = _Spec(self._prefix, [(key, rule, 0)], self._margin)
                await self._call("feedback", spec, self._new_id(), used)
            del self._kept[key]
        for key, (rule, until) in list(self._kept_blocks.items()):
            if until > now:
                spec = _Spec(self._prefix, [(key, rule, 0)], self._margin)
                await self._call("block", spec, self._new_id(), math.ceil((until - now) * 1e6))
            del self._kept_blocks[key]

    # ------------------------------------------------------------ internals

    def _new_id(self) -> str:
        return f"{self._instance}:{next(self._ids)}"

    def _spec(self, demands: Sequence[Demand]) -> _Spec | None:
        """Merge demands per key (a key listed twice costs the sum); None if all are free."""
        cache_key = tuple(demands)
        try:
            return self._specs[cache_key]
        except KeyError:
            pass
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
        spec = (_Spec(self._prefix, [(key, rule, cost) for key, (rule, cost) in merged.items()],
                      self._margin) if merged else None)
        if len(self._specs) >= _SPEC_CACHE:
            self._specs.clear()
        self._specs[cache_key] = spec
        return spec


def _wake(sleeper: asyncio.Future[None]) -> None:
    if not sleeper.done():
        sleeper.set_result(None)


def _redact(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host += f":{parts.port}"
    host = f"{parts.username or ''}:***@{host}"
    return urlunsplit(parts._replace(netloc=host))
