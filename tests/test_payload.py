"""The payload readers: one behaviour for "", "0", null and missing fields, on every venue."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from venuekit.errors import BadResponse
from venuekit.payload import Reader, json_object
from venuekit.wire import Response

BODY = (b'{"data": [{"px": "12.50", "zero": "0", "blank": "", "null": null, "n": 7,'
        b' "f": 1.25, "bad": "abc", "flag": true, "sflag": "FALSE", "ts": "1700000000000",'
        b' "its": 1700000000000, "t0": "0", "id": 12345, "name": "x", "state": "live",'
        b' "yes": "yes", "inf": "Infinity", "neg": "-3"}], "obj": {"list": [1]}}')


def reader() -> Reader:
    return Reader.of(Response(exchange="okx", status=200, headers={}, body=BODY)).at("data", 0)


def test_a_reader_over_a_response_names_its_path_and_venue() -> None:
    row = reader()
    assert row.path == "$.data[0]"
    with pytest.raises(BadResponse) as caught:
        row.decimal("bad")
    assert caught.value.exchange == "okx"
    assert caught.value.status == 200
    assert "bad: invalid decimal 'abc' @ $.data[0].bad" in str(caught.value)


@pytest.mark.parametrize(("key", "expected"), [
    ("px", Decimal("12.50")), ("zero", Decimal(0)), ("n", Decimal(7)), ("f", Decimal("1.25")),
    ("neg", Decimal(-3)),
])
def test_decimal_reads_numbers_and_numeric_strings(key: str, expected: Decimal) -> None:
    assert reader().decimal(key) == expected


@pytest.mark.parametrize(("key", "why"), [
    ("blank", "missing"), ("null", "missing"), ("absent", "missing"),
    ("bad", "invalid decimal"), ("flag", "invalid decimal"), ("inf", "invalid decimal"),
])
def test_a_required_decimal_refuses_blank_missing_and_malformed(key: str, why: str) -> None:
    with pytest.raises(BadResponse, match=f"{key}: {why}"):
        reader().decimal(key)


@pytest.mark.parametrize(("key", "expected"), [
    ("blank", None), ("null", None), ("absent", None), ("zero", Decimal(0)),
    ("px", Decimal("12.50")),
])
def test_optional_decimal_is_none_only_when_the_venue_leaves_it_out(
        key: str, expected: Decimal | None) -> None:
    assert reader().optional_decimal(key) == expected


@pytest.mark.parametrize("key", ["blank", "null", "absent"])
def test_a_decimal_with_a_default_stands_in_for_what_the_venue_leaves_out(key: str) -> None:
    assert reader().decimal(key, default=Decimal(0)) == Decimal(0)
    assert reader().decimal("zero", default=Decimal(5)) == Decimal(0)
    with pytest.raises(BadResponse, match="invalid decimal"):
        reader().decimal("bad", default=Decimal(0))


def test_optional_decimal_still_refuses_garbage() -> None:
    with pytest.raises(BadResponse, match="invalid decimal 'abc'"):
        reader().optional_decimal("bad")


@pytest.mark.parametrize(("key", "expected"), [
    ("zero", None), ("blank", None), ("absent", None), ("px", Decimal("12.50")),
])
def test_nonzero_decimal_reads_zero_as_does_not_apply(key: str,
                                                      expected: Decimal | None) -> None:
    assert reader().nonzero_decimal(key) == expected


def test_milliseconds_as_int_and_as_aware_utc_datetime() -> None:
    row = reader()
    at = datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert row.ms("ts") == row.ms("its") == 1_700_000_000_000
    assert row.ms("t0") == 0
    assert row.timestamp("ts") == row.optional_timestamp("its") == at
    assert row.timestamp("ts").tzinfo is UTC


@pytest.mark.parametrize("key", ["t0", "blank", "null", "absent", "zero"])
def test_an_optional_time_of_zero_or_blank_is_not_set(key: str) -> None:
    assert reader().optional_timestamp(key) is None
    assert reader().optional_ms(key) is None


@pytest.mark.parametrize(("key", "why"), [
    ("blank", "missing"), ("absent", "missing"), ("bad", "invalid integer"),
    ("f", "invalid integer"), ("flag", "invalid integer"),
])
def test_ms_and_int_refuse_what_is_not_a_whole_number(key: str, why: str) -> None:
    with pytest.raises(BadResponse, match=f"{key}: {why}"):
        reader().ms(key)


def test_a_required_timestamp_refuses_zero() -> None:
    with pytest.raises(BadResponse, match=r"t0: missing @ \$.data\[0\].t0"):
        reader().timestamp("t0")


def test_int_reads_signed_digit_strings() -> None:
    assert reader().integer("neg") == -3
    assert reader().integer("n") == 7


def test_text_reads_strings_and_integer_ids() -> None:
    row = reader()
    assert row.text("name") == "x"
    assert row.text("id") == "12345"
    assert row.text("zero") == "0"
    assert row.optional_text("blank") is None
    assert row.optional_text("null") is None
    assert row.optional_text("absent") is None
    assert row.optional_text("name") == "x"


@pytest.mark.parametrize(("key", "why"), [
    ("blank", "missing"), ("null", "missing"), ("absent", "missing"), ("flag", "invalid text"),
    ("f", "invalid text"),
])
def test_text_refuses_blank_and_non_strings(key: str, why: str) -> None:
    with pytest.raises(BadResponse, match=f"{key}: {why}"):
        reader().text(key)


def test_bool_reads_json_and_string_booleans_with_a_default_for_absent() -> None:
    row = reader()
    assert row.boolean("flag") is True
    assert row.boolean("sflag") is False
    assert row.boolean("absent", default=False) is False
    assert row.boolean("null", default=True) is True
    for key in ("absent", "yes", "blank", "n"):
        with pytest.raises(BadResponse, match=key):
            row.boolean(key)


def test_choice_maps_venue_strings_and_names_unknown_ones() -> None:
    table = {"live": "open"}
    assert reader().choice("state", table) == "open"
    with pytest.raises(BadResponse, match=r"name: unknown value 'x' @ \$.data\[0\].name"):
        reader().choice("name", table)
    with pytest.raises(BadResponse, match="absent: missing"):
        reader().choice("absent", table)


def test_nesting_reports_the_path_of_what_is_missing() -> None:
    top = Reader({"data": [{"a": {}}]}, exchange="bybit")
    assert top.at("data", 0, "a").path == "$.data[0].a"
    with pytest.raises(BadResponse, match=r"b: missing @ \$.data\[0\].a.b") as caught:
        top.at("data", 0, "a", "b")
    assert caught.value.exchange == "bybit"
    with pytest.raises(BadResponse, match=r"5: missing @ \$.data\[5\]"):
        top.at("data", 5)
    assert top.optional_at("nothing") is None


def test_rows_wrap_each_object_of_an_array_with_its_index() -> None:
    top = Reader({"list": [{"x": "1"}, {"x": "2"}], "mixed": [{}, 3]}, exchange="bingx")
    assert [row.decimal("x") for row in top.rows("list")] == [Decimal(1), Decimal(2)]
    assert [row.path for row in top.at("list")] == ["$.list[0]", "$.list[1]"]
    with pytest.raises(BadResponse, match=r"1: not an object: 3 @ \$.mixed\[1\]"):
        top.rows("mixed")
    with pytest.raises(BadResponse, match=r"not an array @ \$"):
        top.rows()


def test_get_and_has_never_raise() -> None:
    row = reader()
    assert row.get("absent") is None
    assert Reader("scalar", exchange="x").get("k") is None
    assert Reader([1], exchange="x").get(3) is None
    assert row.has("px") and not row.has("blank") and not row.has("null")


def test_a_non_json_body_is_bad_response_before_any_reader() -> None:
    with pytest.raises(BadResponse, match="HTML page"):
        Reader.of(Response(exchange="okx", status=502, headers={},
                           body=b"<html>bad gateway</html>"))


@pytest.mark.parametrize("body", [b"", b"<html>502</html>", b"[1, 2]", b'{"code": 1', b"  "])
def test_json_object_is_none_for_any_body_that_is_not_a_json_object(body: bytes) -> None:
    assert json_object(Response(exchange="okx", status=502, headers={}, body=body)) is None


def test_json_object_reads_an_error_envelope() -> None:
    response = Response(exchange="okx", status=400, headers={}, body=b' {"code": "51000"}')
    assert json_object(response) == {"code": "51000"}
