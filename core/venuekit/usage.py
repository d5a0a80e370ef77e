"""Rate-limit usage read from the headers venues send with every answer.

Several venues (Bybit ``X-Bapi-Limit`` / ``X-Bapi-Limit-Status``, BingX
``X-RateLimit-Requests-Remain``) report what is *left* of a limit rather than what was
used; the limiter wants ``used``. These helpers do that arithmetic once, and refuse to
guess when a header is missing or says something that cannot be about the rule.
"""

from __future__ import annotations

from collections.abc import Sequence

from .models import Usage
from .wire import CASE_INSENSITIVE, Response

__all__ = ["header_int", "usage_from_headers", "usage_from_remaining"]


def header_int(response: Response, name: str) -> int | None:
    """The header ``name`` as an integer, or None when absent or not a whole number."""
    headers = response.headers
    value = headers.get(name)  # aiohttp's headers ignore case: one look-up
    if value is None:
        if type(headers) in CASE_INSENSITIVE:
            return None
        value = response.header(name)  # a plain dict (tests): any spelling
        if value is None:
            return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def usage_from_headers(response: Response,
                       table: Sequence[tuple[str, str]]) -> list[Usage]:
    """``Usage(rule, n)`` for each ``(header, rule)`` of ``table`` whose header holds a
    whole number ``n >= 0`` (venues that report what was *used*, e.g. Binance's
    ``X-MBX-USED-WEIGHT-1M``); absent or malformed headers report nothing.

    One call per answer for every counter a venue reports (it runs on every request).
    """
    headers = response.headers
    direct = type(headers) in CASE_INSENSITIVE
    found = []
    for name, rule in table:
        value = headers.get(name) if direct else response.header(name)
        if value is None:
            continue
        if value.isascii() and value.isdigit():  # the usual plain count
            found.append(Usage(rule, int(value)))
            continue
        used = header_int(response, name)
        if used is not None and used >= 0:
            found.append(Usage(rule, used))
    return found


def usage_from_remaining(rule: str, *, limit: int | None,
                         remaining: int | None) -> list[Usage]:
    """``[Usage(rule, limit - remaining)]``, or ``[]`` when that says nothing true.

    Nothing is reported when either number is unknown, the limit is not positive, or
    ``remaining`` is negative or above ``limit`` (then the header counts some other,
    larger budget than this rule, and the local log stays the better count).
    """
    if limit is None or remaining is None or limit <= 0 or not 0 <= remaining <= limit:
        return []
    return [Usage(rule, limit - remaining)]
