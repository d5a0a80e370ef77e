"""`venuekit sandbox`: every installed plugin's simulator, on loopback, until stopped.

For trying a host app (or the other commands, through ``--base-url``) by hand. Each venue
gets one line: its base URL and its simulator's API key, masked. The simulators accept
only their own built-in test credentials, which are worthless anywhere else; still, the
secrets are printed only on ``--show-secrets``, so a shared terminal or a log of this
command does not teach anyone to paste secrets around.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from typing import Any

from ..demo import Venue, venues
from ..models import mask
from ..testing.simulator import Simulator
from . import common
from .common import EXIT_FAILURE, EXIT_OK, UsageError, usage_errors
from .output import emit_json, progress, table

__all__ = ["add_parser"]


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("a port is 0-65535")
    return value


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "sandbox", help="keep every plugin's simulator running on loopback",
        description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("names", metavar="EXCHANGE", nargs="*",
                        help="only these exchanges (default: every installed plugin)")
    parser.add_argument("--with-example", action="store_true",
                        help="also run the built-in example exchange")
    parser.add_argument("--port", type=_port, default=0,
                        help="first port; venues take consecutive ports (default: any free)")
    parser.add_argument("--show-secrets", action="store_true",
                        help="also print the simulators' API secrets and passphrases "
                             "(simulator-only test credentials)")
    parser.set_defaults(handler=run)


def _chosen(args: argparse.Namespace) -> list[Venue]:
    wanted = list(dict.fromkeys(args.names))
    found = venues(common.registry(), include_example=args.with_example or "example" in wanted,
                   progress=progress)
    if wanted:
        known = {venue.name for venue in found}
        unknown = [name for name in wanted if name not in known]
        if unknown:
            raise UsageError(f"no simulator for {', '.join(unknown)}; available: "
                             f"{', '.join(sorted(known))}")
        found = [venue for venue in found if venue.name in wanted]
    return found


def _describe(venue: Venue, sim: Simulator, show: bool) -> dict[str, Any]:
    creds = sim.credentials
    row: dict[str, Any] = {"exchange": venue.name, "base_url": sim.api_url,
                           "api_key": mask(creds.api_key), "key_type": creds.key_type.value}
    if show:
        row.update(api_key=creds.api_key, api_secret=creds.api_secret,
                   passphrase=creds.passphrase, private_key=creds.private_key)
    return row


async def _serve(args: argparse.Namespace, chosen: list[Venue]) -> None:
    sims: list[tuple[Venue, Simulator]] = []
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows, threads
            loop.add_signal_handler(signum, stop.set)
    try:
        for index, venue in enumerate(chosen):
            sim = venue.simulator()
            await sim.start(port=args.port + index if args.port else 0)
            sims.append((venue, sim))
        rows = [_describe(venue, sim, args.show_secrets) for venue, sim in sims]
        if args.json:
            emit_json(rows)
        else:
            headers = ["exchange", "base url", "api key", "key type"]
            fields = ["exchange", "base_url", "api_key", "key_type"]
            if args.show_secrets:
                headers += ["api secret", "passphrase"]
                fields += ["api_secret", "passphrase"]
            print(table(headers, [[row[f] for f in fields] for row in rows]))
            if not args.show_secrets:
                print("secrets hidden; --show-secrets prints them (simulator-only test "
                      "credentials, useless against a real venue)")
        sys.stdout.flush()
        progress(f"sandbox running {len(sims)} simulator(s) on loopback; Ctrl-C to stop")
        await stop.wait()
    finally:
        for _, sim in sims:
            await sim.stop()
        progress("sandbox stopped")


@usage_errors
def run(args: argparse.Namespace) -> int:
    chosen = _chosen(args)
    if args.port and args.port + len(chosen) - 1 > 65535:
        raise UsageError(f"--port {args.port} leaves no room for {len(chosen)} venues")
    try:
        common.run_async(_serve(args, chosen))
    except KeyboardInterrupt:  # no signal handler (not the main thread): still a clean stop
        pass
    except OSError as exc:
        print(f"venuekit: cannot start a simulator: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK
