"""Batch order placement that keeps the no-duplicate guarantee for every order.

Backs :meth:`venuekit.Connector.place_orders`: every order is validated and given its
client order id before the first request; orders are grouped by market and sent in chunks
of the venue's maximum through the plugin's ``place_orders`` hook; one result or error per
order comes back in input order. An ambiguous outcome (the whole chunk, or one item) is
resolved per order by :class:`~venuekit.retry.OrderPlacer`: look the id up, resend that
order alone only when the venue proves it absent, ``OrderStatusUnknown`` where the venue
cannot look orders up.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from attrs import evolve

from .account import Item, check_items, planned, require
from .attempt import Attempt
from .errors import (
    InvalidOrder,
    InvalidTimestamp,
    OrderStatusUnknown,
    RateLimitExceeded,
    TokenExpired,
    VenueError,
)
from .flows import run_plan
from .models import Capability, Market, OrderParams, OrderResult
from .retry import OrderPlacer, generate_client_order_id
from .wire import Call

if TYPE_CHECKING:
    from .journal import JournalRecorder
    from .surface import ConnectorLike

__all__ = ["place_orders"]


async def place_orders(conn: ConnectorLike, orders: Sequence[OrderParams]) -> list[Item]:
    """Place several orders through the venue's batch endpoint, keeping no-duplicate.

    Every order is validated and given its client order id before anything is sent (one
    bad order refuses the whole list, naming its index). Orders are grouped by market and
    sent in chunks of the venue's maximum. One item per order comes back, in input order:
    the placed order or the venue's error for it. After an ambiguous outcome (timeout,
    dropped connection, unknown state), each affected order is looked up by client id
    and resent alone only when the venue proves it absent (see :mod:`venuekit.retry`).
    """
    if not orders:
        return []
    require(conn, Capability.PLACE_ORDERS, "place_orders")
    prepared = await _prepare_orders(conn, orders)
    if conn.journal is not None:
        await conn._recover_once()  # a crash's leftovers first, as for a single order
    results: list[Item | None] = [None] * len(prepared)
    size = max(conn.info.max_batch_orders, 1)
    with contextlib.ExitStack() as in_flight:
        if conn.journal is not None:  # recover() in another task leaves these alone
            for order, _ in prepared:
                assert order.client_order_id is not None
                in_flight.enter_context(conn.journal.placing(conn._journal_account,
                                                             order.client_order_id))
        for chunk in _chunks(prepared, size):
            answered = await _place_chunk(conn, [prepared[i] for i in chunk])
            for index, item in zip(chunk, answered, strict=True):
                results[index] = item
    assert all(item is not None for item in results)
    return [item for item in results if item is not None]


async def _prepare_orders(conn: ConnectorLike,
                          orders: Sequence[OrderParams]) -> list[tuple[OrderParams, Market]]:
    rule = conn.info.client_order_id
    prepared: list[tuple[OrderParams, Market]] = []
    seen: set[str] = set()
    for index, params in enumerate(orders):
        try:
            market = await conn.market(params.symbol)
            conn.validate_order(params, market)
            cid = params.client_order_id or generate_client_order_id(rule)
            if rule.lowercase:
                cid = cid.lower()
            rule.check(cid)
            if cid in seen:
                raise InvalidOrder(f"client_order_id {cid!r} appears twice in the batch")
        except InvalidOrder as exc:
            raise type(exc)(f"order {index}: {exc.message}", exchange=conn.exchange) from exc
        seen.add(cid)
        prepared.append((evolve(params, client_order_id=cid), market))
    return prepared


def _chunks(prepared: list[tuple[OrderParams, Market]], size: int) -> list[list[int]]:
    by_market: dict[str, list[int]] = {}
    for index, (_, market) in enumerate(prepared):
        by_market.setdefault(market.symbol, []).append(index)
    return [indices[start:start + size] for indices in by_market.values()
            for start in range(0, len(indices), size)]


#: How often one chunk refused before execution (clock, token, rate) is sent again.
MAX_CHUNK_SENDS = 3


async def _place_chunk(conn: ConnectorLike, chunk: list[tuple[OrderParams, Market]]) -> list[Item]:
    orders = [order for order, _ in chunk]
    markets = [market for _, market in chunk]
    recorders = [conn._recorder(order, market) for order, market in chunk]
    healed: set[type[VenueError]] = set()
    for _ in range(MAX_CHUNK_SENDS):
        plan = planned(conn, "place_orders",
                        conn._hook.place_orders(orders=orders, markets=markets))
        # the batch's signing time on the venue's clock: the receive window of every order
        # in it runs from there, however long the chunk waited in the limiter; a journaled
        # connector writes every order of the chunk down before the bytes leave
        sent = Attempt(before_send=functools.partial(_journal_sent, recorders))
        try:
            items: list[Item] = await run_plan(plan, functools.partial(_send, conn, sent))
        except (InvalidTimestamp, TokenExpired) as exc:
            # refused at the door, nothing executed: heal once, then send the chunk again
            kind = type(exc)
            if kind in healed:
                raise
            healed.add(kind)
            await (conn._resync() if isinstance(exc, InvalidTimestamp) else conn._drop_token())
            continue
        except RateLimitExceeded as exc:
            if not exc.retryable:
                raise
            continue  # the limiter now blocks until the venue's Retry-After
        except VenueError as exc:
            if not exc.ambiguous:
                for recorder in recorders:
                    if recorder is not None and sent.sent:
                        recorder.rejected(exc)
                return [exc] * len(chunk)
            return list(await asyncio.gather(*(
                _resolve(conn, order, market, exc, sent, recorder)
                for (order, market), recorder in zip(chunk, recorders, strict=True))))
        check_items("place_orders", conn, items, len(chunk))
        resolved: list[Any] = []
        for (order, market), item, recorder in zip(chunk, items, recorders, strict=True):
            if isinstance(item, VenueError):
                item.with_context(exchange=conn.exchange)
                if item.ambiguous:
                    resolved.append(_resolve(conn, order, market, item, sent, recorder))
                    continue
                if recorder is not None:
                    recorder.rejected(item)
            elif recorder is not None:
                recorder.placed(item)
            resolved.append(_ready(item))
        return list(await asyncio.gather(*resolved))
    raise RateLimitExceeded(f"place_orders refused {MAX_CHUNK_SENDS} times before execution",
                            exchange=conn.exchange)


def _journal_sent(recorders: list[JournalRecorder | None], signed_ms: int) -> None:
    for recorder in recorders:
        if recorder is not None:
            recorder.sending(signed_ms)


async def _send(conn: ConnectorLike, attempt: Attempt, call: Call[Any]) -> Any:
    """One request of a batch, its signing time kept in ``attempt``."""
    await conn._prepare(call)
    return await conn.transport.send(call, attempt=attempt)


async def _ready(item: Item) -> Item:
    return item


async def _resolve(conn: ConnectorLike, order: OrderParams, market: Market,
                   cause: VenueError, batch: Attempt,
                   recorder: JournalRecorder | None) -> Item:
    """One order of an ambiguous batch: look it up; resend it alone only if proven absent.

    Reuses :class:`~venuekit.retry.OrderPlacer`: its first "send" is the batch that already
    went out (it raises the batch's ambiguous error), so the placer's next step is the
    lookup, exactly as after a lost single order.
    """
    assert order.client_order_id is not None
    cid = order.client_order_id
    call = conn._built("place_order", conn._hook.place_order(order=order, market=market))
    batch_sent = False

    async def send(attempt: Attempt) -> OrderResult:
        nonlocal batch_sent
        if not batch_sent:
            batch_sent = True
            attempt.signed_ms = batch.signed_ms  # the batch went out signed at this time
            raise cause
        await conn._prepare(call)
        result: OrderResult = await conn.transport.send(call, attempt=attempt)
        return result

    async def lookup() -> OrderResult:
        return await conn.fetch_order(market.symbol, client_order_id=cid)

    can_lookup = conn.info.has(Capability.FETCH_ORDER_BY_CLIENT_ID)
    placer = OrderPlacer(send=send, lookup=lookup if can_lookup else None,
                         resync=conn._resync, relogin=conn._drop_token, client_order_id=cid,
                         exchange=conn.exchange, settle_s=conn.order_settle_s,
                         clock_ms=conn.clock.now_ms, max_sends=max(conn.retry.max_tries, 2),
                         record=recorder)
    try:
        return await placer.place()
    except OrderStatusUnknown as exc:
        return exc
    except VenueError as exc:
        return exc.with_context(exchange=conn.exchange)
