"""venuekit: plugin-based async trading on cryptocurrency exchanges.

The public API is re-exported here. Names are resolved on first use so that
``import venuekit; venuekit.available()`` stays as light as reading entry-point metadata:
no plugin, no aiohttp and no pluggy is imported until a connector is made.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .connector import Connector, connect
    from .convert import make_converter
    from .errors import (
        AuthenticationError,
        BadResponse,
        BelowMinimum,
        ConfigurationError,
        DuplicateOrder,
        ExchangeError,
        ExchangeUnavailable,
        InsufficientFunds,
        InvalidOrder,
        InvalidSignature,
        InvalidTimestamp,
        IPBanned,
        NetworkError,
        OrderNotFound,
        OrderStatusUnknown,
        PermissionDenied,
        PluginError,
        RateLimitExceeded,
        RequestTimeout,
        StoreError,
        TokenExpired,
        UnknownSymbol,
        VenueError,
        VenuekitError,
    )
    from .hookspecs import hookimpl, hookspec
    from .models import (
        AssetBalance,
        Auth,
        AuthToken,
        Balance,
        Capability,
        Check,
        CheckRole,
        CheckStep,
        ClientOrderIdRule,
        ConnectionReport,
        Credentials,
        ExchangeInfo,
        Hosts,
        KeyPermissions,
        KeyType,
        LimitScope,
        Market,
        MarketKind,
        OrderParams,
        OrderRef,
        OrderResult,
        OrderStatus,
        OrderType,
        RateLimit,
        Side,
        TimeInForce,
        Usage,
    )
    from .registry import PluginInfo, Registry, available
    from .retry import RetryPolicy
    from .wire import BodyFormat, Call, Request, Response, SignedRequest

_EXPORTS = {
    "connector": ("Connector", "connect"),
    "convert": ("make_converter",),
    "errors": (
        "AuthenticationError", "BadResponse", "BelowMinimum", "ConfigurationError",
        "DuplicateOrder", "ExchangeError", "ExchangeUnavailable", "IPBanned",
        "InsufficientFunds", "InvalidOrder", "InvalidSignature", "InvalidTimestamp",
        "NetworkError", "OrderNotFound", "OrderStatusUnknown", "PermissionDenied",
        "PluginError", "RateLimitExceeded", "RequestTimeout", "StoreError", "TokenExpired",
        "UnknownSymbol", "VenueError", "VenuekitError",
    ),
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
    "wire": ("BodyFormat", "Call", "Request", "Response", "SignedRequest"),
}
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
