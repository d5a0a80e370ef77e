"""The local order book, the consumer buffers and the frame helpers: pure, no sockets."""

from __future__ import annotations

import asyncio
import gzip
import zlib
from decimal import Decimal

import pytest
from venuekit.account_models import OrderBook
from venuekit.stream_models import BookUpdate, Compression
from venuekit.streams.book import BookState, LocalBook, Verdict
from venuekit.streams.channel import Channel
from venuekit.streams.codec import base_for, decode, rebase_url
from venuekit.streams.settings import StreamSettings

D = Decimal


def snap(seq: int | None = 10) -> BookUpdate:
    return BookUpdate(symbol="X", bids=[("100", "1"), ("99", "2")], asks=[("101", "1")],
                      snapshot=True, sequence=seq)


def delta(seq: int | None, prev: int | None = None, *, bids: list[tuple[str, str]] | None = None,
          asks: list[tuple[str, str]] | None = None) -> BookUpdate:
    return BookUpdate(symbol="X", bids=bids or [], asks=asks or [], snapshot=False,
                      sequence=seq, prev_sequence=prev)


def test_no_book_before_a_snapshot_and_deltas_wait() -> None:
    book = LocalBook("X")
    assert book.apply(delta(11, 10)) is Verdict.WAITING
    assert book.view(5) is None
    assert book.apply(snap()) is Verdict.APPLIED
    view = book.view(5)
    assert view is not None and view.best_bid == (D(100), D(1)) and view.sequence == 10


def test_delta_sets_absolute_quantities_and_zero_removes() -> None:
    book = LocalBook("X")
    book.apply(snap())
    assert book.apply(delta(11, 10, bids=[("100", "0"), ("98", "5")],
                            asks=[("101", "3")])) is Verdict.APPLIED
    view = book.view(5)
    assert view is not None
    assert view.bids == ((D(99), D(2)), (D(98), D(5)))
    assert view.asks == ((D(101), D(3)),)
    assert book.view(1) == OrderBook(symbol="X", bids=[(D(99), D(2))], asks=[(D(101), D(3))],
                                     sequence=11)


def test_prev_sequence_mismatch_is_a_gap_and_the_book_is_withheld() -> None:
    book = LocalBook("X")
    book.apply(snap())
    assert book.apply(delta(12, 11, bids=[("99", "9")])) is Verdict.GAP
    assert book.state is BookState.SYNCING and book.view(5) is None
    assert book.apply(delta(13, 12)) is Verdict.WAITING  # nothing built across the gap
    assert book.apply(snap(20)) is Verdict.APPLIED
    view = book.view(5)
    assert view is not None and view.sequence == 20 and view.bids[1] == (D(99), D(2))


def test_sequence_alone_must_be_the_next_number() -> None:
    book = LocalBook("X")
    book.apply(snap())
    assert book.apply(delta(11)) is Verdict.APPLIED
    assert book.apply(delta(13)) is Verdict.GAP


def test_old_updates_are_stale_and_change_nothing() -> None:
    book = LocalBook("X")
    book.apply(snap())
    assert book.apply(delta(10, 9, bids=[("100", "0")])) is Verdict.STALE
    view = book.view(5)
    assert view is not None and view.best_bid == (D(100), D(1))


def test_rest_snapshot_replays_held_deltas_and_may_be_straddled() -> None:
    book = LocalBook("X")
    book.apply(snap())
    book.apply(delta(15, 14))  # gap: held
    book.apply(delta(17, 15, asks=[("102", "4")]))  # held too (prev chain continues)
    book.load_rest(OrderBook(symbol="X", bids=[("100", "1")], asks=[("101", "1")],
                             sequence=16))
    # 15 is contained in the snapshot, 17 (prev 15) straddles it: applied
    view = book.view(5)
    assert view is not None and view.sequence == 17 and (D(102), D(4)) in view.asks


def test_without_sequences_the_venue_is_trusted() -> None:
    book = LocalBook("X")
    book.apply(snap(None))
    assert book.apply(delta(None, bids=[("100", "3")])) is Verdict.APPLIED
    view = book.view(1)
    assert view is not None and view.best_bid == (D(100), D(3))


async def test_latest_only_channel_keeps_the_newest() -> None:
    channel: Channel[int] = Channel(latest_only=True)
    for i in range(100):
        channel.put(i)
    assert await channel.get() == 99
    assert channel.replaced == 99


async def test_lossless_channel_keeps_everything_then_ends() -> None:
    channel: Channel[int] = Channel(latest_only=False)
    for i in range(100):
        channel.put(i)
    channel.close()
    assert [await channel.get() for _ in range(100)] == list(range(100))
    with pytest.raises(StopAsyncIteration):
        await channel.get()


async def test_bounded_channel_drops_the_oldest_beyond_its_limit() -> None:
    channel: Channel[int] = Channel(latest_only=False, limit=3)
    for i in range(5):
        channel.put(i)
    assert [await channel.get() for _ in range(3)] == [2, 3, 4]
    assert channel.replaced == 2


async def test_channel_closed_with_an_error_raises_it_to_a_waiting_reader() -> None:
    channel: Channel[int] = Channel(latest_only=False)
    reader = asyncio.ensure_future(channel.get())
    await asyncio.sleep(0)
    channel.close(RuntimeError("login refused"))
    with pytest.raises(RuntimeError, match="login refused"):
        await reader


def test_decode_unpacks_gzip_and_raw_deflate() -> None:
    assert decode(gzip.compress(b'{"a":1}'), Compression.GZIP) == '{"a":1}'
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    raw = packer.compress(b"Ping") + packer.flush()
    assert decode(raw, Compression.DEFLATE) == "Ping"
    assert decode("text", Compression.GZIP) == "text"


def test_rebase_url_keeps_path_and_query() -> None:
    url = "wss://stream.venue.example/ws/private?listenKey=abc&x=1"
    assert rebase_url(url, "http://127.0.0.1:8080") == \
        "ws://127.0.0.1:8080/ws/private?listenKey=abc&x=1"
    assert rebase_url(url, "wss://proxy.example:9443/ignored") == \
        "wss://proxy.example:9443/ws/private?listenKey=abc&x=1"
    assert rebase_url(url, None) == url


def test_backoff_doubles_up_to_the_cap_with_jitter_below() -> None:
    settings = StreamSettings(backoff_initial_s=0.5, backoff_max_s=4.0, jitter=0.5)
    assert [settings.backoff(n, 0.0) for n in range(5)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    assert settings.backoff(10, 0.999) == pytest.approx(2.002)


def test_a_stream_base_url_per_role_rebases_only_those_roles() -> None:
    # Bybit demo trading: private streams on the demo host, market data on the venue's own
    demo = {"private": "wss://stream-demo.bybit.com"}
    assert base_for(demo, "private") == "wss://stream-demo.bybit.com"
    assert base_for(demo, "public") is None
    assert base_for("http://127.0.0.1:8080", "public") == "http://127.0.0.1:8080"
    assert base_for(None, "private") is None
    assert rebase_url("wss://stream.bybit.com/v5/private", base_for(demo, "private")) == \
        "wss://stream-demo.bybit.com/v5/private"


def test_a_restarted_sequence_that_names_the_last_one_chains_on() -> None:
    # OKX after maintenance: seqId restarts below prevSeqId, prevSeqId still the last seqId
    book = LocalBook("X")
    book.apply(snap(100))
    assert book.apply(delta(5, 100, bids=[("98", "4")])) is Verdict.APPLIED
    assert book.apply(delta(6, 5)) is Verdict.APPLIED  # normal chaining resumes
    view = book.view(5)
    assert view is not None and view.sequence == 6 and (D(98), D(4)) in view.bids
    assert book.apply(delta(4, 99)) is Verdict.STALE  # a lower number naming another is old
