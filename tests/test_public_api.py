"""``venuekit/__init__.py``: one table of public names, and type checkers see the same names.

The table (``_EXPORTS``) builds ``__all__`` and the lazy ``__getattr__`` at run time; the
imports under ``TYPE_CHECKING`` are what mypy and editors read. Nothing makes the two agree
but this test, so it parses the module's source and compares them name by name.
(``tests/test_registry.py`` checks that ``import venuekit; venuekit.available()`` still
imports neither aiohttp nor pluggy.)
"""

from __future__ import annotations

import ast
import importlib
from collections import Counter
from pathlib import Path

import pytest
import venuekit

SOURCE = Path(venuekit.__file__).read_text(encoding="utf-8")
TREE = ast.parse(SOURCE)


def exports_table() -> dict[str, tuple[str, ...]]:
    """``_EXPORTS`` as written in the source (a literal, so no import is needed)."""
    for node in TREE.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) \
                and node.target.id == "_EXPORTS" and node.value is not None:
            table: dict[str, tuple[str, ...]] = ast.literal_eval(node.value)
            return table
    raise AssertionError("no _EXPORTS table in venuekit/__init__.py")


def type_checking_imports() -> list[ast.ImportFrom]:
    for node in TREE.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) \
                and node.test.id == "TYPE_CHECKING":
            return [n for n in node.body if isinstance(n, ast.ImportFrom)]
    raise AssertionError("no `if TYPE_CHECKING:` block in venuekit/__init__.py")


def test_table_lists_each_name_once() -> None:
    counts = Counter(name for names in exports_table().values() for name in names)
    assert [name for name, n in counts.items() if n > 1] == []


def test_type_checking_imports_match_the_table() -> None:
    imported: dict[str, set[str]] = {}
    for node in type_checking_imports():
        assert node.level == 1 and node.module is not None, ast.unparse(node)
        assert node.module not in imported, f"more than one import from .{node.module}"
        names = set()
        for alias in node.names:
            # `X as X`: an explicit re-export, which mypy --strict requires
            assert alias.asname == alias.name, f"{alias.name} as {alias.asname}"
            names.add(alias.name)
        imported[node.module] = names
    assert imported == {module: set(names) for module, names in exports_table().items()}


def test_all_is_the_table_sorted_plus_version() -> None:
    expected = [*(n for names in exports_table().values() for n in names), "__version__"]
    assert venuekit.__all__ == sorted(expected)
    assert len(venuekit.__all__) == len(set(venuekit.__all__))
    assert dir(venuekit) == venuekit.__all__


@pytest.mark.parametrize(("module", "name"), [
    (module, name) for module, names in exports_table().items() for name in names])
def test_every_name_resolves_to_its_module_s_object(module: str, name: str) -> None:
    defined = getattr(importlib.import_module(f"venuekit.{module}"), name)
    assert getattr(venuekit, name) is defined


def test_unknown_names_are_attribute_errors() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        venuekit.Nope  # noqa: B018
    assert isinstance(venuekit.__version__, str) and venuekit.__version__
