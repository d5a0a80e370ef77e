"""Known-answer tests for Bybit V5 signing, and the string-to-sign layout of the official
examples (whose secret Bybit does not publish, so only their layout can be checked)."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from venuekit import Auth, Credentials, PluginError, Request
from venuekit.wire import BodyFormat
from venuekit_bybit import signing
from venuekit_bybit.simulator import expected_signature

# SUMMARY.md / bybit.md §3, "computed here": secret TestSecret1234567890, key XXXXXXXXXX
VECTOR_CREDS = Credentials(api_key="XXXXXXXXXX", api_secret="TestSecret1234567890")
GET_TS, GET_QUERY = 1658384314791, "category=option&symbol=BTC-29JUL22-25000-C"
GET_SIG = "0a025e69ec33254d68b6e4ab1fbfc64e6459783e1917e2a4c7334f2e06dde648"
POST_TS, POST_BODY = 1658385579423, b'{"category": "option"}'
POST_SIG = "8031ae7161ef0e0848917d6489e081a74fd12ca0659f45d8f3b71946ad591c9a"
ORDER_TS = 1700000000000
ORDER_BODY = {"category": "linear", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Limit",
              "qty": "0.001", "price": "30000", "timeInForce": "GTC", "orderLinkId": "cl-0001"}
ORDER_SIG = "0ff64d37573a7c674838e09d57d9501c70e89f146f68b740786c633b3ef06a46"


def get_vector_request() -> Request:
    return Request(method="GET", path="/v5/order/realtime", signed=True,
                   query=[("category", "option"), ("symbol", "BTC-29JUL22-25000-C")])


def headers(signed: object) -> dict[str, str]:
    return dict(signed.headers)  # type: ignore[attr-defined]


def test_summary_table_vector_get() -> None:
    signed = signing.sign(get_vector_request(), Auth(VECTOR_CREDS), GET_TS)
    assert signed.query_string == GET_QUERY
    assert signed.body == b""
    assert headers(signed) == {
        "X-BAPI-API-KEY": "XXXXXXXXXX", "X-BAPI-TIMESTAMP": str(GET_TS),
        "X-BAPI-RECV-WINDOW": "5000", "X-BAPI-SIGN": GET_SIG, "X-BAPI-SIGN-TYPE": "2"}


def test_computed_vector_post_with_the_docs_spaced_body() -> None:
    # the doc's body keeps its space; a pre-encoded body is signed and sent byte for byte
    request = Request(method="POST", path="/v5/order/create", body=POST_BODY, signed=True)
    signed = signing.sign(request, Auth(VECTOR_CREDS), POST_TS)
    assert signed.body == POST_BODY
    assert headers(signed)["X-BAPI-SIGN"] == POST_SIG
    assert headers(signed)["Content-Type"] == "application/json"


def test_computed_vector_linear_order_from_a_dict_body() -> None:
    request = Request(method="POST", path="/v5/order/create", body=ORDER_BODY,
                      body_format=BodyFormat.JSON, signed=True)
    signed = signing.sign(request, Auth(VECTOR_CREDS), ORDER_TS)
    assert signed.body == (b'{"category":"linear","symbol":"BTCUSDT","side":"Buy",'
                           b'"orderType":"Limit","qty":"0.001","price":"30000",'
                           b'"timeInForce":"GTC","orderLinkId":"cl-0001"}')
    assert headers(signed)["X-BAPI-SIGN"] == ORDER_SIG


def test_official_examples_string_to_sign_layout() -> None:
    # Bybit V5 guide: GET "1658384314791XXXXXXXXXX5000category=option&symbol=BTC-29JUL22-25000-C"
    #                 POST '1658385579423XXXXXXXXXX5000{"category": "option"}'
    signed = signing.sign(get_vector_request(), Auth(VECTOR_CREDS), GET_TS)
    assert signing.string_to_sign(GET_TS, "XXXXXXXXXX", 5000, signed.query_string.encode()) \
        == b"1658384314791XXXXXXXXXX5000category=option&symbol=BTC-29JUL22-25000-C"
    assert signing.string_to_sign(POST_TS, "XXXXXXXXXX", 5000, POST_BODY) \
        == b'1658385579423XXXXXXXXXX5000{"category": "option"}'


def test_signature_is_lowercase_hex_hmac_sha256() -> None:
    data = b"1658384314791XXXXXXXXXX5000" + GET_QUERY.encode()
    digest = signing.signature("TestSecret1234567890", data)
    assert digest == hmac.new(b"TestSecret1234567890", data, hashlib.sha256).hexdigest()
    assert digest == digest.lower() and len(digest) == 64


@pytest.mark.parametrize(("secret", "ts", "part", "expected"), [
    ("TestSecret1234567890", "1658384314791", GET_QUERY.encode(), GET_SIG),
    ("TestSecret1234567890", "1658385579423", POST_BODY, POST_SIG),
    ("TestSecret1234567890", "1700000000000",
     b'{"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Limit",'
     b'"qty":"0.001","price":"30000","timeInForce":"GTC","orderLinkId":"cl-0001"}', ORDER_SIG),
])
def test_simulator_verifier_reproduces_the_vectors(secret: str, ts: str, part: bytes,
                                                   expected: str) -> None:
    assert expected_signature(secret, ts, "XXXXXXXXXX", "5000", part) == expected


def test_query_keeps_the_builders_order_and_encodes_values() -> None:
    request = Request(method="GET", path="/v5/order/realtime", signed=True,
                      query=[("symbol", "BTCUSDT"), ("category", "linear"),
                             ("orderLinkId", "a b/c")])
    signed = signing.sign(request, Auth(VECTOR_CREDS), GET_TS)
    assert signed.query_string == "symbol=BTCUSDT&category=linear&orderLinkId=a%20b%2Fc"
    payload = f"{GET_TS}XXXXXXXXXX5000{signed.query_string}".encode()
    assert headers(signed)["X-BAPI-SIGN"] == signing.signature("TestSecret1234567890", payload)


def test_signature_header_comes_before_sign_type() -> None:
    names = [k for k, _ in signing.sign(get_vector_request(), Auth(VECTOR_CREDS),
                                        GET_TS).headers]
    assert names.index("X-BAPI-SIGN") < names.index("X-BAPI-SIGN-TYPE")


def test_a_get_never_carries_a_body() -> None:
    request = Request(method="GET", path="/v5/order/realtime", body={"a": 1}, signed=True)
    with pytest.raises(PluginError, match="must not carry a body"):
        signing.sign(request, Auth(VECTOR_CREDS), GET_TS)


def test_form_bodies_are_refused() -> None:
    request = Request(method="POST", path="/v5/order/create", body={"a": "1"},
                      body_format=BodyFormat.FORM, signed=True)
    with pytest.raises(PluginError, match="JSON"):
        signing.sign(request, Auth(VECTOR_CREDS), GET_TS)
