"""BingX rate-limit rules, what each endpoint costs, and the usage headers.

Source: the BX-V3 docs bundle (BingX-API/docs-v3 @ d84f954, 2025-10-29), "Basic
Information" / rate-limit section and the ``rate-limitation`` / ``ip-rate-limitation``
fields of each endpoint entry; summarised in shared/exchanges/bingx.md section 6. BingX
changed its limits on 2025-09-10: re-check before relying on the numbers (a host can
override any rule through ``connect(rate_limits=...)``).

Two independent layers:

* per account (UID): "each api has its own independent rate limit"; place, cancel, query
  and balance are 5 requests per second each;
* per IP, by group: market group [1] 500 / 10 s and 1000 / min for all its endpoints;
  account groups [2] and [3] 2000 / 10 s for the group plus 300 / 10 s per endpoint.
"""

from __future__ import annotations

from collections.abc import Mapping

from venuekit.models import LimitScope, RateLimit, Usage
from venuekit.usage import header_int, usage_from_remaining
from venuekit.wire import Response

__all__ = ["COSTS", "EXPIRE_HEADER", "REMAIN_HEADER", "RULES", "usage"]

REMAIN_HEADER = "X-RateLimit-Requests-Remain"
EXPIRE_HEADER = "X-RateLimit-Requests-Expire"

RULES: tuple[RateLimit, ...] = (
    # IP group [1] (market data): "500 requests per 10 seconds and 1000 requests per minute"
    # for all interfaces in the group (BX-V3 Basic Information).
    RateLimit("ip_market", 500, 10.0, LimitScope.IP),
    RateLimit("ip_market_minute", 1000, 60.0, LimitScope.IP),
    # IP groups [2] and [3] (account): "2000 requests per 10 seconds" for the whole group
    # (BX-V3 Basic Information); query order is in group 2, balance/place/cancel in group 3
    # (the "ip-rate-limitation" field of each endpoint).
    RateLimit("ip_group2", 2000, 10.0, LimitScope.IP),
    RateLimit("ip_group3", 2000, 10.0, LimitScope.IP),
    # ... "with an individual IP rate limit of 300 requests per 10 seconds for each
    # interface" (BX-V3 Basic Information).
    RateLimit("ip_balance", 300, 10.0, LimitScope.IP),
    RateLimit("ip_place", 300, 10.0, LimitScope.IP),
    RateLimit("ip_cancel", 300, 10.0, LimitScope.IP),
    RateLimit("ip_query", 300, 10.0, LimitScope.IP),
    # UID limits, independent per endpoint: "rate-limitation": "5/second" on
    # GET /openApi/swap/v3/user/balance, POST, DELETE and GET /openApi/swap/v2/trade/order.
    RateLimit("uid_balance", 5, 1.0, LimitScope.ACCOUNT),
    RateLimit("uid_place", 5, 1.0, LimitScope.ACCOUNT),
    RateLimit("uid_cancel", 5, 1.0, LimitScope.ACCOUNT),
    RateLimit("uid_query", 5, 1.0, LimitScope.ACCOUNT),
    # account state and batches (bingx-account-streams.md section 2: "UID / grp" column):
    # each endpoint 5/s per UID and 300 / 10 s per IP, in IP group 2 or 3
    *(rule for name in ("open_orders", "fills", "positions", "cancel_all", "batch_place",
                        "batch_cancel", "amend", "leverage", "leverage_get")
      for rule in (RateLimit(f"uid_{name}", 5, 1.0, LimitScope.ACCOUNT),
                   RateLimit(f"ip_{name}", 300, 10.0, LimitScope.IP))),
)

_LIMIT = {rule.name: rule.limit for rule in RULES}

#: What each request spends, by endpoint. Server time is put in the market group: the docs
#: give it no group, and the market group is the strictest IP group.
COSTS: Mapping[str, Mapping[str, int]] = {
    "server_time": {"ip_market": 1, "ip_market_minute": 1},
    "contracts": {"ip_market": 1, "ip_market_minute": 1},
    "balance": {"ip_group3": 1, "ip_balance": 1, "uid_balance": 1},
    "place": {"ip_group3": 1, "ip_place": 1, "uid_place": 1},
    "cancel": {"ip_group3": 1, "ip_cancel": 1, "uid_cancel": 1},
    "query": {"ip_group2": 1, "ip_query": 1, "uid_query": 1},
    "ticker": {"ip_market": 1, "ip_market_minute": 1},
    "depth": {"ip_market": 1, "ip_market_minute": 1},
    **{name: {f"ip_group{group}": 1, f"ip_{name}": 1, f"uid_{name}": 1}
       for name, group in (("open_orders", 3), ("fills", 2), ("positions", 3),
                           ("cancel_all", 2), ("batch_place", 3), ("batch_cancel", 3),
                           ("amend", 3), ("leverage", 2), ("leverage_get", 2))},
}


def usage(response: Response) -> list[Usage]:
    """Usage from ``X-RateLimit-Requests-Remain``, for the tightest rule the request spent.

    The docs describe the header right after the per-UID, per-endpoint limit ("users can
    check the current frequency limit usage ... X-RateLimit-Requests-Remain (remaining
    number of frequency limits)") without naming the counter. It is read against the
    tightest rule the request costs (the UID rule, 5 / s, on private endpoints), as
    ``used = limit - remain``. That reading is safe whichever counter the header really
    reports: a larger counter only yields a figure at or below the rule's limit when it is
    nearly exhausted, which is exactly when slowing down is right; a ``remain`` above the
    limit says nothing about this rule and is ignored. ``X-RateLimit-Requests-Expire`` (the
    window's end) is not used: the limiter's sliding log already knows its window.
    """
    sent = response.request.request if response.request is not None else None
    spent = [name for name, cost in sent.cost.items() if cost and name in _LIMIT] if sent else []
    if not spent:
        return []
    tightest = min(spent, key=lambda name: (_LIMIT[name], name))
    return usage_from_remaining(tightest, limit=_LIMIT[tightest],
                                remaining=header_int(response, REMAIN_HEADER))
