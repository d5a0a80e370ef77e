"""Bybit V5 response parsers: venue payloads -> core models. Plain functions, no I/O.

``parse_error`` has already turned every ``retCode != 0`` into an error before these run,
so they only read successful envelopes; anything malformed becomes :class:`BadResponse`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from urllib.parse import unquote

from venuekit.errors import OrderNotFound
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
    Side,
    TimeInForce,
)
from venuekit.payload import Reader
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


ZERO = Decimal(0)
SIDES = {"Buy": Side.BUY, "Sell": Side.SELL}
ORDER_TYPES = {"Limit": OrderType.LIMIT, "Market": OrderType.MARKET}


def envelope(response: Response) -> Reader:
    payload = Reader.of(response)
    if "retCode" not in (payload.keys() if payload.is_object() else ()):
        raise payload.error("no retCode envelope")
    return payload


def result(response: Response) -> Reader:
    return envelope(response).at("result")


def result_list(response: Response) -> list[Reader]:
    return result(response).rows("list")


def next_cursor(body: Reader) -> str:
    """``nextPageCursor`` as the text the next request's ``cursor`` must carry ("" at the end).

    Bybit hands the cursor out percent-encoded already (``621%3A1%2C621%3A1``) and its own
    SDKs put it on the wire as it came, so the server decodes it once to ``621:1,621:1``.
    The core percent-encodes every query value, so the cursor is decoded here: encoding it
    again gives back Bybit's bytes instead of ``621%253A1...``, a cursor it never issued.
    """
    return unquote(body.optional_text("nextPageCursor") or "")


# ---------------------------------------------------------------- public


def server_time(response: Response) -> int:
    """Milliseconds from ``result.timeNano`` (or ``timeSecond``, or the envelope's time)."""
    payload = envelope(response)
    body = payload.optional_at("result")
    if body is not None and body.is_object():
        if body.has("timeNano"):
            return body.integer("timeNano") // 1_000_000
        if body.has("timeSecond"):
            return body.integer("timeSecond") * 1000
    if payload.has("time"):
        return payload.ms("time")
    raise payload.error("no server time")


def market(row: Reader) -> Market:
    lot, price = row.at("lotSizeFilter"), row.at("priceFilter")
    base, quote, settle = row.text("baseCoin"), row.text("quoteCoin"), row.text("settleCoin")
    return Market(
        symbol=f"{base}/{quote}:{settle}", native=row.text("symbol"), base=base, quote=quote,
        settle=settle, kind=MarketKind.SWAP, tick_size=price.decimal("tickSize"),
        step_size=lot.decimal("qtyStep"), min_quantity=lot.decimal("minOrderQty"),
        min_notional=lot.nonzero_decimal("minNotionalValue"),
        contract_size=Decimal(1),  # linear qty is counted in base coin, 1 contract = 1 coin
        active=row.get("status") == "Trading", max_leverage=_max_leverage(row))


def _max_leverage(row: Reader) -> int | None:
    """``leverageFilter.maxLeverage`` ("100.00"), whole leverage only (set-leverage takes
    steps of ``leverageStep``; venuekit's API sets whole numbers)."""
    found = row.optional_at("leverageFilter")
    if found is None or not found.is_object():
        return None
    value = found.nonzero_decimal("maxLeverage")
    return None if value is None else int(value)


def markets(response: Response) -> list[Market]:
    """Linear perpetuals only; dated futures (LinearFutures) have no unified form here."""
    return [market(row) for row in result_list(response)
            if row.get("contractType") == "LinearPerpetual"]


# ---------------------------------------------------------------- account


def balance(response: Response) -> Balance:
    """Per coin of the unified account: total = walletBalance, used = order and position
    initial margin plus spot-locked funds (capped at the total), free = the rest.
    Bybit writes ``""`` for figures that do not apply to a coin: they count as zero."""
    return unified_balance(result_list(response))


def unified_balance(accounts: list[Reader]) -> Balance:
    """The unified account's coins, from wallet-balance rows or the ``wallet`` topic."""
    unified = [a for a in accounts if a.get("accountType") == "UNIFIED"] or accounts
    assets = []
    for account in unified[:1]:
        for row in account.rows("coin") if account.get("coin") else ():
            total = row.decimal("walletBalance", default=ZERO)
            used = sum((row.decimal(k, default=ZERO) for k in ("locked", "totalOrderIM",
                                                               "totalPositionIM")), ZERO)
            used = min(max(used, ZERO), max(total, ZERO))
            assets.append(AssetBalance(row.text("coin"), total - used, used, total))
    return Balance(NAME, assets)


def key_permissions(response: Response) -> KeyPermissions:
    """From ``GET /v5/user/query-api``: read-only flag, permission lists and bound IPs.
    ``ips == ["*"]`` (or empty) means no IP whitelist."""
    data = result(response)
    perms = data.optional_at("permissions")
    if perms is not None and not perms.is_object():
        raise perms.error("not an object")
    read_only = data.has("readOnly") and data.integer("readOnly") == 1

    def granted(key: str) -> list[object]:
        value = perms.get(key) if perms is not None else None
        return value if isinstance(value, list) else []
    trades_contracts = bool(granted("ContractTrade") or granted("Derivatives"))
    ips = data.get("ips")
    bound = [ip for ip in (ips if isinstance(ips, list) else []) if ip and ip != "*"]
    return KeyPermissions(can_read=True, can_trade=not read_only and trades_contracts,
                          can_withdraw="Withdraw" in granted("Wallet"),
                          ip_restricted=bool(bound))


# ---------------------------------------------------------------- orders


def order(row: Reader, mkt: Market) -> OrderResult:
    """One row of ``/v5/order/realtime`` (and of the ``order`` stream topic)."""
    if row.get("symbol") not in (None, mkt.native):
        raise row.error(f"order for {row.get('symbol')!r}, asked for {mkt.native!r}", "symbol")
    kind = row.choice("orderType", ORDER_TYPES)
    return OrderResult(
        exchange=NAME, symbol=mkt.symbol, order_id=row.text("orderId"),
        client_order_id=row.optional_text("orderLinkId"), side=row.choice("side", SIDES),
        type=kind, status=row.choice("orderStatus", STATUS),
        quantity=row.decimal("qty"),
        # a Market order's ``price`` is Bybit's slippage-protection bound, not a price the
        # order was given: unified market orders have none (as on every other venue)
        price=None if kind is OrderType.MARKET else _positive(row, "price"),
        filled_quantity=row.decimal("cumExecQty", default=ZERO),
        average_price=_positive(row, "avgPrice"),
        time_in_force=TIME_IN_FORCE.get(str(row.get("timeInForce"))),
        reduce_only=row.boolean("reduceOnly", default=False),
        created_at=row.optional_timestamp("createdTime"),
        updated_at=row.optional_timestamp("updatedTime"))


def _positive(row: Reader, key: str) -> Decimal | None:
    """Bybit writes "0" (or "") for a price that does not apply (market orders)."""
    number = row.nonzero_decimal(key)
    return number if number is not None and number > 0 else None


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
    body = payload.at("result")
    return (body.text("orderId"), body.optional_text("orderLinkId"),
            payload.optional_timestamp("time"))


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
