"""The WebSocket side of a venue simulator: streams driven by the same SimState as REST.

A plugin's simulator makes a :class:`StreamServer` with a :class:`StreamVenue` (its
frame format: how it reads client frames and writes events) and adds
:meth:`StreamServer.routes` to its REST routes, so streams are served on the REST port at
the venue's real paths. Every order change and fill in :class:`SimState` is pushed to the
subscribed clients; tests move the market with :meth:`StreamServer.publish_book`,
:meth:`publish_ticker` and :meth:`publish_trade`, and inject the stream faults in
:class:`StreamFaults`: sockets dropped, heartbeats ignored, a session expired, a sequence
gap, a refused login.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import itertools
import time
from collections.abc import Iterable
from decimal import Decimal
from typing import ClassVar

from aiohttp import WSMsgType, web
from attrs import define, field

from .state import SimFill, SimOrder, SimReject, SimState

__all__ = [
    "BookSide",
    "SimBook",
    "StreamClient",
    "StreamFaults",
    "StreamServer",
    "StreamVenue",
]

BookSide = list[tuple[Decimal, Decimal]]

#: what a client subscribed to: (kind, native symbol or None); kinds as StreamKind values
Topic = tuple[str, str | None]


@define(eq=False)
class StreamClient:
    """One connected socket, as the venue sees it."""

    ws: web.WebSocketResponse
    role: str
    request: web.Request
    topics: set[Topic] = field(factory=set)
    logged_in: bool = False
    session_key: str | None = None
    last_heard: float = field(factory=time.monotonic)
    frames_in: list[str] = field(factory=list)
    #: this socket is half dead: the venue reads nothing and sends nothing on it
    silent: bool = False
    outbox: asyncio.Queue[str | bytes] = field(factory=asyncio.Queue)


@define
class StreamFaults:
    """Stream faults; each applies until cleared (or, for counters, until used up)."""

    #: the server neither answers heartbeats nor sends anything on any socket
    silent: bool = False
    #: refuse the next login frames with the venue's auth error
    refuse_logins: int = 0
    #: skip a sequence number in the next book delta of these native symbols
    gaps: set[str] = field(factory=set)
    #: refuse new sockets (the venue is down); each refused attempt is counted
    refuse_connections: bool = False

    def clear(self) -> None:
        self.silent = False
        self.refuse_logins = 0
        self.gaps.clear()
        self.refuse_connections = False


@define
class SimBook:
    """The simulated venue's book of one symbol, with its update sequence."""

    bids: dict[Decimal, Decimal]
    asks: dict[Decimal, Decimal]
    sequence: int = 100

    def top(self, depth: int) -> tuple[BookSide, BookSide]:
        bids = sorted(self.bids.items(), reverse=True)[:depth]
        asks = sorted(self.asks.items())[:depth]
        return bids, asks


class StreamVenue(abc.ABC):
    """A venue's stream frame format, implemented by its simulator.

    Handlers raise :class:`~venuekit.testing.state.SimReject` to refuse; the server then
    sends :meth:`error_frame` (or refuses the upgrade in :meth:`on_open`).
    """

    #: path -> socket role ("public", "market", "private"), the venue's real paths
    paths: ClassVar[dict[str, str]] = {}

    def on_open(self, server: StreamServer, client: StreamClient) -> None:  # noqa: B027
        """Check the URL (listenKey, signature) before the upgrade; raise SimReject."""

    @abc.abstractmethod
    def on_frame(self, server: StreamServer, client: StreamClient, text: str) -> list[str]:
        """Read one client frame (login, subscribe, ping); returns the replies.

        Set ``client.logged_in`` and add or remove ``client.topics`` here; call
        :meth:`StreamServer.login_refused` first to honour the refused-login fault.
        """

    @abc.abstractmethod
    def error_frame(self, reject: SimReject) -> str: ...

    @abc.abstractmethod
    def order_frame(self, order: SimOrder) -> str: ...

    @abc.abstractmethod
    def fill_frame(self, fill: SimFill) -> str | None:
        """None where the venue has no execution events (fills come with orders)."""

    @abc.abstractmethod
    def balance_frame(self, state: SimState) -> str | None: ...

    @abc.abstractmethod
    def positions_frame(self, state: SimState) -> str | None: ...

    @abc.abstractmethod
    def ticker_frame(self, native: str, bid: Decimal, ask: Decimal, last: Decimal) -> str: ...

    @abc.abstractmethod
    def trade_frame(self, native: str, trade_id: str, side: str, price: Decimal,
                    quantity: Decimal) -> str: ...

    @abc.abstractmethod
    def book_frame(self, native: str, bids: BookSide, asks: BookSide, *, snapshot: bool,
                   sequence: int, prev_sequence: int) -> str: ...

    @abc.abstractmethod
    def expired_frame(self) -> str | None:
        """The venue's session-expired message (None: it just closes the socket)."""

    def ping_frame(self) -> str | None:
        """The venue's application ping (BingX, Pionex), sent every ``ping_interval_s``."""
        return None

    def encode(self, text: str) -> str | bytes:
        """How a frame goes out (BingX gzips every frame)."""
        return text


class StreamServer:
    """Serves one simulator's streams; ``routes()`` go into the simulator's app."""

    def __init__(self, state: SimState, venue: StreamVenue, *,
                 ping_interval_s: float | None = None) -> None:
        self.state = state
        self.venue = venue
        self.faults = StreamFaults()
        self.clients: list[StreamClient] = []
        self.books: dict[str, SimBook] = {}
        self.sessions: set[str] = set()  #: live listenKeys
        self.connections = 0  #: sockets accepted, over the server's life
        self.refused = 0
        self.ping_interval_s = ping_interval_s
        self._trade_ids = itertools.count(900_000)
        self._closing: set[asyncio.Task[bool]] = set()
        state.listeners.append(self._on_change)

    def routes(self) -> list[web.RouteDef]:
        return [web.get(path, self._handler) for path in self.venue.paths]

    # ------------------------------------------------------------ sessions

    def new_session(self) -> str:
        key = f"lk{next(self._trade_ids)}"
        self.sessions.add(key)
        return key

    def expire_sessions(self) -> None:
        """Every listenKey expires; private clients get the venue's expiry message."""
        self.sessions.clear()
        frame = self.venue.expired_frame()
        for client in list(self.clients):
            if client.role == "private":
                if frame is not None:
                    self._send(client, frame)
                else:
                    self._spawn_close(client)

    def login_refused(self) -> bool:
        if self.faults.refuse_logins > 0:
            self.faults.refuse_logins -= 1
            return True
        return False

    # ------------------------------------------------------------ faults

    async def drop_all(self, role: str | None = None) -> None:
        """Cut every socket (of ``role``) without a close frame, as a network failure does."""
        for client in list(self.clients):
            if role is None or client.role == role:
                transport = client.request.transport
                if transport is not None:
                    transport.abort()
                with contextlib.suppress(Exception):
                    await client.ws.close()

    def silence(self, role: str | None = None) -> None:
        """Make the open sockets (of ``role``) half dead: no answers, no data, no close.
        Sockets opened afterwards work, so a client that replaces a dead one recovers."""
        for client in self.clients:
            if role is None or client.role == role:
                client.silent = True

    # ------------------------------------------------------------ market data

    def book(self, native: str) -> SimBook:
        book = self.books.get(native)
        if book is None:
            bids, asks = self.state.book(native, 20)
            book = self.books[native] = SimBook(dict(bids), dict(asks))
        return book

    def book_snapshot_frame(self, native: str, depth: int) -> str:
        book = self.book(native)
        bids, asks = book.top(depth)
        return self.venue.book_frame(native, bids, asks, snapshot=True,
                                     sequence=book.sequence, prev_sequence=book.sequence)

    def publish_book(self, native: str, *, bids: Iterable[tuple[Decimal, Decimal]] = (),
                     asks: Iterable[tuple[Decimal, Decimal]] = ()) -> int:
        """Change the book (absolute quantities, 0 removes) and push the delta; returns
        the new sequence. An injected gap skips one sequence number in the frame."""
        book = self.book(native)
        bid_list, ask_list = list(bids), list(asks)
        for side, levels in ((book.bids, bid_list), (book.asks, ask_list)):
            for price, quantity in levels:
                if quantity:
                    side[price] = quantity
                else:
                    side.pop(price, None)
        if native in self.faults.gaps:
            self.faults.gaps.discard(native)
            book.sequence += 1  # an update the client never gets: the frame follows it
        prev = book.sequence
        book.sequence += 1
        frame = self.venue.book_frame(native, bid_list, ask_list, snapshot=False,
                                      sequence=book.sequence, prev_sequence=prev)
        self._publish(("order_book", native), frame)
        return book.sequence

    def publish_ticker(self, native: str) -> None:
        bids, asks = self.book(native).top(1)
        market = self.state.market(native)
        bid = bids[0][0] if bids else market.price
        ask = asks[0][0] if asks else market.price
        self._publish(("ticker", native), self.venue.ticker_frame(native, bid, ask,
                                                                   market.price))

    def publish_trade(self, native: str, side: str, price: Decimal, quantity: Decimal) -> str:
        trade_id = str(next(self._trade_ids))
        self._publish(("trades", native),
                      self.venue.trade_frame(native, trade_id, side, price, quantity))
        return trade_id

    # ------------------------------------------------------------ pushing

    def subscribers(self, topic: Topic) -> list[StreamClient]:
        return [c for c in self.clients if topic in c.topics]

    def _publish(self, topic: Topic, frame: str) -> None:
        for client in self.subscribers(topic):
            self._send(client, frame)

    def _publish_account(self, kind: str, native: str, frame: str) -> None:
        """To sockets on the whole account's ``kind`` or on that of the one market (venues
        whose account topics take a symbol, e.g. Pionex ``ORDER``)."""
        for client in self.clients:
            if (kind, None) in client.topics or (kind, native) in client.topics:
                self._send(client, frame)

    def _on_change(self, item: SimOrder | SimFill) -> None:
        if isinstance(item, SimFill):
            frame = self.venue.fill_frame(item)
            if frame is not None:
                self._publish_account("fills", item.symbol, frame)
            positions = self.venue.positions_frame(self.state)
            if positions is not None:
                self._publish(("positions", None), positions)
            return
        self._publish_account("orders", item.symbol, self.venue.order_frame(item))
        balance = self.venue.balance_frame(self.state)
        if balance is not None:
            self._publish(("balance", None), balance)

    def _send(self, client: StreamClient, frame: str) -> None:
        if self.faults.silent or client.silent or client.ws.closed:
            return
        client.outbox.put_nowait(self.venue.encode(frame))  # one writer keeps the order

    def _spawn_close(self, client: StreamClient) -> None:
        task = asyncio.get_running_loop().create_task(client.ws.close())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    # ------------------------------------------------------------ the socket

    async def _handler(self, request: web.Request) -> web.StreamResponse:
        role = self.venue.paths[request.path]
        ws = web.WebSocketResponse(autoping=True)
        client = StreamClient(ws=ws, role=role, request=request)
        if self.faults.refuse_connections:
            self.refused += 1
            raise web.HTTPServiceUnavailable
        try:
            self.venue.on_open(self, client)
        except SimReject as reject:
            self.refused += 1
            raise web.HTTPUnauthorized(text=self.venue.error_frame(reject)) from None
        await ws.prepare(request)
        self.connections += 1
        self.clients.append(client)
        loop = asyncio.get_running_loop()
        writer = loop.create_task(self._write(client))
        pinger = None
        if self.ping_interval_s is not None:
            pinger = loop.create_task(self._ping(client))
        try:
            async for message in ws:
                if message.type is not WSMsgType.TEXT:
                    continue
                client.last_heard = time.monotonic()
                client.frames_in.append(message.data)
                if self.faults.silent or client.silent:
                    continue
                try:
                    replies = self.venue.on_frame(self, client, message.data)
                except SimReject as reject:
                    replies = [self.venue.error_frame(reject)]
                for reply in replies:
                    self._send(client, reply)
        finally:
            writer.cancel()
            if pinger is not None:
                pinger.cancel()
            self.clients.remove(client)
        return ws

    @staticmethod
    async def _write(client: StreamClient) -> None:
        while True:
            data = await client.outbox.get()
            try:
                if isinstance(data, bytes):
                    await client.ws.send_bytes(data)
                else:
                    await client.ws.send_str(data)
            except (ConnectionError, RuntimeError):
                return

    async def _ping(self, client: StreamClient) -> None:
        assert self.ping_interval_s is not None
        while not client.ws.closed:
            await asyncio.sleep(self.ping_interval_s)
            frame = self.venue.ping_frame()
            if frame is not None:
                self._send(client, frame)

