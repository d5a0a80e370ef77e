"""Issue 12 finding 5, every venue: a venue that echoes the key, secret and passphrase in
its error messages gets none of them into any CLI output or API answer.

Each venue's simulator answers every request with its own error envelope carrying the
credentials in the message; then every CLI command that reaches the venue and every API
route that does runs against it, and all their output is searched.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from cli_support import Cli, cli_runner
from venuekit.api import create_app
from venuekit.cli import common
from venuekit.demo import Venue, venues
from venuekit.registry import Registry
from venuekit.store import ConnectionStore
from venuekit.testing import Simulator
from venuekit.testing.state import ErrorKind

VENUES = {venue.name: venue for venue in venues()}
TOKEN = "echo-test-token-0123456789"
SYMBOL = "BTC/USDT:USDT"


class VenueThread:
    """A venue's simulator on its own thread and loop (each CLI command runs its own)."""

    def __init__(self, venue: Venue) -> None:
        self.venue = venue
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> Simulator:
        self.thread.start()

        async def start() -> Simulator:
            sim = self.venue.simulator()
            await sim.start()
            return sim

        self.sim = asyncio.run_coroutine_threadsafe(start(), self.loop).result(10)
        return self.sim

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.sim.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture(params=sorted(VENUES))
def sim(request: pytest.FixtureRequest) -> Iterator[Simulator]:
    with VenueThread(VENUES[request.param]) as simulator:
        yield simulator


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        sim: Simulator) -> Iterator[Cli]:
    creds = sim.credentials
    yield from cli_runner(monkeypatch, tmp_path, capsys, creds.api_key, creds.api_secret,
                          *(v for v in (creds.passphrase, creds.private_key) if v),
                          registry=Registry)


def echo_everything(sim: Simulator) -> str:
    creds = sim.credentials
    echoed = " ".join(v for v in (creds.api_key, creds.api_secret, creds.passphrase) if v)
    message = f"you sent {echoed}"
    sim.faults.clear()
    sim.faults.error_next(ErrorKind.INVALID, count=10_000, message=message)
    return message


async def test_no_cli_command_or_api_route_repeats_echoed_credentials(
        cli: Cli, sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    creds = sim.credentials
    monkeypatch.setenv("VENUEKIT_API_KEY", creds.api_key)
    monkeypatch.setenv("VENUEKIT_API_SECRET", creds.api_secret)
    if creds.passphrase:
        monkeypatch.setenv("VENUEKIT_API_PASSPHRASE", creds.passphrase)
    exchange = sim.exchange
    view = cli.json("connections", "add", "--name", "echo", "--exchange", exchange,
                    "--base-url", sim.api_url)
    assert isinstance(view, dict)
    echo_everything(sim)

    commands = [
        ("connections", "test", "echo"),
        ("connections", "logs", "echo"),
        ("connections", "show", "echo"),
        ("balance", "echo"),
        ("order", "place", "echo", "--symbol", SYMBOL, "--side", "buy", "--type", "limit",
         "--quantity", "0.01", "--price", "40000"),
        ("order", "status", "echo", "--symbol", SYMBOL, "--order-id", "12345"),
        ("order", "cancel", "echo", "--symbol", SYMBOL, "--order-id", "12345"),
        ("order", "recover", "echo"),
    ]
    failed = 0
    for argv in commands:
        for as_json in ((), ("--json",)):
            code, _, _ = await asyncio.to_thread(cli, *as_json, *argv)  # cli greps output
            failed += code != 0
    assert failed > 0, "the venue's errors did not reach the CLI at all"

    store = ConnectionStore(cli.home)
    app = create_app(store, token=TOKEN, registry=Registry())
    async with TestClient(TestServer(app)) as client:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        seen: list[str] = []
        for method, path in (
                ("POST", f"/api/settings/connections/{view['id']}/test"),
                ("GET", f"/api/settings/connections/{view['id']}/logs"),
                ("GET", f"/api/settings/connections/{view['id']}"),
                ("GET", "/api/connections/active")):
            response = await client.request(method, path, headers=headers)
            seen.append(await response.text() + repr(dict(response.headers)))
    everything = "\n".join(seen)
    assert '"ok": false' in seen[0].replace('"ok":false', '"ok": false'), seen[0][:500]
    for secret in cli.secrets:
        assert secret not in everything, f"{exchange}: a credential reached the API answer"
    assert common.REGISTRY_FACTORY is Registry
