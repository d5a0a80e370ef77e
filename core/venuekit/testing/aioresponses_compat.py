"""aioresponses on aiohttp 3.14: build the canned responses the way 3.14 constructs them.

aiohttp 3.14 added a required keyword argument, ``stream_writer``, to
``ClientResponse.__init__`` (the response reads the request's byte count from it).
aioresponses 0.7.9 predates it, so every mocked request fails with ``TypeError:
ClientResponse.__init__() missing 1 required keyword-only argument: 'stream_writer'``.
Pinning aiohttp below 3.14 is not an option: 3.14 carries a security fix. Upstream has the
fix in review (aioresponses pull request #288); this module bridges the gap and goes away
once a release carries it.

Use :func:`mock_aiohttp` where you would write ``aioresponses()``::

    from venuekit.testing.aioresponses_compat import mock_aiohttp

    with mock_aiohttp() as mocked:
        mocked.get("https://api.example.com/v1/time", payload={"serverTime": 1})

or wrap an existing ``aioresponses()`` block in :func:`aioresponses_compatible`. Both are
no-ops where nothing needs fixing: an aiohttp whose ``ClientResponse`` takes no
``stream_writer``, or an aioresponses that already passes one. The pytest plugin's
``venuekit_http_mock`` fixture uses :func:`mock_aiohttp`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any
from unittest import mock

from aiohttp import ClientResponse
from aioresponses import aioresponses
from aioresponses.core import RequestMatch
from yarl import URL

__all__ = ["aioresponses_compatible", "mock_aiohttp", "needs_stream_writer"]

ResponseFactory = Callable[..., ClientResponse]


class _SentRequestWriter:
    """Stands in for the writer of a request that was already sent in full.

    ``ClientResponse`` reads only ``output_size`` from the writer it is given when there is
    no writer task left (``writer=None``, which is what aioresponses passes): the number of
    bytes sent. A mocked request sent nothing over a wire, so that is 0.
    """

    output_size = 0


def needs_stream_writer() -> bool:
    """Whether this aiohttp's ``ClientResponse`` requires the argument aioresponses omits."""
    parameters = inspect.signature(ClientResponse.__init__).parameters
    stream_writer = parameters.get("stream_writer")
    return stream_writer is not None and stream_writer.default is inspect.Parameter.empty


def _with_stream_writer(response_class: type[ClientResponse] | None) -> ResponseFactory:
    """A factory that builds ``response_class`` and supplies ``stream_writer`` if absent."""
    cls = response_class or ClientResponse

    def build(method: str, url: URL, **kwargs: Any) -> ClientResponse:
        kwargs.setdefault("stream_writer", _SentRequestWriter())
        return cls(method, url, **kwargs)

    return build


@contextmanager
def aioresponses_compatible() -> Iterator[None]:
    """While active, aioresponses builds responses this aiohttp accepts.

    Patches ``RequestMatch._build_response`` (the one place aioresponses calls the
    response class) to hand it a factory that adds ``stream_writer``. Nothing is patched
    when this aiohttp does not require the argument; nothing is added when aioresponses
    already passes it.
    """
    if not needs_stream_writer():
        yield
        return
    # Typed as a plain callable: the factory stands in for aioresponses' response class.
    original: Callable[..., ClientResponse] = RequestMatch._build_response

    def build_response(self: RequestMatch, *args: Any,
                       response_class: type[ClientResponse] | None = None,
                       **kwargs: Any) -> ClientResponse:
        factory = _with_stream_writer(response_class)
        return original(self, *args, response_class=factory, **kwargs)

    with mock.patch.object(RequestMatch, "_build_response", build_response):
        yield


@contextmanager
def mock_aiohttp(**options: Any) -> Iterator[aioresponses]:
    """``aioresponses(**options)`` that works on every aiohttp venuekit supports.

    As with aioresponses itself, a request that matches no registered answer fails with
    ``ClientConnectionError``, so nothing reaches a network.
    """
    with ExitStack() as stack:
        stack.enter_context(aioresponses_compatible())
        yield stack.enter_context(aioresponses(**options))
