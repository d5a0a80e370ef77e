"""venuekit plugin for the Pionex spot Trade API v1.

Loaded by venuekit through the ``venuekit.exchanges`` entry point ``pionex``
(``venuekit_pionex.plugin``); nothing here is meant to be imported by a host directly.
Modules: :mod:`.plugin` (hook implementations), :mod:`.info` (hosts, limits, rules),
:mod:`.signing`, :mod:`.endpoints` (request builders), :mod:`.parsing` (response parsers),
:mod:`.errors` (code table) and :mod:`.simulator` (a loopback Pionex for tests).
"""

from __future__ import annotations

__all__: list[str] = []
