"""One managed socket: connect, log in, subscribe, read, keep alive, reconnect.

States and the moves between them (h11 style)::

    CONNECTING --open--> LOGGING_IN --LoggedIn--> SUBSCRIBING --every Ack--> OPEN
                         (no login frames / no subscribe acks: those steps are skipped)
    any --dead / closed / error--> BACKOFF --wait--> CONNECTING
    any --SessionExpired / lifetime reached--> CONNECTING  (at once, a new session)
    any --login refused (AuthenticationError)--> FAILED     (watchers get the error)
    any --connector closed--> CLOSED

Every reconnect after a failure waits ``StreamSettings.backoff`` (capped, jittered) and is
logged as a warning, so a socket that keeps dying is visible, never a silent stall.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import random
import time
from typing import TYPE_CHECKING, Protocol

from ..errors import (
    AuthenticationError,
    InvalidTimestamp,
    NetworkError,
    NotSupported,
    VenueError,
)
from ..stream_models import (
    Ack,
    LoggedIn,
    Ping,
    Pong,
    ResyncNeeded,
    SessionExpired,
    SocketContext,
    StreamEvent,
    StreamFailure,
    StreamFrame,
    StreamRole,
    Subscription,
)
from .codec import base_for, decode, rebase_url
from .socket import MessageKind, Socket

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..hookcallers import HookCallers
    from ..models import Auth, Market
    from ..stream_models import DataEvent, StreamInfo
    from .settings import StreamSettings
    from .socket import SocketOpener


class HubLike(Protocol):
    """What a managed socket uses of its hub (the hub owns the sockets, so this module
    does not import it)."""

    info: StreamInfo
    settings: StreamSettings
    opener: SocketOpener
    base_url: str | Mapping[str, str] | None

    @property
    def exchange(self) -> str: ...
    @property
    def display_name(self) -> str: ...
    @property
    def testnet(self) -> bool: ...
    @property
    def auth(self) -> Auth | None: ...
    @property
    def hooks(self) -> HookCallers: ...
    @property
    def markets(self) -> Mapping[str, Market]: ...
    def now_ms(self) -> int: ...
    async def resync_clock(self) -> None: ...
    def scrub(self, text: str) -> str: ...
    def idle_timeout_s(self) -> float: ...
    def lifetime_s(self) -> float | None: ...
    def heartbeat(self) -> tuple[float, str | None] | None: ...
    def session_key(self, role: StreamRole) -> str | None: ...
    async def ensure_session(self, role: StreamRole) -> str | None: ...
    def forget_session(self, role: StreamRole) -> None: ...
    async def connection_budget(self) -> None: ...
    def on_opened(self, socket: ManagedSocket) -> None: ...
    def on_connected(self, socket: ManagedSocket) -> None: ...
    def on_disconnected(self, socket: ManagedSocket) -> None: ...
    def on_data(self, event: DataEvent) -> None: ...
    def resync_needed(self, socket: ManagedSocket, event: ResyncNeeded) -> None: ...
    def fail(self, role: StreamRole, error: VenueError) -> None: ...

__all__ = ["ManagedSocket", "SocketState"]

log = logging.getLogger("venuekit.streams")


class SocketState(enum.Enum):
    CONNECTING = "connecting"
    LOGGING_IN = "logging_in"
    SUBSCRIBING = "subscribing"
    OPEN = "open"
    BACKOFF = "backoff"
    FAILED = "failed"
    CLOSED = "closed"


class _Rotate(Exception):
    """Leave the read loop and reconnect at once (session expired, lifetime reached)."""


class ManagedSocket:
    """A socket of one role carrying up to the venue's limit of subscriptions (a shard)."""

    def __init__(self, hub: HubLike, role: StreamRole, shard: int) -> None:
        self.hub = hub
        self.role = role
        self.shard = shard
        self.subs: dict[object, Subscription] = {}
        self.state = SocketState.CONNECTING
        self.connects = 0  #: successful opens (for tests and the bench)
        self.healthy = False  #: the current or last socket got as far as OPEN
        self._socket: Socket | None = None
        self._task: asyncio.Task[None] | None = None
        self._request_id = 0
        self._stopping = False
        self._login_token: str | None = None  # this socket's login answer's token

    @property
    def name(self) -> str:
        return f"{self.hub.exchange} {self.role.value} stream #{self.shard}"

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        self._stopping = True
        self.state = SocketState.CLOSED
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task  # closing: whatever it ended with is not news
            self._task = None
        await self._close_socket()

    def stopping(self) -> bool:
        return self._stopping

    async def drop(self) -> None:
        """Close the current socket as if the venue cut it (the loop reconnects)."""
        await self._close_socket()

    # ------------------------------------------------------------ subscriptions

    async def add(self, sub: Subscription) -> None:
        self.subs[sub.key] = sub
        if self.state is SocketState.OPEN:
            await self._send_subscriptions([sub], subscribe=True)

    async def remove(self, sub: Subscription) -> None:
        self.subs.pop(sub.key, None)
        if self.state is SocketState.OPEN:
            await self._send_subscriptions([sub], subscribe=False)

    async def resubscribe(self, sub: Subscription) -> None:
        if self.state is SocketState.OPEN:
            await self._send_subscriptions([sub], subscribe=False)
            await self._send_subscriptions([sub], subscribe=True)

    def _context(self, session_key: str | None) -> SocketContext:
        self._request_id += 1
        return SocketContext(role=self.role, testnet=self.hub.testnet, auth=self.hub.auth,
                             timestamp_ms=self.hub.now_ms(), session_key=session_key,
                             subscriptions=tuple(self.subs.values()),
                             request_id=self._request_id, login_token=self._login_token)

    async def _send_subscriptions(self, subs: list[Subscription], *, subscribe: bool) -> int:
        """Send the frames in chunks; returns how many frames went out."""
        sent = 0
        size = max(self.hub.info.max_subscriptions_per_frame, 1)
        for start in range(0, len(subs), size):
            chunk = subs[start:start + size]
            frames = self.hub.hooks.stream_subscribe(
                context=self._context(self.hub.session_key(self.role)),
                subscriptions=chunk, subscribe=subscribe)
            if frames is None:
                raise NotSupported(f"{self.hub.display_name} does not stream "
                                   f"{', '.join(s.kind.value for s in chunk)}",
                                   exchange=self.hub.exchange, operation="watch")
            for frame in frames:
                await self._send(frame)
            sent += len(frames)
        return sent

    async def _send(self, text: str) -> None:
        sock = self._socket
        if sock is None or sock.closed:
            raise NetworkError(f"{self.name}: socket not open")
        await sock.send(text)

    # ------------------------------------------------------------ the loop

    async def _run(self) -> None:
        attempt = 0
        while not self._stopping:
            reason = ""
            stale_clock = False
            try:
                await self._connect_and_read()
                attempt = 0
                continue  # rotated on purpose: reconnect at once
            except _Rotate:
                attempt = 0
                continue
            except AuthenticationError as exc:
                self.state = SocketState.FAILED
                log.error("%s: login refused (%s); not reconnecting", self.name, exc)
                self.hub.fail(self.role, exc)
                return
            except NotSupported as exc:
                self.state = SocketState.FAILED
                self.hub.fail(self.role, exc)
                return
            except asyncio.CancelledError:
                raise
            except (VenueError, OSError, TimeoutError, ValueError) as exc:
                reason = f"{type(exc).__name__}: {self.hub.scrub(str(exc))}"
                stale_clock = isinstance(exc, InvalidTimestamp)
            except Exception as exc:  # never let the loop die silently
                log.exception("%s: unexpected error", self.name)
                reason = type(exc).__name__
            finally:
                await self._close_socket()
            if self.stopping():
                return
            if self.healthy:  # it served before it died: start the backoff afresh
                attempt = 0
                self.healthy = False
            self.state = SocketState.BACKOFF
            delay = self.hub.settings.backoff(attempt, random.random())  # jitter, not crypto
            attempt += 1
            log.warning("%s lost (%s); reconnect attempt %d in %.2f s", self.name, reason,
                        attempt, delay)
            await asyncio.sleep(delay)
            if stale_clock and not self.stopping():
                await self.hub.resync_clock()  # the next login signs with a fresh offset

    async def _connect_and_read(self) -> None:
        hub = self.hub
        self.state = SocketState.CONNECTING
        await hub.connection_budget()
        key = await hub.ensure_session(self.role)
        self._login_token = None  # a new socket logs in afresh
        context = self._context(key)
        url = hub.hooks.stream_url(context=context)
        if url is None:
            raise NotSupported(f"{hub.display_name} has no {self.role.value} stream socket",
                               exchange=hub.exchange, operation="watch")
        base = base_for(hub.base_url, self.role.value)
        self._socket = await hub.opener.open(rebase_url(url, base),
                                             timeout_s=hub.settings.connect_timeout_s)
        self.connects += 1
        self.healthy = False
        opened = time.monotonic()
        lifetime = hub.lifetime_s()
        heartbeat: asyncio.Task[None] | None = None
        hub.on_opened(self)
        try:
            login = hub.hooks.stream_login(context=context) or []
            for frame in login:
                await self._send(frame)
            if login:
                self.state = SocketState.LOGGING_IN
                await self._read(until=LoggedIn, count=1,
                                 deadline=time.monotonic() + hub.info.login_timeout_s)
            frames = await self._send_subscriptions(list(self.subs.values()), subscribe=True)
            if frames and hub.info.subscribe_acks:
                # resync only once the venue serves the subscriptions: a change between
                # the REST read and the subscription would otherwise be seen by neither
                self.state = SocketState.SUBSCRIBING
                await self._read(until=Ack, count=frames,
                                 deadline=time.monotonic() + hub.info.login_timeout_s)
            self.state = SocketState.OPEN
            self.healthy = True
            hub.on_connected(self)
            heartbeat = asyncio.get_running_loop().create_task(self._heartbeat())
            await self._read(until=None, count=0,
                             deadline=None if lifetime is None else opened + lifetime)
        finally:
            if heartbeat is not None:
                heartbeat.cancel()
            self.hub.on_disconnected(self)

    async def _read(self, *, until: type[LoggedIn] | type[Ack] | None, count: int,
                    deadline: float | None) -> None:
        """Read and act on frames; with ``until``, return after ``count`` such events."""
        hub = self.hub
        sock = self._socket
        assert sock is not None
        idle = hub.idle_timeout_s()
        while not self._stopping:  # a cancel swallowed by a frame arriving at that moment
            wait = idle
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    if until is not None:
                        what = "login" if until is LoggedIn else "subscribe"
                        raise NetworkError(f"{self.name}: no {what} answer in time")
                    log.info("%s: maximum lifetime reached, replacing it", self.name)
                    raise _Rotate
                wait = min(wait, left)
            try:
                async with asyncio.timeout(wait):
                    message = await sock.receive()
            except TimeoutError:
                if deadline is not None and time.monotonic() >= deadline:
                    continue
                raise NetworkError(f"{self.name}: no frame for {idle:g} s, socket dead") \
                    from None
            if message.kind is MessageKind.CLOSED:
                raise NetworkError(f"{self.name}: closed by the venue")
            text = decode(message.data, hub.info.compression)
            try:
                events = hub.hooks.parse_stream_frame(
                    frame=StreamFrame(role=self.role, text=text, markets=hub.markets))
            except Exception as exc:  # a plugin bug on one frame must not end the stream
                log.warning("%s: could not parse a frame (%s: %s): %.200s", self.name,
                            type(exc).__name__, exc, hub.scrub(text))
                continue
            for event in events or ():
                await self._control(event)
                if until is not None and isinstance(event, until):
                    count -= 1
                    if count <= 0:
                        return

    async def _control(self, event: StreamEvent) -> None:
        """Act on a control event; data events go to the hub."""
        if isinstance(event, Ping):
            await self._send(event.reply)
        elif isinstance(event, LoggedIn):
            self._login_token = event.token
        elif isinstance(event, Pong | Ack):
            pass
        elif isinstance(event, StreamFailure):
            if isinstance(event.error, AuthenticationError | InvalidTimestamp) or event.fatal:
                raise event.error  # a refused timestamp: reconnect after a clock resync
            log.warning("%s: venue refused a request: %s", self.name,
                        self.hub.scrub(str(event.error)))
        elif isinstance(event, SessionExpired):
            log.info("%s: session expired, renewing", self.name)
            self.hub.forget_session(self.role)
            raise _Rotate
        elif isinstance(event, ResyncNeeded):
            self.hub.resync_needed(self, event)
        else:
            self.hub.on_data(event)

    async def _heartbeat(self) -> None:
        beat = self.hub.heartbeat()
        if beat is None:
            return
        interval, frame = beat
        while True:
            await asyncio.sleep(interval)
            sock = self._socket
            if sock is None or sock.closed:
                return
            try:
                if frame is None:
                    await sock.ping()
                else:
                    await sock.send(frame)
            except NetworkError:
                return  # the read loop sees the dead socket

    async def _close_socket(self) -> None:
        sock, self._socket = self._socket, None
        if sock is not None:
            with contextlib.suppress(OSError, RuntimeError):  # already gone
                await sock.close()
