"""What Pionex is: hosts, credentials, limits, client-id rules and capabilities, with sources.

Sources (see README.md): PX-OAS is Pionex's OpenAPI spec of the Trade API
(``pionex-official/pionex-open-api`` ``openapi.yaml``, same text on
https://www.pionex.com/docs/api-docs/trade-api/); PX-GB the older official GitBook
(https://pionex-doc.gitbook.io/apidocs/).
"""

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
)

__all__ = ["ACCOUNT", "DISPLAY_NAME", "IP", "LIVE_URL", "NAME", "exchange_info"]

NAME = "pionex"
DISPLAY_NAME = "Pionex"
#: PX-OAS ``servers``: the only environment. Pionex has no testnet or demo host.
LIVE_URL = "https://api.pionex.com"
WS_PUBLIC_URL = "wss://ws.pionex.com/wsPub"
WS_PRIVATE_URL = "wss://ws.pionex.com/ws"

#: limiter rule names (the keys of every Request.cost)
IP = "ip"
ACCOUNT = "account"

#: PX-OAS ``NewOrderRequest.clientOrderId``: ``maxLength: 64``, ``pattern: ^[a-zA-Z0-9-]+$``
CLIENT_ORDER_ID = ClientOrderIdRule(
    max_length=64,
    charset=string.digits + string.ascii_letters + "-",
    pattern=r"[a-zA-Z0-9-]{1,64}",
)

#: PX-OAS ``MassOrderRequest.orders``: ``maxItems: 20``
MAX_BATCH_ORDERS = 20

#: PX-OAS "Timestamp" parameter: "valid range +/- 20 seconds"
REQUEST_WINDOW_S = 20.0


def exchange_info() -> ExchangeInfo:
    return ExchangeInfo(
        name=NAME,
        display_name=DISPLAY_NAME,
        hosts=Hosts(live=LIVE_URL, testnet=None,
                    others={"ws_public": WS_PUBLIC_URL, "ws_private": WS_PRIVATE_URL}),
        credential_fields=("api_key", "api_secret"),
        # PX-OAS "Authentication": HMAC SHA256 only (no RSA / Ed25519 keys, no passphrase)
        key_types=frozenset({KeyType.HMAC}),
        rate_limits=(
            # PX-OAS "Rate Limits": "All endpoints share the 10 per second limit based on
            # IP", counted in endpoint weight (symbols 5, everything else used here 1).
            RateLimit(IP, 10, 1.0, LimitScope.IP),
            # PX-OAS "Rate Limits": "Private endpoints share the 10 per second limit based
            # on ACCOUNT", independent of the IP limit.
            RateLimit(ACCOUNT, 10, 1.0, LimitScope.ACCOUNT),
        ),
        client_order_id=CLIENT_ORDER_ID,
        capabilities=frozenset({
            # PX-OAS GET /api/v1/trade/orderByClientOrderId
            Capability.FETCH_ORDER_BY_CLIENT_ID,
            # PX-OAS NewOrderRequest.amount: "required for MARKET buy orders"
            Capability.MARKET_BUY_BY_QUOTE,
            # PX-OAS GET /api/v1/trade/openOrders (symbol required: no all-symbols form)
            Capability.FETCH_OPEN_ORDERS,
            # PX-OAS GET /api/v1/trade/fills (time window, newest first)
            Capability.FETCH_MY_TRADES,
            # PX-OAS DELETE /api/v1/trade/allOrders
            Capability.CANCEL_ALL_ORDERS,
            # PX-OAS POST /api/v1/trade/massOrder (up to 20 LIMIT orders of one symbol)
            Capability.PLACE_ORDERS,
            # PX-OAS GET /api/v1/market/bookTickers and /tickers
            Capability.FETCH_TICKER,
            # PX-OAS GET /api/v1/market/depth
            Capability.FETCH_ORDER_BOOK,
            # Absent on purpose: FETCH_OPEN_ORDERS_ALL_SYMBOLS, FETCH_POSITIONS,
            # SET_LEVERAGE, AMEND_ORDER_PRICE/QUANTITY, CANCEL_ORDERS: spot Pionex has no
            # such endpoint (positions and leverage exist only on the "Beta" perps API).
        }),
        request_window_s=REQUEST_WINDOW_S,
        max_batch_orders=MAX_BATCH_ORDERS,
    )
