"""The documentation is tested like code.

* Every fenced ``python`` block of ``docs/*.md`` runs, each in a fresh namespace (a reader
  can copy any one of them alone). Most start the example venue's simulator themselves. A
  block whose first line names a test file (``# tests/test_something.py``) is a pytest
  module: it is run by pytest (pytester) and every test in it must pass. A block may opt
  out only with a first line ``# not run: <why>`` naming real credentials or a real venue's
  network; it must still compile.
* The index links every page, and every relative link resolves.
* ``docs/exchanges/`` holds an up-to-date copy of each bundled plugin's README; their
  examples run against each plugin's loopback simulator in the contract session
  (tests/contract/test_exchange_pages.py), where every plugin is installed.
* The CLI page documents every command.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest
from docs_support import NOT_RUN, blocks, run_block
from venuekit.cli import build_cli

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")

pytest_plugins = ["pytester"]


BLOCKS = blocks(PAGES, DOCS)


def test_there_are_examples_to_run() -> None:
    runnable = [code for _, code in BLOCKS if not code.startswith(NOT_RUN)]
    assert len(runnable) >= 20
    assert len(runnable) >= 4 * (len(BLOCKS) - len(runnable))  # opting out is the exception


@pytest.mark.parametrize(("where", "code"), BLOCKS, ids=[where for where, _ in BLOCKS])
def test_python_example_runs(where: str, code: str, request: pytest.FixtureRequest) -> None:
    run_block(where, code, request)


# ---------------------------------------------------------------- links


def links(page: Path) -> list[str]:
    text = page.read_text(encoding="utf-8")
    text = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)  # links in code are not links
    return LINK.findall(text)


def test_index_links_every_page() -> None:
    index = DOCS / "index.md"
    targets = {(DOCS / t.partition("#")[0]).resolve() for t in links(index)
               if not re.match(r"[a-z]+:", t)}
    pages = {p.resolve() for p in [*PAGES, *DOCS.glob("exchanges/*.md")] if p != index}
    missing = sorted(str(p.relative_to(DOCS)) for p in pages - targets)
    assert not missing, f"docs/index.md does not link: {missing}"


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_relative_links_resolve(page: Path) -> None:
    for target in links(page):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        assert resolved.exists(), f"{page.name}: broken link {target}"
        if anchor and resolved.suffix == ".md":
            assert anchor in anchors(resolved), f"{page.name}: no #{anchor} in {path or 'itself'}"


def anchors(page: Path) -> set[str]:
    """GitHub-style heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    found = set()
    for heading in re.findall(r"^#+\s+(.*)$", page.read_text(encoding="utf-8"), re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        found.add(slug)
    return found


# ---------------------------------------------------------------- generated pages


def load_builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_exchange_pages",
                                                  DOCS / "build_exchange_pages.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_exchange_pages_are_up_to_date() -> None:
    builder = load_builder()
    assert builder.venues(ROOT), "no bundled plugin found"
    stale = builder.stale(ROOT)
    assert not stale, f"run `python docs/build_exchange_pages.py`; stale: {stale}"


def test_exchange_pages_rewrite_relative_links(tmp_path: Path) -> None:
    builder = load_builder()
    plugin = tmp_path / "plugins" / "acme"
    plugin.mkdir(parents=True)
    (plugin / "pyproject.toml").write_text("")
    (plugin / "README.md").write_text(
        "See [core](../../README.md), [signing](venuekit_acme/signing.py#L3), "
        "[doubts](#doubts), [docs](https://example.org/x).\n\n[ref]: tests/test_x.py\n")
    page = builder.render("acme", tmp_path)
    assert "[core](../../README.md)" in page
    assert "[signing](../../plugins/acme/venuekit_acme/signing.py#L3)" in page
    assert "[doubts](#doubts)" in page and "(https://example.org/x)" in page
    assert "[ref]: ../../plugins/acme/tests/test_x.py" in page
    assert builder.stale(tmp_path) == ["docs/exchanges/acme.md"]
    builder.build(tmp_path)
    assert builder.stale(tmp_path) == []


# ---------------------------------------------------------------- the CLI page


def test_cli_page_documents_every_command() -> None:
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    commands = sorted(build_cli(extensions=[]).commands)
    assert "new-plugin" in commands
    for command in commands:
        assert f"## `venuekit {command}" in text, f"docs/cli.md has no section on {command}"


# ---------------------------------------------------------------- the README
