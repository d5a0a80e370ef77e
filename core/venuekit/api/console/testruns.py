"""Connection tests started from the console, whose steps the page shows as they end.

A run is a task calling :meth:`~venuekit.service.ConnectionTester.test` with an
``on_step`` observer; each step is scrubbed of the connection's secrets and kept in the
run, and every page watching it (server-sent events) wakes up. A test that fails before it
reaches the venue (no plugin, undecryptable secrets) reports its one step only at the end,
so the finished run's steps replace the streamed ones. Clicking **Test** twice joins the
run already going instead of costing the venue a second test. Finished runs are kept for
a while so a page opened late still shows the result.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import OrderedDict
from typing import Any

from ...convert import to_jsonable
from ...errors import VenuekitError
from ...models import CheckStep
from ...store import testlog
from ..context import ApiContext
from .problems import PageError, page_error

__all__ = ["KEEP_FINISHED_S", "TestRun", "TestRuns"]

#: How long a finished run stays viewable.
KEEP_FINISHED_S = 600.0
#: Runs kept at most (finished ones go first).
MAX_RUNS = 200


class TestRun:
    """One test of one connection: its steps so far and, once over, its outcome."""

    __test__ = False  # not a pytest class

    def __init__(self, connection_id: str) -> None:
        self.id = secrets.token_urlsafe(12)
        self.connection_id = connection_id
        self.steps: list[dict[str, Any]] = []
        self.warnings: list[str] = []
        #: ``running``, then ``ok``, ``failed`` (a step failed) or ``error`` (no report)
        self.status = "running"
        self.error: PageError | None = None
        self.finished_at: float | None = None
        self.version = 0
        self._changed = asyncio.Event()
        self.secrets: tuple[str, ...] = ()

    @property
    def done(self) -> bool:
        return self.status != "running"

    def _step(self, step: CheckStep) -> dict[str, Any]:
        shown = testlog.scrub(to_jsonable(step), self.secrets)
        assert isinstance(shown, dict)
        return shown

    def add_step(self, step: CheckStep) -> None:
        self.steps.append(self._step(step))
        self._bump()

    def finish(self, ok: bool, steps: tuple[CheckStep, ...], warnings: tuple[str, ...]) -> None:
        self.steps = [self._step(step) for step in steps]
        self.warnings = [str(testlog.scrub(w, self.secrets)) for w in warnings]
        self.status = "ok" if ok else "failed"
        self._end()

    def fail(self, error: PageError) -> None:
        self.error = error
        self.status = "error"
        self._end()

    def _end(self) -> None:
        self.finished_at = time.monotonic()
        self._bump()

    def _bump(self) -> None:
        self.version += 1
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def changed_since(self, version: int) -> None:
        """Return once the run differs from ``version`` (at once if it already does)."""
        if self.version == version:
            await self._changed.wait()

    def outcome(self) -> dict[str, Any]:
        return {"status": self.status, "steps": self.steps, "warnings": self.warnings,
                "error": None if self.error is None else self.error.as_json()}


class TestRuns:
    """The console's test runs, at most one running per connection."""

    __test__ = False

    def __init__(self, ctx: ApiContext) -> None:
        self.ctx = ctx
        self._runs: OrderedDict[str, TestRun] = OrderedDict()
        self._tasks: set[asyncio.Task[None]] = set()

    def get(self, run_id: str) -> TestRun | None:
        return self._runs.get(run_id)

    def start(self, connection_id: str) -> TestRun:
        """Start a test of the connection, or return the one of it still running."""
        for run in self._runs.values():
            if run.connection_id == connection_id and not run.done:
                return run
        self._prune()
        run = TestRun(connection_id)
        self._runs[run.id] = run
        task = asyncio.create_task(self._drive(run), name=f"venuekit-console-test-{run.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return run

    async def _drive(self, run: TestRun) -> None:
        ctx = self.ctx
        try:
            credentials = await asyncio.to_thread(ctx.store.credentials, run.connection_id)
            run.secrets = testlog.secret_values(credentials)
        except VenuekitError:
            pass  # nothing decrypted, so nothing to redact; the test reports the failure
        try:
            async with asyncio.timeout(ctx.test_timeout_s):
                outcome = await ctx.tester.test(run.connection_id, on_step=run.add_step)
        except TimeoutError:
            run.fail(PageError("test_timeout", f"the connection test did not end within "
                               f"{ctx.test_timeout_s:.0f} s"))
        except asyncio.CancelledError:
            run.fail(PageError("cancelled", "the server is shutting down"))
            raise
        except Exception as exc:  # shown on the page, never raised into the loop
            run.fail(page_error(exc, secrets=run.secrets))
        else:
            report = outcome.report
            run.finish(report.ok, report.steps, report.warnings)

    def _prune(self) -> None:
        now = time.monotonic()
        for run_id, run in list(self._runs.items()):
            if run.finished_at is not None and now - run.finished_at > KEEP_FINISHED_S:
                del self._runs[run_id]
        while len(self._runs) >= MAX_RUNS:
            oldest = next((k for k, r in self._runs.items() if r.done), None)
            if oldest is None:
                break
            del self._runs[oldest]

    async def close(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
