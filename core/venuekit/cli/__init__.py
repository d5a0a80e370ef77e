"""The ``venuekit`` command.

Each sub-command lives in its own module and registers itself through ``add_parser``;
this module only builds the parser and maps outcomes to exit codes: 0 ok, 1 failure,
2 usage error. Human-readable tables by default, ``--json`` for scripts.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..errors import VenuekitError
from . import connections, demo, keys, new_plugin, plugins, sandbox, serve, trading

__all__ = ["main"]

COMMANDS = (plugins, connections, trading, keys, sandbox, serve, demo, new_plugin)

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="venuekit", description="Plugin-based async trading on crypto exchanges.")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in COMMANDS:
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    try:
        code: int = args.handler(args)
    except VenuekitError as exc:
        print(f"venuekit: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("venuekit: interrupted", file=sys.stderr)
        return EXIT_FAILURE
    return code


def run() -> None:
    sys.exit(main())
