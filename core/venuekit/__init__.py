"""venuekit: plugin-based async trading on cryptocurrency exchanges.

The public API is re-exported here. Names are resolved on first use so that
``import venuekit; venuekit.available()`` stays as light as reading entry-point metadata:
no plugin, no aiohttp and no pluggy is imported until a connector is made.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# The public names, by the module that defines them: the one table ``__all__`` and the lazy
# ``__getattr__`` below are built from. To add a public name, add it here and to the
# matching import under TYPE_CHECKING (tests/test_public_api.py checks the two agree).
_EXPORTS: dict[str, tuple[str, ...]] = {
    "account_models": ("Fill", "MarginMode", "OrderBook", "Position", "PositionSide",
                       "Ticker", "Trade"),
    "connector": ("Connector", "connect"),
    "convert": ("make_converter",),
    "errors": (
        "AuthenticationError", "BadResponse", "BelowMinimum", "ConfigurationError",
        "DuplicateOrder", "ExchangeError", "ExchangeUnavailable", "IPBanned",
        "InsufficientFunds", "InvalidArgument", "InvalidOrder", "InvalidSignature",
        "InvalidTimestamp", "NetworkError", "NotSupported", "OrderNeverPlaced", "OrderNotFound",
        "OrderStatusUnknown", "PermissionDenied",
        "PluginError", "RateLimitExceeded", "RequestTimeout", "StoreError", "TokenExpired",
        "UnknownSymbol", "VenueError", "VenuekitError",
    ),
    "flows": ("Flow", "Page", "Pages", "Plan", "Walk", "step"),
    "hookspecs": ("hookimpl", "hookspec"),
    "models": (
        "AssetBalance", "Auth", "AuthToken", "Balance", "Capability", "Check", "CheckRole",
        "CheckStep", "ClientOrderIdRule", "ConnectionReport", "Credentials", "ExchangeInfo",
        "Hosts", "KeyPermissions", "KeyType", "LimitScope", "Market", "MarketKind",
        "OrderParams", "OrderRef", "OrderResult", "OrderStatus", "OrderType", "RateLimit",
        "Side", "TimeInForce", "Usage",
    ),
    "registry": ("PluginInfo", "Registry", "available"),
    "retry": ("RetryPolicy",),
    "stream_models": ("BalanceUpdate", "BookRecovery", "BookUpdate", "Compression",
                      "Heartbeat", "PositionsUpdate", "SocketContext", "StreamFrame",
                      "StreamInfo", "StreamKind", "StreamRole", "StreamSession",
                      "Subscription"),
    "streams.settings": ("StreamSettings",),
    "wire": ("BodyFormat", "Call", "Request", "Response", "SignedRequest"),
}

if TYPE_CHECKING:
    # What type checkers read instead of the lazy __getattr__. ``X as X`` marks an explicit
    # re-export (mypy --strict does not see the computed __all__); one statement per
    # module, so isort's one-statement-per-alias rule is switched off for this block.
    # isort: off
    from .account_models import (
        Fill as Fill, MarginMode as MarginMode, OrderBook as OrderBook,
        Position as Position, PositionSide as PositionSide, Ticker as Ticker, Trade as Trade,
    )
    from .connector import Connector as Connector, connect as connect
    from .convert import make_converter as make_converter
    from .errors import (
        AuthenticationError as AuthenticationError, BadResponse as BadResponse,
        BelowMinimum as BelowMinimum, ConfigurationError as ConfigurationError,
        DuplicateOrder as DuplicateOrder, ExchangeError as ExchangeError,
        ExchangeUnavailable as ExchangeUnavailable, IPBanned as IPBanned,
        InsufficientFunds as InsufficientFunds, InvalidArgument as InvalidArgument,
        InvalidOrder as InvalidOrder, NotSupported as NotSupported,
        OrderNeverPlaced as OrderNeverPlaced,
        InvalidSignature as InvalidSignature, InvalidTimestamp as InvalidTimestamp,
        NetworkError as NetworkError, OrderNotFound as OrderNotFound,
        OrderStatusUnknown as OrderStatusUnknown, PermissionDenied as PermissionDenied,
        PluginError as PluginError, RateLimitExceeded as RateLimitExceeded,
        RequestTimeout as RequestTimeout, StoreError as StoreError,
        TokenExpired as TokenExpired, UnknownSymbol as UnknownSymbol,
        VenueError as VenueError, VenuekitError as VenuekitError,
    )
    from .flows import (
        Flow as Flow, Page as Page, Pages as Pages, Plan as Plan, Walk as Walk, step as step,
    )
    from .hookspecs import hookimpl as hookimpl, hookspec as hookspec
    from .models import (
        AssetBalance as AssetBalance, Auth as Auth, AuthToken as AuthToken,
        Balance as Balance, Capability as Capability, Check as Check,
        CheckRole as CheckRole, CheckStep as CheckStep,
        ClientOrderIdRule as ClientOrderIdRule, ConnectionReport as ConnectionReport,
        Credentials as Credentials, ExchangeInfo as ExchangeInfo, Hosts as Hosts,
        KeyPermissions as KeyPermissions, KeyType as KeyType, LimitScope as LimitScope,
        Market as Market, MarketKind as MarketKind, OrderParams as OrderParams,
        OrderRef as OrderRef, OrderResult as OrderResult, OrderStatus as OrderStatus,
        OrderType as OrderType, RateLimit as RateLimit, Side as Side,
        TimeInForce as TimeInForce, Usage as Usage,
    )
    from .registry import PluginInfo as PluginInfo, Registry as Registry, available as available
    from .retry import RetryPolicy as RetryPolicy
    from .stream_models import (
        BalanceUpdate as BalanceUpdate, BookRecovery as BookRecovery, BookUpdate as BookUpdate,
        Compression as Compression, Heartbeat as Heartbeat, PositionsUpdate as PositionsUpdate,
        SocketContext as SocketContext, StreamFrame as StreamFrame, StreamInfo as StreamInfo,
        StreamKind as StreamKind, StreamRole as StreamRole, StreamSession as StreamSession,
        Subscription as Subscription,
    )
    from .streams.settings import StreamSettings as StreamSettings
    from .wire import (
        BodyFormat as BodyFormat, Call as Call, Request as Request, Response as Response,
        SignedRequest as SignedRequest,
    )
    # isort: on

_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted([*_WHERE, "__version__"])


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version
        try:
            value = version("venuekit")
        except PackageNotFoundError:  # running from a source tree
            from ._version import __version__ as value
        globals()[name] = value
        return value
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'venuekit' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
