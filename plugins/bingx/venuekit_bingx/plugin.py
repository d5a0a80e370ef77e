"""Hook implementations for BingX USDT-M perpetual swap: each one a short delegation."""

from __future__ import annotations

# the hookspecs module, not the package: see the README (mypy and the lazy package exports)
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
    StreamRole,
    StreamSession,
    Subscription,
)
from venuekit.wire import Call, Request, Response, SignedRequest

from . import account, endpoints, errors, limits, signing, streams, trading
from .parsing import NAME

LIVE = "https://open-api.bingx.com"
#: Demo trading ("VST"): same paths and symbols, selected by host (BX-V3 docs UI table).
DEMO = "https://open-api-vst.bingx.com"
#: "use only when the primary domain has problems"; "total frequency limit: 60/min" (BX-V3).
ALTERNATE = "https://open-api.bingx.io"

#: 1-40 characters, folded to lower case by the server (BX-V3 place-order table). The swap
#: pages name no characters; BingX's other client-id fields say "Only letters, numbers and
#: _" (BX-V3, spot order / cancelReplace ``newClientOrderId``), so ``_`` is allowed too. Other
#: characters (``-`` included) are not documented anywhere and stay refused locally.
#: Generated ids keep to letters and digits (the charset): a caller's ``_`` is accepted,
#: but the core never puts one in an id the swap pages do not promise to take.
CLIENT_ORDER_ID = ClientOrderIdRule(max_length=40,
                                    charset="0123456789abcdefghijklmnopqrstuvwxyz",
                                    pattern=r"[0-9a-z_]{1,40}",
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
                                Capability.TESTNET,
                                # account state and market data; no AMEND_ORDER_PRICE: BingX
                                # amends the quantity only (README)
                                Capability.FETCH_OPEN_ORDERS,
                                Capability.FETCH_OPEN_ORDERS_ALL_SYMBOLS,
                                Capability.FETCH_MY_TRADES, Capability.FETCH_POSITIONS,
                                Capability.CANCEL_ALL_ORDERS, Capability.CANCEL_ORDERS,
                                Capability.AMEND_ORDER_QUANTITY, Capability.SET_LEVERAGE,
                                Capability.PLACE_ORDERS, Capability.FETCH_TICKER,
                                Capability.FETCH_ORDER_BOOK}),
        request_window_s=endpoints.RECV_WINDOW_MS / 1000,
        max_batch_orders=trading.MAX_BATCH_ORDERS,
        max_batch_cancels=trading.MAX_BATCH_CANCELS,
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
                    all_markets: list[Market]) -> Call[list[Position]]:
    return account.fetch_positions(markets, all_markets)


@hookimpl
def cancel_all_orders(market: Market) -> Call[list[OrderResult]]:
    return trading.cancel_all_orders(market)


@hookimpl
def cancel_orders(refs: list[OrderRef],
                  market: Market) -> Call[list[OrderResult | VenueError]]:
    return trading.cancel_orders(refs, market)


@hookimpl
def amend_order(ref: OrderRef, market: Market, quantity: Decimal | None,
                price: Decimal | None) -> Flow[OrderResult] | None:
    return trading.amend_order(ref, market, quantity, price)


@hookimpl
def set_leverage(market: Market, leverage: int) -> Flow[int]:
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
def stream_session(role: StreamRole) -> StreamSession | None:
    return streams.stream_session(role)


@hookimpl
def stream_url(context: SocketContext) -> str | None:
    return streams.stream_url(context)


@hookimpl
def stream_subscribe(context: SocketContext, subscriptions: list[Subscription],
                     subscribe: bool) -> list[str]:
    return streams.stream_subscribe(context, subscriptions, subscribe)


@hookimpl
def parse_stream_frame(frame: StreamFrame) -> list[StreamEvent]:
    return streams.parse_stream_frame(frame)
