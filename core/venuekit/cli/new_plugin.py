"""`venuekit new-plugin NAME`: write an exchange plugin project that passes its own tests."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..scaffold import InvalidPluginName, TargetExists, generate, plugin_names
from .output import emit_json


def _name(value: str) -> str:
    try:
        return plugin_names(value).name
    except InvalidPluginName as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "new-plugin", help="write a new exchange plugin project (passes its own tests)",
        description="Write a complete exchange plugin project: pyproject.toml with the "
                    "entry point, every hook, signing, a loopback simulator, a README "
                    "checklist and tests running venuekit's conformance suite.")
    parser.add_argument("name", metavar="NAME", type=_name,
                        help="exchange name: lowercase letters and digits, starting with a "
                             "letter, single underscores between words (e.g. acme)")
    parser.add_argument("--dir", dest="directory", metavar="PATH", type=Path,
                        help="directory to write the project into (default: ./venuekit-NAME)")
    parser.add_argument("--force", action="store_true",
                        help="write into an existing, non-empty directory, replacing the "
                             "files the generator writes (other files are left alone)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        result = generate(args.name, args.directory, force=args.force)
    except TargetExists as exc:
        print(f"venuekit new-plugin: {exc}", file=sys.stderr)
        return 1
    names = result.names
    if args.json:
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
