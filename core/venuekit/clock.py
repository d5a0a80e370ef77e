"""The venue's clock as seen from here: local time plus a measured, RTT-compensated offset.

Venues reject signed requests whose timestamp strays from their clock by more than a few
seconds. A sample's offset compares the server's time with the midpoint of our send and
receive, which cancels symmetric network delay; the median of the last few samples shrugs
off one slow round trip. The offset is refreshed when it ages and after every timestamp
rejection.
"""

from __future__ import annotations

import statistics
import time
from collections import deque
from collections.abc import Awaitable, Callable

from attrs import define, field

__all__ = ["Clock"]


@define
class Clock:
    """Per-connector clock; ``wall`` and ``mono`` are injectable for tests."""

    samples: int = 5
    max_age_s: float = 300.0
    wall: Callable[[], float] = time.time
    mono: Callable[[], float] = time.monotonic
    _offsets: deque[float] = field(init=False)
    _synced_at: float | None = field(default=None, init=False)
    rtt_ms: float | None = field(default=None, init=False)

    def __attrs_post_init__(self) -> None:
        self._offsets = deque(maxlen=self.samples)

    _offset: float = field(default=0.0, init=False)  # the median, kept as samples change

    @property
    def offset_ms(self) -> float:
        return self._offset

    @property
    def synced_at(self) -> float | None:
        """When the last sample was taken (monotonic): a cheap "has anyone synced since"."""
        return self._synced_at

    @property
    def synced(self) -> bool:
        return self._synced_at is not None

    def stale(self) -> bool:
        return self._synced_at is None or self.mono() - self._synced_at > self.max_age_s

    def now_ms(self) -> int:
        """Milliseconds on the venue's clock, to put in a signed request."""
        return int(self.wall() * 1000 + self._offset)

    def add_sample(self, server_ms: float, sent_wall: float, received_wall: float) -> float:
        """Record one measurement (wall seconds around the call); returns its offset."""
        midpoint_ms = (sent_wall + received_wall) * 500.0
        offset = float(server_ms) - midpoint_ms
        self._offsets.append(offset)
        self._offset = statistics.median(self._offsets)  # once per sample, not per request
        self.rtt_ms = (received_wall - sent_wall) * 1000.0
        self._synced_at = self.mono()
        return offset

    def reset(self) -> None:
        """Forget samples: after a rejection the old offset is evidence of nothing."""
        self._offsets.clear()
        self._offset = 0.0
        self._synced_at = None

    async def sync(self, fetch: Callable[[], Awaitable[int]], rounds: int = 1) -> float:
        """Measure ``rounds`` samples with ``fetch`` (returns server ms); returns the offset."""
        for _ in range(rounds):
            sent = self.wall()
            server_ms = await fetch()
            self.add_sample(server_ms, sent, self.wall())
        return self.offset_ms
