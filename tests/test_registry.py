"""Discovery without imports, one manager per exchange, clear errors for broken plugins."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from collections.abc import Generator
from importlib.metadata import EntryPoint
from typing import Any

import pytest
import venuekit
from venuekit import ConfigurationError, PluginError, hookimpl
from venuekit.errors import InvalidOrder
from venuekit.models import Market, OrderParams
from venuekit.registry import Registry, available
from venuekit.testing.example import plugin as example_plugin
from venuekit.wire import Call


def fake_entry_points(monkeypatch: pytest.MonkeyPatch, *eps: EntryPoint) -> None:
    def entry_points(*, group: str) -> list[EntryPoint]:
        return [ep for ep in eps if ep.group == group]
    monkeypatch.setattr("venuekit.registry.metadata.entry_points", entry_points)


def ep(name: str, value: str, group: str = "venuekit.exchanges") -> EntryPoint:
    return EntryPoint(name=name, value=value, group=group)


def test_available_imports_no_plugin_and_nothing_heavy() -> None:
    code = ("import sys, venuekit; venuekit.available(); "
            "heavy = [m for m in ('aiohttp', 'pluggy', 'cattrs', 'venuekit.connector') "
            "if m in sys.modules]; print(heavy); sys.exit(1 if heavy else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_available_lists_entry_points_without_importing(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_entry_points(monkeypatch, ep("broken", "does_not_exist.plugin"),
                      ep("example", "venuekit.testing.example.plugin"))
    names = [p.name for p in Registry().available()]
    assert names == ["broken", "example"]
    assert available() == ["broken", "example"]  # venuekit.available(): the names
    assert "does_not_exist" not in sys.modules


def test_unknown_exchange_lists_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_entry_points(monkeypatch, ep("example", "venuekit.testing.example.plugin"))
    with pytest.raises(ConfigurationError, match=r"unknown exchange 'nope'.*installed.*example"):
        venuekit.connect("nope", registry=Registry())


def test_broken_plugin_is_a_plugin_error_and_others_still_load(
        monkeypatch: pytest.MonkeyPatch) -> None:
    fake_entry_points(monkeypatch, ep("broken", "does_not_exist.plugin"),
                      ep("example", "venuekit.testing.example.plugin"))
    registry = Registry()
    with pytest.raises(PluginError, match=r"plugin 'broken'.*does_not_exist"):
        registry.load("broken")
    assert registry.load("example").info.name == "example"
    rows = {row["name"]: row for row in registry.describe()}
    assert rows["broken"]["loaded"] is False and "does_not_exist" in rows["broken"]["error"]
    assert rows["example"]["loaded"] is True and "place_order" in rows["example"]["hooks"]


def test_autoload_switch_and_allow_list(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_entry_points(monkeypatch, ep("example", "venuekit.testing.example.plugin"),
                      ep("other", "venuekit.testing.example.plugin"))
    monkeypatch.setenv("VENUEKIT_PLUGINS", "other")
    assert Registry().names() == ["other"]
    monkeypatch.delenv("VENUEKIT_PLUGINS")
    monkeypatch.setenv("VENUEKIT_DISABLE_PLUGIN_AUTOLOAD", "1")
    assert Registry().names() == []
    assert Registry(extra={"example": example_plugin}).names() == ["example"]


def test_missing_required_hooks_named() -> None:
    partial = types.SimpleNamespace(exchange_info=example_plugin.exchange_info)
    with pytest.raises(PluginError, match="missing required hooks: sign_request"):
        Registry(extra={"example": partial}, autoload=False).load("example")


def test_misspelled_hook_caught_by_check_pending() -> None:
    module = types.ModuleType("typo_plugin")
    for name in dir(example_plugin):
        setattr(module, name, getattr(example_plugin, name))

    @hookimpl
    def fetch_balanse() -> None:  # the typo is the point
        return None

    module.fetch_balanse = fetch_balanse  # type: ignore[attr-defined]
    with pytest.raises(PluginError, match="fetch_balanse"):
        Registry(extra={"example": module}, autoload=False).load("example")


def test_name_must_match_entry_point() -> None:
    with pytest.raises(PluginError, match="registered as 'elsewhere'"):
        Registry(extra={"elsewhere": example_plugin}, autoload=False).load("elsewhere")


def test_each_exchange_gets_its_own_manager() -> None:
    registry = Registry(extra={"example": example_plugin}, autoload=False)
    first, second = registry.load("example"), registry.load("example")
    assert first.manager is not second.manager


class RiskGuard:
    """A cross-cutting extension: refuses orders above a notional, wrapping place_order."""

    @hookimpl(wrapper=True)
    def place_order(self, order: OrderParams, market: Market) -> Generator[None, Any, Call[Any]]:
        if order.quantity is not None and order.price is not None \
                and order.quantity * order.price > 1000:
            raise InvalidOrder("risk guard: notional above 1000")
        result: Call[Any] = yield
        return result


async def test_extension_wraps_hooks(sim: Any) -> None:
    registry = Registry(extra={"example": example_plugin}, autoload=False,
                        extensions=[RiskGuard()])
    async with venuekit.connect("example", sim.credentials, base_url=sim.base_url,
                                registry=registry) as conn:
        with pytest.raises(InvalidOrder, match="risk guard"):
            await conn.place_order(OrderParams(symbol="BTCUSDT", side="buy", type="limit",
                                               quantity="1", price="40000"))
        small = await conn.place_order(OrderParams(symbol="BTCUSDT", side="buy", type="limit",
                                                   quantity="0.02", price="40000"))
        assert small.order_id in sim.state.orders
    assert len(sim.state.orders) == 1


def test_public_api_is_sorted_and_resolves() -> None:
    assert venuekit.__all__ == sorted(venuekit.__all__)
    for name in venuekit.__all__:
        assert getattr(venuekit, name) is not None
    with pytest.raises(AttributeError):
        _ = venuekit.nope  # type: ignore[attr-defined]


def test_available_is_the_list_of_names_and_each_carries_its_metadata(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # DESIGN section 3: venuekit.available() gives the names of the installed plugins
    fake_entry_points(monkeypatch, ep("example", "venuekit.testing.example.plugin"))
    (info,) = Registry().available()
    assert info == "example" and "example" in Registry().available()
    assert isinstance(info, str) and json.dumps([info]) == '["example"]'
    assert (info.name, info.module) == ("example", "venuekit.testing.example.plugin")
    assert type(info.name) is str and "module='venuekit.testing.example.plugin'" in repr(info)
    with pytest.raises(AttributeError, match="read-only"):
        info.version = "9"  # type: ignore[misc]
