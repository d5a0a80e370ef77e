"""What the store-facing commands share: options, the store, secrets, and naming connections.

Secrets are never taken from a command-line argument (it would sit in the shell history and
in every other user's ``ps``). They come from an environment variable or, when stdin is a
terminal, from a prompt that does not echo:

=========================  ==============================================================
``VENUEKIT_API_KEY``       the exchange API key (OrangeX: the client id)
``VENUEKIT_API_SECRET``    the exchange API secret (OrangeX: the client secret)
``VENUEKIT_API_PASSPHRASE``  the exchange's API passphrase, for venues that have one (OKX)
``VENUEKIT_PRIVATE_KEY``   an Ed25519 private key (or give ``--private-key-file``)
``VENUEKIT_MASTER_KEY``    the store's master key; otherwise ``<home>/master.key`` is used
``VENUEKIT_PASSPHRASE``    unlocks (or, on creation, protects) ``<home>/master.key``
``VENUEKIT_HOME``          the store directory, unless ``--home`` is given
=========================  ==============================================================

With no variable set and no terminal to prompt on, a command fails with a usage error
(exit 2) rather than waiting on input that never comes.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import os
import sys
from collections.abc import Callable, Coroutine, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..connection_rules import STREAM_SCHEMES, RuleError, check_base_url
from ..errors import StoreError
from ..models import Credentials, KeyType
from ..registry import Registry, default_registry
from ..store import (
    ENV_KEY,
    ENV_PASSPHRASE,
    KEY_FILE,
    ConnectionNotFound,
    ConnectionStore,
    ExchangeConnection,
    Problem,
    default_root,
)
from ..store.model import ID_PATTERN

__all__ = [
    "ENV_API_KEY",
    "ENV_API_PASSPHRASE",
    "ENV_API_SECRET",
    "ENV_PRIVATE_KEY",
    "EXIT_FAILURE",
    "EXIT_OK",
    "EXIT_USAGE",
    "NON_NEGATIVE",
    "POSITIVE",
    "REGISTRY_FACTORY",
    "UsageError",
    "confirm",
    "home_of",
    "home_option",
    "host_url",
    "interactive",
    "json_option",
    "key_file_protected",
    "open_store",
    "prompt_hidden",
    "read_credentials",
    "read_secret",
    "registry",
    "report_problems",
    "resolve",
    "rule",
    "run_async",
    "store_passphrase",
    "stream_url",
    "wants_json",
]

ENV_API_KEY = "VENUEKIT_API_KEY"
ENV_API_SECRET = "VENUEKIT_API_SECRET"  # noqa: S105 - the variable's name, not a value
ENV_API_PASSPHRASE = "VENUEKIT_API_PASSPHRASE"  # noqa: S105 - the variable's name
ENV_PRIVATE_KEY = "VENUEKIT_PRIVATE_KEY"

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2

#: How many times an empty answer to a prompt is asked again before the command gives up.
PROMPT_ATTEMPTS = 3

#: Where the commands get their plugins. Tests and embedding hosts replace it, e.g. with
#: ``lambda: Registry(extra={"example": example.plugin}, autoload=False)``.
REGISTRY_FACTORY: Callable[[], Registry] = default_registry

T = TypeVar("T")

#: the key in the root context's ``meta`` that ``--json`` sets, wherever it was given
JSON_KEY = "venuekit.json"


class UsageError(Exception):
    """The command cannot run as invoked: reported in one line, exit status 2."""


def rule(exc: RuleError) -> UsageError:
    """A broken connection rule (shared with the HTTP API) as a usage error."""
    return UsageError(str(exc))


def host_url(value: str | None, option: str = "--base-url") -> str | None:
    """A REST host URL given on the command line, refused at once without a scheme."""
    try:
        return check_base_url(value, option)
    except RuleError as exc:
        raise rule(exc) from None


def stream_url(value: str | None) -> str | None:
    try:
        return check_base_url(value, "--stream-base-url", STREAM_SCHEMES)
    except RuleError as exc:
        raise rule(exc) from None


def registry() -> Registry:
    return REGISTRY_FACTORY()


# ---------------------------------------------------------------- shared options


def _set_json(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.find_root().meta[JSON_KEY] = True


#: ``--json`` on the root and on every command, so it works before or after the command.
json_option = click.option("--json", "json_output", is_flag=True, expose_value=False,
                           callback=_set_json, help="Machine-readable output (JSON).")


def wants_json() -> bool:
    """Whether ``--json`` was given anywhere on the command line."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.find_root().meta.get(JSON_KEY))


home_option = click.option(
    "--home", type=click.Path(path_type=Path, file_okay=False), default=None,
    metavar="PATH", help="Store directory (default: $VENUEKIT_HOME, else the user data dir).")


if TYPE_CHECKING:
    _IntType = click.ParamType[int, Any]  # generic from click 8.5; plain at run time
else:
    _IntType = click.ParamType


class _WholeNumber(_IntType):
    """A whole number with a lower bound, refused with the message scripts already match."""

    name = "N"

    def __init__(self, minimum: int) -> None:
        self.minimum = minimum

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> int:
        if isinstance(value, int):
            number = value
        else:
            try:
                number = int(str(value))
            except ValueError:
                self.fail(f"not a whole number: {value!r}", param, ctx)
        if number < self.minimum:
            self.fail("must not be negative" if self.minimum == 0 else
                      f"must be at least {self.minimum}", param, ctx)
        return number


NON_NEGATIVE = _WholeNumber(0)
POSITIVE = _WholeNumber(1)


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


# ---------------------------------------------------------------- terminal and secrets


def interactive() -> bool:
    """True when there is a person at stdin to prompt."""
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (ValueError, OSError):  # closed or detached stdin
        return False


def prompt_hidden(label: str) -> str:
    return getpass.getpass(f"{label}: ")


def ask_hidden(label: str) -> str:
    """A hidden prompt that asks again on an empty answer instead of aborting the command
    (a stray Enter should not throw away the fields typed so far)."""
    for _ in range(PROMPT_ATTEMPTS):
        value = prompt_hidden(label).strip()
        if value:
            return value
        print(f"{label} must not be empty; try again", file=sys.stderr)
    raise UsageError(f"{label} must not be empty")


def read_secret(env: str, label: str) -> str:
    """A secret from ``env`` or, on a terminal, a prompt that does not echo it.

    Surrounding whitespace is dropped: a pasted value often brings a newline along.
    """
    value = os.environ.get(env, "").strip()
    if value:
        return value
    if not interactive():
        raise UsageError(f"{label} needed: set {env} or run from a terminal to be prompted "
                         "(secrets are never read from the command line)")
    return ask_hidden(label)


#: Where each credential field comes from, and how a prompt names it.
_FIELDS = {
    "api_key": (ENV_API_KEY, "API key"),
    "api_secret": (ENV_API_SECRET, "API secret"),
    "passphrase": (ENV_API_PASSPHRASE, "API passphrase"),
    "private_key": (ENV_PRIVATE_KEY, "private key"),
}


def read_credentials(fields: Sequence[str], key_type: KeyType, venue: str,
                     private_key_file: Path | None = None) -> Credentials:
    """Exactly the credential fields a plugin declares, each from its variable or a prompt.

    A key pair signs with its private key and has no secret, so for one ``api_secret``
    means ``private_key``, which may also come from ``private_key_file``.
    """
    values: dict[str, str] = {}
    for name in fields:
        if name == "api_secret" and key_type is not KeyType.HMAC:
            name = "private_key"
        if name not in _FIELDS:
            raise UsageError(f"the {venue} plugin asks for credential field {name!r}, "
                             "which the store cannot hold")
        if name == "private_key" and private_key_file is not None:
            try:
                values[name] = private_key_file.read_text().strip()
            except OSError as exc:
                raise UsageError(f"cannot read {private_key_file}: {exc.strerror}") from None
            continue
        env, label = _FIELDS[name]
        if name == "private_key":
            label = f"{key_type.value} {label}"
        values[name] = read_secret(env, f"{venue} {label}")
    if "api_key" not in values:
        raise UsageError(f"the {venue} plugin does not ask for an API key")
    return Credentials(key_type=key_type, **values)


def confirm(question: str) -> bool:
    answer = input(f"{question} [y/N] ")
    return answer.strip().lower() in ("y", "yes")


# ---------------------------------------------------------------- the store


def home_of(home: Path | None) -> Path:
    return home.expanduser() if home is not None else default_root()


def key_file_protected(root: Path) -> bool:
    """Whether ``<root>/master.key`` is sealed under a passphrase (False if unreadable:
    the store then reports the file itself)."""
    try:
        data = json.loads((root / KEY_FILE).read_bytes())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("kdf") is not None


def store_passphrase(root: Path) -> str | None:
    """The passphrase for a protected key file, prompted for when the environment has none."""
    if os.environ.get(ENV_KEY) or os.environ.get(ENV_PASSPHRASE):
        return None  # the store reads these itself
    if not key_file_protected(root):
        return None
    if not interactive():
        raise UsageError(f"{root / KEY_FILE} is protected by a passphrase: set "
                         f"{ENV_PASSPHRASE} or run from a terminal to be prompted")
    value = prompt_hidden(f"passphrase for {root / KEY_FILE}")
    if not value:
        raise UsageError("the passphrase must not be empty")
    return value


def open_store(home: Path | None) -> ConnectionStore:
    root = home_of(home)
    return ConnectionStore(root, passphrase=store_passphrase(root))


def resolve(store: ConnectionStore, ref: str) -> ExchangeConnection:
    """A connection by id, or else by its name (any case) when exactly one connection has it.

    Two connections of that name are a usage error (exit 2: give the id), checked here
    first, counting those sealed under another key too. The rest is the store's
    :meth:`~venuekit.store.ConnectionStore.find`, which tells a connection sealed under a
    key this keyring lacks (:class:`~venuekit.store.KeyMismatch`, naming the key) from one
    that does not exist.
    """
    if ID_PATTERN.fullmatch(ref) and ref in store:
        return store.get(ref)
    listing = store.list()
    loaded = {conn.id for conn in listing}
    locked = [problem.connection for problem in listing.problems
              if problem.connection is not None]  # parsed, sealed under another key
    everyone: list[ExchangeConnection] = [*listing, *locked]
    folded = ref.strip().casefold()
    named = [conn for conn in everyone if conn.name == ref] or [
        conn for conn in everyone if conn.name.casefold() == folded]
    if len(named) > 1:
        ids = ", ".join(conn.id for conn in named)
        raise UsageError(f"{len(named)} connections are named {ref!r} ({ids}); give the id")
    if named and named[0].id in loaded:
        return named[0]
    try:
        return store.find(named[0].name if named else ref)
    except ConnectionNotFound:
        if listing.problems:
            # the connection may be one of the files that did not load (a damaged file):
            # say so rather than claim it does not exist
            first = listing.problems[0]
            raise StoreError(f"no readable connection with id or name {ref!r} in "
                             f"{store.root}; {len(listing.problems)} connection file(s) could "
                             f"not be read, e.g. {first.path.name}: {first.reason}") from None
        raise ConnectionNotFound(f"no connection with id or name {ref!r} in {store.root}"
                                 " (see venuekit connections list)") from None


def report_problems(problems: Iterable[Problem]) -> None:
    """Files the store could not load: named on stderr, left untouched."""
    for problem in problems:
        print(f"venuekit: skipped {problem.path}: {problem.reason}", file=sys.stderr)

