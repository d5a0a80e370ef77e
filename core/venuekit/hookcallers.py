"""Typed, direct callers for one exchange's hooks.

The core calls four or five hooks per request. When exactly one plain implementation
answers a hook (no extension wraps it), calling that function with the arguments it names
gives the same result as pluggy's ``firstresult`` call at a fraction of the CPU; a wrapper
or a second implementation goes through ``pm.hook`` as usual.

What pluggy checks per call is checked here once, at load: every implementation's
arguments are a subset of its spec's (pluggy's own registration check), and every caller
is resolved for every spec, so a typo in the core is an ``AttributeError`` at load, not a
silent ``None``. The declarations under ``TYPE_CHECKING`` give each caller the spec's
signature, so mypy checks every hook argument and result in the core (the pattern of
pluggy's ``HookRelay``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING

from .errors import PluginError

if TYPE_CHECKING:
    from datetime import datetime
    from decimal import Decimal

    import pluggy

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

__all__ = ["HookCallers", "spec_names"]

#: Any hook function as stored before it is typed by a declaration below.
_Caller = Callable[..., object]


def spec_names() -> tuple[str, ...]:
    """The names of every hook spec, in definition order."""
    from . import hookspecs
    marker = f"{hookspecs.PROJECT_NAME}_spec"
    return tuple(name for name, obj in vars(hookspecs).items()
                 if callable(obj) and hasattr(obj, marker))


def _spec_args(name: str) -> tuple[str, ...]:
    from . import hookspecs
    return tuple(inspect.signature(getattr(hookspecs, name)).parameters)


def _direct(function: _Caller, argnames: tuple[str, ...], spec: tuple[str, ...]) -> _Caller:
    """A caller taking the spec's keyword arguments and passing the ones the
    implementation names, positionally and in its order.

    Generated like attrs' ``__init__``: keyword-only parameters are bound by the
    interpreter itself, where a ``**kwargs`` wrapper built a dict and looked every
    argument up again, on calls made several times per request. The names are the spec's
    (Python identifiers from :mod:`venuekit.hookspecs`), never a plugin's text.
    """
    if not set(argnames) <= set(spec) or not all(name.isidentifier() for name in spec):
        raise ValueError(f"arguments {argnames} are not among the spec's {spec}")
    if set(argnames) == set(spec) and _keywords_only_by_name(function, argnames):
        return function  # it takes every argument by its name already: no wrapper at all
    params = f"*, {', '.join(spec)}" if spec else ""
    source = f"def call({params}):\n    return function({', '.join(argnames)})\n"
    namespace: dict[str, object] = {"function": function}
    exec(source, namespace)  # noqa: S102 - identifiers only, checked above
    caller = namespace["call"]
    assert callable(caller)
    return caller


def _keywords_only_by_name(function: _Caller, argnames: tuple[str, ...]) -> bool:
    """Whether calling ``function`` with exactly ``argnames`` as keywords binds them all
    (plain parameters, nothing positional-only, no ``*args``/``**kwargs`` to surprise)."""
    try:
        params = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False
    plain = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return (tuple(params) == argnames
            and all(param.kind in plain for param in params.values()))


def _nothing(**kwargs: object) -> None:
    return None


class HookCallers:
    """One attribute per hook spec, each called with keyword arguments as the spec names."""

    if TYPE_CHECKING:
        # The spec signatures, for the type checker; at run time each name is an instance
        # attribute set in __init__ (a direct call or pluggy's caller).
        def exchange_info(self) -> ExchangeInfo | None: ...
        def sign_request(self, *, request: Request, auth: Auth,
                         timestamp_ms: int) -> SignedRequest | None: ...
        def login(self, *, credentials: Credentials) -> Call[AuthToken] | None: ...
        def fetch_markets(self) -> Call[list[Market]] | None: ...
        def fetch_balance(self) -> Call[Balance] | None: ...
        def place_order(self, *, order: OrderParams,
                        market: Market) -> Call[OrderResult] | None: ...
        def cancel_order(self, *, ref: OrderRef, market: Market) -> Call[OrderResult] | None: ...
        def fetch_order(self, *, ref: OrderRef, market: Market) -> Call[OrderResult] | None: ...
        def check_connection(self) -> list[Check] | None: ...
        def key_permissions(self) -> Call[KeyPermissions] | None: ...
        def server_time(self) -> Call[int] | None: ...
        def parse_error(self, *, response: Response) -> VenueError | None: ...
        def rate_limit_feedback(self, *, response: Response) -> list[Usage] | None: ...
        def fetch_open_orders(self, *, market: Market | None, all_markets: list[Market]
                              ) -> Plan[list[OrderResult]] | None: ...
        def fetch_my_trades(self, *, market: Market, since: datetime | None,
                            limit: int | None) -> Pages[Fill] | None: ...
        def fetch_positions(self, *, markets: list[Market] | None, all_markets: list[Market]
                            ) -> Plan[list[Position]] | None: ...
        def cancel_all_orders(self, *, market: Market) -> Plan[list[OrderResult]] | None: ...
        def cancel_orders(self, *, refs: list[OrderRef], market: Market
                          ) -> Plan[list[OrderResult | VenueError]] | None: ...
        def amend_order(self, *, ref: OrderRef, market: Market, quantity: Decimal | None,
                        price: Decimal | None) -> Plan[OrderResult] | None: ...
        def set_leverage(self, *, market: Market, leverage: int) -> Plan[int] | None: ...
        def place_orders(self, *, orders: list[OrderParams], markets: list[Market]
                         ) -> Plan[list[OrderResult | VenueError]] | None: ...
        def fetch_ticker(self, *, market: Market) -> Plan[Ticker] | None: ...
        def fetch_order_book(self, *, market: Market, depth: int) -> Plan[OrderBook] | None: ...
        def stream_info(self) -> StreamInfo | None: ...
        def stream_session(self, *, role: StreamRole) -> StreamSession | None: ...
        def stream_url(self, *, context: SocketContext) -> str | None: ...
        def stream_login(self, *, context: SocketContext) -> list[str] | None: ...
        def stream_subscribe(self, *, context: SocketContext, subscriptions: list[Subscription],
                             subscribe: bool) -> list[str] | None: ...
        def parse_stream_frame(self, *, frame: StreamFrame) -> list[StreamEvent] | None: ...

    def __init__(self, manager: pluggy.PluginManager, *, plugin: str = "?") -> None:
        for name in spec_names():
            caller = getattr(manager.hook, name)
            impls = caller.get_hookimpls()
            allowed = set(_spec_args(name))
            for impl in impls:
                extra = set(impl.argnames) - allowed
                if extra:  # pluggy refuses this at register; kept for hand-built managers
                    raise PluginError(f"hook {name} takes unknown arguments "
                                      f"{sorted(extra)}", plugin=plugin)
            chosen: _Caller
            if not impls:
                chosen = _nothing
            elif len(impls) == 1 and not (impls[0].hookwrapper or impls[0].wrapper):
                chosen = _direct(impls[0].function, tuple(impls[0].argnames),
                                 tuple(_spec_args(name)))
            else:
                chosen = caller
            setattr(self, name, chosen)
