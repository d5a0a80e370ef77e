"""venuekit plugin for Bybit V5: unified trading account, USDT/USDC linear perpetuals.

The hooks live in :mod:`venuekit_bybit.plugin` (the ``venuekit.exchanges`` entry point
``bybit``); signing, request builders, parsers, the error table and the loopback simulator
sit in their own modules. Nothing here does I/O: the core sends what these functions build.
"""

from __future__ import annotations

__all__: list[str] = []
