"""`venuekit connections`: the exchange connections kept in the store, and their tests.

``add`` asks for exactly the credential fields the exchange's plugin declares, from
environment variables or a hidden prompt (see :mod:`venuekit.cli.common`); every listing
shows keys masked, never a secret. A connection is named on the command line by its id or,
when unambiguous, by its name.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..errors import StoreError
from ..models import KeyType
from ..registry import Registry
from ..service import ConnectionTester, TestOutcome
from ..store import KEY_FILE, ConnectionStore, ExchangeConnection
from . import common
from .common import EXIT_FAILURE, EXIT_OK, UsageError, usage_errors
from .output import emit_json, progress, table

__all__ = ["add_parser"]


def add_parser(sub: Any) -> None:
    parent = common.common_options()
    parser = sub.add_parser("connections", help="manage and test stored exchange connections",
                            description=__doc__.split("\n\n")[0] if __doc__ else None)
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True

    add = actions.add_parser(
        "add", parents=[parent], help="store a new connection",
        description="Store a new connection. Secrets come from VENUEKIT_API_KEY, "
                    "VENUEKIT_API_SECRET, VENUEKIT_API_PASSPHRASE (venues that have one) and "
                    "VENUEKIT_PRIVATE_KEY (key pairs such as Ed25519), or from a hidden "
                    "prompt; never from an argument.")
    add.add_argument("--name", required=True, help="a name to know the connection by")
    add.add_argument("--exchange", required=True, help="an installed exchange plugin")
    add.add_argument("--testnet", action="store_true",
                     help="use the venue's test environment")
    add.add_argument("--key-type", choices=[k.value for k in KeyType],
                     default=KeyType.HMAC.value, help="how the key signs (default: hmac)")
    add.add_argument("--private-key-file", metavar="PATH", type=Path,
                     help="private key file of a key pair (e.g. an Ed25519 PEM), instead "
                          "of VENUEKIT_PRIVATE_KEY or the prompt")
    add.add_argument("--disabled", action="store_true", help="store it disabled")
    add.set_defaults(handler=run_add)

    listing = actions.add_parser("list", parents=[parent], help="list stored connections")
    listing.set_defaults(handler=run_list)

    show = actions.add_parser("show", parents=[parent], help="one connection in detail")
    show.add_argument("ref", metavar="ID", help="connection id or name")
    show.set_defaults(handler=run_show)

    remove = actions.add_parser("remove", parents=[parent],
                                help="delete a connection and its test log")
    remove.add_argument("ref", metavar="ID", help="connection id or name")
    remove.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    remove.set_defaults(handler=run_remove)

    for name, enabled in (("enable", True), ("disable", False)):
        toggle = actions.add_parser(name, parents=[parent], help=f"{name} a connection")
        toggle.add_argument("ref", metavar="ID", help="connection id or name")
        toggle.set_defaults(handler=run_toggle, enabled=enabled)

    test = actions.add_parser(
        "test", parents=[parent], help="test connections and record the outcome",
        description="Run the connection test of each connection (several at once), record "
                    "the outcome in the store, and print a table. Exit 0 when all pass.")
    test.add_argument("refs", metavar="ID", nargs="*", help="connection ids or names")
    test.add_argument("--all", action="store_true", help="every enabled connection")
    test.add_argument("--base-url", metavar="URL",
                      help="send the tests to this URL instead of the venue (a simulator)")
    test.add_argument("--concurrency", type=common.positive_int, default=8, metavar="N",
                      help="connections tested at the same time (default: 8)")
    test.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS",
                      help="overall time limit of one test (default: 30)")
    test.set_defaults(handler=run_test)

    logs = actions.add_parser("logs", parents=[parent], help="a connection's test log")
    logs.add_argument("ref", metavar="ID", help="connection id or name")
    logs.add_argument("--limit", type=common.non_negative_int, default=20, metavar="N",
                      help="entries to show, newest first (default: 20)")
    logs.add_argument("--offset", type=common.non_negative_int, default=0, metavar="N",
                      help="newest entries to skip, for paging")
    logs.set_defaults(handler=run_logs)


# ---------------------------------------------------------------- add


@usage_errors
def run_add(args: argparse.Namespace) -> int:
    reg = common.registry()
    names = reg.names()
    if args.exchange not in names:
        raise UsageError(f"unknown exchange {args.exchange!r}; installed exchange plugins: "
                         f"{', '.join(names) or 'none'}")
    if not args.name.strip():
        raise UsageError("--name must not be empty")
    info = reg.load(args.exchange).info
    key_type = KeyType(args.key_type)
    if key_type not in info.key_types:
        takes = ", ".join(sorted(k.value for k in info.key_types))
        raise UsageError(f"{info.display_name} does not take {key_type.value} keys "
                         f"(it takes: {takes})")
    if args.testnet and info.hosts.testnet is None:
        raise UsageError(f"{info.display_name} has no test environment; leave out --testnet")
    if args.private_key_file is not None and key_type is KeyType.HMAC:
        raise UsageError("--private-key-file is for key pairs; give --key-type ed25519 "
                         "(or rsa)")
    store = common.open_store(args)
    taken = [conn.id for conn in store.list() if conn.name == args.name]
    if taken:
        raise UsageError(f"a connection named {args.name!r} exists ({taken[0]}); "
                         "choose another name")
    credentials = common.read_credentials(info.credential_fields, key_type,
                                         info.display_name, args.private_key_file)
    had_key_file = (store.root / KEY_FILE).exists()
    conn = store.create(name=args.name, exchange=args.exchange, credentials=credentials,
                        is_testnet=args.testnet, is_enabled=not args.disabled)
    if not had_key_file and (store.root / KEY_FILE).exists():
        progress(f"created the master key {store.root / KEY_FILE}: back it up, without it "
                 "the stored secrets cannot be decrypted")
    if args.json:
        emit_json(conn.public_view())
        return EXIT_OK
    env = "testnet" if conn.is_testnet else "live"
    print(f"added {conn.name} ({conn.exchange}, {env}, key {conn.api_key_hint}): id {conn.id}")
    print(f"test it with: venuekit connections test {conn.id}")
    return EXIT_OK


# ---------------------------------------------------------------- list, show


def _when(conn: ExchangeConnection) -> str:
    return "-" if conn.last_test_at is None else conn.last_test_at.strftime("%Y-%m-%d %H:%M:%S")


@usage_errors
def run_list(args: argparse.Namespace) -> int:
    store = common.open_store(args)
    result = store.list()
    common.report_problems(result.problems)
    if args.json:
        emit_json({"connections": [conn.public_view() for conn in result],
                   "problems": [{"id": p.id, "path": str(p.path), "reason": p.reason}
                                for p in result.problems]})
    elif not result.connections and not result.problems:
        print(f"no connections in {store.root} (add one: venuekit connections add --name N "
              "--exchange E)")
    else:
        print(table(["id", "name", "exchange", "env", "enabled", "api key", "last test",
                     "tested at (UTC)"],
                    [[c.id, c.name, c.exchange, "testnet" if c.is_testnet else "live",
                      "yes" if c.is_enabled else "no", c.api_key_hint,
                      c.last_test_status.value, _when(c)] for c in result]))
    return EXIT_OK if result.ok else EXIT_FAILURE


def _cell(value: object) -> object:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "-" if value is None or value == "" else value


@usage_errors
def run_show(args: argparse.Namespace) -> int:
    store = common.open_store(args)
    view = common.resolve(store, args.ref).public_view()
    if args.json:
        emit_json(view)
        return EXIT_OK
    skip = ("last_test_log", "last_test_balance", "api_capabilities")
    print(table(["field", "value"], [[k, _cell(v)] for k, v in view.items() if k not in skip]
                + [["api_capabilities", ", ".join(view["api_capabilities"]) or "-"]]))
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


@usage_errors
def run_remove(args: argparse.Namespace) -> int:
    store = common.open_store(args)
    try:
        conn = common.resolve(store, args.ref)
        conn_id, what = conn.id, f"{conn.name} ({conn.exchange}, id {conn.id})"
    except StoreError as exc:
        if args.ref not in store:  # not found, as opposed to found but unreadable
            raise
        conn_id, what = args.ref, f"the unreadable connection file {exc.path or args.ref}"
    if not args.yes:
        if not common.interactive():
            raise UsageError(f"removing {what} needs confirmation: add --yes")
        if not common.confirm(f"remove {what} and its test log?"):
            print("nothing removed")
            return EXIT_FAILURE
    store.remove(conn_id)
    if args.json:
        emit_json({"removed": conn_id})
    else:
        print(f"removed {what}")
    return EXIT_OK


@usage_errors
def run_toggle(args: argparse.Namespace) -> int:
    store = common.open_store(args)
    conn = store.set_enabled(common.resolve(store, args.ref).id, args.enabled)
    if args.json:
        emit_json(conn.public_view())
    else:
        print(f"{'enabled' if conn.is_enabled else 'disabled'} {conn.name} (id {conn.id})")
    return EXIT_OK


# ---------------------------------------------------------------- test


def _selected(store: ConnectionStore, args: argparse.Namespace
              ) -> tuple[list[ExchangeConnection], int]:
    """The connections to test, and how many could not even be loaded."""
    if args.all == bool(args.refs):
        raise UsageError("name the connections to test, or give --all (not both)")
    if args.all:
        listing = store.list()
        common.report_problems(listing.problems)
        return [conn for conn in listing if conn.is_enabled], len(listing.problems)
    chosen: dict[str, ExchangeConnection] = {}
    for ref in args.refs:
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


@usage_errors
def run_test(args: argparse.Namespace) -> int:
    store = common.open_store(args)
    conns, unloadable = _selected(store, args)
    if not conns:
        print("no enabled connections to test")
        return EXIT_FAILURE if unloadable else EXIT_OK
    names = {conn.id: conn.name for conn in conns}
    width = len(str(len(conns)))

    def report(done: int, total: int, outcome: TestOutcome) -> None:
        progress(f"[{done:>{width}}/{total}] {names[outcome.connection_id]} "
                 f"{_summary(outcome)}")

    base_url = args.base_url
    reg: Registry = common.registry()
    tester = ConnectionTester(store, registry=reg, timeout_s=args.timeout,
                              concurrency=args.concurrency,
                              base_url_for=(lambda conn: base_url) if base_url else None)
    outcomes = common.run_async(tester.test_many([conn.id for conn in conns],
                                                 progress=report))
    by_id = {conn.id: conn for conn in conns}
    if args.json:
        emit_json([{"id": o.connection_id, "name": names[o.connection_id],
                    "exchange": by_id[o.connection_id].exchange, "ok": o.ok,
                    "report": o.report} for o in outcomes])
    else:
        print(table(["name", "exchange", "id", "result", "balance"],
                    [[names[o.connection_id], by_id[o.connection_id].exchange, o.connection_id,
                      _summary(o), _balance(o)] for o in outcomes]))
        passed = sum(o.ok for o in outcomes)
        print(f"{passed} of {len(outcomes)} passed", file=sys.stderr)
    return EXIT_OK if all(o.ok for o in outcomes) and not unloadable else EXIT_FAILURE


# ---------------------------------------------------------------- logs


def _step_summary(entry: dict[str, Any]) -> str:
    steps = entry.get("steps") or []
    failed = [s for s in steps if isinstance(s, dict) and not s.get("ok")]
    if failed:
        return f"{failed[0].get('name')}: {failed[0].get('detail')}"
    return f"{len(steps)} steps ok"


@usage_errors
def run_logs(args: argparse.Namespace) -> int:
    store = common.open_store(args)
    conn = common.resolve(store, args.ref)
    entries = store.read_logs(conn.id, offset=args.offset, limit=args.limit)
    if args.json:
        emit_json(entries)
        return EXIT_OK
    if not entries:
        print(f"no test log entries for {conn.name} (id {conn.id})")
        return EXIT_OK
    rows = []
    for entry in entries:
        latency = entry.get("latency_ms")
        rows.append([entry.get("tested_at", "?"), "ok" if entry.get("ok") else "FAILED",
                     "-" if latency is None else f"{latency:.0f} ms", _step_summary(entry)])
    print(table(["tested at", "result", "latency", "detail"], rows))
    return EXIT_OK

