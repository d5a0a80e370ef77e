"""The Redis limiter on a three-node Redis Cluster started by the fixture on loopback.

Without redis-server or redis-cli the tests skip, or fail under CI.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import pytest
from redis.asyncio.cluster import RedisCluster as ClusterClient
from redis_server import RedisCluster
from venuekit.models import LimitScope, RateLimit
from venuekit.ratelimit import Demand, make_limiter
from venuekit.ratelimit.redis_backend import RedisLimiter


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisCluster]:
    instance = RedisCluster(tmp_path_factory.mktemp("cluster"))
    instance.start()
    try:
        yield instance
    finally:
        instance.stop()


@pytest.fixture
async def limiter(cluster: RedisCluster) -> AsyncIterator[RedisLimiter]:
    made = make_limiter(cluster.url)
    assert isinstance(made, RedisLimiter)
    try:
        yield made
    finally:
        await made.aclose()


async def test_ip_and_account_buckets_of_one_request_share_a_slot(
        cluster: RedisCluster, limiter: RedisLimiter) -> None:
    ip = RateLimit("ip", 5, 0.3)
    orders = RateLimit("orders", 2, 0.3, LimitScope.ACCOUNT)
    both = [Demand("binance:ip:api.binance.com:ip", ip, 1),
            Demand("binance:account:0123abcd:orders", orders, 1)]
    await limiter.acquire(both)
    await limiter.acquire(both)
    started = time.monotonic()
    await limiter.acquire(both)  # orders is full: all-or-nothing across both buckets
    assert time.monotonic() - started >= 0.28
    client = ClusterClient.from_url("redis://" + cluster.url.split("://", 1)[1],
                                    decode_responses=True)
    try:
        slots = {client.keyslot(key) for key in
                 ["venuekit:rl:{binance}:binance:ip:api.binance.com:ip",
                  "venuekit:rl:{binance}:binance:account:0123abcd:orders:log"]}
        assert len(slots) == 1
        assert await client.zcard(
            "venuekit:rl:{binance}:binance:account:0123abcd:orders:log") == 1  # the third
    finally:
        await client.aclose()


async def test_exchanges_spread_over_the_nodes_and_never_exceed(
        limiter: RedisLimiter) -> None:
    rule = RateLimit("req", 10, 0.2)
    grants: dict[str, list[float]] = {}

    async def one(exchange: str) -> None:
        await limiter.acquire([Demand(f"{exchange}:ip:host:req", rule, 1)])
        grants.setdefault(exchange, []).append(time.monotonic())

    exchanges = ["binance", "okx", "bybit", "bingx", "pionex", "orangex"]
    await asyncio.gather(*(one(name) for name in exchanges for _ in range(25)))
    for times in grants.values():
        times.sort()
        assert len(times) == 25
        # the 11th grant is at least one window after the first, and so on
        assert all(times[i + 10] - times[i] >= 0.2 - 0.01 for i in range(15))
