"""The example venue's wire shapes on the simulator side: its error codes and how it
writes an order and a fill; shared by its REST handlers and its stream frames."""

from __future__ import annotations

from typing import Any

from venuekit.testing.simulator import ErrorKind, SimOrder
from venuekit.testing.state import SimFill

__all__ = ["CODES", "_fill", "_order"]

CODES: dict[ErrorKind, tuple[int, str | int]] = {
    ErrorKind.AUTH: (401, 1001), ErrorKind.SIGNATURE: (401, 1002),
    ErrorKind.TIMESTAMP: (400, 1003), ErrorKind.PERMISSION: (403, 1004),
    ErrorKind.TOKEN_EXPIRED: (401, 1005), ErrorKind.RATE_LIMIT: (429, 2001),
    ErrorKind.INSUFFICIENT_FUNDS: (400, 3001), ErrorKind.INVALID: (400, 3002),
    ErrorKind.NOT_FOUND: (400, 3003), ErrorKind.DUPLICATE: (400, 3004),
    ErrorKind.BELOW_MINIMUM: (400, 3005), ErrorKind.UNKNOWN_SYMBOL: (400, 3006),
    ErrorKind.UNAVAILABLE: (503, 5001),
}
#: The venue's answer when leverage is already at the value asked for.


def _order(order: SimOrder) -> dict[str, Any]:
    return {
        "orderId": order.order_id, "clientOrderId": order.client_order_id,
        "symbol": order.symbol, "side": order.side.upper(), "type": order.type.upper(),
        "status": {"open": "NEW", "partially_filled": "PARTIALLY_FILLED", "filled": "FILLED",
                   "canceled": "CANCELED", "expired": "EXPIRED"}[order.status],
        "quantity": str(order.quantity), "price": None if order.price is None else str(order.price),
        "filled": str(order.filled),
        "avgPrice": None if order.average_price is None else str(order.average_price),
        "reduceOnly": order.reduce_only, "createdAt": order.created_ms,
        "updatedAt": order.updated_ms,
    }


def _fill(fill: SimFill) -> dict[str, Any]:
    return {"id": int(fill.trade_id), "orderId": fill.order_id,
            "clientOrderId": fill.client_order_id, "symbol": fill.symbol,
            "side": fill.side.upper(), "price": str(fill.price), "qty": str(fill.quantity),
            "fee": str(fill.fee), "feeAsset": fill.fee_asset, "maker": fill.is_maker,
            "time": fill.time_ms}
