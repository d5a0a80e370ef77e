"""Each bundled plugin's page (docs/exchanges/, a copy of its README) runs as written.

Here, in the contract session, because every example talks to its own plugin's loopback
simulator and so needs that plugin installed; the core docs test checks the copies match.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from docs_support import FENCE, NOT_RUN, blocks, run_block

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
BLOCKS = blocks(sorted((DOCS / "exchanges").glob("*.md")), DOCS)

pytest_plugins = ["pytester"]


def test_every_exchange_page_has_an_example_that_runs() -> None:
    pages = {where.partition(":")[0] for where, code in BLOCKS if not code.startswith(NOT_RUN)}
    assert pages == {f"exchanges/{p.name}" for p in (DOCS / "exchanges").glob("*.md")}


@pytest.mark.parametrize(("where", "code"), BLOCKS, ids=[where for where, _ in BLOCKS])
def test_exchange_page_example_runs(where: str, code: str,
                                    request: pytest.FixtureRequest) -> None:
    run_block(where, code, request)


async def test_readme_first_order_meets_the_venues_minimum() -> None:
    """The README's first order, as written, passes Binance's checks (the 100 USDT
    minimum notional of BTCUSDT futures, as the simulator mirrors it)."""
    from venuekit import OrderParams, connect
    from venuekit_binance.simulator import BinanceSimulator

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    code = FENCE.search(text)
    assert code is not None
    found = re.search(r'OrderParams\((.*?)\)\)', code[1], re.S)
    assert found is not None
    fields = dict(re.findall(r'(\w+)="([^"]*)"', found[1]))
    async with BinanceSimulator() as sim, connect("binance", sim.credentials,
                                                   base_url=sim.api_url) as conn:
        market = await conn.market(fields["symbol"])
        conn.validate_order(OrderParams(**fields), market)  # type: ignore[arg-type]
        assert market.min_notional is not None and market.min_notional >= 100
