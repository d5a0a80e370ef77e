"""Readers of Binance USDⓈ-M payloads into core models: plain functions, no I/O.

Success responses are the bare JSON object or array (no envelope). Anything that is not
what the docs describe becomes :class:`~venuekit.errors.BadResponse` naming the venue.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from venuekit.errors import BadResponse, PermissionDenied
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

from . import NAME

_STATUS = {
    "NEW": OrderStatus.OPEN,
    "PARTIALLY_FILLED": OrderStatus.PARTIALLY_FILLED,
    "FILLED": OrderStatus.FILLED,
    "CANCELED": OrderStatus.CANCELED,
    "EXPIRED": OrderStatus.EXPIRED,
    "EXPIRED_IN_MATCH": OrderStatus.EXPIRED,  # expired by self-trade prevention
    "REJECTED": OrderStatus.REJECTED,
    "NEW_INSURANCE": OrderStatus.FILLED,  # liquidation taken by the insurance fund
    "NEW_ADL": OrderStatus.FILLED,  # liquidation by auto-deleveraging
}

_TIME_IN_FORCE = {
    "GTC": TimeInForce.GTC,
    "IOC": TimeInForce.IOC,
    "FOK": TimeInForce.FOK,
    "GTX": TimeInForce.POST_ONLY,  # "Good Till Crossing": Binance's post-only
}


def bad(response: Response, why: str) -> BadResponse:
    return BadResponse(f"unexpected {NAME} payload: {why}", exchange=NAME,
                       status=response.status)


def _object(response: Response) -> dict[str, Any]:
    payload = response.json()
    if not isinstance(payload, dict):
        raise bad(response, f"expected a JSON object, got {type(payload).__name__}")
    return payload


def _array(response: Response) -> list[Any]:
    payload = response.json()
    if not isinstance(payload, list):
        raise bad(response, f"expected a JSON array, got {type(payload).__name__}")
    return payload


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise ValueError(f"not a number: {value!r}")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None


def _nonzero(value: Any) -> Decimal | None:
    """Binance writes "0" / "0.00000" where a price does not apply (market orders)."""
    if value is None or value == "":
        return None
    number = _decimal(value)
    return None if number == 0 else number


def _ms(value: Any) -> datetime | None:
    if value in (None, "", 0):
        return None
    return datetime.fromtimestamp(int(value) / 1000, UTC)


# ---------------------------------------------------------------- public


def server_time(response: Response) -> int:
    """``GET /fapi/v1/time``: ``{"serverTime": 1499827319559}``."""
    try:
        return int(_object(response)["serverTime"])
    except (KeyError, TypeError, ValueError) as exc:
        raise bad(response, f"no serverTime ({exc!r})") from None


def _filters(row: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {f["filterType"]: f for f in row.get("filters", ()) if isinstance(f, Mapping)}


def market(row: Mapping[str, Any]) -> Market:
    """One ``symbols[]`` entry of ``GET /fapi/v1/exchangeInfo`` (a perpetual)."""
    filters = _filters(row)
    price, lot = filters["PRICE_FILTER"], filters["LOT_SIZE"]
    notional = filters.get("MIN_NOTIONAL", {}).get("notional")
    base, quote = str(row["baseAsset"]), str(row["quoteAsset"])
    settle = str(row.get("marginAsset") or quote)
    return Market(symbol=f"{base}/{quote}:{settle}", native=str(row["symbol"]), base=base,
                  quote=quote, settle=settle, kind=MarketKind.SWAP,
                  tick_size=_decimal(price["tickSize"]), step_size=_decimal(lot["stepSize"]),
                  min_quantity=_decimal(lot["minQty"]),
                  min_notional=None if notional is None else _decimal(notional),
                  active=row.get("status") == "TRADING")


def markets(response: Response) -> list[Market]:
    """Linear perpetuals (``contractType == "PERPETUAL"``); delivery contracts are skipped."""
    payload = _object(response)
    rows = payload.get("symbols")
    if not isinstance(rows, list):
        raise bad(response, "exchangeInfo without a symbols list")
    out = []
    for row in rows:
        if not isinstance(row, Mapping) or row.get("contractType") != "PERPETUAL":
            continue
        try:
            out.append(market(row))
        except (KeyError, TypeError, ValueError) as exc:
            raise bad(response, f"symbol {row.get('symbol')!r}: {exc!r}") from None
    return out


# ---------------------------------------------------------------- account


def balance(response: Response) -> Balance:
    """``GET /fapi/v3/balance`` (same shape as v2): one row per asset of the futures wallet.

    ``total`` is the wallet balance, ``free`` what is available for new orders, ``used``
    the difference (margin held by positions and open orders), never below zero.
    """
    assets = []
    for row in _array(response):
        try:
            total = _decimal(row["balance"])
            free = _decimal(row["availableBalance"])
            assets.append(AssetBalance(str(row["asset"]), free, max(total - free, Decimal(0)),
                                       total))
        except (KeyError, TypeError, ValueError) as exc:
            raise bad(response, f"balance row {row!r:.80}: {exc!r}") from None
    return Balance(NAME, assets)


def key_permissions(response: Response) -> KeyPermissions:
    """``GET /fapi/v1/accountConfig``: ``canTrade`` for the futures account.

    fapi tells nothing about the key's withdrawal right or IP whitelist (``canWithdraw``
    there means "may transfer out of the futures wallet", an account property), so both
    stay unknown rather than guessed.
    """
    payload = _object(response)
    can_trade = payload.get("canTrade")
    if not isinstance(can_trade, bool):
        raise bad(response, "accountConfig without a boolean canTrade")
    return KeyPermissions(can_read=True, can_trade=can_trade, can_withdraw=None,
                          ip_restricted=None)


def trading_status(response: Response) -> str:
    """``GET /fapi/v1/apiTradingStatus``: refuse when a quantitative rule locks trading."""
    payload = _object(response)
    indicators = payload.get("indicators")
    if not isinstance(indicators, Mapping):
        raise bad(response, "apiTradingStatus without indicators")
    locked = sorted(
        f"{scope} {item.get('indicator')}" for scope, items in indicators.items()
        for item in (items if isinstance(items, list) else ())
        if isinstance(item, Mapping) and item.get("isLocked"))
    if locked:
        raise PermissionDenied(
            f"trading locked by Binance's quantitative rules: {', '.join(locked)}",
            exchange=NAME)
    return "no trading-rule locks"


# ---------------------------------------------------------------- orders


def order(payload: Mapping[str, Any], market: Market) -> OrderResult:
    """An order object (new-order ``RESULT``/``ACK``, query, cancel) as an OrderResult."""
    native_type = str(payload.get("origType") or payload["type"])
    status = _STATUS.get(str(payload["status"]))
    if status is None:
        raise ValueError(f"unknown order status {payload['status']!r}")
    return OrderResult(
        exchange=NAME, symbol=market.symbol, order_id=str(payload["orderId"]),
        client_order_id=payload.get("clientOrderId") or None,
        side=str(payload["side"]).lower(),
        # STOP / TAKE_PROFIT rest at a limit price; the *_MARKET kinds execute at market
        type=OrderType.MARKET if native_type.endswith("MARKET") else OrderType.LIMIT,
        status=status, quantity=_decimal(payload["origQty"]),
        price=_nonzero(payload.get("price")),
        filled_quantity=_decimal(payload.get("executedQty", "0")),
        average_price=_nonzero(payload.get("avgPrice")),
        time_in_force=_TIME_IN_FORCE.get(str(payload.get("timeInForce"))),
        reduce_only=payload.get("reduceOnly") is True,
        created_at=_ms(payload.get("time")), updated_at=_ms(payload.get("updateTime")))


def order_for(market: Market) -> Callable[[Response], OrderResult]:
    """A parser of one order response for ``market``."""
    def parse(response: Response) -> OrderResult:
        payload = _object(response)
        if payload.get("symbol") not in (None, market.native):
            raise bad(response, f"order for {payload.get('symbol')!r}, asked {market.native!r}")
        try:
            return order(payload, market)
        except (KeyError, TypeError, ValueError) as exc:
            raise bad(response, f"order: {exc!r}") from None
    return parse
