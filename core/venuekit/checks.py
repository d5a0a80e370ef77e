"""The connection test: run a plugin's check steps and write a log safe to show anyone.

A connection test must always come back with a report, never an exception: the host
stores the outcome and shows it in a UI. So venue errors become failed steps, and the
whole test runs under one timeout (30 s by default), after which the remaining steps are
logged as not run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol, TypeVar

from .clock import Clock
from .errors import VenueError, VenuekitError
from .models import Balance, Check, CheckRole, CheckStep, ConnectionReport, KeyPermissions
from .wire import Call

__all__ = ["StepObserver", "Testable", "default_checks", "run_checks"]

T = TypeVar("T")

#: Told of each step as soon as it ends (the console streams them to the page); it must
#: not block, and an exception from it is the caller's bug, not a failed step.
StepObserver = Callable[[CheckStep], None]


class Testable(Protocol):
    """The part of a connector a connection test uses: its public surface, nothing more."""

    @property
    def exchange(self) -> str: ...
    @property
    def testnet(self) -> bool: ...
    @property
    def clock(self) -> Clock: ...
    def check_steps(self) -> list[Check]: ...
    async def measure_clock(self, call: Call[object]) -> None: ...
    async def run(self, call: Call[T]) -> T: ...
    def scrub(self, text: str) -> str: ...


def default_checks(*, server_time: Call[int] | None, balance: Call[Balance],
                   permissions: Call[KeyPermissions] | None) -> list[Check]:
    """The test every venue shares: its clock, an authenticated balance, key permissions.

    The clock step is left out where the venue has no time source; the permissions step
    is optional (a key that cannot read them still trades).
    """
    steps = []
    if server_time is not None:
        steps.append(Check("server time", server_time, CheckRole.SERVER_TIME))
    steps.append(Check("balance", balance, CheckRole.BALANCE))
    if permissions is not None:
        steps.append(Check("key permissions", permissions, CheckRole.PERMISSIONS,
                           required=False))
    return steps

#: An offset above this draws a warning: most venues reject requests 1 s ahead of them.
CLOCK_WARNING_MS = 1000.0


def _balance_detail(balance: Balance) -> str:
    shown = [f"{a.asset} {a.total.normalize():f}" for a in balance.nonzero()[:3]]
    return f"{len(balance.assets)} assets" + (f" ({', '.join(shown)})" if shown else "")


def _permissions_detail(perms: KeyPermissions) -> str:
    def word(value: bool | None) -> str:
        return "unknown" if value is None else ("yes" if value else "no")
    return (f"trade {word(perms.can_trade)}, withdraw {word(perms.can_withdraw)}, "
            f"ip whitelist {word(perms.ip_restricted)}")


def _failure(exc: BaseException) -> tuple[str, str]:
    if isinstance(exc, VenueError):
        code = f" (code {exc.code})" if exc.code is not None else ""
        return type(exc).__name__, f"{type(exc).__name__}: {exc.message}{code}"
    if isinstance(exc, VenuekitError):
        return type(exc).__name__, f"{type(exc).__name__}: {exc}"
    return type(exc).__name__, f"{type(exc).__name__}: unexpected failure"


async def run_checks(conn: Testable, timeout_s: float,
                     on_step: StepObserver | None = None) -> ConnectionReport:
    checks = conn.check_steps()
    steps: list[CheckStep] = []
    balance: Balance | None = None
    perms: KeyPermissions | None = None
    offset: float | None = None
    latency: float | None = None
    required_ok = True
    deadline = time.monotonic() + timeout_s

    for index, check in enumerate(checks):
        left = deadline - time.monotonic()
        started = time.perf_counter()
        try:
            if left <= 0:
                raise TimeoutError
            async with asyncio.timeout(left):
                result: object
                if check.role is CheckRole.SERVER_TIME:
                    await conn.measure_clock(check.call)
                    offset, latency = conn.clock.offset_ms, conn.clock.rtt_ms
                    detail = f"server time ok; clock offset {offset:+.0f} ms, " \
                             f"round trip {latency:.0f} ms"
                else:
                    result = await conn.run(check.call)
                    if check.role is CheckRole.BALANCE and isinstance(result, Balance):
                        balance = result
                        detail = f"authenticated; balance {_balance_detail(result)}"
                    elif check.role is CheckRole.PERMISSIONS and isinstance(result, KeyPermissions):
                        perms = result
                        detail = f"key permissions: {_permissions_detail(result)}"
                    else:
                        detail = "ok"
            ok, error = True, None
        except TimeoutError:
            ok, error = False, "RequestTimeout"
            detail = f"not finished within the {timeout_s:g} s connection-test timeout"
            if left <= 0:
                detail = "not run: the connection-test timeout was reached"
        except (VenuekitError, Exception) as exc:  # a test reports, it never raises
            ok = False
            error, detail = _failure(exc)
        duration = (time.perf_counter() - started) * 1000
        if latency is None and ok and index == 0:
            latency = duration
        step = CheckStep(name=check.name, ok=ok, duration_ms=round(duration, 1),
                         detail=conn.scrub(detail), error=error)
        steps.append(step)
        if on_step is not None:
            on_step(step)
        if not ok and check.required:
            required_ok = False

    warnings = list(perms.warnings()) if perms is not None else []
    if offset is not None and abs(offset) > CLOCK_WARNING_MS:
        warnings.append(f"local clock differs from the venue's by {offset:+.0f} ms; "
                        "venuekit compensates, but check NTP")
    return ConnectionReport(
        exchange=conn.exchange, ok=required_ok and bool(steps), steps=tuple(steps),
        latency_ms=None if latency is None else round(latency, 1), balance=balance,
        clock_offset_ms=None if offset is None else round(offset, 1), permissions=perms,
        warnings=tuple(warnings), tested_at=datetime.now(UTC), testnet=conn.testnet)
