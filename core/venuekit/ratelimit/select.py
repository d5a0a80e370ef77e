"""Choosing the limiter backend: in memory (the default), SQLite or Redis, from config or
the env.

``VENUEKIT_LIMITER_URL=sqlite:///absolute/path.sqlite`` shares limits between the processes
of one machine through one file (no server); ``redis://host:6379/0`` between processes and
hosts through Redis, ``redis+cluster://host:6379`` through a Redis Cluster;
``VENUEKIT_LIMITER_FALLBACK=1`` lets them limit in memory while Redis is unreachable
instead of failing. Unset, limits are kept in memory. Read when called, never at import.
"""

from __future__ import annotations

import asyncio
import os
import weakref
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..errors import ConfigurationError
from .base import Limiter
from .memory import MemoryLimiter, default_limiter

__all__ = ["ENV_FALLBACK", "ENV_URL", "limiter_from_env", "make_limiter", "shared_limiter",
           "sqlite_url"]

ENV_URL = "VENUEKIT_LIMITER_URL"
ENV_FALLBACK = "VENUEKIT_LIMITER_FALLBACK"

_REDIS_SCHEMES = frozenset({"redis", "rediss", "unix", "redis+cluster"})
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})


def sqlite_url(path: Path) -> str:
    """The ``VENUEKIT_LIMITER_URL`` / :func:`make_limiter` URL of a SQLite limiter file.

    Relative paths are made absolute first: every process must name the same file.
    """
    return "sqlite://" + Path(path).expanduser().absolute().as_posix()


def make_limiter(url: str | None, *, fallback: bool = False,
                 margin: float = 0.02) -> Limiter:
    """A new limiter for ``url``: ``redis://``, ``rediss://`` or ``unix://`` for Redis,
    ``redis+cluster://host:port`` for a Redis Cluster, ``sqlite:///absolute/path`` for a
    file shared by the processes of one machine (see :func:`sqlite_url`); ``None``, ``""``
    or ``memory://`` for one in this process's memory.

    :param fallback: Redis only: limit in memory (with one warning) while Redis is
        unreachable, instead of failing every request.
    """
    if not url:
        return MemoryLimiter(margin=margin)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "memory":
        return MemoryLimiter(margin=margin)
    if scheme == "sqlite":
        path = unquote(parts.path)
        if parts.netloc or not path.startswith("/"):
            raise ConfigurationError(
                f"rate limiter URL {url!r}: a SQLite URL names an absolute path, "
                "sqlite:///absolute/path.sqlite")
        from .sqlite_backend import SqliteLimiter
        return SqliteLimiter(path, margin=margin)
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
        "memory://, sqlite:///path, redis://, rediss://, unix:// or redis+cluster://")


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
