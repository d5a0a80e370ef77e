"""The pure layer, with bytes: limiter demands, signing, and what every answer means."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from venuekit import errors
from venuekit.models import Auth, AuthToken, Balance, Credentials, LimitScope, RateLimit, Usage
from venuekit.protocol import DEFAULT_BAN_S, DEFAULT_BLOCK_S, ExchangeProtocol
from venuekit.registry import Registry
from venuekit.testing.example import endpoints
from venuekit.wire import Call, Request, Response, SignedRequest

CREDS = Credentials(api_key="key-AAAA1111", api_secret="secret-BBBB2222BBBB")
RULES = {"ip": RateLimit("ip", 1200, 60.0), "orders": RateLimit("orders", 10, 1.0,
                                                                 LimitScope.ACCOUNT)}


@pytest.fixture
def protocol(registry: Registry) -> ExchangeProtocol:
    plugin = registry.load("example")
    return ExchangeProtocol(exchange="example", hooks=plugin.callers(), rules=RULES,
                            host="api.example.invalid", removed_rules=frozenset({"gone"}),
                            auth=Auth(CREDS))


def answer(status: int, body: bytes, headers: dict[str, str] | None = None) -> Response:
    signed = SignedRequest(method="GET", path="/v1/balance", query_string="a=1&signature=x")
    return Response(exchange="example", status=status, headers=headers or {}, body=body,
                    request=signed)


BALANCE = endpoints.fetch_balance()


def test_a_good_answer_is_parsed_with_its_usage(protocol: ExchangeProtocol) -> None:
    outcome = protocol.interpret(BALANCE, answer(
        200, b'{"ok":true,"data":[{"asset":"USDT","free":"1.5","locked":"0.5"}]}',
        {"X-EX-USED-WEIGHT-1M": "42"}))
    balance = outcome.unwrap()
    assert isinstance(balance, Balance) and balance["USDT"].total == Decimal("2.0")
    assert outcome.usages == (Usage("ip", 42),) and outcome.block_s is None


@pytest.mark.parametrize(("status", "body", "headers", "cls", "block"), [
    (429, b"slow down", {"Retry-After": "4"}, errors.RateLimitExceeded, 4.0),
    (429, b"slow down", {}, errors.RateLimitExceeded, DEFAULT_BLOCK_S),
    (418, b"banned", {}, errors.IPBanned, DEFAULT_BAN_S),
    (502, b"<html>Bad Gateway</html>", {}, errors.ExchangeUnavailable, None),
    (403, b"forbidden", {}, errors.PermissionDenied, None),
    (401, b"who are you", {}, errors.AuthenticationError, None),
    (200, b"<html>maintenance</html>", {}, errors.BadResponse, None),
    (200, b"", {}, errors.BadResponse, None),
    (400, b'{"ok":false,"code":3001,"message":"no money"}', {}, errors.InsufficientFunds,
     None),
])
def test_failures_map_to_the_error_tree(protocol: ExchangeProtocol, status: int, body: bytes,
                                        headers: dict[str, str],
                                        cls: type[errors.VenueError],
                                        block: float | None) -> None:
    outcome = protocol.interpret(BALANCE, answer(status, body, headers))
    assert type(outcome.error) is cls
    assert outcome.block_s == block
    assert outcome.error.exchange == "example" and outcome.error.status == status
    assert "signature=<redacted>" in (outcome.error.request or "")
    with pytest.raises(cls):
        outcome.unwrap()


def test_a_parser_that_breaks_is_a_bad_response(protocol: ExchangeProtocol) -> None:
    def broken(response: Response) -> int:
        raise KeyError("data")

    outcome = protocol.interpret(Call(Request(method="GET", path="/x"), broken),
                                 answer(200, b'{"ok":true}'))
    assert isinstance(outcome.error, errors.BadResponse)
    assert "KeyError" in outcome.error.message


def test_credentials_echoed_by_the_venue_never_reach_the_error(
        protocol: ExchangeProtocol) -> None:
    body = (b'{"ok":false,"code":1001,"message":"bad key key-AAAA1111 with secret '
            b'secret-BBBB2222BBBB"}')
    outcome = protocol.interpret(BALANCE, answer(401, body))
    assert outcome.error is not None
    text = str(outcome.error) + repr(outcome.error) + repr(outcome.error.args)
    assert "key-AAAA1111" not in text and "secret-BBBB2222BBBB" not in text
    assert "***" in text


def test_a_bearer_token_is_scrubbed_too(protocol: ExchangeProtocol) -> None:
    protocol.set_auth(Auth(CREDS, AuthToken(access_token="tok-CCCC3333",
                                              expires_at=datetime.now(UTC) + timedelta(hours=1),
                                              refresh_token="ref-DDDD4444")))
    outcome = protocol.interpret(BALANCE, answer(
        400, b'{"ok":false,"code":3001,"message":"token tok-CCCC3333 / ref-DDDD4444 odd"}'))
    assert outcome.error is not None
    assert "tok-CCCC3333" not in str(outcome.error) and "ref-DDDD4444" not in str(outcome.error)


def test_demands_name_the_bucket_by_host_or_account(protocol: ExchangeProtocol) -> None:
    request = Request(method="POST", path="/v1/order", cost={"ip": 1, "orders": 1})
    ip, orders = protocol.demands(request)
    assert ip.key == "example:ip:api.example.invalid:ip" and ip.cost == 1
    assert orders.key.startswith("example:account:") and "key-AAAA1111" not in orders.key
    # a removed rule and a zero cost are skipped; an unknown rule is the plugin's bug
    assert protocol.demands(Request(method="GET", path="/", cost={"gone": 3, "ip": 0})) == []
    with pytest.raises(errors.PluginError, match="unknown limiter rule 'nope'"):
        protocol.demands(Request(method="GET", path="/", cost={"nope": 1}))


def test_signing_fixes_the_bytes_and_needs_credentials(protocol: ExchangeProtocol) -> None:
    plain = protocol.sign(Request(method="GET", path="/v1/time", query={"a": "b c"}), 1)
    assert plain.query_string == "a=b%20c" and plain.body == b""
    signed = protocol.sign(Request(method="GET", path="/v1/balance", signed=True), 1234)
    assert ("X-EX-TS", "1234") in signed.headers
    protocol.set_auth(None)
    with pytest.raises(errors.ConfigurationError, match="needs credentials"):
        protocol.sign(Request(method="GET", path="/v1/balance", signed=True), 1)
