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

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from .errors import VenueError
    from .models import (
        Auth,
        Balance,
        Check,
        Credentials,
        ExchangeInfo,
        Market,
        OrderParams,
        OrderRef,
        OrderResult,
        Usage,
    )
    from .wire import Call, Request, Response, SignedRequest

PROJECT_NAME = "venuekit"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

# ---------------------------------------------------------------- metadata


@hookspec(firstresult=True)
def exchange_info() -> ExchangeInfo:  # type: ignore[empty-body]
    """Describe the venue: name, hosts, credentials, key types, limits and capabilities.

    :returns: the venue's :class:`~venuekit.ExchangeInfo`. Called once per connector.

    The exchange plugin answers; the first non-None result is used.

    .. versionadded:: 0.1
    """


# ---------------------------------------------------------------- signing


@hookspec(firstresult=True)
def sign_request(request: Request, auth: Auth, timestamp_ms: int) -> SignedRequest:  # type: ignore[empty-body]
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
def login(credentials: Credentials) -> Call[Any] | None:
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
def fetch_markets() -> Call[list[Market]]:  # type: ignore[empty-body]
    """Build the call that lists the venue's markets with their trading rules.

    :returns: a :class:`~venuekit.Call` parsing to a list of :class:`~venuekit.Market`
        (tick, step and minimums in base currency; contract size where it applies).
        The core caches the result per connector.

    The exchange plugin answers; the first non-None result is used.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def fetch_balance() -> Call[Balance]:  # type: ignore[empty-body]
    """Build the call that reads the trading account's balance.

    :returns: a :class:`~venuekit.Call` parsing to a :class:`~venuekit.Balance`.

    The exchange plugin answers; the first non-None result is used.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def place_order(order: OrderParams, market: Market) -> Call[OrderResult]:  # type: ignore[empty-body]
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
def cancel_order(ref: OrderRef, market: Market) -> Call[OrderResult]:  # type: ignore[empty-body]
    """Build the call that cancels an order by order id or client order id.

    :param ref: the order, by ``order_id`` or ``client_order_id``.
    :param market: the order's market.
    :returns: a :class:`~venuekit.Call` parsing to the order as it stands after cancelling.

    The exchange plugin answers; the first non-None result is used.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def fetch_order(ref: OrderRef, market: Market) -> Call[OrderResult]:  # type: ignore[empty-body]
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
def check_connection() -> list[Check]:  # type: ignore[empty-body]
    """List the steps of a connection test, in order.

    :returns: :class:`~venuekit.Check` items, each a call plus its role: server time (the
        core measures the clock offset), authenticated balance, key permissions where the
        venue tells them. The core times each step and writes the test log.

    The exchange plugin answers; the first non-None result is used.

    .. versionadded:: 0.1
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


# ---------------------------------------------------------------- host extensions

if TYPE_CHECKING:
    import click

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
