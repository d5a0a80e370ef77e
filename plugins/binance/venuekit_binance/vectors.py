"""Binance's published signing example and the computed ones, for known-answer tests.

The HMAC example is Binance's own (USDⓈ-M General Info, "SIGNED Endpoint Examples for
POST /fapi/v1/order - HMAC Keys"); Binance publishes no usable Ed25519 example, so that one
is computed from RFC 8032's first test seed. The plugin's tests, its simulator's tests and
a host's self-check all use these. Keys here are the documentation's, never real ones.
"""

from __future__ import annotations

from venuekit.models import Credentials, KeyType
from venuekit.wire import BodyFormat, Request

# Binance USDⓈ-M General Info, "SIGNED Endpoint Examples for POST /fapi/v1/order - HMAC Keys"
DOC_API_KEY = "dbefbc809e3e83c283a984c3a1459732ea7db1360ca80c5c2c8867408d28cc83"
DOC_SECRET = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9"  # noqa: S105 (doc)
DOC_TIMESTAMP = 1591702613943
DOC_PAYLOAD = ("symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC"
               "&recvWindow=5000&timestamp=1591702613943")
DOC_HMAC = "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9"
#: the order fields of that example, in the order of its signed string
DOC_FIELDS = [("symbol", "BTCUSDT"), ("side", "BUY"), ("type", "LIMIT"), ("quantity", "1"),
              ("price", "9000"), ("timeInForce", "GTC")]

# Mixed query + body (binance.md 3.2): the doc's printed string has a stray space after
# "timestamp="; its value reproduces, and the correct one for the bytes curl sends is below.
MIXED_QUERY = "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC"
MIXED_BODY = "quantity=1&price=9000&recvWindow=5000&timestamp=1591702613943"
MIXED_DOC_TYPO_PAYLOAD = (MIXED_QUERY
                          + "quantity=1&price=9000&recvWindow=5000&timestamp= 1591702613943")
MIXED_DOC_TYPO_HMAC = "f9d0ae5e813ef6ccf15c2b5a434047a0181cb5a342b903b367ca6d27a66e36f2"
MIXED_HMAC = "30baaf0fab549bbeda7f5ef201898b34122da25fd23c646cac2c529aebe670a4"

# Ed25519, computed (RFC 8032 test 1 seed; cross-checked with ccxt's eddsa()): SUMMARY.md
ED25519_SEED_HEX = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
ED25519_PKCS8_B64 = "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g"
ED25519_PUBLIC_HEX = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
ED25519_SIG_B64 = ("ATEuJPvzWUFs0d1x9FwudUJsSfMMWR+bkdrxtbOYgFkZj36Ol/vwKDGm9UWtKuq0mtnSTOQru"
                   "QAwFvR128PaDg==")
ED25519_SIG_URL = ("ATEuJPvzWUFs0d1x9FwudUJsSfMMWR%2BbkdrxtbOYgFkZj36Ol%2FvwKDGm9UWtKuq0mtnSTO"
                   "QruQAwFvR128PaDg%3D%3D")


def doc_order_request() -> Request:
    """The doc example's order, as a plugin-built request before signing."""
    return Request(method="POST", path="/fapi/v1/order", body=DOC_FIELDS,
                   body_format=BodyFormat.FORM, signed=True, idempotent=False)


def hmac_credentials() -> Credentials:
    return Credentials(api_key=DOC_API_KEY, api_secret=DOC_SECRET)


def ed25519_credentials(private_key: str = ED25519_SEED_HEX) -> Credentials:
    return Credentials(api_key="ed25519-api-key-0123456789", key_type=KeyType.ED25519,
                       private_key=private_key)
