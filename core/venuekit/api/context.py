"""What every handler shares: the store, the registry, the tester and the running tests."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from ..registry import Registry
from ..service import ConnectionTester, TestOutcome
from ..store import ConnectionStore
from .errors import ApiError
from .listing import StoreListing

__all__ = ["CONTEXT", "TEST_TIMEOUT_MARGIN_S", "ApiContext", "context"]

#: The outer bound of a test is the tester's own timeout plus this, for the store writes
#: before and after the venue calls; it only ever fires if something hangs.
TEST_TIMEOUT_MARGIN_S = 5.0


class ApiContext:
    """The application's services. One per application; never a global.

    ``test_connection`` runs at most one test per connection at a time: a second request
    for a connection already being tested waits for that test and gets its result.
    """

    def __init__(self, store: ConnectionStore, registry: Registry, tester: ConnectionTester,
                 *, max_body_bytes: int) -> None:
        self.store = store
        self.registry = registry
        self.tester = tester
        self.max_body_bytes = max_body_bytes
        self.listing = StoreListing(store)
        self.openapi: dict[str, Any] | None = None
        self._tests: dict[str, asyncio.Task[TestOutcome]] = {}

    @property
    def test_timeout_s(self) -> float:
        return self.tester.timeout_s + TEST_TIMEOUT_MARGIN_S

    async def test_connection(self, connection_id: str) -> TestOutcome:
        """Test a connection, or join the test of it already running."""
        task = self._tests.get(connection_id)
        if task is None:
            task = asyncio.create_task(self._test(connection_id),
                                       name=f"venuekit-api-test-{connection_id}")
            self._tests[connection_id] = task
            task.add_done_callback(lambda done: self._forget(connection_id, done))
        # shielded: a client that goes away does not cancel the test others wait for
        return await asyncio.shield(task)

    async def _test(self, connection_id: str) -> TestOutcome:
        try:
            async with asyncio.timeout(self.test_timeout_s):
                return await self.tester.test(connection_id)
        except TimeoutError:
            raise ApiError(504, "test_timeout",
                           f"the connection test did not end within "
                           f"{self.test_timeout_s:.0f} s") from None

    def _forget(self, connection_id: str, task: asyncio.Task[TestOutcome]) -> None:
        if self._tests.get(connection_id) is task:
            del self._tests[connection_id]
        if not task.cancelled():
            task.exception()  # seen by the requests that awaited it, or by nobody

    @property
    def running_tests(self) -> int:
        return len(self._tests)

    async def close(self) -> None:
        """Cancel the tests still running (the server is shutting down)."""
        tasks = list(self._tests.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


CONTEXT = web.AppKey("venuekit.api", ApiContext)


def context(request: web.Request) -> ApiContext:
    return request.app[CONTEXT]
