"""Signing known-answer tests: BingX's published examples, exact bytes."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from bingx_vectors import (
    CURRENT_DOC_SIGNATURE,
    CURRENT_DOC_STRINGS,
    DOC_CREDENTIALS,
    DOC_SECRET,
    OLD_DOC_MIXED_BODY,
    OLD_DOC_MIXED_QUERY,
    OLD_DOC_MIXED_SIGNATURE,
    OLD_DOC_SIGNATURE,
    OLD_DOC_STRING,
    OLD_DOC_TIMESTAMP,
    ORDER_SIGNATURE,
    ORDER_STRING,
    ORDER_TIMESTAMP,
)
from venuekit.errors import PluginError
from venuekit.models import Auth, Credentials
from venuekit.wire import Request
from venuekit_bingx import plugin, signing
from venuekit_bingx.simulator import verify_signature


def leverage_request() -> Request:
    """The request of the older docs' example (POST /openApi/swap/v2/trade/leverage)."""
    return Request(method="POST", path="/openApi/swap/v2/trade/leverage",
                   query=[("symbol", "BTC-USDT"), ("timestamp", "0"), ("side", "LONG"),
                          ("leverage", "6")], signed=True)


# ---------------------------------------------------------------- published vectors


def test_old_doc_vector_reproduces() -> None:
    assert signing.signature(DOC_SECRET, OLD_DOC_STRING) == OLD_DOC_SIGNATURE


def test_old_doc_vector_through_the_hook_gives_the_exact_bytes() -> None:
    signed = plugin.sign_request(request=leverage_request(), auth=Auth(DOC_CREDENTIALS),
                                 timestamp_ms=OLD_DOC_TIMESTAMP)
    assert signed.query_string == f"{OLD_DOC_STRING}&signature={OLD_DOC_SIGNATURE}"
    assert signed.body == b""
    assert signed.method == "POST"
    assert signed.path == "/openApi/swap/v2/trade/leverage"
    assert ("X-BX-APIKEY", DOC_CREDENTIALS.api_key) in signed.headers


def test_old_doc_mixed_mode_vector_reproduces() -> None:
    # BX-V2OLD mixed mode: query then form body, concatenated WITHOUT "&" between them.
    # The plugin never sends bodies; this checks the HMAC primitive and the docs' layout.
    payload = OLD_DOC_MIXED_QUERY + OLD_DOC_MIXED_BODY
    assert signing.signature(DOC_SECRET, payload) == OLD_DOC_MIXED_SIGNATURE


@pytest.mark.parametrize(("string", "computed"), CURRENT_DOC_STRINGS)
def test_current_doc_vector_does_not_reproduce(string: str, computed: str) -> None:
    # The current BingX docs (BX-V3 "SignAuth") print the same signature 1e63e8cf… for two
    # different strings, so at least one is wrong; with the published secret neither
    # reproduces. This asserts the known defect (inequality) and pins what HMAC-SHA256 gives.
    assert signing.signature(DOC_SECRET, string) != CURRENT_DOC_SIGNATURE
    assert signing.signature(DOC_SECRET, string) == computed


def test_computed_sorted_order_vector() -> None:
    assert signing.signature(DOC_SECRET, ORDER_STRING) == ORDER_SIGNATURE
    pairs = [part.partition("=") for part in ORDER_STRING.split("&")]
    request = Request(method="POST", path="/openApi/swap/v2/trade/order",
                      query=[(key, value) for key, _, value in pairs], signed=True)
    signed = signing.sign(request, Auth(DOC_CREDENTIALS), ORDER_TIMESTAMP)
    assert signed.query_string == f"{ORDER_STRING}&signature={ORDER_SIGNATURE}"


def test_signature_is_lowercase_hex_hmac_sha256() -> None:
    digest = signing.signature("s3cret", "a=1&timestamp=2")
    assert digest == hmac.new(b"s3cret", b"a=1&timestamp=2", hashlib.sha256).hexdigest()
    assert digest == digest.lower() and len(digest) == 64


# ---------------------------------------------------------------- layout


AUTH = Auth(Credentials(api_key="my-key", api_secret="my-secret"))


def test_timestamp_appended_then_signature_last_in_request_order() -> None:
    request = Request(method="GET", path="/openApi/swap/v2/trade/order", signed=True,
                      query=[("symbol", "BTC-USDT"), ("orderId", "1735950529123455488"),
                             ("recvWindow", "5000")])
    signed = signing.sign(request, AUTH, 1700000000123)
    head = "symbol=BTC-USDT&orderId=1735950529123455488&recvWindow=5000&timestamp=1700000000123"
    assert signed.query_string == f"{head}&signature={signing.signature('my-secret', head)}"
    assert signed.query_string.rsplit("&", 1)[1].startswith("signature=")


def test_timestamp_given_by_the_request_is_replaced_in_place() -> None:
    request = Request(method="GET", path="/x", signed=True,
                      query=[("a", "1"), ("timestamp", "placeholder"), ("b", "2")])
    payload = signing.parameter_string(request, 42)
    assert payload == "a=1&timestamp=42&b=2"


def test_key_header_only_no_secret_anywhere() -> None:
    signed = signing.sign(Request(method="GET", path="/x", signed=True), AUTH, 1)
    assert dict(signed.headers) == {"X-BX-APIKEY": "my-key"}
    assert "my-secret" not in signed.query_string
    assert signed.describe().endswith("signature=<redacted>")


def test_the_raw_text_is_signed_and_the_encoded_one_sent() -> None:
    # Values outside RFC 3986's unreserved set (the JSON lists of the batch endpoints) are
    # percent-encoded once on the wire; the HMAC covers the raw text, as BingX's docs sign
    # batchOrders=[...] (bingx.md section 2). The simulator decodes before verifying.
    request = Request(method="GET", path="/x", signed=True,
                      query=[("note", 'a b/{"c":1}'), ("symbol", "BTC-USDT")])
    signed = signing.sign(request, AUTH, 7)
    head = "note=a%20b%2F%7B%22c%22%3A1%7D&symbol=BTC-USDT&timestamp=7"
    raw = 'note=a b/{"c":1}&symbol=BTC-USDT&timestamp=7'
    assert signed.query_string == f"{head}&signature={signing.signature('my-secret', raw)}"
    assert verify_signature("my-secret", signed.query_string)
    encoded_signed = signing.signature("my-secret", head)
    assert not verify_signature("my-secret", f"{head}&signature={encoded_signed}")


def test_plugin_values_need_no_encoding() -> None:
    # Everything this plugin sends is in the unreserved set: raw == URL-encoded, so the
    # venue's raw-versus-encoded ambiguity cannot change a signature it computes.
    values = ["BTC-USDT", "1000PEPE-USDT", "0.0001", "50000.5", "BUY", "SELL", "LIMIT",
              "MARKET", "BOTH", "GTC", "PostOnly", "true", "vk0a1b2c3d4e5f", "5000",
              "1735950529123455488"]
    request = Request(method="GET", path="/x", signed=True,
                      query=[(f"k{i}", v) for i, v in enumerate(values)])
    raw = "&".join(f"k{i}={v}" for i, v in enumerate(values)) + "&timestamp=1"
    assert signing.parameter_string(request, 1) == raw


def test_a_body_is_refused() -> None:
    request = Request(method="POST", path="/x", signed=True, body={"a": 1})
    with pytest.raises(PluginError, match="query string"):
        signing.sign(request, AUTH, 1)


def test_a_preexisting_signature_is_refused() -> None:
    request = Request(method="GET", path="/x", signed=True, query=[("signature", "x")])
    with pytest.raises(PluginError, match="signature"):
        signing.sign(request, AUTH, 1)
