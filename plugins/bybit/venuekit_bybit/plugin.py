"""Hook implementations of the Bybit V5 plugin: each one a short delegation."""

from __future__ import annotations

from venuekit import hookimpl  # what `from venuekit import hookimpl` gives; see README
from venuekit.errors import VenueError
from venuekit.models import (
    Auth,
    Balance,
    Capability,
    Check,
    CheckRole,
    ClientOrderIdRule,
    ExchangeInfo,
    Hosts,
    KeyType,
    Market,
    OrderParams,
    OrderRef,
    OrderResult,
    Usage,
)
from venuekit.wire import Call, Request, Response, SignedRequest

from . import endpoints, errors, limits, signing

LIVE_HOST = "https://api.bybit.com"
TESTNET_HOST = "https://api-testnet.bybit.com"
#: Demo trading: a mainnet-side paper account with its own keys (connect(base_url=...)).
DEMO_HOST = "https://api-demo.bybit.com"

#: orderLinkId: at most 36 characters of digits, letters, "-" and "_" (Place Order).
CLIENT_ORDER_ID = ClientOrderIdRule(
    max_length=36,
    charset="0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_",
    pattern=r"[A-Za-z0-9_-]{1,36}")


@hookimpl
def exchange_info() -> ExchangeInfo:
    return ExchangeInfo(
        name=endpoints.NAME,
        display_name="Bybit",
        hosts=Hosts(live=LIVE_HOST, testnet=TESTNET_HOST, others={"demo": DEMO_HOST}),
        credential_fields=("api_key", "api_secret"),
        key_types=frozenset({KeyType.HMAC}),
        rate_limits=limits.RATE_LIMITS,
        client_order_id=CLIENT_ORDER_ID,
        capabilities=frozenset({Capability.FETCH_ORDER_BY_CLIENT_ID, Capability.REDUCE_ONLY,
                                Capability.TESTNET, Capability.KEY_PERMISSIONS}),
        request_window_s=signing.RECV_WINDOW_MS / 1000,
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
def check_connection() -> list[Check]:
    return [
        Check("server time", endpoints.server_time(), CheckRole.SERVER_TIME),
        Check("balance", endpoints.fetch_balance(), CheckRole.BALANCE),
        Check("key permissions", endpoints.key_permissions(), CheckRole.PERMISSIONS,
              required=False),
    ]


@hookimpl
def parse_error(response: Response) -> VenueError | None:
    return errors.parse_error(response)


@hookimpl
def rate_limit_feedback(response: Response) -> list[Usage]:
    return limits.usage(response)
