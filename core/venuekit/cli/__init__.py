"""The ``venuekit`` command, on click.

Each command lives in its own module; this one assembles them, adds the commands of
installed extensions (the ``register_commands`` hook), and maps outcomes to exit codes:
0 ok, 1 failure, 2 usage error. Human-readable tables by default; ``--json`` (before or
after the command) for scripts, errors included. A closed pipe (``venuekit --json plugins
| head -1``) ends the command quietly.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Sequence

import click

from .._version import __version__
from ..errors import VenuekitError
from . import common  # noqa: F401 - venuekit.cli.common is where hosts set REGISTRY_FACTORY
from .account import fills, orders, positions
from .common import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError, json_option
from .connections import connections
from .demo import demo
from .extensions import register_extension_commands
from .keys import key
from .market import book, ticker
from .new_plugin import new_plugin
from .plugins import plugins
from .sandbox import sandbox
from .serve import serve
from .trading import balance, order
from .watch import watch

__all__ = ["build_cli", "main", "run"]

BUILTIN_COMMANDS: tuple[click.Command, ...] = (
    plugins, connections, balance, order, orders, positions, fills, ticker, book, watch, key,
    sandbox, serve, demo, new_plugin)


def build_cli(extensions: Iterable[tuple[str, object]] | None = None) -> click.Group:
    """A fresh root command: the built-in commands plus every extension's.

    :param extensions: ``(name, object)`` pairs instead of the installed entry points
        (tests and embedding hosts).
    """

    @click.group(name="venuekit", no_args_is_help=True,
                 context_settings={"help_option_names": ["-h", "--help"],
                                   "max_content_width": 100})
    @click.version_option(__version__, "--version", prog_name="venuekit",
                          message="%(prog)s %(version)s")
    @json_option
    def cli() -> None:
        """Plugin-based async trading on crypto exchanges.

        Start with: venuekit demo (every installed plugin against its loopback simulator),
        or venuekit sandbox --register and then venuekit connections test --all.
        """

    for command in BUILTIN_COMMANDS:
        cli.add_command(command)
    register_extension_commands(cli, extensions)
    return cli


def _json_requested(argv: Sequence[str]) -> bool:
    head = list(argv[:list(argv).index("--")]) if "--" in argv else list(argv)
    return "--json" in head


def _fail(message: str, code: int, as_json: bool, kind: str) -> int:
    if as_json:
        json.dump({"error": {"type": kind, "message": message, "exit_code": code}},
                  sys.stdout, indent=2, sort_keys=True)
        sys.stdout.write("\n")
    else:
        print(f"venuekit: {message}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None, *,
         extensions: Iterable[tuple[str, object]] | None = None) -> int:
    """Run one command and return its exit status (scripts may call this in-process).

    :param extensions: as for :func:`build_cli`; None uses the installed ones.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    as_json = _json_requested(args)
    try:
        cli = build_cli(extensions)
        result = cli.main(args=args, prog_name="venuekit", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:  # bare `venuekit`: its help
        click.echo(exc.ctx.get_help() if exc.ctx else "")
        return EXIT_OK
    except click.ClickException as exc:
        if as_json:
            return _fail(exc.format_message(), exc.exit_code, True, "usage")
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        print("venuekit: interrupted", file=sys.stderr)
        return EXIT_FAILURE
    except UsageError as exc:
        return _fail(str(exc), EXIT_USAGE, as_json, "usage")
    except VenuekitError as exc:
        return _fail(str(exc), EXIT_FAILURE, as_json, type(exc).__name__)
    except KeyboardInterrupt:
        print("venuekit: interrupted", file=sys.stderr)
        return EXIT_FAILURE
    return result if isinstance(result, int) else EXIT_OK


def run() -> None:
    """The console script: ``main`` plus a quiet end on a closed pipe."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # the reader went away (`| head -1`): nothing more can be written; point stdout at
        # devnull so the interpreter's own flush at exit does not raise again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(EXIT_FAILURE)
    sys.exit(code)

