"""Hook implementations of the Bybit V5 plugin: each one a short delegation."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from venuekit import hookimpl  # what `from venuekit import hookimpl` gives; see README
from venuekit.account_models import Fill, OrderBook, Position, Ticker
from venuekit.errors import VenueError
from venuekit.flows import Flow, Pages
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
from venuekit.stream_models import (
    SocketContext,
    StreamEvent,
    StreamFrame,
    StreamInfo,
    Subscription,
)
from venuekit.wire import Call, Request, Response, SignedRequest

from . import (
    account,
    endpoints,
    errors,
    limits,
    market_data,
    positions,
    signing,
    stream_parsing,
    streams,
)

LIVE_HOST = "https://api.bybit.com"
TESTNET_HOST = "https://api-testnet.bybit.com"
#: Demo trading: a mainnet-side paper account with its own keys (connect(base_url=...)).
DEMO_HOST = "https://api-demo.bybit.com"

#: orderLinkId: at most 36 characters of digits, letters, "-" and "_" (Place Order).
CLIENT_ORDER_ID = ClientOrderIdRule(
    max_length=36,
    charset="0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_",
    pattern=r"[A-Za-z0-9_-]{1,36}")

#: Every operation of account state and market data has a V5 endpoint (README table).
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
        display_name="Bybit",
        hosts=Hosts(live=LIVE_HOST, testnet=TESTNET_HOST, others={"demo": DEMO_HOST}),
        credential_fields=("api_key", "api_secret"),
        key_types=frozenset({KeyType.HMAC}),
        rate_limits=limits.RATE_LIMITS,
        client_order_id=CLIENT_ORDER_ID,
        capabilities=frozenset({Capability.FETCH_ORDER_BY_CLIENT_ID, Capability.REDUCE_ONLY,
                                Capability.TESTNET, Capability.KEY_PERMISSIONS,
                                *ACCOUNT_CAPABILITIES}),
        max_batch_orders=account.MAX_BATCH_ORDERS,
        max_batch_cancels=account.MAX_BATCH_CANCELS,
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


# ---------------------------------------------------------------- account state and market data


@hookimpl
def fetch_open_orders(market: Market | None,
                      all_markets: list[Market]) -> Flow[list[OrderResult]]:
    return account.fetch_open_orders(market, all_markets)


@hookimpl
def fetch_my_trades(market: Market, since: datetime | None, limit: int | None) -> Pages[Fill]:
    return positions.fetch_my_trades(market, since, limit)


@hookimpl
def fetch_positions(markets: list[Market] | None,
                    all_markets: list[Market]) -> Flow[list[Position]]:
    return positions.fetch_positions(markets, all_markets)


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
    return positions.set_leverage(market, leverage)


@hookimpl
def place_orders(orders: list[OrderParams],
                 markets: list[Market]) -> Call[list[OrderResult | VenueError]]:
    return account.place_orders(orders, markets)


@hookimpl
def fetch_ticker(market: Market) -> Call[Ticker]:
    return market_data.fetch_ticker(market)


@hookimpl
def fetch_order_book(market: Market, depth: int) -> Call[OrderBook]:
    return market_data.fetch_order_book(market, depth)


# ---------------------------------------------------------------- streams


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
    return stream_parsing.parse_stream_frame(frame)
