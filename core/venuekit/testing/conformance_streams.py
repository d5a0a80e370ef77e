"""Conformance tests of live streams (0.2), inherited by every plugin's ``TestConformance``
through :class:`~venuekit.testing.conformance.ExchangeConformance`.

They run the connector's ``watch_*`` against the plugin's simulator, whose
:class:`~venuekit.testing.stream_server.StreamServer` must be its ``streams`` attribute
(override :meth:`StreamConformance.stream_server` otherwise). Where the plugin declares a
stream kind absent (``StreamInfo.kinds``, or no ``stream_info`` at all), the test asserts
:class:`~venuekit.NotSupported` with no socket opened, and only then reports a skip.
Timings are shrunk through :class:`~venuekit.streams.StreamSettings`: no test sleeps for
seconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import pytest
import pytest_asyncio

from ..errors import AuthenticationError, NotSupported, UnknownSymbol
from ..models import Capability, Credentials, OrderResult, OrderStatus
from ..stream_models import StreamKind
from ..streams import StreamSettings
from ..streams import hub as stream_hub
from .waits import WAIT_S, next_item, until

if TYPE_CHECKING:
    from ..connector import Connector
    from ..registry import Registry
    from .simulator import Simulator
    from .stream_server import StreamServer

# next_item and until are re-exported: plugin suites import them from here
__all__ = ["FAST_STREAMS", "WAIT_S", "StreamConformance", "next_item", "until"]

T = TypeVar("T")

#: Stream timings for tests: quick reconnects, a dead socket noticed in a second.
FAST_STREAMS = StreamSettings(backoff_initial_s=0.01, backoff_max_s=0.05, jitter=0.5,
                              idle_timeout_s=1.0, heartbeat_s=0.2, connect_timeout_s=2.0)


class StreamConformance:
    """The streams part of the suite; attributes come from the plugin's class."""

    name: ClassVar[str]
    symbol: ClassVar[str]
    quantity: ClassVar[Decimal]
    resting_price: ClassVar[Decimal]

    def order(self, **changes: Any) -> Any:
        raise NotImplementedError  # ExchangeConformance provides it

    def registry(self) -> Registry:
        raise NotImplementedError  # ExchangeConformance provides it

    def connect_to(self, sim: Simulator, credentials: Credentials | None = None,
                   **options: Any) -> Connector:
        raise NotImplementedError  # ExchangeConformance provides it

    def stream_server(self, sim: Simulator) -> StreamServer:
        """The simulator's stream side (``sim.streams`` by convention)."""
        server: StreamServer = getattr(sim, "streams")  # noqa: B009 - a convention, not typed
        return server

    def connect_streams(self, sim: Simulator, credentials: Credentials | None = None
                        ) -> Connector:
        return self.connect_to(sim, credentials, stream_base_url=sim.base_url,
                               stream_settings=FAST_STREAMS)

    @pytest_asyncio.fixture
    async def sconn(self, sim: Simulator) -> AsyncIterator[Connector]:
        async with self.connect_streams(sim) as connector:
            yield connector

    # ------------------------------------------------------------ helpers

    def _kinds(self) -> frozenset[StreamKind]:
        info = self.registry().load(self.name).callers().stream_info()
        return frozenset() if info is None else info.kinds

    def _account_symbol(self, kind: StreamKind) -> str | None:
        """The symbol an account watch needs: None (every market) unless the venue
        subscribes ``kind`` one market at a time (``StreamInfo.private_by_market``)."""
        info = self.registry().load(self.name).callers().stream_info()
        return self.symbol if info is not None and kind in info.private_by_market else None

    async def _absent(self, sim: Simulator, conn: Connector, kind: StreamKind,
                      source: AsyncIterator[Any]) -> None:
        """Assert NotSupported with no socket opened, then report the skip."""
        await conn.fetch_markets()
        server = getattr(sim, "streams", None)
        before = None if server is None else server.connections
        with pytest.raises(NotSupported) as info:
            await next_item(source)
        if server is not None:
            assert server.connections == before, "NotSupported must come before connecting"
        pytest.skip(f"{self.name} declares no {kind.value} stream: {info.value}")

    async def _ready(self, conn: Connector) -> None:
        hub = stream_hub(conn)
        await until(hub.ready, "the streams to be open, subscribed and resynced")

    async def _native(self, conn: Connector) -> str:
        return (await conn.market(self.symbol)).native

    @staticmethod
    async def _until_status(source: AsyncIterator[OrderResult], order_id: str,
                            status: OrderStatus) -> list[OrderResult]:
        seen: list[OrderResult] = []
        while True:
            item = await next_item(source)
            seen.append(item)
            if item.order_id == order_id and item.status is status:
                return seen

    # ------------------------------------------------------------ the hooks

    def test_declared_streams_have_their_hooks(self) -> None:
        loaded = self.registry().load(self.name)
        if not self._kinds():
            pytest.skip(f"{self.name} declares no streams (each watch asserts NotSupported)")
        for hook in ("stream_url", "stream_subscribe", "parse_stream_frame"):
            assert hook in loaded.hooks, f"streams declared, {hook} missing"

    # ------------------------------------------------------------ private streams

    async def test_watch_orders_delivers_each_change_and_final_state(
            self, sim: Simulator, sconn: Connector) -> None:
        source = sconn.watch_orders(self._account_symbol(StreamKind.ORDERS))
        if StreamKind.ORDERS not in self._kinds():
            await self._absent(sim, sconn, StreamKind.ORDERS, source)
        first = asyncio.ensure_future(next_item(source))
        await self._ready(sconn)
        placed = await sconn.place_order(self.order())
        opened = await first
        assert opened.order_id == placed.order_id and opened.status is OrderStatus.OPEN
        assert opened.symbol == self.symbol and opened.quantity == self.quantity
        await sconn.cancel_order(self.symbol, order_id=placed.order_id)
        seen = await self._until_status(source, placed.order_id, OrderStatus.CANCELED)
        assert [o.status for o in seen].count(OrderStatus.CANCELED) == 1
        await source.aclose()  # type: ignore[attr-defined]

    async def test_watch_fills_delivers_each_fill_once(self, sim: Simulator,
                                                       sconn: Connector) -> None:
        source = sconn.watch_fills(self._account_symbol(StreamKind.FILLS))
        if StreamKind.FILLS not in self._kinds():
            await self._absent(sim, sconn, StreamKind.FILLS, source)
        first = asyncio.ensure_future(next_item(source))
        await self._ready(sconn)
        placed = await sconn.place_order(self.order())
        sim.state.fill_resting(placed.order_id)
        fill = await first
        assert fill.order_id == placed.order_id and fill.quantity == self.quantity
        assert fill.symbol == self.symbol
        # a reconnect (with its resync) must not bring the same fill again
        server = self.stream_server(sim)
        before = server.connections
        await server.drop_all()
        await until(lambda: server.connections > before, "a reconnect")
        await self._ready(sconn)
        second = await sconn.place_order(self.order())
        sim.state.fill_resting(second.order_id)
        after = await next_item(source)
        assert after.order_id == second.order_id, "a fill was delivered twice"
        assert after.trade_id != fill.trade_id

    async def test_watch_balance_changes_after_a_fill(self, sim: Simulator,
                                                      sconn: Connector) -> None:
        source = sconn.watch_balance()
        if StreamKind.BALANCE not in self._kinds():
            await self._absent(sim, sconn, StreamKind.BALANCE, source)
        current = await next_item(source)
        await self._ready(sconn)
        placed = await sconn.place_order(self.order())
        sim.state.fill_resting(placed.order_id)
        changed = await next_item(source)
        assert changed != current
        assert {a.asset for a in changed.assets} >= {a.asset for a in current.assets}

    async def test_watch_positions_after_a_fill(self, sim: Simulator,
                                                sconn: Connector) -> None:
        source = sconn.watch_positions()
        if StreamKind.POSITIONS not in self._kinds():
            await self._absent(sim, sconn, StreamKind.POSITIONS, source)
        first = asyncio.ensure_future(next_item(source))
        if sconn.info.has(Capability.FETCH_POSITIONS):  # the resync's current list comes first
            assert await first == []
            first = asyncio.ensure_future(next_item(source))
        await self._ready(sconn)
        placed = await sconn.place_order(self.order())
        sim.state.fill_resting(placed.order_id)
        positions = await first
        assert [(p.symbol, p.quantity) for p in positions] == [(self.symbol, self.quantity)]

    async def test_socket_drop_resync_delivers_missed_change_once(
            self, sim: Simulator, sconn: Connector) -> None:
        source = sconn.watch_orders(self._account_symbol(StreamKind.ORDERS))
        if StreamKind.ORDERS not in self._kinds():
            await self._absent(sim, sconn, StreamKind.ORDERS, source)
        first = asyncio.ensure_future(next_item(source))
        await self._ready(sconn)
        placed = await sconn.place_order(self.order())
        assert (await first).status is OrderStatus.OPEN
        server = self.stream_server(sim)
        server.faults.refuse_connections = True
        await server.drop_all()
        await until(lambda: not stream_hub(sconn).ready(), "the drop to be noticed")
        sim.state.cancel(order_id=placed.order_id)  # while the socket is down
        server.faults.refuse_connections = False
        missed = await next_item(source)
        assert (missed.order_id, missed.status) == (placed.order_id, OrderStatus.CANCELED)
        await self._ready(sconn)
        sentinel = await sconn.place_order(self.order())
        following = await next_item(source)
        assert following.order_id == sentinel.order_id, "the missed change came twice"

    async def test_session_expiry_reconnects_and_keeps_streaming(
            self, sim: Simulator, sconn: Connector) -> None:
        source = sconn.watch_orders(self._account_symbol(StreamKind.ORDERS))
        if StreamKind.ORDERS not in self._kinds():
            await self._absent(sim, sconn, StreamKind.ORDERS, source)
        first = asyncio.ensure_future(next_item(source))
        await self._ready(sconn)
        server = self.stream_server(sim)
        before = server.connections
        server.expire_sessions()
        await until(lambda: server.connections > before, "a reconnect after expiry")
        await self._ready(sconn)
        placed = await sconn.place_order(self.order())
        arrived = await first
        assert arrived.order_id == placed.order_id

    async def test_refused_login_raises_authentication_error(self, sim: Simulator) -> None:
        if StreamKind.ORDERS not in self._kinds():
            async with self.connect_streams(sim, sim.credentials) as conn:
                await self._absent(sim, conn, StreamKind.ORDERS, conn.watch_orders())
        wrong = Credentials(api_key=sim.credentials.api_key,
                            api_secret="wrong-" + sim.credentials.api_secret,
                            passphrase=sim.credentials.passphrase)
        server = self.stream_server(sim)
        async with self.connect_streams(sim, wrong) as conn:
            source = conn.watch_orders(self._account_symbol(StreamKind.ORDERS))
            with pytest.raises(AuthenticationError):
                await next_item(source)
            await asyncio.sleep(0.1)  # several backoff periods: no reconnect storm
            assert server.connections <= 1

    # ------------------------------------------------------------ public streams

    async def test_watch_ticker(self, sim: Simulator, sconn: Connector) -> None:
        source = sconn.watch_ticker(self.symbol)
        if StreamKind.TICKER not in self._kinds():
            await self._absent(sim, sconn, StreamKind.TICKER, source)
        first = asyncio.ensure_future(next_item(source))
        await self._ready(sconn)
        self.stream_server(sim).publish_ticker(await self._native(sconn))
        ticker = await first
        assert ticker.symbol == self.symbol
        assert ticker.bid is not None and ticker.ask is not None and ticker.bid < ticker.ask

    async def test_watch_trades(self, sim: Simulator, sconn: Connector) -> None:
        source = sconn.watch_trades(self.symbol)
        if StreamKind.TRADES not in self._kinds():
            await self._absent(sim, sconn, StreamKind.TRADES, source)
        first = asyncio.ensure_future(next_item(source))
        await self._ready(sconn)
        trade_id = self.stream_server(sim).publish_trade(
            await self._native(sconn), "buy", self.resting_price, self.quantity)
        trade = await first
        assert (trade.symbol, trade.trade_id, trade.price, trade.quantity) == \
            (self.symbol, trade_id, self.resting_price, self.quantity)

    async def test_watch_order_book_is_consistent_and_recovers_from_a_gap(
            self, sim: Simulator, sconn: Connector) -> None:
        depth = 5
        source = sconn.watch_order_book(self.symbol, depth)
        if StreamKind.ORDER_BOOK not in self._kinds():
            await self._absent(sim, sconn, StreamKind.ORDER_BOOK, source)
        server = self.stream_server(sim)
        native = await self._native(sconn)

        def venue_top() -> tuple[Any, Any]:
            bids, asks = server.book(native).top(depth)
            return tuple(bids), tuple(asks)

        book = await next_item(source)
        assert (book.bids, book.asks) == venue_top()
        best_bid = book.bids[0][0]
        server.publish_book(native, bids=[(best_bid, Decimal(7))])
        book = await next_item(source)
        assert (book.bids, book.asks) == venue_top()
        server.faults.gaps.add(native)
        server.publish_book(native, bids=[(best_bid, Decimal(9))])
        book = await next_item(source)  # only after recovery: never across the gap
        assert (book.bids, book.asks) == venue_top()
        assert book.bids[0] == (best_bid, Decimal(9))
        assert stream_hub(sconn).book(self.symbol) is not None

    # ------------------------------------------------------------ lifecycle and bad input

    async def test_unknown_symbol_raises_before_connecting(self, sim: Simulator,
                                                           sconn: Connector) -> None:
        if StreamKind.TICKER not in self._kinds():
            await self._absent(sim, sconn, StreamKind.TICKER,
                               sconn.watch_ticker(self.symbol))
        server = self.stream_server(sim)
        with pytest.raises(UnknownSymbol):
            await next_item(sconn.watch_ticker("NOPE/NOTHING"))
        assert server.connections == 0

    async def test_watchers_end_when_the_connector_closes(self, sim: Simulator) -> None:
        kinds = self._kinds()
        if not kinds:
            async with self.connect_streams(sim) as conn:
                await self._absent(sim, conn, StreamKind.ORDERS, conn.watch_orders())
        conn = self.connect_streams(sim)
        sources: list[AsyncIterator[Any]] = []
        if StreamKind.ORDERS in kinds:
            sources.append(conn.watch_orders(self._account_symbol(StreamKind.ORDERS)))
        if StreamKind.TICKER in kinds:
            sources.append(conn.watch_ticker(self.symbol))

        async def drain(source: AsyncIterator[Any]) -> int:
            count = 0
            async for _ in source:
                count += 1
            return count

        tasks = [asyncio.ensure_future(drain(source)) for source in sources]
        await until(lambda: stream_hub(conn).ready(), "the streams to open")
        await conn.close()
        done = await asyncio.wait_for(asyncio.gather(*tasks), WAIT_S)
        assert len(done) == len(sources)
