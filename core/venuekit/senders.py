"""The I/O half of a request: put signed bytes on the wire and bring the answer back.

A :class:`Sender` is the one small interface below the pure layer (httpx's transport
idea): ``send`` takes the exact bytes and returns a :class:`~venuekit.Response`, or raises
a core network error. :class:`AiohttpSender` is the default; ``venuekit.testing`` has an
in-process sender that answers from a simulator's handlers or a table without a socket.

The aiohttp session is one per connector: a connector talks to one host, so its pool is
that host's keep-alive pool, and closing the connector frees exactly its sockets. Hosts
that want one pool for many connectors pass their own session (never closed here).
"""

from __future__ import annotations

import functools
import time
from typing import Protocol

import aiohttp
import yarl
from multidict import CIMultiDict

from .errors import ConfigurationError, NetworkError, RequestTimeout
from .wire import Response, SignedRequest

__all__ = ["AiohttpSender", "Sender"]

_CONTENT_TYPE = "Content-Type"
#: aiohttp's public ``request()`` wraps the request's coroutine in a context manager built
#: through a typing generic alias, which costs about as much again as signing a request
#: (it tries to set ``__orig_class__`` on a slotted object and swallows the error). A
#: sender reads every body whole and releases the connection itself, so it awaits the
#: coroutine directly where aiohttp has it, and goes through ``request()`` otherwise.
_AWAIT_DIRECTLY = callable(getattr(aiohttp.ClientSession, "_request", None))


class Sender(Protocol):
    """Sends one signed request; every failure is a core :class:`~venuekit.VenueError`."""

    async def send(self, signed: SignedRequest, *, base_url: str, exchange: str,
                   timeout_s: float) -> Response:
        """Send ``signed`` verbatim to ``base_url`` and return the venue's answer.

        Raises:
            RequestTimeout: no answer within ``timeout_s``.
            NetworkError: the connection failed or dropped (the request may have arrived).
            ConfigurationError: the sender was closed.
        """
        ...

    async def aclose(self) -> None:
        """Free the sender's connections; a closed sender never opens new ones."""
        ...


class AiohttpSender:
    """The default sender: an aiohttp client session, opened on first use."""

    def __init__(self, session: aiohttp.ClientSession | None = None, *,
                 extra_headers: tuple[tuple[str, str], ...] = ()) -> None:
        self._session = session
        self._owns_session = session is None
        self._extra_headers = extra_headers
        self._timeout: aiohttp.ClientTimeout | None = None  # the last one used
        self.closed = False

    @property
    def session(self) -> aiohttp.ClientSession | None:
        return self._session

    def _client(self) -> aiohttp.ClientSession:
        session = self._session
        if session is None or session.closed:
            if self.closed:
                raise ConfigurationError("connector closed")
            if not self._owns_session:
                raise ConfigurationError("the session passed to connect() is closed")
            # aiohttp's defaults (100 pooled keep-alive connections, DNS cached 10 s); no
            # session-wide headers: merging them costs CPU on every request
            session = self._session = aiohttp.ClientSession(trust_env=False)
        return session

    async def send(self, signed: SignedRequest, *, base_url: str, exchange: str,
                   timeout_s: float) -> Response:
        url = yarl.URL(base_url + signed.target, encoded=True)
        # a CIMultiDict, not the signed pairs as they are: aiohttp would copy either, but
        # plugin tests read the headers a request was given (aioresponses) by name; its
        # membership test ignores case, so one lookup finds any spelling of Content-Type
        headers = CIMultiDict(signed.headers)
        if self._extra_headers:
            headers.update(self._extra_headers)
        if signed.body and _CONTENT_TYPE not in headers:
            headers[_CONTENT_TYPE] = "application/json"
        session = self._session
        if session is None or self.closed:
            session = self._client()
        timeout = self._timeout
        if timeout is None or timeout.total != timeout_s:
            timeout = self._timeout = _client_timeout(timeout_s)
        started = time.perf_counter()
        try:
            resp = await (session._request if _AWAIT_DIRECTLY else session.request)(
                signed.method, url, data=signed.body or None, headers=headers,
                allow_redirects=False, timeout=timeout)
            try:
                body = await resp.read()
            finally:
                resp.release()  # what leaving `async with resp` does (the body is read)
            resp_headers = resp.headers  # immutable and case-insensitive already
            status = resp.status
        except TimeoutError:
            raise RequestTimeout(f"no answer within {timeout_s:g} s", exchange=exchange,
                                 request=signed.describe()) from None
        except aiohttp.ClientConnectorError as exc:
            raise NetworkError(f"cannot connect to {_netloc(base_url)}: {exc.os_error}",
                               exchange=exchange, request=signed.describe()) from None
        except RuntimeError:
            if not session.closed:
                raise
            # closed under us (nothing was sent): aclose(), the host's own session, or ours
            # closed from outside, which the next request replaces
            self._client()  # raises the ConfigurationError for the first two
            raise ConfigurationError("the aiohttp session was closed outside venuekit; "
                                     "nothing was sent") from None
        except (aiohttp.ClientError, OSError) as exc:
            if self.closed:
                raise ConfigurationError("connector closed") from None
            raise NetworkError(f"connection failed: {type(exc).__name__}: {exc}",
                               exchange=exchange, request=signed.describe()) from None
        return Response(exchange=exchange, status=status, headers=resp_headers, body=body,
                        request=signed, elapsed_ms=(time.perf_counter() - started) * 1000)

    async def aclose(self) -> None:
        self.closed = True
        session = self._session
        if session is not None and self._owns_session and not session.closed:
            await session.close()


@functools.lru_cache(maxsize=16)
def _client_timeout(seconds: float) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=seconds)


def _netloc(base_url: str) -> str:
    return base_url.partition("//")[2].partition("/")[0] or base_url
