"""venuekit sandbox: every installed plugin's simulator, on loopback, until stopped.

For trying a host app or the other commands by hand. Each venue gets one line: its base URL
and its simulator's API key, masked. ``--register`` also stores (or refreshes) one
connection per simulator, named ``sandbox-<exchange>``, with the simulator's credentials and
URL, so ``venuekit connections test --all`` and ``venuekit serve`` reach the sandbox without
any URL typed. The simulators accept only their own built-in test credentials, which are
worthless anywhere else; still, secrets are printed only on ``--show-secrets``, so a
shared terminal or a log of this command does not teach anyone to paste secrets around.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from pathlib import Path
from typing import Any

import attrs
import click
from yarl import URL

from ..demo import Venue, venues
from ..models import Credentials, mask
from ..store import KEY_FILE, ConnectionStore, ExchangeConnection
from ..testing.simulator import Simulator
from . import common
from .common import EXIT_FAILURE, EXIT_OK, UsageError, home_option, json_option, wants_json
from .output import emit_json, progress, table

__all__ = ["SANDBOX_PREFIX", "register_simulator", "sandbox"]

#: Connections ``--register`` manages are named this plus the exchange name.
SANDBOX_PREFIX = "sandbox-"


def _chosen(names: tuple[str, ...], with_example: bool) -> list[Venue]:
    wanted = [name.lower() for name in dict.fromkeys(names)]
    found = venues(common.registry(), include_example=with_example or "example" in wanted,
                   progress=progress)
    if wanted:
        known = {venue.name for venue in found}
        unknown = [name for name in wanted if name not in known]
        if unknown:
            raise UsageError(f"no simulator for {', '.join(unknown)}; available: "
                             f"{', '.join(sorted(known))}")
        found = [venue for venue in found if venue.name in wanted]
    return found


def _stream_url(api_url: str) -> str:
    """The simulator serves its sockets on its REST port at the venue's paths."""
    url = URL(api_url)
    return str(url.with_scheme("wss" if url.scheme == "https" else "ws").with_path(""))


def _secret(value: str | None, show: bool) -> str | None:
    if value is None:
        return None
    return value if show else mask(value)


def _describe(venue: Venue, sim: Simulator, show: bool) -> dict[str, Any]:
    creds = sim.credentials
    return {"exchange": venue.name, "base_url": sim.api_url,
            "stream_base_url": _stream_url(sim.api_url), "key_type": creds.key_type.value,
            "api_key": _secret(creds.api_key, show),
            "api_secret": _secret(creds.api_secret or None, show),
            "passphrase": _secret(creds.passphrase, show),
            "private_key": _secret(creds.private_key, show), "secrets_shown": show}


def register_simulator(store: ConnectionStore, exchange: str, base_url: str,
             credentials: Credentials) -> ExchangeConnection:
    """Store, or refresh, the ``sandbox-<exchange>`` connection for a running simulator.

    A refresh keeps the connection's id and test history and points it at the simulator's
    current URL (its port changes from run to run) with the simulator's credentials.
    """
    name = SANDBOX_PREFIX + exchange
    stream = _stream_url(base_url)
    existing = [conn for conn in store.list() if conn.name.casefold() == name]
    if existing:
        return store.update(existing[0].id, lambda conn: attrs.evolve(
            conn, exchange=exchange, is_testnet=False, is_enabled=True, secrets=credentials,
            base_url=base_url, stream_base_url=stream))
    return store.create(name=name, exchange=exchange, credentials=credentials,
                        is_testnet=False, base_url=base_url, stream_base_url=stream)


async def _serve(chosen: list[Venue], port: int, show: bool,
                 store: ConnectionStore | None) -> None:
    sims: list[tuple[Venue, Simulator]] = []
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows, threads
            loop.add_signal_handler(signum, stop.set)
    try:
        for index, venue in enumerate(chosen):
            sim = venue.simulator()
            await sim.start(port=port + index if port else 0)
            sims.append((venue, sim))
        rows = [_describe(venue, sim, show) for venue, sim in sims]
        if store is not None:
            had_key = (store.root / KEY_FILE).exists()
            for row, (venue, sim) in zip(rows, sims, strict=True):
                conn = await asyncio.to_thread(register_simulator, store, venue.name, sim.api_url,
                                               sim.credentials)
                row.update(connection_id=conn.id, connection=conn.name)
            if not had_key and (store.root / KEY_FILE).exists():
                progress(f"created the master key {store.root / KEY_FILE}: back it up, "
                         "without it the stored secrets cannot be decrypted")
        if wants_json():
            emit_json(rows)
        else:
            headers = ["exchange", "base url", "api key", "key type"]
            fields = ["exchange", "base_url", "api_key", "key_type"]
            if show:
                headers += ["api secret", "passphrase"]
                fields += ["api_secret", "passphrase"]
            if store is not None:
                headers.append("connection")
                fields.append("connection")
            print(table(headers, [[row[f] for f in fields] for row in rows]))
            if not show:
                print("secrets hidden; --show-secrets prints them (simulator-only test "
                      "credentials, useless against a real venue)")
            if store is not None:
                print(f"registered {len(rows)} connection(s) in {store.root}; try: venuekit "
                      "connections test --all")
        sys.stdout.flush()
        progress(f"sandbox running {len(sims)} simulator(s) on loopback; Ctrl-C to stop")
        await stop.wait()
    finally:
        for _, sim in sims:
            await sim.stop()
        progress("sandbox stopped")


@click.command("sandbox", short_help="Keep the simulators running on loopback.",
    help="Keep every installed plugin's simulator (or the EXCHANGEs "
               "named) running on loopback until stopped. With --register, store one "
               "connection per simulator (sandbox-EXCHANGE) pointing at it.")
@click.argument("names", metavar="[EXCHANGE]...", nargs=-1)
@click.option("--with-example", is_flag=True, help="Also run the built-in example exchange.")
@click.option("--port", type=click.IntRange(0, 65535), default=0,
              help="First port; venues take consecutive ports (default: any free).")
@click.option("--show-secrets", is_flag=True,
              help="Also print the simulators' API secrets and passphrases (simulator-only "
                   "test credentials); with --json they are otherwise masked.")
@click.option("--register", is_flag=True,
              help="Add or refresh a sandbox-EXCHANGE connection per simulator in the store.")
@home_option
@json_option
def sandbox(names: tuple[str, ...], with_example: bool, port: int, show_secrets: bool,
            register: bool, home: Path | None) -> int:
    chosen = _chosen(names, with_example)
    if port and port + len(chosen) - 1 > 65535:
        raise UsageError(f"--port {port} leaves no room for {len(chosen)} venues")
    store = common.open_store(home) if register else None
    try:
        common.run_async(_serve(chosen, port, show_secrets, store))
    except KeyboardInterrupt:  # no signal handler (not the main thread): still a clean stop
        pass
    except OSError as exc:
        print(f"venuekit: cannot start a simulator: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK
