"""The Redis limiter: several processes or hosts sharing one API key share its limits.

Install with ``pip install venuekit[redis]``; select it with
``connect(..., limiter=make_limiter("redis://host:6379/0"))`` or ``VENUEKIT_LIMITER_URL``
(see :mod:`venuekit.ratelimit.select`). It keeps the in-memory backend's promises, with
Redis as the arbiter.

**One script, the server's clock.** Every operation is one call of ``redis_script.lua``,
which Redis runs atomically. It reads the time with ``TIME``, so hosts whose clocks
disagree still agree on every window; it checks every bucket of a request and takes all of
them or none; and it answers either "granted" or the exact wait, in microseconds, with its
own time. The client maps that onto its monotonic clock (from its quickest recent call, as
NTP does: under load a reply can arrive 100 ms after the script ran), sleeps once on one
timer, and calls again. Nothing polls.

**Fairness: a ticket line per bucket.** A request that cannot go at once takes a ticket at
the back of the line of every bucket it needs: a sorted set scored by the ticket's planned
start, strictly increasing, so the order is the order of arrival at the server, whichever
process sent it. The plan is the moment its cost fits once every ticket ahead has taken its
share, found by walking the log and the line in order of end, from whichever side is
shorter: a few entries for a waiter that woke early, about ``limit`` for one at the back of
a long line, however long. Back from its sleep, a ticket may take if every bucket has room
for it *and for every ticket ahead of it* (in a line of unit costs that is its rank, so the
check reads nothing else). Nobody is overtaken, and a slow or stalled process delays those
behind it by no more than its own share. A new request goes at once only if there is room
for it on top of every waiting ticket. In one window, waiters are served in the order their
wake-ups reach Redis.

Why tickets rather than plain reservations (sleep until a slot, then send): a late
response re-dating its entry, usage feedback or a 429 block can move the earliest safe
moment later after the slot was handed out. With tickets the decision is made at take time
from the log as it is then; a plan only says when to ask. The price is an occasional
second wait: a ticket planned before the ones ahead of it took (a burst) learns on waking
that they took a few ms late, and is told the exact rest. Plans then allow for the lag
measured in the bucket (timer, scheduling and round trip, smoothed), so in steady use a
waiter makes two calls, and in a cold burst about three.

**Tickets expire.** Each ticket has a deadline (its wait plus ``ticket_grace_s``), renewed
whenever it asks again. One past its deadline leaves the line at the next call, so a crashed
process cannot block it. A cancelled waiter removes its ticket before its cancellation
completes, and gives back a grant whose reply it never read (a short-lived tombstone key
covers a cancel that overtakes its own call). Known cost: waiters already asleep behind a
cancelled ticket keep their wake-up time (nobody tells them), so its place is re-used at
most one window late.

**Keys.** ``venuekit:rl:<bucket key>`` is a hash of counters (cost used and queued, count of
non-unit tickets, lag); ``...:log``, ``...:q`` and ``...:dl`` are sorted sets (grants by end,
tickets by plan, tickets by deadline); ``...:block`` holds a 429 / Retry-After block, with
``PX`` expiry. Every write re-arms ``PEXPIRE`` to when the content ends (one window plus
margin after the last grant or planned grant, or the last ticket deadline) plus 250 ms, so
nothing outlives its use. A multi-bucket request touches several buckets in one script, so
its keys must live on one node. On Redis Cluster (``redis+cluster://host:port``) every key
carries its exchange as a hash tag, ``venuekit:rl:{binance}:binance:ip:...``, so all of one
exchange's buckets share a slot (see :func:`._redis_wire.slot_tag` for why the exchange and
not the host or account). Run it
with ``maxmemory-policy noeviction``: every key here has a TTL, so ``volatile-*`` policies
evict them first. Should a set be lost anyway, the counters are recounted from what is left.

**Settle** re-dates a request's entries to a full period from its response when that ends
later than the margin-widened window from its grant (the rule of the in-memory backend). It
is a background call, made only when the response came back later than the margin.

**Loss of Redis** fails closed by default: :class:`~venuekit.errors.LimiterUnavailable` (a
:class:`~venuekit.errors.ConfigurationError`) saying Redis is unreachable, and nothing is
sent. A Redis that accepts connections but does not answer (stopped, swapping, stuck on a
slow command) counts as lost too: every call, from asking the pool for a connection to the
reply and including redis-py's one retry, has ``timeout_s`` in all. It is deliberately not a
:class:`~venuekit.errors.VenueError`: the request never left, so retry and order-lookup
logic must not treat it as a network failure. With ``fallback=True`` the limiter logs one
warning and limits in this process's memory until Redis answers again (tried at most every
``reconnect_s``), then pushes what it counted meanwhile to Redis as usage, logs that Redis
is back, and carries on through it. Feedback and blocks that arrive while Redis is down are
kept in memory and pushed the same way. A Redis restart without persistence forgets the
current windows: run Redis with AOF, or accept one window at risk after a restart.

Redis's clock must not jump (NTP slewing is fine): a jump forward ends windows early.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import secrets
import time
from collections.abc import Awaitable, Coroutine, Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from ..errors import ConfigurationError
from ..models import RateLimit
from ._redis_outage import Back, Outage
from ._redis_wire import (
    CANCELLED,
    GRANTED,
    KEY_SLACK_MS,
    SCRIPT,
    ServerClock,
    Spec,
    Unavailable,
    redact,
    spec_of,
)
from .base import Demand, Limiter, Permit, Sleepers

__all__ = ["DEFAULT_PREFIX", "RedisLimiter"]

log = logging.getLogger("venuekit")

#: Namespace of every key the limiter writes.
DEFAULT_PREFIX = "venuekit:rl:"
#: URL scheme of a Redis Cluster: ``redis+cluster://host:port`` (any node will do).
CLUSTER_SCHEME = "redis+cluster://"
_SPEC_CACHE = 1024


class _RedisPermit(Permit):
    __slots__ = ("_limiter", "_quiet_until", "_settled", "_spec", "_ticket")

    def __init__(self, limiter: RedisLimiter, spec: Spec, ticket: str, granted_at: float,
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

    One limiter serves one event loop (its Redis client belongs to that loop).

    :param redis: a ``redis://``, ``rediss://``, ``unix://`` or ``redis+cluster://`` URL
        (the limiter then owns the client and closes it), or a ``redis.asyncio.Redis`` or
        ``redis.asyncio.cluster.RedisCluster`` client the caller owns.
    :param margin: fraction of each rule's period added to its window (as in memory).
    :param fallback: on loss of Redis, limit in memory with one warning instead of failing.
    :param prefix: namespace of every key.
    :param ticket_grace_s: how late a waiter may come back before its ticket lapses.
    :param timeout_s: the most one call to Redis may take, queueing for a connection and
        redis-py's retry included; past it Redis counts as unreachable, so a stalled Redis
        fails an acquire (or switches it to the fallback) within about this long.
    :param reconnect_s: with the fallback, how often Redis is tried again while it is down.
    :param max_connections: pool size of the client made from a URL; callers beyond it
        queue for a connection.
    """

    def __init__(self, redis: str | aioredis.Redis | RedisCluster, *, margin: float = 0.02,
                 fallback: bool = False, prefix: str = DEFAULT_PREFIX,
                 ticket_grace_s: float = 2.0, timeout_s: float = 2.0,
                 reconnect_s: float = 1.0, max_connections: int = 16) -> None:
        if not 0.0 <= margin < 1.0:
            raise ConfigurationError(f"rate limit margin must be in [0, 1), got {margin}")
        self._pool: aioredis.ConnectionPool | None = None
        self._owned: RedisCluster | None = None
        self._cluster = isinstance(redis, RedisCluster) or (
            isinstance(redis, str) and redis.lower().startswith(CLUSTER_SCHEME))
        if isinstance(redis, str) and self._cluster:
            # redis-py's cluster client finds every node from this one and routes each
            # script call to the node of its keys' slot
            self._owned = RedisCluster.from_url(
                "redis://" + redis[len(CLUSTER_SCHEME):],
                socket_timeout=timeout_s, socket_connect_timeout=timeout_s,
                max_connections=max_connections)
            self._client: aioredis.Redis | RedisCluster = self._owned
            where = redact(redis)
        elif isinstance(redis, RedisCluster):
            self._client = redis
            where = "Redis Cluster"
        elif isinstance(redis, str):
            # A bounded pool that queues callers: a thousand waiters waking at once share
            # a few connections instead of opening a thousand.
            self._pool = aioredis.BlockingConnectionPool.from_url(
                redis, max_connections=max_connections, timeout=None,
                socket_timeout=timeout_s, socket_connect_timeout=timeout_s,
                # one immediate retry replaces a pooled connection a restart broke; every
                # operation of the script is safe to run twice
                retry=Retry(NoBackoff(), 1))
            self._client = aioredis.Redis(connection_pool=self._pool)
            where = redact(redis)
        else:
            self._client = redis
            kwargs = redis.connection_pool.connection_kwargs
            where = f"{kwargs.get('host', '?')}:{kwargs.get('port', '?')}"
        self._script = self._client.register_script(SCRIPT)
        self._outage = Outage(where, fallback=fallback, margin=margin,
                              reconnect_s=reconnect_s)
        self._margin = margin
        self._timeout_s = timeout_s
        self._gate = asyncio.Semaphore(max_connections) if self._cluster else None
        self._prefix = prefix
        self._grace_us = round(ticket_grace_s * 1e6)
        self._instance = secrets.token_hex(6)
        self._ids = itertools.count(1)
        self._clock = ServerClock()
        self._specs: dict[tuple[Demand, ...], Spec | None] = {}
        self._sleepers = Sleepers()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._active = 0
        self._idle: asyncio.Event | None = None
        self._closed = False
        #: Script calls made so far: for metrics and benchmarks.
        self.round_trips = 0

    @property
    def where(self) -> str:
        """The Redis server, without its password: for messages."""
        return self._outage.where

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def degraded(self) -> bool:
        """Whether Redis was unreachable at the last attempt."""
        return self._outage.down

    # ------------------------------------------------------------ the Limiter API

    async def acquire(self, demands: Sequence[Demand]) -> Permit:
        if self._closed:
            raise ConfigurationError("the rate limiter is closed")
        spec = self._spec(demands)
        if spec is None:
            return _FreePermit(time.time(), 0.0)
        while True:
            if await self._reachable():
                self._active += 1
                try:
                    return await self._acquire(spec)
                except Unavailable as exc:
                    self._outage.lost(exc.cause)
                finally:
                    self._active -= 1
                    if self._active == 0 and self._idle is not None:
                        self._idle.set()
            try:
                return await self._outage.acquire(demands)
            except Back:  # Redis answers again: ask it, behind the grants memory made
                if self._closed:
                    raise ConfigurationError(
                        "the rate limiter was closed while waiting") from None

    async def feedback(self, key: str, rule: RateLimit, used: int) -> None:
        if await self._reachable():
            try:
                await self._send("feedback", key, rule, 0, used)
                return
            except Unavailable as exc:
                self._outage.lost(exc.cause)
        await self._outage.feedback(key, rule, used)

    async def block(self, key: str, rule: RateLimit, seconds: float) -> None:
        if not seconds > 0:  # also refuses NaN
            return
        if await self._reachable():
            try:
                await self._send("block", key, rule, 0, int(seconds * 1e6) + 1)
                return
            except Unavailable as exc:
                self._outage.lost(exc.cause)
        await self._outage.block(key, rule, seconds)

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        error = ConfigurationError("the rate limiter was closed while waiting")
        self._sleepers.fail_all(error)
        if self._active:  # let the waiters give their tickets back
            self._idle = asyncio.Event()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), 5.0)
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._outage.aclose()
        if self._pool is not None:
            await self._client.aclose()
            await self._pool.disconnect()
        if self._owned is not None:
            await self._owned.aclose()

    # ------------------------------------------------------------ through Redis

    async def _acquire(self, spec: Spec) -> Permit:
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
                if reply[0] == GRANTED:
                    self._clock.sample(reply[1] / 1e6, sent, got)
                    return _RedisPermit(self, spec, ticket, reply[1] / 1e6, got - since,
                                        got + spec.quiet_s - (got - sent))
                if reply[0] == CANCELLED:  # pragma: no cover - only our own cancel does it
                    raise ConfigurationError("rate limiter ticket cancelled by another call")
                if self._closed:
                    raise ConfigurationError("the rate limiter was closed while waiting")
                wait, server_now = reply[1] / 1e6, reply[2] / 1e6
                self._clock.sample(server_now, sent, got)
                await self._sleep(self._clock.sleep(server_now + wait, wait, sent, got))
        except Unavailable:
            raise  # the ticket went with the server, or lapses at its deadline
        except BaseException:
            await self._withdraw(spec, ticket, in_flight)
            raise

    async def _call(self, op: str, spec: Spec, ident: str, extra: int = 0) -> list[int]:
        self.round_trips += 1
        keys = [self._prefix + spec.tag + "~cancelled:" + ident, *spec.keys]
        args: list[str | int] = [op, ident, self._grace_us, KEY_SLACK_MS, spec.count, extra,
                                 *spec.args]
        reply = await self._bounded(self._queued(self._script(keys=keys, args=args)))
        return [int(value) for value in reply]

    async def _bounded(self, call: Awaitable[Any]) -> Any:
        """Await a redis-py call for at most ``timeout_s``, or raise :class:`Unavailable`.

        The call runs as its own task and is cancelled, not awaited, past the deadline:
        redis-py tidies up a cancelled call (closing its connection, which a stalled
        server may not acknowledge) and that must not count against the caller.
        """
        task = asyncio.ensure_future(call)
        try:
            done, _ = await asyncio.wait((task,), timeout=self._timeout_s)
        except BaseException:
            task.cancel()
            raise
        if not done:
            task.cancel()
            self._tasks.add(task)
            task.add_done_callback(self._reap)
            raise Unavailable(TimeoutError(f"no answer within {self._timeout_s:g} s"))
        try:
            return task.result()
        except (RedisError, OSError) as exc:
            raise Unavailable(exc) from exc

    async def _queued(self, call: Awaitable[Any]) -> Any:
        """On a cluster, queue callers beyond the pool size: its client refuses them
        (``MaxConnectionsError``) where a standalone blocking pool makes them wait."""
        if self._gate is None:
            return await call
        async with self._gate:
            return await call

    def _reap(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: a late failure of an abandoned call says nothing

    async def _send(self, op: str, key: str, rule: RateLimit, cost: int, extra: int) -> None:
        """A feedback, block or record call: one bucket, nothing demanded."""
        await self._call(op, Spec(self._prefix, [(key, rule, cost)], self._margin,
                                  cluster=self._cluster),
                         self._new_id(), extra)

    async def _sleep(self, seconds: float) -> None:
        """One timer for the whole wait; :meth:`aclose` can end it with an error."""
        await self._sleepers.sleep(seconds)

    async def _withdraw(self, spec: Spec, ticket: str, in_flight: bool) -> None:
        """Leave every line before the cancellation completes, even if cancelled again."""
        task = self._background(self._cancel(spec, ticket, in_flight))
        if task is not None:
            with contextlib.suppress(BaseException):
                await asyncio.shield(task)

    async def _cancel(self, spec: Spec, ticket: str, in_flight: bool) -> None:
        try:
            await self._call("cancel", spec, ticket, 1 if in_flight else 0)
        except Unavailable as exc:  # the ticket lapses at its deadline instead
            log.debug("rate limiter: could not withdraw ticket %s: %s", ticket, exc)

    async def _settle(self, spec: Spec, ticket: str) -> None:
        try:
            await self._call("settle", spec, ticket)
        except Unavailable as exc:
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

    async def _reachable(self) -> bool:
        """Whether to go through Redis: it is up, or was down and answers again."""
        return not self._outage.down or await self._recover()

    async def _recover(self) -> bool:
        """Redis was down: try it again and, if it answers, drain memory into it.

        See :mod:`._redis_outage` for why the switch hands memory's grants to Redis
        rather than granting from memory until its windows have passed.
        """
        outage = self._outage
        if not outage.due():
            return False
        outage.probing = True
        try:
            await self._bounded(self._client.ping())
            outage.begin_switch()
            await outage.push(self._send)
        except Unavailable as exc:
            outage.lost(exc.cause)
            return False
        finally:
            outage.end_switch()
        outage.ended()
        return True

    # ------------------------------------------------------------ internals

    def _new_id(self) -> str:
        return f"{self._instance}:{next(self._ids)}"

    def _spec(self, demands: Sequence[Demand]) -> Spec | None:
        key = tuple(demands)
        try:
            return self._specs[key]
        except KeyError:
            pass
        spec = spec_of(demands, self._prefix, self._margin, cluster=self._cluster)
        if len(self._specs) >= _SPEC_CACHE:
            self._specs.clear()
        self._specs[key] = spec
        return spec

