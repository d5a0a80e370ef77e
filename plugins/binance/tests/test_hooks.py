"""The hooks driven through ``venuekit.connect`` against a mocked fapi host (aioresponses).

aioresponses fails any request it has no answer for, so nothing here reaches a network.
Signed bytes are read from the transport's ``on_response`` tap: exactly what was sent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, unquote

import pytest
from aioresponses import aioresponses
from nacl.signing import VerifyKey
from venuekit import errors as e
from venuekit.connector import Connector
from venuekit.models import Credentials, KeyType, OrderParams, OrderStatus
from venuekit.retry import RetryPolicy
from venuekit.testing import ConnectFactory
from venuekit.wire import Response
from venuekit_binance.vectors import ED25519_PUBLIC_HEX, ed25519_credentials

LIVE = "https://fapi.binance.com"
DEMO = "https://demo-fapi.binance.com"

BTCUSDT = {
    "symbol": "BTCUSDT", "pair": "BTCUSDT", "contractType": "PERPETUAL", "status": "TRADING",
    "baseAsset": "BTC", "quoteAsset": "USDT", "marginAsset": "USDT",
    "filters": [
        {"filterType": "PRICE_FILTER", "minPrice": "261.10", "maxPrice": "809484",
         "tickSize": "0.10"},
        {"filterType": "LOT_SIZE", "minQty": "0.001", "maxQty": "1000", "stepSize": "0.001"},
        {"filterType": "MIN_NOTIONAL", "notional": "100"},
    ],
}


def url(path: str, host: str = LIVE) -> re.Pattern[str]:
    return re.compile("^" + re.escape(host + path) + r"(\?.*)?$")


def order_payload(**changes: Any) -> dict[str, Any]:
    payload = {"orderId": 4611875134427365377, "symbol": "BTCUSDT", "status": "NEW",
               "clientOrderId": "cid-1", "price": "40000.00", "avgPrice": "0.00",
               "origQty": "0.010", "executedQty": "0.000", "cumQty": "0.000",
               "cumQuote": "0.00000", "timeInForce": "GTC", "type": "LIMIT",
               "origType": "LIMIT", "reduceOnly": False, "closePosition": False,
               "side": "BUY", "positionSide": "BOTH", "stopPrice": "0.00",
               "workingType": "CONTRACT_PRICE", "priceProtect": False, "priceMatch": "NONE",
               "selfTradePreventionMode": "EXPIRE_MAKER", "goodTillDate": 0,
               "updateTime": 1700000000000}
    payload.update(changes)
    return payload


@pytest.fixture
def mocked(venuekit_http_mock: aioresponses) -> aioresponses:
    """The kit's mocked venue, already answering Binance's server time on both hosts."""
    for host in (LIVE, DEMO):
        venuekit_http_mock.get(url("/fapi/v1/time", host), payload={"serverTime": 1700000000000},
                               repeat=True)
    return venuekit_http_mock


@pytest.fixture
def conn(mocked: aioresponses, venuekit_mock_connect: ConnectFactory) -> Connector:
    return venuekit_mock_connect()


def tap(conn: Connector) -> list[Response]:
    seen: list[Response] = []
    conn.transport.on_response = seen.append
    return seen


def sent(m: aioresponses, method: str, path: str) -> int:
    return sum(len(calls) for (verb, target), calls in m.requests.items()
               if verb == method and target.path == path)


def split_signature(part: str) -> tuple[str, str]:
    head, _, sig = part.rpartition("&signature=")
    assert head and "&" not in sig, part
    return head, sig


# ---------------------------------------------------------------- account


async def test_balance_is_hmac_signed_in_the_query(mocked: aioresponses, conn: Connector,
                                                   venuekit_credentials: Credentials) -> None:
    mocked.get(url("/fapi/v3/balance"), headers={"X-MBX-USED-WEIGHT-1M": "37"}, payload=[
        {"accountAlias": "SgsR", "asset": "USDT", "balance": "1000.5",
         "crossWalletBalance": "1000.5", "crossUnPnl": "0", "availableBalance": "900.5",
         "maxWithdrawAmount": "900.5", "marginAvailable": True, "updateTime": 1},
        {"accountAlias": "SgsR", "asset": "BNB", "balance": "0", "crossWalletBalance": "0",
         "crossUnPnl": "0", "availableBalance": "0", "maxWithdrawAmount": "0",
         "marginAvailable": True, "updateTime": 1}])
    seen = tap(conn)
    balance = await conn.fetch_balance()
    assert balance["USDT"].total == Decimal("1000.5")
    assert balance["USDT"].used == Decimal("100")
    signed = seen[-1].request
    assert signed is not None and signed.path == "/fapi/v3/balance"
    assert re.fullmatch(r"recvWindow=5000&timestamp=\d{13}&signature=[0-9a-f]{64}",
                        signed.query_string)
    head, sig = split_signature(signed.query_string)
    assert sig == hmac.new(venuekit_credentials.api_secret.encode(), head.encode(),
                           hashlib.sha256).hexdigest()
    assert ("X-MBX-APIKEY", venuekit_credentials.api_key) in signed.headers
    assert signed.body == b""
    rule = next(r for r in conn.info.rate_limits if r.name == "ip")
    assert conn.transport.limiter.used(conn.transport.bucket_key(rule)) >= 37


async def test_testnet_talks_to_the_demo_host(mocked: aioresponses,
                                              venuekit_mock_connect: ConnectFactory) -> None:
    mocked.get(url("/fapi/v3/balance", DEMO), payload=[])
    async with venuekit_mock_connect(testnet=True) as conn:
        assert conn.base_url == DEMO
        balance = await conn.fetch_balance()
    assert balance.assets == ()
    assert sent(mocked, "GET", "/fapi/v3/balance") == 1


async def test_ed25519_key_signs_end_to_end(mocked: aioresponses,
                                            venuekit_mock_connect: ConnectFactory) -> None:
    mocked.get(url("/fapi/v3/balance"), payload=[])
    async with venuekit_mock_connect(ed25519_credentials()) as conn:
        seen = tap(conn)
        await conn.fetch_balance()
    signed = seen[-1].request
    assert signed is not None
    head, sig = split_signature(signed.query_string)
    assert "%2B" in sig or "%2F" in sig or sig.endswith("%3D%3D")  # URL-encoded base64
    VerifyKey(bytes.fromhex(ED25519_PUBLIC_HEX)).verify(head.encode(),
                                                        base64.b64decode(unquote(sig)))


async def test_timestamp_rejection_resyncs_the_clock_and_retries_once(
        mocked: aioresponses, venuekit_mock_connect: ConnectFactory) -> None:
    mocked.get(url("/fapi/v3/balance"), status=400,
               payload={"code": -1021, "msg": "Timestamp for this request is outside of the "
                                              "recvWindow."})
    mocked.get(url("/fapi/v3/balance"), payload=[])
    async with venuekit_mock_connect(retry=RetryPolicy(max_tries=3, base_delay_s=0.001)) as conn:
        await conn.fetch_balance()
    assert sent(mocked, "GET", "/fapi/v3/balance") == 2
    assert sent(mocked, "GET", "/fapi/v1/time") == 2  # first sync, then the resync


async def test_html_503_is_exchange_unavailable(mocked: aioresponses, conn: Connector) -> None:
    mocked.get(url("/fapi/v3/balance"), status=503, body="<html>Service Unavailable.</html>",
               content_type="text/html")
    with pytest.raises(e.ExchangeUnavailable):
        await conn.fetch_balance()


async def test_418_is_an_ip_ban(mocked: aioresponses, conn: Connector) -> None:
    mocked.get(url("/fapi/v3/balance"), status=418,
               payload={"code": -1003, "msg": "Way too many requests; IP banned until "
                                              "1700000090000."},
               headers={"Date": "Tue, 14 Nov 2023 22:13:20 GMT"})
    with pytest.raises(e.IPBanned) as info:
        await conn.fetch_balance()
    assert info.value.retry_after == pytest.approx(90.0)


async def test_rejected_key_is_an_authentication_error(mocked: aioresponses,
                                                       conn: Connector,
                                                       venuekit_credentials: Credentials) -> None:
    mocked.get(url("/fapi/v3/balance"), status=401,
               payload={"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."})
    with pytest.raises(e.AuthenticationError) as info:
        await conn.fetch_balance()
    assert info.value.code == "-2015"
    assert venuekit_credentials.api_secret not in str(info.value)


# ---------------------------------------------------------------- connection test


def mock_checks(m: aioresponses, *, locked: bool = False) -> None:
    m.get(url("/fapi/v3/balance"), payload=[
        {"asset": "USDT", "balance": "50", "availableBalance": "50"}])
    m.get(url("/fapi/v1/accountConfig"), payload={
        "feeTier": 0, "canTrade": True, "canDeposit": True, "canWithdraw": True,
        "dualSidePosition": False, "updateTime": 0, "multiAssetsMargin": False,
        "tradeGroupId": -1})
    indicators = {"ACCOUNT": [{"indicator": "TMV", "value": 10, "triggerValue": 1,
                               "plannedRecoverTime": 1, "isLocked": True}]} if locked else {}
    m.get(url("/fapi/v1/apiTradingStatus"), payload={"indicators": indicators,
                                                     "updateTime": 1})


async def test_connection_test_steps(mocked: aioresponses, conn: Connector) -> None:
    mock_checks(mocked)
    report = await conn.check_connection()
    assert report.ok
    assert [s.name for s in report.steps] == ["server time", "balance", "key permissions",
                                              "trading status"]
    assert all(s.ok for s in report.steps)
    assert report.balance is not None and report.balance["USDT"].total == 50
    assert report.permissions is not None
    assert report.permissions.can_trade is True
    assert report.permissions.can_withdraw is None  # fapi does not tell; not guessed
    assert report.clock_offset_ms is not None
    assert not any("withdraw" in w for w in report.warnings)


async def test_trading_lock_fails_its_step_but_not_the_test(mocked: aioresponses,
                                                            conn: Connector) -> None:
    mock_checks(mocked, locked=True)
    report = await conn.check_connection()
    assert report.ok  # the lock step is informative, not required
    step = report.steps[-1]
    assert not step.ok and step.error == "PermissionDenied"
    assert "TMV" in step.detail


async def test_connection_test_with_a_bad_key_fails(mocked: aioresponses,
                                                    conn: Connector) -> None:
    mocked.get(url("/fapi/v3/balance"), status=400,
               payload={"code": -2014, "msg": "API-key format invalid."})
    mocked.get(url("/fapi/v1/accountConfig"), status=400,
               payload={"code": -2014, "msg": "API-key format invalid."})
    mocked.get(url("/fapi/v1/apiTradingStatus"), status=400,
               payload={"code": -2014, "msg": "API-key format invalid."})
    report = await conn.check_connection()
    assert not report.ok
    assert report.steps[0].ok
    assert report.steps[1].error == "AuthenticationError"
    assert "-2014" in report.steps[1].detail


# ---------------------------------------------------------------- orders


def mock_markets(m: aioresponses) -> None:
    m.get(url("/fapi/v1/exchangeInfo"), payload={"symbols": [BTCUSDT]})


def limit_order(**changes: Any) -> OrderParams:
    fields: dict[str, Any] = {"symbol": "BTC/USDT:USDT", "side": "buy", "type": "limit",
                              "quantity": "0.010", "price": "40000.0",
                              "client_order_id": "cid-1"}
    fields.update(changes)
    return OrderParams(**fields)


async def test_limit_order_is_a_signed_form_body(mocked: aioresponses, conn: Connector,
                                                 venuekit_credentials: Credentials) -> None:
    mock_markets(mocked)
    mocked.post(url("/fapi/v1/order"), payload=order_payload(),
                headers={"X-MBX-ORDER-COUNT-10S": "3", "X-MBX-ORDER-COUNT-1M": "9"})
    seen = tap(conn)
    placed = await conn.place_order(limit_order(reduce_only=True))
    assert placed.status is OrderStatus.OPEN
    assert placed.order_id == "4611875134427365377"
    assert placed.symbol == "BTC/USDT:USDT"
    signed = seen[-1].request
    assert signed is not None and (signed.method, signed.target) == ("POST", "/fapi/v1/order")
    assert ("Content-Type", "application/x-www-form-urlencoded") in signed.headers
    head, sig = split_signature(signed.body.decode())
    assert sig == hmac.new(venuekit_credentials.api_secret.encode(), head.encode(),
                           hashlib.sha256).hexdigest()
    fields = parse_qsl(head)
    assert fields[:6] == [("symbol", "BTCUSDT"), ("side", "BUY"), ("type", "LIMIT"),
                          ("quantity", "0.01"), ("price", "40000"), ("timeInForce", "GTC")]
    assert ("reduceOnly", "true") in fields
    assert ("newClientOrderId", "cid-1") in fields
    assert [k for k, _ in fields[-2:]] == ["recvWindow", "timestamp"]
    limiter = conn.transport.limiter
    for name, count in (("orders_10s", 3), ("orders_1m", 9)):
        rule = next(r for r in conn.info.rate_limits if r.name == name)
        assert limiter.used(conn.transport.bucket_key(rule)) >= count


async def test_market_order_by_native_symbol(mocked: aioresponses, conn: Connector) -> None:
    mock_markets(mocked)
    mocked.post(url("/fapi/v1/order"), payload=order_payload(
        type="MARKET", origType="MARKET", status="FILLED", price="0", avgPrice="50000.10",
        executedQty="0.010"))
    seen = tap(conn)
    placed = await conn.place_order(limit_order(symbol="BTCUSDT", type="market", price=None))
    assert placed.status is OrderStatus.FILLED
    assert placed.average_price == Decimal("50000.10")
    assert placed.price is None
    fields = dict(parse_qsl(seen[-1].request.body.decode()))  # type: ignore[union-attr]
    assert fields["type"] == "MARKET" and "price" not in fields and "timeInForce" not in fields


async def test_ambiguous_503_looks_the_order_up_instead_of_resending(
        mocked: aioresponses, conn: Connector) -> None:
    mock_markets(mocked)
    mocked.post(url("/fapi/v1/order"), status=503, payload={
        "code": -1000, "msg": "Unknown error, please check your request or try again later."})
    mocked.get(url("/fapi/v1/order"), payload=order_payload(time=1700000000000))
    placed = await conn.place_order(limit_order())
    assert placed.client_order_id == "cid-1"
    assert sent(mocked, "POST", "/fapi/v1/order") == 1
    lookup = [target for (verb, target) in mocked.requests
              if verb == "GET" and target.path == "/fapi/v1/order"]
    assert lookup and lookup[0].query["origClientOrderId"] == "cid-1"


async def test_fetch_order_by_client_id(mocked: aioresponses, conn: Connector) -> None:
    mock_markets(mocked)
    mocked.get(url("/fapi/v1/order"), payload=order_payload(time=1700000000000))
    seen = tap(conn)
    found = await conn.fetch_order("BTC/USDT:USDT", client_order_id="cid:1/x")
    assert found.order_id == "4611875134427365377"
    assert seen[-1].request.query_string.startswith(  # type: ignore[union-attr]
        "symbol=BTCUSDT&origClientOrderId=cid%3A1%2Fx&recvWindow=5000&timestamp=")


async def test_unknown_order_is_order_not_found(mocked: aioresponses, conn: Connector) -> None:
    mock_markets(mocked)
    mocked.get(url("/fapi/v1/order"), status=400,
               payload={"code": -2013, "msg": "Order does not exist."})
    with pytest.raises(e.OrderNotFound):
        await conn.fetch_order("BTCUSDT", client_order_id="never-sent")


async def test_cancel_by_order_id_is_a_delete_with_query(mocked: aioresponses,
                                                         conn: Connector) -> None:
    mock_markets(mocked)
    mocked.delete(url("/fapi/v1/order"), payload=order_payload(status="CANCELED"))
    seen = tap(conn)
    result = await conn.cancel_order("BTC/USDT:USDT", order_id="4611875134427365377")
    assert result.status is OrderStatus.CANCELED
    signed = seen[-1].request
    assert signed is not None and signed.method == "DELETE" and signed.body == b""
    assert signed.query_string.startswith("symbol=BTCUSDT&orderId=4611875134427365377&")


async def test_cancel_of_an_unknown_order(mocked: aioresponses, conn: Connector) -> None:
    mock_markets(mocked)
    mocked.delete(url("/fapi/v1/order"), status=400,
                  payload={"code": -2011, "msg": "Unknown order sent."})
    with pytest.raises(e.OrderNotFound):
        await conn.cancel_order("BTCUSDT", order_id="1")


async def test_venue_rejections_are_final(mocked: aioresponses, conn: Connector) -> None:
    mock_markets(mocked)
    mocked.post(url("/fapi/v1/order"), status=400,
                payload={"code": -2019, "msg": "Margin is insufficient."})
    with pytest.raises(e.InsufficientFunds):
        await conn.place_order(limit_order())
    assert sent(mocked, "POST", "/fapi/v1/order") == 1


# ---------------------------------------------------------------- bad input


async def test_rsa_key_is_refused_at_connect(venuekit_http_mock: aioresponses,
                                             venuekit_mock_connect: ConnectFactory) -> None:
    rsa = Credentials(api_key="k", key_type=KeyType.RSA, private_key="-----BEGIN PRIVATE KEY-----")
    with pytest.raises(e.ConfigurationError, match="rsa"):
        venuekit_mock_connect(rsa)
    assert venuekit_http_mock.requests == {}


@pytest.mark.parametrize("credentials, needs", [
    (Credentials(api_key="k"), "api_secret"),
    (Credentials(api_key="k", key_type=KeyType.ED25519), "private_key"),
], ids=["hmac-without-secret", "ed25519-without-key"])
async def test_missing_key_material_is_refused_at_connect(
        mocked: aioresponses, credentials: Credentials, needs: str,
        venuekit_mock_connect: ConnectFactory) -> None:
    with pytest.raises(e.ConfigurationError, match=needs):
        venuekit_mock_connect(credentials)
    assert mocked.requests == {}


async def test_missing_api_key_is_refused_at_connect(venuekit_mock_connect: ConnectFactory) -> None:
    with pytest.raises(e.ConfigurationError, match="api_key"):
        venuekit_mock_connect(Credentials(api_key="", api_secret="s"))


@pytest.mark.parametrize("changes, error, match", [
    ({"symbol": "NOPE/USDT:USDT"}, e.UnknownSymbol, "does not list"),
    ({"quantity": "0.0105"}, e.InvalidOrder, "step"),
    ({"price": "40000.05"}, e.InvalidOrder, "tick"),
    ({"quantity": "0.001", "price": "40000"}, e.BelowMinimum, "minimum"),
    ({"type": "market", "price": None, "time_in_force": "fok"}, e.InvalidOrder, "fill-or-kill"),
    ({"client_order_id": "has space"}, e.InvalidOrder, "client_order_id"),
    ({"client_order_id": "x" * 37}, e.InvalidOrder, "36"),
    ({"quote_quantity": "100", "quantity": None, "type": "market", "price": None},
     e.InvalidOrder, "base quantity"),
], ids=["unlisted-symbol", "off-step", "off-tick", "below-notional", "market-fok",
        "client-id-charset", "client-id-length", "quote-quantity"])
async def test_bad_orders_never_reach_the_venue(mocked: aioresponses, conn: Connector,
                                                changes: dict[str, Any],
                                                error: type[Exception], match: str) -> None:
    mock_markets(mocked)
    with pytest.raises(error, match=match):
        await conn.place_order(limit_order(**changes))
    assert sent(mocked, "POST", "/fapi/v1/order") == 0
