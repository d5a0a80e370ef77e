"""A trading host for the crash test: places orders through a journaled connector.

Run as ``python journal_host.py BASE_URL JOURNAL TOTAL``. It places market orders, a few at
a time, until the journal holds TOTAL orders; the test kills it at random moments and
starts it again. Its first order runs ``recover()`` (a journaled connector always does).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from venuekit import OrderParams, Registry, RetryPolicy, VenueError, connect
from venuekit.journal import OrderJournal, account_id
from venuekit.ratelimit import MemoryLimiter
from venuekit.testing.example import plugin
from venuekit.testing.example.simulator import ExampleSimulator

#: the simulator's receive window in the test (ms) and the core's margin on it
WINDOW_MS = 400
MARGIN_S = 0.1
TIMEOUT_S = 0.1
BATCH = 20


async def main(base_url: str, journal_path: Path, total: int) -> None:
    credentials = ExampleSimulator().credentials
    journal = OrderJournal.open(journal_path)
    account = account_id("example", credentials.api_key, testnet=False)
    async with connect("example", credentials, base_url=base_url, journal=journal_path,
                       registry=Registry(extra={"example": plugin}, autoload=False),
                       limiter=MemoryLimiter(), timeout_s=TIMEOUT_S,
                       rate_limits={"orders": None},  # 50 per 10 s would make it slow
                       order_settle_s=WINDOW_MS / 1000 + MARGIN_S,
                       retry=RetryPolicy(max_tries=3, base_delay_s=0.01,
                                         max_delay_s=0.05)) as conn:
        while (done := len(journal.entries(account))) < total:
            batch = [OrderParams(symbol="BTC/USDT:USDT", side="buy", type="market",
                                 quantity="0.001") for _ in range(min(BATCH, total - done))]
            outcomes = await asyncio.gather(*(conn.place_order(p) for p in batch),
                                            return_exceptions=True)
            for outcome in outcomes:
                if isinstance(outcome, BaseException) and not isinstance(outcome, VenueError):
                    raise outcome


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])))
