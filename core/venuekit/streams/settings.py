"""Timing knobs of the stream machinery, with production defaults; tests shrink them."""

from __future__ import annotations

from attrs import frozen

__all__ = ["StreamSettings"]


@frozen(kw_only=True)
class StreamSettings:
    """How the core paces reconnects and how long it waits.

    :param backoff_initial_s: the first reconnect waits this long (times jitter).
    :param backoff_max_s: the cap; a socket that keeps dying retries at this pace, with a
        warning logged for every attempt.
    :param jitter: each wait is multiplied by a random factor in ``[1 - jitter, 1]`` so a
        fleet of clients does not reconnect in step.
    :param connect_timeout_s: opening a socket (and a listenKey call) gives up after this.
    :param lifetime_margin_s: replace a socket this long before the venue's maximum
        connection lifetime.
    :param idle_timeout_s: overrides the plugin's ``StreamInfo.idle_timeout_s`` (tests).
    :param heartbeat_s: overrides the plugin's heartbeat interval (tests).
    :param keepalive_s: overrides the session keepalive interval (tests).
    :param lifetime_s: overrides the venue's maximum connection lifetime (tests).
    :param resync: reconcile orders, positions and balance over REST after every connect.
    """

    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    jitter: float = 0.5
    connect_timeout_s: float = 10.0
    lifetime_margin_s: float = 300.0
    idle_timeout_s: float | None = None
    heartbeat_s: float | None = None
    keepalive_s: float | None = None
    lifetime_s: float | None = None
    resync: bool = True

    def backoff(self, attempt: int, random: float) -> float:
        """The wait before reconnect number ``attempt`` (0-based), ``random`` in [0, 1)."""
        base = min(self.backoff_max_s, self.backoff_initial_s * float(2 ** min(attempt, 30)))
        return base * (1 - self.jitter * random)
