"""Hook specifications: the whole contract between venuekit's core and an exchange plugin.

Every hook is synchronous and pure. A plugin describes requests and reads responses; the
core owns sockets, time, limits and retries. Each exchange plugin is loaded into a plugin
manager of its own, so no hook takes an exchange argument and a plugin can never answer
for another venue. Hooks that return a value are ``firstresult``.

Hook implementations must not give a parameter a default value: pluggy would not pass it.
New parameters may be added to a spec in a minor release; implementations that do not name
them keep working.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from datetime import datetime
    from decimal import Decimal

    import click

    from .account_models import Fill, OrderBook, Position, Ticker
    from .errors import VenueError
    from .flows import Pages, Plan
    from .models import (
        Auth,
        AuthToken,
        Balance,
        Check,
        Credentials,
        ExchangeInfo,
        KeyPermissions,
        Market,
        OrderParams,
        OrderRef,
        OrderResult,
        Usage,
    )
    from .stream_models import (
        SocketContext,
        StreamEvent,
        StreamFrame,
        StreamInfo,
        StreamRole,
        StreamSession,
        Subscription,
    )
    from .wire import Call, Request, Response, SignedRequest

PROJECT_NAME = "venuekit"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

# ---------------------------------------------------------------- metadata


@hookspec(firstresult=True)
def exchange_info() -> ExchangeInfo | None:
    """Describe the venue: name, hosts, credentials, key types, limits and capabilities.

    :returns: the venue's :class:`~venuekit.ExchangeInfo`. Called once per connector.

    The exchange plugin answers; the first non-None result is used.

    .. versionadded:: 0.1
    """


# ---------------------------------------------------------------- signing


@hookspec(firstresult=True)
def sign_request(request: Request, auth: Auth, timestamp_ms: int) -> SignedRequest | None:
    """Add the venue's authentication to a request and fix its bytes.

    :param request: the request as an operation hook built it (``request.signed`` is True).
    :param auth: the credentials, plus the bearer token on token-based venues.
    :param timestamp_ms: the venue's clock in milliseconds (local clock + measured offset).
    :returns: a :class:`~venuekit.SignedRequest` whose query string and body are sent
        verbatim: the exact bytes the signature covers.

    The exchange plugin answers; the first non-None result is used.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def login(credentials: Credentials) -> Call[AuthToken] | None:
    """Build the call that obtains a bearer token, for venues that authenticate by token.

    :param credentials: the connector's credentials.
    :returns: a :class:`~venuekit.Call` whose parser returns an
        :class:`~venuekit.AuthToken`, or None on venues that sign every request. The core
        caches the token, refreshes it before it expires and logs in again once when the
        venue refuses it.

    The exchange plugin answers; the first non-None result is used.

    .. versionadded:: 0.1
    """


# ---------------------------------------------------------------- operations


@hookspec(firstresult=True)
def fetch_markets() -> Call[list[Market]] | None:
    """Build the call that lists the venue's markets with their trading rules.

    :returns: a :class:`~venuekit.Call` parsing to a list of :class:`~venuekit.Market`
        (tick, step and minimums in base currency; contract size where it applies).
        The core caches the result per connector.

    The exchange plugin answers; the first non-None result is used.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def fetch_balance() -> Call[Balance] | None:
    """Build the call that reads the trading account's balance.

    :returns: a :class:`~venuekit.Call` parsing to a :class:`~venuekit.Balance`.

    The exchange plugin answers; the first non-None result is used.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def place_order(order: OrderParams, market: Market) -> Call[OrderResult] | None:
    """Build the call that places an order.

    :param order: a validated order; ``client_order_id`` is always set (the core generates
        one within the venue's rules when the caller gives none), quantity in base currency.
    :param market: the market the order was checked against (step, tick, minimums).
    :returns: a :class:`~venuekit.Call` parsing to an :class:`~venuekit.OrderResult`.
        The request must be marked ``idempotent=False``.

    The exchange plugin answers; the first non-None result is used.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def cancel_order(ref: OrderRef, market: Market) -> Call[OrderResult] | None:
    """Build the call that cancels an order by order id or client order id.

    :param ref: the order, by ``order_id`` or ``client_order_id``.
    :param market: the order's market.
    :returns: a :class:`~venuekit.Call` parsing to the order as it stands after cancelling.

    The exchange plugin answers; the first non-None result is used.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def fetch_order(ref: OrderRef, market: Market) -> Call[OrderResult] | None:
    """Build the call that looks an order up by order id or client order id.

    :param ref: the order, by ``order_id`` or ``client_order_id``.
    :param market: the order's market.
    :returns: a :class:`~venuekit.Call` parsing to an :class:`~venuekit.OrderResult`. An
        order the venue does not know must surface as :class:`~venuekit.OrderNotFound`:
        the core's no-duplicate rule depends on it.

    The exchange plugin answers; the first non-None result is used.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def check_connection() -> list[Check] | None:
    """List the steps of a connection test, in order, where the default does not fit.

    :returns: :class:`~venuekit.Check` items, each a call plus its role: server time (the
        core measures the clock offset), authenticated balance, key permissions where the
        venue tells them. The core times each step and writes the test log. Return None
        (or do not implement the hook) for the default test: the venue's
        :func:`server_time`, :func:`fetch_balance` and, where it answers,
        :func:`key_permissions`.

    The exchange plugin answers; the first non-None result is used.

    .. versionadded:: 0.1
    .. versionchanged:: 0.2 optional: the core builds the default steps.
    """


@hookspec(firstresult=True)
def key_permissions() -> Call[KeyPermissions] | None:
    """Build the call that reads what the API key may do, where the venue tells it.

    :returns: a :class:`~venuekit.Call` parsing to :class:`~venuekit.KeyPermissions`, or
        None where the venue has no such endpoint. The default connection test runs it as
        an optional step after the balance.

    The exchange plugin answers; the first non-None result is used.

    .. versionadded:: 0.2
    """


@hookspec(firstresult=True)
def server_time() -> Call[int] | None:
    """Build the call that reads the venue's clock.

    :returns: a :class:`~venuekit.Call` parsing to milliseconds since the epoch (from a
        time endpoint, or from the timestamp any cheap public response carries), or None
        where the venue offers neither; the core then signs with the local clock.

    The exchange plugin answers; the first non-None result is used.

    .. versionadded:: 0.1
    """


# ---------------------------------------------------------------- feedback


@hookspec(firstresult=True)
def parse_error(response: Response) -> VenueError | None:
    """Map the venue's error envelope or code to the core's error tree.

    :param response: every response, successful or not, before the call's parser runs.
    :returns: an error instance for the core to raise (not raised here), or None when the
        response is a success. An unknown code becomes :class:`~venuekit.ExchangeError`
        keeping the venue's code and message.

    The exchange plugin answers; the first non-None result is used.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def rate_limit_feedback(response: Response) -> list[Usage] | None:
    """Read the usage the venue reports in response headers.

    :param response: every response.
    :returns: :class:`~venuekit.Usage` per rule (e.g. from ``X-MBX-USED-WEIGHT-1M``), which
        the core's limiter uses to raise its local count; None or an empty list when the
        response says nothing.

    The exchange plugin answers; the first non-None result is used.

    .. versionadded:: 0.1
    """


# ---------------------------------------------------------------- account state and market data
#
# Every hook here returns None where the venue cannot do the operation: the core then
# raises NotSupported (naming the venue and the operation) before anything is sent, and
# the plugin's ExchangeInfo.capabilities should say the same up front. A Plan is a single
# Call or a Flow of several calls with a pure merge (see venuekit.flows); the core runs
# each call through the limiter, clock and retry policy. Quantities are in base currency.

@hookspec(firstresult=True)
def fetch_open_orders(market: Market | None,
                      all_markets: list[Market]) -> Plan[list[OrderResult]] | None:
    """Build the read of the account's open orders, for one market or for all of them.

    :param market: the market to list, or None for every market; return None for
        ``market=None`` where the venue has no all-symbols call (the core tells the caller
        to pass a symbol).
    :param all_markets: every market the venue lists (the core's cache), to map the
        venue's native symbols back and convert contracts where an answer spans markets.
    :returns: a :class:`~venuekit.Call` or :class:`~venuekit.flows.Flow` parsing to the
        open orders (a flow where the venue pages its list, e.g. Bybit's cursor), or None
        where the venue cannot list open orders.

    The exchange plugin answers; the first non-None result is used.

    .. versionadded:: 0.2
    """


@hookspec(firstresult=True)
def fetch_my_trades(market: Market, since: datetime | None,
                    limit: int | None) -> Pages[Fill] | None:
    """Describe the paginated read of the account's fills on one market.

    :param market: the market whose fills to read.
    :param since: the earliest fill wanted (aware UTC), or None; the first page should
        start there where the venue can (forward walk) or end at now (backward walk).
    :param limit: how many fills the caller wants at most (already > 0), or None for all;
        use it to choose a page size within the venue's maximum, never as a promise.
    :returns: :class:`~venuekit.flows.Pages` whose first call parses to a
        :class:`~venuekit.flows.Page` of :class:`~venuekit.Fill` and the call for the next
        page (None at the end), with the direction of the walk; every fill carries the
        venue's trade id. The core loops, deduplicates by trade id, keeps fills at or
        after ``since``, sorts oldest first (ties by trade id) and stops at ``limit``. None
        where the venue has no fill history.

    The exchange plugin answers; the first non-None result is used.

    .. versionadded:: 0.2
    """


@hookspec(firstresult=True)
def fetch_positions(markets: list[Market] | None,
                    all_markets: list[Market]) -> Plan[list[Position]] | None:
    """Build the read of the account's open positions.

    :param markets: the markets asked about, or None for all; a plugin may still read
        them all (the core filters by symbol and drops flat positions).
    :param all_markets: every market the venue lists (the core's cache), to map native
        symbols back and convert contracts to base currency.
    :returns: a :class:`~venuekit.Call` or a :class:`~venuekit.flows.Flow` (positions
        plus leverage from a second endpoint; one call per instrument) parsing to
        :class:`~venuekit.Position` items, quantities in base currency; None where the
        venue has no positions (spot).

    The exchange plugin answers; the first non-None result is used.

    .. versionadded:: 0.2
    """


@hookspec(firstresult=True)
def cancel_all_orders(market: Market) -> Plan[list[OrderResult]] | None:
    """Build the venue's native cancel-all for one market.

    :param market: the market whose open orders to cancel.
    :returns: a plan parsing to the orders that were open just before, as the venue
        reports them cancelled or as a listing made first (a flow of list-then-cancel-all
        where the venue answers with a count or nothing); None where the venue has no
        such call, and the core composes it from ``fetch_open_orders`` and
        ``cancel_orders`` (or ``cancel_order`` one by one).

    The exchange plugin answers; the first non-None result is used.

    .. versionadded:: 0.2
    """


@hookspec(firstresult=True)
def cancel_orders(refs: list[OrderRef],
                  market: Market) -> Plan[list[OrderResult | VenueError]] | None:
    """Build a batch cancel of several orders of one market.

    :param refs: at most ``ExchangeInfo.max_batch_cancels`` orders, each by order id or
        client order id.
    :param market: their market.
    :returns: a plan parsing to one item per ref, in order: the order after cancelling,
        or the error the venue gave for that item (not raised; an order already gone is
        :class:`~venuekit.OrderNotFound`); None where the venue has no batch cancel.

    The exchange plugin answers; the first non-None result is used.

    .. versionadded:: 0.2
    """


@hookspec(firstresult=True)
def amend_order(ref: OrderRef, market: Market, quantity: Decimal | None,
                price: Decimal | None) -> Plan[OrderResult] | None:
    """Build the change of an open order's quantity and/or price, keeping the order.

    :param ref: the order, by order id or client order id.
    :param market: its market; the core has checked the new values against step and tick.
    :param quantity: the new total quantity in base currency, or None to keep it.
    :param price: the new limit price, or None to keep it.
    :returns: a plan parsing to the order as amended (a flow where the venue needs the
        order's other fields first, e.g. Binance's side and quantity); an order that
        does not exist must surface as :class:`~venuekit.OrderNotFound`. None where the
        venue cannot amend what was asked: never a silent cancel-and-replace.

    The exchange plugin answers; the first non-None result is used.

    .. versionadded:: 0.2
    """


@hookspec(firstresult=True)
def set_leverage(market: Market, leverage: int) -> Plan[int] | None:
    """Build the change of a market's leverage.

    :param market: a derivatives market.
    :param leverage: the wanted leverage, checked by the core against 1 and
        ``market.max_leverage``.
    :returns: a plan parsing to the leverage now in force; a venue's "already set"
        answer is success (catch the error in a flow and return ``leverage``). None where
        the venue has no leverage setting.

    The exchange plugin answers; the first non-None result is used.

    .. versionadded:: 0.2
    """


@hookspec(firstresult=True)
def place_orders(orders: list[OrderParams],
                 markets: list[Market]) -> Plan[list[OrderResult | VenueError]] | None:
    """Build one batch-place request: one chunk of the caller's list.

    :param orders: at most ``ExchangeInfo.max_batch_orders`` validated orders of one
        market, each with its ``client_order_id`` set.
    :param markets: the market of each order, same index.
    :returns: a plan parsing to one item per order, in order: the placed order, or the
        error the venue gave for that item (not raised). The request must be marked
        ``idempotent=False``; after an ambiguous failure the core looks every client id
        up before anything is resent. None where the venue has no batch endpoint.

    The exchange plugin answers; the first non-None result is used.

    .. versionadded:: 0.2
    """


@hookspec(firstresult=True)
def fetch_ticker(market: Market) -> Plan[Ticker] | None:
    """Build the read of a market's best bid, best ask and last price.

    :param market: the market.
    :returns: a plan parsing to a :class:`~venuekit.Ticker`, or None where the venue has
        no ticker call.

    The exchange plugin answers; the first non-None result is used.

    .. versionadded:: 0.2
    """


@hookspec(firstresult=True)
def fetch_order_book(market: Market, depth: int) -> Plan[OrderBook] | None:
    """Build the read of an order-book snapshot.

    :param market: the market.
    :param depth: levels wanted per side (> 0); ask for the smallest depth the venue
        allows that covers it, the core trims the answer to ``depth``.
    :returns: a plan parsing to an :class:`~venuekit.OrderBook` with the venue's
        sequence number where it has one, or None where the venue has no book call.

    The exchange plugin answers; the first non-None result is used.

    .. versionadded:: 0.2
    """


# ---------------------------------------------------------------- host extensions

#: Hooks for extensions of the host (the ``venuekit`` command), which exchange plugins
#: never implement: a plugin's "every hook" means every spec but these.
HOST_HOOKS = frozenset({"register_commands"})


@hookspec(firstresult=True)
def register_commands(cli: click.Group) -> None:
    """Add commands to the ``venuekit`` command line (an extension's hook).

    :param cli: the root ``venuekit`` click group; call ``cli.add_command(...)`` or use
        ``@cli.command()``. Commands should print through ``click.echo`` and return an exit
        status (0 ok, 1 failure, 2 usage error).
    :returns: None. Implemented by plugins of the ``venuekit.extensions`` entry-point group,
        never by exchange plugins; called once per ``venuekit`` run, before arguments are
        parsed.

    Every extension is called in turn; the first non-None result is used, and since
    implementations return None, every one of them runs.

    .. versionadded:: 0.2
    """


# ---------------------------------------------------------------- streams (WebSocket)
#
# The plugin describes a venue's sockets; the core connects, logs in, subscribes, keeps
# the sockets alive, reconnects, resyncs over REST and keeps order books (see
# venuekit.streams). Every hook is pure: frames in, frames and typed events out. A venue
# without streams answers None to stream_info and every watch raises NotSupported.

@hookspec(firstresult=True)
def stream_info() -> StreamInfo | None:
    """Describe the venue's streams: kinds, socket roles, heartbeat, limits, recovery.

    :returns: a :class:`~venuekit.stream_models.StreamInfo`, or None where the venue has
        no streams. Called once per connector.

    The exchange plugin answers; the first non-None result is used.

    .. versionadded:: 0.2
    """


@hookspec(firstresult=True)
def stream_session(role: StreamRole) -> StreamSession | None:
    """Describe the REST session a socket of ``role`` needs (listenKey), if any.

    :param role: the socket's role.
    :returns: a :class:`~venuekit.stream_models.StreamSession` whose ``create`` call
        parses to the session key, with its keepalive and close calls; None where the role
        needs no REST session (login frames, signed URLs or public data).

    The exchange plugin answers; the first non-None result is used.

    .. versionadded:: 0.2
    """


@hookspec(firstresult=True)
def stream_url(context: SocketContext) -> str | None:
    """Build the URL of a socket (``wss://...``), signed or carrying a listenKey.

    :param context: role, environment, credentials, the venue's clock, the session key
        and the socket's subscriptions.
    :returns: the full URL (the core replaces its scheme and host with the connector's
        ``stream_base_url`` where one is given), or None where the venue has no socket of
        this role.

    The exchange plugin answers; the first non-None result is used.

    .. versionadded:: 0.2
    """


@hookspec(firstresult=True)
def stream_login(context: SocketContext) -> list[str] | None:
    """Build the frames that authenticate a socket right after it opens.

    :param context: as for :func:`stream_url`; sign with ``context.timestamp_ms``.
    :returns: the frames to send (OKX and Bybit login frames); the core then waits up to
        ``StreamInfo.login_timeout_s`` for a :class:`~venuekit.stream_models.LoggedIn`
        event. None or ``[]`` where the socket needs no login (listenKey or signed URL).

    The exchange plugin answers; the first non-None result is used.

    .. versionadded:: 0.2
    """


@hookspec(firstresult=True)
def stream_subscribe(context: SocketContext, subscriptions: list[Subscription],
                     subscribe: bool) -> list[str] | None:
    """Build the frames that subscribe to (or, ``subscribe`` False, leave) streams.

    :param context: the socket (``request_id`` is fresh for each call).
    :param subscriptions: at most ``StreamInfo.max_subscriptions_per_frame`` streams of
        the socket's role; account streams have ``market`` None.
    :param subscribe: True to subscribe, False to unsubscribe.
    :returns: the frames to send; ``[]`` where the venue needs none (a listenKey socket
        carries every account stream by itself). None where a subscription is not
        offered: the core raises NotSupported.

    The exchange plugin answers; the first non-None result is used.

    .. versionadded:: 0.2
    """


@hookspec(firstresult=True)
def parse_stream_frame(frame: StreamFrame) -> list[StreamEvent] | None:
    """Read one incoming frame into typed data and control events.

    :param frame: the frame's text (already decompressed), its socket role and the
        markets by native and unified symbol.
    :returns: the events the frame carries, in order (a frame may carry several orders,
        or nothing the core needs: ``[]``); quantities in base currency; book updates as
        :class:`~venuekit.stream_models.BookUpdate` with the venue's sequence fields; a
        server ping as :class:`~venuekit.stream_models.Ping` with the reply to send.

    The exchange plugin answers; the first non-None result is used.

    .. versionadded:: 0.2
    """
