"""Errors as the page shows them: venue, code and message, worded the way the API words them.

A page never shows a stack trace or a secret. Validation failures keep the API's code and
message (the console runs the API's own parsers and the shared connection rules); venue
errors show the venue, the error's kind and the venue's own code; anything unexpected is
one line saying the server log has the details.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from attrs import frozen

from ...errors import StoreError, VenueError, VenuekitError
from ...store import ConnectionNotFound, testlog
from ..errors import ApiError

__all__ = ["PageError", "page_error"]

log = logging.getLogger("venuekit.api.console")


@frozen
class PageError:
    """One error for a page: where it came from, a stable code, a message for people."""

    code: str
    message: str
    #: the venue's display name where a venue said it
    venue: str | None = None
    #: the venue's own error code, where it gave one
    venue_code: str | None = None

    def as_json(self) -> dict[str, str | None]:
        return {"venue": self.venue, "code": self.code, "venue_code": self.venue_code,
                "message": self.message}


def page_error(exc: BaseException, *, venue: str | None = None,
               secrets: Iterable[str] = ()) -> PageError:
    """The page's wording of ``exc``; ``secrets`` are redacted from it as a last defence.

    :param venue: the display name of the venue the operation went to.
    """
    hidden = tuple(secrets)

    def clean(text: str) -> str:
        return str(testlog.scrub(text, hidden))

    if isinstance(exc, ApiError):
        return PageError(exc.code, clean(exc.message))
    if isinstance(exc, ConnectionNotFound):
        return PageError("not_found", "no such connection (it may have been removed)")
    if isinstance(exc, StoreError):
        return PageError("store_error", clean(f"the connection store failed: {exc}"))
    if isinstance(exc, VenueError):
        return PageError(type(exc).__name__, clean(exc.message), venue=venue or exc.exchange,
                         venue_code=exc.code)
    if isinstance(exc, VenuekitError):
        return PageError(type(exc).__name__, clean(str(exc)), venue=venue)
    if isinstance(exc, TimeoutError):
        return PageError("timeout", "the venue did not answer in time", venue=venue)
    log.error("console: unexpected %s", type(exc).__name__, exc_info=exc)
    return PageError("internal_error", "an internal error; the server log has the details")
