"""Every row of the error tables, unknown codes, and HTTP statuses without an envelope."""

from __future__ import annotations

import json

import pytest
from venuekit import errors as e
from venuekit.wire import Response
from venuekit_bingx import plugin
from venuekit_bingx.errors import ERRORS, FIREWALL_BAN_S, HTTP_STATUS, parse_error


def answer(body: str | dict[str, object], status: int = 200,
           headers: dict[str, str] | None = None) -> Response:
    raw = json.dumps(body) if isinstance(body, dict) else body
    return Response(exchange="bingx", status=status, headers=headers or {}, body=raw.encode())


@pytest.mark.parametrize(("code", "cls"), sorted(ERRORS.items()), ids=str)
def test_each_code_maps_to_its_class(code: int, cls: type[e.VenueError]) -> None:
    error = plugin.parse_error(response=answer({"code": code, "msg": f"text {code}",
                                                "data": {}}))
    assert type(error) is cls
    assert error.code == str(code)
    assert error.venue_message == f"text {code}"


def test_the_table_holds_every_code_of_the_facts_file() -> None:
    # shared/exchanges/bingx.md section 5, every code listed there
    listed = {109429, 100410, 100413, 100419, 100004, 100001, 100412, 100421, 101204, 80014,
              100400, 109400, 110400, 101211, 101460, 101400, 110425, 109421, 80016, 80018,
              101481, 101209, 109201, 80012, 100500, 101500, 109500, 80001, 80013, 80017,
              80020, 101212, 101215, 101515}
    assert listed <= set(ERRORS)


def test_unknown_code_keeps_code_and_message() -> None:
    error = parse_error(answer({"code": 123456, "msg": "something new", "data": {}}))
    assert type(error) is e.ExchangeError
    assert error.code == "123456"
    assert "something new" in str(error)


def test_code_as_string_is_read() -> None:
    assert type(parse_error(answer({"code": "100001", "msg": "x"}))) is e.InvalidSignature


def test_success_is_none() -> None:
    assert parse_error(answer({"code": 0, "msg": "", "data": {"serverTime": 1}})) is None


def test_non_json_success_body_is_left_to_the_parser() -> None:
    assert parse_error(answer("<html>hello</html>")) is None


def test_80012_with_margin_text_is_insufficient_funds() -> None:
    # ccxt documents the venue reusing 80012 for "margin is not enough"
    error = parse_error(answer({"code": 80012, "msg": "margin is not enough", "data": {}}))
    assert type(error) is e.InsufficientFunds
    busy = parse_error(answer({"code": 80012, "msg": "The current system is busy"}))
    assert type(busy) is e.ExchangeUnavailable


def test_unknown_state_codes_are_ambiguous_and_rejections_are_not() -> None:
    rpc_timeout = parse_error(answer({"code": 101500, "msg": "rpc timeout"}))
    assert rpc_timeout is not None and rpc_timeout.ambiguous and rpc_timeout.retryable
    for code in (101204, 101400, 101481, 109400):
        refused = parse_error(answer({"code": code, "msg": ""}))
        assert refused is not None and not refused.ambiguous and not refused.retryable


def test_rate_limit_codes_are_retryable_non_executions() -> None:
    for code in (109429, 100410):
        error = parse_error(answer({"code": code, "msg": "rate limited"}))
        assert isinstance(error, e.RateLimitExceeded) and error.retryable
        assert not error.ambiguous


# ---------------------------------------------------------------- HTTP statuses


@pytest.mark.parametrize(("status", "cls"), sorted(HTTP_STATUS.items()), ids=str)
def test_each_status_without_envelope(status: int, cls: type[e.VenueError]) -> None:
    error = parse_error(answer("<html><body>blocked</body></html>", status=status))
    assert type(error) is cls
    assert error.status == status


def test_418_wins_over_any_body() -> None:
    error = parse_error(answer({"code": 0, "msg": ""}, status=418))
    assert type(error) is e.IPBanned


def test_403_firewall_page_blocks_for_five_minutes() -> None:
    error = parse_error(answer("<html>Access denied</html>", status=403))
    assert isinstance(error, e.IPBanned) and error.retry_after == FIREWALL_BAN_S


def test_504_is_unknown_state() -> None:
    error = parse_error(answer("", status=504))
    assert isinstance(error, e.ExchangeUnavailable) and error.ambiguous


def test_envelope_decides_over_status() -> None:
    error = parse_error(answer({"code": 109429, "msg": "too many"}, status=429))
    assert type(error) is e.RateLimitExceeded and error.code == "109429"
    denied = parse_error(answer({"code": 100004, "msg": "no permission"}, status=403))
    assert type(denied) is e.PermissionDenied


@pytest.mark.parametrize("status", [400, 401, 404, 500, 502, 503])
def test_other_statuses_are_left_to_the_core(status: int) -> None:
    assert parse_error(answer("<html>oops</html>", status=status)) is None


def test_truncated_json_with_error_status_maps_by_status() -> None:
    error = parse_error(answer('{"code": 1094', status=429))
    assert type(error) is e.RateLimitExceeded


def test_envelope_with_non_numeric_code_is_a_bad_response() -> None:
    assert type(parse_error(answer({"code": "oops", "msg": ""}))) is e.BadResponse
