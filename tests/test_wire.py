"""Requests keep their order, bodies are encoded once, bad bodies become BadResponse."""

from __future__ import annotations

import random
from decimal import Decimal
from urllib.parse import quote

import pytest
from multidict import CIMultiDict, CIMultiDictProxy
from venuekit.errors import BadResponse
from venuekit.wire import BodyFormat, Request, Response, SignedRequest, encode_body, encode_query


def test_query_keeps_order_and_drops_none() -> None:
    request = Request(method="get", path="/x", query=[("b", 1), ("a", None), ("c", True)])
    assert request.method == "GET"
    assert request.query == (("b", "1"), ("c", "true"))


def test_path_must_be_absolute() -> None:
    with pytest.raises(ValueError):
        Request(method="GET", path="x")


def test_negative_cost_refused() -> None:
    with pytest.raises(ValueError):
        Request(method="GET", path="/x", cost={"ip": -1})


def test_encode_query_percent_encodes_values() -> None:
    assert encode_query([("s", "a b/c"), ("t", "é")]) == "s=a%20b%2Fc&t=%C3%A9"


@pytest.mark.parametrize(("pairs", "safe", "expected"), [
    ([("symbol", "BTCUSDT"), ("qty", "0.003"), ("id", "vk_a-b.c~d")], "",
     "symbol=BTCUSDT&qty=0.003&id=vk_a-b.c~d"),
    ([("a", "x=y"), ("b&c", "1")], "", "a=x%3Dy&b%26c=1"),  # separators inside are escaped
    ([("list", "a,b"), ("path", "/x")], ",", "list=a,b&path=%2Fx"),
    ([("list", "a,b")], "", "list=a%2Cb"),
    ([("k", "")], "", "k="),
    ([], "", ""),
])
def test_encode_query_plain_and_escaped_values(pairs: list[tuple[str, str]], safe: str,
                                               expected: str) -> None:
    assert encode_query(pairs, safe=safe) == expected
    assert encode_query(iter(pairs), safe=safe) == expected  # any iterable, read once


@pytest.mark.parametrize("safe", ["", ",", "/:", "=&", "é"])
def test_encode_query_matches_quote_on_any_text(safe: str) -> None:
    """The plain-text shortcut never changes the answer: every result equals quoting each
    name and value, over random text mixing plain, reserved and non-ASCII characters."""
    rng = random.Random(f"encode_query {safe}")
    alphabet = "aZ09_.~-=&/:, %+?#é€\t"
    for _ in range(2000):
        pairs = [("".join(rng.choices(alphabet, k=rng.randint(0, 4))),
                  "".join(rng.choices(alphabet, k=rng.randint(0, 6))))
                 for _ in range(rng.randint(1, 4))]
        expected = "&".join(f"{quote(k, safe=safe)}={quote(v, safe=safe)}" for k, v in pairs)
        assert encode_query(pairs, safe=safe) == expected, pairs


def test_encode_body_json_and_form() -> None:
    json_req = Request(method="POST", path="/x", body={"q": Decimal("0.10"), "n": 1})
    assert json_req.body_format is BodyFormat.JSON
    assert encode_body(json_req) == (b'{"q":"0.10","n":1}',
                                     (("Content-Type", "application/json"),))
    form = Request(method="POST", path="/x", body={"a": "1", "b": "x y"},
                   body_format=BodyFormat.FORM)
    assert encode_body(form)[0] == b"a=1&b=x%20y"


def test_describe_redacts_credentials() -> None:
    signed = SignedRequest(method="GET", path="/api",
                           query_string="symbol=BTC&signature=abc&apiKey=k")
    assert signed.describe() == "GET /api?symbol=BTC&signature=<redacted>&apiKey=<redacted>"


@pytest.mark.parametrize(("body", "fragment"), [
    (b"", "empty body"),
    (b"   ", "empty body"),
    (b"<html><body>502 Bad Gateway</body></html>", "HTML page"),
    (b'{"code": 0, "data": [1, 2', "not JSON"),
    (b"\xff\xfe", "not JSON"),
])
def test_bad_bodies_become_bad_response(body: bytes, fragment: str) -> None:
    response = Response(exchange="x", status=502, headers={}, body=body)
    with pytest.raises(BadResponse, match=fragment) as info:
        response.json()
    assert info.value.status == 502 and info.value.exchange == "x"
    assert info.value.ambiguous


def test_json_numbers_are_decimals() -> None:
    response = Response(exchange="x", status=200, headers={}, body=b'{"p": 0.1, "n": 3}')
    assert response.json() == {"p": Decimal("0.1"), "n": 3}


def test_header_lookup_is_case_insensitive() -> None:
    response = Response(exchange="x", status=200, headers={"X-Used": "5"}, body=b"")
    assert response.header("x-used") == "5" and response.header("nope") is None


def test_header_lookup_in_aiohttp_headers_ignores_case_and_misses() -> None:
    headers = CIMultiDictProxy(CIMultiDict({"X-MBX-USED-WEIGHT-1M": "7"}))
    response = Response(exchange="x", status=200, headers=headers, body=b"")
    assert response.header("x-mbx-used-weight-1m") == "7"
    assert response.header("X-MBX-ORDER-COUNT-10S") is None
