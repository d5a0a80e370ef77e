"""One consumer's buffer: lossless for account events, latest-only for market data.

A slow reader of tickers or books must not grow memory without bound, and has no use for
stale prices: it gets the newest value. Public trades queue up to a limit (the oldest go
first). Orders, fills, balances and positions are each a change the host must see, so
they always queue (their rate is the account's own activity).
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Generic, TypeVar

__all__ = ["Channel"]

T = TypeVar("T")


class Channel(Generic[T]):
    def __init__(self, *, latest_only: bool, limit: int | None = None) -> None:
        self.latest_only = latest_only
        #: public trades: the oldest are dropped beyond ``limit`` (counted in ``replaced``)
        self.limit = limit
        self._items: deque[T] = deque()
        self._ready = asyncio.Event()
        self._closed = False
        self._error: BaseException | None = None
        self.replaced = 0  #: values a latest-only consumer never saw (for tests, benches)

    def put(self, item: T) -> None:
        if self._closed:
            return
        if self.latest_only and self._items:
            self._items.clear()
            self.replaced += 1
        elif self.limit is not None and len(self._items) >= self.limit:
            self._items.popleft()
            self.replaced += 1
        self._items.append(item)
        self._ready.set()

    def close(self, error: BaseException | None = None) -> None:
        """End the consumer's iteration; with ``error``, raise it there (after the queue)."""
        if self._closed:
            return
        self._closed = True
        self._error = error
        self._ready.set()

    @property
    def closed(self) -> bool:
        return self._closed

    async def get(self) -> T:
        """The next item; StopAsyncIteration once closed and drained."""
        while not self._items:
            if self._closed:
                if self._error is not None:
                    raise self._error
                raise StopAsyncIteration
            self._ready.clear()
            await self._ready.wait()
        return self._items.popleft()
