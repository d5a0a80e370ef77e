"""A local order book kept from snapshots and deltas, refusing to cross a sequence gap.

State machine (h11 style, one table): a book is EMPTY until a snapshot arrives, LIVE
while updates line up, and SYNCING after a gap until the next snapshot; it hands out an
:class:`~venuekit.OrderBook` only while LIVE, so a host never sees a book built across a
gap.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from ..account_models import OrderBook
from ..stream_models import BookUpdate

__all__ = ["BookState", "LocalBook", "Verdict"]


class BookState(enum.Enum):
    EMPTY = "empty"
    LIVE = "live"
    SYNCING = "syncing"


class Verdict(enum.Enum):
    APPLIED = "applied"  #: the book changed and is consistent
    STALE = "stale"  #: an update older than the book (after a REST snapshot): ignored
    WAITING = "waiting"  #: no snapshot yet (or syncing): the update was set aside
    GAP = "gap"  #: the update does not follow: the book is now SYNCING


#: (state, is snapshot) -> state after a consistent update
_AFTER: dict[tuple[BookState, bool], BookState] = {
    (BookState.EMPTY, True): BookState.LIVE,
    (BookState.LIVE, True): BookState.LIVE,
    (BookState.SYNCING, True): BookState.LIVE,
    (BookState.LIVE, False): BookState.LIVE,
}


class LocalBook:
    """One symbol's book. Deltas set absolute quantities; a quantity of 0 removes a level.

    ``straddle`` is set after a REST snapshot: the first delta may then begin at or before
    the snapshot's id and end after it (Binance's ``U <= lastUpdateId + 1 <= u``).
    """

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.state = BookState.EMPTY
        self.sequence: int | None = None
        self.timestamp: datetime | None = None
        self._bids: dict[Decimal, Decimal] = {}
        self._asks: dict[Decimal, Decimal] = {}
        self._straddle = False
        self.pending: list[BookUpdate] = []  #: deltas held while SYNCING (REST recovery)
        self.gaps = 0

    def reset(self) -> None:
        """Forget everything (the socket was replaced): wait for a new snapshot."""
        self.state = BookState.EMPTY
        self.sequence = None
        self._bids.clear()
        self._asks.clear()
        self.pending.clear()

    def apply(self, update: BookUpdate) -> Verdict:
        if update.snapshot:
            self._load(update.bids, update.asks, update.sequence, update.timestamp)
            self._straddle = False
            return Verdict.APPLIED
        if self.state is not BookState.LIVE:
            self.pending.append(update)
            return Verdict.WAITING
        follows = self._follows(update)
        if follows is None:
            return Verdict.STALE
        if not follows:
            self.state = BookState.SYNCING
            self.gaps += 1
            self.pending = [update]
            return Verdict.GAP
        self._straddle = False
        self._merge(self._bids, update.bids)
        self._merge(self._asks, update.asks)
        if update.sequence is not None:
            self.sequence = update.sequence
        self.timestamp = update.timestamp or self.timestamp
        self.state = _AFTER[(self.state, False)]
        return Verdict.APPLIED

    def load_rest(self, book: OrderBook) -> None:
        """Recover from a REST snapshot, then replay the deltas held since the gap."""
        self._load(book.bids, book.asks, book.sequence, book.timestamp)
        self._straddle = book.sequence is not None
        held, self.pending = self.pending, []
        for update in held:
            if self.apply(update) is Verdict.GAP:
                return

    def _load(self, bids: Iterable[tuple[Decimal, Decimal]],
              asks: Iterable[tuple[Decimal, Decimal]], sequence: int | None,
              timestamp: datetime | None) -> None:
        self._bids = {price: qty for price, qty in bids if qty}
        self._asks = {price: qty for price, qty in asks if qty}
        self.sequence = sequence
        self.timestamp = timestamp
        self.state = _AFTER[(self.state, True)]
        self.pending = [u for u in self.pending if not u.snapshot]

    def _follows(self, update: BookUpdate) -> bool | None:
        """True: next in line; False: a gap; None: already contained in the book."""
        last = self.sequence
        if last is None or update.sequence is None:
            return True  # the venue gives no sequence: nothing to check against
        if update.prev_sequence == last and not self._straddle:
            # names the last one as its predecessor: next in line even when its own number
            # is lower (OKX restarts the sequence after maintenance, seqId < prevSeqId)
            return True
        if update.sequence <= last:
            return None
        if self._straddle:
            return update.prev_sequence is None or update.prev_sequence <= last
        if update.prev_sequence is not None:
            return update.prev_sequence == last
        return update.sequence == last + 1

    @staticmethod
    def _merge(side: dict[Decimal, Decimal], levels: Iterable[tuple[Decimal, Decimal]]) -> None:
        for price, qty in levels:
            if qty:
                side[price] = qty
            else:
                side.pop(price, None)

    def view(self, depth: int) -> OrderBook | None:
        """The book's top ``depth`` levels, or None unless it is LIVE."""
        if self.state is not BookState.LIVE:
            return None
        bids = sorted(self._bids.items(), key=lambda level: level[0], reverse=True)[:depth]
        asks = sorted(self._asks.items(), key=lambda level: level[0])[:depth]
        return OrderBook(symbol=self.symbol, bids=bids, asks=asks, timestamp=self.timestamp,
                         sequence=self.sequence)
