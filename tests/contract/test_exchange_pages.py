"""Each bundled plugin's page (docs/exchanges/, a copy of its README) runs as written.

Here, in the contract session, because every example talks to its own plugin's loopback
simulator and so needs that plugin installed; the core docs test checks the copies match.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from docs_support import NOT_RUN, blocks, run_block

DOCS = Path(__file__).resolve().parents[2] / "docs"
BLOCKS = blocks(sorted((DOCS / "exchanges").glob("*.md")), DOCS)

pytest_plugins = ["pytester"]


def test_every_exchange_page_has_an_example_that_runs() -> None:
    pages = {where.partition(":")[0] for where, code in BLOCKS if not code.startswith(NOT_RUN)}
    assert pages == {f"exchanges/{p.name}" for p in (DOCS / "exchanges").glob("*.md")}


@pytest.mark.parametrize(("where", "code"), BLOCKS, ids=[where for where, _ in BLOCKS])
def test_exchange_page_example_runs(where: str, code: str,
                                    request: pytest.FixtureRequest) -> None:
    run_block(where, code, request)
