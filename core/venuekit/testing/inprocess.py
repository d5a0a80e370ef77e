"""A sender for tests: signed requests answered in process, without a socket.

``connect(..., sender=InProcessSender.for_simulator(sim))`` routes every request to the
simulator's own aiohttp handlers (its middleware included: limits, faults, signature
checks), and ``InProcessSender.from_table({...})`` answers from canned responses (httpx's
``MockTransport`` idea). Either way every signed request is recorded in ``requests``
exactly as it would have gone on the wire, so a test reads the bytes it cares about
instead of patching aiohttp. An unmatched request fails the test; nothing reaches a
network.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING
from unittest import mock
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.streams import StreamReader
from aiohttp.test_utils import make_mocked_request
from attrs import field, frozen
from multidict import CIMultiDict
from yarl import URL

from ..errors import ConfigurationError, NetworkError, RequestTimeout, VenueError
from ..wire import Response, SignedRequest, encode_json

if TYPE_CHECKING:
    from .simulator import Simulator

__all__ = ["Canned", "InProcessSender", "UnmatchedRequest"]

_STREAM_LIMIT = 2**16


class UnmatchedRequest(AssertionError):
    """A request the test did not expect: no table entry or route answers it."""


@frozen(kw_only=True)
class Canned:
    """A canned answer: status, headers and body bytes."""

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(factory=dict)

    @classmethod
    def json(cls, payload: object, *, status: int = 200,
             headers: Mapping[str, str] | None = None) -> Canned:
        """A JSON answer (Decimals written as the venue would, via the core's encoder)."""
        return cls(status=status, body=encode_json(payload),
                   headers={"Content-Type": "application/json", **(headers or {})})


Handler = Callable[[SignedRequest], "Canned | Awaitable[Canned]"]


class InProcessSender:
    """Answers from a handler; see :meth:`for_simulator`, :meth:`for_app`, :meth:`from_table`."""

    def __init__(self, handler: Handler | None = None, *,
                 app: web.Application | None = None) -> None:
        if (handler is None) == (app is None):
            raise ValueError("give a handler or an app, not both")
        self._handler = handler
        self._app = app
        self.requests: list[SignedRequest] = []
        self.closed = False

    # ------------------------------------------------------------ constructors

    @classmethod
    def for_simulator(cls, simulator: Simulator) -> InProcessSender:
        """Route to a simulator's handlers; the simulator need not be started."""
        return cls.for_app(simulator.make_app())

    @classmethod
    def for_app(cls, app: web.Application) -> InProcessSender:
        """Route to an aiohttp application's routes and middlewares, no socket.

        The path of the connector's ``base_url`` is kept (``http://sim/api/v1`` routes
        ``/api/v1/...``); its host is ignored.
        """
        return cls(app=app)

    @classmethod
    def from_table(cls, table: Mapping[tuple[str, str],
                                       Canned | VenueError | Iterable[Canned | VenueError]]
                   ) -> InProcessSender:
        """Answer ``(METHOD, path)`` from ``table``; a list is consumed one per request and
        its last answer repeats.

        A :class:`~venuekit.VenueError` in the table is raised, as a sender raises a
        network failure (e.g. ``NetworkError`` for a dropped connection).
        """
        queues: dict[tuple[str, str], deque[Canned | VenueError]] = {}
        for (method, path), answer in table.items():
            items = [answer] if isinstance(answer, Canned | VenueError) else list(answer)
            queues[(method.upper(), path)] = deque(items)

        def handle(signed: SignedRequest) -> Canned:
            queue = queues.get((signed.method, signed.path))
            if not queue:
                raise UnmatchedRequest(f"no canned answer for {signed.method} {signed.path}")
            answer = queue.popleft() if len(queue) > 1 else queue[0]
            if isinstance(answer, VenueError):
                raise answer
            return answer

        return cls(handle)

    # ------------------------------------------------------------ the Sender interface

    async def send(self, signed: SignedRequest, *, base_url: str, exchange: str,
                   timeout_s: float) -> Response:
        if self.closed:
            raise ConfigurationError("connector closed")
        self.requests.append(signed)
        try:
            async with asyncio.timeout(timeout_s):
                if self._app is not None:
                    canned = await _dispatch(self._app, signed,
                                             urlsplit(base_url).path.rstrip("/"))
                else:
                    assert self._handler is not None
                    answer = self._handler(signed)
                    canned = await answer if inspect.isawaitable(answer) else answer
        except TimeoutError:
            raise RequestTimeout(f"no answer within {timeout_s:g} s", exchange=exchange,
                                 request=signed.describe()) from None
        except _Dropped:
            raise NetworkError("connection dropped before an answer", exchange=exchange,
                               request=signed.describe()) from None
        except VenueError as exc:
            if exc.exchange is None:
                exc.exchange = exchange
            raise
        assert isinstance(canned, Canned)
        return Response(exchange=exchange, status=canned.status, headers=canned.headers,
                        body=canned.body, request=signed)

    async def aclose(self) -> None:
        self.closed = True

    # ------------------------------------------------------------ reading what was sent

    def sent(self, path: str | None = None, method: str | None = None) -> list[SignedRequest]:
        """The recorded requests, optionally only those to ``path`` / with ``method``."""
        return [r for r in self.requests
                if (path is None or r.path == path) and (method is None or r.method == method)]

    def json_bodies(self, path: str) -> list[object]:
        return [json.loads(r.body) for r in self.sent(path) if r.body]


class _Dropped(Exception):
    """The simulator cut the connection (a drop fault)."""


async def _dispatch(app: web.Application, signed: SignedRequest, base_path: str) -> Canned:
    loop = asyncio.get_running_loop()
    headers = CIMultiDict(signed.headers)
    headers.setdefault("Host", "127.0.0.1")
    if signed.body:
        headers.setdefault("Content-Type", "application/json")
        headers["Content-Length"] = str(len(signed.body))
    payload = StreamReader(mock.Mock(_reading_paused=False), _STREAM_LIMIT, loop=loop)
    if signed.body:
        payload.feed_data(signed.body)
    payload.feed_eof()
    target = base_path + signed.target
    probe = make_mocked_request(signed.method, target, headers, app=app)
    match = await app.router.resolve(probe)
    # the exact bytes of the target, as a server reads them off the request line (a plain
    # mocked request would requote them, e.g. %3A into ":", and break signature checks)
    request = make_mocked_request(signed.method, target, headers, app=app, payload=payload,
                                  match_info=dict(match)).clone(rel_url=URL(target,
                                                                            encoded=True))
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]] = match.handler
    for middleware in reversed(app.middlewares):
        handler = functools.partial(middleware, handler=handler)
    task = asyncio.current_task()
    cancelling = task.cancelling() if task is not None else 0
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
    except asyncio.CancelledError:
        if task is not None and task.cancelling() > cancelling:
            raise  # our own task is being cancelled (a timeout): not a drop
        raise _Dropped from None
    if not isinstance(response, web.Response):
        raise UnmatchedRequest(f"{signed.method} {target}: handler streamed its answer")
    body = response.body
    return Canned(status=response.status, headers=dict(response.headers),
                  body=body if isinstance(body, bytes) else b"")
