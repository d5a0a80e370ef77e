"""The exchange simulator framework: a venue on loopback for end-to-end tests.

A plugin's ``simulator.py`` subclasses :class:`Simulator`, adds the venue's routes and
envelopes, and verifies signatures the way the venue documents them (written apart from
the plugin's signer, so a shared misunderstanding cannot pass unnoticed). The base class
owns what every venue shares: order and balance state, the declared rate limits enforced
at arrival, and injectable faults (latency, 5xx, 429 with Retry-After, a connection dropped
after an order was accepted, a request executed late, clock skew).
"""

from __future__ import annotations

import abc
import asyncio
import enum
import itertools
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, ClassVar, Self

from aiohttp import web
from attrs import define, field

from ..models import Credentials, RateLimit
from .state import ErrorKind, SimMarket, SimOrder, SimReject, SimState

__all__ = [
    "ErrorKind",
    "Faults",
    "SimMarket",
    "SimOrder",
    "SimReject",
    "SimState",
    "Simulator",
    "Stats",
    "UsageWindow",
    "json_response",
    "sim_market",
]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class FaultKind(enum.Enum):
    HTTP_ERROR = "http_error"
    RATE_LIMIT = "rate_limit"
    DROP_AFTER = "drop_after"
    DROP_BEFORE = "drop_before"
    VENUE_ERROR = "venue_error"
    EXECUTE_LATE = "execute_late"


@define
class _Fault:
    kind: FaultKind
    path: str | None
    remaining: int
    status: int = 503
    retry_after: float | None = None
    error: ErrorKind | None = None
    message: str | None = None
    delay_s: float = 0.0
    method: str | None = None

    def matches(self, path: str, method: str | None = None) -> bool:
        if self.method is not None and method is not None and method != self.method:
            return False
        return self.path is None or path.startswith(self.path)


@define
class Faults:
    """Faults to inject, consumed in order by the requests whose path matches.

    ``path`` narrows a fault to requests whose path starts with it (e.g. the order
    endpoint), so a test can fail the order while its lookup goes through.
    """

    latency_s: float = 0.0
    skew_ms: int = 0
    _queue: list[_Fault] = field(factory=list)

    def fail_next(self, count: int = 1, *, status: int = 503, path: str | None = None) -> None:
        self._queue.append(_Fault(FaultKind.HTTP_ERROR, path, count, status=status))

    def rate_limit_next(self, count: int = 1, *, retry_after: float = 1.0,
                        path: str | None = None) -> None:
        self._queue.append(_Fault(FaultKind.RATE_LIMIT, path, count, retry_after=retry_after))

    def drop_after_accept(self, count: int = 1, *, path: str | None = None) -> None:
        """Run the request (the order exists), then cut the connection before answering."""
        self._queue.append(_Fault(FaultKind.DROP_AFTER, path, count))

    def drop_before_accept(self, count: int = 1, *, path: str | None = None) -> None:
        """Cut the connection before the request is processed (the order does not exist)."""
        self._queue.append(_Fault(FaultKind.DROP_BEFORE, path, count))

    def error_next(self, kind: ErrorKind, count: int = 1, *, path: str | None = None,
                   message: str | None = None) -> None:
        """Answer with the venue's own error envelope for ``kind`` (e.g. TIMESTAMP).

        ``message`` replaces the envelope's text: a test can make the venue echo what it
        was sent (a key, a secret) to prove no output repeats it.
        """
        self._queue.append(_Fault(FaultKind.VENUE_ERROR, path, count, error=kind,
                                  message=message))

    def execute_late(self, count: int = 1, *, delay_s: float, path: str | None = None,
                     method: str | None = "POST") -> None:
        """Hold the request ``delay_s`` (the client sees no answer, or times out), then run it.

        The request is judged when it finally runs, against its signed timestamp and the
        window the venue documents (``recvWindow``, ``expTime``): within the window the
        order takes effect late; past it the venue refuses it as stale. Only requests of
        ``method`` are held, so look-ups of the order on the same path go through.
        """
        self._queue.append(_Fault(FaultKind.EXECUTE_LATE, path, count, delay_s=delay_s,
                                  method=method))

    def take(self, path: str, method: str | None = None) -> _Fault | None:
        for fault in self._queue:
            if fault.matches(path, method):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._queue.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        self._queue.clear()
        self.latency_s = 0.0
        self.skew_ms = 0


@define
class Stats:
    """What the simulator saw: for tests that count requests and rejections."""

    requests: list[tuple[float, str, str]] = field(factory=list)  # (arrival, method, path)
    raw_targets: list[str] = field(factory=list)  # path and query exactly as received
    rate_limited: int = 0
    signature_failures: int = 0

    def count(self, path: str | None = None, method: str | None = None) -> int:
        return sum(1 for _, m, p in self.requests
                   if (path is None or p == path) and (method is None or m == method))


class UsageWindow:
    """One rule's sliding window, counted at arrival: what the venue has seen of it.

    Enforcing windows refuse the request that would exceed the rule; counting-only windows
    (``enforce=False``) record every request, for venues that report usage in headers
    without the test wanting the limit enforced. Simulators read :meth:`used` and
    :meth:`remaining` for their headers instead of re-counting requests.
    """

    def __init__(self, rule: RateLimit, *, enforce: bool = True) -> None:
        self.rule = rule
        self.enforce = enforce
        self.entries: deque[tuple[float, int]] = deque()
        self.total = 0

    def _prune(self, now: float) -> None:
        horizon = now - self.rule.period_s
        while self.entries and self.entries[0][0] <= horizon:
            self.total -= self.entries.popleft()[1]

    def admit(self, now: float, cost: int) -> bool:
        self._prune(now)
        if self.enforce and self.total + cost > self.rule.limit:
            return False
        self.entries.append((now, cost))
        self.total += cost
        return True

    def used(self, now: float | None = None) -> int:
        """What the window holds now (requests or weight admitted in the last period)."""
        self._prune(time.monotonic() if now is None else now)
        return self.total

    def remaining(self, now: float | None = None) -> int:
        """What is left of the rule's limit now, never below zero."""
        return max(self.rule.limit - self.used(now), 0)

    def resets_in(self, now: float | None = None) -> float:
        """Seconds until the oldest entry leaves the window (0 when it is empty)."""
        at = time.monotonic() if now is None else now
        self._prune(at)
        if not self.entries:
            return 0.0
        return max(self.entries[0][0] + self.rule.period_s - at, 0.0)


def sim_market(native: str, base: str, quote: str, *, tick: str, step: str,
               minimum: str | None = None, notional: str = "0", price: str = "100",
               contract_size: str | None = None) -> SimMarket:
    """A :class:`SimMarket` written as a venue's instrument list shows it: numbers as the
    venue's strings, the minimum quantity the step unless the venue says otherwise."""
    return SimMarket(native=native, base=base, quote=quote, tick_size=Decimal(tick),
                     step_size=Decimal(step), min_quantity=Decimal(minimum or step),
                     min_notional=Decimal(notional), price=Decimal(price),
                     contract_size=None if contract_size is None else Decimal(contract_size))


class Simulator(abc.ABC):
    """Base of every venue simulator.

    Subclasses set ``exchange`` and ``codes``, implement :meth:`routes` and
    :meth:`reject_response`, and call :meth:`check_timestamp` and the :class:`SimState`
    methods from their handlers. Handlers raise :class:`SimReject`; the base fills in the
    venue's code and status from ``codes`` and answers with the venue's envelope.
    Defaults live in class attributes, so a venue's simulator needs no ``__init__``.
    """

    exchange: ClassVar[str] = "simulated"
    #: path prefix of the API below the server root, for venues whose base URL has one
    #: (e.g. /api/v1): connectors use :attr:`api_url`
    api_prefix: ClassVar[str] = ""
    #: ErrorKind -> (HTTP status, venue error code): how the venue answers each refusal
    codes: ClassVar[Mapping[ErrorKind, tuple[int, str | int]]] = {}
    #: rate limits enforced at arrival unless the test passes ``limits``
    default_limits: ClassVar[Sequence[RateLimit]] = ()
    #: rules only counted (not enforced, unless also in ``limits``), for usage headers
    counted_limits: ClassVar[Sequence[RateLimit]] = ()
    #: markets unless the test passes ``markets``
    default_markets: ClassVar[Sequence[SimMarket]] = (
        sim_market("BTCUSDT", "BTC", "USDT", tick="0.1", step="0.001", notional="5",
                   price="50000"),
        sim_market("ETHUSDT", "ETH", "USDT", tick="0.01", step="0.01", notional="5",
                   price="3000"),
    )
    #: loopback-only credentials, unless the test passes ``credentials``
    default_credentials: ClassVar[Credentials] = Credentials(
        api_key="sim-key-0123456789abcdef",
        api_secret="sim-secret-0123456789abcdef0123456789")  # noqa: S106
    #: starting balances unless the test passes ``balances``
    default_balances: ClassVar[Mapping[str, Decimal | str | int]] = {"USDT": Decimal(100_000)}
    #: the venue folds client order ids to one case (BingX)
    case_insensitive_client_ids: ClassVar[bool] = False

    def __init__(self, *, credentials: Credentials | None = None,
                 markets: Iterable[SimMarket] | None = None,
                 balances: Mapping[str, Decimal | str | int] | None = None,
                 limits: Sequence[RateLimit] | None = None) -> None:
        self.credentials = credentials or self.default_credentials
        self.state = SimState(
            markets=list(markets if markets is not None else self.default_markets),
            balances=balances if balances is not None else self.default_balances,
            case_insensitive_client_ids=self.case_insensitive_client_ids,
        )
        self.faults = Faults()
        self.stats = Stats()
        enforced = self.default_limits if limits is None else limits
        #: one window per rule, by name: enforced rules and counted-only ones
        self.windows: dict[str, UsageWindow] = {
            rule.name: UsageWindow(rule, enforce=False) for rule in self.counted_limits}
        self.windows.update((rule.name, UsageWindow(rule)) for rule in enforced)
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        self._ids = itertools.count(1)
        self._late_tasks: set[asyncio.Task[web.StreamResponse]] = set()

    # ------------------------------------------------------------ to implement

    @abc.abstractmethod
    def routes(self) -> list[web.RouteDef]:
        """The venue's endpoints, bound to this instance's handlers."""

    @abc.abstractmethod
    def reject_response(self, reject: SimReject) -> web.Response:
        """The venue's real error envelope for ``reject`` (its ``code`` and ``status`` are
        filled in from :attr:`codes` when the handler left them out)."""

    def request_cost(self, request: web.Request) -> dict[str, int]:
        """Cost of a request per rule; by default 1 on every rule."""
        return dict.fromkeys(self.windows, 1)

    # ------------------------------------------------------------ rejections and usage

    def coded(self, reject: SimReject) -> SimReject:
        """``reject`` with the venue's code and status for its kind where it has none (a
        kind missing from :attr:`codes` is left for :meth:`reject_response` to answer)."""
        known = self.codes.get(reject.kind)
        if known is not None:
            status, code = known
            reject.code = code if reject.code is None else reject.code
            reject.status = status if reject.status is None else reject.status
        return reject

    def error_response(self, kind: ErrorKind, message: str) -> web.Response:
        """The venue's answer to a refusal of ``kind``, with its code and status."""
        return self.reject_response(self.coded(SimReject(kind, message)))

    def used(self, rule: str) -> int | None:
        """What the window of ``rule`` holds now, or None when the rule is not kept."""
        window = self.windows.get(rule)
        return None if window is None else window.used()

    def remaining(self, rule: str) -> int | None:
        """What is left of ``rule`` now, or None when the rule is not kept."""
        window = self.windows.get(rule)
        return None if window is None else window.remaining()

    # ------------------------------------------------------------ helpers for handlers

    def now_ms(self) -> int:
        """The venue's clock: real time plus the injected skew."""
        return int(time.time() * 1000) + self.faults.skew_ms

    def check_timestamp(self, timestamp_ms: int | str | None, *, window_ms: int = 5000,
                        ahead_ms: int = 1000) -> None:
        """Reject a timestamp outside ``[now - window, now + ahead)`` as the venue would."""
        try:
            ts = int(str(timestamp_ms))
        except ValueError:
            raise SimReject(ErrorKind.TIMESTAMP, "timestamp missing or not a number") from None
        now = self.now_ms()
        if self.receive_window_ms is not None:
            window_ms = min(window_ms, self.receive_window_ms)
        if ts >= now + ahead_ms or now - ts > window_ms:
            raise SimReject(ErrorKind.TIMESTAMP,
                            f"timestamp {ts} outside the window (server {now})")

    def check_api_key(self, api_key: str | None) -> None:
        if api_key != self.credentials.api_key:
            raise SimReject(ErrorKind.AUTH, "invalid api key")

    def reject_signature(self, why: str = "signature mismatch") -> SimReject:
        self.stats.signature_failures += 1
        return SimReject(ErrorKind.SIGNATURE, why)

    def next_id(self) -> str:
        return str(next(self._ids))

    # ------------------------------------------------------------ app and lifecycle

    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        app.add_routes(self.routes())
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.stats.requests.append((time.monotonic(), request.method, request.path))
        self.stats.raw_targets.append(request.raw_path)
        if self.faults.latency_s:
            await asyncio.sleep(self.faults.latency_s)
        now = time.monotonic()
        costs = self.request_cost(request)
        for name, cost in costs.items():
            window = self.windows.get(name)
            if window is not None and cost and not window.admit(now, cost):
                self.stats.rate_limited += 1
                return self.error_response(ErrorKind.RATE_LIMIT, f"rule {name} exceeded")
        fault = self.faults.take(request.path, request.method)
        if fault is not None:
            if fault.kind is FaultKind.DROP_BEFORE:
                return self._drop(request)
            if fault.kind is FaultKind.HTTP_ERROR:
                return web.Response(status=fault.status, text="<html><body>Service Unavailable"
                                    "</body></html>", content_type="text/html")
            if fault.kind is FaultKind.RATE_LIMIT:
                resp = self.error_response(ErrorKind.RATE_LIMIT, "too many requests")
                resp.headers["Retry-After"] = _retry_after(fault.retry_after or 1.0)
                return resp
            if fault.kind is FaultKind.VENUE_ERROR:
                assert fault.error is not None
                return self.error_response(fault.error,
                                           fault.message or f"injected {fault.error.value}")
            if fault.kind is FaultKind.EXECUTE_LATE:
                return await self._execute_late(request, handler, fault.delay_s)
        try:
            response = await handler(request)
        except SimReject as reject:
            response = self.reject_response(self.coded(reject))
        if fault is not None and fault.kind is FaultKind.DROP_AFTER:
            return self._drop(request)
        return response

    # ------------------------------------------------------------ late execution

    #: caps every receive window the venue checks (ms), so tests can compress time; None
    #: keeps the windows the venue documents
    receive_window_ms: int | None = None

    async def _execute_late(self, request: web.Request, handler: Handler,
                            delay_s: float) -> web.StreamResponse:
        """Run ``handler`` after ``delay_s`` whatever the client does meanwhile."""
        await request.read()  # keep the body: the client may be gone when the request runs
        task = asyncio.create_task(self._run_late(request, handler, delay_s))
        self._late_tasks.add(task)
        task.add_done_callback(self._late_tasks.discard)
        return await asyncio.shield(task)

    async def _run_late(self, request: web.Request, handler: Handler,
                        delay_s: float) -> web.StreamResponse:
        await asyncio.sleep(delay_s)
        try:
            return await handler(request)
        except SimReject as reject:
            return self.error_response(reject.kind, reject.message)

    async def settle(self) -> None:
        """Wait until every late request has run (and taken effect or been refused)."""
        while self._late_tasks:
            await asyncio.gather(*self._late_tasks, return_exceptions=True)

    @staticmethod
    def _drop(request: web.Request) -> web.StreamResponse:
        transport = request.transport
        if transport is not None:
            transport.abort()
        raise asyncio.CancelledError  # aiohttp treats it as a client gone away: nothing is sent

    @property
    def api_url(self) -> str:
        """The ``base_url`` a connector should use for this simulator."""
        return self.base_url + self.api_prefix

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on loopback; returns the base URL to pass as ``base_url``."""
        runner = web.AppRunner(self.make_app(), access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound = runner.addresses[0]
        self.base_url = f"http://{bound[0]}:{bound[1]}"
        return self.base_url

    async def stop(self) -> None:
        for task in list(self._late_tasks):  # late requests die with the venue
            task.cancel()
        await asyncio.gather(*self._late_tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


def _retry_after(seconds: float) -> str:
    # Retry-After is whole seconds by RFC 9110; round up so a client never comes back early.
    whole = int(seconds) if seconds == int(seconds) else int(seconds) + 1
    return str(max(whole, 0)) if seconds >= 1 else f"{seconds:g}"


def json_response(payload: Any, *, status: int = 200,
                  headers: dict[str, str] | None = None) -> web.Response:
    """A JSON response whose Decimals are written as strings, like most venues do."""
    from ..wire import encode_json
    return web.Response(body=encode_json(payload), status=status, headers=headers,
                        content_type="application/json")
