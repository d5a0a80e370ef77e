"""Hook implementations of the OKX V5 plugin (USDT-margined perpetual swaps): delegations only."""

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

from . import account, endpoints, errors, limits, signing, streams, trading

HOST = "https://www.okx.com"
#: Demo trading: same host, this header, and a demo-trading API key (OK-OV "Demo Trading").
DEMO_HEADERS = {"x-simulated-trading": "1"}


@hookimpl
def exchange_info() -> ExchangeInfo:
    return ExchangeInfo(
        name="okx",
        display_name="OKX (USDT-margined perpetual swaps)",
        hosts=Hosts(live=HOST, testnet=HOST, testnet_headers=DEMO_HEADERS),
        credential_fields=("api_key", "api_secret", "passphrase"),
        key_types=frozenset({KeyType.HMAC}),
        rate_limits=limits.RULES,
        # clOrdId: case-sensitive alphanumerics, up to 32 (OK-OBT "Place order")
        client_order_id=ClientOrderIdRule(max_length=32, pattern=r"[A-Za-z0-9]{1,32}"),
        capabilities=frozenset({Capability.FETCH_ORDER_BY_CLIENT_ID, Capability.REDUCE_ONLY,
                                Capability.TESTNET, Capability.KEY_PERMISSIONS,
                                # account state and market data; no CANCEL_ALL_ORDERS: OKX
                                # has none for swaps, the core composes it (README)
                                Capability.FETCH_OPEN_ORDERS,
                                Capability.FETCH_OPEN_ORDERS_ALL_SYMBOLS,
                                Capability.FETCH_MY_TRADES, Capability.FETCH_POSITIONS,
                                Capability.CANCEL_ORDERS, Capability.AMEND_ORDER_PRICE,
                                Capability.AMEND_ORDER_QUANTITY, Capability.SET_LEVERAGE,
                                Capability.PLACE_ORDERS, Capability.FETCH_TICKER,
                                Capability.FETCH_ORDER_BOOK}),
        # an order carries expTime = signed timestamp + 5 s, after which OKX discards it
        request_window_s=signing.ORDER_WINDOW_MS / 1000,
        max_batch_orders=trading.MAX_BATCH,
        max_batch_cancels=trading.MAX_BATCH,
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
    # OKX sends no usage headers (okx.md section 6): the limiter's own log is the count
    return []


# ---------------------------------------------------------------- account state and market data


@hookimpl
def fetch_open_orders(market: Market | None,
                      all_markets: list[Market]) -> Flow[list[OrderResult]]:
    return account.fetch_open_orders(market, all_markets)


@hookimpl
def fetch_my_trades(market: Market, since: datetime | None, limit: int | None) -> Pages[Fill]:
    return account.fetch_my_trades(market, since, limit)


@hookimpl
def fetch_positions(markets: list[Market] | None,
                    all_markets: list[Market]) -> Call[list[Position]]:
    return account.fetch_positions(markets, all_markets)


# no cancel_all_orders: OKX has no cancel-all for one swap instrument (mass-cancel is for
# options under MMP); the core lists open orders and batch-cancels them, 20 at a time


@hookimpl
def cancel_orders(refs: list[OrderRef],
                  market: Market) -> Call[list[OrderResult | VenueError]]:
    return trading.cancel_orders(refs, market)


@hookimpl
def amend_order(ref: OrderRef, market: Market, quantity: Decimal | None,
                price: Decimal | None) -> Flow[OrderResult]:
    return trading.amend_order(ref, market, quantity, price)


@hookimpl
def set_leverage(market: Market, leverage: int) -> Call[int]:
    return trading.set_leverage(market, leverage)


@hookimpl
def place_orders(orders: list[OrderParams],
                 markets: list[Market]) -> Call[list[OrderResult | VenueError]]:
    return trading.place_orders(orders, markets)


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
