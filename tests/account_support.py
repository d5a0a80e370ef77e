"""Helpers of the account tests: the example plugin with capabilities taken away."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from attrs import evolve
from venuekit import Capability, Registry, RetryPolicy, connect
from venuekit.connector import Connector
from venuekit.ratelimit import MemoryLimiter
from venuekit.testing.example import plugin as example_plugin
from venuekit.testing.example.simulator import ExampleSimulator


def variant(*, without: set[Capability], hooks_off: tuple[str, ...] = ()) -> Any:
    """The example plugin with some capabilities (and the hooks behind them) taken away."""
    names = [n for n in dir(example_plugin) if hasattr(getattr(example_plugin, n),
                                                       "venuekit_impl")]
    namespace = {n: getattr(example_plugin, n) for n in names if n not in hooks_off}
    info = example_plugin.exchange_info()

    def exchange_info() -> Any:
        return evolve(info, capabilities=info.capabilities - without)
    exchange_info.venuekit_impl = example_plugin.exchange_info.venuekit_impl  # type: ignore[attr-defined]
    namespace["exchange_info"] = exchange_info
    return SimpleNamespace(**namespace)


def connect_variant(sim: ExampleSimulator, plugin: Any) -> Connector:
    return connect("example", sim.credentials, base_url=sim.base_url,
                   registry=Registry(extra={"example": plugin}, autoload=False),
                   limiter=MemoryLimiter(), order_settle_s=0.2,
                   retry=RetryPolicy(max_tries=3, base_delay_s=0.01, max_delay_s=0.05))
