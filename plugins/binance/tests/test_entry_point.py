"""The installed entry point resolves to this plugin and loads it alone."""

from __future__ import annotations

from importlib.metadata import entry_points

import pytest
import venuekit
import venuekit_binance.plugin as binance_plugin
from venuekit.errors import InvalidOrder
from venuekit.models import Capability, KeyType, LimitScope
from venuekit.retry import generate_client_order_id


def test_entry_point_names_this_module() -> None:
    found = [ep for ep in entry_points(group="venuekit.exchanges") if ep.name == "binance"]
    assert len(found) == 1
    assert found[0].value == "venuekit_binance.plugin"
    assert found[0].dist is not None and found[0].dist.name == "venuekit-binance"


def test_registry_loads_exactly_this_plugin() -> None:
    registry = venuekit.Registry(allow=["binance"])
    assert registry.names() == ["binance"]
    loaded = registry.load("binance")
    assert loaded.name == "binance"
    assert loaded.distribution == "venuekit-binance"
    assert loaded.manager.get_plugin("binance") is binance_plugin
    assert {"exchange_info", "sign_request", "server_time", "fetch_markets", "fetch_balance",
            "place_order", "cancel_order", "fetch_order", "check_connection", "parse_error",
            "rate_limit_feedback"} <= set(loaded.hooks)
    assert "login" not in loaded.hooks  # Binance signs every request; no tokens


def test_exchange_info_describes_binance_usdm() -> None:
    info = venuekit.Registry(allow=["binance"]).load("binance").info
    assert info.name == "binance"
    assert info.hosts.live == "https://fapi.binance.com"
    assert info.hosts.testnet == "https://demo-fapi.binance.com"
    assert info.hosts.testnet_headers == ()
    assert info.key_types == frozenset({KeyType.HMAC, KeyType.ED25519})
    assert info.credential_fields == ("api_key", "api_secret")
    rules = {rule.name: rule for rule in info.rate_limits}
    assert (rules["ip"].limit, rules["ip"].period_s, rules["ip"].scope) == \
        (2400, 60.0, LimitScope.IP)
    assert (rules["orders_1m"].limit, rules["orders_1m"].period_s, rules["orders_1m"].scope) == \
        (1200, 60.0, LimitScope.ACCOUNT)
    assert (rules["orders_10s"].limit, rules["orders_10s"].period_s) == (300, 10.0)
    assert info.capabilities == frozenset({
        Capability.FETCH_ORDER_BY_CLIENT_ID, Capability.REDUCE_ONLY, Capability.TESTNET,
        Capability.KEY_PERMISSIONS, Capability.FETCH_OPEN_ORDERS,
        Capability.FETCH_OPEN_ORDERS_ALL_SYMBOLS, Capability.FETCH_MY_TRADES,
        Capability.FETCH_POSITIONS, Capability.CANCEL_ALL_ORDERS, Capability.CANCEL_ORDERS,
        Capability.AMEND_ORDER_PRICE, Capability.AMEND_ORDER_QUANTITY,
        Capability.SET_LEVERAGE, Capability.PLACE_ORDERS, Capability.FETCH_TICKER,
        Capability.FETCH_ORDER_BOOK})
    assert (info.max_batch_orders, info.max_batch_cancels) == (5, 10)
    assert not info.has(Capability.MARKET_BUY_BY_QUOTE)
    assert info.request_window_s == 5.0


def test_client_order_id_rule_is_binances_regex() -> None:

    rule = venuekit.Registry(allow=["binance"]).load("binance").info.client_order_id
    assert rule.max_length == 36
    rule.check("a.B:c/d_e-f0")
    rule.check("x" * 36)
    for bad in ("x" * 37, "has space", "plus+", "ümlaut", "semi;colon"):
        with pytest.raises(InvalidOrder):
            rule.check(bad)
    for _ in range(50):
        rule.check(generate_client_order_id(rule))
