"""``GET /api/connections/{id}/orders``, ``/positions`` and ``/fills`` against the example
simulator, reached through each connection's stored host; and a venue that declares none
of these operations. No secret in any reply (checked by the ``api`` fixture)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from account_support import variant as without_capabilities
from api_support import TOKEN, Api, assert_error
from pytest_aiohttp import AiohttpClient
from venuekit import Capability, OrderParams
from venuekit.account_models import Fill, Position
from venuekit.api import build_document, create_app
from venuekit.connector import Connector
from venuekit.convert import to_jsonable
from venuekit.models import Credentials, OrderResult
from venuekit.registry import Registry
from venuekit.store import ConnectionStore
from venuekit.testing.example.simulator import ExampleSimulator

SYMBOL = "BTC/USDT:USDT"
ETH = "ETH/USDT:USDT"
WRONG_SECRET = "wrong-secret-that-must-never-leak-7"
ACCOUNT_CAPABILITIES = {
    Capability.FETCH_OPEN_ORDERS, Capability.FETCH_OPEN_ORDERS_ALL_SYMBOLS,
    Capability.FETCH_MY_TRADES, Capability.FETCH_POSITIONS, Capability.CANCEL_ALL_ORDERS,
    Capability.CANCEL_ORDERS, Capability.FETCH_TICKER, Capability.FETCH_ORDER_BOOK}


@pytest.fixture
async def api(aiohttp_client: AiohttpClient, store: ConnectionStore, registry: Registry,
              sim: ExampleSimulator) -> AsyncIterator[Api]:
    client = Api(await aiohttp_client(create_app(store, token=TOKEN, registry=registry)),
                 secrets=(sim.credentials.api_secret, WRONG_SECRET))
    yield client
    client.assert_no_secret()


@pytest.fixture
def conn_id(store: ConnectionStore, sim: ExampleSimulator) -> str:
    """A connection whose stored host is the simulator (the app has no override)."""
    return store.create(name="main", exchange="example", credentials=sim.credentials,
                        base_url=sim.base_url).id


def limit(price: str, symbol: str = SYMBOL) -> OrderParams:
    return OrderParams(symbol=symbol, side="buy", type="limit", quantity="0.01", price=price)


def market(side: str = "buy") -> OrderParams:
    return OrderParams(symbol=SYMBOL, side=side, type="market", quantity="0.01")


async def get(api: Api, path: str, status: int = 200) -> Any:
    got, body, _ = await api.call("GET", path)
    assert got == status, body
    return body


# ---------------------------------------------------------------- the happy paths


async def test_open_orders_of_one_symbol_and_of_all(api: Api, conn_id: str,
                                                    conn: Connector) -> None:
    resting = await conn.place_order(limit("40000"))
    other = await conn.place_order(limit("2000", ETH))
    await conn.place_order(market())
    one = await get(api, f"/api/connections/{conn_id}/orders?symbol={SYMBOL}")
    assert one["connection_id"] == conn_id and one["exchange"] == "example"
    assert one["symbol"] == SYMBOL
    assert [o["order_id"] for o in one["orders"]] == [resting.order_id]
    assert one["orders"][0]["price"] == "40000" and one["orders"][0]["status"] == "open"
    every = await get(api, f"/api/connections/{conn_id}/orders")
    assert every["symbol"] is None
    assert sorted(o["order_id"] for o in every["orders"]) == sorted(
        [resting.order_id, other.order_id])


async def test_positions_on_every_market_or_the_symbols_given(api: Api, conn_id: str,
                                                              conn: Connector) -> None:
    assert (await get(api, f"/api/connections/{conn_id}/positions"))["positions"] == []
    await conn.place_order(market())
    every = await get(api, f"/api/connections/{conn_id}/positions")
    assert every["symbols"] is None
    [position] = every["positions"]
    assert (position["symbol"], position["side"], position["quantity"]) == (
        SYMBOL, "long", "0.01")
    some = await get(api, f"/api/connections/{conn_id}/positions?symbol={ETH}&symbol={SYMBOL}")
    assert some["symbols"] == [ETH, SYMBOL] and len(some["positions"]) == 1
    only_eth = await get(api, f"/api/connections/{conn_id}/positions?symbol={ETH}")
    assert only_eth["positions"] == []


async def test_fills_page_through_the_venue_with_since_and_limit(
        api: Api, conn_id: str, conn: Connector, sim: ExampleSimulator) -> None:
    ids = [(await conn.place_order(market("buy" if i % 2 == 0 else "sell"))).order_id
           for i in range(5)]
    before = sim.stats.count("/v1/myTrades")
    every = await get(api, f"/api/connections/{conn_id}/fills?symbol={SYMBOL}")
    assert [f["order_id"] for f in every["fills"]] == ids
    assert sim.stats.count("/v1/myTrades") - before == 2  # pages of three
    assert every["limit"] == 500 and every["since"] is None  # the bounded default
    assert Decimal(every["fills"][0]["price"]) == Decimal("50000")

    newest = await get(api, f"/api/connections/{conn_id}/fills?symbol={SYMBOL}&limit=2")
    assert [f["order_id"] for f in newest["fills"]] == ids[-2:]
    start = datetime.fromisoformat(every["fills"][2]["timestamp"])
    millis = int(start.timestamp() * 1000)
    since = await get(api, f"/api/connections/{conn_id}/fills?symbol={SYMBOL}&since={millis}")
    assert since["since"] == start.isoformat()
    assert ids[2] in [f["order_id"] for f in since["fills"]]
    assert all(datetime.fromisoformat(f["timestamp"]) >= start for f in since["fills"])
    later = (start + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert (await get(api, f"/api/connections/{conn_id}/fills?symbol={SYMBOL}"
                           f"&since={later}"))["fills"] == []


async def test_a_disabled_connection_is_still_read(api: Api, conn_id: str,
                                                   store: ConnectionStore) -> None:
    store.set_enabled(conn_id, False)
    assert (await get(api, f"/api/connections/{conn_id}/orders"))["orders"] == []


# ---------------------------------------------------------------- refusals


@pytest.mark.parametrize(("query", "status", "code", "mentions"), [
    ("fills", 422, "missing_parameter", "'symbol'"),
    ("fills?symbol=" + SYMBOL + "&limit=0", 400, "invalid_parameter", "'limit'"),
    ("fills?symbol=" + SYMBOL + "&limit=5001", 400, "invalid_parameter", "'limit'"),
    ("fills?symbol=" + SYMBOL + "&since=yesterday", 400, "invalid_parameter", "'since'"),
    ("fills?symbol=" + SYMBOL + "&since=2026-12-01T10:00:00", 400, "invalid_parameter",
     "'since'"),
    ("orders?symbol=a&symbol=b", 400, "invalid_parameter", "once"),
    ("orders?symbol=%20", 400, "invalid_parameter", "'symbol'"),
])
async def test_bad_query_parameters_send_nothing(api: Api, conn_id: str, sim: ExampleSimulator,
                                                 query: str, status: int, code: str,
                                                 mentions: str) -> None:
    before = len(sim.stats.requests)
    got, body, _ = await api.call("GET", f"/api/connections/{conn_id}/{query}")
    assert_error(got, body, status, code, mentions)
    assert len(sim.stats.requests) == before


@pytest.mark.parametrize("route", ["orders", "positions", "fills?symbol=" + SYMBOL])
async def test_unknown_connection_and_missing_token(api: Api, route: str) -> None:
    got, body, _ = await api.call("GET", f"/api/connections/{'0' * 32}/{route}")
    assert_error(got, body, 404, "not_found")
    got, body, _ = await api.call("GET", f"/api/connections/{'0' * 32}/{route}", token=None)
    assert_error(got, body, 401, "unauthorized")


def venue_error(body: Any, status: int, got: int, code: str) -> dict[str, Any]:
    assert got == status, body
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "venue"}
    assert body["error"]["code"] == code
    assert set(body["error"]["venue"]) == {"exchange", "code", "message"}
    return body["error"]  # type: ignore[no-any-return]


async def test_an_unknown_symbol_is_422_naming_the_venue(api: Api, conn_id: str) -> None:
    got, body, _ = await api.call("GET", f"/api/connections/{conn_id}/orders?symbol=DOGE/USDT")
    error = venue_error(body, 422, got, "unknown_symbol")
    assert "does not list 'DOGE/USDT'" in error["message"]
    assert error["venue"]["exchange"] == "example"


async def test_a_refused_key_is_502_with_the_venues_words_and_no_secret(
        api: Api, store: ConnectionStore, sim: ExampleSimulator) -> None:
    bad = store.create(name="bad", exchange="example", base_url=sim.base_url,
                       credentials=Credentials(api_key=sim.credentials.api_key,
                                               api_secret=WRONG_SECRET))
    got, body, _ = await api.call("GET", f"/api/connections/{bad.id}/orders")
    error = venue_error(body, 502, got, "venue_auth_failed")
    assert error["venue"]["exchange"] == "example" and error["venue"]["code"] == "1002"
    assert "signature" in error["message"].lower()


async def test_a_connection_whose_plugin_is_gone_is_409(api: Api, store: ConnectionStore,
                                                        sim: ExampleSimulator) -> None:
    gone = store.create(name="gone", exchange="uninstalled", credentials=sim.credentials)
    got, body, _ = await api.call("GET", f"/api/connections/{gone.id}/positions")
    assert_error(got, body, 409, "connection_unusable", "uninstalled")


@pytest.fixture
async def bare_api(aiohttp_client: AiohttpClient, store: ConnectionStore,
                   sim: ExampleSimulator) -> AsyncIterator[Api]:
    registry = Registry(extra={"example": without_capabilities(without=ACCOUNT_CAPABILITIES)},
                        autoload=False)
    client = Api(await aiohttp_client(create_app(store, token=TOKEN, registry=registry)),
                 secrets=(sim.credentials.api_secret,))
    yield client
    client.assert_no_secret()


@pytest.mark.parametrize(("route", "operation"), [
    ("orders?symbol=" + SYMBOL, "fetch_open_orders"),
    ("orders", "fetch_open_orders for every symbol"),
    ("positions", "fetch_positions"),
    ("fills?symbol=" + SYMBOL, "fetch_my_trades"),
])
async def test_an_operation_the_venue_lacks_is_422_not_supported_before_sending(
        bare_api: Api, conn_id: str, sim: ExampleSimulator, route: str, operation: str) -> None:
    before = len(sim.stats.requests)
    got, body, _ = await bare_api.call("GET", f"/api/connections/{conn_id}/{route}")
    error = venue_error(body, 422, got, "not_supported")
    assert f"Example Exchange does not support {operation}" in error["message"]
    assert error["venue"] == {"exchange": "example", "code": None, "message": None}
    assert len(sim.stats.requests) == before  # not even the market list


# ---------------------------------------------------------------- the document


def test_the_schemas_name_exactly_what_is_sent() -> None:
    schemas = build_document(exchanges=["example"], max_body_bytes=4096)["components"]["schemas"]
    now = datetime.now(UTC)
    samples = {
        "Order": OrderResult(exchange="example", symbol=SYMBOL, order_id="1",
                             client_order_id=None, side="buy", type="limit", status="open",
                             quantity="1", price="2"),
        "Position": Position(symbol=SYMBOL, side="long", quantity="1"),
        "Fill": Fill(symbol=SYMBOL, order_id="1", trade_id="2", side="buy", price="1",
                     quantity="1", timestamp=now),
    }
    for name, sample in samples.items():
        sent = to_jsonable(sample)
        assert set(schemas[name]["properties"]) == set(sent), name
        assert set(schemas[name]["required"]) == set(sent), name
    error = schemas["Error"]["properties"]["error"]
    assert error["required"] == ["code", "message"] and "venue" in error["properties"]
