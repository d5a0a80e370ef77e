"""The pure half of a request: from a Call to wire bytes, and from a Response to a result.

Nothing here awaits or touches a socket (h11's idea): :meth:`ExchangeProtocol.demands`
says what the limiter must grant, :meth:`ExchangeProtocol.sign` fixes the bytes, and
:meth:`ExchangeProtocol.interpret` turns the venue's answer into an :class:`Outcome`: the
parsed value, or the core error with any Retry-After block, plus the usage the venue
reported. The transport (:mod:`venuekit.transport`) runs the awaits in between, so every
rule about statuses, envelopes and feedback is unit-tested with bytes.
"""

from __future__ import annotations

import email.utils
import hashlib
import time
from collections.abc import Mapping
from typing import Generic, TypeVar, cast

from attrs import define, field, frozen

from .errors import (
    AuthenticationError,
    BadResponse,
    ConfigurationError,
    ExchangeError,
    ExchangeUnavailable,
    IPBanned,
    PermissionDenied,
    PluginError,
    RateLimitExceeded,
    RequestTimeout,
    VenueError,
)
from .hookcallers import HookCallers
from .models import Auth, LimitScope, RateLimit, Usage
from .ratelimit import Demand
from .scrub import Scrubber
from .wire import Call, Request, Response, SignedRequest, encode_body, encode_query

__all__ = ["DEFAULT_BAN_S", "DEFAULT_BLOCK_S", "ExchangeProtocol", "Outcome",
           "parse_retry_after", "status_error"]

T = TypeVar("T")

#: How long to block a bucket after a rate-limit rejection that names no time.
DEFAULT_BLOCK_S = 1.0
#: How long to block after an IP ban that names no time (Binance's shortest ban is 2 min).
DEFAULT_BAN_S = 120.0
#: Statuses mapped to a class when the plugin's parse_error does not recognise the answer.
_STATUS_ERRORS: Mapping[int, type[VenueError]] = {
    401: AuthenticationError,
    403: PermissionDenied,
    408: RequestTimeout,
    418: IPBanned,
    429: RateLimitExceeded,
}
_FIRST_ERROR_STATUS = 400
_FIRST_SERVER_ERROR_STATUS = 500


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - (time.time() if now is None else now), 0.0)


def status_error(response: Response) -> VenueError:
    """The error for a failed HTTP status the plugin did not recognise."""
    status = response.status
    cls = _STATUS_ERRORS.get(status)
    if cls is None:
        cls = ExchangeUnavailable if status >= _FIRST_SERVER_ERROR_STATUS else ExchangeError
    return cls(f"http {status}: {response.snippet()!r}", exchange=response.exchange,
               status=status)


@frozen
class Outcome(Generic[T]):
    """What one response means: a value or an error, and what the limiter should learn."""

    value: T | None
    error: VenueError | None = None
    usages: tuple[Usage, ...] = ()
    #: seconds the request's buckets must stay closed (a rate-limit rejection)
    block_s: float | None = None

    def unwrap(self) -> T:
        if self.error is not None:
            raise self.error
        return cast(T, self.value)


@define
class ExchangeProtocol:
    """One connector's request rules: limiter keys, signing, and reading answers."""

    exchange: str
    hooks: HookCallers
    rules: Mapping[str, RateLimit]
    #: the host part of the base URL: the key of IP-scoped buckets
    host: str
    #: rules the plugin declares that the host removed with an override
    removed_rules: frozenset[str] = frozenset()
    auth: Auth | None = field(default=None, repr=False)
    scrubber: Scrubber = field(init=False, factory=Scrubber, repr=False)
    _account: str = field(init=False, default="anonymous")
    _demand_cache: dict[tuple[str, int], Demand] = field(init=False, factory=dict)
    #: usage rule name -> (rule, bucket key), or None for a rule this connector lacks (read
    #: by the transport on every answer; filled by :meth:`usage_target`)
    usage_targets: dict[str, tuple[RateLimit, str] | None] = field(init=False, factory=dict)

    def __attrs_post_init__(self) -> None:
        self.set_auth(self.auth)

    def set_auth(self, auth: Auth | None) -> None:
        """New credentials or a new token: account-scoped keys and the scrubber follow."""
        self.auth = auth
        self._demand_cache.clear()
        self.usage_targets.clear()
        if auth is None:
            self.scrubber = Scrubber()
            return
        creds = auth.credentials
        self._account = hashlib.sha256(creds.api_key.encode()).hexdigest()[:16]
        token = auth.token
        self.scrubber = Scrubber.of((
            creds.api_key, creds.api_secret, creds.passphrase, creds.private_key,
            token.access_token if token else None, token.refresh_token if token else None))

    # ------------------------------------------------------------ before sending

    def demands(self, request: Request) -> list[Demand]:
        """What the limiter must grant before ``request`` may be signed and sent."""
        out = []
        cache = self._demand_cache
        for name, cost in request.cost.items():
            known = cache.get((name, cost))
            if known is not None:
                out.append(known)
                continue
            rule = self.rules.get(name)
            if rule is None:
                if cost == 0 or name in self.removed_rules:
                    continue  # the host switched this rule off
                raise PluginError(f"request {request.method} {request.path} costs unknown "
                                  f"limiter rule {name!r}", plugin=self.exchange)
            if cost:
                demand = Demand(key=self.bucket_key(rule), rule=rule, cost=cost)
                cache[(name, cost)] = demand
                out.append(demand)
        return out

    def usage_target(self, rule_name: str) -> tuple[RateLimit, str] | None:
        """The rule a reported usage is about and its bucket key (None: no such rule).

        Worked out once per rule and account: venues report usage on every answer.
        """
        try:
            return self.usage_targets[rule_name]
        except KeyError:
            pass
        rule = self.rules.get(rule_name)
        target = None if rule is None else (rule, self.bucket_key(rule))
        self.usage_targets[rule_name] = target
        return target

    def bucket_key(self, rule: RateLimit) -> str:
        scope_id = self.host if rule.scope is LimitScope.IP else self._account
        return f"{self.exchange}:{rule.scope.value}:{scope_id}:{rule.name}"

    def sign(self, request: Request, timestamp_ms: int) -> SignedRequest:
        """The exact bytes to send: the plugin signs signed requests, core encodes others.

        Raises:
            ConfigurationError: a signed request on a connector without credentials.
            PluginError: the plugin's ``sign_request`` returned something else.
        """
        if not request.signed:
            body, ctype = encode_body(request)
            return SignedRequest(method=request.method, path=request.path,
                                 query_string=encode_query(request.query), body=body,
                                 headers=request.headers + ctype, request=request)
        if self.auth is None:
            raise ConfigurationError(
                f"{self.exchange}: {request.method} {request.path} needs credentials")
        signed = self.hooks.sign_request(request=request, auth=self.auth,
                                         timestamp_ms=timestamp_ms)
        if not isinstance(signed, SignedRequest):
            raise PluginError("sign_request did not return a SignedRequest",
                              plugin=self.exchange)
        return signed

    # ------------------------------------------------------------ after the answer

    def interpret(self, call: Call[T], response: Response) -> Outcome[T]:
        """Map the answer: the plugin's envelope check first, then the status, then parse."""
        hooks = self.hooks
        try:  # the plugin's envelope check first
            error = hooks.parse_error(response=response)
        except BadResponse as exc:  # a body it could not read: the status decides if any
            error = status_error(response) if response.status >= _FIRST_ERROR_STATUS else exc
        if error is not None or response.status >= _FIRST_ERROR_STATUS:
            error = self._error_of(response, error)
        usages = hooks.rate_limit_feedback(response=response)
        if error is None:
            try:
                value = call.parse(response)
            except VenueError as exc:
                error = exc.with_context(exchange=self.exchange, request=_describe(response),
                                         status=response.status)
            except Exception as exc:
                error = BadResponse(f"could not read the venue's answer: {exc!r}",
                                    exchange=self.exchange, status=response.status,
                                    request=_describe(response))
                error.__cause__ = exc
            else:
                return Outcome(value, None, tuple(usages) if usages else ())
        block_s = None
        if isinstance(error, RateLimitExceeded):
            block_s = error.retry_after
            if block_s is None:
                block_s = DEFAULT_BAN_S if isinstance(error, IPBanned) else DEFAULT_BLOCK_S
        return Outcome(None, self.scrubber.error(error), tuple(usages) if usages else (),
                       block_s)

    def _error_of(self, response: Response, error: VenueError | None) -> VenueError | None:
        """The error a response means, given what the plugin's ``parse_error`` made of it."""
        if error is None and response.status >= _FIRST_ERROR_STATUS:
            error = status_error(response)
        if error is not None:
            error.with_context(exchange=self.exchange, request=_describe(response),
                               status=response.status)
            if isinstance(error, RateLimitExceeded) and error.retry_after is None:
                error.retry_after = parse_retry_after(response.header("Retry-After"))
        return error


def _describe(response: Response) -> str | None:
    return response.request.describe() if response.request is not None else None
