"""OrangeX's JSON-RPC 2.0 envelope over HTTP: building calls and reading replies.

Every call is ``POST {base}{method}`` with the method repeated in the body::

    POST https://api.orangex.com/api/v1/private/buy
    {"jsonrpc":"2.0","id":7,"method":"/private/buy","params":{...}}

and every reply, success or failure, is HTTP 200 with the request's ``id`` echoed (sometimes
as a string) and the venue's clock in ``usIn`` / ``usOut``::

    {"id":"7","jsonrpc":"2.0","usIn":1597127926021,"usOut":1597127926052,"usDiff":31,
     "result":{...}}                       # or "error":{"code":10000,"message":"..."}

The docs call ``usIn`` / ``usOut`` microseconds; the wire (and the docs' own examples) carry
milliseconds. :func:`venue_time_ms` accepts both.
"""

from __future__ import annotations

import email.utils
import itertools
from collections.abc import Mapping
from typing import Any

from venuekit.errors import BadResponse
from venuekit.payload import Reader
from venuekit.wire import BodyFormat, Request, Response

NAME = "orangex"
JSONRPC_VERSION = "2.0"
#: The one limiter rule: OrangeX support's 10 requests per second (see plugin.py).
RULE = "requests"

# Ids only need to tell replies apart, and over HTTP each reply answers its own request;
# a process-wide counter keeps them unique for log reading without any other state.
_ids = itertools.count(1)

#: A ``usIn`` / ``usOut`` above this is microseconds (the unit the docs name), not ms.
_MICROSECONDS_FROM = 10**14


def call(method: str, params: Mapping[str, Any], *, signed: bool,
         idempotent: bool = True) -> Request:
    """The request for one JSON-RPC method; the URL path is the method name itself."""
    body = {"jsonrpc": JSONRPC_VERSION, "id": next(_ids), "method": method,
            "params": dict(params)}
    return Request(method="POST", path=method, body=body, body_format=BodyFormat.JSON,
                   signed=signed, idempotent=idempotent, cost={RULE: 1})


def envelope(response: Response) -> dict[str, Any]:
    """The decoded reply object; anything else is :class:`BadResponse`."""
    payload = response.json()
    if not isinstance(payload, dict):
        raise _bad(response, f"a JSON-RPC reply is an object, got {type(payload).__name__}")
    sent = _sent_id(response)
    echoed = payload.get("id")
    if sent is not None and echoed is not None and str(echoed) != str(sent):
        raise _bad(response, f"the reply answers request id {echoed!r}, not {sent!r}")
    return payload


def result(response: Response, payload: Mapping[str, Any] | None = None) -> Any:
    """The ``result`` member of a successful reply (``payload``: the envelope, if decoded).

    A reply with neither ``result`` nor ``error`` has been seen right after placing an order
    (OX-DY); it says nothing about what happened, so it is :class:`BadResponse`, which the
    core treats as ambiguous (an order placed this way raises ``OrderStatusUnknown``).
    """
    if payload is None:
        payload = envelope(response)
    if "result" not in payload:
        raise _bad(response, "the reply carries neither result nor error")
    return payload["result"]


def result_of(response: Response, payload: Mapping[str, Any] | None = None) -> Reader:
    """:func:`result` wrapped in a :class:`~venuekit.payload.Reader` at ``$.result``."""
    return Reader(result(response, payload), exchange=NAME, path="$.result",
                  status=response.status)


def venue_time_ms(payload: Mapping[str, Any]) -> int | None:
    """The venue's clock when it handled the request: the middle of ``usIn`` and ``usOut``."""
    stamps: list[int] = []
    for key in ("usIn", "usOut"):
        value = payload.get(key)
        if isinstance(value, bool) or not isinstance(value, int | str):
            continue
        try:
            number = int(value)
        except ValueError:
            continue
        stamps.append(number // 1000 if number >= _MICROSECONDS_FROM else number)
    if not stamps:
        return None
    return sum(stamps) // len(stamps)


def date_header_ms(response: Response) -> int | None:
    """The HTTP ``Date`` header in ms (one-second resolution), or None."""
    value = response.header("Date")
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return int(when.timestamp() * 1000)


def _sent_id(response: Response) -> Any:
    signed = response.request
    request = signed.request if signed is not None else None
    body = request.body if request is not None else None
    return body.get("id") if isinstance(body, Mapping) else None


def _bad(response: Response, why: str) -> BadResponse:
    return BadResponse(f"unexpected OrangeX reply ({why})", exchange=NAME,
                       status=response.status)
