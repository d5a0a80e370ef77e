"""The stream machinery end to end against the example venue's simulator (loopback)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
import pytest_asyncio
from attrs import evolve
from venuekit import OrderParams, Registry, RetryPolicy
from venuekit.account_models import Fill
from venuekit.connector import Connector, connect
from venuekit.errors import ConfigurationError, NotSupported
from venuekit.models import OrderStatus, RateLimit, Side
from venuekit.ratelimit import Demand, MemoryLimiter, Permit
from venuekit.stream_models import BookRecovery, StreamInfo, StreamKind
from venuekit.streams import StreamSettings, hub, lines, watching
from venuekit.testing.conformance_streams import FAST_STREAMS, next_item, until
from venuekit.testing.example import plugin as example_plugin
from venuekit.testing.example.simulator import ExampleSimulator

SYMBOL = "BTC/USDT:USDT"


def plugin_with(change: Callable[[StreamInfo], StreamInfo | None]) -> Any:
    """The example plugin with its StreamInfo changed (None: no streams at all)."""
    names = [n for n in dir(example_plugin)
             if hasattr(getattr(example_plugin, n), "venuekit_impl")]
    namespace = {n: getattr(example_plugin, n) for n in names}
    info = change(example_plugin.stream_info())

    def stream_info() -> StreamInfo | None:
        return info
    stream_info.venuekit_impl = example_plugin.stream_info.venuekit_impl  # type: ignore[attr-defined]
    namespace["stream_info"] = stream_info
    return SimpleNamespace(**namespace)


def open_conn(sim: ExampleSimulator, plugin: Any = example_plugin, *,
              settings: StreamSettings = FAST_STREAMS, **options: Any) -> Connector:
    return connect("example", sim.credentials, base_url=sim.base_url,
                   registry=Registry(extra={"example": plugin}, autoload=False),
                   limiter=options.pop("limiter", MemoryLimiter()), order_settle_s=0.2,
                   retry=RetryPolicy(max_tries=3, base_delay_s=0.01, max_delay_s=0.05),
                   stream_base_url=options.pop("stream_base_url", sim.base_url),
                   stream_settings=settings, **options)


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[ExampleSimulator]:
    async with ExampleSimulator() as simulator:
        yield simulator


@pytest_asyncio.fixture
async def conn(sim: ExampleSimulator) -> AsyncIterator[Connector]:
    async with open_conn(sim) as connector:
        yield connector


def order(**changes: Any) -> OrderParams:
    fields: dict[str, Any] = {"symbol": SYMBOL, "side": "buy", "type": "limit",
                              "quantity": Decimal("0.01"), "price": Decimal("40000")}
    fields.update(changes)
    return OrderParams(**fields)


async def ready(conn: Connector) -> None:
    await until(hub(conn).ready, "streams ready")


def subscribe_frames(sim: ExampleSimulator) -> list[dict[str, Any]]:
    frames = [json.loads(f) for c in sim.streams.clients for f in c.frames_in]
    return [f for f in frames if f.get("op") == "subscribe"]


# ---------------------------------------------------------------- sockets


async def test_subscriptions_are_sharded_and_chunked_under_the_venue_limits(
        sim: ExampleSimulator, conn: Connector) -> None:
    sources = [conn.watch_ticker(SYMBOL), conn.watch_trades(SYMBOL),
               conn.watch_ticker("ETH/USDT:USDT"), conn.watch_trades("ETH/USDT:USDT"),
               conn.watch_order_book("ETH/USDT:USDT", 5)]
    tasks = [asyncio.ensure_future(anext(s)) for s in sources]
    await ready(conn)
    public = [c for c in sim.streams.clients if c.role == "public"]
    assert sorted(len(c.topics) for c in public) == [1, 4]  # 4 per socket, then a shard
    assert all(len(f["args"]) <= 2 for f in subscribe_frames(sim))
    for task in tasks:
        task.cancel()


async def test_client_heartbeat_is_sent(sim: ExampleSimulator, conn: Connector) -> None:
    task = asyncio.ensure_future(anext(conn.watch_ticker(SYMBOL)))
    await ready(conn)
    (client,) = sim.streams.clients
    await until(lambda: '{"op": "ping"}' in client.frames_in, "a heartbeat frame")
    task.cancel()


async def test_server_ping_is_answered_with_the_plugins_reply(sim: ExampleSimulator,
                                                              conn: Connector) -> None:
    sim.streams.ping_interval_s = 0.02
    task = asyncio.ensure_future(anext(conn.watch_ticker(SYMBOL)))
    await ready(conn)
    (client,) = sim.streams.clients
    await until(lambda: '{"op": "pong"}' in client.frames_in, "a pong to the server's ping")
    task.cancel()


async def test_a_silent_socket_is_declared_dead_and_replaced(sim: ExampleSimulator) -> None:
    settings = evolve(FAST_STREAMS, idle_timeout_s=0.15, heartbeat_s=0.05)
    async with open_conn(sim, settings=settings) as conn:
        source = conn.watch_ticker(SYMBOL)
        task = asyncio.ensure_future(anext(source))
        await ready(conn)
        sim.streams.silence()  # heartbeats go unanswered, nothing arrives, no close
        await until(lambda: sim.streams.connections >= 2, "a replacement socket")
        await ready(conn)
        sim.streams.publish_ticker("BTCUSDT")
        assert (await asyncio.wait_for(task, 5)).symbol == SYMBOL


async def test_a_socket_that_keeps_dying_backs_off_with_a_warning_each_time(
        sim: ExampleSimulator, caplog: pytest.LogCaptureFixture) -> None:
    settings = evolve(FAST_STREAMS, backoff_initial_s=0.01, backoff_max_s=0.04, jitter=0.0)
    async with open_conn(sim, settings=settings) as conn:
        task = asyncio.ensure_future(anext(conn.watch_ticker(SYMBOL)))
        await ready(conn)
        sim.streams.faults.refuse_connections = True
        with caplog.at_level(logging.WARNING, logger="venuekit.streams"):
            await sim.streams.drop_all()
            await until(lambda: sim.streams.refused >= 4, "several refused reconnects")
        warnings = [r.getMessage() for r in caplog.records if "reconnect attempt" in r.message]
        assert len(warnings) >= 4
        delays = [float(w.rsplit(" in ", 1)[1].split()[0]) for w in warnings]
        assert delays[:4] == [0.01, 0.02, 0.04, 0.04]  # doubling, capped
        sim.streams.faults.refuse_connections = False
        await ready(conn)
        task.cancel()


async def test_proactive_reconnect_before_the_maximum_lifetime(sim: ExampleSimulator) -> None:
    async with open_conn(sim, settings=evolve(FAST_STREAMS, lifetime_s=0.1)) as conn:
        task = asyncio.ensure_future(anext(conn.watch_ticker(SYMBOL)))
        await until(lambda: sim.streams.connections >= 3, "two rotations")
        await ready(conn)
        sim.streams.publish_ticker("BTCUSDT")
        assert (await asyncio.wait_for(task, 5)).symbol == SYMBOL


async def test_listen_key_is_kept_alive_and_closed_with_the_connector(
        sim: ExampleSimulator) -> None:
    async with open_conn(sim, settings=evolve(FAST_STREAMS, keepalive_s=0.02)) as conn:
        task = asyncio.ensure_future(anext(conn.watch_orders()))
        await ready(conn)
        await until(lambda: sim.stats.count("/v1/listenKey", "PUT") >= 2, "keepalives")
        assert len(sim.streams.sessions) == 1
        task.cancel()
    assert sim.stats.count("/v1/listenKey", "DELETE") == 1
    assert sim.streams.sessions == set()


class CountingLimiter(MemoryLimiter):
    def __init__(self) -> None:
        super().__init__()
        self.rules: list[str] = []

    async def acquire(self, demands: Sequence[Demand]) -> Permit:
        self.rules += [d.rule.name for d in demands]
        return await super().acquire(demands)


async def test_every_connect_takes_the_venues_connection_budget(sim: ExampleSimulator) -> None:
    limiter = CountingLimiter()
    plugin = plugin_with(lambda info: evolve(info, connections_per_minute=2))
    async with open_conn(sim, plugin, limiter=limiter) as conn:
        task = asyncio.ensure_future(anext(conn.watch_ticker(SYMBOL)))
        await ready(conn)
        await sim.streams.drop_all()
        await until(lambda: sim.streams.connections == 2, "the second connect")
        # a third connect inside the minute must wait for the budget
        await sim.streams.drop_all()
        await asyncio.sleep(0.2)
        assert sim.streams.connections == 2
        assert limiter.rules.count("stream_connections") == 3
        rule = RateLimit("stream_connections", 2, 60.0)
        assert rule.limit == 2
        task.cancel()


# ---------------------------------------------------------------- delivery


async def test_slow_ticker_reader_gets_the_latest_and_order_reader_gets_all(
        sim: ExampleSimulator, conn: Connector) -> None:
    tickers = conn.watch_ticker(SYMBOL)
    orders = conn.watch_orders()
    first_ticker = asyncio.ensure_future(anext(tickers))
    first_order = asyncio.ensure_future(anext(orders))
    await ready(conn)
    sim.streams.publish_ticker("BTCUSDT")
    await first_ticker
    placed = [await conn.place_order(order(price=Decimal(40000) - i)) for i in range(20)]
    market = sim.state.markets["BTCUSDT"]
    for price in range(1, 31):
        sim.state.markets["BTCUSDT"] = evolve(market, price=Decimal(50000 + price))
        sim.streams.publish_ticker("BTCUSDT")
    await until(lambda: hub(conn).watchers[0].channel.replaced > 0, "tickers to pile up")
    latest = await next_item(tickers)
    assert latest.last == Decimal(50030)
    received = [await first_order] + [await next_item(orders) for _ in range(19)]
    assert [o.order_id for o in received] == [p.order_id for p in placed]


async def test_order_book_recovers_by_rest_snapshot_where_the_venue_says_so(
        sim: ExampleSimulator) -> None:
    plugin = plugin_with(lambda info: evolve(info, book_recovery=BookRecovery.SNAPSHOT,
                                             book_snapshot_on_subscribe=False))
    async with open_conn(sim, plugin) as conn:
        source = conn.watch_order_book(SYMBOL, 3)
        before = sim.stats.count("/v1/depth")
        book = await next_item(source)
        await ready(conn)
        assert sim.stats.count("/v1/depth") == before + 1  # snapshot read after subscribe
        best = book.bids[0][0]
        old_top = (book.bids, book.asks)
        sim.streams.faults.gaps.add("BTCUSDT")
        sim.streams.publish_book("BTCUSDT", bids=[(best, Decimal(5))])
        new_top = tuple(tuple(side) for side in sim.streams.book("BTCUSDT").top(3))
        while True:  # every book handed out is one the venue had: before or after
            book = await next_item(source)
            assert (book.bids, book.asks) in (old_top, new_top)
            if (book.bids, book.asks) == new_top:
                break
        assert sim.stats.count("/v1/depth") == before + 2
        assert hub(conn).book(SYMBOL) is not None and hub(conn).book(SYMBOL).gaps == 1  # type: ignore[union-attr]


async def test_fills_derived_from_cumulative_quantity_where_the_venue_has_no_executions(
        sim: ExampleSimulator) -> None:
    plugin = plugin_with(lambda info: evolve(info, derive_fills=True))
    async with open_conn(sim, plugin) as conn:
        fills = conn.watch_fills()
        first = asyncio.ensure_future(anext(fills))
        await ready(conn)
        assert all(("fills", None) not in c.topics for c in sim.streams.clients)
        placed = await conn.place_order(order(quantity=Decimal("0.03")))
        sim.state.fill_resting(placed.order_id, Decimal("0.01"))
        sim.state.fill_resting(placed.order_id)
        one = await asyncio.wait_for(first, 5)
        two = await next_item(fills)
        assert (one.quantity, two.quantity) == (Decimal("0.01"), Decimal("0.02"))
        assert one.price == two.price == Decimal(40000)
        assert one.trade_id != two.trade_id and one.order_id == placed.order_id


async def test_a_plugin_without_streams_raises_not_supported_before_connecting(
        sim: ExampleSimulator) -> None:
    async with open_conn(sim, plugin_with(lambda info: None)) as conn:
        with pytest.raises(NotSupported):
            await anext(conn.watch_orders())
    assert sim.streams.connections == 0


async def test_a_kind_left_out_raises_not_supported(sim: ExampleSimulator) -> None:
    plugin = plugin_with(lambda info: evolve(info, kinds=info.kinds - {StreamKind.TRADES}))
    async with open_conn(sim, plugin) as conn:
        with pytest.raises(NotSupported, match="trades"):
            await anext(conn.watch_trades(SYMBOL))
    assert sim.streams.connections == 0


async def test_leaving_a_watch_unsubscribes(sim: ExampleSimulator, conn: Connector) -> None:
    tickers = conn.watch_ticker(SYMBOL)
    trades = conn.watch_trades(SYMBOL)
    tasks = [asyncio.ensure_future(anext(tickers)), asyncio.ensure_future(anext(trades))]
    await ready(conn)
    sim.streams.publish_ticker("BTCUSDT")
    await tasks[0]
    await tickers.aclose()  # type: ignore[attr-defined]
    (client,) = sim.streams.clients
    await until(lambda: client.topics == {("trades", "BTCUSDT")}, "the unsubscribe")
    tasks[1].cancel()


async def test_lines_for_the_cli(sim: ExampleSimulator, conn: Connector) -> None:
    text = lines(conn, "orders")
    as_json = lines(conn, "orders", as_json=True)
    first = [asyncio.ensure_future(anext(text)), asyncio.ensure_future(anext(as_json))]
    await ready(conn)
    placed = await conn.place_order(order())
    line, payload = await asyncio.wait_for(asyncio.gather(*first), 5)
    assert line.startswith(f"{SYMBOL} {placed.order_id} buy open")
    assert json.loads(payload)["order_id"] == placed.order_id
    with pytest.raises(ValueError, match="needs a symbol"):
        await anext(lines(conn, "book"))
    with pytest.raises(ValueError, match="unknown stream"):
        await anext(lines(conn, "candles"))
    assert OrderStatus.OPEN.value in line


async def test_books_subscribed_over_several_frames_all_get_their_snapshot() -> None:
    """The venue answers each subscribe frame with its ack and the books' snapshots; the
    books of an early frame arrive while the core still waits for a later frame's ack, and
    must not be wiped when the socket then counts as connected (they were: every book but
    the last frame's stayed empty, buffering deltas without end)."""
    from venuekit.testing.simulator import sim_market

    markets = [sim_market(f"{b}USDT", b, "USDT", tick="0.1", step="0.001", price="1000")
               for b in ("AAA", "BBB", "CCC")]  # 3 books: 2 subscribe frames of at most 2
    async with ExampleSimulator(markets=markets) as sim, open_conn(sim) as conn:
        sources = [conn.watch_order_book(f"{m.base}/USDT:USDT", depth=5) for m in markets]
        books = await asyncio.gather(*(next_item(source) for source in sources))
        await until(hub(conn).ready, "every book live")
        for source in sources:
            await source.aclose()  # type: ignore[attr-defined]
    assert [b.symbol for b in books] == [f"{m.base}/USDT:USDT" for m in markets]
    assert all(b.bids and b.asks for b in books)


async def test_the_same_trade_id_on_two_markets_is_two_fills(conn: Connector) -> None:
    # OKX numbers executions per instrument: one id on two markets must not be folded
    streams = watching.hub(conn)

    def fill(symbol: str, trade_id: str) -> Fill:
        return Fill(symbol=symbol, order_id="1", client_order_id=None, trade_id=trade_id,
                    side=Side.BUY, price=Decimal(1), quantity=Decimal(1),
                    timestamp=datetime.now(UTC))

    assert streams.offer_fill(fill(SYMBOL, "7"))
    assert streams.offer_fill(fill("ETH/USDT:USDT", "7"))
    assert not streams.offer_fill(fill(SYMBOL, "7"))  # the same execution seen again


async def test_an_account_kind_subscribed_per_market_needs_a_symbol(
        sim: ExampleSimulator) -> None:
    plugin = plugin_with(lambda info: evolve(info, private_by_market={StreamKind.ORDERS}))
    async with open_conn(sim, plugin) as conn:
        with pytest.raises(NotSupported, match="one market at a time"):
            await anext(conn.watch_orders())
        assert sim.streams.connections == 0  # refused before any socket
        source = conn.watch_orders(SYMBOL)
        pending = asyncio.ensure_future(anext(source))
        await ready(conn)
        subs = [entry.sub for entry in watching.hub(conn)._subs.values()]
        assert [(s.kind, s.market.symbol if s.market else None) for s in subs] == \
            [(StreamKind.ORDERS, SYMBOL)]
        pending.cancel()


async def test_a_login_refused_for_its_timestamp_resyncs_the_clock_then_logs_in(
        sim: ExampleSimulator, caplog: pytest.LogCaptureFixture) -> None:
    async with open_conn(sim) as conn:
        source = conn.watch_orders()
        pending = asyncio.ensure_future(anext(source))
        await ready(conn)
        sim.faults.skew_ms = 20_000  # the venue's clock jumps: the offset the core has is stale
        before = sim.streams.connections
        with caplog.at_level(logging.WARNING, logger="venuekit.streams"):
            await sim.streams.drop_all()
            # the login is the first signed message after the drop: without a fresh offset
            # it would be refused on every reconnect
            await until(lambda: sim.streams.connections > before + 1 and hub(conn).ready(),
                        "a login after the clock resync")
        assert any("InvalidTimestamp" in r.getMessage() for r in caplog.records)
        assert abs(conn.clock.now_ms() - sim.now_ms()) < 2_000
        pending.cancel()


async def test_stream_base_url_by_role_serves_each_role_and_refuses_unknown_roles(
        sim: ExampleSimulator) -> None:
    per_role = {"public": sim.base_url, "private": sim.base_url}
    async with open_conn(sim, stream_base_url=per_role) as conn:
        orders, ticker = conn.watch_orders(), conn.watch_ticker(SYMBOL)
        pending = [asyncio.ensure_future(anext(orders)), asyncio.ensure_future(anext(ticker))]
        await ready(conn)
        assert {c.role for c in sim.streams.clients} == {"public", "private"}
        for task in pending:
            task.cancel()
    with pytest.raises(ConfigurationError, match="no socket role"):
        open_conn(sim, stream_base_url={"privat": sim.base_url})
