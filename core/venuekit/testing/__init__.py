"""The plugin-author kit: simulator framework, conformance suite, pytest fixtures.

Stable public API for exchange plugin authors; see docs/testing-a-plugin.md.
"""

from __future__ import annotations

from .simulator import ErrorKind, Faults, SimMarket, SimOrder, SimReject, SimState, Simulator

__all__ = ["ErrorKind", "Faults", "SimMarket", "SimOrder", "SimReject", "SimState", "Simulator"]
