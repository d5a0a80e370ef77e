"""The installed entry point resolves to this plugin, and only this plugin answers."""

from __future__ import annotations

from importlib.metadata import entry_points

import venuekit
import venuekit_bybit.plugin
from venuekit import Capability, KeyType, LimitScope


def test_entry_point_names_the_plugin_module() -> None:
    found = [ep for ep in entry_points(group="venuekit.exchanges") if ep.name == "bybit"]
    assert len(found) == 1
    assert found[0].value == "venuekit_bybit.plugin"
    assert found[0].dist is not None and found[0].dist.name == "venuekit-bybit"
    assert found[0].load() is venuekit_bybit.plugin


def test_registry_loads_exactly_this_plugin() -> None:
    loaded = venuekit.Registry(allow=["bybit"]).load("bybit")
    assert loaded.name == "bybit"
    assert loaded.distribution == "venuekit-bybit"
    plugins = [p for p in loaded.manager.get_plugins() if p is venuekit_bybit.plugin]
    assert plugins == [venuekit_bybit.plugin]
    expected = {"exchange_info", "sign_request", "server_time", "fetch_markets",
                "fetch_balance", "place_order", "cancel_order", "fetch_order",
                "check_connection", "parse_error", "rate_limit_feedback"}
    assert expected <= set(loaded.hooks)
    assert "login" not in loaded.hooks  # Bybit signs every request; no tokens
    assert [p.name for p in venuekit.Registry(allow=["bybit"]).available()] == ["bybit"]


def test_exchange_info() -> None:
    info = venuekit.Registry(allow=["bybit"]).load("bybit").info
    assert info.name == "bybit" and info.display_name == "Bybit"
    assert info.hosts.live == "https://api.bybit.com"
    assert info.hosts.testnet == "https://api-testnet.bybit.com"
    assert info.hosts.testnet_headers == ()
    assert dict(info.hosts.others) == {"demo": "https://api-demo.bybit.com"}
    assert info.credential_fields == ("api_key", "api_secret")
    assert info.key_types == frozenset({KeyType.HMAC})
    assert info.capabilities == frozenset({
        Capability.FETCH_ORDER_BY_CLIENT_ID, Capability.REDUCE_ONLY, Capability.TESTNET,
        Capability.KEY_PERMISSIONS, Capability.FETCH_OPEN_ORDERS,
        Capability.FETCH_OPEN_ORDERS_ALL_SYMBOLS, Capability.FETCH_MY_TRADES,
        Capability.FETCH_POSITIONS, Capability.CANCEL_ALL_ORDERS, Capability.CANCEL_ORDERS,
        Capability.AMEND_ORDER_PRICE, Capability.AMEND_ORDER_QUANTITY,
        Capability.SET_LEVERAGE, Capability.PLACE_ORDERS, Capability.FETCH_TICKER,
        Capability.FETCH_ORDER_BOOK})
    assert (info.max_batch_orders, info.max_batch_cancels) == (10, 10)
    assert info.request_window_s == 5.0
    rules = {r.name: (r.limit, r.period_s, r.scope) for r in info.rate_limits}
    assert rules == {
        "ip": (600, 5.0, LimitScope.IP),
        "order_create": (10, 1.0, LimitScope.ACCOUNT),
        "order_cancel": (10, 1.0, LimitScope.ACCOUNT),
        "order_realtime": (50, 1.0, LimitScope.ACCOUNT),
        "wallet_balance": (50, 1.0, LimitScope.ACCOUNT),
        "query_api": (10, 1.0, LimitScope.ACCOUNT),
        "execution_list": (50, 1.0, LimitScope.ACCOUNT),
        "position_list": (50, 1.0, LimitScope.ACCOUNT),
        "account_info": (50, 1.0, LimitScope.ACCOUNT),
        "cancel_all": (10, 1.0, LimitScope.ACCOUNT),
        "batch_create": (10, 1.0, LimitScope.ACCOUNT),
        "batch_cancel": (10, 1.0, LimitScope.ACCOUNT),
        "order_amend": (10, 1.0, LimitScope.ACCOUNT),
        "set_leverage": (10, 1.0, LimitScope.ACCOUNT),
        "switch_mode": (10, 1.0, LimitScope.ACCOUNT),
        "set_margin_mode": (5, 1.0, LimitScope.ACCOUNT),
    }
    rule = info.client_order_id
    assert rule.max_length == 36 and not rule.lowercase
    rule.check("Ab-_09" * 6)  # 36 characters of the allowed set pass
