"""venuekit connections: the exchange connections kept in the store, and their tests.

``add`` asks for exactly the credential fields the exchange's plugin declares, from
environment variables or a hidden prompt (see :mod:`venuekit.cli.common`); every listing
shows keys masked, never a secret. A connection is named on the command line by its id or,
when unambiguous, by its name. The rules a connection must meet (required credential fields,
unique names, exchange names in any case, host URLs with a scheme) are the ones the HTTP API
applies, from :mod:`venuekit.connection_rules`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import attrs
import click

from ..connection_rules import (
    STREAM_SCHEMES,
    RuleError,
    check_base_url,
    check_credentials,
    check_unique_name,
    exchange_name,
)
from ..errors import StoreError
from ..models import KeyType
from ..registry import Registry
from ..service import ConnectionTester, TestOutcome
from ..store import KEY_FILE, ConnectionStore, ExchangeConnection
from . import common
from .common import EXIT_FAILURE, EXIT_OK, UsageError, home_option, json_option, wants_json
from .limits import machine_limiter
from .output import emit_json, progress, progress_bar, table

__all__ = ["connections", "host_url", "stream_url"]


@click.group(help="Manage and test stored exchange connections.")
def connections() -> None:
    pass


def _ref_argument(function: Any) -> Any:
    return click.argument("ref", metavar="ID")(function)


def host_url(value: str | None, option: str = "--base-url") -> str | None:
    """A REST host URL given on the command line, refused at once without a scheme."""
    try:
        return check_base_url(value, option)
    except RuleError as exc:
        raise common.rule(exc) from None


def stream_url(value: str | None) -> str | None:
    try:
        return check_base_url(value, "--stream-base-url", STREAM_SCHEMES)
    except RuleError as exc:
        raise common.rule(exc) from None


def _host_options(function: Any) -> Any:
    function = click.option(
        "--stream-base-url", metavar="URL",
        help="Open sockets here instead of at the venue (ws:// or wss://).")(function)
    return click.option(
        "--base-url", metavar="URL",
        help="Send requests here instead of to the venue: a regional host, a proxy, or "
             "venuekit sandbox (http:// or https://).")(function)


# ---------------------------------------------------------------- add, edit


def _installed(reg: Registry, value: str) -> str:
    names = reg.names()
    try:
        return exchange_name(value, names)
    except RuleError:
        raise UsageError(f"unknown exchange {value!r}; installed exchange plugins: "
                         f"{', '.join(names) or 'none'}") from None


@connections.command(
    "add", short_help="Store a new connection.",
    help="Store a new connection. Secrets come from VENUEKIT_API_KEY, VENUEKIT_API_SECRET, "
         "VENUEKIT_API_PASSPHRASE (venues that have one) and VENUEKIT_PRIVATE_KEY (key pairs "
         "such as Ed25519), or from a hidden prompt; never from an argument.")
@click.option("--name", required=True, help="A name to know the connection by.")
@click.option("--exchange", required=True,
              help="An installed exchange plugin (any case: Binance is binance).")
@click.option("--testnet", is_flag=True, help="Use the venue's test environment.")
@click.option("--key-type", type=click.Choice([k.value for k in KeyType]),
              default=KeyType.HMAC.value, show_default=True, help="How the key signs.")
@click.option("--private-key-file", metavar="PATH", type=click.Path(path_type=Path),
              help="Private key file of a key pair (e.g. an Ed25519 PEM), instead of "
                   "VENUEKIT_PRIVATE_KEY or the prompt.")
@click.option("--disabled", is_flag=True,
              help="Store it disabled: it can be tested, read and cancel orders, but places none.")
@_host_options
@home_option
@json_option
def run_add(name: str, exchange: str, testnet: bool, key_type: str,
            private_key_file: Path | None, disabled: bool, base_url: str | None,
            stream_base_url: str | None, home: Path | None) -> int:
    reg = common.registry()
    exchange = _installed(reg, exchange)
    if not name.strip():
        raise UsageError("--name must not be empty")
    info = reg.load(exchange).info
    kind = KeyType(key_type)
    if kind not in info.key_types:
        takes = ", ".join(sorted(k.value for k in info.key_types))
        raise UsageError(f"{info.display_name} does not take {kind.value} keys "
                         f"(it takes: {takes})")
    if testnet and info.hosts.testnet is None:
        raise UsageError(f"{info.display_name} has no test environment; leave out --testnet")
    if private_key_file is not None and kind is KeyType.HMAC:
        raise UsageError("--private-key-file is for key pairs; give --key-type ed25519 "
                         "(or rsa)")
    base_url, stream_base_url = host_url(base_url), stream_url(stream_base_url)
    store = common.open_store(home)
    try:
        check_unique_name(name, store.list())
    except RuleError as exc:
        raise common.rule(exc) from None
    credentials = common.read_credentials(info.credential_fields, kind,
                                         info.display_name, private_key_file)
    try:
        check_credentials(info, credentials)
    except RuleError as exc:
        raise common.rule(exc) from None
    had_key_file = (store.root / KEY_FILE).exists()
    conn = store.create(name=name, exchange=exchange, credentials=credentials,
                        is_testnet=testnet, is_enabled=not disabled, base_url=base_url,
                        stream_base_url=stream_base_url)
    if not had_key_file and (store.root / KEY_FILE).exists():
        progress(f"created the master key {store.root / KEY_FILE}: back it up, without it "
                 "the stored secrets cannot be decrypted")
    if wants_json():
        emit_json(conn.public_view())
        return EXIT_OK
    env = "testnet" if conn.is_testnet else "live"
    where = f", host {conn.base_url}" if conn.base_url else ""
    print(f"added {conn.name} ({conn.exchange}, {env}, key {conn.api_key_hint}{where}): "
          f"id {conn.id}")
    print(f"test it with: venuekit connections test {conn.id}")
    return EXIT_OK


@connections.command("edit", short_help="Change a stored connection.",
    help="Change a stored connection: its name, hosts, environment "
                     "or credentials. Options left out keep their value.")
@_ref_argument
@click.option("--name", help="A new name.")
@_host_options
@click.option("--venue-hosts", is_flag=True,
              help="Forget --base-url and --stream-base-url: use the venue's own hosts.")
@click.option("--testnet/--live", default=None, help="Switch the environment.")
@click.option("--credentials", "new_credentials", is_flag=True,
              help="Replace the credentials, read as connections add reads them.")
@home_option
@json_option
def run_edit(ref: str, name: str | None, base_url: str | None, stream_base_url: str | None,
             venue_hosts: bool, testnet: bool | None, new_credentials: bool,
             home: Path | None) -> int:
    if venue_hosts and (base_url or stream_base_url):
        raise UsageError("--venue-hosts clears the hosts; do not also give --base-url or "
                         "--stream-base-url")
    store = common.open_store(home)
    conn = common.resolve(store, ref)
    changes: dict[str, Any] = {}
    if name is not None:
        if not name.strip():
            raise UsageError("--name must not be empty")
        try:
            check_unique_name(name, store.list(), except_id=conn.id)
        except RuleError as exc:
            raise common.rule(exc) from None
        changes["name"] = name
    if base_url is not None:
        changes["base_url"] = host_url(base_url)
    if stream_base_url is not None:
        changes["stream_base_url"] = stream_url(stream_base_url)
    if venue_hosts:
        changes.update(base_url=None, stream_base_url=None)
    info = common.registry().load(conn.exchange).info
    if testnet is not None:
        if testnet and info.hosts.testnet is None:
            raise UsageError(f"{info.display_name} has no test environment")
        changes["is_testnet"] = testnet
    if new_credentials:
        old = store.credentials(conn.id)
        credentials = common.read_credentials(info.credential_fields, old.key_type,
                                             info.display_name)
        try:
            check_credentials(info, credentials)
        except RuleError as exc:
            raise common.rule(exc) from None
        changes["secrets"] = credentials
    if not changes:
        raise UsageError("nothing to change: give --name, --base-url, --stream-base-url, "
                         "--venue-hosts, --testnet/--live or --credentials")
    updated = store.update(conn.id, lambda current: attrs.evolve(current, **changes))
    if wants_json():
        emit_json(updated.public_view())
    else:
        fields = sorted("credentials" if name == "secrets" else name for name in changes)
        print(f"changed {updated.name} (id {updated.id}): {', '.join(fields)}")
    return EXIT_OK


# ---------------------------------------------------------------- list, show


def _when(conn: ExchangeConnection) -> str:
    return "-" if conn.last_test_at is None else conn.last_test_at.strftime("%Y-%m-%d %H:%M:%S")


def _last_test(conn: ExchangeConnection) -> str:
    """The last status, marked when the test did not reach the venue's own host."""
    status = conn.last_test_status.value
    if conn.last_test_custom_host and conn.last_test_base_url:
        return f"{status} (at {conn.last_test_base_url}, not the venue)"
    return status


@connections.command("list", help="List stored connections.")
@home_option
@json_option
def run_list(home: Path | None) -> int:
    store = common.open_store(home)
    result = store.list()
    common.report_problems(result.problems)
    if wants_json():
        emit_json({"connections": [conn.public_view() for conn in result],
                   "problems": [{"id": p.id, "path": str(p.path), "reason": p.reason}
                                for p in result.problems]})
    elif not result.connections and not result.problems:
        print(f"no connections in {store.root} (add one: venuekit connections add --name N "
              "--exchange E)")
    else:
        print(table(["id", "name", "exchange", "env", "host", "enabled", "api key",
                     "last test", "tested at (UTC)"],
                    [[c.id, c.name, c.exchange, "testnet" if c.is_testnet else "live",
                      c.base_url or "venue", "yes" if c.is_enabled else "no",
                      c.api_key_hint, _last_test(c), _when(c)] for c in result]))
    return EXIT_OK if result.ok else EXIT_FAILURE


def _cell(value: object) -> object:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "-" if value is None or value == "" else value


@connections.command("show", help="One connection in detail.")
@_ref_argument
@home_option
@json_option
def run_show(ref: str, home: Path | None) -> int:
    store = common.open_store(home)
    view = common.resolve(store, ref).public_view()
    if wants_json():
        emit_json(view)
        return EXIT_OK
    skip = ("last_test_log", "last_test_balance", "api_capabilities")
    print(table(["field", "value"], [[k, _cell(v)] for k, v in view.items() if k not in skip]
                + [["api_capabilities", ", ".join(view["api_capabilities"]) or "-"]]))
    if view["last_test_custom_host"]:
        print(f"\nthe last test ran against {view['last_test_base_url']}, not the venue's "
              "own host: it says nothing about the real account")
    if view["last_test_balance"]:
        print("\nbalance at the last test:")
        for asset, total in view["last_test_balance"].items():
            print(f"  {asset} {total}")
    if view["last_test_log"]:
        print("\nlast test:")
        for line in view["last_test_log"]:
            print(f"  {line}")
    return EXIT_OK


# ---------------------------------------------------------------- remove, enable, disable


@connections.command("remove", help="Delete a connection and its test log.")
@_ref_argument
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@home_option
@json_option
def run_remove(ref: str, yes: bool, home: Path | None) -> int:
    store = common.open_store(home)
    try:
        conn = common.resolve(store, ref)
        conn_id, what = conn.id, f"{conn.name} ({conn.exchange}, id {conn.id})"
    except StoreError as exc:
        if ref not in store:  # not found, as opposed to found but unreadable
            raise
        conn_id, what = ref, f"the unreadable connection file {exc.path or ref}"
    if not yes:
        if not common.interactive():
            raise UsageError(f"removing {what} needs confirmation: add --yes")
        if not common.confirm(f"remove {what} and its test log?"):
            print("nothing removed")
            return EXIT_FAILURE
    store.remove(conn_id)
    if wants_json():
        emit_json({"removed": conn_id})
    else:
        print(f"removed {what}")
    return EXIT_OK


def _toggle(ref: str, home: Path | None, enabled: bool) -> int:
    store = common.open_store(home)
    conn = store.set_enabled(common.resolve(store, ref).id, enabled)
    if wants_json():
        emit_json(conn.public_view())
    else:
        print(f"{'enabled' if conn.is_enabled else 'disabled'} {conn.name} (id {conn.id})")
    return EXIT_OK


@connections.command("enable", help="Enable a connection: it may trade again.")
@_ref_argument
@home_option
@json_option
def run_enable(ref: str, home: Path | None) -> int:
    return _toggle(ref, home, True)


@connections.command("disable", short_help="Disable a connection: it places no orders.",
    help="Disable a connection: it places no orders; it can still "
                     "be tested, read (balance, order status) and cancel orders. "
                     "connections test --all skips it.")
@_ref_argument
@home_option
@json_option
def run_disable(ref: str, home: Path | None) -> int:
    return _toggle(ref, home, False)


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


@connections.command(
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


@connections.command("logs", help="A connection's test log, newest first.")
@_ref_argument
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

