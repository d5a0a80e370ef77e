"""Authentication known answers: every OrangeX vector of SUMMARY.md / orangex.md, exact bytes."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from venuekit.errors import ConfigurationError
from venuekit.models import Auth, AuthToken, Credentials
from venuekit.testing.simulator import ErrorKind, SimReject
from venuekit.wire import Request
from venuekit_orangex import endpoints, signing
from venuekit_orangex.signing import GRANT_ENV, Grant
from venuekit_orangex.simulator import OrangeXSimulator

# OX-DOC's example client; the signatures below were computed (SUMMARY.md, orangex.md §3).
CLIENT_ID = "qpdskdfnaowpfewq"
CLIENT_SECRET = "oqentgrfnfdwnveaef"
TIMESTAMP = 1597127926021
WITH_NONCE = "d0876a195a02bd0c6af93e5028041f4d60123e50033ac12403189b9e03971e5b"
EMPTY_NONCE = "15239f35b6ef01b6e0f629f15ca8490b393d3385d2711ce52c4d80ebe85541c3"
DOC = Credentials(api_key=CLIENT_ID, api_secret=CLIENT_SECRET)


def test_string_to_sign_is_three_lf_terminated_lines() -> None:
    assert signing.string_to_sign(CLIENT_ID, TIMESTAMP, "abcd") == \
        b"qpdskdfnaowpfewq\n1597127926021\nabcd\n"
    assert signing.string_to_sign(CLIENT_ID, TIMESTAMP, "") == \
        b"qpdskdfnaowpfewq\n1597127926021\n\n"


@pytest.mark.parametrize(("nonce", "expected"), [("abcd", WITH_NONCE), ("", EMPTY_NONCE)])
def test_client_signature_vectors(nonce: str, expected: str) -> None:
    assert signing.client_signature(CLIENT_SECRET, CLIENT_ID, TIMESTAMP, nonce) == expected


def _login(nonce: str) -> Request:
    call = endpoints.login(DOC, grant=Grant.CLIENT_SIGNATURE, nonce=nonce)
    body = {**call.request.body, "id": 1}
    return Request(method="POST", path=call.request.path, body=body, signed=True,
                   cost=call.request.cost)


def test_signed_login_body_is_exact() -> None:
    signed = signing.sign(_login("abcd"), Auth(DOC), TIMESTAMP)
    assert signed.body == (
        b'{"jsonrpc":"2.0","id":1,"method":"/public/auth","params":{"grant_type":'
        b'"client_signature","client_id":"qpdskdfnaowpfewq","nonce":"abcd",'
        b'"timestamp":"1597127926021","signature":"' + WITH_NONCE.encode() + b'"}}')
    assert (signed.method, signed.path, signed.query_string) == ("POST", "/public/auth", "")
    assert ("Content-Type", "application/json") in signed.headers
    assert CLIENT_SECRET.encode() not in signed.body


def test_client_credentials_login_is_unsigned_and_carries_the_secret() -> None:
    request = endpoints.login(DOC, grant=Grant.CLIENT_CREDENTIALS).request
    assert request.signed is False and request.idempotent is True
    assert request.path == "/public/auth" and request.cost == {"requests": 1}
    assert request.body["params"] == {"grant_type": "client_credentials",
                                      "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}


def test_private_call_gets_the_bearer_token_and_nothing_else() -> None:
    request = endpoints.fetch_balance().request
    token = AuthToken(access_token="ba3avFNzfE", expires_at=datetime.now(UTC) + timedelta(1))
    signed = signing.sign(request, Auth(DOC, token), TIMESTAMP)
    assert dict(signed.headers) == {"Content-Type": "application/json",
                                    "Authorization": "bearer ba3avFNzfE"}
    assert json.loads(signed.body) == request.body
    assert signed.query_string == ""
    assert CLIENT_SECRET.encode() not in signed.body


def test_private_call_without_a_token_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="bearer token"):
        signing.sign(endpoints.fetch_balance().request, Auth(DOC), TIMESTAMP)


@pytest.mark.parametrize("grant", list(Grant))
def test_permissions_login_is_completed_from_the_credentials(grant: Grant) -> None:
    request = endpoints.key_permissions(grant=grant).request
    assert request.signed and "client_id" not in request.body["params"]
    params = json.loads(signing.sign(request, Auth(DOC), TIMESTAMP).body)["params"]
    assert params["client_id"] == CLIENT_ID and params["grant_type"] == grant.value
    if grant is Grant.CLIENT_CREDENTIALS:
        assert params["client_secret"] == CLIENT_SECRET
    else:
        payload = f"{CLIENT_ID}\n{TIMESTAMP}\n{params['nonce']}\n".encode()
        assert params["signature"] == hmac.new(CLIENT_SECRET.encode(), payload,
                                               hashlib.sha256).hexdigest()
        assert "client_secret" not in params


def test_grant_comes_from_the_environment_when_called() -> None:
    assert signing.grant_from_env({}) is Grant.CLIENT_CREDENTIALS
    assert signing.grant_from_env({GRANT_ENV: " Client_Signature "}) is Grant.CLIENT_SIGNATURE
    with pytest.raises(ConfigurationError, match=GRANT_ENV):
        signing.grant_from_env({GRANT_ENV: "password"})


def test_login_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(GRANT_ENV, "client_signature")
    request = endpoints.login(DOC).request
    assert request.signed and request.body["params"]["grant_type"] == "client_signature"
    assert len(request.body["params"]["nonce"]) == 16
    assert "client_secret" not in request.body["params"]


def test_simulator_verifier_accepts_the_vector_and_nothing_else() -> None:
    """The simulator's own verifier (written apart from signing.py) agrees on the vector."""
    sim = OrangeXSimulator(credentials=DOC)
    sim.faults.skew_ms = TIMESTAMP - int(time.time() * 1000)  # the venue's clock at the vector
    params = {"grant_type": "client_signature", "client_id": CLIENT_ID,
              "timestamp": str(TIMESTAMP), "nonce": "abcd", "signature": WITH_NONCE}
    sim.verify_signature(params)
    sim.verify_signature({**params, "nonce": "", "signature": EMPTY_NONCE})
    with pytest.raises(SimReject) as info:
        sim.verify_signature({**params, "nonce": "abce"})
    assert info.value.kind is ErrorKind.SIGNATURE
    sim.faults.skew_ms += 60_000
    with pytest.raises(SimReject) as stale:
        sim.verify_signature(params)
    assert stale.value.kind is ErrorKind.TIMESTAMP
