"""OrangeX requests and parsers for the session, the clock, markets and the balance.

Orders live in :mod:`.orders`. Plain functions, no I/O: each builds a :class:`Call` whose
parser turns the venue's ``result`` into core models.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from venuekit.errors import BadResponse
from venuekit.models import (
    AssetBalance,
    AuthToken,
    Balance,
    Credentials,
    KeyPermissions,
    Market,
    MarketKind,
)
from venuekit.payload import Reader
from venuekit.wire import Call, Response

from . import rpc
from .signing import AUTH_METHOD, Grant, grant_from_env

NAME = rpc.NAME
PING_METHOD = "/public/ping"
INSTRUMENTS_METHOD = "/public/get_instruments"
ASSETS_METHOD = "/private/get_assets_info"
#: The only kind of instrument this plugin trades: USDT-margined linear perpetuals.
PERPETUAL = "PERPETUAL"
#: The margin asset of every OrangeX perpetual.
MARGIN_ASSET = "USDT"


def _bad(why: str) -> BadResponse:
    return BadResponse(f"unexpected OrangeX reply ({why})", exchange=NAME)


# ---------------------------------------------------------------- session


def login(credentials: Credentials, *, grant: Grant | None = None,
          nonce: str | None = None) -> Call[AuthToken]:
    """The ``/public/auth`` call that opens a session (see :mod:`.signing` for the grants)."""
    chosen = grant or grant_from_env()
    params: dict[str, Any] = {"grant_type": chosen.value, "client_id": credentials.api_key}
    if chosen is Grant.CLIENT_CREDENTIALS:
        params["client_secret"] = credentials.api_secret
        request = rpc.call(AUTH_METHOD, params, signed=False)
    else:
        params["nonce"] = secrets.token_hex(8) if nonce is None else nonce
        request = rpc.call(AUTH_METHOD, params, signed=True)
    return Call(request, parse_token)


def parse_token(response: Response) -> AuthToken:
    """``expires_in`` seconds from now, counted from when the request was sent."""
    data = rpc.result_of(response)
    if not data.is_object():
        raise data.error("not an object")
    token = data.get("access_token")
    if not isinstance(token, str) or not token:
        raise _bad("no access_token")
    token_type = str(data.get("token_type") or "bearer")
    if token_type.lower() != "bearer":
        raise _bad(f"token_type {token_type!r}, expected bearer")
    lifetime = data.get("expires_in")
    if isinstance(lifetime, bool) or not isinstance(lifetime, int | Decimal) or lifetime <= 0:
        raise _bad(f"expires_in is {lifetime!r}")
    sent = datetime.now(UTC) - timedelta(milliseconds=response.elapsed_ms)
    refresh = data.get("refresh_token")
    return AuthToken(access_token=token, expires_at=sent + timedelta(seconds=float(lifetime)),
                     refresh_token=refresh if isinstance(refresh, str) else None,
                     scope=str(data.get("scope") or ""))


def key_permissions(*, grant: Grant | None = None) -> Call[KeyPermissions]:
    """What the key may do, read from the ``scope`` a fresh login is granted.

    OrangeX narrows the scope to what the API key is configured for and has no other method
    that describes a key; it does not tell whether the key has an IP whitelist. The hook that
    builds this call gets no credentials, so the request is marked signed and
    :func:`.signing.sign` fills them in.
    """
    chosen = grant or grant_from_env()
    params: dict[str, Any] = {"grant_type": chosen.value}
    if chosen is Grant.CLIENT_SIGNATURE:
        params["nonce"] = secrets.token_hex(8)
    request = rpc.call(AUTH_METHOD, params, signed=True)
    return Call(request, lambda r: permissions_from_scope(parse_token(r).scope))


def permissions_from_scope(scope: str) -> KeyPermissions:
    """``account:read_write trade:read wallet:none ...`` -> :class:`KeyPermissions`."""
    levels = {}
    for item in scope.split():
        area, _, level = item.partition(":")
        levels[area] = level
    readable = {"read", "read_write"}
    return KeyPermissions(
        can_read=any(level in readable for level in levels.values()),
        can_trade=levels.get("trade") == "read_write",
        can_withdraw=levels.get("wallet") == "read_write",
        ip_restricted=None)


# ---------------------------------------------------------------- clock


def server_time() -> Call[int]:
    """OrangeX has no time method; ``/public/ping`` is the cheapest reply carrying usIn/usOut."""
    return Call(rpc.call(PING_METHOD, {}, signed=False), parse_server_time)


def parse_server_time(response: Response) -> int:
    """``usIn`` / ``usOut`` (ms); failing those, the front end's ``Date`` header (whole
    seconds, still close enough for the client_signature timestamp)."""
    stamp = rpc.venue_time_ms(rpc.envelope(response))
    if stamp is None:
        stamp = rpc.date_header_ms(response)
    if stamp is None:
        raise _bad("no usIn/usOut or Date header to read the venue's clock from")
    return stamp


# ---------------------------------------------------------------- markets


def fetch_markets() -> Call[list[Market]]:
    """Every USDT-margined perpetual (about 580 rows, 400 kB)."""
    return Call(rpc.call(INSTRUMENTS_METHOD, {"currency": PERPETUAL}, signed=False),
                parse_markets)


def parse_markets(response: Response) -> list[Market]:
    payload = rpc.envelope(response)
    now_ms = rpc.venue_time_ms(payload)
    rows = (parse_market(row, now_ms) for row in rpc.result_of(response, payload).rows())
    return [market for market in rows if market is not None]


def split_instrument(name: str) -> tuple[str, str] | None:
    """``BTC-USDT-PERPETUAL`` -> ``("BTC", "USDT")``; None for any other shape."""
    parts = name.rsplit("-", 2)
    if len(parts) != 3 or parts[2] != PERPETUAL or not parts[0] or not parts[1]:
        return None
    return parts[0], parts[1]


def parse_market(row: Reader, now_ms: int | None = None) -> Market | None:
    """One instrument row; None for rows that are not a linear perpetual.

    The payload's ``base_currency`` / ``quote_currency`` are swapped (``USDT`` / ``BTC`` for
    BTC-USDT-PERPETUAL, OX-AO), so base and quote come from the instrument name, which every
    other method uses too. ``min_trade_amount`` is the quantity step and ``min_qty`` the
    minimum, both in the coin: OrangeX sizes perpetual orders in base units, not contracts.
    A row that is ``is_active`` but not yet listed (``creation_timestamp`` ahead of the venue's
    clock, OX-AO) is inactive. ``leverage`` is the instrument's maximum (20 to 200, OX-AO).
    """
    name = row.get("instrument_name")
    kind = str(row.get("kind") or "perpetual").lower()
    pair = split_instrument(name) if isinstance(name, str) else None
    if pair is None or kind != "perpetual":
        return None
    base, quote = pair
    minimum = row.optional_decimal("min_qty")
    step = row.optional_decimal("min_trade_amount")
    if step is None:
        step = row.decimal("min_qty")
    created = row.optional_ms("creation_timestamp")
    listed = now_ms is None or created is None or created <= now_ms
    return Market(symbol=f"{base}/{quote}:{quote}", native=str(name), base=base, quote=quote,
                  settle=quote, kind=MarketKind.SWAP, tick_size=row.decimal("tick_size"),
                  step_size=step, min_quantity=step if minimum is None else minimum,
                  min_notional=row.optional_decimal("min_notional"),
                  active=row.boolean("is_active", default=True) and listed,
                  max_leverage=row.optional_integer("leverage"))


# ---------------------------------------------------------------- balance


def fetch_balance() -> Call[Balance]:
    """The perpetual (USDT margin) account. ``asset_type`` must be an array (OX-DY)."""
    request = rpc.call(ASSETS_METHOD, {"asset_type": [PERPETUAL]}, signed=True)
    return Call(request, parse_balance)


def parse_balance(response: Response) -> Balance:
    """``available_funds`` is free; the total is the margin balance (wallet plus unrealised
    PnL); whatever is not free is in use.

    OX-DOC's own get_assets_info example carries neither ``total_margin_balance`` nor
    ``wallet_balance``, only ``total_margin_balance_cross`` and ``_isolated`` (whose sum is
    ``total_margin_balance`` in its ``user.asset.PERPETUAL`` example), so the total falls
    back to that sum, then to ``wallet_balance``."""
    data = rpc.result_of(response)
    area = data.at(PERPETUAL) if data.get(PERPETUAL) is not None else data
    if not area.is_object():
        raise area.error("not an object")
    free = area.decimal("available_funds")
    total = area.optional_decimal("total_margin_balance")
    if total is None:
        parts = [area.optional_decimal(f"total_margin_balance_{kind}")
                 for kind in ("cross", "isolated")]
        if any(part is not None for part in parts):
            total = sum((part for part in parts if part is not None), Decimal(0))
    if total is None:
        total = area.decimal("wallet_balance")
    used = max(total - free, Decimal(0))
    return Balance(NAME, [AssetBalance(MARGIN_ASSET, free, used, max(total, free))])
