"""One scrubber for every text that leaves a connector: error messages, test logs, output.

A venue may echo what it was sent (a key in an "invalid key" message, a secret pasted into
the wrong field). Redacting at the place an error is created, with the connector's own
credential values, keeps them out of every exception, log line, CLI line and API body that
is later built from it; no later layer has to remember to do it.
"""

from __future__ import annotations

from collections.abc import Iterable

from attrs import field, frozen

from .errors import VenueError

__all__ = ["MASK", "MIN_SECRET_LENGTH", "Scrubber"]

MASK = "***"
#: Shorter values are not replaced: masking "a" or "12" would garble every message.
MIN_SECRET_LENGTH = 4


@frozen
class Scrubber:
    """Replaces every known secret value in a text with ``***``; empty when there are none."""

    values: tuple[str, ...] = field(default=(), repr=False)

    @classmethod
    def of(cls, values: Iterable[str | None]) -> Scrubber:
        # longest first, so a secret that contains another is masked whole
        kept = {v for v in values if v and len(v) >= MIN_SECRET_LENGTH}
        return cls(tuple(sorted(kept, key=len, reverse=True)))

    def __bool__(self) -> bool:
        return bool(self.values)

    def text(self, text: str) -> str:
        for value in self.values:
            if value in text:
                text = text.replace(value, MASK)
        return text

    def optional(self, text: str | None) -> str | None:
        return None if text is None else self.text(text)

    def error(self, error: VenueError) -> VenueError:
        """Scrub an error in place (message, venue message, request) and return it."""
        if not self.values:
            return error
        error.message = self.text(error.message)
        error.venue_message = self.optional(error.venue_message)
        error.request = self.optional(error.request)
        error.args = (error.message,)
        return error
