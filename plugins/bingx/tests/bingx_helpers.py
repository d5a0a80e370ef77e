"""Canned BingX answers and URL patterns for the hook tests."""

from __future__ import annotations

import re
from typing import Any

from aioresponses import aioresponses
from venuekit.models import OrderParams
from venuekit.wire import Response

LIVE = "https://open-api.bingx.com"
DEMO = "https://open-api-vst.bingx.com"

CONTRACTS = {"code": 0, "msg": "", "data": [
    {"contractId": "100", "symbol": "BTC-USDT", "quantityPrecision": 4, "pricePrecision": 1,
     "takerFeeRate": 0.0005, "makerFeeRate": 0.0002, "tradeMinQuantity": 0.0001,
     "tradeMinUSDT": 2, "currency": "USDT", "asset": "BTC", "status": 1,
     "apiStateOpen": "true", "apiStateClose": "true", "ensureTrigger": False,
     "triggerFeeRate": "0.00020000", "brokerState": False, "launchTime": 1586275200000,
     "maintainTime": 0, "offTime": 0, "displayName": "BTC-USDT"},
]}


def url(path: str, host: str = LIVE) -> re.Pattern[str]:
    """Any query on ``host + path``: the signed query changes with every request."""
    return re.compile(re.escape(host + path) + r"(\?.*)?$")


def ok(data: Any) -> dict[str, Any]:
    return {"code": 0, "msg": "", "data": data}


def mock_time(mocked: aioresponses, host: str = LIVE, repeat: bool = True) -> None:
    mocked.get(url("/openApi/swap/v2/server/time", host),
               payload=ok({"serverTime": 1675319535362}), repeat=repeat)


def answer(body: str, status: int = 200) -> Response:
    """A BingX answer with ``body`` as it arrives, for the parsers."""
    return Response(exchange="bingx", status=status, headers={}, body=body.encode())


#: the market order the place-answer tests parse against (BX-V3 "Place order" examples)
ORDER = OrderParams(symbol="BTC/USDT:USDT", side="buy", type="market", quantity="0.001",
                    client_order_id="vk42")
