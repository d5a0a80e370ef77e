"""venuekit connections: the exchange connections kept in the store, and their tests.

``add`` asks for exactly the credential fields the exchange's plugin declares, from
environment variables or a hidden prompt (see :mod:`venuekit.cli.common`); every listing
shows keys masked, never a secret. A connection is named on the command line by its id or,
when unambiguous, by its name. The rules a connection must meet (required credential fields,
unique names, exchange names in any case, host URLs with a scheme) are the ones the HTTP API
applies, from :mod:`venuekit.connection_rules`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import click

from ..connection_rules import (
    RuleError,
    check_credentials,
    check_unique_name,
    exchange_name,
)
from ..errors import StoreError
from ..models import KeyType
from ..registry import Registry
from ..store import KEY_FILE, ExchangeConnection
from . import common
from .common import (
    EXIT_FAILURE,
    EXIT_OK,
    UsageError,
    home_option,
    host_url,
    json_option,
    stream_url,
    wants_json,
)
from .connection_tests import run_logs, run_test
from .output import emit_json, progress, table

__all__ = ["connections"]


@click.group(help="Manage and test stored exchange connections.")
def connections() -> None:
    pass


def _ref_argument(function: Any) -> Any:
    return click.argument("ref", metavar="ID")(function)


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


# ---------------------------------------------------------------- test, logs

connections.add_command(run_test)
connections.add_command(run_logs)
