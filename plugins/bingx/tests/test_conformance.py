"""The venuekit conformance suite, run against the BingX simulator through the real core."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from bingx_vectors import (
    DOC_CREDENTIALS,
    OLD_DOC_SIGNATURE,
    OLD_DOC_TIMESTAMP,
    ORDER_SIGNATURE,
    ORDER_TIMESTAMP,
)
from venuekit.connector import Connector
from venuekit.models import Credentials
from venuekit.testing.conformance import ExchangeConformance, SignatureVector
from venuekit.testing.conformance_streams import next_item
from venuekit.wire import Request, Response
from venuekit_bingx import errors
from venuekit_bingx.simulator import BingXSimulator, dump

VECTORS = [
    # BX-V2OLD "Signature" example (POST /openApi/swap/v2/trade/leverage): reproduces.
    SignatureVector(
        name="old doc: leverage",
        request=Request(method="POST", path="/openApi/swap/v2/trade/leverage",
                        query=[("symbol", "BTC-USDT"), ("timestamp", str(OLD_DOC_TIMESTAMP)),
                               ("side", "LONG"), ("leverage", "6")], signed=True),
        credentials=DOC_CREDENTIALS, timestamp_ms=OLD_DOC_TIMESTAMP,
        signature=OLD_DOC_SIGNATURE),
    # Computed here with the doc secret: a full order in sorted parameter order.
    SignatureVector(
        name="computed: sorted order",
        request=Request(method="POST", path="/openApi/swap/v2/trade/order",
                        query=[("clientOrderId", "cl-0001"), ("positionSide", "LONG"),
                               ("price", "30000"), ("quantity", "0.001"), ("side", "BUY"),
                               ("symbol", "BTC-USDT"), ("timeInForce", "GTC"),
                               ("timestamp", str(ORDER_TIMESTAMP)), ("type", "LIMIT")],
                        signed=True),
        credentials=Credentials(api_key="k", api_secret=DOC_CREDENTIALS.api_secret),
        timestamp_ms=ORDER_TIMESTAMP, signature=ORDER_SIGNATURE),
]


class TestConformance(ExchangeConformance):
    name = "bingx"
    plugin = None  # load through the installed entry point
    simulator = BingXSimulator
    error_table = errors.ERRORS
    signature_vectors = VECTORS
    order_path = "/openApi/swap/v2/trade/order"
    balance_path = "/openApi/swap/v3/user/balance"
    symbol = "BTC/USDT:USDT"
    quantity = Decimal("0.01")
    resting_price = Decimal("40000")
    fills_path = "/openApi/swap/v2/trade/fillHistory"
    batch_path = "/openApi/swap/v2/trade/batchOrders"
    missing_order_id = "1733405587011199999"

    def error_response(self, code: Any, message: str) -> Response:
        # BingX business errors: HTTP 200 with a non-zero code in the envelope
        body = dump({"code": code, "msg": message, "data": {}}).encode()
        return Response(exchange="bingx", status=200,
                        headers={"Content-Type": "application/json"}, body=body)

    async def test_watch_trades(self, sim: BingXSimulator,  # type: ignore[override]
                                sconn: Connector) -> None:
        """The suite's test, except the trade id: BingX swap trades carry none, so the
        plugin makes one of time, price, quantity and taker side."""
        source = sconn.watch_trades(self.symbol)
        first = asyncio.ensure_future(next_item(source))
        await self._ready(sconn)
        sim.streams.publish_trade(await self._native(sconn), "sell", self.resting_price,
                                  self.quantity)
        trade = await first
        assert (trade.symbol, trade.side.value, trade.price, trade.quantity) == \
            (self.symbol, "sell", self.resting_price, self.quantity)
        time_ms, price, quantity, taker = trade.trade_id.split(":")
        assert (price, quantity, taker) == ("40000", "0.01", "s")
        assert int(time_ms) == int(trade.timestamp.timestamp() * 1000)
