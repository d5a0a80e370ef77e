"""The core conformance suite, run against the OKX simulator through the real entry point."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, ClassVar

from okx_helpers import DOC_TIMESTAMP_MS, doc_credentials
from venuekit import BodyFormat, Request, Response
from venuekit.testing.conformance import ExchangeConformance, SignatureVector
from venuekit_okx.errors import ERRORS, HTTP_STATUS, ITEM_CODES
from venuekit_okx.simulator import OkxSimulator

VECTORS = [
    SignatureVector(
        name="SUMMARY.md: GET /api/v5/account/balance?ccy=BTC",
        request=Request(method="GET", path="/api/v5/account/balance", query=[("ccy", "BTC")],
                        signed=True),
        credentials=doc_credentials(), timestamp_ms=DOC_TIMESTAMP_MS,
        signature="HiZhvSfMtWJA3uUIVXV3a/bSXNPCWvYFXoGCVS8V4zY="),
    SignatureVector(
        name="okx.md: POST /api/v5/trade/order",
        request=Request(method="POST", path="/api/v5/trade/order", body={
            "instId": "BTC-USDT-SWAP", "tdMode": "cross", "side": "buy", "ordType": "limit",
            "px": "30000", "sz": "1", "clOrdId": "cl0001"}, body_format=BodyFormat.JSON,
            signed=True),
        credentials=doc_credentials(), timestamp_ms=DOC_TIMESTAMP_MS,
        signature="SPv3cqgbAtAcF8VzV44kdW0/yzjVAyB/+YzmFHiHx7Q="),
]


class TestConformance(ExchangeConformance):
    name = "okx"
    simulator = OkxSimulator
    error_table: ClassVar[dict[str, Any]] = dict(ERRORS)
    signature_vectors = VECTORS
    order_path = "/api/v5/trade/order"
    balance_path = "/api/v5/account/balance"
    symbol = "BTC/USDT:USDT"
    quantity = Decimal("0.01")  # one contract of 0.01 BTC
    resting_price = Decimal("40000")
    fills_path = "/api/v5/trade/fills-history"
    batch_path = "/api/v5/trade/batch-orders"

    def error_response(self, code: Any, message: str) -> Response:
        """OKX's two error shapes: per-item sCode for order codes, top-level otherwise."""
        code = str(code)
        if code in ITEM_CODES:
            payload: dict[str, Any] = {"code": "1", "msg": "", "data": [
                {"clOrdId": "", "ordId": "", "sCode": code, "sMsg": message, "tag": ""}]}
        else:
            payload = {"code": code, "msg": message, "data": []}
        return Response(exchange="okx", status=HTTP_STATUS.get(code, 200), headers={},
                        body=json.dumps(payload).encode())
