"""The conformance suite run against the sample exchange: the suite's own proof of life."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from account_support import variant
from venuekit.models import Credentials
from venuekit.testing.conformance import ExchangeConformance, SignatureVector
from venuekit.testing.example import errors, plugin
from venuekit.testing.example.plugin import ACCOUNT_CAPABILITIES
from venuekit.testing.example.simulator import ExampleSimulator
from venuekit.wire import Request, Response, encode_json

# Computed here with hmac/hashlib from the example venue's description:
# "1700000000000GET/v1/balance?recvWindow=5000" under secret "example-secret".
VECTOR = SignatureVector(
    name="balance GET",
    request=Request(method="GET", path="/v1/balance", query={"recvWindow": "5000"}, signed=True),
    credentials=Credentials(api_key="example-key", api_secret="example-secret"),
    timestamp_ms=1700000000000,
    signature="e235d1b942c7892b8c843cb10b17c729e3d657373178e9ed9ee272c80aef5f25",
)


class TestExampleConformance(ExchangeConformance):
    name = "example"
    plugin = plugin
    simulator = ExampleSimulator
    error_table = errors.ERRORS
    signature_vectors = (VECTOR,)
    order_path = "/v1/order"
    balance_path = "/v1/balance"
    quantity = Decimal("0.01")
    resting_price = Decimal("40000")
    fills_path = "/v1/myTrades"
    batch_path = "/v1/batchOrders"

    def error_response(self, code: Any, message: str) -> Response:
        return Response(exchange="example", status=400, headers={},
                        body=encode_json({"ok": False, "code": code, "message": message}))


class TestConformanceOfAVenueWithoutAccountOperations(TestExampleConformance):
    """The same suite on the example with every part-two capability withdrawn: each new
    test must assert NotSupported (nothing sent) and only then report a skip."""

    plugin = variant(without=set(ACCOUNT_CAPABILITIES))  # type: ignore[assignment]
