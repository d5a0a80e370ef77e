"""The connection test service: load, decrypt, connect, test, record. Used by CLI and API.

A test always ends in a stored outcome, whatever failed (a missing plugin, a file that
cannot be decrypted, a venue that refuses the key): the host shows the last test status of
every connection, so "could not even start" is a result worth keeping too. Store calls are
blocking file work and run in a thread; the connection test itself runs on the event loop
under the connector's own limiter, so testing many connections at once still respects
every venue's limits.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from attrs import frozen

from .checks import StepObserver
from .connector import DEFAULT_CHECK_TIMEOUT_S, connect
from .convert import to_jsonable
from .errors import ConfigurationError, StoreError, VenuekitError
from .models import Capability, CheckStep, ConnectionReport, ExchangeInfo
from .registry import Registry
from .store import ConnectionNotFound, ConnectionStatus, ConnectionStore, ExchangeConnection

__all__ = ["ConnectionTester", "TestOutcome", "connect_options", "is_default_host",
           "refuse_if_disabled"]

#: How many connections one ``test_many`` tests at the same time.
DEFAULT_CONCURRENCY = 8


@frozen
class TestOutcome:
    """What a connection test produced: the report, and the connection as now stored."""

    __test__ = False  # not a pytest test class, whatever its name says

    connection_id: str
    report: ConnectionReport
    connection: ExchangeConnection | None
    #: the host the test ran against (``None``: it never got as far as choosing one)
    base_url: str | None = None
    #: whether that host is not the venue's own (a simulator, a proxy)
    custom_host: bool = False

    @property
    def ok(self) -> bool:
        return self.report.ok

    def log_lines(self) -> list[str]:
        return log_lines(self.report)


def log_lines(report: ConnectionReport) -> list[str]:
    """The human-readable test log: one line per step, then warnings. Never a secret:
    step details are scrubbed by the connector and hold no request bodies."""
    lines = [f"{'ok  ' if step.ok else 'FAIL'} {step.name} ({step.duration_ms:.0f} ms): "
             f"{step.detail}" for step in report.steps]
    lines += [f"warn {warning}" for warning in report.warnings]
    return lines


def connect_options(conn: ExchangeConnection) -> dict[str, Any]:
    """The hosts a stored connection asks for, as :func:`venuekit.connect` arguments.

    ``stream_base_url`` is passed only to a ``connect`` that takes it, so a store written
    by a newer host still works with a core that has no streams.
    """
    options: dict[str, Any] = {}
    if conn.base_url is not None:
        options["base_url"] = conn.base_url
    if conn.stream_base_url is not None and _connect_takes("stream_base_url"):
        options["stream_base_url"] = conn.stream_base_url
    return options


#: Where store-backed connections journal their orders, under the store's directory.
JOURNALS_DIR = "journals"


def journal_path(store_root: Path, connection_id: str) -> Path:
    """The order journal of a stored connection (its directory made 0700 if missing).

    One file per connection: every process that trades through it (CLI commands, the API)
    appends to the same journal, so a crash in any of them is recovered by the next.
    """
    directory = store_root / JOURNALS_DIR
    directory.mkdir(mode=0o700, exist_ok=True)
    return directory / f"{connection_id}.jsonl"


def _connect_takes(name: str) -> bool:
    return name in inspect.signature(connect).parameters


def is_default_host(info: ExchangeInfo, testnet: bool, base_url: str) -> bool:
    """Whether ``base_url`` is the venue's own host for that environment."""
    own = info.hosts.testnet if testnet else info.hosts.live
    return own is not None and own.rstrip("/") == base_url.rstrip("/")


def refuse_if_disabled(conn: ExchangeConnection) -> None:
    """A disabled connection reads (balance, order status, tests) but never trades.

    Raises:
        ConfigurationError: naming the connection and how to enable it.
    """
    if not conn.is_enabled:
        raise ConfigurationError(f"{conn.name} is disabled; enable it first: venuekit "
                                 f"connections enable {conn.id} (a disabled connection "
                                 "places no orders)")


def _failed_report(exchange: str, testnet: bool, step: str,
                   error: BaseException) -> ConnectionReport:
    detail = f"{type(error).__name__}: {error}"
    return ConnectionReport(
        exchange=exchange, ok=False,
        steps=(CheckStep(name=step, ok=False, duration_ms=0.0, detail=detail,
                         error=type(error).__name__),),
        latency_ms=None, balance=None, clock_offset_ms=None, permissions=None, warnings=(),
        tested_at=datetime.now(UTC), testnet=testnet)


def _capabilities(report: ConnectionReport, info_capabilities: Iterable[Capability]) -> list[str]:
    found = sorted(c.value for c in info_capabilities)
    perms = report.permissions
    if perms is not None:
        for name in ("can_read", "can_trade", "can_withdraw"):
            if getattr(perms, name):
                found.append(name.removeprefix("can_"))
    return found


class ConnectionTester:
    """Runs connection tests for stored connections and writes their outcome back.

    Each connection is tested against the hosts it stores (``base_url``, else the
    venue's); ``base_url_for`` lets a caller point connections elsewhere for one run (the
    demo's loopback simulators) and wins over the stored URL when it returns one;
    ``connect_options`` go to :func:`venuekit.connect`. Every outcome records the host the
    test ran against and whether it was the venue's own.
    """

    def __init__(self, store: ConnectionStore, *, registry: Registry | None = None,
                 timeout_s: float = DEFAULT_CHECK_TIMEOUT_S,
                 concurrency: int = DEFAULT_CONCURRENCY,
                 base_url_for: Callable[[ExchangeConnection], str | None] | None = None,
                 connect_options: Mapping[str, Any] | None = None) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.store = store
        self.registry = registry
        self.timeout_s = timeout_s
        self.concurrency = concurrency
        self.base_url_for = base_url_for
        self.connect_options = dict(connect_options or {})

    async def test(self, connection_id: str, *,
                   on_step: StepObserver | None = None) -> TestOutcome:
        """Test one connection and store the outcome (status, balance, log, capabilities).

        ``on_step`` sees each venue step as it ends (the console streams them); a test that
        fails before reaching the venue reports its one step only in the outcome.

        A connection whose file cannot be read gets a failed outcome that is not stored
        (there is nothing sound to write it into); ``test_many`` carries on with the rest.
        An id that does not exist at all raises :class:`ConnectionNotFound`.
        """
        try:
            conn = await asyncio.to_thread(self.store.get, connection_id)
        except ConnectionNotFound:
            raise
        except StoreError as exc:
            return TestOutcome(connection_id,
                               _failed_report("unknown", False, "load connection", exc), None)
        report, capabilities, host, custom = await self._run(conn, on_step)
        balance = None
        if report.balance is not None:
            balance = {a.asset: a.total for a in report.balance.assets}
        lines = log_lines(report)
        stored = await asyncio.to_thread(
            self.store.record_test, connection_id,
            ConnectionStatus.OK if report.ok else ConnectionStatus.FAILED, balance,
            report.tested_at, capabilities, lines, base_url=host, custom_host=custom)
        entry = {"tested_at": report.tested_at.isoformat(), "ok": report.ok,
                 "base_url": host, "custom_host": custom,
                 "latency_ms": report.latency_ms, "clock_offset_ms": report.clock_offset_ms,
                 "steps": to_jsonable(report.steps), "warnings": list(report.warnings)}
        await asyncio.to_thread(self.store.append_log, connection_id, entry)
        return TestOutcome(connection_id, report, stored, host, custom)

    async def _run(self, conn: ExchangeConnection, on_step: StepObserver | None = None
                   ) -> tuple[ConnectionReport, list[str] | None, str | None, bool]:
        """The report, capabilities, the host tested and whether it is a custom one."""
        options = {**connect_options(conn), **self.connect_options}
        if self.base_url_for is not None:
            override = self.base_url_for(conn)
            if override:
                options["base_url"] = override
        wanted: str | None = options.get("base_url")
        try:
            credentials = await asyncio.to_thread(self.store.credentials, conn.id)
        except VenuekitError as exc:
            return (_failed_report(conn.exchange, conn.is_testnet, "credentials", exc), None,
                    wanted, wanted is not None)
        try:
            connector = connect(conn.exchange, credentials, testnet=conn.is_testnet,
                                registry=self.registry, check_timeout_s=self.timeout_s,
                                **options)
        except VenuekitError as exc:
            return (_failed_report(conn.exchange, conn.is_testnet, "connect", exc), None,
                    wanted, wanted is not None)
        async with connector:
            report = await connector.check_connection(timeout_s=self.timeout_s,
                                                      on_step=on_step)
            host = connector.base_url
            custom = not is_default_host(connector.info, conn.is_testnet, host)
            return report, _capabilities(report, connector.info.capabilities), host, custom

    async def test_many(self, connection_ids: Iterable[str], *,
                        progress: Callable[[int, int, TestOutcome], None] | None = None,
                        ) -> list[TestOutcome]:
        """Test several connections concurrently (at most ``concurrency`` at a time).

        Outcomes come back in the order the ids were given; ``progress(done, total,
        outcome)`` is called as each finishes.
        """
        ids = list(connection_ids)
        gate = asyncio.Semaphore(self.concurrency)
        done = 0

        async def one(conn_id: str) -> TestOutcome:
            nonlocal done
            async with gate:
                outcome = await self.test(conn_id)
            done += 1
            if progress is not None:
                progress(done, len(ids), outcome)
            return outcome

        return list(await asyncio.gather(*(one(conn_id) for conn_id in ids)))
