"""Resolving what the order journal left open, by looking each order up (never resending).

Kept apart from the connector: it is the one place that decides, from the venue's answer
and the venue's clock, whether a journaled order exists, never existed, or cannot be known
yet (see :mod:`venuekit.journal` for the rules).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .errors import OrderNeverPlaced, OrderNotFound, OrderStatusUnknown, VenueError
from .models import Capability, OrderResult

if TYPE_CHECKING:
    from .journal import JournalEntry, OrderJournal
    from .surface import ConnectorLike

__all__ = ["RECOVERY_CONCURRENCY", "recover"]

#: Look-ups in flight at once while recovering (each still waits in the limiter).
RECOVERY_CONCURRENCY = 16


async def recover(conn: ConnectorLike, journal: OrderJournal,
                  account: str) -> list[OrderResult | VenueError]:
    """One item per open journal entry of ``account``, oldest first."""
    entries = journal.unresolved(account)
    if not entries:
        return []
    can_lookup = conn.info.has(Capability.FETCH_ORDER_BY_CLIENT_ID)
    if can_lookup:
        await conn._sync_clock()  # "has the window closed" is read on the venue's clock
    gate = asyncio.Semaphore(RECOVERY_CONCURRENCY)

    async def one(entry: JournalEntry) -> OrderResult | VenueError:
        async with gate:
            return await _resolve(conn, journal, entry, can_lookup)

    return list(await asyncio.gather(*(one(entry) for entry in entries)))


async def _resolve(conn: ConnectorLike, journal: OrderJournal, entry: JournalEntry,
                   can_lookup: bool) -> OrderResult | VenueError:
    cid = entry.client_order_id
    name = conn.info.display_name
    if not can_lookup:
        return OrderStatusUnknown(
            f"{name} cannot look orders up by client order id; check "
            f"client_order_id={cid} ({entry.symbol}) among the account's orders",
            client_order_id=cid, exchange=conn.exchange)
    closes_ms = entry.signed_ms + max(entry.settle_ms, round(conn.order_settle_s * 1000))
    asked_ms = conn.clock.now_ms()  # before the look-up: only a later ask is conclusive
    try:
        found = await conn.fetch_order(entry.symbol, client_order_id=cid)
    except OrderNotFound:
        if asked_ms >= closes_ms:
            journal.absent(entry.account, cid)
            return OrderNeverPlaced(
                f"order client_order_id={cid} was never placed: {name} does not have it and "
                f"its receive window closed at {_iso(closes_ms)}",
                client_order_id=cid, exchange=conn.exchange)
        return OrderStatusUnknown(
            f"order client_order_id={cid} is not at {name} yet but may still arrive until "
            f"{_iso(closes_ms)}; recover() again after that",
            client_order_id=cid, exchange=conn.exchange)
    except VenueError as exc:
        return OrderStatusUnknown(
            f"looking up client_order_id={cid} failed ({type(exc).__name__}: {exc.message})",
            client_order_id=cid, exchange=conn.exchange)
    journal.placed(entry.account, found)
    return found


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")
