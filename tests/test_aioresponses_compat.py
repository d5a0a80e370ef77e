"""The aioresponses shim: mocked answers arrive intact, and it stays out of the way elsewhere."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses
from aioresponses.core import RequestMatch
from venuekit.testing import aioresponses_compat
from venuekit.testing.aioresponses_compat import (
    aioresponses_compatible,
    mock_aiohttp,
    needs_stream_writer,
)
from yarl import URL

URL_A = "https://api.example.invalid/v1/a"


async def test_mocked_answer_arrives_with_status_body_and_headers() -> None:
    with mock_aiohttp() as mocked:
        mocked.get(URL_A, status=418, payload={"ok": False}, headers={"Retry-After": "3"})
        async with aiohttp.ClientSession() as session, session.get(URL_A) as response:
            assert response.status == 418
            assert await response.json() == {"ok": False}
            assert response.headers["Retry-After"] == "3"


async def test_unmatched_request_fails_without_reaching_a_network() -> None:
    with mock_aiohttp() as mocked:
        mocked.get(URL_A, payload={})
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.ClientConnectionError):
                await session.get("https://api.example.invalid/v1/other")


class TaggedResponse(aiohttp.ClientResponse):
    """A response class of a test's own, which aioresponses lets a mock choose."""


async def test_a_mock_s_own_response_class_is_kept() -> None:
    with mock_aiohttp() as mocked:
        mocked.get(URL_A, body=b"x", response_class=TaggedResponse)
        async with aiohttp.ClientSession() as session, session.get(URL_A) as response:
            assert type(response) is TaggedResponse
            assert await response.read() == b"x"


async def test_wrapping_a_plain_aioresponses_block_works_too() -> None:
    with aioresponses_compatible(), aioresponses() as mocked:
        mocked.post(URL_A, body=b"done")
        async with aiohttp.ClientSession() as session, session.post(URL_A) as response:
            assert await response.text() == "done"


def test_patch_is_active_only_inside_the_block() -> None:
    original = RequestMatch._build_response
    with aioresponses_compatible():
        patched = RequestMatch._build_response
    assert RequestMatch._build_response is original
    assert (patched is not original) == needs_stream_writer()


def test_no_patch_when_aiohttp_does_not_require_a_stream_writer(
        monkeypatch: pytest.MonkeyPatch) -> None:
    class OlderResponse:
        def __init__(self, method: str, url: URL, *, writer: Any, session: Any) -> None:
            self.method = method

    monkeypatch.setattr(aioresponses_compat, "ClientResponse", OlderResponse)
    assert not needs_stream_writer()
    original = RequestMatch._build_response
    with aioresponses_compatible():
        assert RequestMatch._build_response is original


def test_a_stream_writer_aioresponses_passes_itself_is_left_alone() -> None:
    """Once upstream passes one, the shim adds nothing: the caller's writer is used."""
    seen: dict[str, Any] = {}

    class Recording(aiohttp.ClientResponse):
        def __init__(self, method: str, url: URL, **kwargs: Any) -> None:
            seen.update(kwargs)

    theirs = object()
    build = aioresponses_compat._with_stream_writer(Recording)
    build("GET", URL(URL_A), writer=None, stream_writer=theirs)
    assert seen["stream_writer"] is theirs
    build("GET", URL(URL_A), writer=None)
    assert seen["stream_writer"] is not theirs
    assert seen["stream_writer"].output_size == 0


def test_this_aiohttp_is_one_the_shim_exists_for() -> None:
    """Documents why the module exists: the aiohttp under test requires the argument.

    When an aiohttp without it is installed this test reports it rather than passing
    silently, and the module's docstring says the shim is then a no-op.
    """
    major_minor = tuple(int(part) for part in aiohttp.__version__.split(".")[:2])
    assert needs_stream_writer() == (major_minor >= (3, 14))
