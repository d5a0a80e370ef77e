"""venuekit's conformance suite, run against the Pionex simulator through the real core.

The plugin loads through its installed entry point (``plugin = None``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from support import DOC_CREDENTIALS, DOC_TIMESTAMP, pionex_error
from venuekit import errors as e
from venuekit.testing.conformance import ExchangeConformance, SignatureVector
from venuekit.wire import Request, Response
from venuekit_pionex.errors import ERRORS, HTTP_STATUS_ERRORS
from venuekit_pionex.simulator import PionexSimulator

VECTORS = [
    SignatureVector(
        name="official PX-GB example (GET that signs a body)",
        request=Request(method="GET", path="/api/v1/trade/allOrders",
                        query=(("symbol", "BTC_USDT"), ("limit", "1")),
                        body=b'{"symbol": "BTC_USDT"}', signed=True),
        credentials=DOC_CREDENTIALS, timestamp_ms=DOC_TIMESTAMP,
        signature="ec83d21e1237cbe7e0172f79c0e3a4741c86f6b201ba762f21149bf195519be1"),
    SignatureVector(
        name="computed: the same GET without a body",
        request=Request(method="GET", path="/api/v1/trade/allOrders",
                        query=(("symbol", "BTC_USDT"), ("limit", "1")), signed=True),
        credentials=DOC_CREDENTIALS, timestamp_ms=DOC_TIMESTAMP,
        signature="25dbbd2a6478ec4870653249d644cfb246eee4da347645cc98373f275e189242"),
    SignatureVector(
        name="computed: DELETE /api/v1/trade/order",
        request=Request(method="DELETE", path="/api/v1/trade/order",
                        body={"symbol": "BTC_USDT", "orderId": 123456789}, signed=True),
        credentials=DOC_CREDENTIALS, timestamp_ms=DOC_TIMESTAMP,
        signature="a53f9536386cc2666bb697fa0aa58c6b959035c789bf93f9fd246bf45c9a7e6a"),
]


class FastPingSimulator(PionexSimulator):
    """Pings every 0.2 s: the stream suite declares a socket dead after 1 s of silence,
    and Pionex's private socket is quiet but for the server's PING."""

    stream_ping_interval_s = 0.2


class TestConformance(ExchangeConformance):
    name = "pionex"
    simulator = FastPingSimulator
    symbol = "BTC/USDT"
    quantity = Decimal("0.01")
    resting_price = Decimal("40000")
    error_table: ClassVar[dict[Any, type[e.VenueError]]] = {**ERRORS, **HTTP_STATUS_ERRORS}
    signature_vectors = VECTORS
    order_path = "/api/v1/trade/order"
    balance_path = "/api/v1/account/balances"
    fills_path = "/api/v1/trade/fills"
    batch_path = "/api/v1/trade/massOrder"

    def error_response(self, code: Any, message: str) -> Response:
        return pionex_error(code, message)
