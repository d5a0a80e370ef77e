"""Hook implementations of the Pionex spot plugin: each one a short delegation.

``login`` is not implemented: Pionex signs every request (no bearer token). Of the account
hooks, Pionex spot has no ``fetch_positions``, ``set_leverage``, ``amend_order`` or
``cancel_orders`` (no such endpoints): they are not implemented, their capabilities are
absent, and the core raises NotSupported before sending anything.
"""

from __future__ import annotations

from datetime import datetime

from venuekit import hookimpl  # "from venuekit import" fails mypy --strict (core)
from venuekit.account_models import Fill, OrderBook, Ticker
from venuekit.errors import VenueError
from venuekit.flows import Flow, Pages
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
from venuekit.stream_models import (
    SocketContext,
    StreamEvent,
    StreamFrame,
    StreamInfo,
    Subscription,
)
from venuekit.wire import Call, Request, Response, SignedRequest

from . import account, endpoints, errors, info, signing, streams


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
    # Pionex has no endpoint that describes an API key, so there is no permissions step.
    return [
        Check("server time", endpoints.server_time(), CheckRole.SERVER_TIME),
        Check("balance", endpoints.fetch_balance(), CheckRole.BALANCE),
    ]


@hookimpl
def parse_error(response: Response) -> VenueError | None:
    return errors.parse_error(response)


@hookimpl
def rate_limit_feedback(response: Response) -> list[Usage]:
    # Pionex sends no usage headers (PX-OAS "Rate Limits"); the limiter counts alone.
    return []


# ---------------------------------------------------------------- account state and market data


@hookimpl
def fetch_open_orders(market: Market | None,
                      all_markets: list[Market]) -> Call[list[OrderResult]] | None:
    return account.fetch_open_orders(market)


@hookimpl
def fetch_my_trades(market: Market, since: datetime | None, limit: int | None) -> Pages[Fill]:
    return account.fetch_my_trades(market, since)


@hookimpl
def cancel_all_orders(market: Market) -> Flow[list[OrderResult]]:
    return account.cancel_all_orders(market)


@hookimpl
def place_orders(orders: list[OrderParams],
                 markets: list[Market]) -> Call[list[OrderResult | VenueError]]:
    return account.place_orders(orders, markets)


@hookimpl
def fetch_ticker(market: Market) -> Flow[Ticker]:
    return account.fetch_ticker(market)


@hookimpl
def fetch_order_book(market: Market, depth: int) -> Call[OrderBook]:
    return account.fetch_order_book(market, depth)


# ---------------------------------------------------------------- streams
# No stream_session (the private URL is signed, no listenKey) and no stream_login (the
# signature in the URL is the login): see streams.py.


@hookimpl
def stream_info() -> StreamInfo:
    return streams.stream_info()


@hookimpl
def stream_url(context: SocketContext) -> str | None:
    return streams.stream_url(context)


@hookimpl
def stream_subscribe(context: SocketContext, subscriptions: list[Subscription],
                     subscribe: bool) -> list[str] | None:
    return streams.stream_subscribe(context, subscriptions, subscribe)


@hookimpl
def parse_stream_frame(frame: StreamFrame) -> list[StreamEvent]:
    return streams.parse_stream_frame(frame)
