"""A host killed at random moments never duplicates an order nor loses track of one.

The host (``journal_host.py``) runs in its own process and places 200 orders through a
journaled connector against the example venue's simulator, served on loopback by this
process. The venue executes some orders late (the client has given up on them), refuses
some as stale, and answers the rest at once. The host is SIGKILLed at random moments and
restarted; its first order after each restart runs ``recover()``. At the end every
journal entry is resolved, no client id is at the venue twice, and the venue holds no
order the journal does not know.
"""

from __future__ import annotations

import asyncio
import random
import signal
import sys
from collections import Counter
from pathlib import Path

from venuekit import OrderNeverPlaced, OrderResult, Registry, RetryPolicy, connect
from venuekit.journal import OrderJournal, account_id
from venuekit.ratelimit import MemoryLimiter
from venuekit.testing.example.simulator import ExampleSimulator

HOST = Path(__file__).with_name("journal_host.py")
ORDERS = 200
KILLS = 6
WINDOW_MS = 400
#: on time, executed late but inside the window, and too late (refused as stale)
DELAYS_S = (0.0, 0.0, 0.25, 0.5)
HOST_DEADLINE_S = 60.0


async def run_host(sim: ExampleSimulator, journal: Path, kill_after_s: float | None,
                   log: Path) -> int | None:
    """Run the host once; kill it after ``kill_after_s``. Returns its exit code."""
    with log.open("ab") as err:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(HOST), sim.base_url, str(journal), str(ORDERS),
            stdout=asyncio.subprocess.DEVNULL, stderr=err)
        try:
            return await asyncio.wait_for(proc.wait(), kill_after_s or HOST_DEADLINE_S)
        except TimeoutError:
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
            return None


async def test_a_host_killed_mid_order_never_duplicates_or_loses_one(
        registry: Registry, tmp_path: Path) -> None:
    rng = random.Random(12)
    journal_path = tmp_path / "orders.jsonl"
    log = tmp_path / "host.log"
    async with ExampleSimulator() as sim:
        sim.receive_window_ms = WINDOW_MS
        for _ in range(2 * ORDERS):
            sim.faults.execute_late(delay_s=rng.choice(DELAYS_S), path="/v1/order")
        kills = 0
        while True:
            kill_after = rng.uniform(0.7, 1.8) if kills < KILLS else None
            code = await run_host(sim, journal_path, kill_after, log)
            if code is None:
                kills += 1
                continue
            assert code == 0, log.read_text()[-3000:]
            break
        await asyncio.sleep(WINDOW_MS / 1000 + 0.3)  # every window closed
        await sim.settle()
        async with connect("example", sim.credentials, base_url=sim.base_url,
                           registry=registry, limiter=MemoryLimiter(), journal=journal_path,
                           order_settle_s=WINDOW_MS / 1000 + 0.1,
                           retry=RetryPolicy(max_tries=3, base_delay_s=0.01,
                                             max_delay_s=0.05)) as conn:
            final = await conn.recover()
    journal = OrderJournal.open(journal_path)
    account = account_id("example", sim.credentials.api_key, testnet=False)
    entries = {e.client_order_id: e for e in journal.entries(account)}
    at_venue = Counter(o.client_order_id for o in sim.state.orders.values())

    assert kills == KILLS
    assert len(entries) == ORDERS
    assert all(isinstance(item, OrderResult | OrderNeverPlaced) for item in final), final
    assert journal.unresolved(account) == []
    assert [cid for cid, n in at_venue.items() if n > 1] == []  # no duplicate
    assert set(at_venue) <= set(entries)  # no order the journal does not know
    for cid, entry in entries.items():  # and the journal tells the truth about each
        assert (entry.outcome == "placed") == (cid in at_venue), (cid, entry.outcome)
    never = sum(1 for e in entries.values() if e.outcome != "placed")
    assert 0 < never < ORDERS  # some orders never took effect (stale, or killed before)
