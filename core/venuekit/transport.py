"""Runs one Call: limiter, sign, send the exact bytes, map errors, parse.

One attempt per :meth:`Transport.send`; retry policy lives in :mod:`venuekit.retry`. This
is the only module that touches the network, so every plugin gets the same timeouts,
limits and error mapping without writing any I/O.

The session is one ``aiohttp.ClientSession`` per connector: a connector talks to one host,
so its pool is that host's keep-alive pool, and closing the connector frees exactly its
sockets. Hosts that want one pool for many connectors pass their own session.
"""

from __future__ import annotations

import email.utils
import functools
import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import aiohttp
import yarl
from attrs import define, field

from .attempt import Attempt
from .errors import (
    AuthenticationError,
    BadResponse,
    ConfigurationError,
    ExchangeError,
    ExchangeUnavailable,
    IPBanned,
    NetworkError,
    PermissionDenied,
    PluginError,
    RateLimitExceeded,
    RequestTimeout,
    VenueError,
)
from .models import Auth, LimitScope, RateLimit, Usage
from .ratelimit import Demand, Limiter
from .wire import Call, Request, Response, SignedRequest, encode_body, encode_query

if TYPE_CHECKING:
    pass

__all__ = ["Transport", "parse_retry_after"]

T = TypeVar("T")

#: How long to block a bucket after a rate-limit rejection that names no time.
DEFAULT_BLOCK_S = 1.0
#: How long to block after an IP ban that names no time (Binance's shortest ban is 2 min).
DEFAULT_BAN_S = 120.0


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


def _status_error(response: Response) -> VenueError:
    """The error for a failed HTTP status the plugin did not recognise."""
    status = response.status
    text = f"http {status}: {response.snippet()!r}"
    cls: type[VenueError]
    if status == 418:
        cls = IPBanned
    elif status == 429:
        cls = RateLimitExceeded
    elif status == 401:
        cls = AuthenticationError
    elif status == 403:
        cls = PermissionDenied
    elif status == 408:
        cls = RequestTimeout
    elif status >= 500:
        cls = ExchangeUnavailable
    else:
        cls = ExchangeError
    return cls(text, exchange=response.exchange, status=status)


@define
class Transport:
    """Everything one connector needs to put a request on the wire."""

    exchange: str
    hook: Any  # pluggy HookRelay of the exchange's manager
    base_url: str
    rules: Mapping[str, RateLimit]
    limiter: Limiter
    clock: Any  # venuekit.clock.Clock
    timeout_s: float = 10.0
    extra_headers: tuple[tuple[str, str], ...] = ()
    auth: Auth | None = None
    session: aiohttp.ClientSession | None = None
    owns_session: bool = True
    _host: str = field(init=False)
    _account: str = field(init=False, default="anonymous")
    _demand_cache: dict[tuple[str, int], Demand] = field(init=False, factory=dict)
    on_response: Callable[[Response], None] | None = None
    #: rules the plugin declares that the host removed with an override
    removed_rules: frozenset[str] = frozenset()

    def __attrs_post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self._host = urlsplit(self.base_url).netloc or self.base_url
        self.set_auth(self.auth)

    def set_auth(self, auth: Auth | None) -> None:
        self.auth = auth
        self._demand_cache.clear()  # account-scoped keys depend on the API key
        if auth is not None:
            digest = hashlib.sha256(auth.credentials.api_key.encode()).hexdigest()
            self._account = digest[:16]

    # ------------------------------------------------------------ limiter keys

    def demands(self, request: Request) -> list[Demand]:
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

    def bucket_key(self, rule: RateLimit) -> str:
        scope_id = self._host if rule.scope is LimitScope.IP else self._account
        return f"{self.exchange}:{rule.scope.value}:{scope_id}:{rule.name}"

    # ------------------------------------------------------------ signing

    def sign(self, request: Request) -> SignedRequest:
        if not request.signed:
            body, ctype = encode_body(request)
            return SignedRequest(method=request.method, path=request.path,
                                 query_string=encode_query(request.query), body=body,
                                 headers=request.headers + ctype, request=request)
        if self.auth is None:
            raise ConfigurationError(
                f"{self.exchange}: {request.method} {request.path} needs credentials")
        signed = self.hook.sign_request(request=request, auth=self.auth,
                                        timestamp_ms=self.clock.now_ms())
        if not isinstance(signed, SignedRequest):
            raise PluginError("sign_request did not return a SignedRequest",
                              plugin=self.exchange)
        return signed

    # ------------------------------------------------------------ one attempt

    def _session(self) -> aiohttp.ClientSession:
        if self.session is None or self.session.closed:
            # aiohttp's defaults (100 pooled keep-alive connections, DNS cached 10 s); no
            # session-wide headers: merging them costs CPU on every request
            self.session = aiohttp.ClientSession(trust_env=False)
            self.owns_session = True
        return self.session

    async def send(self, call: Call[T], *, timeout_s: float | None = None,
                   attempt: Attempt | None = None) -> T:
        """One attempt: wait for the limiter, sign, send, check, parse.

        ``attempt`` learns the venue-clock time the request was signed at (read after
        signing, so never earlier than the signature's own timestamp), before it is sent.
        """
        request = call.request
        demands = self.demands(request)
        permit = await self.limiter.acquire(demands) if demands else None
        try:
            signed = self.sign(request)
            if attempt is not None:  # the order protocol's clock starts here, not above
                attempt.signed(self.clock.now_ms())
            response = await self._http(signed, timeout_s or self.timeout_s)
        finally:
            if permit is not None:
                permit.settle()
        error = self._error_of(response)
        usages = self.hook.rate_limit_feedback(response=response)
        if usages or error is not None:
            await self._feedback(usages, error, demands)
        if error is not None:
            raise error
        return self._parse(call, response)

    def _parse(self, call: Call[T], response: Response) -> T:
        try:
            return call.parse(response)
        except VenueError as exc:
            raise exc.with_context(exchange=self.exchange, request=_describe(response),
                                   status=response.status) from None
        except Exception as exc:
            raise BadResponse(f"could not read the venue's answer: {exc!r}",
                              exchange=self.exchange, status=response.status,
                              request=_describe(response)) from exc

    async def _http(self, signed: SignedRequest, timeout_s: float) -> Response:
        url = yarl.URL(self.base_url + signed.target, encoded=True)
        headers = dict(signed.headers)
        if self.extra_headers:
            headers.update(self.extra_headers)
        if signed.body and "Content-Type" not in headers and \
                not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        try:
            async with self._session().request(
                    signed.method, url, data=signed.body or None, headers=headers,
                    allow_redirects=False, timeout=_client_timeout(timeout_s)) as resp:
                body = await resp.read()
                resp_headers = resp.headers  # immutable and case-insensitive already
                status = resp.status
        except TimeoutError:
            raise RequestTimeout(f"no answer within {timeout_s:g} s", exchange=self.exchange,
                                 request=signed.describe()) from None
        except aiohttp.ClientConnectorError as exc:
            raise NetworkError(f"cannot connect to {self._host}: {exc.os_error}",
                               exchange=self.exchange, request=signed.describe()) from None
        except (aiohttp.ClientError, OSError) as exc:
            raise NetworkError(f"connection failed: {type(exc).__name__}: {exc}",
                               exchange=self.exchange, request=signed.describe()) from None
        response = Response(exchange=self.exchange, status=status, headers=resp_headers,
                            body=body, request=signed,
                            elapsed_ms=(time.perf_counter() - started) * 1000)
        if self.on_response is not None:
            self.on_response(response)
        return response

    # ------------------------------------------------------------ feedback and errors

    async def _feedback(self, usages: Sequence[Usage] | None, error: VenueError | None,
                        demands: Sequence[Demand]) -> None:
        for usage in usages or ():
            rule = self.rules.get(usage.rule)
            if rule is not None:
                await self.limiter.feedback(self.bucket_key(rule), rule, usage.used)
        if isinstance(error, RateLimitExceeded):
            await self._block(error, demands)

    async def _block(self, error: RateLimitExceeded, demands: Sequence[Demand]) -> None:
        seconds = error.retry_after
        if seconds is None:
            seconds = DEFAULT_BAN_S if isinstance(error, IPBanned) else DEFAULT_BLOCK_S
        for demand in demands:
            await self.limiter.block(demand.key, demand.rule, seconds)

    def _error_of(self, response: Response) -> VenueError | None:
        try:
            error: VenueError | None = self.hook.parse_error(response=response)
        except BadResponse as exc:
            error = _status_error(response) if response.status >= 400 else exc
        if error is None and response.status >= 400:
            error = _status_error(response)
        if error is not None:
            error.with_context(exchange=self.exchange, request=_describe(response),
                               status=response.status)
            if isinstance(error, RateLimitExceeded) and error.retry_after is None:
                error.retry_after = parse_retry_after(response.header("Retry-After"))
        return error

    async def aclose(self) -> None:
        if self.session is not None and self.owns_session and not self.session.closed:
            await self.session.close()


@functools.lru_cache(maxsize=16)
def _client_timeout(seconds: float) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=seconds)


def _describe(response: Response) -> str | None:
    return response.request.describe() if response.request is not None else None
