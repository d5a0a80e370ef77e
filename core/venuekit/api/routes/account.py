"""Account state of a stored connection: ``GET /api/connections/{id}/orders``,
``/positions`` and ``/fills``.

Each request decrypts the connection's credentials, connects to the connection's stored
host (or the host the application's ``base_url_for`` names, as for connection tests), asks
the venue, and closes. Reads are allowed on a disabled connection: disabling an account in
a hurry must not blind the console watching it. Markets come from the same on-disk cache
the CLI uses (``<store root>/cache/markets``), so a console polling orders does not
download the venue's market list each time.

Query parameters are checked before anything is decrypted or sent. Venue failures become
the error shapes of :mod:`venuekit.api.venue_errors`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from aiohttp import web

from ...connector import Connector, connect
from ...convert import to_jsonable
from ...errors import ConfigurationError, VenueError
from ...markets_cache import MarketsCache, use_cached_markets
from ...models import Capability
from ...service import connect_options
from ...store import ExchangeConnection, testlog
from ..context import ApiContext, context
from ..errors import ApiError
from ..responses import json_response
from ..venue_errors import venue_error_response

__all__ = ["DEFAULT_FILLS_LIMIT", "MAX_FILLS_LIMIT", "READ_TIMEOUT_S", "routes"]

T = TypeVar("T")

ITEM = "/api/connections/{id}"
#: An HTTP request answers in bounded time: without ``limit`` a fills read stops here.
DEFAULT_FILLS_LIMIT = 500
MAX_FILLS_LIMIT = 5000
#: The bound on one read, paging included (then ``venue_timeout``, 504).
READ_TIMEOUT_S = 60.0
MAX_SYMBOLS = 50
MAX_SYMBOL_LENGTH = 64


# ---------------------------------------------------------------- query parameters


def _bad(message: str) -> ApiError:
    return ApiError(400, "invalid_parameter", message)


def _symbol(raw: str) -> str:
    text = raw.strip()
    if not text or len(text) > MAX_SYMBOL_LENGTH or not text.isprintable():
        raise _bad(f"query parameter 'symbol' must be 1 to {MAX_SYMBOL_LENGTH} printable "
                   "characters")
    return text


def _one_symbol(request: web.Request, *, required: bool) -> str | None:
    values = request.query.getall("symbol", [])
    if len(values) > 1:
        raise _bad("query parameter 'symbol' may be given once")
    if not values:
        if required:
            raise ApiError(422, "missing_parameter", "query parameter 'symbol' is required")
        return None
    return _symbol(values[0])


def _symbols(request: web.Request) -> list[str] | None:
    values = request.query.getall("symbol", [])
    if len(values) > MAX_SYMBOLS:
        raise _bad(f"query parameter 'symbol' may be given at most {MAX_SYMBOLS} times")
    return list(dict.fromkeys(_symbol(v) for v in values)) or None


def parse_since(raw: str | None) -> datetime | None:
    """``since``: epoch milliseconds or ISO-8601 with a zone (``Z`` or an offset)."""
    if raw is None:
        return None
    text = raw.strip()
    message = "query parameter 'since' must be epoch milliseconds or ISO-8601 with a zone"
    if text.isdigit() and text.isascii():
        try:
            return datetime.fromtimestamp(int(text) / 1000, UTC)
        except (OverflowError, ValueError, OSError):
            raise _bad(message) from None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _bad(message) from None
    if parsed.tzinfo is None:
        raise _bad(message)
    return parsed.astimezone(UTC)


def _limit(request: web.Request) -> int:
    raw = request.query.get("limit")
    if raw is None:
        return DEFAULT_FILLS_LIMIT
    if not (raw.isdigit() and raw.isascii()) or not 1 <= int(raw) <= MAX_FILLS_LIMIT:
        raise _bad(f"query parameter 'limit' must be an integer from 1 to {MAX_FILLS_LIMIT}")
    return int(raw)


# ---------------------------------------------------------------- asking the venue


def _host(ctx: ApiContext, conn: ExchangeConnection) -> dict[str, Any]:
    options = connect_options(conn)
    options.pop("stream_base_url", None)
    chooser = ctx.tester.base_url_for
    override = chooser(conn) if chooser is not None else None
    if override:
        options["base_url"] = override
    return options


async def _ask(request: web.Request, needs: tuple[Capability, ...],
               work: Callable[[Connector], Awaitable[T]]) -> tuple[ExchangeConnection, T]:
    """The connection (404 if none) and what ``work`` read through its connector; the
    markets are loaded first only when the venue has one of ``needs`` (an operation it
    lacks is refused before anything is sent, the market list included).

    Raises:
        ApiError: a venue failure, worded by :mod:`venuekit.api.venue_errors`.
    """
    ctx = context(request)
    conn_id = request.match_info["id"]
    conn = await asyncio.to_thread(ctx.store.get, conn_id)
    credentials = await asyncio.to_thread(ctx.store.credentials, conn_id)
    secrets = testlog.secret_values(credentials)
    try:
        async with asyncio.timeout(READ_TIMEOUT_S):
            async with connect(conn.exchange, credentials, testnet=conn.is_testnet,
                               registry=ctx.registry, **_host(ctx, conn)) as connector:
                if any(connector.info.has(capability) for capability in needs):
                    await use_cached_markets(connector, MarketsCache.under(ctx.store.root))
                return conn, await work(connector)
    except TimeoutError:
        raise ApiError(504, "venue_timeout", f"the venue did not answer within "
                       f"{READ_TIMEOUT_S:.0f} s") from None
    except VenueError as exc:
        raise VenueFailure(venue_error_response(exc, secrets)) from None
    except ConfigurationError as exc:  # its plugin is gone, or it asks for a missing testnet
        raise ApiError(409, "connection_unusable",
                       str(testlog.scrub(str(exc), secrets))) from None


class VenueFailure(Exception):
    """Carries a worded venue error response out of the handler."""

    def __init__(self, response: web.Response) -> None:
        super().__init__("venue failure")
        self.response = response


def _answer(handler: Callable[[web.Request], Awaitable[dict[str, Any]]]
            ) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def wrapped(request: web.Request) -> web.Response:
        try:
            return json_response(to_jsonable(await handler(request)))
        except VenueFailure as failure:
            return failure.response

    wrapped.__doc__ = handler.__doc__
    return wrapped


# ---------------------------------------------------------------- the routes


async def _orders(request: web.Request) -> dict[str, Any]:
    """Open orders on ``symbol``, or on every symbol where the venue lists them at once."""
    symbol = _one_symbol(request, required=False)
    needs = (Capability.FETCH_OPEN_ORDERS if symbol else
             Capability.FETCH_OPEN_ORDERS_ALL_SYMBOLS,)
    conn, found = await _ask(request, needs, lambda c: c.fetch_open_orders(symbol))
    return {"connection_id": conn.id, "exchange": conn.exchange, "symbol": symbol,
            "orders": found}


async def _positions(request: web.Request) -> dict[str, Any]:
    """Open positions, on the ``symbol`` values given (repeatable) or on every market."""
    symbols = _symbols(request)
    conn, found = await _ask(request, (Capability.FETCH_POSITIONS,),
                             lambda c: c.fetch_positions(symbols))
    return {"connection_id": conn.id, "exchange": conn.exchange, "symbols": symbols,
            "positions": found}


async def _fills(request: web.Request) -> dict[str, Any]:
    """Fills on ``symbol``, oldest first; ``since`` and ``limit`` as the connector takes."""
    symbol = _one_symbol(request, required=True)
    assert symbol is not None
    since = parse_since(request.query.get("since"))
    limit = _limit(request)
    conn, found = await _ask(request, (Capability.FETCH_MY_TRADES,),
                             lambda c: c.fetch_my_trades(symbol, since=since, limit=limit))
    return {"connection_id": conn.id, "exchange": conn.exchange, "symbol": symbol,
            "since": since, "limit": limit, "fills": found}


def routes() -> list[web.RouteDef]:
    return [
        web.get(ITEM + "/orders", _answer(_orders), name="listOpenOrders", allow_head=False),
        web.get(ITEM + "/positions", _answer(_positions), name="listPositions",
                allow_head=False),
        web.get(ITEM + "/fills", _answer(_fills), name="listFills", allow_head=False),
    ]
