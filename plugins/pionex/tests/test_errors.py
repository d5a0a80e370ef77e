"""One test per row of the Pionex error table, plus the envelope's edge cases."""

from __future__ import annotations

import pytest
from support import pionex_error, response
from venuekit import errors as e
from venuekit_pionex.errors import (
    BAN_SECONDS,
    ERRORS,
    HTTP_STATUS_ERRORS,
    UNOFFICIAL_CODES,
    parse_error,
)

# Every code pionex.md lists, with the class the README promises for it.
EXPECTED = {
    "APIKEY_LOST": e.AuthenticationError,
    "INVALID_APIKEY": e.AuthenticationError,
    "INVALIE_APIKEY": e.AuthenticationError,
    "APIKEY_EXPIRED": e.AuthenticationError,
    "IP_NOT_WHITELISTED": e.PermissionDenied,
    "PERMISSION_DENIED": e.PermissionDenied,
    "SIGNATURE_LOST": e.InvalidSignature,
    "INVALID_SIGNATURE": e.InvalidSignature,
    "INVALID_TIMESTAMP": e.InvalidTimestamp,
    "TRADE_PARAMETER_ERROR": e.InvalidOrder,
    "TRADE_INVALID_SYMBOL": e.UnknownSymbol,
    "TRADE_INVAILD_SYMBOL": e.UnknownSymbol,
    "MARKET_INVALID_SYMBOL": e.UnknownSymbol,
    "MARKET_PARAMETER_ERROR": e.ExchangeError,
    "MARKET_INVALID_TIME": e.ExchangeError,
    "TRADE_OPERATION_DENIED": e.InvalidOrder,
    "TRADE_ORDER_NOT_FOUND": e.OrderNotFound,
    "TRADE_AMOUNT_FILTER_DENIED": e.BelowMinimum,
    # PX-GBR "New Order" (https://pionex-doc.gitbook.io/apidocs/restful/orders/new-order)
    # and PX-GBZ (Chinese copy, also the cancel / cancel-all pages)
    "TRADE_NOT_ENOUGH_MONEY": e.InsufficientFunds,
    "TRADE_PRICE_FILTER_DENIED": e.InvalidOrder,
    "TRADE_SIZE_FILTER_DENIED": e.InvalidOrder,
    "TRADE_REPEAT_CLIENT_ORDER_ID": e.DuplicateOrder,
    "TRADE_OPEN_ORDER_EXCEED_LIMIT": e.InvalidOrder,
    "TRADE_SYMBOL_MAINTAIN": e.ExchangeUnavailable,
}


def test_the_table_is_exactly_the_documented_codes() -> None:
    assert ERRORS == EXPECTED


@pytest.mark.parametrize(("code", "cls"), sorted(ERRORS.items()))
def test_code_maps_to_its_class(code: str, cls: type[e.VenueError]) -> None:
    error = parse_error(pionex_error(code, f"text for {code}"))
    assert type(error) is cls
    assert error.code == code
    assert error.venue_message == f"text for {code}"
    assert (code in UNOFFICIAL_CODES) == ("unofficial" in str(error))


@pytest.mark.parametrize(("code", "cls"), [
    ("TRADE_NOT_ENOUGH_MONEY", e.InsufficientFunds),
    ("TRADE_REPEAT_CLIENT_ORDER_ID", e.DuplicateOrder),
    ("TRADE_PRICE_FILTER_DENIED", e.InvalidOrder),
    ("TRADE_SIZE_FILTER_DENIED", e.InvalidOrder),
    ("TRADE_AMOUNT_FILTER_DENIED", e.BelowMinimum),
    ("TRADE_OPEN_ORDER_EXCEED_LIMIT", e.InvalidOrder),
    ("TRADE_SYMBOL_MAINTAIN", e.ExchangeUnavailable),
])
def test_new_order_page_codes_map_to_their_meaning(code: str, cls: type[e.VenueError]) -> None:
    """The official "New Order" page lists these codes ("Error code:"):
    https://pionex-doc.gitbook.io/apidocs/restful/orders/new-order (PX-GBR); the Chinese copy
    (PX-GBZ, rest-api/ding-dan/xia-dan.md) adds TRADE_SYMBOL_MAINTAIN "symbol under
    maintenance". Insufficient balance and a duplicate client order id were plain
    ExchangeErrors before, which the core's duplicate-resend protocol cannot recognise."""
    error = parse_error(pionex_error(code, "refused"))
    assert type(error) is cls
    assert "unofficial" not in str(error)  # documented on the official page


def test_real_error_body_from_the_field() -> None:
    # Q1 in pionex.md: the body a user actually received
    body = {"result": False, "timestamp": 1702144786335, "code": "INVALID_SIGNATURE",
            "message": "invalid signature"}
    error = parse_error(response(body, status=401))
    assert isinstance(error, e.InvalidSignature)
    assert "invalid signature" in str(error)


def test_unknown_code_keeps_code_and_message() -> None:
    error = parse_error(pionex_error("TRADE_SOMETHING_NEW", "brand new"))
    assert type(error) is e.ExchangeError
    assert error.code == "TRADE_SOMETHING_NEW" and "brand new" in str(error)


def test_unknown_code_on_a_5xx_is_exchange_unavailable() -> None:
    body = {"result": False, "code": "SYSTEM_BUSY", "message": "busy"}
    assert type(parse_error(response(body, status=503))) is e.ExchangeUnavailable


def test_failure_without_code_is_an_exchange_error() -> None:
    error = parse_error(response({"result": False, "message": "nope"}, status=400))
    assert type(error) is e.ExchangeError and error.code is None


def test_bare_429_is_a_sixty_second_ban() -> None:
    assert {429: e.IPBanned} == HTTP_STATUS_ERRORS
    error = parse_error(pionex_error(429, ""))
    assert type(error) is e.IPBanned
    assert not error.retryable
    assert error.retry_after == BAN_SECONDS == 60.0
    assert error.code == "429"


def test_429_with_retry_after_is_a_retryable_rate_limit() -> None:
    error = parse_error(response(b"slow down", status=429, headers={"Retry-After": "2"}))
    assert type(error) is e.RateLimitExceeded
    assert error.retryable
    assert error.retry_after is None  # the core reads the header itself (seconds or date)


def test_429_with_a_json_code_keeps_it() -> None:
    body = {"result": False, "code": "RATE_LIMIT", "message": "too many"}
    error = parse_error(response(body, status=429))
    assert type(error) is e.IPBanned and error.code == "RATE_LIMIT"


@pytest.mark.parametrize(("body", "status"), [
    ({"result": True, "data": {}, "timestamp": 1}, 200),
    ({"result": True, "timestamp": 1}, 200),
    (b"<html>502 Bad Gateway</html>", 502),   # the core maps the status
    (b"", 200),                                # the call's parser reports it
    ([1, 2], 200),
])
def test_success_and_non_envelopes_are_left_alone(body: object, status: int) -> None:
    assert parse_error(response(body, status=status)) is None
