"""Hooks driven through venuekit.connect with the BingX host mocked (aioresponses).

An unmatched request fails, so nothing reaches the network. The ``sent`` fixture holds
every response, with the exact signed request the core put on the wire.
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import parse_qsl

import pytest
from aioresponses import aioresponses
from bingx_helpers import CONTRACTS, DEMO, LIVE, mock_time, ok, url
from venuekit.connector import Connector
from venuekit.errors import (
    BelowMinimum,
    ConfigurationError,
    DuplicateOrder,
    InvalidOrder,
    InvalidSignature,
    OrderNotFound,
    UnknownSymbol,
)
from venuekit.models import Auth, Credentials, KeyType, OrderParams, OrderStatus
from venuekit.ratelimit import MemoryLimiter
from venuekit.testing import ConnectFactory
from venuekit.wire import Response, SignedRequest
from venuekit_bingx import endpoints, plugin
from venuekit_bingx.signing import sign, signature

BALANCE = "/openApi/swap/v3/user/balance"
ORDER = "/openApi/swap/v2/trade/order"
CONTRACTS_PATH = "/openApi/swap/v2/quote/contracts"
SERVER_TIME = 1675319535362
BALANCE_ROWS = [{"userId": "1", "asset": "USDT", "balance": "100", "equity": "100",
                 "availableMargin": "90", "usedMargin": "10", "freezedMargin": "0"}]


def sent_to(sent: list[Response], path: str, method: str = "GET") -> list[Response]:
    return [r for r in sent if r.request is not None
            and r.request.path == path and r.request.method == method]


def params(response: Response) -> list[tuple[str, str]]:
    assert response.request is not None
    return parse_qsl(response.request.query_string, keep_blank_values=True)


def limit_order(**changes: object) -> OrderParams:
    fields: dict[str, object] = {"symbol": "BTC/USDT:USDT", "side": "buy", "type": "limit",
                                 "quantity": "0.001", "price": "40000.5"}
    fields.update(changes)
    return OrderParams(**fields)  # type: ignore[arg-type]


def ack(order_id: int = 1735950529123455488, client_id: str = "") -> dict[str, object]:
    return ok({"order": {"symbol": "BTC-USDT", "orderId": order_id, "side": "BUY",
                         "positionSide": "BOTH", "type": "LIMIT", "clientOrderId": client_id,
                         "workingType": "MARK_PRICE"}})


def full(status: str = "PENDING", client_id: str = "vk1") -> dict[str, object]:
    return ok({"order": {"symbol": "BTC-USDT", "orderId": 1735950529123455488,
                         "side": "BUY", "positionSide": "BOTH", "type": "LIMIT",
                         "origQty": "0.001", "price": "40000.5", "executedQty": "0",
                         "avgPrice": "0.0000", "status": status, "time": 1702732457867,
                         "updateTime": 1702732457888, "clientOrderId": client_id}})


# ---------------------------------------------------------------- signed reads


async def test_balance_is_signed_as_documented(
        conn: Connector, venuekit_credentials: Credentials, venuekit_http_mock: aioresponses,
        sent: list[Response]) -> None:
    mock_time(venuekit_http_mock)
    venuekit_http_mock.get(url(BALANCE), payload=ok(BALANCE_ROWS))
    balance = await conn.fetch_balance()
    assert balance["USDT"].free == Decimal(90)
    (req,) = sent_to(sent, BALANCE)
    assert req.request is not None
    query = req.request.query_string
    head, _, digest = query.rpartition("&signature=")
    assert digest == signature(venuekit_credentials.api_secret, head)
    keys = [k for k, _ in params(req)]
    assert keys == ["recvWindow", "timestamp", "signature"]
    assert dict(params(req))["recvWindow"] == "5000"
    # the timestamp is on the venue's clock (local clock + offset measured from server time)
    assert abs(int(dict(params(req))["timestamp"]) - SERVER_TIME) < 5000
    assert dict(req.request.headers)["X-BX-APIKEY"] == venuekit_credentials.api_key
    assert req.request.body == b""


async def test_testnet_uses_the_vst_host(venuekit_http_mock: aioresponses,
                                         venuekit_mock_connect: ConnectFactory) -> None:
    mock_time(venuekit_http_mock, host=DEMO)
    venuekit_http_mock.get(url(BALANCE, DEMO), payload=ok(BALANCE_ROWS))
    async with venuekit_mock_connect(testnet=True) as conn:
        assert conn.base_url == DEMO
        assert (await conn.fetch_balance())["USDT"].total == Decimal(100)


async def test_server_time_hook(conn: Connector, venuekit_http_mock: aioresponses) -> None:
    mock_time(venuekit_http_mock)
    assert await conn.server_time() == SERVER_TIME


async def test_markets_are_public_and_unified(
        conn: Connector, venuekit_http_mock: aioresponses, sent: list[Response]) -> None:
    venuekit_http_mock.get(url(CONTRACTS_PATH), payload=CONTRACTS)
    (market,) = await conn.fetch_markets()
    assert market.symbol == "BTC/USDT:USDT" and market.native == "BTC-USDT"
    assert (await conn.market("BTC-USDT")) is market  # native id works too
    (req,) = sent_to(sent, CONTRACTS_PATH)
    assert req.request is not None and req.request.query_string == ""
    assert "X-BX-APIKEY" not in dict(req.request.headers)


async def test_connection_check_has_time_and_balance_steps(
        conn: Connector, venuekit_http_mock: aioresponses) -> None:
    mock_time(venuekit_http_mock)
    venuekit_http_mock.get(url(BALANCE), payload=ok(BALANCE_ROWS))
    report = await conn.check_connection()
    assert report.ok
    assert [s.name for s in report.steps] == ["server time", "balance"]
    assert report.balance is not None and report.permissions is None


async def test_wrong_signature_is_reported(conn: Connector,
                                           venuekit_http_mock: aioresponses) -> None:
    mock_time(venuekit_http_mock)
    venuekit_http_mock.get(url(BALANCE), payload={"code": 100001,
                                                  "msg": "Signature verification failed",
                                                  "data": {}})
    with pytest.raises(InvalidSignature, match="100001"):
        await conn.fetch_balance()


# ---------------------------------------------------------------- orders


async def test_place_limit_order(
        conn: Connector, venuekit_credentials: Credentials, venuekit_http_mock: aioresponses,
        sent: list[Response]) -> None:
    mock_time(venuekit_http_mock)
    venuekit_http_mock.get(url(CONTRACTS_PATH), payload=CONTRACTS)
    venuekit_http_mock.post(url(ORDER), payload=ack())
    placed = await conn.place_order(limit_order(time_in_force="post_only", reduce_only=True))
    assert placed.order_id == "1735950529123455488"
    assert placed.status is OrderStatus.OPEN
    (req,) = sent_to(sent, ORDER, "POST")
    assert req.request is not None and req.request.body == b""
    query = params(req)
    assert [k for k, _ in query] == [
        "symbol", "side", "positionSide", "type", "quantity", "price", "timeInForce",
        "reduceOnly", "clientOrderId", "recvWindow", "timestamp", "signature"]
    fields = dict(query)
    assert fields["symbol"] == "BTC-USDT" and fields["side"] == "BUY"
    assert fields["positionSide"] == "BOTH" and fields["type"] == "LIMIT"
    assert fields["quantity"] == "0.001" and fields["price"] == "40000.5"
    assert fields["timeInForce"] == "PostOnly" and fields["reduceOnly"] == "true"
    cid = fields["clientOrderId"]
    assert cid == placed.client_order_id
    assert cid == cid.lower() and cid.isalnum() and 1 <= len(cid) <= 40
    head, _, digest = req.request.query_string.rpartition("&signature=")
    assert digest == signature(venuekit_credentials.api_secret, head)


async def test_market_order_sends_no_price(
        conn: Connector, venuekit_http_mock: aioresponses, sent: list[Response]) -> None:
    mock_time(venuekit_http_mock)
    venuekit_http_mock.get(url(CONTRACTS_PATH), payload=CONTRACTS)
    venuekit_http_mock.post(url(ORDER), payload=ack())
    await conn.place_order(limit_order(type="market", price=None, quantity="0.0020"))
    fields = dict(params(sent_to(sent, ORDER, "POST")[0]))
    assert fields["type"] == "MARKET" and fields["quantity"] == "0.002"
    assert "price" not in fields and "timeInForce" not in fields and "reduceOnly" not in fields


async def test_client_id_is_lowercased_before_sending(
        conn: Connector, venuekit_http_mock: aioresponses, sent: list[Response]) -> None:
    mock_time(venuekit_http_mock)
    venuekit_http_mock.get(url(CONTRACTS_PATH), payload=CONTRACTS)
    venuekit_http_mock.post(url(ORDER), payload=ack(client_id="myorder42"))
    placed = await conn.place_order(limit_order(client_order_id="MyOrder42"))
    assert dict(params(sent_to(sent, ORDER, "POST")[0]))["clientOrderId"] == "myorder42"
    assert placed.client_order_id == "myorder42"


async def test_client_id_outside_the_charset_is_refused_locally(
        conn: Connector, venuekit_http_mock: aioresponses, sent: list[Response]) -> None:
    venuekit_http_mock.get(url(CONTRACTS_PATH), payload=CONTRACTS)
    for bad in ("my-order", "x" * 41):
        with pytest.raises(InvalidOrder, match="client_order_id"):
            await conn.place_order(limit_order(client_order_id=bad))
    assert sent_to(sent, ORDER, "POST") == []


async def test_fetch_order_by_client_id_is_case_insensitive(
        conn: Connector, venuekit_http_mock: aioresponses, sent: list[Response]) -> None:
    mock_time(venuekit_http_mock)
    venuekit_http_mock.get(url(CONTRACTS_PATH), payload=CONTRACTS)
    venuekit_http_mock.get(url(ORDER), payload=full(client_id="abc123"))
    found = await conn.fetch_order("BTC/USDT:USDT", client_order_id="ABC123")
    assert found.client_order_id == "abc123"
    fields = dict(params(sent_to(sent, ORDER)[0]))
    assert fields["clientOrderId"] == "abc123" and fields["symbol"] == "BTC-USDT"
    assert "orderId" not in fields


async def test_unknown_client_id_is_order_not_found(conn: Connector,
                                                    venuekit_http_mock: aioresponses) -> None:
    mock_time(venuekit_http_mock)
    venuekit_http_mock.get(url(CONTRACTS_PATH), payload=CONTRACTS)
    venuekit_http_mock.get(url(ORDER), payload={"code": 109421, "msg": "order not exist",
                                                "data": {}})
    with pytest.raises(OrderNotFound):
        await conn.fetch_order("BTC/USDT:USDT", client_order_id="nope")


async def test_cancel_by_order_id(
        conn: Connector, venuekit_http_mock: aioresponses, sent: list[Response]) -> None:
    mock_time(venuekit_http_mock)
    venuekit_http_mock.get(url(CONTRACTS_PATH), payload=CONTRACTS)
    venuekit_http_mock.delete(url(ORDER), payload=full("CANCELLED"))
    result = await conn.cancel_order("BTC/USDT:USDT", order_id="1735950529123455488")
    assert result.status is OrderStatus.CANCELED
    (req,) = sent_to(sent, ORDER, "DELETE")
    assert [k for k, _ in params(req)][:2] == ["symbol", "orderId"]


async def test_duplicate_client_id_on_first_send_is_raised(
        conn: Connector, venuekit_http_mock: aioresponses) -> None:
    mock_time(venuekit_http_mock)
    venuekit_http_mock.get(url(CONTRACTS_PATH), payload=CONTRACTS)
    venuekit_http_mock.post(url(ORDER), payload={"code": 101481,
                                                 "msg": "clientOrderID cannot be repeated"})
    with pytest.raises(DuplicateOrder):
        await conn.place_order(limit_order(client_order_id="taken1"))


@pytest.mark.parametrize("failure", [
    {"status": 504, "body": "<html>504 Gateway Time-out</html>"},
    {"payload": {"code": 101500, "msg": "rpc timeout", "data": {}}},
], ids=["http-504", "code-101500"])
async def test_unknown_state_is_resolved_by_client_id_not_resent(
        conn: Connector, venuekit_http_mock: aioresponses, sent: list[Response],
        failure: dict[str, object]) -> None:
    mock_time(venuekit_http_mock)
    venuekit_http_mock.get(url(CONTRACTS_PATH), payload=CONTRACTS)
    venuekit_http_mock.post(url(ORDER), **failure)
    venuekit_http_mock.get(url(ORDER), payload=full(client_id="resolve1"))
    placed = await conn.place_order(limit_order(client_order_id="resolve1"))
    assert placed.client_order_id == "resolve1"
    assert len(sent_to(sent, ORDER, "POST")) == 1  # never a second order
    lookup = dict(params(sent_to(sent, ORDER)[0]))
    assert lookup["clientOrderId"] == "resolve1"


# ---------------------------------------------------------------- limiter feedback


async def test_usage_headers_feed_the_limiter(conn: Connector,
                                              venuekit_http_mock: aioresponses) -> None:
    mock_time(venuekit_http_mock)
    venuekit_http_mock.get(url(BALANCE), payload=ok(BALANCE_ROWS),
                           headers={"X-RateLimit-Requests-Remain": "1",
                                    "X-RateLimit-Requests-Expire": "1675319536000"})
    await conn.fetch_balance()
    rule = next(r for r in conn.info.rate_limits if r.name == "uid_balance")
    limiter = conn.transport.limiter
    assert isinstance(limiter, MemoryLimiter)
    assert limiter.used(conn.transport.bucket_key(rule)) == 4  # 5 - 1 remaining


def test_feedback_hook_reads_remain_against_the_tightest_rule() -> None:
    signed = sign(endpoints.fetch_balance().request,
                  Auth(Credentials(api_key="k", api_secret="s")), 1)

    def feedback(remain: str) -> list[tuple[str, int]]:
        response = Response(exchange="bingx", status=200, body=b"{}", request=signed,
                            headers={"X-RateLimit-Requests-Remain": remain})
        return [(u.rule, u.used) for u in plugin.rate_limit_feedback(response=response)]

    assert feedback("0") == [("uid_balance", 5)]
    assert feedback("3") == [("uid_balance", 2)]
    assert feedback("1990") == []  # a larger counter: says nothing about the 5/s rule
    assert feedback("junk") == []
    markets = endpoints.fetch_markets().request
    public = Response(exchange="bingx", status=200, body=b"{}",
                      headers={"X-RateLimit-Requests-Remain": "480"},
                      request=SignedRequest(method="GET", path=markets.path, request=markets))
    assert [(u.rule, u.used) for u in plugin.rate_limit_feedback(response=public)] == [
        ("ip_market", 20)]
    unknown = Response(exchange="bingx", status=200, body=b"{}",
                       headers={"X-RateLimit-Requests-Remain": "1"}, request=None)
    assert plugin.rate_limit_feedback(response=unknown) == []


# ---------------------------------------------------------------- bad input


async def test_wrong_key_type_is_refused_at_connect(venuekit_mock_connect: ConnectFactory,
                                                    venuekit_http_mock: aioresponses) -> None:
    creds = Credentials(api_key="k", api_secret="s", key_type=KeyType.ED25519,
                        private_key="9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    with pytest.raises(ConfigurationError, match="ed25519"):
        venuekit_mock_connect(creds)
    assert venuekit_http_mock.requests == {}


async def test_missing_secret_is_refused_at_connect(venuekit_mock_connect: ConnectFactory,
                                                    venuekit_http_mock: aioresponses) -> None:
    with pytest.raises(ConfigurationError, match="api_secret"):
        venuekit_mock_connect(Credentials(api_key="k"))
    assert venuekit_http_mock.requests == {}


async def test_bad_orders_send_nothing(
        conn: Connector, venuekit_http_mock: aioresponses, sent: list[Response]) -> None:
    venuekit_http_mock.get(url(CONTRACTS_PATH), payload=CONTRACTS)
    with pytest.raises(UnknownSymbol, match="NOPE"):
        await conn.place_order(limit_order(symbol="NOPE/USDT:USDT"))
    with pytest.raises(InvalidOrder, match="step"):
        await conn.place_order(limit_order(quantity="0.00015"))
    with pytest.raises(InvalidOrder, match="tick"):
        await conn.place_order(limit_order(price="40000.55"))
    with pytest.raises(BelowMinimum):
        await conn.place_order(limit_order(quantity="0.0001", price="10000"))  # 1 USDT < 2
    with pytest.raises(InvalidOrder, match="quote_quantity"):
        await conn.place_order(limit_order(type="market", price=None, quantity=None,
                                           quote_quantity="10"))
    # only the (public) contracts request went out; no order, no signed request
    assert [r.request.path for r in sent if r.request] == [CONTRACTS_PATH]
    assert [str(u) for _, u in venuekit_http_mock.requests] == [LIVE + CONTRACTS_PATH]
