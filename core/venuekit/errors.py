"""The whole venuekit exception tree.

::

    VenuekitError
    ├── ConfigurationError          bad setup: unknown exchange, missing credential, no testnet
    │   └── LimiterUnavailable      the shared limiter's store did not answer: nothing was sent
    ├── PluginError                 a plugin failed to import, validate or answer a hook
    ├── StoreError                  the connection store cannot read, decrypt or write a file
    └── VenueError                  anything that happened while talking to a venue
        ├── NetworkError            retryable; the request may or may not have arrived
        │   ├── RequestTimeout
        │   └── ExchangeUnavailable 5xx, maintenance, "busy", unknown-execution-state codes
        └── ExchangeError           the venue answered and said no
            ├── BadResponse         not JSON, HTML page, truncated or empty body
            ├── AuthenticationError
            │   ├── InvalidSignature
            │   ├── PermissionDenied
            │   └── TokenExpired    a bearer token the venue no longer accepts
            ├── RateLimitExceeded   retryable after the limiter's block
            │   └── IPBanned
            ├── InvalidTimestamp    retryable after a clock resync
            ├── InsufficientFunds
            ├── NotSupported        raised by core before sending: the venue lacks the operation
            ├── InvalidArgument     refused locally, nothing sent: limit, depth, leverage bounds
            ├── InvalidOrder
            │   ├── UnknownSymbol
            │   ├── OrderNotFound
            │   │   └── OrderNeverPlaced  a journaled order that can no longer arrive
            │   ├── DuplicateOrder
            │   └── BelowMinimum
            └── OrderStatusUnknown  raised by core only: an order may exist, carries the client id

Two class attributes drive the core's policy, so nothing ever matches on message text:
``retryable`` (an idempotent request may be sent again) and ``ambiguous`` (a state-changing
request may have taken effect even though no success came back).
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "AuthenticationError",
    "BadResponse",
    "BelowMinimum",
    "ConfigurationError",
    "DuplicateOrder",
    "ExchangeError",
    "ExchangeUnavailable",
    "IPBanned",
    "InsufficientFunds",
    "InvalidArgument",
    "InvalidOrder",
    "InvalidSignature",
    "InvalidTimestamp",
    "LimiterUnavailable",
    "NetworkError",
    "NotSupported",
    "OrderNeverPlaced",
    "OrderNotFound",
    "OrderStatusUnknown",
    "PermissionDenied",
    "PluginError",
    "RateLimitExceeded",
    "RequestTimeout",
    "StoreError",
    "TokenExpired",
    "UnknownSymbol",
    "VenueError",
    "VenuekitError",
]


class VenuekitError(Exception):
    """Root of everything venuekit raises, so a host can catch the library as a whole."""


class ConfigurationError(VenuekitError):
    """The local setup cannot work; retrying will not help until it is changed."""


class LimiterUnavailable(ConfigurationError):
    """The shared rate limiter's store (Redis, SQLite) did not answer in time.

    Raised before anything is signed or sent, so it is never ambiguous: an order that got
    it was not placed. Not a :class:`VenueError`, so no retry or order look-up treats it
    as a network failure; it ends when the store answers again.
    """


class PluginError(VenuekitError):
    """A plugin could not be loaded or broke its contract; names the plugin and distribution."""

    def __init__(self, message: str, *, plugin: str | None = None,
                 distribution: str | None = None) -> None:
        self.plugin = plugin
        self.distribution = distribution
        where = ""
        if plugin is not None:
            where = f"plugin {plugin!r}"
            if distribution:
                where += f" (distribution {distribution!r})"
            where += ": "
        super().__init__(where + message)


class StoreError(VenuekitError):
    """A connection file could not be read, decrypted or written; names the file."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        self.path = path
        super().__init__(f"{path}: {message}" if path else message)


class VenueError(VenuekitError):
    """An error from (or on the way to) a venue.

    Carries what a person needs to act on it, and nothing secret: the request is described
    by method, path and parameter names with credentials redacted.
    """

    retryable: ClassVar[bool] = False
    ambiguous: ClassVar[bool] = False

    def __init__(self, message: str = "", *, exchange: str | None = None,
                 code: str | int | None = None, venue_message: str | None = None,
                 request: str | None = None, status: int | None = None,
                 retry_after: float | None = None) -> None:
        self.message = message or venue_message or type(self).__name__
        self.exchange = exchange
        self.code = None if code is None else str(code)
        self.venue_message = venue_message
        self.request = request
        self.status = status
        self.retry_after = retry_after
        super().__init__(self.message)

    def with_context(self, *, exchange: str | None = None, request: str | None = None,
                     status: int | None = None) -> VenueError:
        """Fill in what the plugin could not know (it never sees the signed request)."""
        if self.exchange is None:
            self.exchange = exchange
        if self.request is None:
            self.request = request
        if self.status is None:
            self.status = status
        return self

    def __str__(self) -> str:
        parts = [self.message]
        if self.code is not None:
            parts.append(f"code={self.code}")
        if self.venue_message and self.venue_message != self.message:
            parts.append(f"venue said: {self.venue_message}")
        if self.status is not None:
            parts.append(f"http {self.status}")
        if self.request:
            parts.append(f"request: {self.request}")
        head = f"[{self.exchange}] " if self.exchange else ""
        return head + "; ".join(parts)


class NetworkError(VenueError):
    """The exchange could not be reached or did not answer; the request may have arrived."""

    retryable = True
    ambiguous = True


class RequestTimeout(NetworkError):
    """No answer within the timeout."""


class ExchangeUnavailable(NetworkError):
    """5xx, maintenance, overload, or the venue says the execution state is unknown."""


class ExchangeError(VenueError):
    """The venue answered and refused the request."""


class BadResponse(ExchangeError):
    """The body is not what the venue documents (HTML page, not JSON, truncated, empty).

    Ambiguous: a proxy page or a cut-off body after an order says nothing about the order.
    """

    ambiguous = True


class AuthenticationError(ExchangeError):
    """Key unknown, expired, or not allowed from this IP."""


class InvalidSignature(AuthenticationError):
    """The venue computed a different signature (wrong secret or a byte changed in transit)."""


class PermissionDenied(AuthenticationError):
    """The key is valid but may not do this (read-only key, IP whitelist, region)."""


class TokenExpired(AuthenticationError):
    """A bearer token was refused; core logs in once more and retries once."""

    retryable = True


class RateLimitExceeded(ExchangeError):
    """The venue rejected the request for rate; the limiter blocks until ``retry_after``."""

    retryable = True


class IPBanned(RateLimitExceeded):
    """The venue banned this IP; nothing is sent until the ban ends."""

    retryable = False


class InvalidTimestamp(ExchangeError):
    """Our clock and the venue's disagree; core resyncs the clock and retries once."""

    retryable = True


class InsufficientFunds(ExchangeError):
    """Not enough balance or margin for the order."""


class NotSupported(ExchangeError):
    """The venue cannot do this operation (or not with these arguments).

    Raised by the core before anything is sent; the message names the venue and the
    operation, and ``operation`` carries the connector method's name for programs.
    """

    def __init__(self, message: str = "", *, operation: str | None = None,
                 **kwargs: object) -> None:
        self.operation = operation
        super().__init__(message, **kwargs)  # type: ignore[arg-type]


class InvalidArgument(ExchangeError, ValueError):
    """An argument the core refuses before sending (``limit`` <= 0, leverage out of bounds).

    Also a :class:`ValueError`, which is what Python callers expect for a bad value.
    """


class InvalidOrder(ExchangeError):
    """The order breaks a rule (local validation or the venue's)."""


class UnknownSymbol(InvalidOrder):
    """The venue does not list this symbol."""


class OrderNotFound(InvalidOrder):
    """No such order (or it is already gone, on cancel)."""


class OrderNeverPlaced(OrderNotFound):
    """A journaled order the venue does not have and can no longer accept.

    Reported by :meth:`~venuekit.Connector.recover` for an order whose receive window has
    closed without the venue knowing its client order id: it was never placed.
    """

    def __init__(self, message: str = "", *, client_order_id: str | None = None,
                 **kwargs: object) -> None:
        self.client_order_id = client_order_id
        super().__init__(message, **kwargs)  # type: ignore[arg-type]


class DuplicateOrder(InvalidOrder):
    """The client order id is already in use."""


class BelowMinimum(InvalidOrder):
    """Quantity or notional under the market's minimum."""


class OrderStatusUnknown(ExchangeError):
    """An order may or may not exist and core cannot find out safely.

    Raised only by core, after an ambiguous failure on a venue that cannot look orders up
    by client order id; ``client_order_id`` lets the caller reconcile by hand.
    """

    def __init__(self, message: str = "", *, client_order_id: str | None = None,
                 **kwargs: object) -> None:
        self.client_order_id = client_order_id
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
