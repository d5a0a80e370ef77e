"""``POST /api/settings/connections/{id}/test``: run the connection test, return its report.

The test runs under the tester's timeout (30 s by default, see
:data:`venuekit.connector.DEFAULT_CHECK_TIMEOUT_S`) and its outcome is stored whatever it
is. A request for a connection whose test is already running does not start another: it
waits for the running one and returns the same result (so a double click costs the venue
one test, and both callers see the one stored outcome).
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from ...convert import to_jsonable
from ...errors import StoreError
from ...service import TestOutcome
from ...store import ConnectionNotFound, ConnectionStore, testlog
from ..context import context
from ..responses import json_response

__all__ = ["routes", "test_result"]


def test_result(outcome: TestOutcome) -> dict[str, Any]:
    """The response body: the report, the stored (scrubbed) log, and the connection."""
    report = outcome.report
    stored = outcome.connection
    view = stored.public_view() if stored is not None else None
    if view is not None:
        balance = view["last_test_balance"]
    elif report.balance is not None:
        balance = {a.asset: str(a.total) for a in report.balance.assets}
    else:
        balance = None
    return {
        "connection_id": outcome.connection_id,
        "status": "ok" if report.ok else "failed",
        "exchange": report.exchange,
        "testnet": report.testnet,
        "base_url": outcome.base_url,
        "custom_host": outcome.custom_host,
        "tested_at": report.tested_at.isoformat(),
        "latency_ms": report.latency_ms,
        "clock_offset_ms": report.clock_offset_ms,
        "balance": balance,
        "capabilities": view["api_capabilities"] if view is not None else [],
        "permissions": to_jsonable(report.permissions),
        "warnings": list(report.warnings),
        "steps": to_jsonable(report.steps),
        "log": view["last_test_log"] if view is not None else outcome.log_lines(),
        "connection": view,
    }


async def _scrubbed(store: ConnectionStore, connection_id: str,
                    payload: dict[str, Any]) -> dict[str, Any]:
    """Redact the connection's secrets from the free-text fields: a venue may echo a key.

    The stored log is scrubbed by the store already; the steps and warnings come straight
    from the report, so they get the same treatment here.
    """
    try:
        credentials = await asyncio.to_thread(store.credentials, connection_id)
    except StoreError:
        return payload  # nothing was decrypted for the test either, so nothing can leak
    secrets = testlog.secret_values(credentials)
    for key in ("steps", "warnings", "log"):
        payload[key] = testlog.scrub(payload[key], secrets)
    return payload


async def test_connection(request: web.Request) -> web.Response:
    ctx = context(request)
    connection_id = request.match_info["id"]
    if not await asyncio.to_thread(ctx.store.__contains__, connection_id):
        raise ConnectionNotFound(f"no connection with id {connection_id!r}")
    outcome = await ctx.test_connection(connection_id)
    payload = await _scrubbed(ctx.store, connection_id, test_result(outcome))
    return json_response(payload)


def routes() -> list[web.RouteDef]:
    return [web.post("/api/settings/connections/{id}/test", test_connection,
                     name="testConnection")]
