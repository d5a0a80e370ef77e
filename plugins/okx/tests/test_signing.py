"""Known-answer tests for OKX's REST signature (SUMMARY.md vector table, okx.md section 3).

OKX publishes the recipe, a secret and a timestamp but no expected value; the expected
signatures below were computed independently (SUMMARY.md "Computed-here vectors").
"""

from __future__ import annotations

import pytest
from okx_helpers import DOC_SECRET, DOC_TIMESTAMP_MS, doc_credentials
from venuekit import Auth, BodyFormat, ConfigurationError, Credentials, Request
from venuekit_okx import plugin, signing
from venuekit_okx.sim_auth import expected_signature, parse_iso_ms

DOC_TIMESTAMP = "2020-12-08T09:08:57.715Z"
#: SUMMARY.md: GET /api/v5/account/balance?ccy=BTC
GET_SIGNATURE = "HiZhvSfMtWJA3uUIVXV3a/bSXNPCWvYFXoGCVS8V4zY="
#: okx.md section 3: POST /api/v5/trade/order with a limit-order body
POST_BODY = (b'{"instId":"BTC-USDT-SWAP","tdMode":"cross","side":"buy","ordType":"limit",'
             b'"px":"30000","sz":"1","clOrdId":"cl0001"}')
POST_SIGNATURE = "SPv3cqgbAtAcF8VzV44kdW0/yzjVAyB/+YzmFHiHx7Q="


def balance_request() -> Request:
    return Request(method="GET", path="/api/v5/account/balance", query=[("ccy", "BTC")],
                   signed=True)


def order_request() -> Request:
    body = {"instId": "BTC-USDT-SWAP", "tdMode": "cross", "side": "buy", "ordType": "limit",
            "px": "30000", "sz": "1", "clOrdId": "cl0001"}
    return Request(method="POST", path="/api/v5/trade/order", body=body,
                   body_format=BodyFormat.JSON, signed=True)


def header(signed: object, name: str) -> str:
    values = [v for k, v in signed.headers if k == name]  # type: ignore[attr-defined]
    assert len(values) == 1, f"{name}: {values}"
    return values[0]


def test_iso_timestamp_matches_the_doc_example() -> None:
    assert signing.iso_timestamp(DOC_TIMESTAMP_MS) == DOC_TIMESTAMP
    assert signing.iso_timestamp(1607418537005) == "2020-12-08T09:08:57.005Z"  # zero-padded ms
    assert signing.iso_timestamp(0) == "1970-01-01T00:00:00.000Z"


def test_prehash_is_plain_concatenation() -> None:
    payload = signing.prehash(DOC_TIMESTAMP, "get", "/api/v5/account/balance", "ccy=BTC", b"")
    assert payload == b"2020-12-08T09:08:57.715ZGET/api/v5/account/balance?ccy=BTC"


def test_summary_vector_get_balance() -> None:
    signed = signing.sign(balance_request(), Auth(doc_credentials()), DOC_TIMESTAMP_MS)
    assert header(signed, "OK-ACCESS-SIGN") == GET_SIGNATURE
    assert signed.query_string == "ccy=BTC"
    assert signed.body == b""
    assert signed.target == "/api/v5/account/balance?ccy=BTC"


def test_okx_md_vector_post_order_signs_exact_body_bytes() -> None:
    signed = signing.sign(order_request(), Auth(doc_credentials()), DOC_TIMESTAMP_MS)
    assert signed.body == POST_BODY
    assert header(signed, "OK-ACCESS-SIGN") == POST_SIGNATURE
    assert header(signed, "Content-Type") == "application/json"


def test_vectors_through_the_hook() -> None:
    signed = plugin.sign_request(request=balance_request(), auth=Auth(doc_credentials()),
                                 timestamp_ms=DOC_TIMESTAMP_MS)
    assert header(signed, "OK-ACCESS-SIGN") == GET_SIGNATURE


def test_headers_carry_key_timestamp_and_passphrase() -> None:
    creds = doc_credentials()
    signed = signing.sign(balance_request(), Auth(creds), DOC_TIMESTAMP_MS)
    assert header(signed, "OK-ACCESS-KEY") == creds.api_key
    assert header(signed, "OK-ACCESS-TIMESTAMP") == DOC_TIMESTAMP
    assert header(signed, "OK-ACCESS-PASSPHRASE") == creds.passphrase
    names = [k for k, _ in signed.headers]
    assert "Content-Type" not in names  # no body, no content type
    assert "expTime" not in names  # reads never expire on the venue's side


def test_order_placement_carries_exptime_window() -> None:
    request = Request(method="POST", path="/api/v5/trade/order", body={"instId": "X"},
                      signed=True, idempotent=False)
    signed = signing.sign(request, Auth(doc_credentials()), DOC_TIMESTAMP_MS)
    assert header(signed, "expTime") == str(DOC_TIMESTAMP_MS + signing.ORDER_WINDOW_MS)
    info = plugin.exchange_info()
    assert info.request_window_s == signing.ORDER_WINDOW_MS / 1000


def test_query_keeps_the_builders_order() -> None:
    request = Request(method="GET", path="/api/v5/trade/order",
                      query=[("instId", "BTC-USDT-SWAP"), ("clOrdId", "abc123")], signed=True)
    signed = signing.sign(request, Auth(doc_credentials()), DOC_TIMESTAMP_MS)
    assert signed.query_string == "instId=BTC-USDT-SWAP&clOrdId=abc123"
    expected = expected_signature(DOC_SECRET, DOC_TIMESTAMP, "GET",
                                  "/api/v5/trade/order?instId=BTC-USDT-SWAP&clOrdId=abc123", b"")
    assert header(signed, "OK-ACCESS-SIGN") == expected


def test_missing_passphrase_is_a_configuration_error() -> None:
    creds = Credentials(api_key="k", api_secret=DOC_SECRET)
    with pytest.raises(ConfigurationError, match="passphrase"):
        signing.sign(balance_request(), Auth(creds), DOC_TIMESTAMP_MS)


def test_form_bodies_are_refused() -> None:
    request = Request(method="POST", path="/x", body={"a": "1"}, body_format=BodyFormat.FORM,
                      signed=True)
    with pytest.raises(ValueError, match="JSON"):
        signing.sign(request, Auth(doc_credentials()), DOC_TIMESTAMP_MS)


# ---------------------------------------------------------------- the simulator's verifier


def test_simulator_verifier_reproduces_both_vectors() -> None:
    assert expected_signature(DOC_SECRET, DOC_TIMESTAMP, "GET",
                              "/api/v5/account/balance?ccy=BTC", b"") == GET_SIGNATURE
    assert expected_signature(DOC_SECRET, DOC_TIMESTAMP, "POST", "/api/v5/trade/order",
                              POST_BODY) == POST_SIGNATURE


def test_simulator_parses_okx_timestamps_independently() -> None:
    assert parse_iso_ms(DOC_TIMESTAMP) == DOC_TIMESTAMP_MS
    for bad in ("2020-12-08T09:08:57Z", "2020-12-08 09:08:57.715Z", "1607418537715", ""):
        with pytest.raises(ValueError):
            parse_iso_ms(bad)
