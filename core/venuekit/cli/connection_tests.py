"""venuekit connections test and venuekit connections logs: connection tests and their log.

Each connection is tested against its stored host unless ``--base-url`` points the whole run
somewhere else; the outcome, the host it ran against and whether that was the venue's own
are stored, so a pass against a simulator never reads as a pass at the venue.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from ..registry import Registry
from ..service import ConnectionTester, TestOutcome
from ..store import ConnectionStore, ExchangeConnection
from . import common
from .common import (
    EXIT_FAILURE,
    EXIT_OK,
    UsageError,
    home_option,
    host_url,
    json_option,
    wants_json,
)
from .limits import machine_limiter
from .output import emit_json, progress, progress_bar, table

__all__ = ["run_logs", "run_test"]


# ---------------------------------------------------------------- test


def _selected(store: ConnectionStore, refs: tuple[str, ...], every: bool
              ) -> tuple[list[ExchangeConnection], int]:
    """The connections to test, and how many could not even be loaded."""
    if every == bool(refs):
        raise UsageError("name the connections to test, or give --all (not both)")
    if every:
        listing = store.list()
        common.report_problems(listing.problems)
        return [conn for conn in listing if conn.is_enabled], len(listing.problems)
    chosen: dict[str, ExchangeConnection] = {}
    for ref in refs:
        conn = common.resolve(store, ref)
        chosen.setdefault(conn.id, conn)
    return list(chosen.values()), 0


def _summary(outcome: TestOutcome) -> str:
    report = outcome.report
    if report.ok:
        return f"ok {report.latency_ms:.0f} ms" if report.latency_ms is not None else "ok"
    failed = next((step for step in report.steps if not step.ok), None)
    return f"FAILED {failed.name}: {failed.detail}" if failed else "FAILED"


def _balance(outcome: TestOutcome) -> str:
    balance = outcome.report.balance
    if balance is None:
        return "-"
    held = sorted((a for a in balance.assets if a.total), key=lambda a: a.total, reverse=True)
    text = ", ".join(f"{a.total.normalize():f} {a.asset}" for a in held[:3])
    return text + (f" (+{len(held) - 3})" if len(held) > 3 else "") if held else "empty"


@click.command(
    "test", short_help="Test connections and record the outcome.",
    help="Run the connection test of each connection (several at once), record the "
    "outcome and the host it ran against in the store, and print a table. Each connection "
    "goes to its stored host (see connections add --base-url) unless --base-url is given. "
    "Exit 0 when all pass.")
@click.argument("refs", metavar="[ID]...", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Every enabled connection.")
@click.option("--base-url", metavar="URL",
              help="Send every test to this URL for this run, instead of each connection's "
                   "stored host (a simulator).")
@click.option("--concurrency", type=common.POSITIVE, default=8, show_default=True,
              metavar="N", help="Connections tested at the same time.")
@click.option("--timeout", type=float, default=30.0, show_default=True, metavar="SECONDS",
              help="Overall time limit of one test.")
@home_option
@json_option
def run_test(refs: tuple[str, ...], every: bool, base_url: str | None, concurrency: int,
             timeout: float, home: Path | None) -> int:
    override = host_url(base_url)
    store = common.open_store(home)
    conns, unloadable = _selected(store, refs, every)
    if not conns:
        print("no enabled connections to test")
        return EXIT_FAILURE if unloadable else EXIT_OK
    names = {conn.id: conn.name for conn in conns}
    width = len(str(len(conns)))
    reg: Registry = common.registry()
    tester = ConnectionTester(store, registry=reg, timeout_s=timeout, concurrency=concurrency,
                              base_url_for=(lambda conn: override) if override else None)
    with progress_bar("testing connections", len(conns)) as bar:

        def report(done: int, total: int, outcome: TestOutcome) -> None:
            line = (f"[{done:>{width}}/{total}] {names[outcome.connection_id]} "
                    f"{_summary(outcome)}")
            if bar is None:
                progress(line)
            else:
                bar.console.print(line, markup=False, highlight=False)
                bar.advance(bar.task_ids[0])

        with machine_limiter(store.root):
            outcomes = common.run_async(tester.test_many([conn.id for conn in conns],
                                                         progress=report))
    by_id = {conn.id: conn for conn in conns}
    if wants_json():
        emit_json([{"id": o.connection_id, "name": names[o.connection_id],
                    "exchange": by_id[o.connection_id].exchange, "ok": o.ok,
                    "base_url": o.base_url, "custom_host": o.custom_host,
                    "report": o.report} for o in outcomes])
    else:
        print(table(["name", "exchange", "id", "host", "result", "balance"],
                    [[names[o.connection_id], by_id[o.connection_id].exchange, o.connection_id,
                      o.base_url if o.custom_host else "venue", _summary(o), _balance(o)]
                     for o in outcomes]))
        passed = sum(o.ok for o in outcomes)
        print(f"{passed} of {len(outcomes)} passed", file=sys.stderr)
        if any(o.custom_host for o in outcomes):
            print("a host other than the venue's own was tested: those results say nothing "
                  "about the real account", file=sys.stderr)
    return EXIT_OK if all(o.ok for o in outcomes) and not unloadable else EXIT_FAILURE


# ---------------------------------------------------------------- logs


def _step_summary(entry: dict[str, Any]) -> str:
    steps = entry.get("steps") or []
    failed = [s for s in steps if isinstance(s, dict) and not s.get("ok")]
    if failed:
        return f"{failed[0].get('name')}: {failed[0].get('detail')}"
    return f"{len(steps)} steps ok"


@click.command("logs", help="A connection's test log, newest first.")
@click.argument("ref", metavar="ID")
@click.option("--limit", type=common.NON_NEGATIVE, default=20, show_default=True,
              metavar="N", help="Entries to show.")
@click.option("--offset", type=common.NON_NEGATIVE, default=0, metavar="N",
              help="Newest entries to skip, for paging.")
@home_option
@json_option
def run_logs(ref: str, limit: int, offset: int, home: Path | None) -> int:
    store = common.open_store(home)
    conn = common.resolve(store, ref)
    entries = store.read_logs(conn.id, offset=offset, limit=limit)
    if wants_json():
        emit_json(entries)
        return EXIT_OK
    if not entries:
        print(f"no test log entries for {conn.name} (id {conn.id})")
        return EXIT_OK
    rows = []
    for entry in entries:
        latency = entry.get("latency_ms")
        host = ("-" if "base_url" not in entry  # written before hosts were recorded
                else entry["base_url"] if entry.get("custom_host") else "venue")
        rows.append([entry.get("tested_at", "?"), "ok" if entry.get("ok") else "FAILED",
                     "-" if latency is None else f"{latency:.0f} ms", host or "-",
                     _step_summary(entry)])
    print(table(["tested at", "result", "latency", "host", "detail"], rows))
    return EXIT_OK

