"""Live streams over WebSocket (DESIGN section 13): the core half of the stream hooks.

The plugin describes sockets, frames and events (``venuekit.stream_models``); this package
runs them: :mod:`.socket` (the socket interface and its aiohttp opener), :mod:`.connection`
(one managed socket), :mod:`.hub` (sharding, delivery, dedupe, resync), :mod:`.book` (the
local order book), :mod:`.channel` (per-consumer buffers), :mod:`.watching` (the functions
behind ``Connector.watch_*`` and :func:`lines` for the CLI).
"""

from __future__ import annotations

from .settings import StreamSettings
from .socket import AiohttpSocketOpener, MessageKind, Socket, SocketMessage, SocketOpener
from .watching import LINE_KINDS, close, configure, hub, lines, note_order, watch

__all__ = [
    "LINE_KINDS",
    "AiohttpSocketOpener",
    "MessageKind",
    "Socket",
    "SocketMessage",
    "SocketOpener",
    "StreamSettings",
    "close",
    "configure",
    "hub",
    "lines",
    "note_order",
    "watch",
]
