"""The distribution registers exactly this plugin under the name ``pionex``."""

from __future__ import annotations

from importlib.metadata import entry_points

import venuekit
import venuekit_pionex.plugin
from venuekit.models import Capability, KeyType


def test_entry_point_points_at_the_plugin_module() -> None:
    found = [ep for ep in entry_points(group="venuekit.exchanges") if ep.name == "pionex"]
    assert len(found) == 1
    (ep,) = found
    assert ep.value == "venuekit_pionex.plugin"
    assert ep.dist is not None and ep.dist.name == "venuekit-pionex"
    assert ep.load() is venuekit_pionex.plugin


def test_registry_loads_exactly_this_plugin() -> None:
    loaded = venuekit.Registry(allow=["pionex"]).load("pionex")
    assert loaded.name == "pionex"
    assert loaded.distribution == "venuekit-pionex"
    assert loaded.manager.get_plugin("pionex") is venuekit_pionex.plugin
    assert loaded.info.display_name == "Pionex"
    # every applicable hook, and no login: Pionex signs each request, it has no tokens;
    # no positions, leverage, amend or batch cancel: spot Pionex has no such endpoints
    assert set(loaded.hooks) == {
        "exchange_info", "sign_request", "fetch_markets", "fetch_balance", "place_order",
        "cancel_order", "fetch_order", "check_connection", "server_time", "parse_error",
        "rate_limit_feedback", "fetch_open_orders", "fetch_my_trades", "cancel_all_orders",
        "place_orders", "fetch_ticker", "fetch_order_book",
        # streams: the private URL is signed, so no stream_session and no stream_login
        "stream_info", "stream_url", "stream_subscribe", "parse_stream_frame"}


def test_listed_without_importing() -> None:
    names = [p.name for p in venuekit.Registry(allow=["pionex"]).available()]
    assert names == ["pionex"]


def test_exchange_info_describes_pionex() -> None:
    info = venuekit.Registry(allow=["pionex"]).load("pionex").info
    assert info.hosts.live == "https://api.pionex.com"
    assert info.hosts.testnet is None
    assert info.key_types == frozenset({KeyType.HMAC})
    assert info.credential_fields == ("api_key", "api_secret")
    assert info.capabilities == frozenset({
        Capability.FETCH_ORDER_BY_CLIENT_ID, Capability.MARKET_BUY_BY_QUOTE,
        Capability.FETCH_OPEN_ORDERS, Capability.FETCH_MY_TRADES, Capability.CANCEL_ALL_ORDERS,
        Capability.PLACE_ORDERS, Capability.FETCH_TICKER, Capability.FETCH_ORDER_BOOK})
    assert info.max_batch_orders == 20  # PX-OAS MassOrderRequest maxItems
    assert info.max_batch_cancels == 1  # no batch cancel
    assert info.request_window_s == 20.0
    assert {(r.name, r.limit, r.period_s, r.scope.value) for r in info.rate_limits} == {
        ("ip", 10, 1.0, "ip"), ("account", 10, 1.0, "account")}
    rule = info.client_order_id
    assert rule.max_length == 64
    rule.check("Ab-09-" + "x" * 58)
    for bad in ("under_score", "dot.ted", "x" * 65):
        try:
            rule.check(bad)
        except venuekit.InvalidOrder:
            continue
        raise AssertionError(f"{bad!r} should be refused")
