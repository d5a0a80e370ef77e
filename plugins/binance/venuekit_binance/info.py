"""What Binance USDⓈ-M futures is: hosts, keys, limits, client-id rules, usage headers."""

from __future__ import annotations

import string

from venuekit.models import (
    Capability,
    ClientOrderIdRule,
    ExchangeInfo,
    Hosts,
    KeyType,
    LimitScope,
    RateLimit,
    Usage,
)
from venuekit.usage import usage_from_headers as usages_from
from venuekit.wire import Response

from . import NAME, signing
from .account import MAX_BATCH_CANCELS, MAX_BATCH_ORDERS
from .endpoints import IP_WEIGHT, ORDERS_1M, ORDERS_10S

LIVE_HOST = "https://fapi.binance.com"
#: General Info, "Testnet API Information": "The REST base url for testnet is
#: https://demo-fapi.binance.com" (the old testnet.binancefuture.com is legacy; README).
TESTNET_HOST = "https://demo-fapi.binance.com"

#: ``newClientOrderId`` on the New Order page: ``^[\.A-Z\:/a-z0-9_-]{1,36}$``.
CLIENT_ORDER_ID_PATTERN = r"^[\.A-Z\:/a-z0-9_-]{1,36}$"

#: Response headers carrying the venue's own count, per limiter rule (General Info, LIMITS).
USAGE_HEADERS = (
    ("X-MBX-USED-WEIGHT-1M", IP_WEIGHT),
    ("X-MBX-ORDER-COUNT-10S", ORDERS_10S),
    ("X-MBX-ORDER-COUNT-1M", ORDERS_1M),
)


def exchange_info() -> ExchangeInfo:
    return ExchangeInfo(
        name=NAME,
        display_name="Binance USDⓈ-M Futures",
        hosts=Hosts(live=LIVE_HOST, testnet=TESTNET_HOST),
        # api_secret (HMAC) or private_key (Ed25519) is checked when signing: the core's
        # credential check cannot tell the key types apart (see README)
        credential_fields=("api_key", "api_secret"),  # core asks private_key of key pairs
        key_types=frozenset({KeyType.HMAC, KeyType.ED25519}),
        rate_limits=(
            # REQUEST_WEIGHT 1 MINUTE 2400, per IP: exchangeInfo "rateLimits" example on the
            # Exchange Information page and the "Rate Limits on Binance Futures" FAQ
            # (binance.com/en/support/faq/281596e222414cdd9051664ea621cdc3): "default rate
            # limit per IP is 2,400/min". exchangeInfo is authoritative.
            RateLimit(IP_WEIGHT, 2400, 60.0, LimitScope.IP),
            # ORDERS 1 MINUTE 1200, per account: same two sources ("default order limit per
            # account/sub-account is 1,200/min").
            RateLimit(ORDERS_1M, 1200, 60.0, LimitScope.ACCOUNT),
            # ORDERS 10 SECOND 300, per account: same FAQ ("an additional 10-second limit
            # applicable to USDⓈ-M Futures, default at 300/10s"); counted by the
            # X-MBX-ORDER-COUNT-10S header of the New Order page.
            RateLimit(ORDERS_10S, 300, 10.0, LimitScope.ACCOUNT),
        ),
        client_order_id=ClientOrderIdRule(
            max_length=36, charset=string.ascii_letters + string.digits + ".:/_-",
            pattern=CLIENT_ORDER_ID_PATTERN),
        capabilities=frozenset({
            Capability.FETCH_ORDER_BY_CLIENT_ID,  # GET /fapi/v1/order?origClientOrderId=
            Capability.REDUCE_ONLY,
            Capability.TESTNET,
            Capability.KEY_PERMISSIONS,
            # account state and market data: every operation has a documented endpoint
            # (README, "Supported operations")
            Capability.FETCH_OPEN_ORDERS, Capability.FETCH_OPEN_ORDERS_ALL_SYMBOLS,
            Capability.FETCH_MY_TRADES, Capability.FETCH_POSITIONS,
            Capability.CANCEL_ALL_ORDERS, Capability.CANCEL_ORDERS,
            Capability.AMEND_ORDER_PRICE, Capability.AMEND_ORDER_QUANTITY,
            Capability.SET_LEVERAGE, Capability.PLACE_ORDERS, Capability.FETCH_TICKER,
            Capability.FETCH_ORDER_BOOK,
        }),
        max_batch_orders=MAX_BATCH_ORDERS,
        max_batch_cancels=MAX_BATCH_CANCELS,
        request_window_s=signing.RECV_WINDOW_MS / 1000.0,
    )


def usage_from_headers(response: Response) -> list[Usage]:
    """``X-MBX-USED-WEIGHT-1M`` and ``X-MBX-ORDER-COUNT-10S/-1M`` as limiter usage."""
    return usages_from(response, USAGE_HEADERS)
