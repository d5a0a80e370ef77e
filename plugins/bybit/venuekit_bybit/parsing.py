"""Bybit V5 response parsers: venue payloads -> core models. Plain functions, no I/O.

``parse_error`` has already turned every ``retCode != 0`` into an error before these run,
so they only read successful envelopes; anything malformed becomes :class:`BadResponse`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from venuekit.errors import BadResponse, OrderNotFound
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
    OrderType,
    TimeInForce,
)
from venuekit.wire import Response

NAME = "bybit"

#: orderStatus (Bybit V5 enum) -> unified status.
STATUS: dict[str, OrderStatus] = {
    "Created": OrderStatus.OPEN,           # accepted, not yet through the matching engine
    "New": OrderStatus.OPEN,
    "Untriggered": OrderStatus.OPEN,       # conditional order waiting for its trigger
    "Triggered": OrderStatus.OPEN,
    "PartiallyFilled": OrderStatus.PARTIALLY_FILLED,
    "Filled": OrderStatus.FILLED,
    "Cancelled": OrderStatus.CANCELED,     # also an IOC/market remainder
    "PartiallyFilledCanceled": OrderStatus.CANCELED,
    "Deactivated": OrderStatus.CANCELED,   # conditional order cancelled before triggering
    "Rejected": OrderStatus.REJECTED,
}

TIME_IN_FORCE: dict[str, TimeInForce] = {
    "GTC": TimeInForce.GTC,
    "IOC": TimeInForce.IOC,
    "FOK": TimeInForce.FOK,
    "PostOnly": TimeInForce.POST_ONLY,
    "RPI": TimeInForce.POST_ONLY,  # retail price improvement: a post-only order
}


def bad(response: Response, why: str) -> BadResponse:
    return BadResponse(f"unexpected Bybit response ({why})", exchange=NAME,
                       status=response.status)


def envelope(response: Response) -> dict[str, Any]:
    payload = response.json()
    if not isinstance(payload, dict) or "retCode" not in payload:
        raise bad(response, "no retCode envelope")
    return payload


def result(response: Response) -> dict[str, Any]:
    value = envelope(response).get("result")
    if not isinstance(value, dict):
        raise bad(response, "no result object")
    return value


def result_list(response: Response) -> list[Any]:
    rows = result(response).get("list")
    if not isinstance(rows, list):
        raise bad(response, "no result.list")
    return rows


def decimal(value: Any) -> Decimal:
    """A venue number (string, int or Decimal) as Decimal; ``""`` counts as zero."""
    if value is None or value == "":
        return Decimal(0)
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None


def _positive_or_none(value: Any) -> Decimal | None:
    number = decimal(value)
    return number if number > 0 else None


def ms_datetime(value: Any) -> datetime | None:
    if value in (None, "", "0", 0):
        return None
    return datetime.fromtimestamp(int(str(value)) / 1000, UTC)


# ---------------------------------------------------------------- public


def server_time(response: Response) -> int:
    """Milliseconds from ``result.timeNano`` (or ``timeSecond``, or the envelope's time)."""
    payload = envelope(response)
    body = payload.get("result")
    if isinstance(body, dict):
        if body.get("timeNano"):
            return int(str(body["timeNano"])) // 1_000_000
        if body.get("timeSecond"):
            return int(str(body["timeSecond"])) * 1000
    if payload.get("time") is not None:
        return int(str(payload["time"]))
    raise bad(response, "no server time")


def market(row: dict[str, Any]) -> Market:
    lot, price = row["lotSizeFilter"], row["priceFilter"]
    base, quote, settle = row["baseCoin"], row["quoteCoin"], row["settleCoin"]
    return Market(
        symbol=f"{base}/{quote}:{settle}", native=row["symbol"], base=base, quote=quote,
        settle=settle, kind=MarketKind.SWAP, tick_size=price["tickSize"],
        step_size=lot["qtyStep"], min_quantity=lot["minOrderQty"],
        min_notional=lot.get("minNotionalValue") or None,
        contract_size=Decimal(1),  # linear qty is counted in base coin, 1 contract = 1 coin
        active=row.get("status") == "Trading")


def markets(response: Response) -> list[Market]:
    """Linear perpetuals only; dated futures (LinearFutures) have no unified form here."""
    return [market(row) for row in result_list(response)
            if row.get("contractType") == "LinearPerpetual"]


# ---------------------------------------------------------------- account


def balance(response: Response) -> Balance:
    """Per coin of the unified account: total = walletBalance, used = order and position
    initial margin plus spot-locked funds (capped at the total), free = the rest."""
    accounts = result_list(response)
    unified = [a for a in accounts if a.get("accountType") == "UNIFIED"] or accounts
    assets = []
    for account in unified[:1]:
        for row in account.get("coin") or []:
            total = decimal(row.get("walletBalance"))
            used = sum((decimal(row.get(k)) for k in ("locked", "totalOrderIM",
                                                      "totalPositionIM")), Decimal(0))
            used = min(max(used, Decimal(0)), max(total, Decimal(0)))
            assets.append(AssetBalance(row["coin"], total - used, used, total))
    return Balance(NAME, assets)


def key_permissions(response: Response) -> KeyPermissions:
    """From ``GET /v5/user/query-api``: read-only flag, permission lists and bound IPs.
    ``ips == ["*"]`` (or empty) means no IP whitelist."""
    data = result(response)
    perms = data.get("permissions") or {}
    if not isinstance(perms, dict):
        raise bad(response, "permissions is not an object")
    read_only = int(str(data.get("readOnly", 0))) == 1
    trades_contracts = bool(perms.get("ContractTrade") or perms.get("Derivatives"))
    ips = [ip for ip in (data.get("ips") or []) if ip and ip != "*"]
    return KeyPermissions(can_read=True, can_trade=not read_only and trades_contracts,
                          can_withdraw="Withdraw" in (perms.get("Wallet") or []),
                          ip_restricted=bool(ips))


# ---------------------------------------------------------------- orders


def order(row: dict[str, Any], mkt: Market) -> OrderResult:
    """One row of ``/v5/order/realtime``."""
    if row.get("symbol") not in (None, mkt.native):
        raise ValueError(f"order for {row.get('symbol')!r}, asked for {mkt.native!r}")
    return OrderResult(
        exchange=NAME, symbol=mkt.symbol, order_id=str(row["orderId"]),
        client_order_id=row.get("orderLinkId") or None, side=row["side"],
        type=row["orderType"], status=STATUS[row["orderStatus"]],
        quantity=decimal(row["qty"]), price=_positive_or_none(row.get("price")),
        filled_quantity=decimal(row.get("cumExecQty")),
        average_price=_positive_or_none(row.get("avgPrice")),
        time_in_force=TIME_IN_FORCE.get(str(row.get("timeInForce"))),
        reduce_only=bool(row.get("reduceOnly", False)),
        created_at=ms_datetime(row.get("createdTime")),
        updated_at=ms_datetime(row.get("updatedTime")))


def fetched_order(response: Response, ref: OrderRef, mkt: Market) -> OrderResult:
    """The order a realtime query by id returns; an empty list means Bybit does not know it."""
    rows = result_list(response)
    if not rows:
        which = (f"order_id={ref.order_id}" if ref.order_id
                 else f"client_order_id={ref.client_order_id}")
        raise OrderNotFound(f"Bybit has no recent {mkt.native} order with {which}",
                            exchange=NAME)
    return order(rows[0], mkt)


def _ack_ids(response: Response) -> tuple[str, str | None, datetime | None]:
    payload = envelope(response)
    body = payload.get("result")
    if not isinstance(body, dict) or not body.get("orderId"):
        raise bad(response, "no orderId in the acknowledgement")
    return str(body["orderId"]), body.get("orderLinkId") or None, ms_datetime(payload.get("time"))


def placed_order(response: Response, params: OrderParams, mkt: Market) -> OrderResult:
    """The create ack carries only the ids: the rest is the order as sent, status open.

    Bybit's ack means "accepted"; fetch the order for its state (a market order fills, a
    post-only order may be cancelled by the engine)."""
    order_id, link_id, at = _ack_ids(response)
    tif = params.time_in_force if params.type is OrderType.LIMIT else TimeInForce.IOC
    return OrderResult(
        exchange=NAME, symbol=mkt.symbol, order_id=order_id,
        client_order_id=link_id or params.client_order_id, side=params.side,
        type=params.type, status=OrderStatus.OPEN, quantity=params.quantity,
        price=params.price, time_in_force=tif, reduce_only=params.reduce_only,
        created_at=at, updated_at=at)


def cancelled_order(response: Response, ref: OrderRef, mkt: Market) -> OrderResult:
    """The cancel ack carries only the ids, so side, type and quantities are reported as
    unknown (None): fetch the order for its full final state."""
    order_id, link_id, at = _ack_ids(response)
    return OrderResult(
        exchange=NAME, symbol=mkt.symbol, order_id=order_id,
        client_order_id=link_id or ref.client_order_id, side=None, type=None,
        status=OrderStatus.CANCELED, quantity=None, updated_at=at)
