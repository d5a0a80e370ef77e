"""The installed entry point resolves to this plugin, and loads it alone."""

from __future__ import annotations

from importlib.metadata import entry_points

from venuekit.models import Capability, KeyType, LimitScope
from venuekit.registry import Registry, available
from venuekit_bingx import plugin


def test_entry_point_names_this_module() -> None:
    found = entry_points(group="venuekit.exchanges", name="bingx")
    assert len(found) == 1
    (ep,) = found
    assert ep.value == "venuekit_bingx.plugin"
    assert ep.dist is not None and ep.dist.name == "venuekit-bingx"
    assert ep.load() is plugin


def test_registry_loads_exactly_this_plugin() -> None:
    loaded = Registry(allow=["bingx"]).load("bingx")
    assert loaded.name == "bingx" and loaded.info.name == "bingx"
    assert loaded.distribution == "venuekit-bingx"
    assert loaded.manager.get_plugin("bingx") is plugin
    assert [p for p in loaded.manager.get_plugins() if p is plugin] == [plugin]
    assert set(loaded.hooks) == {
        "exchange_info", "sign_request", "server_time", "fetch_markets", "fetch_balance",
        "place_order", "cancel_order", "fetch_order", "check_connection", "parse_error",
        "rate_limit_feedback", "fetch_open_orders", "fetch_my_trades", "fetch_positions",
        "cancel_all_orders", "cancel_orders", "amend_order", "set_leverage", "place_orders",
        "fetch_ticker", "fetch_order_book",
        # streams (no stream_login: the listenKey in the URL authenticates)
        "stream_info", "stream_session", "stream_url", "stream_subscribe",
        "parse_stream_frame"}


def test_listed_without_importing() -> None:
    listed = {p.name: p for p in Registry(allow=["bingx"]).available()}
    assert listed["bingx"].distribution == "venuekit-bingx"
    assert listed["bingx"].module == "venuekit_bingx.plugin"
    assert "bingx" in [p.name for p in available()]


def test_exchange_info() -> None:
    info = plugin.exchange_info()
    assert info.hosts.live == "https://open-api.bingx.com"
    assert info.hosts.testnet == "https://open-api-vst.bingx.com"
    assert info.hosts.testnet_headers == ()
    assert dict(info.hosts.others) == {"alternate": "https://open-api.bingx.io"}
    assert info.credential_fields == ("api_key", "api_secret")
    assert info.key_types == frozenset({KeyType.HMAC})
    assert info.capabilities == frozenset({
        Capability.FETCH_ORDER_BY_CLIENT_ID, Capability.REDUCE_ONLY, Capability.TESTNET,
        Capability.FETCH_OPEN_ORDERS, Capability.FETCH_OPEN_ORDERS_ALL_SYMBOLS,
        Capability.FETCH_MY_TRADES, Capability.FETCH_POSITIONS, Capability.CANCEL_ALL_ORDERS,
        Capability.CANCEL_ORDERS, Capability.AMEND_ORDER_QUANTITY, Capability.SET_LEVERAGE,
        Capability.PLACE_ORDERS, Capability.FETCH_TICKER, Capability.FETCH_ORDER_BOOK})
    # quantity only: a price change is NotSupported, never a silent cancel-and-replace
    assert Capability.AMEND_ORDER_PRICE not in info.capabilities
    assert (info.max_batch_orders, info.max_batch_cancels) == (5, 10)
    assert info.request_window_s == 5.0
    rule = info.client_order_id
    assert rule.max_length == 40 and rule.lowercase
    assert set(rule.charset) == set("0123456789abcdefghijklmnopqrstuvwxyz")
    scopes = {r.name: r.scope for r in info.rate_limits}
    assert all(scopes[n] is LimitScope.ACCOUNT for n in scopes if n.startswith("uid_"))
    assert all(scopes[n] is LimitScope.IP for n in scopes if n.startswith("ip_"))
    assert {(r.limit, r.period_s) for r in info.rate_limits if r.name == "uid_place"} == {
        (5, 1.0)}
    assert {(r.limit, r.period_s) for r in info.rate_limits if r.name == "ip_group3"} == {
        (2000, 10.0)}
