"""The shared rate limiter: every request waits here before it is signed and sent.

The transport turns a request's costs into :class:`Demand` objects (one per rule, keyed by
host or API key), awaits :meth:`Limiter.acquire`, and calls :meth:`Permit.settle` when the
response arrives. :func:`default_limiter` gives the process-wide in-memory backend;
:func:`shared_limiter` (what connectors use) picks SQLite or Redis when ``VENUEKIT_LIMITER_URL``
is set.
"""

from __future__ import annotations

from .base import Demand, Limiter, Permit
from .memory import MemoryLimiter, default_limiter
from .overrides import apply_overrides
from .select import limiter_from_env, make_limiter, shared_limiter, sqlite_url

__all__ = [
    "Demand",
    "Limiter",
    "MemoryLimiter",
    "Permit",
    "apply_overrides",
    "default_limiter",
    "limiter_from_env",
    "make_limiter",
    "shared_limiter",
    "sqlite_url",
]
