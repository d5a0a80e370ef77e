"""venuekit new-plugin NAME: write an exchange plugin project that passes its own tests."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..scaffold import InvalidPluginName, TargetExists, generate, plugin_names
from . import common
from .common import json_option, wants_json
from .output import emit_json, progress

__all__ = ["new_plugin"]


def _name(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    try:
        return plugin_names(value).name
    except InvalidPluginName as exc:
        raise click.BadParameter(str(exc)) from None


def _clash(name: str) -> None:
    """Warn when an installed plugin already answers to this name: installing the new one
    beside it would make which one loads a matter of chance."""
    try:
        installed = common.registry().available()
    except Exception:
        return
    for plugin in installed:
        if plugin.name == name:
            dist = plugin.distribution or "registered in code"
            progress(f"warning: an exchange plugin named {name!r} is already installed "
                     f"({dist}); installing this one beside it makes the two clash. Choose "
                     "another name unless you mean to replace it.")


@click.command("new-plugin", short_help="Write a new exchange plugin project.",
    help="Write a complete exchange plugin project: pyproject.toml "
               "with the entry point, every hook, signing, a loopback simulator, a README "
               "checklist and tests running venuekit's conformance suite.")
@click.argument("name", metavar="NAME", callback=_name)
@click.option("--dir", "directory", metavar="PATH", type=click.Path(path_type=Path),
              help="Directory to write the project into (default: ./venuekit-NAME).")
@click.option("--force", is_flag=True,
              help="Write into an existing, non-empty directory, replacing the files the "
                   "generator writes (other files are left alone).")
@json_option
def new_plugin(name: str, directory: Path | None, force: bool) -> int:
    _clash(name)
    try:
        result = generate(name, directory, force=force)
    except TargetExists as exc:
        print(f"venuekit new-plugin: {exc}", file=sys.stderr)
        return 1
    names = result.names
    if wants_json():
        emit_json({"name": names.name, "distribution": names.dist, "package": names.package,
                   "directory": str(result.root),
                   "files": [str(p.relative_to(result.root)) for p in result.files]})
        return 0
    print(f"wrote {result.root} ({len(result.files)} files): exchange {names.name!r}, "
          f"distribution {names.dist}, package {names.package}")
    print("next:")
    print(f"  cd {result.root}")
    print("  pip install -e '.[test]'")
    print("  pytest")
    print("then work through the checklist in README.md; every place to change is marked "
          "TODO(venue).")
    return 0
