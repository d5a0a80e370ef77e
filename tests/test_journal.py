"""The order journal: written before an order leaves, resolved by look-up after a crash."""

from __future__ import annotations

import errno
import json
import os
import stat
import time
from pathlib import Path
from typing import Any

import pytest
from venuekit import Registry, RetryPolicy
from venuekit.connector import Connector, connect
from venuekit.errors import (
    ConfigurationError,
    InsufficientFunds,
    OrderNeverPlaced,
    OrderStatusUnknown,
    StoreError,
)
from venuekit.journal import OrderJournal, account_id
from venuekit.models import OrderParams, OrderResult
from venuekit.ratelimit import MemoryLimiter
from venuekit.testing.example.simulator import ExampleSimulator

SETTLE_S = 0.3


def order(**changes: Any) -> OrderParams:
    fields: dict[str, Any] = {"symbol": "BTC/USDT:USDT", "side": "buy", "type": "limit",
                              "quantity": "0.01", "price": "40000"}
    fields.update(changes)
    return OrderParams(**fields)


def journaled(sim: ExampleSimulator, registry: Registry, path: Path, **options: Any) -> Connector:
    settings: dict[str, Any] = {"base_url": sim.base_url, "registry": registry,
                                "limiter": MemoryLimiter(), "order_settle_s": SETTLE_S,
                                "retry": RetryPolicy(max_tries=3, base_delay_s=0.01,
                                                     max_delay_s=0.05), "journal": path}
    settings.update(options)
    return connect("example", sim.credentials, **settings)


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def account(sim: ExampleSimulator) -> str:
    return account_id("example", sim.credentials.api_key, testnet=False)


class WatchingSimulator(ExampleSimulator):
    """Notes what the journal held at the moment each order arrived."""

    journal_path: Path
    seen: list[list[dict[str, Any]]]

    async def place(self, request: Any) -> Any:
        self.seen.append(records(self.journal_path))
        return await super().place(request)


async def test_an_order_is_journaled_before_it_is_sent_then_its_outcome(
        registry: Registry, tmp_path: Path) -> None:
    path = tmp_path / "orders.jsonl"
    sim = WatchingSimulator()
    sim.journal_path, sim.seen = path, []
    async with sim, journaled(sim, registry, path) as conn:
        placed = await conn.place_order(order(client_order_id="j-1"))
    seen_at_send = sim.seen
    assert [r["type"] for r in seen_at_send[0]] == ["send"]
    assert seen_at_send[0][0]["cid"] == "j-1"
    assert [(r["type"], r["cid"]) for r in records(path)] == [("send", "j-1"), ("placed", "j-1")]
    assert records(path)[1]["order_id"] == placed.order_id
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    for secret in (sim.credentials.api_key, sim.credentials.api_secret):
        assert secret not in text


async def test_recover_resolves_by_lookup_and_never_sends(
        sim: ExampleSimulator, registry: Registry, tmp_path: Path) -> None:
    path = tmp_path / "orders.jsonl"
    journal = OrderJournal.open(path)
    now_ms = int(time.time() * 1000)
    old_ms = now_ms - 60_000
    sim.state.place(symbol="BTCUSDT", side="buy", type="limit", quantity=order().quantity,
                    price=order().price, client_order_id="there")
    for cid, signed in (("there", old_ms), ("gone", old_ms), ("maybe", now_ms + 5_000)):
        journal.sent(account(sim), order(client_order_id=cid), "BTC/USDT:USDT", signed, 1.0)
    async with journaled(sim, registry, path) as conn:
        items = await conn.recover()
        again = await conn.recover()
    assert isinstance(items[0], OrderResult) and items[0].client_order_id == "there"
    assert isinstance(items[1], OrderNeverPlaced) and items[1].client_order_id == "gone"
    assert isinstance(items[2], OrderStatusUnknown) and items[2].client_order_id == "maybe"
    assert [type(i) for i in again] == [OrderStatusUnknown]  # only the open one is left
    assert sim.stats.count("/v1/order", "POST") == 0
    assert len(sim.state.orders) == 1


async def test_the_first_order_of_a_journaled_connector_recovers_first(
        sim: ExampleSimulator, registry: Registry, tmp_path: Path) -> None:
    path = tmp_path / "orders.jsonl"
    OrderJournal.open(path).sent(account(sim), order(client_order_id="left-over"),
                                 "BTC/USDT:USDT", int(time.time() * 1000) - 60_000, 1.0)
    async with journaled(sim, registry, path) as conn:
        await conn.place_order(order(client_order_id="next"))
        assert await conn.recover() == []
    kinds = [(r["type"], r["cid"]) for r in records(path)]
    assert kinds.index(("absent", "left-over")) < kinds.index(("send", "next"))


async def test_a_refused_order_is_resolved_and_not_recovered(
        sim: ExampleSimulator, registry: Registry, tmp_path: Path) -> None:
    path = tmp_path / "orders.jsonl"
    async with journaled(sim, registry, path) as conn:
        with pytest.raises(InsufficientFunds):
            await conn.place_order(order(quantity="100", client_order_id="too-big"))
        assert await conn.recover() == []
    assert records(path)[-1]["type"] == "rejected"
    assert records(path)[-1]["error"] == "InsufficientFunds"


async def test_an_unanswered_order_stays_open_until_recovered(
        sim: ExampleSimulator, registry: Registry, tmp_path: Path) -> None:
    path = tmp_path / "orders.jsonl"
    sim.receive_window_ms = 1000
    async with journaled(sim, registry, path, timeout_s=0.2, order_settle_s=1.2,
                         retry=RetryPolicy.none()) as conn:
        await conn.fetch_markets()
        sim.faults.fail_next(count=3, path="/v1/order")  # the order and its look-ups fail
        with pytest.raises(OrderStatusUnknown):
            await conn.place_order(order(client_order_id="unsure"))
        await sim.settle()
        assert [r["type"] for r in records(path)] == ["send"]
        items = await conn.recover()
    assert isinstance(items[0], OrderStatusUnknown | OrderNeverPlaced)


async def test_a_torn_last_line_is_skipped_and_ended(
        sim: ExampleSimulator, registry: Registry, tmp_path: Path) -> None:
    path = tmp_path / "orders.jsonl"
    OrderJournal.open(path).sent(account(sim), order(client_order_id="whole"),
                                 "BTC/USDT:USDT", int(time.time() * 1000) - 60_000, 1.0)
    with path.open("ab") as fh:
        fh.write(b'{"v":1,"type":"send","cid":"tor')  # a crash in the middle of a write
    async with journaled(sim, registry, path) as conn:
        items = await conn.recover()
        await conn.place_order(order(client_order_id="after"))
    assert [type(i) for i in items] == [OrderNeverPlaced]
    lines = path.read_text().splitlines()
    assert lines[1] == '{"v":1,"type":"send","cid":"tor'  # left as it was, on its own line
    assert json.loads(lines[-2])["cid"] == "after"


def test_a_journal_needs_an_existing_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        OrderJournal.open(tmp_path / "missing" / "orders.jsonl")


async def test_connectors_of_one_account_share_one_journal(
        sim: ExampleSimulator, registry: Registry, tmp_path: Path) -> None:
    path = tmp_path / "orders.jsonl"
    async with journaled(sim, registry, path) as one, journaled(sim, registry, path) as two:
        assert one.journal is two.journal
        await one.place_order(order(client_order_id="from-one"))
        await two.place_order(order(client_order_id="from-two"))
    sent = [r["cid"] for r in records(path) if r["type"] == "send"]
    assert sent == ["from-one", "from-two"]


def test_new_client_order_id_follows_the_venue_rules(registry: Registry) -> None:
    conn = connect("example", registry=registry)
    first, second = conn.new_client_order_id(), conn.new_client_order_id()
    assert first != second
    conn.info.client_order_id.check(first)


async def test_an_order_whose_journal_write_fails_is_not_sent(
        sim: ExampleSimulator, registry: Registry, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "orders.jsonl"
    async with journaled(sim, registry, path) as conn:
        await conn.fetch_markets()
        await conn.recover()

        def disk_full(fd: int) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(os, "fdatasync", disk_full)
        with pytest.raises(StoreError, match="No space left"):
            await conn.place_order(order(client_order_id="no-room"))
    assert sim.stats.count("/v1/order", "POST") == 0
    assert sim.state.orders == {}
