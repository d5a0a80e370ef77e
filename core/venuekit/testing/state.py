"""Order and balance state shared by every simulator.

Deliberately simple matching: market orders fill at once at the market's price; limit
orders fill at once when marketable (buy at or above the price, sell at or below) and
otherwise rest; IOC/FOK that cannot fill expire. Enough to exercise every path a
connector takes, without pretending to be an order book.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal

from attrs import define, field, frozen

__all__ = ["ErrorKind", "SimFill", "SimMarket", "SimOrder", "SimPosition", "SimReject",
           "SimState"]


class ErrorKind(enum.Enum):
    """Reasons a simulator refuses a request; each venue maps them to its own codes."""

    AUTH = "auth"
    SIGNATURE = "signature"
    TIMESTAMP = "timestamp"
    PERMISSION = "permission"
    RATE_LIMIT = "rate_limit"
    NOT_FOUND = "not_found"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    INVALID = "invalid"
    DUPLICATE = "duplicate"
    BELOW_MINIMUM = "below_minimum"
    UNKNOWN_SYMBOL = "unknown_symbol"
    UNAVAILABLE = "unavailable"
    TOKEN_EXPIRED = "token_expired"  # noqa: S105 - a reason, not a password


class SimReject(Exception):
    """Raised by handlers and state; the simulator answers with the venue's envelope.

    ``code`` and ``status`` are the venue's error code and HTTP status. Left out, the
    simulator fills them from its ``codes`` table for ``kind``; a handler sets them only
    where the venue answers one case with a more specific code (OKX 50105 for a wrong
    passphrase rather than the generic key error).
    """

    def __init__(self, kind: ErrorKind, message: str, *, code: str | int | None = None,
                 status: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.code = code
        self.status = status


@frozen(kw_only=True)
class SimMarket:
    native: str
    base: str
    quote: str
    tick_size: Decimal
    step_size: Decimal
    min_quantity: Decimal
    min_notional: Decimal = Decimal(0)
    price: Decimal = Decimal(100)
    contract_size: Decimal | None = None  # base per contract, for venues that count contracts
    max_leverage: int = 100


@define(kw_only=True)
class SimOrder:
    order_id: str
    client_order_id: str | None
    symbol: str
    side: str  # "buy" / "sell"
    type: str  # "limit" / "market"
    quantity: Decimal  # base currency
    price: Decimal | None
    time_in_force: str = "gtc"
    reduce_only: bool = False
    status: str = "open"  # open / partially_filled / filled / canceled / expired
    filled: Decimal = Decimal(0)
    average_price: Decimal | None = None
    created_ms: int = field(factory=lambda: int(time.time() * 1000))
    updated_ms: int = field(factory=lambda: int(time.time() * 1000))

    @property
    def is_open(self) -> bool:
        return self.status in ("open", "partially_filled")


@frozen(kw_only=True)
class SimFill:
    """One execution of a simulated order; quantities in base currency."""

    trade_id: str
    order_id: str
    client_order_id: str | None
    symbol: str
    side: str  # "buy" / "sell"
    price: Decimal
    quantity: Decimal
    fee: Decimal
    fee_asset: str
    is_maker: bool
    time_ms: int


@define(kw_only=True)
class SimPosition:
    """A one-way net position: ``quantity`` signed (negative is short), base currency."""

    symbol: str
    quantity: Decimal = Decimal(0)
    entry_price: Decimal = Decimal(0)


#: Taker fee rate of every simulated venue (a maker fee of zero keeps arithmetic plain).
TAKER_FEE_RATE = Decimal("0.0005")


class SimState:
    """Balances, markets and orders of one simulated account."""

    def __init__(self, *, markets: Iterable[SimMarket],
                 balances: Mapping[str, Decimal | str | int],
                 case_insensitive_client_ids: bool = False) -> None:
        self.markets = {m.native: m for m in markets}
        self.free = {asset: Decimal(str(v)) for asset, v in balances.items()}
        self.used: dict[str, Decimal] = dict.fromkeys(self.free, Decimal(0))
        self.orders: dict[str, SimOrder] = {}
        self._by_client: dict[str, str] = {}
        self._fold = case_insensitive_client_ids
        self._next = 1000
        # account state (0.2): fills, one-way net positions and leverage per market
        self.fills: list[SimFill] = []
        self.positions: dict[str, SimPosition] = {}
        self.leverage: dict[str, int] = {}
        self._next_trade = 5000
        #: called with every order after it changes and every fill as it happens (the
        #: stream side of a simulator pushes them; see venuekit.testing.stream_server)
        self.listeners: list[Callable[[SimOrder | SimFill], None]] = []

    # ------------------------------------------------------------ lookups

    def market(self, native: str) -> SimMarket:
        try:
            return self.markets[native]
        except KeyError:
            raise SimReject(ErrorKind.UNKNOWN_SYMBOL, f"unknown symbol {native}") from None

    def _key(self, client_order_id: str) -> str:
        return client_order_id.lower() if self._fold else client_order_id

    def find(self, *, order_id: str | None = None,
             client_order_id: str | None = None) -> SimOrder | None:
        if order_id is not None:
            return self.orders.get(str(order_id))
        if client_order_id is not None:
            oid = self._by_client.get(self._key(client_order_id))
            return self.orders.get(oid) if oid else None
        return None

    def get(self, *, order_id: str | None = None,
            client_order_id: str | None = None) -> SimOrder:
        order = self.find(order_id=order_id, client_order_id=client_order_id)
        if order is None:
            raise SimReject(ErrorKind.NOT_FOUND, "order does not exist")
        return order

    def balance(self, asset: str) -> tuple[Decimal, Decimal]:
        return self.free.get(asset, Decimal(0)), self.used.get(asset, Decimal(0))

    # ------------------------------------------------------------ actions

    def place(self, *, symbol: str, side: str, type: str, quantity: Decimal,
              price: Decimal | None = None, client_order_id: str | None = None,
              time_in_force: str = "gtc", reduce_only: bool = False,
              dedupe_open_only: bool = False) -> SimOrder:
        """Validate and book an order the way venues do, raising :class:`SimReject`.

        ``dedupe_open_only`` mimics Binance and OKX, which refuse a repeated client order id
        only while the first order is still open.
        """
        market = self.market(symbol)
        side, type = side.lower(), type.lower()
        if quantity <= 0 or (quantity / market.step_size) % 1 != 0:
            raise SimReject(ErrorKind.INVALID, f"quantity {quantity} off step {market.step_size}")
        if quantity < market.min_quantity:
            raise SimReject(ErrorKind.BELOW_MINIMUM, f"quantity under {market.min_quantity}")
        if type == "limit":
            if price is None or price <= 0 or (price / market.tick_size) % 1 != 0:
                raise SimReject(ErrorKind.INVALID, f"price {price} off tick {market.tick_size}")
        elif price is not None and type == "market":
            price = None
        ref_price = price if price is not None else market.price
        if market.min_notional and quantity * ref_price < market.min_notional:
            raise SimReject(ErrorKind.BELOW_MINIMUM, f"notional under {market.min_notional}")
        if client_order_id is not None:
            existing = self.find(client_order_id=client_order_id)
            if existing is not None and (existing.is_open or not dedupe_open_only):
                raise SimReject(ErrorKind.DUPLICATE, "duplicate client order id")
        margin = quantity * ref_price
        free = self.free.get(market.quote, Decimal(0))
        if not reduce_only and margin > free:
            raise SimReject(ErrorKind.INSUFFICIENT_FUNDS, "insufficient balance")
        self._next += 1
        order = SimOrder(order_id=str(self._next), client_order_id=client_order_id,
                         symbol=symbol, side=side, type=type, quantity=quantity, price=price,
                         time_in_force=time_in_force.lower(), reduce_only=reduce_only)
        self.orders[order.order_id] = order
        if client_order_id is not None:
            self._by_client[self._key(client_order_id)] = order.order_id
        marketable = type == "market" or (
            price is not None and ((side == "buy" and price >= market.price)
                                   or (side == "sell" and price <= market.price)))
        if marketable and time_in_force.lower() != "post_only":
            order.status, order.filled, order.average_price = "filled", quantity, market.price
            self.record_fill(order, market.price, quantity, is_maker=False)
        elif time_in_force.lower() in ("ioc", "fok"):
            order.status = "expired"
        else:
            self._reserve(market.quote, margin)
        self.changed(order)
        return order

    def cancel(self, *, order_id: str | None = None,
               client_order_id: str | None = None) -> SimOrder:
        order = self.get(order_id=order_id, client_order_id=client_order_id)
        if not order.is_open:
            raise SimReject(ErrorKind.NOT_FOUND, "order is not open")
        market = self.markets[order.symbol]
        self._release(market.quote, (order.quantity - order.filled) * (order.price or market.price))
        order.status = "canceled"
        order.updated_ms = int(time.time() * 1000)
        self.changed(order)
        return order

    def _reserve(self, asset: str, amount: Decimal) -> None:
        self.free[asset] = self.free.get(asset, Decimal(0)) - amount
        self.used[asset] = self.used.get(asset, Decimal(0)) + amount

    def _release(self, asset: str, amount: Decimal) -> None:
        self.free[asset] = self.free.get(asset, Decimal(0)) + amount
        self.used[asset] = self.used.get(asset, Decimal(0)) - amount

    # ------------------------------------------------------------ account state (0.2)

    def record_fill(self, order: SimOrder, price: Decimal, quantity: Decimal, *,
                    is_maker: bool, time_ms: int | None = None) -> SimFill:
        """Book an execution: a fill row and the change to the market's net position."""
        market = self.markets[order.symbol]
        self._next_trade += 1
        fee = Decimal(0) if is_maker else (price * quantity * TAKER_FEE_RATE)
        fill = SimFill(trade_id=str(self._next_trade), order_id=order.order_id,
                       client_order_id=order.client_order_id, symbol=order.symbol,
                       side=order.side, price=price, quantity=quantity, fee=fee,
                       fee_asset=market.quote, is_maker=is_maker,
                       time_ms=int(time.time() * 1000) if time_ms is None else time_ms)
        self.fills.append(fill)
        position = self.positions.setdefault(order.symbol, SimPosition(symbol=order.symbol))
        signed = quantity if order.side == "buy" else -quantity
        before = position.quantity
        after = before + signed
        if before == 0 or (before > 0) == (signed > 0):  # opening or adding: average in
            total = abs(before) + quantity
            position.entry_price = (position.entry_price * abs(before) + price * quantity) / total
        elif after != 0 and (after > 0) != (before > 0):  # flipped: the rest opens at price
            position.entry_price = price
        position.quantity = after
        if after == 0:
            position.entry_price = Decimal(0)
        self.changed(fill)
        return fill

    def open_orders(self, symbol: str | None = None) -> list[SimOrder]:
        return [o for o in self.orders.values()
                if o.is_open and (symbol is None or o.symbol == symbol)]

    def amend(self, *, order_id: str | None = None, client_order_id: str | None = None,
              quantity: Decimal | None = None, price: Decimal | None = None) -> SimOrder:
        """Change an open limit order in place; it fills at once if it becomes marketable."""
        order = self.get(order_id=order_id, client_order_id=client_order_id)
        if not order.is_open:
            raise SimReject(ErrorKind.NOT_FOUND, "order is not open")
        market = self.markets[order.symbol]
        new_quantity = order.quantity if quantity is None else quantity
        new_price = order.price if price is None else price
        if new_quantity <= order.filled or (new_quantity / market.step_size) % 1 != 0:
            raise SimReject(ErrorKind.INVALID, f"quantity {new_quantity} not allowed")
        if new_price is None or (new_price / market.tick_size) % 1 != 0:
            raise SimReject(ErrorKind.INVALID, f"price {new_price} off tick")
        old_margin = (order.quantity - order.filled) * (order.price or market.price)
        self._release(market.quote, old_margin)
        order.quantity, order.price = new_quantity, new_price
        order.updated_ms = int(time.time() * 1000)
        marketable = ((order.side == "buy" and new_price >= market.price)
                      or (order.side == "sell" and new_price <= market.price))
        if marketable:
            rest = order.quantity - order.filled
            order.status, order.filled, order.average_price = "filled", order.quantity, \
                market.price
            self.record_fill(order, market.price, rest, is_maker=False)
        else:
            self._reserve(market.quote, (order.quantity - order.filled) * new_price)
        self.changed(order)
        return order

    def fill_resting(self, order_id: str, quantity: Decimal | None = None) -> SimFill:
        """Fill a resting order as maker (what is left, or ``quantity`` of it): the market
        traded through its price. Stream tests use it to change an order without a request."""
        order = self.get(order_id=order_id)
        if not order.is_open:
            raise SimReject(ErrorKind.NOT_FOUND, "order is not open")
        market = self.markets[order.symbol]
        rest = order.quantity - order.filled
        quantity = rest if quantity is None else min(quantity, rest)
        price = order.price or market.price
        self._release(market.quote, quantity * price)
        total = order.filled + quantity
        order.average_price = ((order.average_price or Decimal(0)) * order.filled
                               + price * quantity) / total
        order.filled = total
        order.status = "filled" if total == order.quantity else "partially_filled"
        order.updated_ms = int(time.time() * 1000)
        fill = self.record_fill(order, price, quantity, is_maker=True)
        self.changed(order)
        return fill

    def changed(self, item: SimOrder | SimFill) -> None:
        """Tell the listeners (a test that edits an order by hand calls this too)."""
        for listener in list(self.listeners):
            listener(item)

    def set_leverage(self, symbol: str, leverage: int) -> bool:
        """Set a market's leverage; False when it already was that (venues answer that
        differently: an error code on Binance and Bybit, plain success elsewhere)."""
        market = self.market(symbol)
        if not 1 <= leverage <= market.max_leverage:
            raise SimReject(ErrorKind.INVALID,
                            f"leverage {leverage} outside 1..{market.max_leverage}")
        if self.leverage.get(symbol, 1) == leverage:
            return False
        self.leverage[symbol] = leverage
        return True

    def position_margin(self, asset: str, *, default_leverage: int) -> Decimal:
        """Initial margin the open positions settled in ``asset`` hold, each at its
        market's leverage (``default_leverage`` where none was set: the venue's own)."""
        margin = Decimal(0)
        for position in self.positions.values():
            market = self.markets[position.symbol]
            if market.quote == asset and position.quantity:
                leverage = self.leverage.get(position.symbol, default_leverage)
                margin += abs(position.quantity) * position.entry_price / leverage
        return margin

    def book(self, symbol: str, depth: int) -> tuple[list[tuple[Decimal, Decimal]],
                                                      list[tuple[Decimal, Decimal]]]:
        """A deterministic book around the market's price: one tick apart, growing sizes."""
        market = self.market(symbol)
        bids = [(market.price - market.tick_size * (i + 1), market.step_size * 10 * (i + 1))
                for i in range(depth)]
        asks = [(market.price + market.tick_size * (i + 1), market.step_size * 10 * (i + 1))
                for i in range(depth)]
        return bids, asks
