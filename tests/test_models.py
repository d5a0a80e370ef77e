"""Models: validation on construction, Decimal discipline, secrets hidden, one converter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import attrs
import pytest
from venuekit.convert import make_converter, to_jsonable
from venuekit.errors import InvalidOrder
from venuekit.models import (
    AssetBalance,
    AuthToken,
    Balance,
    ClientOrderIdRule,
    ConnectionReport,
    Credentials,
    KeyPermissions,
    OrderParams,
    OrderRef,
    OrderType,
    RateLimit,
    Side,
    TimeInForce,
    mask,
)


def limit(**changes: object) -> OrderParams:
    fields: dict[str, object] = {"symbol": "BTC/USDT:USDT", "side": "buy", "type": "limit",
                                 "quantity": "0.01", "price": "50000"}
    fields.update(changes)
    return OrderParams(**fields)  # type: ignore[arg-type]


def test_floats_become_decimals_through_str() -> None:
    order = limit(quantity=0.1, price=0.3)
    assert order.quantity == Decimal("0.1") and order.price == Decimal("0.3")


@pytest.mark.parametrize("value", ["BUY", "buy", "Buy", " sell "])
def test_side_accepts_any_case(value: str) -> None:
    assert limit(side=value).side in (Side.BUY, Side.SELL)


def test_type_and_time_in_force_accept_any_case() -> None:
    order = limit(type="LIMIT", time_in_force="ioc")
    assert order.type is OrderType.LIMIT and order.time_in_force is TimeInForce.IOC
    assert limit(time_in_force="Post_Only").time_in_force is TimeInForce.POST_ONLY


def test_limit_defaults_to_gtc() -> None:
    assert limit().time_in_force is TimeInForce.GTC


@pytest.mark.parametrize(("changes", "message"), [
    ({"quantity": "0"}, "above zero"),
    ({"quantity": "-1"}, "above zero"),
    ({"quantity": "NaN"}, "finite"),
    ({"quantity": "Infinity"}, "finite"),
    ({"quantity": "abc"}, "not a number"),
    ({"quantity": None}, "quantity is required"),
    ({"price": None}, "needs a price"),
    ({"type": "market"}, "takes no price"),
    ({"side": "long"}, "side must be"),
    ({"type": "stop"}, "type must be"),
    ({"time_in_force": "day"}, "time_in_force"),
    ({"symbol": " "}, "symbol"),
    ({"client_order_id": ""}, "client_order_id"),
    ({"quantity": True}, "bool"),
])
def test_invalid_order_params_raise_invalid_order(changes: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidOrder, match=message):
        limit(**changes)


def test_market_orders_take_no_price_and_may_size_in_quote() -> None:
    order = OrderParams(symbol="BTC/USDT", side="buy", type="market", quote_quantity="25")
    assert order.quantity is None and order.quote_quantity == Decimal("25")
    with pytest.raises(InvalidOrder, match="market buys only"):
        OrderParams(symbol="BTC/USDT", side="sell", type="market", quote_quantity="25")
    with pytest.raises(InvalidOrder, match="GTC"):
        OrderParams(symbol="BTC/USDT", side="sell", type="market", quantity="1",
                    time_in_force="gtc")


def test_models_are_frozen() -> None:
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        limit().quantity = Decimal(1)  # type: ignore[misc]


def test_credentials_hide_secrets() -> None:
    creds = Credentials(api_key="AKIAabcdefghijklmnop", api_secret="topsecretvalue",
                        passphrase="pass-phrase-1")
    for text in (repr(creds), str(creds), f"{creds}"):
        assert "topsecretvalue" not in text and "pass-phrase-1" not in text
        assert "AKIA…mnop" in text
    with pytest.raises(TypeError):
        import pickle
        pickle.dumps(creds)


def test_auth_token_hides_the_token() -> None:
    token = AuthToken(access_token="bearer-xyz", expires_at=datetime.now(UTC) + timedelta(hours=1))
    assert "bearer-xyz" not in repr(token)
    assert not token.expires_within(60) and token.expires_within(7200)
    with pytest.raises(ValueError, match="timezone"):
        AuthToken(access_token="t", expires_at=datetime(2026, 1, 1))


def test_mask() -> None:
    assert mask("abcdefghijklmnopqrstuvwxyz") == "abcd…wxyz"
    assert mask("short") == "………" and mask(None) == ""


def test_order_ref_needs_an_id() -> None:
    with pytest.raises(InvalidOrder):
        OrderRef("BTC/USDT")


def test_client_order_id_rule() -> None:
    rule = ClientOrderIdRule(max_length=8, pattern=r"[a-z0-9]+")
    rule.check("abc123")
    with pytest.raises(InvalidOrder, match="characters"):
        rule.check("abcdefghi")
    with pytest.raises(InvalidOrder, match="does not match"):
        rule.check("ABC")


def test_rate_limit_must_be_positive() -> None:
    with pytest.raises(ValueError):
        RateLimit("ip", 0, 1.0)


def test_balance_lookup_and_sorting() -> None:
    balance = Balance("x", [AssetBalance("USDT", "1", "0", "1"), AssetBalance("BTC", 0, 0, 0)])
    assert [a.asset for a in balance.assets] == ["BTC", "USDT"]
    assert balance["USDT"].free == Decimal(1) and balance.get("ETH") is None
    assert [a.asset for a in balance.nonzero()] == ["USDT"]


def test_permissions_warnings() -> None:
    perms = KeyPermissions(can_trade=True, can_withdraw=True, ip_restricted=False)
    assert len(perms.warnings()) == 2
    assert KeyPermissions(can_trade=True, can_withdraw=False, ip_restricted=True).warnings() == ()


def test_converter_round_trips_decimals_enums_and_datetimes() -> None:
    conv = make_converter()
    order = limit(quantity="0.10000000000000001")
    data = conv.unstructure(order)
    assert data["quantity"] == "0.10000000000000001" and data["side"] == "buy"
    assert conv.structure(data, OrderParams) == order
    report = ConnectionReport(exchange="x", ok=True, steps=(), latency_ms=1.0, balance=None,
                              clock_offset_ms=None, permissions=None, warnings=(),
                              tested_at=datetime(2026, 1, 1, tzinfo=UTC))
    assert conv.unstructure(report)["tested_at"] == "2026-01-01T00:00:00+00:00"


def test_converter_never_exports_secrets() -> None:
    creds = Credentials(api_key="abcdefghijklmnopqrst", api_secret="hunter2hunter2")
    assert "hunter2hunter2" not in str(to_jsonable(creds))
