"""All exchange plugins installed together: discovery, isolation, and the demo end to end.

Runs in the nox ``contract`` session, where every distribution under plugins/ is installed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import venuekit
from venuekit.demo import find_simulator, run_demo
from venuekit.registry import Registry

ROOT = Path(__file__).resolve().parents[2]
IN_TREE = sorted(p.parent.name for p in ROOT.glob("plugins/*/pyproject.toml")
                 if not p.parent.name.startswith("_"))


def test_every_plugin_in_the_tree_is_installed_and_listed() -> None:
    assert set(IN_TREE) <= set(venuekit.available())  # names, as DESIGN section 3 writes
    listed = {p.name: p for p in Registry().available()}
    for name in IN_TREE:
        assert listed[name].distribution == f"venuekit-{name}"
        assert listed[name].version


@pytest.mark.parametrize("name", IN_TREE)
def test_each_plugin_loads_into_its_own_manager(name: str) -> None:
    registry = Registry()
    loaded = registry.load(name)
    assert loaded.info.name == name
    # the manager holds this plugin (plus extensions) and no other exchange
    plugins = {registry_name for registry_name, _ in loaded.manager.list_name_plugin()}
    assert name in plugins and not (plugins & (set(IN_TREE) - {name}))


@pytest.mark.parametrize("name", IN_TREE)
def test_each_plugin_ships_a_simulator(name: str) -> None:
    info = next(p for p in Registry().available() if p.name == name)
    assert find_simulator(info) is not None


async def test_demo_passes_for_every_plugin() -> None:
    rows = await run_demo()
    assert sorted(r.exchange for r in rows) == IN_TREE
    failed = [(r.exchange, r.error) for r in rows if not r.ok]
    assert not failed


def test_venuekit_plugins_command_lists_all() -> None:
    code = "import sys; from venuekit.cli import main; sys.exit(main(['--json', 'plugins']))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False, timeout=120)
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    for name in IN_TREE:
        assert rows[name]["loaded"] is True, rows[name]["error"]
        assert "sign_request" in rows[name]["hooks"]
