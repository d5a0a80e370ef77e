"""venuekit key: the store's master key. Never printed, only named by its fingerprint.

``key init`` creates ``<home>/master.key`` (0600, in a 0700 directory), optionally sealed
under a passphrase; the store would also create it on the first ``connections add``, this
just lets a person choose the passphrase up front. ``key rotate`` re-encrypts every
connection under a new key; if an earlier rotation was interrupted, running it again
finishes that one instead of starting another.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from ..errors import ConfigurationError
from ..store import ENV_KEY, ENV_PASSPHRASE, KEY_FILE, Keyring
from . import common
from .common import EXIT_FAILURE, EXIT_OK, UsageError, home_option, json_option, wants_json
from .output import emit_json, progress, progress_bar

__all__ = ["BACKUP_REMINDER", "key", "weak_passphrase"]

BACKUP_REMINDER = "Back it up: without it the stored secrets cannot be decrypted."
#: Below this length a passphrase guarding every stored trading key is called weak.
MIN_PASSPHRASE_LENGTH = 12
#: ... and so is one with fewer different characters than this.
MIN_DISTINCT_CHARACTERS = 6


def weak_passphrase(passphrase: str) -> str | None:
    """Why a passphrase is weak, or None. A warning, not a refusal: the person decides,
    but Argon2id cannot make ``hunter2`` expensive enough to guess."""
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        return f"it is shorter than {MIN_PASSPHRASE_LENGTH} characters"
    if len(set(passphrase)) < MIN_DISTINCT_CHARACTERS:
        return f"it has fewer than {MIN_DISTINCT_CHARACTERS} different characters"
    if passphrase.isdigit():
        return "it is only digits"
    return None


def _warn_if_weak(passphrase: str) -> None:
    reason = weak_passphrase(passphrase)
    if reason:
        progress(f"warning: weak passphrase ({reason}); anyone with a copy of master.key can "
                 "try passphrases offline. A long phrase of several words is better.")


@click.group("key", help="Create or rotate the store's master key.")
def key() -> None:
    pass


def _new_passphrase(protect: bool) -> str | None:
    from_env = os.environ.get(ENV_PASSPHRASE)
    if from_env:
        _warn_if_weak(from_env)
        return from_env  # the store would protect a new key file with it anyway
    if not protect:
        return None
    if not common.interactive():
        raise UsageError(f"--passphrase needs {ENV_PASSPHRASE} set, or a terminal to prompt on")
    first = common.prompt_hidden("new passphrase for the master key")
    if not first:
        raise UsageError("the passphrase must not be empty")
    if common.prompt_hidden("repeat the passphrase") != first:
        raise UsageError("the passphrases do not match; nothing was created")
    _warn_if_weak(first)
    return first


@key.command("init", short_help="Create the master key file if there is none.",
    help="Create <home>/master.key if there is none. With --passphrase it "
             "is sealed under a key derived (Argon2id) from a passphrase taken from "
             f"{ENV_PASSPHRASE} or prompted for twice; every later command then needs that "
             "passphrase.")
@click.option("--passphrase", "protect", is_flag=True,
              help="Protect the key file with a passphrase.")
@click.option("--kdf-limits", type=click.Choice(["moderate", "interactive"]),
              default="moderate", show_default=True,
              help="Argon2id cost (interactive is faster and weaker).")
@home_option
@json_option
def run_init(protect: bool, kdf_limits: Any, home: Path | None) -> int:
    root = common.home_of(home)
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
        passphrase = _new_passphrase(protect)
        try:
            keyring = Keyring.create_file(root, passphrase=passphrase, limits=kdf_limits)
        except FileExistsError:
            print(f"{path} was created meanwhile by another process; left unchanged")
            return EXIT_OK
        protected = keyring.protected
        message = (f"created {path} (mode 0600, key id {keyring.primary_id}"
                   f"{', protected by a passphrase' if protected else ''}). "
                   + BACKUP_REMINDER)
        result = {"created": True, "source": "file", "path": str(path), "protected": protected,
                  "key_id": keyring.primary_id}
    if wants_json():
        emit_json(result)
    else:
        print(message)
    return EXIT_OK


@key.command("rotate", short_help="Re-encrypt every connection under a new key.",
    help="Re-encrypt every connection under a new master key, file by "
             "file, atomically. Interrupted, the store stays readable under both keys; run "
             "it again to finish.")
@home_option
@json_option
def run_rotate(home: Path | None) -> int:
    root = common.home_of(home)
    if not os.environ.get(ENV_KEY) and not (root / KEY_FILE).exists():
        raise ConfigurationError(f"nothing to rotate: no master key in {root} "
                                 "(venuekit key init creates one)")
    store = common.open_store(home)
    resuming = store.keyring().rotating
    names = {conn.id: conn.name for conn in store.list()}
    with progress_bar("re-encrypting connections", len(names)) as bar:

        def advance(done: int, total: int) -> None:
            if bar is not None:  # a terminal: the bar; elsewhere the summary below says it
                bar.update(bar.task_ids[0], completed=done, total=total)

        result = store.rotate_key(progress=advance)
    if wants_json():
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
        if store.keyring().source != "env":
            print(f"{root / KEY_FILE} now holds the new key. {BACKUP_REMINDER} An older "
                  "backup no longer opens the store.")
        else:
            print(f"{ENV_KEY} now needs the new key. {BACKUP_REMINDER}")
    common.report_problems(result.problems)
    if not result.complete:
        print("venuekit: the rotation is not finished: the old key is kept until every "
              "file above can be read; fix them and run `venuekit key rotate` again",
              file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK
