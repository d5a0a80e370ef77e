"""Waiting helpers for tests and benchmarks, without pytest.

The stream conformance suite uses them, and so does ``bench/bench_streams.py``, whose nox
session installs no test tools: they live here rather than in a module importing pytest.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import aiohttp

__all__ = ["WAIT_S", "json_frames", "next_item", "until"]

T = TypeVar("T")

#: How long a test waits for a stream event or a condition before it fails.
WAIT_S = 5.0


async def next_item(source: AsyncIterator[T], timeout_s: float = WAIT_S) -> T:
    """The next item of a watch, or a test failure after ``timeout_s``."""
    return await asyncio.wait_for(anext(source), timeout_s)


async def until(condition: Callable[[], bool], what: str, timeout_s: float = WAIT_S) -> None:
    """Poll ``condition`` every few milliseconds; fail naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


async def json_frames(ws: aiohttp.ClientWebSocketResponse, wait_s: float) -> list[Any]:
    """The JSON text frames a raw socket receives until it stays quiet for ``wait_s``
    (or sends anything but text): what a simulator answered, for tests of its frames."""
    seen: list[Any] = []
    try:
        while True:
            message = await ws.receive(timeout=wait_s)
            if message.type is not aiohttp.WSMsgType.TEXT:
                return seen
            seen.append(json.loads(message.data))
    except TimeoutError:
        return seen
