"""Markets kept on disk for a while, so short-lived processes do not each download them.

Every CLI command used to start by downloading the venue's whole market list: two quick
commands cost two downloads, a weight that counts against the venue's limits (the reason
``order place`` then ``order status`` on Pionex drew a 429). Here the list is kept under
``<home>/cache/markets/`` for ``ttl_s`` (an hour by default, ``VENUEKIT_MARKETS_TTL``
seconds to change it, 0 to turn the cache off), one file per venue, environment and host:
markets from a simulator never stand in for the venue's. A process that finds no fresh
file takes a lock before downloading, so of two processes started together one downloads
and the other reads what it wrote.

The file only saves a download: a stale or damaged one is ignored and replaced, and an
order is still checked against the rules it holds, as it would be against a fresh list.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path

from attrs import frozen

from .connector import Connector
from .convert import make_converter, to_jsonable
from .models import Market
from .store.atomic import atomic_write, ensure_private_dir

__all__ = ["DEFAULT_TTL_S", "ENV_TTL", "MarketsCache", "use_cached_markets"]

ENV_TTL = "VENUEKIT_MARKETS_TTL"
DEFAULT_TTL_S = 3600.0
#: The layout of a cache file; another version is treated as a miss.
FORMAT = 1

_converter = make_converter()


def ttl_from_env(environ: Mapping[str, str] | None = None) -> float:
    """``VENUEKIT_MARKETS_TTL`` in seconds, read when called; a bad value means the default."""
    raw = (os.environ if environ is None else environ).get(ENV_TTL, "").strip()
    if not raw:
        return DEFAULT_TTL_S
    try:
        value = float(raw)
    except ValueError:
        return DEFAULT_TTL_S
    return max(value, 0.0)


@frozen
class MarketsCache:
    """Market lists under ``directory``, fresh for ``ttl_s`` seconds after download."""

    directory: Path
    ttl_s: float = DEFAULT_TTL_S
    clock: Callable[[], float] = time.time

    @classmethod
    def under(cls, home: Path, ttl_s: float | None = None) -> MarketsCache:
        return cls(home / "cache" / "markets", ttl_from_env() if ttl_s is None else ttl_s)

    @property
    def enabled(self) -> bool:
        return self.ttl_s > 0

    def path(self, exchange: str, testnet: bool, base_url: str) -> Path:
        """One file per venue, environment and host (hashed: a URL is no file name)."""
        digest = hashlib.sha256(f"{testnet}|{base_url}".encode()).hexdigest()[:16]
        return self.directory / f"{exchange}-{digest}.json"

    def load(self, exchange: str, testnet: bool, base_url: str) -> list[Market] | None:
        """The cached list while fresh; None when missing, stale, or unreadable."""
        if not self.enabled:
            return None
        try:
            data = json.loads(self.path(exchange, testnet, base_url).read_bytes())
            if data.get("format") != FORMAT or data.get("base_url") != base_url:
                return None
            age = self.clock() - float(data["fetched_at"])
            if not 0 <= age < self.ttl_s:
                return None
            return [_converter.structure(item, Market) for item in data["markets"]]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        except Exception:  # cattrs groups its errors: a damaged file is a miss
            return None

    def save(self, exchange: str, testnet: bool, base_url: str,
             markets: list[Market]) -> None:
        if not self.enabled:
            return
        ensure_private_dir(self.directory.parent)
        ensure_private_dir(self.directory)
        payload = {"format": FORMAT, "exchange": exchange, "testnet": testnet,
                   "base_url": base_url, "fetched_at": self.clock(),
                   "markets": to_jsonable(markets)}
        atomic_write(self.path(exchange, testnet, base_url),
                     json.dumps(payload, separators=(",", ":")).encode(), mode=0o600)

    @contextlib.asynccontextmanager
    async def downloading(self, exchange: str, testnet: bool,
                          base_url: str) -> AsyncIterator[None]:
        """Held while one process downloads a list, so the others wait and read it."""
        if sys.platform == "win32":  # no flock: at worst two downloads, as before
            yield
            return
        import fcntl

        ensure_private_dir(self.directory.parent)
        ensure_private_dir(self.directory)
        lock = self.path(exchange, testnet, base_url).with_suffix(".lock")
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


def _prime(connector: Connector, markets: list[Market]) -> None:
    """Give the connector its markets as ``fetch_markets`` would have indexed them.

    The connector has no public way to accept markets yet; this fills its cache the way
    its own ``fetch_markets`` does (by unified symbol, then native id).
    """
    index: dict[str, Market] = {}
    for market in markets:
        index[market.symbol] = market
        index.setdefault(market.native, market)
    connector._markets = index  # private: see the docstring


async def use_cached_markets(connector: Connector, cache: MarketsCache) -> bool:
    """Load the connector's markets from the cache, or download and cache them once.

    Returns True when the cache answered (no download).
    """
    if not cache.enabled:
        return False
    key: tuple[str, bool, str] = (connector.exchange, connector.testnet, connector.base_url)
    found = await asyncio.to_thread(cache.load, *key)
    if found is not None:
        _prime(connector, found)
        return True
    async with cache.downloading(*key):
        found = await asyncio.to_thread(cache.load, *key)  # another process may have won
        if found is not None:
            _prime(connector, found)
            return True
        markets = await connector.fetch_markets()
        await asyncio.to_thread(cache.save, *key, markets)
    return False
