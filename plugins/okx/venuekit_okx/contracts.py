"""Base currency <-> contracts, the one place OKX's swap sizing is translated.

venuekit counts every quantity in base currency; OKX counts swap orders in contracts
(``sz``), each worth ``ctVal`` of the base currency (``0.01`` BTC for ``BTC-USDT-SWAP``).
"""

from __future__ import annotations

from decimal import Decimal

from venuekit.decimals import plain_decimal
from venuekit.errors import InvalidOrder
from venuekit.models import Market


def contract_size(market: Market) -> Decimal:
    if market.contract_size is None or market.contract_size <= 0:
        raise InvalidOrder(f"{market.symbol} has no contract value; reload the markets",
                           exchange="okx")
    return market.contract_size


def to_contracts(quantity: Decimal, market: Market) -> Decimal:
    """Base quantity -> whole multiples of the lot, in contracts, or a clear local error.

    The core has already checked ``quantity`` against the base-currency step
    (``lotSz * ctVal``); this re-checks in contracts so a rounding surprise can never put an
    unintended size on the wire.
    """
    size = contract_size(market)
    contracts = quantity / size
    lot = market.step_size / size
    if contracts <= 0 or (lot and contracts % lot != 0):
        raise InvalidOrder(
            f"quantity {quantity} is {contracts.normalize():f} contracts of {size.normalize():f}"
            f" {market.base}; {market.symbol} trades in lots of {lot.normalize():f} contracts",
            exchange="okx")
    return contracts


def to_base(contracts: Decimal, market: Market) -> Decimal:
    """Contracts reported by OKX (``sz``, ``accFillSz``) -> base quantity."""
    return plain_decimal(contracts * contract_size(market))
