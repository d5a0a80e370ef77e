"""The error table, one row per code, and the HTTP-status rules around it."""

from __future__ import annotations

import json

import pytest
from venuekit import errors as e
from venuekit.wire import Response
from venuekit_binance.errors import ERRORS, parse_error


def envelope(code: object, msg: str = "message", status: int = 400,
             headers: dict[str, str] | None = None) -> Response:
    return Response(exchange="binance", status=status, headers=headers or {},
                    body=json.dumps({"code": code, "msg": msg}).encode())


@pytest.mark.parametrize("code, cls", sorted(ERRORS.items()), ids=[str(c) for c in sorted(ERRORS)])
def test_table_row(code: int, cls: type[e.VenueError]) -> None:
    error = parse_error(envelope(code, f"text of {code}"))
    assert type(error) is cls
    assert error.code == str(code)
    assert error.venue_message == f"text of {code}"


def test_every_code_of_the_venue_file_is_in_the_table() -> None:
    # binance.md section 5 lists these codes; each must have a deliberate class
    listed = {-1003, -1015, -2014, -2015, -1022, -1021, -2019, -2018, -1111, -4003, -4004,
              -4005, -4013, -4014, -4023, -4164, -2013, -2011, -4116, -4015, -1001, -1007,
              -1008, -1016, -2021, -2022, -2025, -5021, -5022}
    assert listed <= set(ERRORS)


@pytest.mark.parametrize("code, cls", [
    (-1021, e.InvalidTimestamp), (-1022, e.InvalidSignature), (-2014, e.AuthenticationError),
    (-2015, e.AuthenticationError), (-1003, e.RateLimitExceeded), (-2019, e.InsufficientFunds),
    (-4164, e.BelowMinimum), (-2013, e.OrderNotFound), (-2011, e.OrderNotFound),
    (-4116, e.DuplicateOrder), (-1007, e.ExchangeUnavailable), (-1121, e.UnknownSymbol),
])
def test_the_rows_the_core_policy_depends_on(code: int, cls: type[e.VenueError]) -> None:
    assert ERRORS[code] is cls


def test_unknown_code_keeps_code_and_message() -> None:
    error = parse_error(envelope(-9999, "something new"))
    assert type(error) is e.ExchangeError
    assert error.code == "-9999"
    assert "something new" in str(error)


def test_unknown_execution_state_codes_are_ambiguous_and_retryable() -> None:
    for code in (-1000, -1006, -1007):
        error = parse_error(envelope(code, status=503))
        assert isinstance(error, e.ExchangeUnavailable)
        assert error.ambiguous and error.retryable


def test_http_418_is_an_ip_ban_with_the_time_left_from_the_message() -> None:
    # Date is the venue's clock: 2023-11-14T22:13:20Z = 1700000000 s; banned 90 s more
    error = parse_error(envelope(
        -1003, "Way too many requests; IP banned until 1700000090000. Please use the "
        "websocket for live updates to avoid bans.", status=418,
        headers={"Date": "Tue, 14 Nov 2023 22:13:20 GMT"}))
    assert type(error) is e.IPBanned
    assert error.retry_after == pytest.approx(90.0)
    assert not error.retryable


def test_http_418_without_a_time_leaves_retry_after_to_the_core() -> None:
    error = parse_error(envelope(-1003, "banned", status=418))
    assert type(error) is e.IPBanned
    assert error.retry_after is None


@pytest.mark.parametrize("status, cls", [(429, e.RateLimitExceeded), (408, e.RequestTimeout),
                                         (503, e.ExchangeUnavailable), (500, e.ExchangeUnavailable),
                                         (400, e.ExchangeError)])
def test_unknown_code_takes_its_class_from_the_http_status(
        status: int, cls: type[e.VenueError]) -> None:
    error = parse_error(envelope(-1234, "Unknown error, please check your request or try "
                                        "again later.", status=status))
    assert type(error) is cls
    assert error.code == "-1234"


@pytest.mark.parametrize("body", [b"", b"<html><body>503 Service Unavailable</body></html>",
                                  b"Service Unavailable.", b"{not json", b"[1, 2]",
                                  b'{"msg": "no code"}'])
def test_bodies_that_are_no_envelope_leave_the_status_to_the_core(body: bytes) -> None:
    response = Response(exchange="binance", status=503, headers={}, body=body)
    assert parse_error(response) is None


@pytest.mark.parametrize("payload", [{"serverTime": 1}, [], {"code": 200, "msg": "success"},
                                     {"orderId": 1, "status": "NEW"}])
def test_successes_are_not_errors(payload: object) -> None:
    response = Response(exchange="binance", status=200, headers={},
                        body=json.dumps(payload).encode())
    assert parse_error(response) is None


def test_an_error_envelope_with_http_200_is_still_an_error() -> None:
    error = parse_error(envelope(-2013, "Order does not exist.", status=200))
    assert type(error) is e.OrderNotFound
