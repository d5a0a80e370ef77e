"""Hook implementations of the example venue: each one a short delegation."""

from __future__ import annotations

from venuekit import hookimpl
from venuekit.errors import VenueError
from venuekit.models import (
    Auth,
    Balance,
    Capability,
    ClientOrderIdRule,
    ExchangeInfo,
    Hosts,
    KeyPermissions,
    KeyType,
    LimitScope,
    Market,
    OrderParams,
    OrderRef,
    OrderResult,
    RateLimit,
    Usage,
)
from venuekit.wire import Call, Request, Response, SignedRequest

from . import endpoints, errors, signing

USED_WEIGHT_HEADER = "X-EX-USED-WEIGHT-1M"


@hookimpl
def exchange_info() -> ExchangeInfo:
    return ExchangeInfo(
        name=endpoints.NAME,
        display_name="Example Exchange",
        hosts=Hosts(live="https://api.example.invalid", testnet="https://testnet.example.invalid"),
        credential_fields=("api_key", "api_secret"),
        key_types=frozenset({KeyType.HMAC}),
        rate_limits=(
            RateLimit("ip", 1200, 60.0, LimitScope.IP),  # request weight per IP per minute
            RateLimit("orders", 50, 10.0, LimitScope.ACCOUNT),  # orders per key per 10 s
        ),
        client_order_id=ClientOrderIdRule(max_length=36, pattern=r"[A-Za-z0-9_-]{1,36}"),
        capabilities=frozenset({Capability.FETCH_ORDER_BY_CLIENT_ID, Capability.REDUCE_ONLY,
                                Capability.TESTNET, Capability.KEY_PERMISSIONS}),
        request_window_s=3.0,  # the venue accepts a signed request for 3 s
    )


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
def key_permissions() -> Call[KeyPermissions]:
    # no check_connection hook: the core's default test (server time, balance, this) fits
    return endpoints.key_permissions()


@hookimpl
def parse_error(response: Response) -> VenueError | None:
    return errors.parse_error(response)


@hookimpl
def rate_limit_feedback(response: Response) -> list[Usage]:
    used = response.header(USED_WEIGHT_HEADER)
    return [Usage("ip", int(used))] if used and used.isdigit() else []
