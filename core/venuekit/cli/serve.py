"""venuekit serve: the HTTP API over the connection store, on loopback by default.

The bearer token is ``$VENUEKIT_API_TOKEN`` or ``<home>/api.token`` (created 0600 on the
first run); the command says where it is and never prints it. A host other than a
loopback address is refused unless ``--allow-remote`` is given: the API manages trading
keys, and plain HTTP carries the token in clear.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import signal
import sys
from pathlib import Path
from typing import Any

import click

from ..store import ConnectionStore
from .common import home_option
from .limits import machine_limiter

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "is_loopback", "serve", "start"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8787
EXIT_USAGE = 2


def is_loopback(host: str) -> bool:
    """Whether ``host`` names only this machine; a host name other than localhost does not."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/api"


@click.command("serve", short_help="Serve the HTTP API (loopback only by default).",
    help="Serve the HTTP API over the connection store (loopback only "
               "by default). Each connection is tested against its stored host, so a "
               "connection registered by venuekit sandbox --register is tested against the "
               "sandbox.")
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Address to bind.")
@click.option("--port", type=int, default=DEFAULT_PORT, show_default=True,
              help="Port to bind, 0 for any free one.")
@home_option
@click.option("--allow-remote", is_flag=True,
              help="Allow a non-loopback --host (the token then crosses the network: put "
                   "TLS in front).")
def serve(host: str, port: int, home: Path | None, allow_remote: bool) -> int:
    if not 0 <= port <= 65535:
        print(f"venuekit serve: --port {port} is not a port number", file=sys.stderr)
        return EXIT_USAGE
    if not is_loopback(host) and not allow_remote:
        print(f"venuekit serve: refusing to bind {host!r}, which is not a loopback "
              "address; pass --allow-remote to serve other machines", file=sys.stderr)
        return EXIT_USAGE
    return start(host, port, home)


def start(host: str, port: int, home: Path | None) -> int:
    """The server's whole start-up, in one place (api/server.py may take it over)."""
    # imported here: the other commands should not pay for the API's imports
    from ..api import create_app, resolve_token

    store = ConnectionStore(home.expanduser() if home is not None else None)
    token = resolve_token(store.root)
    app = create_app(store, token=token.value)
    with machine_limiter(store.root):
        return asyncio.run(_serve(app, host, port, token.source, token.created,
                                  remote=not is_loopback(host)))


async def _serve(app: Any, host: str, port: int, token_source: str, created: bool, *,
                 remote: bool) -> int:
    from ..api.server import start_server  # read timeouts, connection caps, log budget

    try:
        server = await start_server(app, host, port)
    except OSError as exc:
        print(f"venuekit serve: cannot bind {host}:{port}: {exc.strerror}", file=sys.stderr)
        return 1
    bound = server.port
    print(f"venuekit API on {_url(host, bound)} (OpenAPI: {_url(host, bound)}/openapi.json)")
    print(f"bearer token: {'created in ' if created else ''}{token_source}")
    shown = f"[{host}]" if ":" in host else host  # after the token line scripts read
    print(f"web console on http://{shown}:{bound}/ (log in with the token)")
    if remote:
        print("warning: serving beyond this machine over plain HTTP; the token is sent in "
              "clear unless TLS is put in front", file=sys.stderr)
    print("press Ctrl+C to stop", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows: Ctrl+C still interrupts
            loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await server.stop()
    return 0
