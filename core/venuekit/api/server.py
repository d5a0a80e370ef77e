"""Serving the API on a socket with limits that hold under a flood of slow clients.

aiohttp's server bounds the body size and closes idle keep-alive connections, but nothing
bounds how long a client may take to send a request head, nor how many connections it may
hold: a few thousand sockets that each send one header byte now and then exhaust the
process's file descriptors, and every real request then fails. This module puts a thin
protocol in front of aiohttp's own request handler (``loop.create_server`` with a factory
that wraps the handler aiohttp's runner builds), which sees every connection from accept
to close:

- **Admission.** At most ``max_connections`` in total and ``max_connections_per_ip`` from
  one address. A connection over a cap does not simply lose: the oldest connection of that
  address (or of the server) that has no request in progress, i.e. one still dribbling its
  head or idling in keep-alive, is closed to make room. A flood therefore cannot starve a
  client that sends its request promptly, even from the same address; only when every
  connection is busy with a request is the newcomer refused (503).
- **Head deadline.** A connection must deliver a complete request head within
  ``header_timeout_s`` of being accepted, and the next one within the same time after each
  response (an idle keep-alive connection counts as waiting for a head). "Complete" is
  learnt from aiohttp itself: the outermost middleware runs exactly when the head has been
  parsed, and tells the connection's guard. No second HTTP parser, so nothing to disagree
  with aiohttp about where a head ends.
- **Body deadline.** The innermost middleware (after the token check, so an anonymous
  client is never waited on) reads the body within ``body_timeout_s`` or answers 408.
- **Bounded logs.** Repeated records of the loggers a flood makes talk (asyncio, aiohttp,
  this module) pass at most ``log_burst`` per ``log_window_s``; the next record that passes
  says how many were held back.

A per-connection ``call_later`` is the watchdog: one timer handle per socket, cancelled
when the head arrives, costs nothing next to the socket itself.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import attrs
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from attrs import field, frozen

from .errors import error_response

__all__ = ["RunningServer", "ServerLimits", "start_server"]

log = logging.getLogger("venuekit.api.server")

#: Loggers a flood of broken connections makes repeat themselves.
FLOOD_LOGGERS = ("asyncio", "aiohttp.server", "aiohttp.web", "aiohttp.access",
                 "aiohttp.internal", "venuekit.api.server")



def _reply(status: str, code: str, message: str) -> bytes:
    """A complete close-delimited JSON error response, written straight to the socket."""
    body = json.dumps({"error": {"code": code, "message": message}}).encode() + b"\n"
    return (f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nConnection: close\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


_BUSY_REPLY = _reply("503 Service Unavailable", "overloaded",
                     "every connection slot is busy with a request; retry shortly")
_HEAD_TIMEOUT_REPLY = _reply("408 Request Timeout", "request_timeout",
                             "the request head did not arrive in time")


def _positive(_: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if not value > 0:
        raise ValueError(f"{attribute.name} must be positive, not {value!r}")


@frozen(kw_only=True)
class ServerLimits:
    """How long and how many; the defaults suit one host app on loopback or a LAN.

    :param header_timeout_s: from accept (or from the previous response) to a complete
        request head; also how long an idle keep-alive connection stays open. 10 s.
    :param body_timeout_s: from a complete head to a complete body. 30 s.
    :param max_connections: open connections in total, 512; lowered to leave 64 file
        descriptors spare when the process may open fewer.
    :param max_connections_per_ip: open connections from one client address, 64.
    :param log_window_s: the window of the log budget, 10 s.
    :param log_burst: records passed per window by the flood loggers, 20.
    """

    header_timeout_s: float = field(default=10.0, validator=_positive)
    body_timeout_s: float = field(default=30.0, validator=_positive)
    max_connections: int = field(default=512, validator=_positive)
    max_connections_per_ip: int = field(default=64, validator=_positive)
    log_window_s: float = field(default=10.0, validator=_positive)
    log_burst: int = field(default=20, validator=_positive)

    def effective_max_connections(self) -> int:
        """``max_connections``, or fewer when the descriptor limit would be reached first."""
        try:
            import resource
        except ImportError:  # Windows: no RLIMIT_NOFILE
            return self.max_connections
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == resource.RLIM_INFINITY:
            return self.max_connections
        return max(1, min(self.max_connections, soft - 64))


@frozen
class ServerStats:
    """Counters since start, for tests, benchmarks and an operator's curiosity."""

    open: int
    refused: int
    evicted: int
    head_timeouts: int
    body_timeouts: int


# ---------------------------------------------------------------- per-connection guard


class _Guard(asyncio.Protocol):
    """Stands between the event loop and aiohttp's handler for one connection."""

    def __init__(self, gate: _Gate) -> None:
        self._gate = gate
        self._inner: asyncio.Protocol | None = None
        self.transport: asyncio.Transport | None = None
        self.ip = "?"
        self.busy = 0            # requests whose head arrived and whose handler still runs
        self.served = 0          # requests completed on this connection
        self._timer: asyncio.TimerHandle | None = None
        self.closed = False

    # asyncio.Protocol, forwarded to aiohttp's handler once admitted

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.ip = str(peer[0]) if isinstance(peer, tuple) and peer else "?"
        if not self._gate.admit(self):
            self.closed = True
            transport.write(_BUSY_REPLY)
            transport.close()
            return
        assert self._gate.inner_factory is not None
        self._inner = self._gate.inner_factory()
        self._arm()
        self._inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self._inner is not None and not self.closed:
            self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._inner is not None else None

    def pause_writing(self) -> None:
        if self._inner is not None:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._inner is not None:
            self._inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self._gate.release(self)
        self.closed = True
        if self._inner is not None:
            self._inner.connection_lost(exc)

    # signals from the middlewares

    def head_received(self) -> None:
        self.busy += 1
        self._disarm()

    def request_done(self) -> None:
        self.busy -= 1
        self.served += 1
        if self.busy == 0 and not self.closed:
            self._arm()

    # closing

    def close(self, reply: bytes = b"") -> None:
        """Close a connection with no request in progress; ``reply`` goes out first."""
        if self.closed or self.transport is None:
            return
        self.closed = True
        self._disarm()
        self._gate.release(self)
        if reply:
            self.transport.write(reply)
        self.transport.close()

    def _arm(self) -> None:
        self._disarm()
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self._gate.limits.header_timeout_s, self._head_late)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _head_late(self) -> None:
        self._timer = None
        if self.busy or self.closed:
            return
        self._gate.head_timeouts += 1
        if self.served == 0:
            log.warning("closed a connection from %s: no request head within %.0f s",
                        self.ip, self._gate.limits.header_timeout_s)
        # after a response, the client owes nothing: an idle keep-alive simply ends
        self.close(_HEAD_TIMEOUT_REPLY if self.served == 0 else b"")


class _Gate:
    """Admission and bookkeeping shared by every connection of one server."""

    def __init__(self, limits: ServerLimits,
                 inner_factory: Callable[[], asyncio.Protocol] | None = None) -> None:
        self.limits = limits
        self.inner_factory = inner_factory
        self.max_total = limits.effective_max_connections()
        # insertion order is accept order: the first idle one found is the oldest
        self.open: dict[_Guard, None] = {}
        self.by_ip: collections.Counter[str] = collections.Counter()
        self.by_transport: dict[asyncio.BaseTransport, _Guard] = {}
        self.refused = self.evicted = self.head_timeouts = self.body_timeouts = 0

    def admit(self, guard: _Guard) -> bool:
        per_ip = self.limits.max_connections_per_ip
        if self.by_ip[guard.ip] >= per_ip and not self._evict(lambda g: g.ip == guard.ip):
            return self._refuse(guard, f"{per_ip} connections from this address are busy")
        if len(self.open) >= self.max_total and not self._evict(lambda g: True):
            return self._refuse(guard, f"all {self.max_total} connections are busy")
        self.open[guard] = None
        self.by_ip[guard.ip] += 1
        assert guard.transport is not None
        self.by_transport[guard.transport] = guard
        return True

    def _refuse(self, guard: _Guard, why: str) -> bool:
        self.refused += 1
        log.warning("refused a connection from %s: %s", guard.ip, why)
        return False

    def _evict(self, match: Callable[[_Guard], bool]) -> bool:
        """Close the oldest matching connection without a request in progress, if any."""
        victim = next((g for g in self.open if not g.busy and not g.closed and match(g)), None)
        if victim is None:
            return False
        self.evicted += 1
        log.warning("closed an idle connection from %s to admit a new one", victim.ip)
        victim.close(_HEAD_TIMEOUT_REPLY if victim.served == 0 else b"")
        return True

    def release(self, guard: _Guard) -> None:
        if guard in self.open:
            del self.open[guard]
            self.by_ip[guard.ip] -= 1
            if self.by_ip[guard.ip] <= 0:
                del self.by_ip[guard.ip]
        if guard.transport is not None:
            self.by_transport.pop(guard.transport, None)

    def guard_of(self, request: web.BaseRequest) -> _Guard | None:
        transport = request.transport
        return None if transport is None else self.by_transport.get(transport)


# ---------------------------------------------------------------- middlewares


def _head_middleware(gate: _Gate) -> Middleware:
    @web.middleware
    async def head_seen(request: web.Request, handler: Handler) -> web.StreamResponse:
        guard = gate.guard_of(request)
        if guard is None:
            return await handler(request)
        guard.head_received()
        try:
            response = await handler(request)
            if not response.prepared:
                # send it here, so the connection counts as busy until the last byte is
                # out: an eviction or a head deadline never cuts a response short
                await response.prepare(request)
                await response.write_eof()
            return response
        finally:
            guard.request_done()

    return head_seen


def _body_middleware(gate: _Gate) -> Middleware:
    timeout = gate.limits.body_timeout_s

    @web.middleware
    async def body_in_time(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.body_exists:
            try:
                async with asyncio.timeout(timeout):
                    await request.read()  # cached: the handler's json() reads no more
            except TimeoutError:
                gate.body_timeouts += 1
                response = error_response(408, "request_timeout",
                                          f"the request body did not arrive within {timeout:g} s")
                response.force_close()
                return response
        return await handler(request)

    return body_in_time


# ---------------------------------------------------------------- log budget


class _LogBudget(logging.Filter):
    """Passes at most ``burst`` records per window; the next one to pass counts the rest."""

    def __init__(self, window_s: float, burst: int) -> None:
        super().__init__()
        self.window_s = window_s
        self.burst = burst
        self._start = time.monotonic()
        self._passed = 0
        self._held = 0

    def filter(self, record: logging.LogRecord) -> bool:
        now = time.monotonic()
        if now - self._start >= self.window_s:
            self._start, self._passed = now, 0
        if self._passed >= self.burst:
            self._held += 1
            return False
        self._passed += 1
        if self._held:
            record.msg = f"{record.getMessage()} ({self._held} similar records held back)"
            record.args = None
            self._held = 0
        return True


# ---------------------------------------------------------------- running


@attrs.define
class RunningServer:
    """A started server: where it listens, its counters, and how to stop it."""

    host: str
    port: int
    _runner: web.AppRunner
    _server: asyncio.AbstractServer
    _gate: _Gate
    _budget: _LogBudget

    @property
    def url(self) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{shown}:{self.port}"

    def stats(self) -> ServerStats:
        gate = self._gate
        return ServerStats(len(gate.open), gate.refused, gate.evicted, gate.head_timeouts,
                           gate.body_timeouts)

    async def stop(self) -> None:
        """Stop accepting, close idle connections, let requests in progress finish (aiohttp's
        graceful shutdown), and take the log budget off again."""
        self._server.close()
        for guard in list(self._gate.open):
            if not guard.busy:
                guard.close()
        await self._runner.cleanup()
        await self._server.wait_closed()
        for name in FLOOD_LOGGERS:
            logging.getLogger(name).removeFilter(self._budget)


async def start_server(app: web.Application, host: str, port: int,
                       limits: ServerLimits | None = None) -> RunningServer:
    """Serve ``app`` on ``host:port`` (0 for a free port) within ``limits``.

    ``app`` must not have been started yet: the two limit middlewares are added to it.
    Raises ``OSError`` when the address cannot be bound, after cleaning up.
    """
    limits = limits or ServerLimits()
    runner = web.AppRunner(app, handle_signals=False,
                           keepalive_timeout=limits.header_timeout_s,
                           lingering_time=min(10.0, limits.body_timeout_s))
    gate = _Gate(limits)
    app.middlewares.insert(0, _head_middleware(gate))
    app.middlewares.append(_body_middleware(gate))
    await runner.setup()
    assert runner.server is not None
    gate.inner_factory = runner.server
    loop = asyncio.get_running_loop()
    try:
        server = await loop.create_server(lambda: _Guard(gate), host, port,
                                          reuse_address=True, backlog=min(1024, gate.max_total))
    except OSError:
        await runner.cleanup()
        raise
    bound = server.sockets[0].getsockname()[1] if server.sockets else port
    budget = _LogBudget(limits.log_window_s, limits.log_burst)
    for name in FLOOD_LOGGERS:
        logging.getLogger(name).addFilter(budget)
    return RunningServer(host, bound, runner, server, gate, budget)
