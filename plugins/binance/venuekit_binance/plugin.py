"""Hook implementations for Binance USDⓈ-M futures: each one a short delegation."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from venuekit.account_models import Fill, OrderBook, Position, Ticker
from venuekit.errors import VenueError
from venuekit.flows import Flow, Pages, Plan
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

from . import (
    account,
    endpoints,
    errors,
    fills,
    info,
    market_data,
    positions,
    signing,
    stream_parsing,
    streams,
)


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


# ---------------------------------------------------------------- account state and market data


@hookimpl
def fetch_open_orders(market: Market | None,
                      all_markets: list[Market]) -> Call[list[OrderResult]]:
    return account.fetch_open_orders(market, all_markets)


@hookimpl
def fetch_my_trades(market: Market, since: datetime | None, limit: int | None) -> Pages[Fill]:
    return fills.fetch_my_trades(market, since, limit)


@hookimpl
def fetch_positions(markets: list[Market] | None,
                    all_markets: list[Market]) -> Flow[list[Position]]:
    return positions.fetch_positions(markets, all_markets)


@hookimpl
def cancel_all_orders(market: Market) -> Flow[list[OrderResult]]:
    return account.cancel_all_orders(market)


@hookimpl
def cancel_orders(refs: list[OrderRef],
                  market: Market) -> Plan[list[OrderResult | VenueError]]:
    return account.cancel_orders(refs, market)


@hookimpl
def amend_order(ref: OrderRef, market: Market, quantity: Decimal | None,
                price: Decimal | None) -> Flow[OrderResult]:
    return account.amend_order(ref, market, quantity, price)


@hookimpl
def set_leverage(market: Market, leverage: int) -> Call[int]:
    return account.set_leverage(market, leverage)


@hookimpl
def place_orders(orders: list[OrderParams],
                 markets: list[Market]) -> Call[list[OrderResult | VenueError]]:
    return account.place_orders(orders, markets)


@hookimpl
def fetch_ticker(market: Market) -> Flow[Ticker]:
    return market_data.fetch_ticker(market)


@hookimpl
def fetch_order_book(market: Market, depth: int) -> Call[OrderBook]:
    return market_data.fetch_order_book(market, depth)


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
def stream_subscribe(context: SocketContext, subscriptions: list[Subscription],
                     subscribe: bool) -> list[str] | None:
    return streams.stream_subscribe(context, subscriptions, subscribe)


@hookimpl
def parse_stream_frame(frame: StreamFrame) -> list[StreamEvent]:
    return stream_parsing.parse_stream_frame(frame)
