"""A throwaway redis-server for the Redis limiter tests (and nothing else).

Each :class:`RedisServer` runs its own ``redis-server`` on a free loopback port in a temp
dir, without persistence, and can be killed and started again on the same port. Without the
binary the tests skip, except under CI (the ``CI`` env var), where they fail: CI must
install redis-server, and a skipped suite would pass silently.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from venuekit.testing import redis_server as kit

free_port = kit.free_port

MISSING = "redis-server is not installed (CI must install redis-server)"


def redis_binary() -> str:
    """The redis-server path; skips the test, or fails it under CI, when there is none."""
    path = kit.redis_binary()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{MISSING}; the Redis limiter tests never skip in CI", pytrace=False)
        pytest.skip(MISSING)
    return path


class RedisServer(kit.RedisServer):
    """The kit's server, refusing to run (skip, or fail under CI) without the binary."""

    def __init__(self, directory: Path, port: int | None = None) -> None:
        redis_binary()
        super().__init__(directory, port)


class RedisCluster(kit.RedisCluster):
    """The kit's three-node cluster, refusing to run (skip, or fail under CI) without the
    binaries."""

    def __init__(self, directory: Path, nodes: int = 3) -> None:
        redis_binary()
        if kit.shutil.which("redis-cli") is None:
            message = "redis-cli is not installed (CI must install redis-tools)"
            if os.environ.get("CI"):
                pytest.fail(message, pytrace=False)
            pytest.skip(message)
        super().__init__(directory, nodes)
