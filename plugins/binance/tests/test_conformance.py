"""The core conformance suite, run against the Binance simulator through the entry point."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import pytest
from venuekit.errors import AuthenticationError
from venuekit.models import Credentials
from venuekit.testing.conformance import ExchangeConformance, SignatureVector
from venuekit.testing.conformance_streams import next_item
from venuekit.wire import Response
from venuekit_binance import errors
from venuekit_binance.simulator import BinanceSimulator
from venuekit_binance.vectors import (
    DOC_HMAC,
    DOC_TIMESTAMP,
    ED25519_SIG_URL,
    doc_order_request,
    ed25519_credentials,
    hmac_credentials,
)

VECTORS = [
    SignatureVector(name="official HMAC example (General Info, POST /fapi/v1/order)",
                    request=doc_order_request(), credentials=hmac_credentials(),
                    timestamp_ms=DOC_TIMESTAMP, signature=DOC_HMAC),
    SignatureVector(name="computed Ed25519 example (RFC 8032 test-1 seed, SUMMARY.md)",
                    request=doc_order_request(), credentials=ed25519_credentials(),
                    timestamp_ms=DOC_TIMESTAMP, signature=ED25519_SIG_URL),
]


class TestConformance(ExchangeConformance):
    name = "binance"
    plugin = None  # load through the installed entry point
    simulator = BinanceSimulator
    error_table = errors.ERRORS
    signature_vectors = VECTORS
    order_path = "/fapi/v1/order"
    balance_path = "/fapi/v3/balance"
    symbol = "BTC/USDT:USDT"
    quantity = Decimal("0.01")
    resting_price = Decimal("40000")
    fills_path = "/fapi/v1/userTrades"
    batch_path = "/fapi/v1/batchOrders"

    def error_response(self, code: Any, message: str) -> Response:
        return Response(exchange="binance", status=400, headers={},
                        body=json.dumps({"code": code, "msg": message}).encode())

    async def test_refused_key_raises_authentication_error(self, sim: BinanceSimulator) -> None:
        """Binance's user stream has no login frame: the listenKey is created with the
        API key header alone (security type USER_STREAM), so what Binance refuses there
        is the key (a wrong secret fails the signed REST resync instead: the suite's own
        refused-login test). A refused key must reach the watcher as AuthenticationError,
        open no socket and not be retried in a loop."""
        wrong = Credentials(api_key="wrong-" + sim.credentials.api_key,
                            api_secret=sim.credentials.api_secret)
        server = sim.streams
        async with self.connect_streams(sim, wrong) as conn:
            source = conn.watch_orders()
            with pytest.raises(AuthenticationError):
                await next_item(source)
            await asyncio.sleep(0.1)  # several backoff periods: no reconnect storm
            assert server.connections == 0
            assert len(sim.listen_key_calls) == 1  # one refused POST, not a storm
