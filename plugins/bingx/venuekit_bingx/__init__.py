"""venuekit plugin for BingX USDT-M perpetual swap (``openApi/swap`` v2/v3).

The hooks live in :mod:`venuekit_bingx.plugin`, registered under the entry point ``bingx``
in the ``venuekit.exchanges`` group. Nothing here does I/O: the core sends the requests
these modules describe. :mod:`venuekit_bingx.simulator` is the loopback test double.
"""

from __future__ import annotations

__all__: list[str] = []
