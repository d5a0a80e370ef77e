"""Hook implementations for BingX USDT-M perpetual swap: each one a short delegation."""

from __future__ import annotations

# the hookspecs module, not the package: see the README (mypy and the lazy package exports)
from venuekit import hookimpl
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
from .parsing import NAME

LIVE = "https://open-api.bingx.com"
#: Demo trading ("VST"): same paths and symbols, selected by host (BX-V3 docs UI table).
DEMO = "https://open-api-vst.bingx.com"
#: "use only when the primary domain has problems"; "total frequency limit: 60/min" (BX-V3).
ALTERNATE = "https://open-api.bingx.io"

#: 1-40 characters, folded to lower case by the server (BX-V3 place-order table). The docs
#: name no other characters, so ids stay lower-case alphanumeric.
CLIENT_ORDER_ID = ClientOrderIdRule(max_length=40,
                                    charset="0123456789abcdefghijklmnopqrstuvwxyz",
                                    lowercase=True)


@hookimpl
def exchange_info() -> ExchangeInfo:
    return ExchangeInfo(
        name=NAME,
        display_name="BingX Perpetual Swap",
        hosts=Hosts(live=LIVE, testnet=DEMO, others={"alternate": ALTERNATE}),
        credential_fields=("api_key", "api_secret"),
        key_types=frozenset({KeyType.HMAC}),
        rate_limits=limits.RULES,
        client_order_id=CLIENT_ORDER_ID,
        capabilities=frozenset({Capability.FETCH_ORDER_BY_CLIENT_ID, Capability.REDUCE_ONLY,
                                Capability.TESTNET}),
        request_window_s=endpoints.RECV_WINDOW_MS / 1000,
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
    # No key-permission step: the facts file lists no endpoint for it.
    return [
        Check("server time", endpoints.server_time(), CheckRole.SERVER_TIME),
        Check("balance", endpoints.fetch_balance(), CheckRole.BALANCE),
    ]


@hookimpl
def parse_error(response: Response) -> VenueError | None:
    return errors.parse_error(response)


@hookimpl
def rate_limit_feedback(response: Response) -> list[Usage]:
    return limits.usage(response)
