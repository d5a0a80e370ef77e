"""The socket interface below the stream machinery, beside the HTTP :class:`~venuekit.Sender`.

The core talks to a :class:`Socket` opened by a :class:`SocketOpener`; the default opener
uses aiohttp. Tests may pass any opener (a loopback simulator works with the default one),
so the machinery above never touches aiohttp itself.
"""

from __future__ import annotations

import asyncio
import enum
from typing import Protocol

import aiohttp
import yarl
from attrs import frozen

from ..errors import AuthenticationError, NetworkError

__all__ = ["AiohttpSocketOpener", "MessageKind", "Socket", "SocketMessage", "SocketOpener"]


class MessageKind(enum.Enum):
    TEXT = "text"
    BINARY = "binary"
    CLOSED = "closed"


@frozen
class SocketMessage:
    kind: MessageKind
    data: str | bytes = ""


class Socket(Protocol):
    """One open WebSocket."""

    @property
    def closed(self) -> bool: ...

    async def send(self, text: str) -> None:
        """Send one text frame; raises :class:`~venuekit.NetworkError` on a dead socket."""

    async def receive(self) -> SocketMessage:
        """The next data frame, or a CLOSED message once the socket is gone."""

    async def ping(self) -> None:
        """A WebSocket protocol ping (for venues without an application heartbeat)."""

    async def close(self) -> None: ...


class SocketOpener(Protocol):
    async def open(self, url: str, *, timeout_s: float) -> Socket:
        """Open a socket; raises :class:`~venuekit.NetworkError` when it cannot."""

    async def aclose(self) -> None: ...


class _AiohttpSocket:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws

    @property
    def closed(self) -> bool:
        return self._ws.closed

    async def send(self, text: str) -> None:
        try:
            await self._ws.send_str(text)
        except (aiohttp.ClientError, ConnectionError, RuntimeError) as exc:
            raise NetworkError(f"socket send failed: {type(exc).__name__}") from None

    async def receive(self) -> SocketMessage:
        while True:
            try:
                msg = await self._ws.receive()
            except (aiohttp.ClientError, ConnectionError, RuntimeError):
                return SocketMessage(MessageKind.CLOSED)
            if msg.type is aiohttp.WSMsgType.TEXT:
                return SocketMessage(MessageKind.TEXT, str(msg.data))
            if msg.type is aiohttp.WSMsgType.BINARY:
                return SocketMessage(MessageKind.BINARY, bytes(msg.data))
            if msg.type in (aiohttp.WSMsgType.PING, aiohttp.WSMsgType.PONG):
                continue  # aiohttp answers protocol pings itself
            return SocketMessage(MessageKind.CLOSED)

    async def ping(self) -> None:
        try:
            await self._ws.ping()
        except (aiohttp.ClientError, ConnectionError, RuntimeError) as exc:
            raise NetworkError(f"socket ping failed: {type(exc).__name__}") from None

    async def close(self) -> None:
        await self._ws.close()


#: Handshake statuses that mean the credentials were refused, not that the venue was busy.
_REFUSED_CREDENTIALS = frozenset({401, 403})


class AiohttpSocketOpener:
    """Opens sockets on a session of its own (or a host's, left open on close)."""

    def __init__(self, session: aiohttp.ClientSession | None = None) -> None:
        self._session = session
        self._owned = session is None

    async def open(self, url: str, *, timeout_s: float) -> Socket:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
            self._owned = True
        try:
            async with asyncio.timeout(timeout_s):
                # encoded=True: a signed query goes out byte for byte as the plugin built it
                ws = await self._session.ws_connect(
                    yarl.URL(url, encoded=True), autoping=True, max_msg_size=0,
                    timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=timeout_s))
        except aiohttp.WSServerHandshakeError as exc:
            if exc.status in _REFUSED_CREDENTIALS:  # a signed URL or a key refused: final
                raise AuthenticationError(f"the venue refused the stream socket (http "
                                          f"{exc.status})", status=exc.status) from None
            raise NetworkError(f"could not open the stream socket: http {exc.status}",
                               status=exc.status) from None
        except (aiohttp.ClientError, ConnectionError, TimeoutError, OSError) as exc:
            raise NetworkError(f"could not open the stream socket: {type(exc).__name__}: "
                               f"{_no_query(str(exc))}") from None
        return _AiohttpSocket(ws)

    async def aclose(self) -> None:
        if self._owned and self._session is not None:
            await self._session.close()
        self._session = None


def _no_query(text: str) -> str:
    # a listenKey or signature lives in the query: never in an error message
    return text.split("?", 1)[0]
