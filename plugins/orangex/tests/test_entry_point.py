"""The installed distribution declares exactly one exchange, and it loads on its own."""

from __future__ import annotations

import re
from importlib.metadata import entry_points

import pytest
from venuekit.errors import InvalidOrder
from venuekit.models import Capability, KeyType, LimitScope
from venuekit.registry import EXCHANGE_GROUP, Registry


def test_entry_point_names_the_plugin_module() -> None:
    found = [ep for ep in entry_points(group=EXCHANGE_GROUP) if ep.name == "orangex"]
    assert len(found) == 1
    assert found[0].value == "venuekit_orangex.plugin"
    assert found[0].dist is not None and found[0].dist.name == "venuekit-orangex"


def test_listed_without_importing() -> None:
    [info] = Registry(allow=["orangex"]).available()
    assert (info.name, info.distribution, info.version, info.module) == (
        "orangex", "venuekit-orangex", "0.1.0", "venuekit_orangex.plugin")


def test_registry_loads_exactly_this_plugin() -> None:
    import venuekit_orangex.plugin as module

    loaded = Registry(allow=["orangex"], extensions=[]).load("orangex")
    assert loaded.name == "orangex"
    assert loaded.distribution == "venuekit-orangex"
    assert loaded.manager.get_plugin("orangex") is module
    assert loaded.manager.get_plugins() == {module}
    assert {"login", "server_time", "sign_request", "check_connection",
            "rate_limit_feedback"} <= set(loaded.hooks)


def test_exchange_info_describes_the_venue() -> None:
    info = Registry(allow=["orangex"], extensions=[]).load("orangex").info
    assert info.name == "orangex" and info.display_name == "OrangeX"
    assert info.hosts.live == "https://api.orangex.com/api/v1"
    assert info.hosts.testnet is None
    assert dict(info.hosts.others)["websocket"] == "wss://api.orangex.com/ws/api/v1"
    assert info.credential_fields == ("api_key", "api_secret")
    assert info.key_types == frozenset({KeyType.HMAC})
    [rule] = info.rate_limits
    assert (rule.name, rule.limit, rule.period_s, rule.scope) == (
        "requests", 10, 1.0, LimitScope.IP)
    assert not info.has(Capability.FETCH_ORDER_BY_CLIENT_ID)
    assert not info.has(Capability.TESTNET)
    assert not info.has(Capability.MARKET_BUY_BY_QUOTE)
    assert info.has(Capability.REDUCE_ONLY)
    assert 60 <= info.min_token_lifetime_s < 43199


@pytest.mark.parametrize("cid", ["a", "vk.Order:1/x_y-z", "A" * 36])
def test_client_order_id_rule_accepts_the_documented_charset(cid: str) -> None:
    rule = Registry(allow=["orangex"], extensions=[]).load("orangex").info.client_order_id
    rule.check(cid)
    assert re.fullmatch(r"^[\.A-Z\:/a-z0-9_-]{1,36}$", cid)


@pytest.mark.parametrize("cid", ["A" * 37, "has space", "semi;colon", "ünï"])
def test_client_order_id_rule_refuses_the_rest(cid: str) -> None:
    rule = Registry(allow=["orangex"], extensions=[]).load("orangex").info.client_order_id
    with pytest.raises(InvalidOrder):
        rule.check(cid)
