"""Every row of the retCode table, the HTTP-only failures, unknown codes and odd bodies."""

from __future__ import annotations

import json
from typing import Any

import pytest
from venuekit import errors as e
from venuekit.wire import Response
from venuekit_bybit.errors import ERRORS, HTTP_ERRORS, IP_BAN_S, parse_error
from venuekit_bybit.plugin import parse_error as parse_error_hook


def envelope_response(code: Any, message: str = "boom", *, status: int = 200,
                      headers: dict[str, str] | None = None,
                      time: int | None = 1672738134000) -> Response:
    payload: dict[str, Any] = {"retCode": code, "retMsg": message, "result": {},
                               "retExtInfo": {}}
    if time is not None:
        payload["time"] = time
    return Response(exchange="bybit", status=status, headers=headers or {},
                    body=json.dumps(payload).encode())


#: Every code bybit.md lists, with the class the brief and the venue's docs call for.
DOCUMENTED: dict[int, type[e.VenueError]] = {
    10003: e.AuthenticationError, 33004: e.AuthenticationError, -2015: e.AuthenticationError,
    10010: e.PermissionDenied, 10004: e.InvalidSignature, 10002: e.InvalidTimestamp,
    -1: e.InvalidTimestamp, 10005: e.PermissionDenied, 10006: e.RateLimitExceeded,
    10018: e.RateLimitExceeded, 429: e.ExchangeUnavailable,
    110004: e.InsufficientFunds, 110007: e.InsufficientFunds, 110012: e.InsufficientFunds,
    110044: e.InsufficientFunds, 110045: e.InsufficientFunds,
    10001: e.InvalidOrder, 110017: e.InvalidOrder, 110003: e.InvalidOrder,
    110108: e.InvalidOrder, 110120: e.InvalidOrder, 110121: e.InvalidOrder,
    110094: e.BelowMinimum, 110001: e.OrderNotFound, 110008: e.OrderNotFound,
    110010: e.OrderNotFound, 110072: e.DuplicateOrder, 10014: e.DuplicateOrder,
    110079: e.ExchangeUnavailable, 10000: e.ExchangeUnavailable, 10016: e.ExchangeUnavailable,
    10017: e.ExchangeError, 10009: e.PermissionDenied, 110020: e.InvalidOrder,
}


def test_every_documented_code_is_in_the_table() -> None:
    for code, cls in DOCUMENTED.items():
        assert ERRORS.get(code) is cls, code


@pytest.mark.parametrize(("code", "cls"), sorted(ERRORS.items()), ids=str)
def test_each_table_row(code: int, cls: type[e.VenueError]) -> None:
    error = parse_error(envelope_response(code, f"message {code}"))
    assert type(error) is cls
    assert error.code == str(code)
    assert error.venue_message == f"message {code}"
    assert f"message {code}" in str(error)


@pytest.mark.parametrize("code", [110079, 10000, 10016, 429])
def test_unknown_state_codes_are_ambiguous_and_retryable(code: int) -> None:
    error = parse_error(envelope_response(code))
    assert error is not None and error.ambiguous and error.retryable


def test_unknown_code_keeps_code_and_message() -> None:
    error = parse_error(envelope_response(987654, "mystery"))
    assert type(error) is e.ExchangeError
    assert error.code == "987654" and "mystery" in str(error)


def test_code_sent_as_a_string_is_still_mapped() -> None:
    assert type(parse_error(envelope_response("110007"))) is e.InsufficientFunds


@pytest.mark.parametrize("message", ["OK", "success", "SUCCESS", ""])
def test_success_is_none(message: str) -> None:
    assert parse_error(envelope_response(0, message)) is None


def test_rate_limit_waits_until_bybits_reset_timestamp() -> None:
    headers = {"X-Bapi-Limit": "10", "X-Bapi-Limit-Status": "0",
               "X-Bapi-Limit-Reset-Timestamp": "1672738135250"}
    error = parse_error(envelope_response(10006, "Too many visits!", headers=headers))
    assert isinstance(error, e.RateLimitExceeded)
    assert error.retry_after == pytest.approx(1.25)


def test_rate_limit_leaves_retry_after_to_core_when_the_header_is_there() -> None:
    headers = {"Retry-After": "3", "X-Bapi-Limit-Reset-Timestamp": "1672738135250"}
    error = parse_error(envelope_response(10006, headers=headers))
    assert isinstance(error, e.RateLimitExceeded) and error.retry_after is None


def test_rate_limit_without_reset_information() -> None:
    error = parse_error(envelope_response(10006, time=None))
    assert isinstance(error, e.RateLimitExceeded) and error.retry_after is None
    stale = {"X-Bapi-Limit-Reset-Timestamp": "1672738133000"}  # already past
    error = parse_error(envelope_response(10006, headers=stale))
    assert error is not None and error.retry_after is None


def test_10009_is_a_region_restriction_not_an_ip_ban() -> None:
    # Bybit V5 Error Codes, UTA table (https://bybit-exchange.github.io/docs/v5/error,
    # bybit-exchange/docs docs/v5/error.mdx @ 072c197): "10009 | Service Restricted: Access
    # is currently unavailable for your region. Please contact our support team". The IP
    # ban is only HTTP 403 "access too frequent" (Rate Limit Rules); waiting 10 minutes and
    # retrying cannot lift a region restriction.
    error = parse_error(envelope_response(
        10009, "Service Restricted: Access is currently unavailable for your region."))
    assert type(error) is e.PermissionDenied
    assert not error.retryable and error.retry_after is None


def test_500_active_orders_cap_is_an_invalid_order() -> None:
    # Error Codes (docs/v5/error.mdx): "110020 | Not allowed to have more than 500 active
    # orders."; Place Order: 500 active orders per symbol for perpetuals.
    error = parse_error(envelope_response(110020, "Not allowed to have more than 500 "
                                                  "active orders."))
    assert type(error) is e.InvalidOrder and not error.retryable


def test_envelope_ip_ban_constant_is_ten_minutes() -> None:
    assert IP_BAN_S == 600.0  # Rate Limit Rules: "wait for at least 10 minutes"


def test_http_403_is_an_ip_ban() -> None:
    error = parse_error(Response(exchange="bybit", status=403, headers={},
                                 body=b"access too frequent"))
    assert type(error) is e.IPBanned
    assert error.retry_after == 600.0 and error.status == 403
    assert "access too frequent" in str(error)


@pytest.mark.parametrize(("status", "cls"), sorted(HTTP_ERRORS.items()))
def test_http_only_failures(status: int, cls: type[e.VenueError]) -> None:
    error = parse_error(Response(exchange="bybit", status=status, headers={},
                                 body=b"<html><body>nope</body></html>"))
    assert type(error) is cls and error.status == status


@pytest.mark.parametrize(("status", "body"), [
    (200, b"not json at all"), (200, b""), (502, b"<html>Bad Gateway</html>"),
    (404, b"404 page not found"), (500, b'{"unexpected": true}'), (200, b"[1, 2]"),
])
def test_bodies_without_an_envelope_are_left_to_core(status: int, body: bytes) -> None:
    assert parse_error(Response(exchange="bybit", status=status, headers={}, body=body)) is None


def test_envelope_wins_over_the_http_status() -> None:
    error = parse_error(envelope_response(10003, "API key is invalid.", status=401))
    assert type(error) is e.AuthenticationError and error.code == "10003"


def test_the_hook_delegates() -> None:
    assert type(parse_error_hook(envelope_response(110001))) is e.OrderNotFound
