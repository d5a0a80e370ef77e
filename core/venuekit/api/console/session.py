"""Console sessions: the API token is typed once, then a random session id stands for it.

The id is 32 random bytes in an ``HttpOnly; SameSite=Strict`` cookie; the server keeps
only its SHA-256, so a memory dump or a timing difference in a dict lookup reveals no
usable id. A session ends after ``idle_s`` without a request or ``lifetime_s`` after login,
whichever comes first, and at logout. At most ``max_sessions`` live at once: a new login
past the cap ends the least recently used one, so repeated logins cannot grow memory.

Each session carries its own CSRF token (see :mod:`.csrf`) and a short list of one-shot
notices ("connection removed") shown on the next page.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable

from attrs import define, field

__all__ = ["COOKIE", "Session", "SessionStore"]

#: The session cookie's name.
COOKIE = "venuekit_session"
#: How long a session may sit unused; an operator away for half an hour logs in again.
DEFAULT_IDLE_S = 30 * 60.0
#: The longest a session lives, used or not.
DEFAULT_LIFETIME_S = 12 * 3600.0
#: Sessions kept at once; one operator has a few browsers, not hundreds.
DEFAULT_MAX_SESSIONS = 64
#: Notices kept for the next page; more would be noise.
MAX_NOTICES = 5


@define
class Session:
    """One logged-in browser: its CSRF token and when it was made and last used."""

    csrf: str = field(repr=False)
    created: float
    seen: float
    notices: list[str] = field(factory=list)

    def notify(self, text: str) -> None:
        self.notices = [*self.notices, text][-MAX_NOTICES:]

    def take_notices(self) -> list[str]:
        shown, self.notices = self.notices, []
        return shown


def _digest(raw_id: str) -> str:
    return hashlib.sha256(raw_id.encode("utf-8", "surrogatepass")).hexdigest()


class SessionStore:
    """The live sessions of one application (never a global)."""

    def __init__(self, *, idle_s: float = DEFAULT_IDLE_S,
                 lifetime_s: float = DEFAULT_LIFETIME_S,
                 max_sessions: int = DEFAULT_MAX_SESSIONS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if idle_s <= 0 or lifetime_s <= 0 or max_sessions < 1:
            raise ValueError("session limits must be positive")
        self.idle_s = idle_s
        self.lifetime_s = lifetime_s
        self.max_sessions = max_sessions
        self._clock = clock
        self._sessions: OrderedDict[str, Session] = OrderedDict()

    def __len__(self) -> int:
        return len(self._sessions)

    def create(self) -> tuple[str, Session]:
        """A new session and the raw id to put in the cookie (the only copy of it)."""
        now = self._clock()
        self._expire(now)
        while len(self._sessions) >= self.max_sessions:
            self._sessions.popitem(last=False)  # least recently used
        raw_id = secrets.token_urlsafe(32)
        session = Session(csrf=secrets.token_urlsafe(32), created=now, seen=now)
        self._sessions[_digest(raw_id)] = session
        return raw_id, session

    def get(self, raw_id: str | None) -> Session | None:
        """The live session with that id (its idle time restarts), or ``None``."""
        if not raw_id:
            return None
        key = _digest(raw_id)
        session = self._sessions.get(key)
        if session is None:
            return None
        now = self._clock()
        if self._expired(session, now):
            del self._sessions[key]
            return None
        session.seen = now
        self._sessions.move_to_end(key)
        return session

    def alive(self, session: Session) -> bool:
        """Whether ``session`` is still live (a long stream checks this as it goes)."""
        return (any(s is session for s in self._sessions.values())
                and not self._expired(session, self._clock()))

    def drop(self, raw_id: str | None) -> None:
        if raw_id:
            self._sessions.pop(_digest(raw_id), None)

    def _expired(self, session: Session, now: float) -> bool:
        return now - session.seen > self.idle_s or now - session.created > self.lifetime_s

    def _expire(self, now: float) -> None:
        for key in [k for k, s in self._sessions.items() if self._expired(s, now)]:
            del self._sessions[key]
