"""``venuekit new-plugin``: a complete exchange plugin project that passes its own tests.

The generated project has the shape every bundled plugin has: ``pyproject.toml`` with the
``venuekit.exchanges`` entry point, a README with the checklist that turns the skeleton into
a real venue, ``venuekit_<name>/`` (``plugin.py`` with every hook, ``signing.py``,
``endpoints.py``, ``errors.py``, ``simulator.py``, ``py.typed``) and ``tests/`` (entry point,
signing vectors, parsing, error table, mocked hooks, the simulator through the pytest
plugin, and the conformance suite).
"""

from __future__ import annotations

from .generator import (
    Generated,
    InvalidPluginName,
    PluginNames,
    ScaffoldError,
    TargetExists,
    generate,
    plugin_names,
    render,
)

__all__ = [
    "Generated",
    "InvalidPluginName",
    "PluginNames",
    "ScaffoldError",
    "TargetExists",
    "generate",
    "plugin_names",
    "render",
]
