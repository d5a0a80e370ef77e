"""Shared fixtures: the kit's, pointed at OrangeX; a running simulator; replies shaped like
OrangeX's for parsers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from venuekit.models import Credentials
from venuekit.testing import Simulator
from venuekit.wire import Call, Response, SignedRequest, encode_json
from venuekit_orangex.simulator import OrangeXSimulator

pytest_plugins = ["venuekit.testing.pytest_plugin"]

Reply = Callable[..., Response]


@pytest.fixture
def venuekit_simulator_class() -> type[Simulator]:
    return OrangeXSimulator


@pytest.fixture
def venuekit_credentials() -> Credentials:
    return Credentials(api_key="client-id-0001", api_secret="client-secret-0001")


@pytest.fixture
async def sim() -> AsyncIterator[OrangeXSimulator]:
    async with OrangeXSimulator() as simulator:
        yield simulator


@pytest.fixture
def reply() -> Reply:
    """``reply(call, result=...)`` or ``reply(call, error=...)``: the venue's answer to
    ``call``, echoing its id as a string the way OrangeX does. ``members`` replaces the
    whole envelope body (for malformed replies)."""

    def build(call: Call[Any] | None = None, *, members: dict[str, Any] | None = None,
              status: int = 200, elapsed_ms: float = 0.0, **fields: Any) -> Response:
        body: dict[str, Any] = {"jsonrpc": "2.0", "usIn": 1790135119408,
                                "usOut": 1790135119410, "usDiff": 2}
        signed = None
        if call is not None:
            body["id"] = str(call.request.body["id"])
            signed = SignedRequest(method="POST", path=call.request.path,
                                   request=call.request)
        body.update(fields)
        if members is not None:
            body = members
        return Response(exchange="orangex", status=status,
                        headers={"Content-Type": "application/json"},
                        body=encode_json(body), request=signed, elapsed_ms=elapsed_ms)

    return build
