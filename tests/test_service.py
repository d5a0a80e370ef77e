"""The connection test service stores every outcome, never a secret, and respects a bound."""

from __future__ import annotations

import asyncio

import pytest
from venuekit.models import Credentials
from venuekit.registry import Registry
from venuekit.service import ConnectionTester, is_default_host
from venuekit.store import ConnectionStatus, ConnectionStore
from venuekit.testing.example.simulator import ExampleSimulator


def make_tester(store: ConnectionStore, registry: Registry, sim: ExampleSimulator,
           **options: object) -> ConnectionTester:
    return ConnectionTester(store, registry=registry, base_url_for=lambda c: sim.base_url,
                            **options)  # type: ignore[arg-type]


async def test_a_passing_test_is_recorded(store: ConnectionStore, registry: Registry,
                                          sim: ExampleSimulator) -> None:
    conn = store.create(name="main", exchange="example", credentials=sim.credentials)
    outcome = await make_tester(store, registry, sim).test(conn.id)
    assert outcome.ok
    saved = store.get(conn.id)
    assert saved.last_test_status is ConnectionStatus.OK
    assert saved.last_test_balance is not None and saved.last_test_balance["USDT"] > 0
    assert saved.last_test_at is not None
    assert {"trade", "fetch_order_by_client_id"} <= set(saved.api_capabilities)
    assert any(line.startswith("ok   balance") for line in saved.last_test_log)
    logs = store.read_logs(conn.id)
    assert len(logs) == 1 and logs[0]["ok"] is True


async def test_a_refused_key_is_recorded_as_failed(store: ConnectionStore, registry: Registry,
                                                   sim: ExampleSimulator) -> None:
    wrong = Credentials(api_key=sim.credentials.api_key, api_secret="not-the-secret-at-all")
    conn = store.create(name="bad", exchange="example", credentials=wrong)
    outcome = await make_tester(store, registry, sim).test(conn.id)
    assert not outcome.ok
    saved = store.get(conn.id)
    assert saved.last_test_status is ConnectionStatus.FAILED
    assert any("InvalidSignature" in line for line in saved.last_test_log)
    text = "\n".join(saved.last_test_log) + str(store.read_logs(conn.id))
    assert "not-the-secret-at-all" not in text


async def test_an_unknown_exchange_is_a_stored_failure(store: ConnectionStore,
                                                       registry: Registry,
                                                       sim: ExampleSimulator) -> None:
    conn = store.create(name="x", exchange="nowhere", credentials=sim.credentials)
    outcome = await make_tester(store, registry, sim).test(conn.id)
    assert not outcome.ok and outcome.report.steps[0].name == "connect"
    assert "unknown exchange 'nowhere'" in outcome.report.steps[0].detail
    assert store.get(conn.id).last_test_status is ConnectionStatus.FAILED


async def test_many_runs_concurrently_within_the_bound(store: ConnectionStore,
                                                       registry: Registry,
                                                       sim: ExampleSimulator) -> None:
    ids = [store.create(name=f"c{i}", exchange="example", credentials=sim.credentials).id
           for i in range(6)]
    sim.faults.latency_s = 0.1
    seen: list[int] = []
    started = asyncio.get_running_loop().time()
    outcomes = await make_tester(store, registry, sim, concurrency=3).test_many(
        ids, progress=lambda done, total, outcome: seen.append(done))
    elapsed = asyncio.get_running_loop().time() - started
    assert [o.connection_id for o in outcomes] == ids and all(o.ok for o in outcomes)
    assert seen == [1, 2, 3, 4, 5, 6]
    # each test makes 3 requests of 0.1 s; 6 tests 3 at a time take two rounds, not six
    assert 0.55 < elapsed < 1.6


async def test_an_unreadable_file_does_not_stop_the_others(
        store: ConnectionStore, registry: Registry, sim: ExampleSimulator) -> None:
    good = store.create(name="good", exchange="example", credentials=sim.credentials)
    bad = store.create(name="bad", exchange="example", credentials=sim.credentials)
    store.path_of(bad.id).write_bytes(b"{not json")
    outcomes = await make_tester(store, registry, sim).test_many([bad.id, good.id])
    assert [o.ok for o in outcomes] == [False, True]
    assert outcomes[0].connection is None and "load connection" in outcomes[0].report.steps[0].name
    assert store.path_of(bad.id).read_bytes() == b"{not json"


def test_concurrency_must_be_positive(store: ConnectionStore) -> None:
    with pytest.raises(ValueError):
        ConnectionTester(store, concurrency=0)


async def test_a_stored_base_url_is_used_and_the_host_is_recorded(
        store: ConnectionStore, registry: Registry, sim: ExampleSimulator) -> None:
    conn = store.create(name="sim", exchange="example", credentials=sim.credentials,
                        base_url=sim.base_url)
    outcome = await ConnectionTester(store, registry=registry).test(conn.id)
    assert outcome.ok, outcome.report.steps
    assert (outcome.base_url, outcome.custom_host) == (sim.base_url, True)
    saved = store.get(conn.id)
    assert saved.last_test_base_url == sim.base_url and saved.last_test_custom_host
    assert store.read_logs(conn.id)[0]["base_url"] == sim.base_url


def test_the_venues_own_host_is_not_a_custom_one(registry: Registry) -> None:
    info = registry.load("example").info
    assert is_default_host(info, False, info.hosts.live + "/")
    assert not is_default_host(info, False, "http://127.0.0.1:1")
