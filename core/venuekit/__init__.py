"""venuekit: plugin-based async trading on cryptocurrency exchanges.

The public API is re-exported here. Names are resolved on first use so that
``import venuekit; venuekit.available()`` stays as light as reading entry-point metadata:
no plugin, no aiohttp and no pluggy is imported until a connector is made.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .connector import Connector as Connector
    from .connector import connect as connect
    from .convert import make_converter as make_converter
    from .errors import (
        AuthenticationError as AuthenticationError,
    )
    from .errors import (
        BadResponse as BadResponse,
    )
    from .errors import (
        BelowMinimum as BelowMinimum,
    )
    from .errors import (
        ConfigurationError as ConfigurationError,
    )
    from .errors import (
        DuplicateOrder as DuplicateOrder,
    )
    from .errors import (
        ExchangeError as ExchangeError,
    )
    from .errors import (
        ExchangeUnavailable as ExchangeUnavailable,
    )
    from .errors import (
        InsufficientFunds as InsufficientFunds,
    )
    from .errors import (
        InvalidOrder as InvalidOrder,
    )
    from .errors import (
        InvalidSignature as InvalidSignature,
    )
    from .errors import (
        InvalidTimestamp as InvalidTimestamp,
    )
    from .errors import (
        IPBanned as IPBanned,
    )
    from .errors import (
        NetworkError as NetworkError,
    )
    from .errors import (
        OrderNeverPlaced as OrderNeverPlaced,
    )
    from .errors import (
        OrderNotFound as OrderNotFound,
    )
    from .errors import (
        OrderStatusUnknown as OrderStatusUnknown,
    )
    from .errors import (
        PermissionDenied as PermissionDenied,
    )
    from .errors import (
        PluginError as PluginError,
    )
    from .errors import (
        RateLimitExceeded as RateLimitExceeded,
    )
    from .errors import (
        RequestTimeout as RequestTimeout,
    )
    from .errors import (
        StoreError as StoreError,
    )
    from .errors import (
        TokenExpired as TokenExpired,
    )
    from .errors import (
        UnknownSymbol as UnknownSymbol,
    )
    from .errors import (
        VenueError as VenueError,
    )
    from .errors import (
        VenuekitError as VenuekitError,
    )
    from .hookspecs import hookimpl as hookimpl
    from .hookspecs import hookspec as hookspec
    from .models import (
        AssetBalance as AssetBalance,
    )
    from .models import (
        Auth as Auth,
    )
    from .models import (
        AuthToken as AuthToken,
    )
    from .models import (
        Balance as Balance,
    )
    from .models import (
        Capability as Capability,
    )
    from .models import (
        Check as Check,
    )
    from .models import (
        CheckRole as CheckRole,
    )
    from .models import (
        CheckStep as CheckStep,
    )
    from .models import (
        ClientOrderIdRule as ClientOrderIdRule,
    )
    from .models import (
        ConnectionReport as ConnectionReport,
    )
    from .models import (
        Credentials as Credentials,
    )
    from .models import (
        ExchangeInfo as ExchangeInfo,
    )
    from .models import (
        Hosts as Hosts,
    )
    from .models import (
        KeyPermissions as KeyPermissions,
    )
    from .models import (
        KeyType as KeyType,
    )
    from .models import (
        LimitScope as LimitScope,
    )
    from .models import (
        Market as Market,
    )
    from .models import (
        MarketKind as MarketKind,
    )
    from .models import (
        OrderParams as OrderParams,
    )
    from .models import (
        OrderRef as OrderRef,
    )
    from .models import (
        OrderResult as OrderResult,
    )
    from .models import (
        OrderStatus as OrderStatus,
    )
    from .models import (
        OrderType as OrderType,
    )
    from .models import (
        RateLimit as RateLimit,
    )
    from .models import (
        Side as Side,
    )
    from .models import (
        TimeInForce as TimeInForce,
    )
    from .models import (
        Usage as Usage,
    )
    from .registry import PluginInfo as PluginInfo
    from .registry import Registry as Registry
    from .registry import available as available
    from .retry import RetryPolicy as RetryPolicy
    from .wire import BodyFormat as BodyFormat
    from .wire import Call as Call
    from .wire import Request as Request
    from .wire import Response as Response
    from .wire import SignedRequest as SignedRequest

_EXPORTS = {
    "connector": ("Connector", "connect"),
    "convert": ("make_converter",),
    "errors": (
        "AuthenticationError", "BadResponse", "BelowMinimum", "ConfigurationError",
        "DuplicateOrder", "ExchangeError", "ExchangeUnavailable", "IPBanned",
        "InsufficientFunds", "InvalidOrder", "InvalidSignature", "InvalidTimestamp",
        "NetworkError", "OrderNeverPlaced", "OrderNotFound", "OrderStatusUnknown",
        "PermissionDenied", "PluginError", "RateLimitExceeded", "RequestTimeout", "StoreError",
        "TokenExpired", "UnknownSymbol", "VenueError", "VenuekitError",
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
