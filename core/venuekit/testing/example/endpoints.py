"""Example venue requests and response parsers: plain functions, no I/O."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from venuekit.decimals import format_decimal
from venuekit.models import (
    AssetBalance,
    Balance,
    KeyPermissions,
    Market,
    MarketKind,
    OrderParams,
    OrderRef,
    OrderResult,
    OrderStatus,
)
from venuekit.payload import Reader
from venuekit.wire import BodyFormat, Call, Request, Response

NAME = "example"


def _data(response: Response) -> Reader:
    """The payload inside the venue's ``{"ok": true, "data": ...}`` envelope."""
    return Reader.of(response).at("data")


# ---------------------------------------------------------------- public


def server_time() -> Call[int]:
    return Call(Request(method="GET", path="/v1/time", cost={"ip": 1}),
                lambda r: _data(r).ms("serverTime"))


def _market(row: Reader) -> Market:
    base, quote = row.text("base"), row.text("quote")
    return Market(symbol=f"{base}/{quote}:{quote}", native=row.text("symbol"), base=base,
                  quote=quote, settle=quote, kind=MarketKind.SWAP,
                  tick_size=row.decimal("tickSize"), step_size=row.decimal("stepSize"),
                  min_quantity=row.decimal("minQty"),
                  min_notional=row.optional_decimal("minNotional"),
                  active=row.get("status") == "TRADING",
                  max_leverage=row.optional_integer("maxLeverage"))


def fetch_markets() -> Call[list[Market]]:
    return Call(Request(method="GET", path="/v1/markets", cost={"ip": 5}),
                lambda r: [_market(row) for row in _data(r).rows()])


# ---------------------------------------------------------------- private


def fetch_balance() -> Call[Balance]:
    def parse(response: Response) -> Balance:
        assets = []
        for row in _data(response).rows():
            free, locked = row.decimal("free"), row.decimal("locked")
            assets.append(AssetBalance(row.text("asset"), free, locked, free + locked))
        return Balance(NAME, assets)
    return Call(Request(method="GET", path="/v1/balance", signed=True, cost={"ip": 5}), parse)


def key_permissions() -> Call[KeyPermissions]:
    def parse(response: Response) -> KeyPermissions:
        data = _data(response)
        return KeyPermissions(can_read=True, can_trade=data.boolean("trade"),
                              can_withdraw=data.boolean("withdraw"),
                              ip_restricted=data.boolean("ipWhitelist"))
    return Call(Request(method="GET", path="/v1/key", signed=True, cost={"ip": 1}), parse)


_STATUS = {"NEW": OrderStatus.OPEN, "PARTIALLY_FILLED": OrderStatus.PARTIALLY_FILLED,
           "FILLED": OrderStatus.FILLED, "CANCELED": OrderStatus.CANCELED,
           "EXPIRED": OrderStatus.EXPIRED, "REJECTED": OrderStatus.REJECTED}


def parse_order(data: Reader, market: Market) -> OrderResult:
    return OrderResult(
        exchange=NAME, symbol=market.symbol, order_id=data.text("orderId"),
        client_order_id=data.optional_text("clientOrderId"), side=data.text("side"),
        type=data.text("type"), status=data.choice("status", _STATUS),
        quantity=data.decimal("quantity"), price=data.optional_decimal("price"),
        filled_quantity=data.decimal("filled", default=Decimal(0)),
        average_price=data.optional_decimal("avgPrice"),
        reduce_only=data.boolean("reduceOnly", default=False),
        created_at=data.optional_timestamp("createdAt"),
        updated_at=data.optional_timestamp("updatedAt"))


def place_order(order: OrderParams, market: Market) -> Call[OrderResult]:
    assert order.quantity is not None
    body: dict[str, Any] = {
        "symbol": market.native, "side": order.side.value.upper(),
        "type": order.type.value.upper(), "quantity": format_decimal(order.quantity),
        "clientOrderId": order.client_order_id,
    }
    if order.price is not None:
        body["price"] = format_decimal(order.price)
    if order.time_in_force is not None:
        body["timeInForce"] = order.time_in_force.value.upper()
    if order.reduce_only:
        body["reduceOnly"] = True
    request = Request(method="POST", path="/v1/order", body=body, body_format=BodyFormat.JSON,
                      signed=True, idempotent=False, cost={"ip": 1, "orders": 1})
    return Call(request, lambda r: parse_order(_data(r), market))


def _ref_query(ref: OrderRef, market: Market) -> list[tuple[str, str]]:
    query = [("symbol", market.native)]
    if ref.order_id:
        query.append(("orderId", ref.order_id))
    else:
        assert ref.client_order_id is not None
        query.append(("clientOrderId", ref.client_order_id))
    return query


def cancel_order(ref: OrderRef, market: Market) -> Call[OrderResult]:
    request = Request(method="DELETE", path="/v1/order", query=_ref_query(ref, market),
                      signed=True, cost={"ip": 1})
    return Call(request, lambda r: parse_order(_data(r), market))


def fetch_order(ref: OrderRef, market: Market) -> Call[OrderResult]:
    request = Request(method="GET", path="/v1/order", query=_ref_query(ref, market),
                      signed=True, cost={"ip": 1})
    return Call(request, lambda r: parse_order(_data(r), market))
