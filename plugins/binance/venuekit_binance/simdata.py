"""What the Binance simulator answers with: codes, weights, payload shapes, signature checks.

Kept apart from :mod:`venuekit_binance.simulator` (the routes and handlers) and written
from Binance's documentation, never from the plugin's signer or parsers.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

import nacl.exceptions
import nacl.signing
from venuekit.models import Credentials, KeyType
from venuekit.testing.simulator import ErrorKind, SimMarket, SimOrder

#: ErrorKind -> (HTTP status, Binance code)
CODES: dict[ErrorKind, tuple[int, str | int]] = {
    ErrorKind.AUTH: (401, -2015),
    ErrorKind.SIGNATURE: (400, -1022),
    ErrorKind.TIMESTAMP: (400, -1021),
    ErrorKind.PERMISSION: (401, -2015),
    ErrorKind.RATE_LIMIT: (429, -1003),
    ErrorKind.NOT_FOUND: (400, -2013),
    ErrorKind.INSUFFICIENT_FUNDS: (400, -2019),
    ErrorKind.INVALID: (400, -1130),
    ErrorKind.DUPLICATE: (400, -4116),
    ErrorKind.BELOW_MINIMUM: (400, -4164),
    ErrorKind.UNKNOWN_SYMBOL: (400, -1121),
    ErrorKind.UNAVAILABLE: (503, -1007),
    # Binance has no bearer tokens; a refused credential is its API-key rejection
    ErrorKind.TOKEN_EXPIRED: (401, -2015),
}

#: Binance's own message for the codes of :data:`CODES`
MESSAGES: dict[str | int, str] = {
    -2015: "Invalid API-key, IP, or permissions for action.",
    -1022: "Signature for this request is not valid.",
    -1021: "Timestamp for this request is outside of the recvWindow.",
    -1003: "Too many requests; current limit is 2400 requests per minute.",
    -2013: "Order does not exist.",
    -2019: "Margin is insufficient.",
    -1130: "Data sent for parameter is not valid.",
    -4116: "ClientOrderId is duplicated.",
    -4164: "Order's notional must be no smaller than 5.0 (unless you choose reduce only).",
    -1121: "Invalid symbol.",
    -1007: "Timeout waiting for response from backend server. Send status unknown; "
           "execution status unknown.",
}

#: Request weight per (method, path), from each endpoint's page.
WEIGHTS = {
    ("GET", "/fapi/v1/time"): 1, ("GET", "/fapi/v1/exchangeInfo"): 1,
    ("GET", "/fapi/v2/balance"): 5, ("GET", "/fapi/v3/balance"): 5,
    ("GET", "/fapi/v1/accountConfig"): 5, ("GET", "/fapi/v1/apiTradingStatus"): 10,
    ("POST", "/fapi/v1/order"): 0, ("GET", "/fapi/v1/order"): 1, ("DELETE", "/fapi/v1/order"): 1,
    # account state, batches, market data (binance-account-streams.md section 2)
    ("GET", "/fapi/v1/openOrders"): 1, ("DELETE", "/fapi/v1/allOpenOrders"): 1,
    ("GET", "/fapi/v1/userTrades"): 5, ("GET", "/fapi/v3/positionRisk"): 5,
    ("GET", "/fapi/v1/symbolConfig"): 5, ("POST", "/fapi/v1/leverage"): 1,
    ("POST", "/fapi/v1/marginType"): 1, ("POST", "/fapi/v1/positionSide/dual"): 1,
    ("PUT", "/fapi/v1/order"): 0, ("POST", "/fapi/v1/batchOrders"): 5,
    ("DELETE", "/fapi/v1/batchOrders"): 1, ("GET", "/fapi/v1/ticker/bookTicker"): 2,
    ("GET", "/fapi/v1/ticker/price"): 1, ("GET", "/fapi/v1/depth"): 2,
}

STATUS = {"open": "NEW", "partially_filled": "PARTIALLY_FILLED", "filled": "FILLED",
          "canceled": "CANCELED", "expired": "EXPIRED"}
TIF_IN = {"GTC": "gtc", "IOC": "ioc", "FOK": "fok", "GTX": "post_only"}
TIF_OUT = {value: key for key, value in TIF_IN.items()}
MAX_RECV_WINDOW_MS = 60000


def seed_of(private_key: str) -> bytes:
    """The simulator's own reading of an Ed25519 seed: 64 hex characters or base64."""
    text = private_key.strip()
    try:
        return bytes.fromhex(text) if len(text) == 64 else base64.b64decode(text)[-32:]
    except (ValueError, binascii.Error):
        raise ValueError("simulator: unreadable Ed25519 seed") from None


def strip_signature(part: str) -> tuple[str, str] | None:
    """``(part without "&signature=…", signature)`` when ``signature`` ends ``part``."""
    marker = "signature="
    if part.startswith(marker):
        head, value = "", part[len(marker):]
    else:
        index = part.rfind("&" + marker)
        if index < 0:
            return None
        head, value = part[:index], part[index + len(marker) + 1:]
    if "&" in value:
        return None  # a parameter follows the signature: Binance refuses that
    return head, value


def signature_ok(creds: Credentials, payload: bytes, sent: str) -> bool:
    """Binance's check of ``signature`` over ``totalParams``, for HMAC and Ed25519 keys."""
    if creds.key_type is KeyType.ED25519:
        try:
            raw = base64.b64decode(unquote(sent), validate=True)
            key = nacl.signing.SigningKey(seed_of(creds.private_key or "")).verify_key
            key.verify(payload, raw)
        except (ValueError, binascii.Error, nacl.exceptions.BadSignatureError):
            return False
        return True
    expected = hmac.new(creds.api_secret.encode(), payload, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, sent.lower())


def symbol_payload(m: SimMarket) -> dict[str, Any]:
    """One ``symbols[]`` entry of ``GET /fapi/v1/exchangeInfo`` for a perpetual."""
    return {
        "symbol": m.native, "pair": m.native, "contractType": "PERPETUAL",
        "deliveryDate": 4133404800000, "onboardDate": 1569398400000, "status": "TRADING",
        "baseAsset": m.base, "quoteAsset": m.quote, "marginAsset": m.quote,
        "pricePrecision": 2, "quantityPrecision": 3, "baseAssetPrecision": 8,
        "quotePrecision": 8, "underlyingType": "COIN", "triggerProtect": "0.0500",
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": str(m.tick_size),
             "maxPrice": "4529764", "tickSize": str(m.tick_size)},
            {"filterType": "LOT_SIZE", "minQty": str(m.min_quantity), "maxQty": "1000",
             "stepSize": str(m.step_size)},
            {"filterType": "MARKET_LOT_SIZE", "minQty": str(m.min_quantity),
             "maxQty": "120", "stepSize": str(m.step_size)},
            {"filterType": "MAX_NUM_ORDERS", "limit": 200},
            {"filterType": "MIN_NOTIONAL", "notional": str(m.min_notional)},
            {"filterType": "PERCENT_PRICE", "multiplierUp": "1.0500",
             "multiplierDown": "0.9500", "multiplierDecimal": "4"},
        ],
        "orderTypes": ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT",
                       "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"],
        "timeInForce": ["GTC", "IOC", "FOK", "GTX", "GTD"],
    }


def order_payload(order: SimOrder, *, with_time: bool) -> dict[str, Any]:
    """Binance's order object; ``time`` (creation) appears on queries only, as on fapi."""
    executed = order.filled
    average = order.average_price or Decimal(0)
    payload: dict[str, Any] = {
        "orderId": int(order.order_id), "symbol": order.symbol,
        "status": STATUS[order.status], "clientOrderId": order.client_order_id,
        "price": str(order.price or 0), "avgPrice": str(average),
        "origQty": str(order.quantity), "executedQty": str(executed),
        "cumQty": str(executed), "cumQuote": str(executed * average),
        "timeInForce": TIF_OUT.get(order.time_in_force, "GTC"),
        "type": order.type.upper(), "origType": order.type.upper(),
        "reduceOnly": order.reduce_only, "closePosition": False,
        "side": order.side.upper(), "positionSide": "BOTH", "stopPrice": "0",
        "workingType": "CONTRACT_PRICE", "priceProtect": False, "priceMatch": "NONE",
        "selfTradePreventionMode": "EXPIRE_MAKER", "goodTillDate": 0,
        "updateTime": order.updated_ms,
    }
    if with_time:
        payload["time"] = order.created_ms
    return payload
