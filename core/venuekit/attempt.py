"""What one send of a state-changing request left behind: the moment it was signed.

The no-duplicate protocol (:mod:`venuekit.retry`) must know when the venue stops accepting
a request it may have received. That moment is fixed by the timestamp the request was
signed with, on the venue's clock, not by when the caller asked for it: a request can wait
in the rate limiter (a queued burst, a Retry-After block) for longer than the venue's
receive window before it is signed. The transport fills an :class:`Attempt` in at signing;
an attempt never signed never left this process, so nothing of it can reach the venue.
"""

from __future__ import annotations

from collections.abc import Callable

from attrs import define

__all__ = ["Attempt"]


@define
class Attempt:
    """One send of one request, as far as the venue's receive window is concerned."""

    #: called with the signing timestamp once the bytes are final and before they go out
    #: (the order journal writes its record here); an exception stops the send
    before_send: Callable[[int], None] | None = None
    #: the venue-clock milliseconds the request was signed at; None: it was never sent
    signed_ms: int | None = None

    @property
    def sent(self) -> bool:
        """Whether any byte of this attempt may have reached the venue."""
        return self.signed_ms is not None

    def signed(self, timestamp_ms: int) -> None:
        """Record the signing time; runs :attr:`before_send` first so a failure sends nothing.

        The transport passes the very timestamp it gave the plugin's signer, so the
        window computed from it is the venue's own.
        """
        if self.before_send is not None:
            self.before_send(timestamp_ms)
        self.signed_ms = timestamp_ms
