"""Batches go through the order journal too: every order written before the batch leaves,
its outcome after, and a lost batch answer resolved by look-up without a duplicate."""

from __future__ import annotations

from pathlib import Path

from venuekit import OrderParams, OrderResult, Registry
from venuekit.connector import connect
from venuekit.journal import OrderJournal
from venuekit.ratelimit import MemoryLimiter
from venuekit.testing.example.simulator import ExampleSimulator

SYMBOL = "BTC/USDT:USDT"


def orders(count: int) -> list[OrderParams]:
    return [OrderParams(symbol=SYMBOL, side="buy", type="limit", quantity="0.01",
                        price=str(40000 + i)) for i in range(count)]


async def test_a_journaled_batch_records_every_order(registry: Registry, tmp_path: Path,
                                                     sim: ExampleSimulator) -> None:
    path = tmp_path / "orders.jsonl"
    async with connect("example", sim.credentials, base_url=sim.base_url, registry=registry,
                       limiter=MemoryLimiter(), journal=path) as conn:
        placed = await conn.place_orders(orders(4))  # two chunks of the venue's 3
    assert all(isinstance(item, OrderResult) for item in placed)
    entries = OrderJournal.open(path).entries()
    assert sorted(e.client_order_id for e in entries) == sorted(
        item.client_order_id for item in placed if isinstance(item, OrderResult))
    assert all(e.outcome is not None for e in entries)


async def test_a_lost_batch_answer_is_resolved_once_and_journaled(
        registry: Registry, tmp_path: Path, sim: ExampleSimulator) -> None:
    path = tmp_path / "orders.jsonl"
    sim.faults.drop_after_accept(path="/v1/batchOrders")
    async with connect("example", sim.credentials, base_url=sim.base_url, registry=registry,
                       limiter=MemoryLimiter(), journal=path, order_settle_s=0.2) as conn:
        placed = await conn.place_orders(orders(3))
        assert await conn.recover() == []  # nothing left open
    assert all(isinstance(item, OrderResult) for item in placed)
    assert len(sim.state.orders) == 3  # each found by look-up, none sent twice
    assert all(e.outcome is not None for e in OrderJournal.open(path).entries())
