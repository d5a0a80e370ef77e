"""Hook implementations for OrangeX USDT-margined perpetuals: each one a short delegation.

OrangeX is token-based: ``login`` opens a session, ``sign_request`` puts its bearer token on
private calls. See README.md for hosts, limits, quirks and the doubts resolved.

OrangeX has no batch orders, no amend and no batch cancel: ``place_orders``,
``amend_order`` and ``cancel_orders`` are not implemented, their capabilities are absent,
and the core raises NotSupported before sending anything.
"""

from __future__ import annotations

from datetime import datetime

from venuekit import hookimpl
from venuekit.account_models import Fill, OrderBook, Position, Ticker
from venuekit.errors import VenueError
from venuekit.flows import Flow, Pages
from venuekit.models import (
    Auth,
    AuthToken,
    Balance,
    Capability,
    Check,
    CheckRole,
    ClientOrderIdRule,
    Credentials,
    ExchangeInfo,
    Hosts,
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
    Subscription,
)
from venuekit.wire import Call, Request, Response, SignedRequest

from . import account, endpoints, errors, orders, rpc, signing, streams

LIVE_HOST = "https://api.orangex.com/api/v1"
WEBSOCKET_HOST = "wss://api.orangex.com/ws/api/v1"
CLIENT_ORDER_ID_PATTERN = r"[\.A-Z\:/a-z0-9_-]{1,36}"


@hookimpl
def exchange_info() -> ExchangeInfo:
    return ExchangeInfo(
        name=rpc.NAME,
        display_name="OrangeX",
        # No testnet or demo host exists (OX-DOC, OX-AO): testnet=True is refused at connect.
        hosts=Hosts(live=LIVE_HOST, testnet=None, others={"websocket": WEBSOCKET_HOST}),
        credential_fields=("api_key", "api_secret"),  # client_id, client_secret
        key_types=frozenset({KeyType.HMAC}),
        rate_limits=(
            # REST limits are unpublished (OX-AO); OrangeX support stated 10 requests per
            # second (OX-DY, 2026-07-28). Counted per host, the conservative reading.
            RateLimit(rpc.RULE, 10, 1.0, LimitScope.IP),
        ),
        # custom_order_id: ^[\.A-Z\:/a-z0-9_-]{1,36}$ (OX-DOC)
        client_order_id=ClientOrderIdRule(max_length=36, pattern=CLIENT_ORDER_ID_PATTERN),
        # No FETCH_ORDER_BY_CLIENT_ID: OrangeX looks orders up by order_id only. The core
        # therefore never resends an order after an ambiguous failure.
        capabilities=frozenset({
            Capability.REDUCE_ONLY, Capability.KEY_PERMISSIONS,
            Capability.FETCH_OPEN_ORDERS,  # get_open_orders_by_instrument (live, OX-DY)
            Capability.FETCH_OPEN_ORDERS_ALL_SYMBOLS,  # get_open_orders_by_currency
            Capability.FETCH_MY_TRADES,  # get_user_trades_by_instrument, has_more paging
            Capability.FETCH_POSITIONS,  # get_user_position per instrument (live, OX-DY)
            Capability.CANCEL_ALL_ORDERS,  # cancel_all_by_instrument
            Capability.SET_LEVERAGE,  # adjust_perpetual_leverage
            Capability.FETCH_TICKER,  # /public/tickers
            Capability.FETCH_ORDER_BOOK,  # /public/get_order_book
            # Absent: PLACE_ORDERS, CANCEL_ORDERS, AMEND_ORDER_PRICE/QUANTITY: OrangeX
            # documents no batch and no amend for normal trading.
        }),
        # Tokens last about 12 h (expires_in 43199 s); renewing 2 min early leaves room for
        # a limiter wait, the 10 s request timeout and the 30 s retry budget.
        min_token_lifetime_s=120.0,
        # Requests carry no timestamp, so no receive window applies; the value only matters
        # to venues that look lost orders up by client id, which OrangeX cannot.
        request_window_s=5.0,
    )


@hookimpl
def login(credentials: Credentials) -> Call[AuthToken]:
    return endpoints.login(credentials)


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
    return orders.place_order(order, market)


@hookimpl
def cancel_order(ref: OrderRef, market: Market) -> Call[OrderResult]:
    return orders.cancel_order(ref, market)


@hookimpl
def fetch_order(ref: OrderRef, market: Market) -> Call[OrderResult]:
    return orders.fetch_order(ref, market)


@hookimpl
def check_connection() -> list[Check]:
    return [
        Check("server time", endpoints.server_time(), CheckRole.SERVER_TIME),
        Check("balance", endpoints.fetch_balance(), CheckRole.BALANCE),
        # OrangeX describes a key only through the scope a login is granted
        Check("key permissions", endpoints.key_permissions(), CheckRole.PERMISSIONS,
              required=False),
    ]


@hookimpl
def parse_error(response: Response) -> VenueError | None:
    return errors.parse_error(response)


@hookimpl
def rate_limit_feedback(response: Response) -> list[Usage]:
    # OrangeX sends no usage headers (OX-AO saw none); the limiter counts on its own.
    return []


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
    return account.fetch_positions(markets)


@hookimpl
def cancel_all_orders(market: Market) -> Flow[list[OrderResult]]:
    return account.cancel_all_orders(market)


@hookimpl
def set_leverage(market: Market, leverage: int) -> Call[int]:
    return account.set_leverage(market, leverage)


@hookimpl
def fetch_ticker(market: Market) -> Call[Ticker]:
    return account.fetch_ticker(market)


@hookimpl
def fetch_order_book(market: Market, depth: int) -> Call[OrderBook]:
    return account.fetch_order_book(market, depth)


# ---------------------------------------------------------------- streams
# One socket URL, a login frame (/public/auth) on the private socket, no listenKey: see
# streams.py.


@hookimpl
def stream_info() -> StreamInfo:
    return streams.stream_info()


@hookimpl
def stream_url(context: SocketContext) -> str | None:
    return streams.stream_url(context)


@hookimpl
def stream_login(context: SocketContext) -> list[str]:
    return streams.stream_login(context)


@hookimpl
def stream_subscribe(context: SocketContext, subscriptions: list[Subscription],
                     subscribe: bool) -> list[str] | None:
    return streams.stream_subscribe(context, subscriptions, subscribe)


@hookimpl
def parse_stream_frame(frame: StreamFrame) -> list[StreamEvent]:
    return streams.parse_stream_frame(frame)
