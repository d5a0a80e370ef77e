"""Bybit V5 rate limits and the usage the venue reports in its response headers.

Source for every number: Bybit V5 "Rate Limit Rules" (docs/v5/rate-limit/rate-limit.mdx in
bybit-exchange/docs). Two layers:

* per IP: 600 requests in any 5 s window, across all hosts of an environment; breaching it
  gets HTTP 403 "access too frequent" and a ban of at least 10 minutes;
* per UID and endpoint, rolling 1 s windows (default tier, UTA 2.0 Pro, linear column);
  breaching one gets ``retCode 10006``. Every response carries ``X-Bapi-Limit`` (the limit
  of this endpoint), ``X-Bapi-Limit-Status`` (what is left of it) and
  ``X-Bapi-Limit-Reset-Timestamp`` (ms when a breached limit resets; else the current time).

The per-UID rules are declared with ACCOUNT scope, which the core keys by API key: several
keys of one UID each get a full budget here, while Bybit counts them together.
"""

from __future__ import annotations

from venuekit.models import LimitScope, RateLimit, Usage
from venuekit.usage import header_int, usage_from_remaining
from venuekit.wire import Response

IP = "ip"
ORDER_CREATE = "order_create"
ORDER_CANCEL = "order_cancel"
ORDER_REALTIME = "order_realtime"
WALLET_BALANCE = "wallet_balance"
QUERY_API = "query_api"
EXECUTION_LIST = "execution_list"
POSITION_LIST = "position_list"
ACCOUNT_INFO = "account_info"
CANCEL_ALL = "cancel_all"
BATCH_CREATE = "batch_create"
BATCH_CANCEL = "batch_cancel"
ORDER_AMEND = "order_amend"
SET_LEVERAGE = "set_leverage"
SWITCH_MODE = "switch_mode"
SET_MARGIN_MODE = "set_margin_mode"

RATE_LIMITS: tuple[RateLimit, ...] = (
    # "600 requests within a 5-second window per IP" (Rate Limit Rules, HTTP IP limit)
    RateLimit(IP, 600, 5.0, LimitScope.IP),
    # POST /v5/order/create, linear: 10/s per UID, upgradable (API Rate Limit Table, Trade)
    RateLimit(ORDER_CREATE, 10, 1.0, LimitScope.ACCOUNT),
    # POST /v5/order/cancel, linear: 10/s per UID, upgradable (Trade)
    RateLimit(ORDER_CANCEL, 10, 1.0, LimitScope.ACCOUNT),
    # GET /v5/order/realtime: 50/s per UID, all categories (Trade)
    RateLimit(ORDER_REALTIME, 50, 1.0, LimitScope.ACCOUNT),
    # GET /v5/account/wallet-balance, accountType=UNIFIED: 50/s per UID (Account)
    RateLimit(WALLET_BALANCE, 50, 1.0, LimitScope.ACCOUNT),
    # GET /v5/user/query-api: 10 req/s per UID (User)
    RateLimit(QUERY_API, 10, 1.0, LimitScope.ACCOUNT),
    # account state (bybit-account-streams.md section 2, linear column of the table)
    RateLimit(EXECUTION_LIST, 50, 1.0, LimitScope.ACCOUNT),  # GET /v5/execution/list
    RateLimit(POSITION_LIST, 50, 1.0, LimitScope.ACCOUNT),  # GET /v5/position/list
    RateLimit(ACCOUNT_INFO, 50, 1.0, LimitScope.ACCOUNT),  # GET /v5/account/info
    RateLimit(CANCEL_ALL, 10, 1.0, LimitScope.ACCOUNT),  # POST /v5/order/cancel-all
    # batch endpoints: their own bucket, "consumption = number of orders in the request"
    RateLimit(BATCH_CREATE, 10, 1.0, LimitScope.ACCOUNT),  # POST /v5/order/create-batch
    RateLimit(BATCH_CANCEL, 10, 1.0, LimitScope.ACCOUNT),  # POST /v5/order/cancel-batch
    RateLimit(ORDER_AMEND, 10, 1.0, LimitScope.ACCOUNT),  # POST /v5/order/amend
    RateLimit(SET_LEVERAGE, 10, 1.0, LimitScope.ACCOUNT),  # POST /v5/position/set-leverage
    RateLimit(SWITCH_MODE, 10, 1.0, LimitScope.ACCOUNT),  # POST /v5/position/switch-mode
    RateLimit(SET_MARGIN_MODE, 5, 1.0, LimitScope.ACCOUNT),  # POST /v5/account/set-margin-mode
)

#: Which per-UID rule each private endpoint spends; public endpoints spend the IP rule only.
RULE_BY_PATH: dict[str, str] = {
    "/v5/order/create": ORDER_CREATE,
    "/v5/order/cancel": ORDER_CANCEL,
    "/v5/order/realtime": ORDER_REALTIME,
    "/v5/account/wallet-balance": WALLET_BALANCE,
    "/v5/user/query-api": QUERY_API,
    "/v5/execution/list": EXECUTION_LIST,
    "/v5/position/list": POSITION_LIST,
    "/v5/account/info": ACCOUNT_INFO,
    "/v5/order/cancel-all": CANCEL_ALL,
    "/v5/order/create-batch": BATCH_CREATE,
    "/v5/order/cancel-batch": BATCH_CANCEL,
    "/v5/order/amend": ORDER_AMEND,
    "/v5/position/set-leverage": SET_LEVERAGE,
    "/v5/position/switch-mode": SWITCH_MODE,
    "/v5/account/set-margin-mode": SET_MARGIN_MODE,
}

LIMIT_HEADER = "X-Bapi-Limit"
STATUS_HEADER = "X-Bapi-Limit-Status"
RESET_HEADER = "X-Bapi-Limit-Reset-Timestamp"


def cost(path: str, orders: int = 1) -> dict[str, int]:
    """The limiter cost of one request to ``path``: the IP rule plus its endpoint rule,
    which a batch spends once per order in it."""
    costs = {IP: 1}
    rule = RULE_BY_PATH.get(path)
    if rule is not None:
        costs[rule] = orders
    return costs


def usage(response: Response) -> list[Usage]:
    """``Usage(rule, limit - remaining)`` for the endpoint rule of the answered request."""
    if response.request is None:
        return []
    rule = RULE_BY_PATH.get(response.request.path)
    if rule is None:
        return []
    return usage_from_remaining(rule, limit=header_int(response, LIMIT_HEADER),
                                remaining=header_int(response, STATUS_HEADER))


def reset_after_s(response: Response, server_ms: int | None) -> float | None:
    """Seconds until a breached endpoint limit resets, from the reset header and the
    envelope's own ``time`` (both on Bybit's clock, so no local clock is involved)."""
    reset = header_int(response, RESET_HEADER)
    if reset is None or server_ms is None or reset <= server_ms:
        return None
    return (reset - server_ms) / 1000.0
