"""The plugin-author kit: simulator framework, conformance suite, pytest fixtures.

Stable public API for exchange plugin authors; see docs/testing-a-plugin.md.

* :class:`Simulator` and its parts (:class:`SimState`, :class:`SimMarket`,
  :class:`SimOrder`, :class:`SimReject`, :class:`ErrorKind`, :class:`Faults`,
  :class:`Stats`, :class:`UsageWindow`, :func:`json_response`, :func:`sim_market`): a
  venue on loopback.
* :class:`ExchangeConformance` and :class:`SignatureVector`: the suite every plugin runs
  by subclassing (imported on first use: it needs pytest, which the runtime does not).
* ``venuekit.testing.pytest_plugin``: opt-in fixtures (``pytest_plugins = [...]``);
  :class:`ConnectFactory` is the type of its ``venuekit_connect`` fixture.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Protocol

from .inprocess import Canned, InProcessSender, UnmatchedRequest
from .simulator import (
    ErrorKind,
    Faults,
    SimMarket,
    SimOrder,
    SimReject,
    SimState,
    Simulator,
    Stats,
    UsageWindow,
    json_response,
    sim_market,
)

if TYPE_CHECKING:
    from ..connector import Connector
    from ..models import Credentials
    from .conformance import ExchangeConformance as ExchangeConformance
    from .conformance import SignatureVector as SignatureVector

__all__ = [
    "Canned",
    "ConnectFactory",
    "ErrorKind",
    "ExchangeConformance",
    "Faults",
    "InProcessSender",
    "SignatureVector",
    "SimMarket",
    "SimOrder",
    "SimReject",
    "SimState",
    "Simulator",
    "Stats",
    "UnmatchedRequest",
    "UsageWindow",
    "json_response",
    "sim_market",
]

_LAZY = {"ExchangeConformance": "conformance", "SignatureVector": "conformance"}


class ConnectFactory(Protocol):
    """The ``venuekit_connect`` fixture: a connector to the running simulator.

    ``credentials`` default to the simulator's own; ``options`` override any argument of
    :func:`venuekit.connect` (``retry``, ``limiter``, ``timeout_s``, ...).
    """

    def __call__(self, credentials: Credentials | None = None, /,
                 **options: Any) -> Connector: ...


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'venuekit.testing' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
