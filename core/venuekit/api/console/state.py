"""What the console keeps per application: sessions, the login guard, test runs, streams."""

from __future__ import annotations

import asyncio
import hashlib
from importlib import resources

from aiohttp import web
from attrs import frozen

from ...models import ExchangeInfo
from ..context import ApiContext
from .csrf import LoginGuard
from .session import SessionStore
from .testruns import TestRuns

__all__ = ["CONSOLE", "ConsoleSettings", "ConsoleState"]

#: Static files shipped in the package; their URLs carry a hash of the content, so a
#: browser may cache them and still never runs an old script after an upgrade.
STATIC_FILES = ("console.css", "console.js")


@frozen(kw_only=True)
class ConsoleSettings:
    """Knobs of the console; the defaults suit an operator, tests shorten the waits."""

    #: seconds between two polls of the open orders (until live streams replace polling)
    poll_s: float = 5.0
    #: bound on one account read (open orders, positions, fills) for a page
    read_timeout_s: float = 15.0
    #: seconds a static file may be cached by the browser
    static_max_age_s: int = 3600


class ConsoleState:
    """The console's services; one per application, created by :func:`setup_console`."""

    def __init__(self, ctx: ApiContext, token: str, settings: ConsoleSettings,
                 sessions: SessionStore | None = None) -> None:
        self.ctx = ctx
        self.token = token
        self.settings = settings
        self.sessions = sessions or SessionStore()
        self.login_guard = LoginGuard()
        self.runs = TestRuns(ctx)
        self.closing = asyncio.Event()
        self._venues: dict[str, ExchangeInfo | None] = {}
        files = resources.files(__package__).joinpath("static")
        #: the static files, read once: two small files, served from memory
        self.static = {name: files.joinpath(name).read_bytes() for name in STATIC_FILES}
        self.static_version = {name: hashlib.sha256(body).hexdigest()[:12]
                               for name, body in self.static.items()}

    async def venue(self, exchange: str) -> ExchangeInfo | None:
        """The installed plugin's description of ``exchange``; ``None`` if it cannot load."""
        if exchange not in self._venues:
            try:
                loaded = await asyncio.to_thread(self.ctx.registry.load, exchange)
                self._venues[exchange] = loaded.info
            except Exception:  # a broken plugin: the page says the raw name instead
                self._venues[exchange] = None
        return self._venues[exchange]

    async def venue_name(self, exchange: str) -> str:
        info = await self.venue(exchange)
        return info.display_name if info is not None else exchange

    async def close(self) -> None:
        self.closing.set()
        await self.runs.close()


CONSOLE = web.AppKey("venuekit.console", ConsoleState)
