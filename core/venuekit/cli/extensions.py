"""Commands from installed extensions: the ``register_commands`` hook.

An extension (entry-point group ``venuekit.extensions``, the group that also carries hook
wrappers such as a risk guard) adds ``venuekit`` commands by implementing
``register_commands(cli)`` and calling ``cli.add_command(...)``, as datasette and llm
plugins do. An extension that fails to import is reported in one line and skipped: one
broken package must not take every command down with it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from importlib import metadata

import click
import pluggy

from .. import hookspecs
from ..registry import DISABLE_AUTOLOAD_ENV, EXTENSION_GROUP

__all__ = ["installed_extensions", "register_extension_commands"]


def installed_extensions() -> list[tuple[str, object]]:
    """The ``venuekit.extensions`` entry points that import, by name."""
    if os.environ.get(DISABLE_AUTOLOAD_ENV, "").strip().lower() in ("1", "true", "yes", "on"):
        return []
    found: list[tuple[str, object]] = []
    for ep in metadata.entry_points(group=EXTENSION_GROUP):
        try:
            found.append((f"extension:{ep.name}", ep.load()))
        except Exception as exc:
            print(f"venuekit: skipped extension {ep.name} ({ep.value}): {exc!r}",
                  file=sys.stderr)
    return found


def register_extension_commands(cli: click.Group,
                                extensions: Iterable[tuple[str, object]] | None = None
                                ) -> None:
    """Let every extension add its commands to ``cli``."""
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    for name, extension in (installed_extensions() if extensions is None else extensions):
        try:
            pm.register(extension, name=name)
        except (ValueError, pluggy.PluginValidationError) as exc:
            print(f"venuekit: skipped {name}: {exc}", file=sys.stderr)
    pm.hook.register_commands(cli=cli)
