"""OKX V5 rate-limit rules, one per documented limit (OK-RL and each endpoint's page).

OKX counts trading endpoints per User ID + Instrument ID; venuekit's limiter scopes a rule to
the API key, so the per-instrument limits are modelled per key: conservative (one budget
shared by all instruments) and never over the venue's count for any one instrument. OKX
sends no usage headers (okx.md section 6), so the local log is the only count.
"""

from __future__ import annotations

from venuekit.models import LimitScope, RateLimit

TIME = "public_time"
INSTRUMENTS = "public_instruments"
BALANCE = "balance"
ACCOUNT_CONFIG = "account_config"
PLACE = "place_order"
CANCEL = "cancel_order"
ORDER_QUERY = "order_query"
SUB_ACCOUNT_ORDERS = "sub_account_orders"
OPEN_ORDERS = "orders_pending"
FILLS = "fills_history"
POSITIONS = "positions"
BATCH_ORDERS = "batch_orders"
BATCH_CANCEL = "batch_cancel"
AMEND = "amend_order"
SET_LEVERAGE = "set_leverage"
TICKER = "market_ticker"
BOOKS = "market_books"

RULES: tuple[RateLimit, ...] = (
    # GET /api/v5/public/time: 10 requests / 2 s, per IP (OK-PD "Get system time")
    RateLimit(TIME, 10, 2.0, LimitScope.IP),
    # GET /api/v5/public/instruments: 20 requests / 2 s, per IP + instType (OK-PD "Get instruments")
    RateLimit(INSTRUMENTS, 20, 2.0, LimitScope.IP),
    # GET /api/v5/account/balance: 10 requests / 2 s, per User ID (OK-TA "Get balance")
    RateLimit(BALANCE, 10, 2.0, LimitScope.ACCOUNT),
    # GET /api/v5/account/config: 5 requests / 2 s, per User ID (OK-TA "Get account configuration")
    RateLimit(ACCOUNT_CONFIG, 5, 2.0, LimitScope.ACCOUNT),
    # POST /api/v5/trade/order: 60 / 2 s, per User ID + Instrument ID (OK-OBT "Place order")
    RateLimit(PLACE, 60, 2.0, LimitScope.ACCOUNT),
    # POST /api/v5/trade/cancel-order: 60 / 2 s, per User ID + Instrument ID (OK-OBT "Cancel order")
    RateLimit(CANCEL, 60, 2.0, LimitScope.ACCOUNT),
    # GET /api/v5/trade/order: 60 / 2 s, per User ID + Instrument ID (OK-OBT "Get order details")
    RateLimit(ORDER_QUERY, 60, 2.0, LimitScope.ACCOUNT),
    # new + amended orders: 1000 / 2 s per sub-account, the base fill-ratio tier (OK-RL
    # "Sub-account rate limit"; 50061 when exceeded); higher tiers via a host override
    RateLimit(SUB_ACCOUNT_ORDERS, 1000, 2.0, LimitScope.ACCOUNT),
    # GET /api/v5/trade/orders-pending: 60 / 2 s, per User ID (okx-account-streams.md §2)
    RateLimit(OPEN_ORDERS, 60, 2.0, LimitScope.ACCOUNT),
    # GET /api/v5/trade/fills-history: 10 / 2 s, per User ID
    RateLimit(FILLS, 10, 2.0, LimitScope.ACCOUNT),
    # GET /api/v5/account/positions: 10 / 2 s, per User ID
    RateLimit(POSITIONS, 10, 2.0, LimitScope.ACCOUNT),
    # POST /api/v5/trade/batch-orders: 300 orders / 2 s, per User ID + Instrument ID
    RateLimit(BATCH_ORDERS, 300, 2.0, LimitScope.ACCOUNT),
    # POST /api/v5/trade/cancel-batch-orders: 300 orders / 2 s, per User ID + Instrument ID
    RateLimit(BATCH_CANCEL, 300, 2.0, LimitScope.ACCOUNT),
    # POST /api/v5/trade/amend-order: 60 / 2 s, per User ID + Instrument ID
    RateLimit(AMEND, 60, 2.0, LimitScope.ACCOUNT),
    # POST /api/v5/account/set-leverage: 20 / 2 s, per User ID
    RateLimit(SET_LEVERAGE, 20, 2.0, LimitScope.ACCOUNT),
    # GET /api/v5/market/ticker: 20 / 2 s, per IP (OK-QH market data)
    RateLimit(TICKER, 20, 2.0, LimitScope.IP),
    # GET /api/v5/market/books: 40 / 2 s, per IP
    RateLimit(BOOKS, 40, 2.0, LimitScope.IP),
)
