"""What the Redis limiter sends to its script, and how it reads the answers.

Internal to :mod:`venuekit.ratelimit.redis_backend`. The script's argument layout is
documented at the top of ``redis_script.lua``; :class:`Spec` builds it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from importlib import resources
from urllib.parse import urlsplit, urlunsplit

from ..errors import ConfigurationError
from ..models import RateLimit
from .base import Demand, merge_demands

__all__ = ["CANCELLED", "GRANTED", "KEY_SLACK_MS", "MIN_SLEEP_S", "SCRIPT", "ServerClock",
           "Spec", "Unavailable", "redact", "slot_tag", "spec_of"]

SCRIPT = resources.files("venuekit.ratelimit").joinpath("redis_script.lua").read_text("utf-8")
#: First element of the script's reply to ``take``.
GRANTED, WAIT, CANCELLED = 0, 1, -1
#: Added to every key's TTL beyond the end of its content.
KEY_SLACK_MS = 250
#: Floor of any sleep between two calls for one request.
MIN_SLEEP_S = 0.0005


class Unavailable(Exception):
    """Redis did not answer; carries redis-py's error."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


def slot_tag(key: str) -> str:
    """The Redis Cluster hash tag of a bucket key: its exchange, the part before the first
    ``:`` (bucket keys are ``exchange:scope:scope id:rule``).

    A request may cost an IP bucket and an account bucket together, and one script must
    see both, so both must hash to one slot. Tagging by scope id would not do: an IP
    bucket is shared by every account on that host, so no tag finer than the exchange is
    common to every pair of buckets one request can name. One exchange's buckets thus live
    on one node; its traffic is bounded by the venue's own limits, a few thousand
    operations a second at most, well within one node.
    """
    return key.split(":", 1)[0]


class Spec:
    """One request's buckets as the script wants them: keys and per-bucket arguments.

    With ``cluster`` every key carries its exchange as a hash tag (see :func:`slot_tag`),
    the ticket's tombstone key included, so one script's keys share one slot.
    """

    __slots__ = ("args", "count", "keys", "quiet_s", "tag")

    def __init__(self, prefix: str, needs: Sequence[tuple[str, RateLimit, int]],
                 margin: float, *, cluster: bool = False) -> None:
        self.keys: list[str] = []
        self.args: list[int] = []
        self.count = len(needs)
        self.tag = ""
        if cluster:
            tags = {slot_tag(key) for key, _, _ in needs}
            if len(tags) > 1:
                raise ConfigurationError(
                    f"rate limit buckets {sorted(key for key, _, _ in needs)} of one request "
                    "belong to different exchanges; Redis Cluster needs them in one slot")
            self.tag = "{" + tags.pop() + "}:"
        quiet = math.inf
        for key, rule, cost in needs:
            base = prefix + self.tag + key
            self.keys += [base, base + ":log", base + ":q", base + ":dl", base + ":block"]
            period_us = round(rule.period_s * 1e6)
            window_us = math.ceil(period_us * (1.0 + margin))
            self.args += [rule.limit, period_us, window_us, cost]
            quiet = min(quiet, (window_us - period_us) / 1e6)
        #: How long after the grant a response may come back without moving any entry.
        self.quiet_s = quiet


def spec_of(demands: Sequence[Demand], prefix: str, margin: float, *,
            cluster: bool = False) -> Spec | None:
    """Merge demands per key (a key listed twice costs the sum); None if all are free."""
    merged = merge_demands(demands)
    if not merged:
        return None
    return Spec(prefix, merged, margin, cluster=cluster)


class ServerClock:
    """Maps Redis's clock onto this host's monotonic clock, to wake at the planned moment.

    A reply's wait counts from when the script ran, somewhere between our send and its
    receipt; under load (a thousand waiters asking at once) those can be a hundred ms
    apart. Like NTP, trust the quickest recent call: its server time sits at the midpoint
    of its send and receipt, give or take half its round trip. A sample older than a few
    seconds gives way to the next one, which keeps up with clock drift.
    """

    __slots__ = ("_at", "_offset", "_rtt")

    def __init__(self) -> None:
        self._offset = math.nan
        self._rtt = math.inf
        self._at = -math.inf

    def sample(self, server: float, sent: float, got: float) -> None:
        rtt = got - sent
        if rtt <= self._rtt or got - self._at > 5.0:
            self._offset = server - (sent + got) / 2
            self._rtt = rtt
            self._at = got

    def sleep(self, server_at: float, wait: float, sent: float, got: float) -> float:
        """How long to sleep from now (``got``) until ``server_at`` on the server's clock.

        Whatever the estimate, the answer stays within what this call alone proves: the
        script ran after ``sent`` and before ``got``.
        """
        estimate = server_at - self._offset - got
        if math.isnan(estimate):
            estimate = wait
        # a zero wait is never planned; were a bug to answer one, this keeps it from spinning
        return max(min(max(estimate, wait - (got - sent)), wait), MIN_SLEEP_S)


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))
