"""The pre-keyed HMAC-SHA256 gives exactly what the standard library's hmac gives."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from venuekit.hmac_sha256 import HmacSha256, hmac_sha256
from venuekit.models import Credentials


@pytest.mark.parametrize("key", [b"", b"k", b"s" * 63, b"s" * 64, b"s" * 65, bytes(range(200))])
@pytest.mark.parametrize("payload", [b"", b"recvWindow=5000&timestamp=1", bytes(range(256)) * 3])
def test_matches_hmac_new(key: bytes, payload: bytes) -> None:
    keyed = HmacSha256(key)
    assert keyed.digest(payload) == hmac.new(key, payload, hashlib.sha256).digest()
    # the keyed states are copied, never consumed: the second message signs the same way
    assert keyed.hexdigest(payload) == hmac.new(key, payload, hashlib.sha256).hexdigest()


def test_rfc4231_case_2() -> None:
    # RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
    assert HmacSha256(b"Jefe").hexdigest(b"what do ya want for nothing?") == (
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")


def test_one_keyed_state_per_credentials_and_no_secret_in_repr() -> None:
    creds = Credentials(api_key="key", api_secret="a-secret-value")
    assert hmac_sha256(creds) is hmac_sha256(creds)
    other = Credentials(api_key="key", api_secret="another-secret")
    assert hmac_sha256(other).hexdigest(b"x") != hmac_sha256(creds).hexdigest(b"x")
    assert "secret" not in repr(hmac_sha256(creds))
