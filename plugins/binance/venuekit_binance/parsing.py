"""Readers of Binance USDⓈ-M payloads into core models: plain functions, no I/O.

Success responses are the bare JSON object or array (no envelope). Anything that is not
what the docs describe becomes :class:`~venuekit.errors.BadResponse` naming the venue.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal

from venuekit.errors import PermissionDenied
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

from . import NAME

#: Change Initial Leverage takes ``leverage`` "int from 1 to 125".
MAX_LEVERAGE = 125

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

#: Binance writes sides in capitals; lower case is read too rather than refused
_SIDE = {"BUY": Side.BUY, "SELL": Side.SELL, "buy": Side.BUY, "sell": Side.SELL}
_ZERO = Decimal(0)

_TIME_IN_FORCE = {
    "GTC": TimeInForce.GTC,
    "IOC": TimeInForce.IOC,
    "FOK": TimeInForce.FOK,
    "GTX": TimeInForce.POST_ONLY,  # "Good Till Crossing": Binance's post-only
}


# ---------------------------------------------------------------- public


def server_time(response: Response) -> int:
    """``GET /fapi/v1/time``: ``{"serverTime": 1499827319559}``."""
    return Reader.of(response).ms("serverTime")


def _filter(row: Reader, kind: str) -> Reader | None:
    for item in row.rows("filters") if row.get("filters") is not None else ():
        if item.get("filterType") == kind:
            return item
    return None


def market(row: Reader) -> Market:
    """One ``symbols[]`` entry of ``GET /fapi/v1/exchangeInfo`` (a perpetual)."""
    native = row.text("symbol")
    price, lot = _filter(row, "PRICE_FILTER"), _filter(row, "LOT_SIZE")
    if price is None or lot is None:
        raise row.error(f"{native} lacks a PRICE_FILTER or LOT_SIZE filter", "filters")
    notional = _filter(row, "MIN_NOTIONAL")
    base, quote = row.text("baseAsset"), row.text("quoteAsset")
    settle = row.optional_text("marginAsset") or quote
    return Market(symbol=f"{base}/{quote}:{settle}", native=native, base=base,
                  quote=quote, settle=settle, kind=MarketKind.SWAP,
                  tick_size=price.decimal("tickSize"), step_size=lot.decimal("stepSize"),
                  min_quantity=lot.decimal("minQty"),
                  min_notional=None if notional is None else notional.optional_decimal("notional"),
                  active=row.get("status") == "TRADING",
                  # Change Initial Leverage: "int from 1 to 125"; the symbol's bracket
                  # (GET /fapi/v1/leverageBracket, signed) may allow less
                  max_leverage=MAX_LEVERAGE)


def markets(response: Response) -> list[Market]:
    """Linear perpetuals (``contractType == "PERPETUAL"``); delivery contracts are skipped."""
    return [market(row) for row in Reader.of(response).rows("symbols")
            if row.get("contractType") == "PERPETUAL"]


# ---------------------------------------------------------------- account


def balance(response: Response) -> Balance:
    """``GET /fapi/v3/balance`` (same shape as v2): one row per asset of the futures wallet.

    ``total`` is the wallet balance, ``free`` what is available for new orders, ``used``
    the difference (margin held by positions and open orders), never below zero.
    """
    assets = []
    for row in Reader.of(response).rows():
        total, free = row.decimal("balance"), row.decimal("availableBalance")
        assets.append(AssetBalance(row.text("asset"), free, max(total - free, _ZERO),
                                   total))
    return Balance(NAME, assets)


def key_permissions(response: Response) -> KeyPermissions:
    """``GET /fapi/v1/accountConfig``: ``canTrade`` for the futures account.

    fapi tells nothing about the key's withdrawal right or IP whitelist (``canWithdraw``
    there means "may transfer out of the futures wallet", an account property), so both
    stay unknown rather than guessed.
    """
    can_trade = Reader.of(response).boolean("canTrade")
    return KeyPermissions(can_read=True, can_trade=can_trade, can_withdraw=None,
                          ip_restricted=None)


def trading_status(response: Response) -> str:
    """``GET /fapi/v1/apiTradingStatus``: refuse when a quantitative rule locks trading."""
    found = Reader.of(response).at("indicators")
    indicators = found.value
    if not isinstance(indicators, Mapping):
        raise found.error("not an object")
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


def order(row: Reader, market: Market) -> OrderResult:
    """An order object (new-order ``RESULT``/``ACK``, query, cancel) as an OrderResult."""
    native_type = row.optional_text("origType") or row.text("type")
    return OrderResult(
        exchange=NAME, symbol=market.symbol, order_id=row.text("orderId"),
        client_order_id=row.optional_text("clientOrderId"),
        side=row.choice("side", _SIDE),
        # STOP / TAKE_PROFIT rest at a limit price; the *_MARKET kinds execute at market
        type=OrderType.MARKET if native_type.endswith("MARKET") else OrderType.LIMIT,
        status=row.choice("status", _STATUS), quantity=row.decimal("origQty"),
        price=row.nonzero_decimal("price"),
        filled_quantity=row.optional_decimal("executedQty") or _ZERO,
        average_price=row.nonzero_decimal("avgPrice"),
        time_in_force=_TIME_IN_FORCE.get(str(row.get("timeInForce"))),
        reduce_only=row.get("reduceOnly") is True,
        created_at=row.optional_timestamp("time"),
        updated_at=row.optional_timestamp("updateTime"))


def order_for(market: Market) -> Callable[[Response], OrderResult]:
    """A parser of one order response for ``market``."""
    def parse(response: Response) -> OrderResult:
        row = Reader.of(response)
        if row.get("symbol") not in (None, market.native):
            raise row.error(f"order for {row.get('symbol')!r}, asked {market.native!r}",
                            "symbol")
        return order(row, market)
    return parse
