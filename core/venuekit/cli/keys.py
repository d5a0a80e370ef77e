"""`venuekit key`: the store's master key. Never printed, only named by its fingerprint.

``key init`` creates ``<home>/master.key`` (0600, in a 0700 directory), optionally sealed
under a passphrase; the store would also create it on the first ``connections add``, this
just lets a person choose the passphrase up front. ``key rotate`` re-encrypts every
connection under a new key; if an earlier rotation was interrupted, running it again
finishes that one instead of starting another.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from ..errors import ConfigurationError
from ..store import ENV_KEY, ENV_PASSPHRASE, KEY_FILE, Keyring
from . import common
from .common import EXIT_FAILURE, EXIT_OK, UsageError, usage_errors
from .output import emit_json

__all__ = ["add_parser"]


def add_parser(sub: Any) -> None:
    parent = common.common_options()
    parser = sub.add_parser("key", help="create or rotate the store's master key")
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True

    init = actions.add_parser(
        "init", parents=[parent], help="create the master key file if there is none",
        description="Create <home>/master.key. With --passphrase it is sealed under a key "
                    f"derived (Argon2id) from a passphrase taken from {ENV_PASSPHRASE} or "
                    "prompted for twice; every later command then needs that passphrase.")
    init.add_argument("--passphrase", action="store_true",
                      help="protect the key file with a passphrase")
    init.add_argument("--kdf-limits", choices=["moderate", "interactive"], default="moderate",
                      help="Argon2id cost (default: moderate; interactive is faster and weaker)")
    init.set_defaults(handler=run_init)

    rotate = actions.add_parser(
        "rotate", parents=[parent], help="re-encrypt every connection under a new key",
        description="Re-encrypt every connection under a new master key, file by file, "
                    "atomically. Interrupted, the store stays readable under both keys; run "
                    "it again to finish.")
    rotate.set_defaults(handler=run_rotate)


def _new_passphrase(args: argparse.Namespace) -> str | None:
    from_env = os.environ.get(ENV_PASSPHRASE)
    if from_env:
        return from_env  # the store would protect a new key file with it anyway
    if not args.passphrase:
        return None
    if not common.interactive():
        raise UsageError(f"--passphrase needs {ENV_PASSPHRASE} set, or a terminal to prompt on")
    first = common.prompt_hidden("new passphrase for the master key")
    if not first:
        raise UsageError("the passphrase must not be empty")
    if common.prompt_hidden("repeat the passphrase") != first:
        raise UsageError("the passphrases do not match; nothing was created")
    return first


@usage_errors
def run_init(args: argparse.Namespace) -> int:
    root = common.home_of(args)
    path = root / KEY_FILE
    if os.environ.get(ENV_KEY):
        message = (f"the master key comes from {ENV_KEY}; no key file is used "
                   f"(unset it to use {path})")
        result: dict[str, Any] = {"created": False, "source": "env", "path": None}
    elif path.exists():
        protected = common.key_file_protected(root)
        message = (f"{path} exists ({'protected by a passphrase' if protected else 'no passphrase'}"
                   "); left unchanged")
        result = {"created": False, "source": "file", "path": str(path), "protected": protected}
    else:
        passphrase = _new_passphrase(args)
        try:
            keyring = Keyring.create_file(root, passphrase=passphrase, limits=args.kdf_limits)
        except FileExistsError:
            print(f"{path} was created meanwhile by another process; left unchanged")
            return EXIT_OK
        protected = keyring.protected
        message = (f"created {path} (mode 0600, key id {keyring.primary_id}"
                   f"{', protected by a passphrase' if protected else ''}). Back it up: "
                   "without it the stored secrets cannot be decrypted.")
        result = {"created": True, "source": "file", "path": str(path), "protected": protected,
                  "key_id": keyring.primary_id}
    if args.json:
        emit_json(result)
    else:
        print(message)
    return EXIT_OK


@usage_errors
def run_rotate(args: argparse.Namespace) -> int:
    root = common.home_of(args)
    if not os.environ.get(ENV_KEY) and not (root / KEY_FILE).exists():
        raise ConfigurationError(f"nothing to rotate: no master key in {root} "
                                 "(venuekit key init creates one)")
    store = common.open_store(args)
    resuming = store.keyring().rotating
    names = {conn.id: conn.name for conn in store.list()}
    result = store.rotate_key()
    if args.json:
        emit_json({"key_id": result.key_id, "resumed": resuming,
                   "rewritten": list(result.rewritten), "retired": list(result.retired),
                   "complete": result.complete,
                   "problems": [{"id": p.id, "path": str(p.path), "reason": p.reason}
                                for p in result.problems]})
    else:
        if resuming:
            print("finishing a rotation that was interrupted earlier")
        print(f"new key id {result.key_id}: rewrote {len(result.rewritten)} connection(s)")
        for conn_id in result.rewritten:
            print(f"  {names.get(conn_id, '?')} ({conn_id})")
        if result.retired and store.keyring().source == "env":
            print(f"old key(s) {', '.join(result.retired)} no longer needed: drop them from "
                  f"{ENV_KEY}")
        elif result.retired:
            print(f"retired old key(s) {', '.join(result.retired)}")
    common.report_problems(result.problems)
    if not result.complete:
        print("venuekit: the rotation is not finished: the old key is kept until every "
              "file above can be read; fix them and run `venuekit key rotate` again",
              file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK
