"""Known-answer tests: every Binance vector of SUMMARY.md, byte for byte."""

from __future__ import annotations

import base64

import pytest
from nacl.signing import SigningKey
from venuekit.errors import ConfigurationError
from venuekit.models import Auth, Credentials, KeyType
from venuekit.wire import BodyFormat, Request
from venuekit_binance import signing
from venuekit_binance.vectors import (
    DOC_API_KEY,
    DOC_HMAC,
    DOC_PAYLOAD,
    DOC_SECRET,
    DOC_TIMESTAMP,
    ED25519_PKCS8_B64,
    ED25519_PUBLIC_HEX,
    ED25519_SEED_HEX,
    ED25519_SIG_B64,
    ED25519_SIG_URL,
    MIXED_BODY,
    MIXED_DOC_TYPO_HMAC,
    MIXED_DOC_TYPO_PAYLOAD,
    MIXED_HMAC,
    MIXED_QUERY,
    doc_order_request,
    ed25519_credentials,
    hmac_credentials,
)

# ---------------------------------------------------------------- primitives


def test_official_hmac_vector() -> None:
    assert signing.hmac_signature(DOC_SECRET, DOC_PAYLOAD.encode()) == DOC_HMAC


def test_doc_mixed_example_reproduces_with_its_typo_and_the_real_bytes_differ() -> None:
    assert signing.hmac_signature(DOC_SECRET, MIXED_DOC_TYPO_PAYLOAD.encode()) == \
        MIXED_DOC_TYPO_HMAC
    assert signing.hmac_signature(DOC_SECRET, (MIXED_QUERY + MIXED_BODY).encode()) == MIXED_HMAC


def test_computed_ed25519_vector() -> None:
    seed = bytes.fromhex(ED25519_SEED_HEX)
    assert SigningKey(seed).verify_key.encode().hex() == ED25519_PUBLIC_HEX
    assert signing.ed25519_signature(seed, DOC_PAYLOAD.encode()) == ED25519_SIG_B64


@pytest.mark.parametrize("form", [
    ED25519_SEED_HEX,
    ED25519_SEED_HEX.upper(),
    base64.b64encode(bytes.fromhex(ED25519_SEED_HEX)).decode(),
    ED25519_PKCS8_B64,
    f"-----BEGIN PRIVATE KEY-----\n{ED25519_PKCS8_B64}\n-----END PRIVATE KEY-----\n",
], ids=["hex", "HEX", "base64-seed", "pkcs8-base64", "pkcs8-pem"])
def test_ed25519_key_forms_give_the_same_seed(form: str) -> None:
    assert signing.ed25519_seed(form) == bytes.fromhex(ED25519_SEED_HEX)


@pytest.mark.parametrize("bad", ["", "abc", "00" * 31, base64.b64encode(b"x" * 40).decode(),
                                 "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END "
                                 "ENCRYPTED PRIVATE KEY-----"])
def test_unreadable_ed25519_key_is_a_configuration_error(bad: str) -> None:
    with pytest.raises(ConfigurationError):
        signing.ed25519_seed(bad)


# ---------------------------------------------------------------- whole requests


def test_hmac_request_body_is_the_doc_payload_plus_signature_last() -> None:
    signed = signing.sign(doc_order_request(), Auth(hmac_credentials()), DOC_TIMESTAMP)
    assert signed.query_string == ""
    assert signed.body == f"{DOC_PAYLOAD}&signature={DOC_HMAC}".encode()
    assert ("X-MBX-APIKEY", DOC_API_KEY) in signed.headers
    assert ("Content-Type", "application/x-www-form-urlencoded") in signed.headers
    assert signed.target == "/fapi/v1/order"


def test_ed25519_request_carries_the_url_encoded_signature_last() -> None:
    signed = signing.sign(doc_order_request(), Auth(ed25519_credentials()), DOC_TIMESTAMP)
    assert signed.body == f"{DOC_PAYLOAD}&signature={ED25519_SIG_URL}".encode()


def test_ed25519_pem_key_signs_identically() -> None:
    pem = f"-----BEGIN PRIVATE KEY-----\n{ED25519_PKCS8_B64}\n-----END PRIVATE KEY-----"
    signed = signing.sign(doc_order_request(), Auth(ed25519_credentials(pem)), DOC_TIMESTAMP)
    assert signed.body.endswith(f"&signature={ED25519_SIG_URL}".encode())


def test_get_request_signs_the_query_and_puts_the_signature_last() -> None:
    request = Request(method="GET", path="/fapi/v1/order",
                      query=[("symbol", "BTCUSDT"), ("origClientOrderId", "a:b/c.d_e-f")],
                      signed=True)
    signed = signing.sign(request, Auth(hmac_credentials()), 1700000000000)
    base = ("symbol=BTCUSDT&origClientOrderId=a%3Ab%2Fc.d_e-f&recvWindow=5000"
            "&timestamp=1700000000000")
    expected = signing.hmac_signature(DOC_SECRET, base.encode())
    assert signed.query_string == f"{base}&signature={expected}"
    assert signed.body == b""
    assert not any(k == "Content-Type" for k, _ in signed.headers)


def test_mixed_query_and_body_reproduce_the_corrected_doc_vector() -> None:
    request = Request(method="POST", path="/fapi/v1/order",
                      query=[("symbol", "BTCUSDT"), ("side", "BUY"), ("type", "LIMIT"),
                             ("timeInForce", "GTC")],
                      body=[("quantity", "1"), ("price", "9000")], body_format=BodyFormat.FORM,
                      signed=True)
    signed = signing.sign(request, Auth(hmac_credentials()), DOC_TIMESTAMP)
    assert signed.query_string == MIXED_QUERY
    assert signed.body == f"{MIXED_BODY}&signature={MIXED_HMAC}".encode()


def test_an_explicit_recv_window_is_kept_not_doubled() -> None:
    request = Request(method="GET", path="/fapi/v3/balance", query=[("recvWindow", "3000")],
                      signed=True)
    signed = signing.sign(request, Auth(hmac_credentials()), 1)
    assert signed.query_string.startswith("recvWindow=3000&timestamp=1&signature=")
    assert signed.query_string.count("recvWindow") == 1


def test_json_bodies_are_refused() -> None:
    request = Request(method="POST", path="/fapi/v1/order", body={"a": 1},
                      body_format=BodyFormat.JSON, signed=True)
    with pytest.raises(ValueError, match="form-encoded"):
        signing.sign(request, Auth(hmac_credentials()), 1)


@pytest.mark.parametrize("credentials, needs", [
    (Credentials(api_key="k"), "api_secret"),
    (Credentials(api_key="k", api_secret="s", key_type=KeyType.ED25519), "private_key"),
    (Credentials(api_key="k", key_type=KeyType.RSA, private_key="-----BEGIN PRIVATE KEY-----"),
     "rsa"),
], ids=["hmac-without-secret", "ed25519-without-key", "rsa"])
def test_missing_or_unsupported_key_material_is_a_configuration_error(
        credentials: Credentials, needs: str) -> None:
    with pytest.raises(ConfigurationError, match=needs):
        signing.sign(doc_order_request(), Auth(credentials), DOC_TIMESTAMP)


def test_secret_never_appears_in_the_signed_request() -> None:
    signed = signing.sign(doc_order_request(), Auth(hmac_credentials()), DOC_TIMESTAMP)
    assert DOC_SECRET not in signed.body.decode() + signed.query_string + repr(signed.headers)
    assert DOC_HMAC not in signed.describe()
