"""The core's conformance suite, run through the installed entry point against the simulator."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from venuekit.errors import TokenExpired, VenueError
from venuekit.models import AuthToken, Credentials
from venuekit.testing.conformance import ExchangeConformance, SignatureVector
from venuekit.testing.simulator import ErrorKind
from venuekit.wire import Request, Response, SignedRequest, encode_json
from venuekit_orangex import errors
from venuekit_orangex.simulator import OrangeXSimulator

# The docs' example client (OX-DOC "auth"); the signatures were computed, none is published.
DOC_CLIENT = Credentials(api_key="qpdskdfnaowpfewq", api_secret="oqentgrfnfdwnveaef")
DOC_TIMESTAMP = 1597127926021


def signature_login(nonce: str) -> Request:
    params = {"grant_type": "client_signature", "client_id": DOC_CLIENT.api_key,
              "nonce": nonce}
    return Request(method="POST", path="/public/auth", signed=True, cost={"requests": 1},
                   body={"jsonrpc": "2.0", "id": 1, "method": "/public/auth",
                         "params": params})


VECTORS = [
    SignatureVector(name="client_signature, nonce abcd (SUMMARY.md)",
                    request=signature_login("abcd"), credentials=DOC_CLIENT,
                    timestamp_ms=DOC_TIMESTAMP,
                    signature="d0876a195a02bd0c6af93e5028041f4d60123e50033ac12403189b9e03971e5b"),
    SignatureVector(name="client_signature, empty nonce (orangex.md)",
                    request=signature_login(""), credentials=DOC_CLIENT,
                    timestamp_ms=DOC_TIMESTAMP,
                    signature="15239f35b6ef01b6e0f629f15ca8490b393d3385d2711ce52c4d80ebe85541c3"),
    SignatureVector(name="bearer token on a private method (OX-DOC intro table)",
                    request=Request(method="POST", path="/private/get_assets_info",
                                    signed=True, cost={"requests": 1},
                                    body={"jsonrpc": "2.0", "id": 2,
                                          "method": "/private/get_assets_info",
                                          "params": {"asset_type": ["PERPETUAL"]}}),
                    credentials=DOC_CLIENT, timestamp_ms=DOC_TIMESTAMP,
                    token=AuthToken(access_token="ba3avFNzfE",
                                    expires_at=datetime.now(UTC) + timedelta(hours=12)),
                    signature="bearer ba3avFNzfE"),
]


class TestConformance(ExchangeConformance):
    name = "orangex"
    plugin = None  # load through the real entry point
    simulator = OrangeXSimulator
    symbol = "BTC/USDT:USDT"
    quantity = Decimal("0.01")
    resting_price = Decimal("40000")
    error_table = errors.ERRORS
    signature_vectors = VECTORS
    order_path = "/api/v1/private/buy"
    balance_path = "/api/v1/private/get_assets_info"
    fills_path = "/api/v1/private/get_user_trades_by_instrument"

    def error_response(self, code: Any, message: str) -> Response:
        body = {"id": "1", "jsonrpc": "2.0", "usIn": 1790135119408, "usOut": 1790135119410,
                "usDiff": 2, "error": {"code": code, "message": message, "data": {}}}
        return Response(exchange="orangex", status=200,
                        headers={"Content-Type": "application/json"}, body=encode_json(body))

    def extract_signature(self, signed: SignedRequest) -> str:
        """A login's ``params.signature``; on private calls, the Authorization header."""
        params = json.loads(signed.body)["params"]
        if "signature" in params:
            return str(params["signature"])
        return dict(signed.headers)["Authorization"]

    async def test_single_token_refusal_is_healed_by_one_login(self, sim: Any) -> None:
        async with self.connect_to(sim) as conn:
            await conn.fetch_balance()
            sim.faults.error_next(ErrorKind.SIGNATURE, path=self.balance_path)
            assert (await conn.fetch_balance()).assets
        assert sim.logins == 2

    async def test_refusal_after_relogin_surfaces(self, sim: Any) -> None:
        async with self.connect_to(sim) as conn:
            sim.faults.error_next(ErrorKind.TOKEN_EXPIRED, 2, path=self.balance_path)
            with pytest.raises(TokenExpired) as info:
                await conn.fetch_balance()
        assert isinstance(info.value, VenueError) and info.value.code == "10000"
        assert sim.logins == 2
