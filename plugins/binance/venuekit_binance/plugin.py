"""Hook implementations for Binance USDⓈ-M futures: each one a short delegation."""

from __future__ import annotations

from venuekit.errors import VenueError
from venuekit.hookspecs import hookimpl  # = venuekit.hookimpl (see README, core notes)
from venuekit.models import (
    Auth,
    Balance,
    Check,
    CheckRole,
    ExchangeInfo,
    Market,
    OrderParams,
    OrderRef,
    OrderResult,
    Usage,
)
from venuekit.wire import Call, Request, Response, SignedRequest

from . import endpoints, errors, info, signing


@hookimpl
def exchange_info() -> ExchangeInfo:
    return info.exchange_info()


@hookimpl
def sign_request(request: Request, auth: Auth, timestamp_ms: int) -> SignedRequest:
    return signing.sign(request, auth, timestamp_ms)


@hookimpl
def server_time() -> Call[int]:
    return endpoints.server_time()


@hookimpl
def fetch_markets() -> Call[list[Market]]:
    return endpoints.fetch_markets()


@hookimpl
def fetch_balance() -> Call[Balance]:
    return endpoints.fetch_balance()


@hookimpl
def place_order(order: OrderParams, market: Market) -> Call[OrderResult]:
    return endpoints.place_order(order, market)


@hookimpl
def cancel_order(ref: OrderRef, market: Market) -> Call[OrderResult]:
    return endpoints.cancel_order(ref, market)


@hookimpl
def fetch_order(ref: OrderRef, market: Market) -> Call[OrderResult]:
    return endpoints.fetch_order(ref, market)


@hookimpl
def check_connection() -> list[Check]:
    return [
        Check("server time", endpoints.server_time(), CheckRole.SERVER_TIME),
        Check("balance", endpoints.fetch_balance(), CheckRole.BALANCE),
        Check("key permissions", endpoints.key_permissions(), CheckRole.PERMISSIONS,
              required=False),
        Check("trading status", endpoints.trading_status(), CheckRole.OTHER, required=False),
    ]


@hookimpl
def parse_error(response: Response) -> VenueError | None:
    return errors.parse_error(response)


@hookimpl
def rate_limit_feedback(response: Response) -> list[Usage]:
    return info.usage_from_headers(response)
