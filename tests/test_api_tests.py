"""``POST .../{id}/test`` against the example venue's simulator, and the shared listing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from api_support import TOKEN, Api, assert_error, snapshot
from pytest_aiohttp import AiohttpClient
from venuekit.api import context as context_module
from venuekit.api import create_app
from venuekit.api.context import CONTEXT
from venuekit.models import Credentials
from venuekit.registry import Registry
from venuekit.service import ConnectionTester, TestOutcome
from venuekit.store import ConnectionStatus, ConnectionStore
from venuekit.testing.example.simulator import ExampleSimulator

BASE = "/api/settings/connections"
WRONG_SECRET = "wrong-secret-that-must-not-leak-31337"


@pytest.fixture
async def api(aiohttp_client: AiohttpClient, store: ConnectionStore, registry: Registry,
              sim: ExampleSimulator) -> AsyncIterator[Api]:
    app = create_app(store, token=TOKEN, registry=registry,
                     base_url_for=lambda conn: sim.base_url)
    client = Api(await aiohttp_client(app),
                 secrets=(sim.credentials.api_secret, WRONG_SECRET))
    yield client
    client.assert_no_secret()


async def test_a_passing_test_returns_and_stores_the_report(
        api: Api, store: ConnectionStore, sim: ExampleSimulator) -> None:
    conn = store.create(name="main", exchange="example", credentials=sim.credentials)
    status, body, _ = await api.call("POST", f"{BASE}/{conn.id}/test")
    assert status == 200, body
    assert body["status"] == "ok" and body["connection_id"] == conn.id
    assert body["balance"]["USDT"] and body["tested_at"]
    assert {"trade", "fetch_order_by_client_id"} <= set(body["capabilities"])
    assert any(line.startswith("ok   balance") for line in body["log"])
    assert [s["name"] for s in body["steps"]][:2] == ["server time", "balance"]
    assert body["permissions"]["can_withdraw"] is False
    assert body["connection"]["last_test_status"] == "ok"
    saved = store.get(conn.id)
    assert saved.last_test_status is ConnectionStatus.OK
    assert list(saved.last_test_log) == body["log"]
    _, page, _ = await api.call("GET", f"{BASE}/{conn.id}/logs")
    assert len(page["entries"]) == 1 and page["entries"][0]["ok"] is True
    _, active, _ = await api.call("GET", "/api/connections/active")
    assert active["connections"][0]["last_test_status"] == "ok"
    assert active["connections"][0]["last_test_balance"] == body["balance"]


async def test_a_refused_key_is_a_stored_failure_without_the_secret(
        api: Api, store: ConnectionStore, sim: ExampleSimulator) -> None:
    wrong = Credentials(api_key=sim.credentials.api_key, api_secret=WRONG_SECRET)
    conn = store.create(name="bad", exchange="example", credentials=wrong)
    status, body, _ = await api.call("POST", f"{BASE}/{conn.id}/test")
    assert status == 200 and body["status"] == "failed"
    assert any("InvalidSignature" in line for line in body["log"])
    assert store.get(conn.id).last_test_status is ConnectionStatus.FAILED


async def test_two_simultaneous_tests_run_once(api: Api, store: ConnectionStore,
                                               sim: ExampleSimulator) -> None:
    conn = store.create(name="main", exchange="example", credentials=sim.credentials)
    sim.faults.latency_s = 0.15
    url = f"{BASE}/{conn.id}/test"
    (s1, first, _), (s2, second, _) = await asyncio.gather(
        api.call("POST", url), api.call("POST", url))
    assert s1 == s2 == 200
    assert first["tested_at"] == second["tested_at"] and first == second
    assert sim.stats.count("/v1/balance") == 1
    assert len(store.read_logs(conn.id)) == 1
    # once it has finished, the next request tests again
    sim.faults.latency_s = 0.0
    _, third, _ = await api.call("POST", url)
    assert third["tested_at"] != first["tested_at"]
    assert sim.stats.count("/v1/balance") == 2


async def test_a_waiting_client_that_leaves_does_not_cancel_the_test(
        api: Api, store: ConnectionStore, sim: ExampleSimulator) -> None:
    conn = store.create(name="main", exchange="example", credentials=sim.credentials)
    sim.faults.latency_s = 0.1
    url = f"{BASE}/{conn.id}/test"
    impatient = asyncio.ensure_future(api.call("POST", url))
    await asyncio.sleep(0.05)
    impatient.cancel()
    status, body, _ = await api.call("POST", url)
    assert status == 200 and body["status"] == "ok"
    assert sim.stats.count("/v1/balance") == 1


async def test_a_test_that_hangs_is_a_504(aiohttp_client: AiohttpClient,
                                          store: ConnectionStore, registry: Registry,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    class Hanging(ConnectionTester):
        async def test(self, connection_id: str) -> TestOutcome:
            await asyncio.sleep(60)
            raise AssertionError("unreachable")

    monkeypatch.setattr(context_module, "TEST_TIMEOUT_MARGIN_S", 0.1)
    app = create_app(store, token=TOKEN, registry=registry,
                     tester=Hanging(store, registry=registry, timeout_s=0.0))
    api = Api(await aiohttp_client(app))
    conn = store.create(name="x", exchange="example",
                        credentials=Credentials(api_key="k" * 16, api_secret="s" * 16))
    status, body, _ = await api.call("POST", f"{BASE}/{conn.id}/test")
    assert_error(status, body, 504, "test_timeout")
    assert app[CONTEXT].running_tests == 0


async def test_a_test_of_an_unknown_id_is_404_and_changes_nothing(
        api: Api, store: ConnectionStore, sim: ExampleSimulator) -> None:
    store.create(name="main", exchange="example", credentials=sim.credentials)
    before = snapshot(store.root)
    status, body, _ = await api.call("POST", f"{BASE}/ffffffffffffffff/test")
    assert_error(status, body, 404, "not_found", "ffffffffffffffff")
    assert snapshot(store.root) == before and sim.stats.count() == 0


# ---------------------------------------------------------------- the shared listing


async def test_concurrent_listings_share_scans_and_stay_fresh(
        aiohttp_client: AiohttpClient, store: ConnectionStore, registry: Registry) -> None:
    for i in range(30):
        store.create(name=f"c{i}", exchange="example",
                     credentials=Credentials(api_key="k" * 16, api_secret="s" * 16))
    app = create_app(store, token=TOKEN, registry=registry)
    api = Api(await aiohttp_client(app))
    listing = app[CONTEXT].listing
    replies = await asyncio.gather(*(api.call("GET", "/api/connections/active")
                                     for _ in range(40)))
    assert all(status == 200 and len(body["connections"]) == 30
               for status, body, _ in replies)
    assert listing.scans == 1  # forty requests, one read of the files
    await api.call("GET", f"{BASE}")
    assert listing.scans == 1  # nothing changed: the fingerprint says so
    conn = store.list().connections[0]
    store.set_enabled(conn.id, False)
    _, body, _ = await api.call("GET", "/api/connections/active")
    assert len(body["connections"]) == 29 and listing.scans == 2


async def test_a_damaged_connection_tests_as_failed_without_a_stored_connection(
        api: Api, store: ConnectionStore, sim: ExampleSimulator) -> None:
    conn = store.create(name="main", exchange="example", credentials=sim.credentials)
    store.path_of(conn.id).write_text("{ damaged")
    status, body, _ = await api.call("POST", f"{BASE}/{conn.id}/test")
    assert status == 200 and body["status"] == "failed" and body["connection"] is None
    assert "not valid JSON" in body["steps"][0]["detail"] and sim.stats.count() == 0
