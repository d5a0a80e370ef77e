"""Running the fenced Python blocks of a documentation page, shared by the core docs test
and the contract session's exchange-page test (those pages need every plugin installed).

A block runs in a fresh namespace (a reader can copy any one of them alone). A block whose
first line names a test file (``# tests/test_something.py``) is a pytest module, run by
pytester; every test in it must pass. A block may opt out only with a first line
``# not run: <why>`` naming real credentials or a real venue's network; it must still
compile.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)
NOT_RUN = "# not run:"
ALLOWED_REASONS = ("real", "network", "credentials")
TEST_MODULE = re.compile(r"# tests/(test_\w+)\.py")
PYTEST_INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
filterwarnings = error
"""


def blocks(pages: list[Path], root: Path) -> list[tuple[str, str]]:
    """Every fenced python block of ``pages`` as (``page:line``, code)."""
    found = []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append((f"{page.relative_to(root)}:{line}", match[1]))
    return found


def run_block(where: str, code: str, request: pytest.FixtureRequest) -> None:
    """Run one block as the module docstring says; fails the test on any failure."""
    compiled = compile(code, where, "exec")
    first = code.splitlines()[0]
    if code.startswith(NOT_RUN):
        reason = first.removeprefix(NOT_RUN).strip()
        assert any(word in reason for word in ALLOWED_REASONS), \
            f"{where}: a block may skip running only for real credentials or network"
        return
    module = TEST_MODULE.fullmatch(first)
    if module:
        pytester: pytest.Pytester = request.getfixturevalue("pytester")
        pytester.makeini(PYTEST_INI)
        pytester.makepyfile(**{module[1]: code})
        result = pytester.runpytest("-p", "no:cacheprovider")
        outcomes = result.parseoutcomes()
        assert outcomes.get("passed", 0) >= 1, result.stdout.str()[-3000:]
        assert set(outcomes) == {"passed"}, result.stdout.str()[-3000:]
        return
    exec(compiled, {"__name__": "__docs__"})  # noqa: S102 - our own documentation
