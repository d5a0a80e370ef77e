"""The installed distribution exposes exactly this plugin under the name "okx"."""

from __future__ import annotations

from importlib import metadata

import venuekit
from venuekit.registry import EXCHANGE_GROUP


def test_entry_point_names_the_plugin_module() -> None:
    found = [ep for ep in metadata.entry_points(group=EXCHANGE_GROUP) if ep.name == "okx"]
    assert len(found) == 1
    assert found[0].value == "venuekit_okx.plugin"
    assert found[0].dist is not None
    assert found[0].dist.name == "venuekit-okx"


def test_registry_loads_exactly_this_plugin() -> None:
    import venuekit_okx.plugin

    registry = venuekit.Registry(allow=["okx"])
    assert registry.names() == ["okx"]
    loaded = registry.load("okx")
    assert loaded.name == "okx"
    assert loaded.distribution == "venuekit-okx"
    assert loaded.info.name == "okx"
    assert loaded.manager.get_plugin("okx") is venuekit_okx.plugin
    assert {"exchange_info", "sign_request", "fetch_markets", "fetch_balance", "place_order",
            "cancel_order", "fetch_order", "check_connection", "server_time", "parse_error",
            "rate_limit_feedback"} <= set(loaded.hooks)
    assert "login" not in loaded.hooks  # OKX signs every request; no token


def test_available_lists_it_without_importing_problems() -> None:
    infos = {info.name: info for info in venuekit.Registry(allow=["okx"]).available()}
    assert infos["okx"].distribution == "venuekit-okx"
    assert infos["okx"].version == "0.1.0"
