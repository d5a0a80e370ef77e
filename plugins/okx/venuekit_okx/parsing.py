"""OKX V5 response parsers: payloads in, core models out. Plain functions, no I/O.

A payload that is not what OKX documents raises :class:`~venuekit.BadResponse` with the
field's path (``sz: missing @ $.data[0].sz``); the core adds the request.
"""

from __future__ import annotations

from decimal import Decimal

from venuekit.decimals import plain_decimal
from venuekit.errors import OrderNotFound
from venuekit.models import (
    AssetBalance,
    Balance,
    KeyPermissions,
    Market,
    MarketKind,
    OrderResult,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)
from venuekit.payload import Reader
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


SIDES = {"buy": Side.BUY, "sell": Side.SELL}


def data(response: Response) -> list[Reader]:
    """The ``data`` array of a successful envelope, one reader per object."""
    return Reader.of(response).rows("data")


def first(response: Response, what: str) -> Reader:
    rows = data(response)
    if not rows:
        raise Reader.of(response).error(f"empty {what} data", "data")
    return rows[0]


# ---------------------------------------------------------------- public


def server_time(response: Response) -> int:
    return first(response, "time").ms("ts")


def market(row: Reader) -> Market | None:
    """A linear perpetual from ``GET /api/v5/public/instruments?instType=SWAP``.

    Inverse swaps (``BTC-USD-SWAP``: contract value in USD, margined in coin) cannot size in
    base currency and are skipped. Step and minimum are converted from contracts to base.
    """
    if row.get("instType") != "SWAP" or row.get("ctType") != "linear":
        return None
    native = row.text("instId")
    family = row.optional_text("instFamily") or row.optional_text("uly") or ""
    base, _, quote = family.partition("-")
    if not base or not quote:
        raise row.error(f"{native}: no instFamily / uly to read base and quote from")
    settle = row.optional_text("settleCcy") or quote
    size = row.decimal("ctVal")
    if size <= 0:
        raise row.error(f"{native}: ctVal {size} is not positive", "ctVal")
    return Market(
        symbol=f"{base}/{quote}:{settle}", native=native, base=base, quote=quote, settle=settle,
        kind=MarketKind.SWAP, tick_size=row.decimal("tickSz"),
        step_size=plain_decimal(row.decimal("lotSz") * size),
        min_quantity=plain_decimal(row.decimal("minSz") * size),
        contract_size=size, active=row.get("state") == "live",
        max_leverage=_max_leverage(row))


def _max_leverage(row: Reader) -> int | None:
    """``lever``: the instrument's maximum leverage (a whole number; "" when unknown)."""
    value = row.optional_decimal("lever")
    return int(value) if value is not None and value >= 1 else None


def markets(response: Response) -> list[Market]:
    return [found for row in data(response) if (found := market(row)) is not None]


# ---------------------------------------------------------------- account


def _asset(row: Reader) -> AssetBalance:
    """One ``details`` item: equity as total, ``availBal`` free, ``frozenBal`` in use."""
    ccy = row.text("ccy")
    total = row.optional_decimal("eq")
    if total is None:
        total = row.decimal("cashBal")
    free = row.optional_decimal("availBal")
    if free is None:
        free = row.optional_decimal("availEq")
    if free is None:
        free = total
    used = row.optional_decimal("frozenBal")
    if used is None:
        used = total - free
    return AssetBalance(ccy, free, used, total)


def balance(response: Response) -> Balance:
    return Balance(NAME, [_asset(item) for account in data(response)
                          for item in account.rows("details")])


def key_permissions(response: Response) -> KeyPermissions:
    """``GET /api/v5/account/config``: ``perm`` ("read_only,trade,withdraw") and ``ip``
    (the bound IPs, "" when none), both about the key making the request."""
    row = first(response, "account config")
    perm = row.text("perm")
    granted = {part.strip() for part in perm.split(",") if part.strip()}
    ip = row.get("ip")
    return KeyPermissions(
        can_read="read_only" in granted, can_trade="trade" in granted,
        can_withdraw="withdraw" in granted,
        ip_restricted=bool(ip.strip()) if isinstance(ip, str) else None)


# ---------------------------------------------------------------- orders


def order(row: Reader, market: Market) -> OrderResult:
    """An order object (``GET /api/v5/trade/order``) as an OrderResult in base quantities."""
    status = row.choice("state", STATUS)
    kind, tif = ORDER_TYPES.get(str(row.get("ordType")), (OrderType.LIMIT, None))
    filled = row.optional_decimal("accFillSz") or Decimal(0)
    return OrderResult(
        exchange=NAME, symbol=market.symbol, order_id=row.text("ordId"),
        client_order_id=row.optional_text("clOrdId"), side=row.choice("side", SIDES),
        type=kind, status=status, quantity=to_base(row.decimal("sz"), market),
        price=row.optional_decimal("px"), filled_quantity=to_base(filled, market),
        average_price=row.nonzero_decimal("avgPx"), time_in_force=tif,
        reduce_only=row.boolean("reduceOnly", default=False),
        created_at=row.optional_timestamp("cTime"),
        updated_at=row.optional_timestamp("uTime"))


def fetched_order(response: Response, market: Market) -> OrderResult:
    rows = data(response)
    if not rows:  # an empty answer is "no such order", never an order
        raise OrderNotFound("OKX returned no order", exchange=NAME)
    return order(rows[0], market)


def ack(response: Response) -> Reader:
    """The per-item acknowledgement of place / cancel (``ordId``, ``clOrdId``, ``ts``)."""
    row = first(response, "acknowledgement")
    row.text("ordId")
    return row
