"""The core conformance suite, run against the Binance simulator through the entry point."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from venuekit.testing.conformance import ExchangeConformance, SignatureVector
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
