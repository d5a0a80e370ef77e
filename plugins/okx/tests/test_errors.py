"""One test per row of the OKX error table, in both of OKX's error shapes, plus the edges."""

from __future__ import annotations

from typing import Any

import pytest
from okx_helpers import envelope, response
from venuekit import errors as e
from venuekit_okx import plugin
from venuekit_okx.errors import ERRORS, HTTP_STATUS, ITEM_CODES, parse_error

ROWS = sorted(ERRORS.items())


@pytest.mark.parametrize(("code", "cls"), ROWS, ids=[code for code, _ in ROWS])
def test_top_level_code(code: str, cls: type[e.VenueError]) -> None:
    status = HTTP_STATUS.get(code, 200)
    error = parse_error(response(envelope([], code=code, msg=f"msg {code}"), status=status))
    assert type(error) is cls
    assert error.code == code
    assert error.venue_message == f"msg {code}"


@pytest.mark.parametrize(("code", "cls"), ROWS, ids=[code for code, _ in ROWS])
def test_per_item_scode(code: str, cls: type[e.VenueError]) -> None:
    """Place / cancel: top-level "1", the reason in data[0].sCode (OK-OV General Info)."""
    payload = envelope([{"clOrdId": "vk1", "ordId": "", "sCode": code, "sMsg": f"item {code}",
                         "tag": ""}], code="1", msg="Operation failed.")
    error = parse_error(response(payload))
    assert type(error) is cls
    assert error.code == code
    assert "item" in str(error)


def test_unknown_code_keeps_code_and_message() -> None:
    error = parse_error(response(envelope([], code="59999", msg="Something new")))
    assert type(error) is e.ExchangeError
    assert error.code == "59999"
    assert "Something new" in str(error)


def test_unknown_item_code_keeps_code_and_message() -> None:
    payload = envelope([{"sCode": "51999", "sMsg": "brand new reason"}], code="1")
    error = parse_error(response(payload))
    assert type(error) is e.ExchangeError
    assert (error.code, error.venue_message) == ("51999", "brand new reason")


def test_operation_failed_without_items() -> None:
    error = parse_error(response(envelope([], code="1", msg="Operation failed.")))
    assert type(error) is e.ExchangeError and error.code == "1"


def test_success_is_none() -> None:
    assert parse_error(response(envelope([{"ts": "1"}]))) is None
    ok_item = envelope([{"ordId": "1", "sCode": "0", "sMsg": "Order placed"}])
    assert parse_error(response(ok_item)) is None


def test_failed_item_under_code_zero_is_still_an_error() -> None:
    payload = envelope([{"ordId": "", "sCode": "51008", "sMsg": "Insufficient USDT margin"}])
    assert type(parse_error(response(payload))) is e.InsufficientFunds


@pytest.mark.parametrize("body", [b"", b"<html><body>502 Bad Gateway</body></html>",
                                  b"upstream connect error", b"[1, 2]", b'{"no": "code"}'])
def test_non_okx_bodies_leave_the_status_to_the_core(body: bytes) -> None:
    assert parse_error(response(body, status=502)) is None


def test_hook_delegates() -> None:
    error = plugin.parse_error(response=response(envelope([], code="50113", msg="Invalid sign"),
                                                 status=401))
    assert isinstance(error, e.InvalidSignature)


def test_ambiguous_and_busy_codes_are_retryable_network_errors() -> None:
    for code in ("50004", "50001", "50026", "51149"):
        error = parse_error(response(envelope([], code=code)))
        assert error is not None and error.retryable and error.ambiguous, code


def test_systems_busy_50013_is_a_rate_limit_not_an_ambiguous_failure() -> None:
    # OKX error table (https://www.okx.com/docs-v5/en/#error-code-rest-api-public):
    # 50013, HTTP 429, "Systems are busy. Please try again later." okx.md section 5 lists it
    # with the rate-limit codes and section 7 says 50011/50061/50013 are non-executions,
    # safe to retry after a backoff: no order lookup is needed.
    error = parse_error(response(envelope([], code="50013",
                                          msg="Systems are busy. Please try again later."),
                                 status=429))
    assert type(error) is e.RateLimitExceeded
    assert error.retryable and not error.ambiguous


def test_order_expiry_codes_are_safe_to_resend() -> None:
    # an order refused for arriving after its expTime was never executed
    for code in ("50036", "50037"):
        error = parse_error(response(envelope([{"sCode": code, "sMsg": "Order expired."}],
                                              code="1")))
        assert isinstance(error, e.InvalidTimestamp), code


def test_item_codes_are_known_rows() -> None:
    assert set(ERRORS) >= ITEM_CODES
    assert {"51603", "51400", "51016", "51008", "51020"} <= ITEM_CODES


def test_every_code_in_okx_md_is_a_row() -> None:
    listed: dict[str, Any] = {
        "50011": e.RateLimitExceeded, "50061": e.RateLimitExceeded, "50040": None,
        "50013": e.RateLimitExceeded, "50110": e.PermissionDenied, "50121": e.PermissionDenied,
        "50111": e.AuthenticationError, "50101": None, "50100": None, "50103": None,
        "50104": e.AuthenticationError, "50105": e.AuthenticationError,
        "50113": e.InvalidSignature, "50106": e.InvalidSignature,
        "50102": e.InvalidTimestamp, "50112": e.InvalidTimestamp, "50107": e.InvalidTimestamp,
        "51008": e.InsufficientFunds, "51127": e.InsufficientFunds, "51131": e.InsufficientFunds,
        "51119": e.InsufficientFunds, "51121": e.InvalidOrder, "51000": e.InvalidOrder,
        "51006": e.InvalidOrder, "51137": e.InvalidOrder, "51138": e.InvalidOrder,
        "51020": e.BelowMinimum, "50122": e.BelowMinimum, "51603": e.OrderNotFound,
        "51400": e.OrderNotFound, "51016": e.DuplicateOrder, "51011": e.DuplicateOrder,
        "50001": e.ExchangeUnavailable, "50026": e.ExchangeUnavailable,
        "50004": e.ExchangeUnavailable, "50005": None,
    }
    for code, cls in listed.items():
        assert code in ERRORS, code
        if cls is not None:
            assert ERRORS[code] is cls, code
