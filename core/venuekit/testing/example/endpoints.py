"""Example venue requests and response parsers: plain functions, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from venuekit.decimals import format_decimal
from venuekit.errors import BadResponse
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
from venuekit.wire import BodyFormat, Call, Request, Response

NAME = "example"


def _data(response: Response) -> Any:
    payload = response.json()
    if not isinstance(payload, dict) or "data" not in payload:
        raise BadResponse("no data in the envelope", exchange=NAME, status=response.status)
    return payload["data"]


def _ms(value: Any) -> datetime | None:
    return None if value in (None, "") else datetime.fromtimestamp(int(value) / 1000, UTC)


# ---------------------------------------------------------------- public


def server_time() -> Call[int]:
    return Call(Request(method="GET", path="/v1/time", cost={"ip": 1}),
                lambda r: int(_data(r)["serverTime"]))


def _market(row: dict[str, Any]) -> Market:
    base, quote = row["base"], row["quote"]
    return Market(symbol=f"{base}/{quote}:{quote}", native=row["symbol"], base=base, quote=quote,
                  settle=quote, kind=MarketKind.SWAP, tick_size=row["tickSize"],
                  step_size=row["stepSize"], min_quantity=row["minQty"],
                  min_notional=row.get("minNotional"), active=row.get("status") == "TRADING")


def fetch_markets() -> Call[list[Market]]:
    return Call(Request(method="GET", path="/v1/markets", cost={"ip": 5}),
                lambda r: [_market(row) for row in _data(r)])


# ---------------------------------------------------------------- private


def fetch_balance() -> Call[Balance]:
    def parse(response: Response) -> Balance:
        rows = _data(response)
        return Balance(NAME, [AssetBalance(row["asset"], row["free"], row["locked"],
                                           Decimal(str(row["free"])) + Decimal(str(row["locked"])))
                              for row in rows])
    return Call(Request(method="GET", path="/v1/balance", signed=True, cost={"ip": 5}), parse)


def key_permissions() -> Call[KeyPermissions]:
    def parse(response: Response) -> KeyPermissions:
        data = _data(response)
        return KeyPermissions(can_read=True, can_trade=bool(data["trade"]),
                              can_withdraw=bool(data["withdraw"]),
                              ip_restricted=bool(data["ipWhitelist"]))
    return Call(Request(method="GET", path="/v1/key", signed=True, cost={"ip": 1}), parse)


_STATUS = {"NEW": OrderStatus.OPEN, "PARTIALLY_FILLED": OrderStatus.PARTIALLY_FILLED,
           "FILLED": OrderStatus.FILLED, "CANCELED": OrderStatus.CANCELED,
           "EXPIRED": OrderStatus.EXPIRED, "REJECTED": OrderStatus.REJECTED}


def parse_order(data: dict[str, Any], market: Market) -> OrderResult:
    return OrderResult(
        exchange=NAME, symbol=market.symbol, order_id=str(data["orderId"]),
        client_order_id=data.get("clientOrderId"), side=data["side"], type=data["type"],
        status=_STATUS[data["status"]], quantity=data["quantity"], price=data.get("price"),
        filled_quantity=data.get("filled", "0"), average_price=data.get("avgPrice"),
        reduce_only=bool(data.get("reduceOnly", False)), created_at=_ms(data.get("createdAt")),
        updated_at=_ms(data.get("updatedAt")))


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
