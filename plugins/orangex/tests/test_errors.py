"""Every row of the error table, the unknown code, and the context-dependent 10000."""

from __future__ import annotations

from typing import Any

import pytest
from venuekit import errors as e
from venuekit.models import Credentials
from venuekit.wire import Response
from venuekit_orangex import endpoints, errors
from venuekit_orangex.signing import Grant

MESSAGES = {  # as the venue words them (OX-AO, OX-DY, OX-DOC)
    1000: "No service found", 1001: "Bad requested", 2033: "Access denied",
    3401: "channel regex not match", 5001: "Instrument does not exist.",
    5221: "Candles are limited to 1500", 8000: "Request params not valid!",
    9902: "json parse error", 9999: "System error, please try again later",
    10000: "Authentication Failure",
}
CREDS = Credentials(api_key="client-id-0001", api_secret="client-secret-0001")


def test_every_observed_code_is_in_the_table() -> None:
    assert set(errors.ERRORS) == set(MESSAGES)


@pytest.mark.parametrize(("code", "cls"), sorted(errors.ERRORS.items()))
def test_code_maps_to_its_class(reply: Any, code: int, cls: type[e.VenueError]) -> None:
    error = errors.parse_error(reply(error={"code": code, "message": MESSAGES[code],
                                            "data": {}}))
    assert type(error) is cls
    assert error.code == str(code)
    assert error.exchange == "orangex"
    assert error.venue_message == MESSAGES[code]
    assert MESSAGES[code] in str(error)


def test_unknown_code_keeps_code_and_message(reply: Any) -> None:
    error = errors.parse_error(reply(error={"code": 5002, "message": "Order does not exist."}))
    assert type(error) is e.ExchangeError
    assert error.code == "5002" and "Order does not exist." in str(error)


def test_code_sent_as_a_string_still_maps(reply: Any) -> None:
    error = errors.parse_error(reply(error={"code": "5001", "message": "x"}))
    assert type(error) is e.UnknownSymbol


def test_error_without_a_code_is_a_plain_exchange_error(reply: Any) -> None:
    error = errors.parse_error(reply(error={"message": "odd"}))
    assert type(error) is e.ExchangeError and error.code is None


def test_error_that_is_not_an_object(reply: Any) -> None:
    error = errors.parse_error(reply(error="boom"))
    assert type(error) is e.ExchangeError and "boom" in str(error)


def test_auth_failure_on_a_private_call_is_an_expired_token(reply: Any) -> None:
    error = errors.parse_error(reply(endpoints.fetch_balance(),
                                     error={"code": 10000, "message": MESSAGES[10000]}))
    assert type(error) is e.TokenExpired and error.retryable


@pytest.mark.parametrize(("grant", "cls"), [(Grant.CLIENT_CREDENTIALS, e.AuthenticationError),
                                            (Grant.CLIENT_SIGNATURE, e.InvalidSignature)])
def test_auth_failure_at_login_is_a_refused_key(reply: Any, grant: Grant,
                                                cls: type[e.VenueError]) -> None:
    call = endpoints.login(CREDS, grant=grant)
    error = errors.parse_error(reply(call, error={"code": 10000, "message": MESSAGES[10000]}))
    assert type(error) is cls and not error.retryable
    assert error.code == "10000"


def test_success_is_not_an_error(reply: Any) -> None:
    assert errors.parse_error(reply(result={})) is None
    assert errors.parse_error(reply(result=None)) is None


@pytest.mark.parametrize(("status", "body"), [
    (200, b""), (200, b"OK"), (502, b"<html>Bad Gateway</html>"), (429, b"Too Many Requests"),
    (503, b'{"error":{"code":9999,"message":"System error"}}'),
])
def test_statuses_and_non_json_bodies_are_left_to_the_core(status: int, body: bytes) -> None:
    response = Response(exchange="orangex", status=status, headers={}, body=body)
    assert errors.parse_error(response) is None


def test_truncated_json_is_a_bad_response() -> None:
    response = Response(exchange="orangex", status=200, headers={}, body=b'{"error":{"co')
    with pytest.raises(e.BadResponse):
        errors.parse_error(response)
