"""Known-answer tests: Pionex's published signing example and vectors computed from its rules.

Every vector of the Pionex row in shared/exchanges/SUMMARY.md and section 3 of pionex.md.
"""

from __future__ import annotations

import base64
from decimal import Decimal

from support import DOC_CREDENTIALS, DOC_KEY, DOC_SECRET, DOC_TIMESTAMP
from venuekit.models import Auth, Market, OrderParams, OrderRef
from venuekit.payload import Reader
from venuekit.wire import Request, SignedRequest
from venuekit_pionex import endpoints, signing
from venuekit_pionex.parsing import parse_market

AUTH = Auth(DOC_CREDENTIALS)


def btc_usdt() -> Market:
    market = parse_market(Reader(
        {"symbol": "BTC_USDT", "type": "SPOT", "baseCurrency": "BTC", "quoteCurrency": "USDT",
         "basePrecision": 6, "quotePrecision": 2, "minTradeSize": "0.000001",
         "minAmount": "10", "enable": True}, exchange="pionex"))
    assert market is not None
    return market


BTC_USDT = btc_usdt()

OFFICIAL = "ec83d21e1237cbe7e0172f79c0e3a4741c86f6b201ba762f21149bf195519be1"


def header(signed: SignedRequest, name: str) -> str:
    values = [v for k, v in signed.headers if k == name]
    assert len(values) == 1, (name, values)
    return values[0]


def test_official_example_reproduces_byte_exactly() -> None:
    """PX-GB "Authentication": a GET whose documented prehash appends a JSON body (with a
    space after the colon) although GETs have no body; the bytes are reproduced as printed."""
    request = Request(method="GET", path="/api/v1/trade/allOrders",
                      query=(("symbol", "BTC_USDT"), ("limit", "1")),
                      body=b'{"symbol": "BTC_USDT"}', signed=True)
    params = signing.sorted_params(request.query, DOC_TIMESTAMP)
    prehash = signing.string_to_sign("GET", request.path, params, signing.body_bytes(request))
    assert prehash == (b"GET/api/v1/trade/allOrders?limit=1&symbol=BTC_USDT"
                       b'&timestamp=1655896754515{"symbol": "BTC_USDT"}')
    signed = signing.sign(request, AUTH, DOC_TIMESTAMP)
    assert header(signed, "PIONEX-SIGNATURE") == OFFICIAL
    assert signed.query_string == "limit=1&symbol=BTC_USDT&timestamp=1655896754515"
    assert signed.body == b'{"symbol": "BTC_USDT"}'


def test_chinese_page_base64_is_the_same_digest() -> None:
    """The Chinese GitBook shows base64; it is the same HMAC, the API takes the hex form."""
    shown = "7IPSHhI3y+fgFy95wOOkdByG9rIBunYvIRSb8ZVRm+E="
    assert base64.b64encode(bytes.fromhex(OFFICIAL)).decode() == shown


def test_get_without_body_signs_path_and_sorted_query_only() -> None:
    request = Request(method="GET", path="/api/v1/trade/allOrders",
                      query=(("symbol", "BTC_USDT"), ("limit", "1")), signed=True)
    signed = signing.sign(request, AUTH, DOC_TIMESTAMP)
    assert header(signed, "PIONEX-SIGNATURE") == (
        "25dbbd2a6478ec4870653249d644cfb246eee4da347645cc98373f275e189242")
    assert signed.body == b""
    assert not any(k.lower() == "content-type" for k, _ in signed.headers)


def test_post_order_vector_through_the_order_builder() -> None:
    """The computed POST vector, built by place_order itself: field order and values match."""
    order = OrderParams(symbol="BTC/USDT", side="buy", type="limit", quantity="0.001",
                        price="30000", client_order_id="cl-0001")
    call = endpoints.place_order(order, BTC_USDT)
    signed = signing.sign(call.request, AUTH, DOC_TIMESTAMP)
    assert signed.body == (b'{"symbol":"BTC_USDT","side":"BUY","type":"LIMIT",'
                           b'"clientOrderId":"cl-0001","size":"0.001","price":"30000"}')
    assert signed.query_string == "timestamp=1655896754515"
    assert header(signed, "PIONEX-SIGNATURE") == (
        "dc2e4be290f976bf958968ac599dd010d7b8b2b2440474148d3721362c3c3c89")
    assert header(signed, "Content-Type") == "application/json"
    assert header(signed, "PIONEX-KEY") == DOC_KEY


def test_delete_vector_through_the_cancel_builder() -> None:
    call = endpoints.cancel_order(OrderRef("BTC/USDT", order_id="123456789"), BTC_USDT)
    signed = signing.sign(call.request, AUTH, DOC_TIMESTAMP)
    assert signed.method == "DELETE"
    assert signed.body == b'{"symbol":"BTC_USDT","orderId":123456789}'
    assert header(signed, "PIONEX-SIGNATURE") == (
        "a53f9536386cc2666bb697fa0aa58c6b959035c789bf93f9fd246bf45c9a7e6a")


def test_websocket_auth_example_reproduces_with_the_same_hmac() -> None:
    """Official WS example (the plugin has no WebSocket client; this checks the HMAC helper)."""
    text = f"/ws?key={DOC_KEY}&timestamp={DOC_TIMESTAMP}websocket_auth"
    assert signing.signature(DOC_SECRET, text.encode()) == (
        "3e901247350e744353f4a7a479fd67181184a627b119352ec1b7a432925e772c")


def test_query_is_sorted_by_ascii_key_and_timestamp_is_replaced() -> None:
    request = Request(method="GET", path="/p", signed=True,
                      query=(("symbol", "X"), ("Zeta", "1"), ("orderId", "7"),
                             ("timestamp", "1")))
    signed = signing.sign(request, AUTH, 42)
    # ASCII: upper case sorts before lower case
    assert signed.query_string == "Zeta=1&orderId=7&symbol=X&timestamp=42"


def test_values_are_signed_raw_and_escaped_only_on_the_wire() -> None:
    request = Request(method="GET", path="/p", query=(("note", "a b&c"),), signed=True)
    signed = signing.sign(request, AUTH, 1)
    assert signed.query_string == "note=a%20b%26c&timestamp=1"
    expected = signing.signature(DOC_SECRET, b"GET/p?note=a b&c&timestamp=1")
    assert header(signed, "PIONEX-SIGNATURE") == expected


def test_decimal_order_values_are_plain_strings() -> None:
    order = OrderParams(symbol="BTC/USDT", side="sell", type="limit",
                        quantity=Decimal("1.500000"), price=Decimal("3E+4"),
                        client_order_id="c1")
    body = endpoints.place_order(order, BTC_USDT).request.body
    assert body["size"] == "1.5"
    assert body["price"] == "30000"
