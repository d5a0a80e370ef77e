"""Hook implementations of the example venue: each one a short delegation."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from venuekit import hookimpl
from venuekit.account_models import Fill, OrderBook, Position, Ticker
from venuekit.errors import VenueError
from venuekit.flows import Flow, Pages
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
from venuekit.stream_models import (
    SocketContext,
    StreamEvent,
    StreamFrame,
    StreamInfo,
    StreamRole,
    StreamSession,
    Subscription,
)
from venuekit.wire import Call, Request, Response, SignedRequest

from . import account, endpoints, errors, signing, streams

USED_WEIGHT_HEADER = "X-EX-USED-WEIGHT-1M"

#: Everything of part two: the sample venue supports it all.
ACCOUNT_CAPABILITIES = frozenset({
    Capability.FETCH_OPEN_ORDERS, Capability.FETCH_OPEN_ORDERS_ALL_SYMBOLS,
    Capability.FETCH_MY_TRADES, Capability.FETCH_POSITIONS, Capability.CANCEL_ALL_ORDERS,
    Capability.CANCEL_ORDERS, Capability.AMEND_ORDER_PRICE, Capability.AMEND_ORDER_QUANTITY,
    Capability.SET_LEVERAGE, Capability.PLACE_ORDERS, Capability.FETCH_TICKER,
    Capability.FETCH_ORDER_BOOK,
})


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
                                Capability.TESTNET, Capability.KEY_PERMISSIONS,
                                *ACCOUNT_CAPABILITIES}),
        request_window_s=3.0,  # the venue accepts a signed request for 3 s
        max_batch_orders=account.MAX_BATCH_ORDERS,
        max_batch_cancels=account.MAX_BATCH_CANCELS,
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


# ---------------------------------------------------------------- account state and market data


@hookimpl
def fetch_open_orders(market: Market | None,
                      all_markets: list[Market]) -> Call[list[OrderResult]]:
    return account.fetch_open_orders(market, all_markets)


@hookimpl
def fetch_my_trades(market: Market, since: datetime | None, limit: int | None) -> Pages[Fill]:
    return account.fetch_my_trades(market, since, limit)


@hookimpl
def fetch_positions(markets: list[Market] | None,
                    all_markets: list[Market]) -> Flow[list[Position]]:
    return account.fetch_positions(markets, all_markets)


@hookimpl
def cancel_all_orders(market: Market) -> Flow[list[OrderResult]]:
    return account.cancel_all_orders(market)


@hookimpl
def cancel_orders(refs: list[OrderRef],
                  market: Market) -> Call[list[OrderResult | VenueError]]:
    return account.cancel_orders(refs, market)


@hookimpl
def amend_order(ref: OrderRef, market: Market, quantity: Decimal | None,
                price: Decimal | None) -> Flow[OrderResult]:
    return account.amend_order(ref, market, quantity, price)


@hookimpl
def set_leverage(market: Market, leverage: int) -> Flow[int]:
    return account.set_leverage(market, leverage)


@hookimpl
def place_orders(orders: list[OrderParams],
                 markets: list[Market]) -> Call[list[OrderResult | VenueError]]:
    return account.place_orders(orders, markets)


@hookimpl
def fetch_ticker(market: Market) -> Call[Ticker]:
    return account.fetch_ticker(market)


@hookimpl
def fetch_order_book(market: Market, depth: int) -> Call[OrderBook]:
    return account.fetch_order_book(market, depth)


# ---------------------------------------------------------------- streams


@hookimpl
def stream_info() -> StreamInfo:
    return streams.stream_info()


@hookimpl
def stream_session(role: StreamRole) -> StreamSession | None:
    return streams.stream_session(role)


@hookimpl
def stream_url(context: SocketContext) -> str | None:
    return streams.stream_url(context)


@hookimpl
def stream_login(context: SocketContext) -> list[str]:
    return streams.stream_login(context)


@hookimpl
def stream_subscribe(context: SocketContext, subscriptions: list[Subscription],
                     subscribe: bool) -> list[str]:
    return streams.stream_subscribe(context, subscriptions, subscribe)


@hookimpl
def parse_stream_frame(frame: StreamFrame) -> list[StreamEvent]:
    return streams.parse_stream_frame(frame)
