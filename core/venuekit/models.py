"""Frozen value models shared by the core, the plugins and the host.

Models know nothing of JSON or of any venue's field names: plugins translate venue payloads
into these in plain functions, and the host serialises them through :mod:`venuekit.convert`.
Every amount is a :class:`~decimal.Decimal`; a float given by a caller goes through ``str()``
first so ``0.1`` stays ``Decimal("0.1")`` instead of its binary expansion.
"""

from __future__ import annotations

import enum
import functools
import operator
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from attrs import field, fields, frozen

from .errors import InvalidOrder

if TYPE_CHECKING:
    from .wire import Call

__all__ = [
    "AssetBalance",
    "Auth",
    "AuthToken",
    "Balance",
    "Capability",
    "Check",
    "CheckRole",
    "CheckStep",
    "ClientOrderIdRule",
    "ConnectionReport",
    "Credentials",
    "ExchangeInfo",
    "Hosts",
    "KeyPermissions",
    "KeyType",
    "LimitScope",
    "Market",
    "MarketKind",
    "OrderParams",
    "OrderRef",
    "OrderResult",
    "OrderStatus",
    "OrderType",
    "RateLimit",
    "Side",
    "TimeInForce",
    "Usage",
    "mask",
    "to_decimal",
]


# ---------------------------------------------------------------- enums


class _CaseInsensitiveEnum(enum.Enum):
    """Accept ``"BUY"``, ``"buy"`` and ``"Buy"`` alike: callers type these by hand."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if isinstance(value, str):
            folded = value.strip().lower().replace("-", "_")
            for member in cls:
                if member.value == folded or member.name.lower() == folded:
                    return member
        return None


class Side(_CaseInsensitiveEnum):
    BUY = "buy"
    SELL = "sell"


class OrderType(_CaseInsensitiveEnum):
    LIMIT = "limit"
    MARKET = "market"


class TimeInForce(_CaseInsensitiveEnum):
    GTC = "gtc"
    IOC = "ioc"
    FOK = "fok"
    POST_ONLY = "post_only"


class OrderStatus(_CaseInsensitiveEnum):
    """Where an order stands, as the venue reports it.

    EXPIRED only where the venue tells an order ended by its own rules (an IOC or FOK
    rest, a market order's unfilled rest) from a cancel; venues that do not (Bybit, OKX,
    OrangeX) report CANCELED for both, and nothing is guessed. Either way
    ``filled_quantity`` keeps what executed before the end.
    """

    OPEN = "open"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"
    EXPIRED = "expired"

    @property
    def is_final(self) -> bool:
        return self not in (OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED)


class KeyType(_CaseInsensitiveEnum):
    HMAC = "hmac"
    ED25519 = "ed25519"
    RSA = "rsa"


class MarketKind(_CaseInsensitiveEnum):
    SPOT = "spot"
    SWAP = "swap"


class LimitScope(_CaseInsensitiveEnum):
    """Whose budget a rule spends: the venue counts per IP (host) or per API key."""

    IP = "ip"
    ACCOUNT = "account"


class Capability(_CaseInsensitiveEnum):
    """What a venue can do that the core's policies depend on."""

    FETCH_ORDER_BY_CLIENT_ID = "fetch_order_by_client_id"
    MARKET_BUY_BY_QUOTE = "market_buy_by_quote"
    REDUCE_ONLY = "reduce_only"
    TESTNET = "testnet"
    KEY_PERMISSIONS = "key_permissions"
    # account state and market data (0.2): absent means the connector raises NotSupported
    # before sending, except CANCEL_ALL_ORDERS, which the core composes when it is absent
    FETCH_OPEN_ORDERS = "fetch_open_orders"  #: per symbol
    FETCH_OPEN_ORDERS_ALL_SYMBOLS = "fetch_open_orders_all_symbols"  #: symbol=None
    FETCH_MY_TRADES = "fetch_my_trades"
    FETCH_POSITIONS = "fetch_positions"
    CANCEL_ALL_ORDERS = "cancel_all_orders"  #: native; absent: list then cancel
    CANCEL_ORDERS = "cancel_orders"  #: batch cancel, ExchangeInfo.max_batch_cancels per call
    AMEND_ORDER_PRICE = "amend_order_price"
    AMEND_ORDER_QUANTITY = "amend_order_quantity"
    SET_LEVERAGE = "set_leverage"
    PLACE_ORDERS = "place_orders"  #: batch place, ExchangeInfo.max_batch_orders per call
    FETCH_TICKER = "fetch_ticker"
    FETCH_ORDER_BOOK = "fetch_order_book"


class CheckRole(_CaseInsensitiveEnum):
    """How the core reads the result of a connection-test step."""

    SERVER_TIME = "server_time"
    BALANCE = "balance"
    PERMISSIONS = "permissions"
    OTHER = "other"


# ---------------------------------------------------------------- helpers


def to_decimal(value: object) -> Decimal:
    """Convert a caller's number to Decimal without ever passing through binary floats."""
    kind = type(value)
    if kind is Decimal:
        return value  # type: ignore[return-value]
    if kind is str:
        try:
            return Decimal(value)  # type: ignore[arg-type]
        except InvalidOperation:
            pass  # surrounding spaces or garbage: the slow path below says which
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("a bool is not an amount")
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"not a number: {value!r}") from None
    raise TypeError(f"cannot use {type(value).__name__} as an amount")


def _opt_decimal(value: object) -> Decimal | None:
    if type(value) is Decimal or value is None:  # the common case, without the calls
        return value
    return None if value == "" else to_decimal(value)


def mask(value: str | None) -> str:
    """Show a key the way support desks do (``abcd…wxyz``); short values are hidden whole."""
    if not value:
        return ""
    if len(value) <= 12:
        return "…" * 3
    return f"{value[:4]}…{value[-4:]}"


def _utc_required(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware (UTC)")
    return value


def _utc(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware (UTC)")
    return value


# ---------------------------------------------------------------- credentials


@frozen(kw_only=True, repr=False)
class Credentials:
    """API credentials. Secrets never appear in ``repr`` or ``str``.

    ``private_key`` holds an Ed25519 seed or an RSA PEM for venues that take key pairs; for
    HMAC it is unused. OrangeX's client id / client secret map to ``api_key`` / ``api_secret``.
    """

    api_key: str
    api_secret: str = ""
    passphrase: str | None = None
    key_type: KeyType = field(default=KeyType.HMAC, converter=KeyType)
    private_key: str | None = None

    def __repr__(self) -> str:
        extra = ", passphrase=***" if self.passphrase else ""
        return (f"Credentials(api_key={mask(self.api_key)!r}, api_secret=***{extra}, "
                f"key_type={self.key_type.value})")

    __str__ = __repr__

    def __getstate__(self) -> None:
        raise TypeError("Credentials are not picklable: secrets stay in memory")


@frozen(kw_only=True, repr=False)
class AuthToken:
    """A bearer token from a token-based venue; the core refreshes it before ``expires_at``."""

    access_token: str
    expires_at: datetime = field(converter=_utc_required)
    refresh_token: str | None = None
    scope: str = ""

    def __repr__(self) -> str:
        return f"AuthToken(access_token=***, expires_at={self.expires_at.isoformat()}, " \
               f"scope={self.scope!r})"

    def expires_within(self, seconds: float, now: datetime | None = None) -> bool:
        now = now or datetime.now(UTC)
        return (self.expires_at - now).total_seconds() <= seconds


@frozen(repr=False)
class Auth:
    """What ``sign_request`` gets: the credentials and, for token venues, the current token."""

    credentials: Credentials
    token: AuthToken | None = None

    def __repr__(self) -> str:
        return f"Auth({self.credentials!r}, token={'***' if self.token else None})"


# ---------------------------------------------------------------- orders


# The converters below return an already-converted value at once: the core re-creates
# validated models (``attrs.evolve``) on every order, and an enum or Decimal needs nothing.


def _side(value: object) -> Side:
    if type(value) is Side:
        return value
    try:
        return Side(value)
    except ValueError:
        raise InvalidOrder(f"side must be 'buy' or 'sell', got {value!r}") from None


def _type(value: object) -> OrderType:
    if type(value) is OrderType:
        return value
    try:
        return OrderType(value)
    except ValueError:
        raise InvalidOrder(f"type must be 'limit' or 'market', got {value!r}") from None


def _tif(value: object) -> TimeInForce | None:
    if value is None or type(value) is TimeInForce:
        return value
    try:
        return TimeInForce(value)
    except ValueError:
        raise InvalidOrder(
            f"time_in_force must be one of GTC, IOC, FOK, POST_ONLY, got {value!r}") from None


def _amount(name: str, value: object) -> Decimal | None:
    try:
        return _opt_decimal(value)
    except (TypeError, ValueError) as exc:
        raise InvalidOrder(f"{name}: {exc}") from None


def _quantity(value: object) -> Decimal | None:
    if type(value) is Decimal or value is None:
        return value
    return _amount("quantity", value)


def _price(value: object) -> Decimal | None:
    if type(value) is Decimal or value is None:
        return value
    return _amount("price", value)


def _quote_quantity(value: object) -> Decimal | None:
    if type(value) is Decimal or value is None:
        return value
    return _amount("quote_quantity", value)


def _opt_side(value: object) -> Side | None:
    return value if value is None or type(value) is Side else Side(value)


def _opt_type(value: object) -> OrderType | None:
    if value is None or type(value) is OrderType:
        return value
    return OrderType(value)


def _status(value: object) -> OrderStatus:
    return value if type(value) is OrderStatus else OrderStatus(value)


def _positive(name: str, value: Decimal | None) -> None:
    if value is not None and (not value.is_finite() or value <= 0):
        raise InvalidOrder(f"{name} must be a finite number above zero, got {value}")


@frozen(kw_only=True)
class OrderParams:
    """An order as the caller means it, validated on construction.

    ``quantity`` is always in base currency. ``quote_quantity`` is the explicit way to size a
    market buy in quote currency, for venues that size market buys that way (Pionex).
    """

    symbol: str
    side: Side = field(converter=_side)
    type: OrderType = field(converter=_type)
    quantity: Decimal | None = field(default=None, converter=_quantity)
    price: Decimal | None = field(default=None, converter=_price)
    time_in_force: TimeInForce | None = field(default=None, converter=_tif)
    client_order_id: str | None = None
    reduce_only: bool = False
    quote_quantity: Decimal | None = field(default=None, converter=_quote_quantity)

    def __attrs_post_init__(self) -> None:
        if not self.symbol or not self.symbol.strip():
            raise InvalidOrder("symbol is required")
        _positive("quantity", self.quantity)
        _positive("price", self.price)
        _positive("quote_quantity", self.quote_quantity)
        if self.quantity is None and self.quote_quantity is None:
            raise InvalidOrder("quantity is required")
        if self.type is OrderType.LIMIT:
            if self.price is None:
                raise InvalidOrder("a limit order needs a price")
            if self.quantity is None:
                raise InvalidOrder("a limit order is sized by quantity, not quote_quantity")
            if self.time_in_force is None:
                object.__setattr__(self, "time_in_force", TimeInForce.GTC)
        else:
            if self.price is not None:
                raise InvalidOrder("a market order takes no price")
            if self.time_in_force not in (None, TimeInForce.IOC, TimeInForce.FOK):
                raise InvalidOrder("a market order takes no GTC or post-only time in force")
            if self.quote_quantity is not None and self.side is not Side.BUY:
                raise InvalidOrder("quote_quantity sizes market buys only")
        if self.client_order_id is not None and not self.client_order_id:
            raise InvalidOrder("client_order_id must not be empty")


def with_client_order_id(params: OrderParams, client_order_id: str) -> OrderParams:
    """``params`` with its client order id set, without validating the rest again.

    ``attrs.evolve`` would run every converter and check of an order that passed them when
    it was built; only the new id needs a check (non-empty; the caller applies the venue's
    id rule).
    """
    if not client_order_id:
        raise InvalidOrder("client_order_id must not be empty")
    order = object.__new__(OrderParams)
    put = object.__setattr__
    for name in _OTHER_ORDER_FIELDS:
        put(order, name, getattr(params, name))
    put(order, "client_order_id", client_order_id)
    return order


_OTHER_ORDER_FIELDS = tuple(f.name for f in fields(OrderParams) if f.name != "client_order_id")


@frozen
class OrderRef:
    """Which order: by the venue's id, or by our client order id (at least one)."""

    symbol: str
    order_id: str | None = None
    client_order_id: str | None = None

    def __attrs_post_init__(self) -> None:
        if not self.order_id and not self.client_order_id:
            raise InvalidOrder("give order_id or client_order_id")


@frozen(kw_only=True)
class OrderResult:
    """An order as the venue reports it, in unified terms and base-currency quantities."""

    exchange: str
    symbol: str
    order_id: str
    client_order_id: str | None
    #: None where the venue's answer does not say (cancel acknowledgements carrying ids only)
    side: Side | None = field(converter=_opt_side)
    type: OrderType | None = field(converter=_opt_type)
    status: OrderStatus = field(converter=_status)
    quantity: Decimal | None = field(converter=_opt_decimal)
    price: Decimal | None = field(default=None, converter=_opt_decimal)
    filled_quantity: Decimal = field(default=Decimal(0), converter=to_decimal)
    average_price: Decimal | None = field(default=None, converter=_opt_decimal)
    time_in_force: TimeInForce | None = None
    reduce_only: bool = False
    created_at: datetime | None = field(default=None, converter=_utc)
    updated_at: datetime | None = field(default=None, converter=_utc)


# ---------------------------------------------------------------- balance


@frozen
class AssetBalance:
    """One asset of the account: ``free`` is what new orders may use, ``used`` what margin
    and open orders hold (never below zero), ``total`` the venue's own balance figure.

    Whether ``total`` counts unrealized PnL follows the venue: the wallet balance on
    Binance, Bybit and BingX, the equity on OKX and OrangeX (each plugin's README says).
    """

    asset: str
    free: Decimal = field(converter=to_decimal)
    used: Decimal = field(converter=to_decimal)
    total: Decimal = field(converter=to_decimal)


def _assets(value: Iterable[AssetBalance]) -> tuple[AssetBalance, ...]:
    return tuple(sorted(value, key=_ASSET_NAME))


_ASSET_NAME = operator.attrgetter("asset")


@frozen
class Balance:
    """Per-asset balances of the account the plugin trades from (futures, unified, spot)."""

    exchange: str
    assets: tuple[AssetBalance, ...] = field(converter=_assets)

    def __getitem__(self, asset: str) -> AssetBalance:
        for item in self.assets:
            if item.asset == asset:
                return item
        raise KeyError(asset)

    def get(self, asset: str) -> AssetBalance | None:
        try:
            return self[asset]
        except KeyError:
            return None

    def nonzero(self) -> tuple[AssetBalance, ...]:
        return tuple(a for a in self.assets if a.total != 0)


# ---------------------------------------------------------------- markets


@frozen(kw_only=True)
class Market:
    """A tradable instrument with the rules the core checks orders against.

    ``step_size`` and ``min_quantity`` are in base currency even where the venue counts
    contracts; ``contract_size`` (base per contract) lets the plugin convert.
    """

    symbol: str  # unified: BASE/QUOTE or BASE/QUOTE:SETTLE
    native: str  # the venue's own id
    base: str
    quote: str
    kind: MarketKind = field(converter=MarketKind)
    settle: str | None = None
    tick_size: Decimal = field(converter=to_decimal)
    step_size: Decimal = field(converter=to_decimal)
    min_quantity: Decimal = field(default=Decimal(0), converter=to_decimal)
    min_notional: Decimal | None = field(default=None, converter=_opt_decimal)
    contract_size: Decimal | None = field(default=None, converter=_opt_decimal)
    active: bool = True
    #: the highest leverage the venue allows on this market; None where unknown (the
    #: core then only checks leverage >= 1)
    max_leverage: int | None = None

    def round_quantity(self, quantity: object, *, rounding: str) -> Decimal:
        """``quantity`` (base currency) on this market's step, rounded as the caller says.

        ``rounding`` is a :mod:`decimal` mode and has no default on purpose: sizing from a
        balance wants ``ROUND_DOWN`` (never more than affordable), closing a position
        exactly may want ``ROUND_HALF_EVEN``. The result may be under ``min_quantity``.
        """
        return _to_step(to_decimal(quantity), self.step_size, rounding)

    def round_price(self, price: object, *, rounding: str) -> Decimal:
        """``price`` on this market's tick, rounded as the caller says (no default).

        A passive buy usually wants ``ROUND_DOWN`` and a passive sell ``ROUND_UP``.
        """
        return _to_step(to_decimal(price), self.tick_size, rounding)


def _to_step(value: Decimal, step: Decimal, rounding: str) -> Decimal:
    if not step:
        return value
    result = (value / step).to_integral_value(rounding=rounding) * step
    exponent = step.as_tuple().exponent
    return result if result.as_tuple().exponent == exponent else result.quantize(step)


# ---------------------------------------------------------------- exchange info


@frozen
class RateLimit:
    """A venue rule: at most ``limit`` cost units in any ``period_s`` window, per scope."""

    name: str
    limit: int
    period_s: float
    scope: LimitScope = field(default=LimitScope.IP, converter=LimitScope)

    def __attrs_post_init__(self) -> None:
        if self.limit <= 0 or self.period_s <= 0:
            raise ValueError(f"rate limit {self.name!r} needs a positive limit and period")


@frozen
class Usage:
    """What a venue says it has counted for one rule in the current window."""

    rule: str
    used: int


@functools.lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str]:
    """A rule's pattern, compiled once (ids are checked on every order)."""
    return re.compile(pattern)


@frozen
class ClientOrderIdRule:
    """The venue's rules for client order ids: the core generates and checks ids with it."""

    max_length: int
    charset: str = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    pattern: str = field(default="")
    lowercase: bool = False  # the venue folds ids to lower case (BingX)

    def check(self, value: str) -> None:
        if len(value) > self.max_length:
            raise InvalidOrder(
                f"client_order_id is {len(value)} characters; the venue allows {self.max_length}")
        if self.pattern:
            if _compiled(self.pattern).fullmatch(value) is None:
                raise InvalidOrder(f"client_order_id {value!r} does not match {self.pattern}")
        elif value.strip(self.charset):  # what is left is not in the charset
            raise InvalidOrder(f"client_order_id {value!r} has characters the venue refuses")


def _str_map(value: Mapping[str, str] | Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    items = value.items() if isinstance(value, Mapping) else value
    return tuple((str(k), str(v)) for k, v in items)


@frozen(kw_only=True)
class Hosts:
    """Base URLs. ``testnet_headers`` are added to every request on the test environment
    (OKX keeps one host and switches with ``x-simulated-trading: 1``)."""

    live: str
    testnet: str | None = None
    testnet_headers: tuple[tuple[str, str], ...] = field(default=(), converter=_str_map)
    others: tuple[tuple[str, str], ...] = field(default=(), converter=_str_map)


@frozen(kw_only=True)
class ExchangeInfo:
    name: str
    display_name: str
    hosts: Hosts
    credential_fields: tuple[str, ...] = ("api_key", "api_secret")
    key_types: frozenset[KeyType] = frozenset({KeyType.HMAC})
    rate_limits: tuple[RateLimit, ...] = ()
    client_order_id: ClientOrderIdRule = ClientOrderIdRule(max_length=32)
    capabilities: frozenset[Capability] = frozenset()
    #: refresh a bearer token this long before it expires (token venues only)
    min_token_lifetime_s: float = 60.0
    #: how long after sending a signed request the venue may still accept it (its receive
    #: window); the core waits this long before concluding a lost order never arrived
    request_window_s: float = 5.0
    #: most orders one batch-place request may carry (Capability.PLACE_ORDERS); the core
    #: splits a longer list into chunks of this size
    max_batch_orders: int = 1
    #: most orders one batch-cancel request may carry (Capability.CANCEL_ORDERS)
    max_batch_cancels: int = 1

    def has(self, capability: Capability) -> bool:
        return capability in self.capabilities


# ---------------------------------------------------------------- connection test


@frozen
class KeyPermissions:
    """What the venue says the key may do; ``None`` where the venue does not tell."""

    can_read: bool | None = None
    can_trade: bool | None = None
    can_withdraw: bool | None = None
    ip_restricted: bool | None = None

    def warnings(self) -> tuple[str, ...]:
        found = []
        if self.can_withdraw:
            found.append("the key can withdraw funds; trading keys should not")
        if self.ip_restricted is False:
            found.append("the key has no IP whitelist")
        if self.can_trade is False:
            found.append("the key cannot trade")
        return tuple(found)


@frozen
class Check:
    """One step of a connection test: a call, and how the core should read its result."""

    name: str
    call: Call[object]
    role: CheckRole = field(default=CheckRole.OTHER, converter=CheckRole)
    required: bool = True


@frozen(kw_only=True)
class CheckStep:
    """A line of the connection test log: never contains a secret."""

    name: str
    ok: bool
    duration_ms: float
    detail: str
    error: str | None = None


@frozen(kw_only=True)
class ConnectionReport:
    exchange: str
    ok: bool
    steps: tuple[CheckStep, ...]
    latency_ms: float | None
    balance: Balance | None
    clock_offset_ms: float | None
    permissions: KeyPermissions | None
    warnings: tuple[str, ...]
    tested_at: datetime = field(converter=_utc_required)
    testnet: bool = False
