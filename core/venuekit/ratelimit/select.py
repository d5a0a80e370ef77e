"""Choosing the limiter backend: in memory (the default) or Redis, from config or the env.

``VENUEKIT_LIMITER_URL=redis://host:6379/0`` puts every connector of a process on the
Redis backend, so several processes or hosts using one API key share its limits;
``VENUEKIT_LIMITER_FALLBACK=1`` lets them limit in memory while Redis is unreachable
instead of failing. Unset, limits are kept in memory. Read when called, never at import.
"""

from __future__ import annotations

import asyncio
import os
import weakref
from collections.abc import Mapping
from urllib.parse import urlsplit

from ..errors import ConfigurationError
from .base import Limiter
from .memory import MemoryLimiter, default_limiter

__all__ = ["ENV_FALLBACK", "ENV_URL", "limiter_from_env", "make_limiter", "shared_limiter"]

ENV_URL = "VENUEKIT_LIMITER_URL"
ENV_FALLBACK = "VENUEKIT_LIMITER_FALLBACK"

_REDIS_SCHEMES = frozenset({"redis", "rediss", "unix"})
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})


def make_limiter(url: str | None, *, fallback: bool = False,
                 margin: float = 0.02) -> Limiter:
    """A new limiter for ``url``: ``redis://``, ``rediss://`` or ``unix://`` for Redis;
    ``None``, ``""`` or ``memory://`` for one in this process's memory.

    :param fallback: Redis only: limit in memory (with one warning) while Redis is
        unreachable, instead of failing every request.
    """
    if not url:
        return MemoryLimiter(margin=margin)
    scheme = urlsplit(url).scheme.lower()
    if scheme == "memory":
        return MemoryLimiter(margin=margin)
    if scheme in _REDIS_SCHEMES:
        try:
            from .redis_backend import RedisLimiter
        except ImportError as exc:
            raise ConfigurationError(
                f"the Redis rate limiter needs redis-py: pip install 'venuekit[redis]' "
                f"({exc})") from exc
        return RedisLimiter(url, margin=margin, fallback=fallback)
    raise ConfigurationError(
        f"rate limiter URL {url.split('@')[-1]!r}: unknown scheme {scheme!r}; use "
        "redis://, rediss://, unix:// or memory://")


def limiter_from_env(environ: Mapping[str, str] | None = None) -> Limiter:
    """A new limiter as ``VENUEKIT_LIMITER_URL`` and ``VENUEKIT_LIMITER_FALLBACK`` say."""
    env = os.environ if environ is None else environ
    return make_limiter(env.get(ENV_URL) or None, fallback=_flag(env.get(ENV_FALLBACK, "")))


_per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Limiter] = (
    weakref.WeakKeyDictionary())


def shared_limiter() -> Limiter:
    """The limiter every connector on the running loop shares, chosen by the environment.

    Without ``VENUEKIT_LIMITER_URL`` it is :func:`~venuekit.ratelimit.default_limiter`;
    with it, one limiter per loop (a Redis client belongs to the loop that uses it),
    made on first use and replaced if it was closed.
    """
    env = os.environ
    if not env.get(ENV_URL):
        return default_limiter()
    loop = asyncio.get_running_loop()
    limiter = _per_loop.get(loop)
    if limiter is None or getattr(limiter, "closed", False):
        limiter = _per_loop[loop] = limiter_from_env(env)
    return limiter


def _flag(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigurationError(f"{ENV_FALLBACK}={value!r}: expected 1/0, true/false, yes/no")
