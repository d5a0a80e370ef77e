"""OKX V5 response parsers: payloads in, core models out. Plain functions, no I/O.

A payload that is not what OKX documents raises :class:`~venuekit.BadResponse` naming the
field; the core adds the request and status.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from venuekit.decimals import plain_decimal
from venuekit.errors import BadResponse, OrderNotFound
from venuekit.models import (
    AssetBalance,
    Balance,
    KeyPermissions,
    Market,
    MarketKind,
    OrderResult,
    OrderStatus,
    OrderType,
    TimeInForce,
)
from venuekit.wire import Response

from .contracts import to_base

NAME = "okx"

#: OKX order state -> core status (OK-OBT "Get order details": ``state``).
STATUS = {
    "live": OrderStatus.OPEN,
    "partially_filled": OrderStatus.PARTIALLY_FILLED,
    "filled": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELED,
    "mmp_canceled": OrderStatus.CANCELED,
}

#: ``ordType`` -> (type, time in force): OKX encodes the time in force in the order type.
ORDER_TYPES: dict[str, tuple[OrderType, TimeInForce | None]] = {
    "market": (OrderType.MARKET, None),
    "optimal_limit_ioc": (OrderType.MARKET, TimeInForce.IOC),
    "limit": (OrderType.LIMIT, TimeInForce.GTC),
    "ioc": (OrderType.LIMIT, TimeInForce.IOC),
    "fok": (OrderType.LIMIT, TimeInForce.FOK),
    "post_only": (OrderType.LIMIT, TimeInForce.POST_ONLY),
}


def bad(why: str) -> BadResponse:
    return BadResponse(f"unexpected OKX payload: {why}", exchange=NAME)


def data(response: Response) -> list[Any]:
    """The ``data`` array of a successful envelope."""
    payload = response.json()
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
        raise bad("no data array in the envelope")
    rows: list[Any] = payload["data"]
    return rows


def first(response: Response, what: str) -> dict[str, Any]:
    rows = data(response)
    if not rows or not isinstance(rows[0], dict):
        raise bad(f"empty {what} data")
    row: dict[str, Any] = rows[0]
    return row


def number(row: Mapping[str, Any], key: str) -> Decimal:
    value = row.get(key)
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise bad(f"{key}={value!r} is not a number") from None


def optional_number(row: Mapping[str, Any], key: str) -> Decimal | None:
    """OKX writes "" for an absent number (``px`` of a market order, ``avgPx`` before a fill)."""
    value = row.get(key)
    return None if value in (None, "") else number(row, key)


def millis(value: Any) -> datetime | None:
    if value in (None, "", "0"):
        return None
    try:
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    except (TypeError, ValueError, OverflowError):
        raise bad(f"timestamp {value!r} is not milliseconds") from None


def text(row: Mapping[str, Any], key: str) -> str:
    value = row.get(key)
    if not isinstance(value, str) or not value:
        raise bad(f"missing {key}")
    return value


# ---------------------------------------------------------------- public


def server_time(response: Response) -> int:
    row = first(response, "time")
    try:
        return int(row["ts"])
    except (KeyError, TypeError, ValueError):
        raise bad("time without a millisecond ts") from None


def market(row: Mapping[str, Any]) -> Market | None:
    """A linear perpetual from ``GET /api/v5/public/instruments?instType=SWAP``.

    Inverse swaps (``BTC-USD-SWAP``: contract value in USD, margined in coin) cannot size in
    base currency and are skipped. Step and minimum are converted from contracts to base.
    """
    if row.get("instType") != "SWAP" or row.get("ctType") != "linear":
        return None
    native = text(row, "instId")
    family = str(row.get("instFamily") or row.get("uly") or "")
    base, _, quote = family.partition("-")
    if not base or not quote:
        raise bad(f"{native}: no instFamily / uly to read base and quote from")
    settle = str(row.get("settleCcy") or quote)
    size = number(row, "ctVal")
    if size <= 0:
        raise bad(f"{native}: ctVal {size} is not positive")
    return Market(
        symbol=f"{base}/{quote}:{settle}", native=native, base=base, quote=quote, settle=settle,
        kind=MarketKind.SWAP, tick_size=number(row, "tickSz"),
        step_size=plain_decimal(number(row, "lotSz") * size),
        min_quantity=plain_decimal(number(row, "minSz") * size),
        contract_size=size, active=row.get("state") == "live")


def markets(response: Response) -> list[Market]:
    found = []
    for row in data(response):
        if not isinstance(row, dict):
            raise bad("instrument is not an object")
        parsed = market(row)
        if parsed is not None:
            found.append(parsed)
    return found


# ---------------------------------------------------------------- account


def _asset(row: Mapping[str, Any]) -> AssetBalance:
    """One ``details`` item: equity as total, ``availBal`` free, ``frozenBal`` in use."""
    ccy = text(row, "ccy")
    total = optional_number(row, "eq")
    if total is None:
        total = number(row, "cashBal")
    free = optional_number(row, "availBal")
    if free is None:
        free = optional_number(row, "availEq")
    if free is None:
        free = total
    used = optional_number(row, "frozenBal")
    if used is None:
        used = total - free
    return AssetBalance(ccy, free, used, total)


def balance(response: Response) -> Balance:
    rows = data(response)
    assets = []
    for account in rows:
        details = account.get("details") if isinstance(account, dict) else None
        if not isinstance(details, list):
            raise bad("balance without details")
        assets += [_asset(item) for item in details if isinstance(item, dict)]
    return Balance(NAME, assets)


def key_permissions(response: Response) -> KeyPermissions:
    """``GET /api/v5/account/config``: ``perm`` ("read_only,trade,withdraw") and ``ip``
    (the bound IPs, "" when none), both about the key making the request."""
    row = first(response, "account config")
    perm = row.get("perm")
    if not isinstance(perm, str):
        raise bad("account config without perm")
    granted = {part.strip() for part in perm.split(",") if part.strip()}
    ip = row.get("ip")
    return KeyPermissions(
        can_read="read_only" in granted, can_trade="trade" in granted,
        can_withdraw="withdraw" in granted,
        ip_restricted=bool(ip.strip()) if isinstance(ip, str) else None)


# ---------------------------------------------------------------- orders


def order(row: Mapping[str, Any], market: Market) -> OrderResult:
    """An order object (``GET /api/v5/trade/order``) as an OrderResult in base quantities."""
    state = row.get("state")
    if state not in STATUS:
        raise bad(f"order state {state!r}")
    kind, tif = ORDER_TYPES.get(str(row.get("ordType")), (OrderType.LIMIT, None))
    side = row.get("side")
    if side not in ("buy", "sell"):
        raise bad(f"order side {side!r}")
    filled = optional_number(row, "accFillSz") or Decimal(0)
    average = optional_number(row, "avgPx")
    return OrderResult(
        exchange=NAME, symbol=market.symbol, order_id=text(row, "ordId"),
        client_order_id=str(row.get("clOrdId") or "") or None, side=side, type=kind,
        status=STATUS[state], quantity=to_base(number(row, "sz"), market),
        price=optional_number(row, "px"), filled_quantity=to_base(filled, market),
        average_price=average if average else None, time_in_force=tif,
        reduce_only=str(row.get("reduceOnly")).lower() == "true",
        created_at=millis(row.get("cTime")), updated_at=millis(row.get("uTime")))


def fetched_order(response: Response, market: Market) -> OrderResult:
    rows = data(response)
    if not rows:  # an empty answer is "no such order", never an order
        raise OrderNotFound("OKX returned no order", exchange=NAME)
    if not isinstance(rows[0], dict):
        raise bad("order is not an object")
    return order(rows[0], market)


def ack(response: Response) -> dict[str, Any]:
    """The per-item acknowledgement of place / cancel (``ordId``, ``clOrdId``, ``ts``)."""
    row = first(response, "acknowledgement")
    text(row, "ordId")
    return row
