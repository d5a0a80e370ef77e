"""The core conformance suite, run through the installed entry point against BybitSimulator."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from venuekit import Credentials, Request
from venuekit.testing.conformance import ExchangeConformance, SignatureVector
from venuekit.wire import BodyFormat, Response, SignedRequest
from venuekit_bybit.errors import ERRORS
from venuekit_bybit.simulator import BybitSimulator

VECTOR_CREDS = Credentials(api_key="XXXXXXXXXX", api_secret="TestSecret1234567890")


class TestConformance(ExchangeConformance):
    name = "bybit"
    plugin = None  # load through the real entry point
    simulator = BybitSimulator
    error_table = ERRORS
    order_path = "/v5/order/create"
    balance_path = "/v5/account/wallet-balance"
    symbol = "BTC/USDT:USDT"
    quantity = Decimal("0.01")
    resting_price = Decimal("40000")
    fills_path = "/v5/execution/list"
    batch_path = "/v5/order/create-batch"
    signature_vectors = (
        # SUMMARY.md's table (computed: Bybit does not publish the secret of its example)
        SignatureVector(
            name="GET option realtime (SUMMARY.md)",
            request=Request(method="GET", path="/v5/order/realtime", signed=True,
                            query=[("category", "option"),
                                   ("symbol", "BTC-29JUL22-25000-C")]),
            credentials=VECTOR_CREDS, timestamp_ms=1658384314791,
            signature="0a025e69ec33254d68b6e4ab1fbfc64e6459783e1917e2a4c7334f2e06dde648"),
        SignatureVector(
            name="POST doc body with a space (bybit.md)",
            request=Request(method="POST", path="/v5/order/create", signed=True,
                            body=b'{"category": "option"}'),
            credentials=VECTOR_CREDS, timestamp_ms=1658385579423,
            signature="8031ae7161ef0e0848917d6489e081a74fd12ca0659f45d8f3b71946ad591c9a"),
        SignatureVector(
            name="POST linear order (bybit.md)",
            request=Request(method="POST", path="/v5/order/create", signed=True,
                            body_format=BodyFormat.JSON,
                            body={"category": "linear", "symbol": "BTCUSDT", "side": "Buy",
                                  "orderType": "Limit", "qty": "0.001", "price": "30000",
                                  "timeInForce": "GTC", "orderLinkId": "cl-0001"}),
            credentials=VECTOR_CREDS, timestamp_ms=1700000000000,
            signature="0ff64d37573a7c674838e09d57d9501c70e89f146f68b740786c633b3ef06a46"),
    )

    def error_response(self, code: Any, message: str) -> Response:
        payload = {"retCode": code, "retMsg": message, "result": {}, "retExtInfo": {},
                   "time": 1672738134000}
        return Response(exchange="bybit", status=200,
                        headers={"Content-Type": "application/json"},
                        body=json.dumps(payload).encode())

    def extract_signature(self, signed: SignedRequest) -> str:
        return dict(signed.headers)["X-BAPI-SIGN"]
