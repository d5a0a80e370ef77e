"""The request-side decimal formatter and usage-from-remaining headers."""

from __future__ import annotations

from decimal import Decimal

import pytest
from multidict import CIMultiDict, CIMultiDictProxy
from venuekit.decimals import decimal_places, format_decimal, plain_decimal
from venuekit.models import Usage
from venuekit.usage import header_int, usage_from_headers, usage_from_remaining
from venuekit.wire import Response


@pytest.mark.parametrize(("value", "written"), [
    ("1.50", "1.5"), ("1E+2", "100"), ("1E-7", "0.0000001"), ("0.000", "0"), ("-0", "0"),
    ("50000.0", "50000"), ("-1.2300", "-1.23"), ("123456789.123456789", "123456789.123456789"),
])
def test_format_decimal_writes_plain_notation_without_trailing_zeros(value: str,
                                                                    written: str) -> None:
    assert format_decimal(Decimal(value)) == written


def test_plain_decimal_keeps_the_value_and_drops_the_exponent() -> None:
    assert str(plain_decimal(Decimal("1E+1"))) == "10"
    assert plain_decimal(Decimal("2.500")) == Decimal("2.5")


@pytest.mark.parametrize(("step", "places"), [
    ("0.010", 2), ("0.1", 1), ("1", 0), ("10", 0), ("1E+1", 0), ("0.00000001", 8),
])
def test_decimal_places_counts_digits_after_the_point(step: str, places: int) -> None:
    assert decimal_places(Decimal(step)) == places


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
def test_format_decimal_refuses_what_no_venue_reads(value: str) -> None:
    with pytest.raises(ValueError, match="cannot write"):
        format_decimal(Decimal(value))


def test_header_int_is_case_insensitive_and_none_for_garbage() -> None:
    response = Response(exchange="bybit", status=200,
                        headers={"X-Bapi-Limit": " 10 ", "X-Bad": "ten"}, body=b"{}")
    assert header_int(response, "x-bapi-limit") == 10
    assert header_int(response, "X-Bad") is None
    assert header_int(response, "X-Absent") is None


@pytest.mark.parametrize(("limit", "remaining", "expected"), [
    (10, 7, [Usage("r", 3)]), (10, 0, [Usage("r", 10)]), (10, 10, [Usage("r", 0)]),
    (None, 3, []), (10, None, []), (0, 0, []), (10, -1, []), (10, 11, []),
])
def test_usage_is_limit_minus_remaining_or_nothing(limit: int | None, remaining: int | None,
                                                   expected: list[Usage]) -> None:
    assert usage_from_remaining("r", limit=limit, remaining=remaining) == expected


TABLE = (("X-Used-Weight", "ip"), ("X-Order-Count-10s", "orders_10s"),
         ("X-Order-Count-1m", "orders_1m"))


@pytest.mark.parametrize("case_insensitive", [True, False])
def test_usage_from_headers_reads_each_whole_count_and_skips_the_rest(
        case_insensitive: bool) -> None:
    raw = {"x-used-weight": "37", "X-ORDER-COUNT-10S": " 4 ", "x-order-count-1m": "-1"}
    headers = CIMultiDictProxy(CIMultiDict(raw)) if case_insensitive else raw
    answer = Response(exchange="acme", status=200, headers=headers, body=b"")
    # spaces around a count are read as header_int reads them; a negative count is no usage
    assert usage_from_headers(answer, TABLE) == [Usage("ip", 37), Usage("orders_10s", 4)]


@pytest.mark.parametrize("value", ["", "3.5", "1e3", "abc", "²", "-0"])
def test_usage_from_headers_agrees_with_header_int(value: str) -> None:
    answer = Response(exchange="acme", status=200,
                      headers=CIMultiDictProxy(CIMultiDict({"X-Used-Weight": value})), body=b"")
    expected = header_int(answer, "X-Used-Weight")
    got = usage_from_headers(answer, TABLE[:1])
    assert got == ([Usage("ip", expected)] if expected is not None and expected >= 0 else [])
