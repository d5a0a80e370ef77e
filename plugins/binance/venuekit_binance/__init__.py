"""venuekit plugin for Binance USDⓈ-M futures (``/fapi``): perpetuals settled in USDT/USDC.

The hooks live in :mod:`venuekit_binance.plugin` (the ``venuekit.exchanges`` entry point
``binance``); signing, request builders, parsers and the error table are plain functions
in the sibling modules, and :mod:`venuekit_binance.simulator` is the loopback test double.
"""

from __future__ import annotations

NAME = "binance"

__all__ = ["NAME"]
