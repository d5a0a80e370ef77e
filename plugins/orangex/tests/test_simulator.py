"""The simulator behaves like OrangeX, and the plugin and core behave right against it."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
import venuekit
from venuekit.connector import Connector
from venuekit.errors import (
    ExchangeError,
    InvalidSignature,
    OrderStatusUnknown,
    PermissionDenied,
)
from venuekit.models import Credentials, OrderParams, OrderStatus, TimeInForce
from venuekit.ratelimit import MemoryLimiter
from venuekit.retry import RetryPolicy
from venuekit_orangex.signing import GRANT_ENV
from venuekit_orangex.simulator import OrangeXSimulator


def connect(sim: OrangeXSimulator, credentials: Credentials | None = None,
            **options: Any) -> Connector:
    settings: dict[str, Any] = {"base_url": sim.api_url, "limiter": MemoryLimiter(),
                                "retry": RetryPolicy(max_tries=3, base_delay_s=0.01,
                                                     max_delay_s=0.05)}
    settings.update(options)
    return venuekit.connect("orangex", credentials or sim.credentials, **settings)


async def rpc(sim: OrangeXSimulator, method: str, params: Any = None, *,
              token: str | None = None, body: bytes | None = None,
              call_id: int = 42) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"bearer {token}"
    payload = body if body is not None else json.dumps(
        {"jsonrpc": "2.0", "id": call_id, "method": method, "params": params or {}}).encode()
    async with aiohttp.ClientSession() as session, \
            session.post(sim.api_url + method, data=payload, headers=headers) as resp:
        return resp.status, json.loads(await resp.read())


async def login(sim: OrangeXSimulator) -> str:
    _, reply = await rpc(sim, "/public/auth", {
        "grant_type": "client_credentials", "client_id": sim.credentials.api_key,
        "client_secret": sim.credentials.api_secret})
    token: str = reply["result"]["access_token"]
    return token


def order(**changes: Any) -> OrderParams:
    fields: dict[str, Any] = {"symbol": "BTC/USDT:USDT", "side": "buy", "type": "limit",
                              "quantity": "0.01", "price": "40000"}
    fields.update(changes)
    return OrderParams(**fields)


# ---------------------------------------------------------------- the wire


async def test_api_url_ends_like_the_live_host(sim: OrangeXSimulator) -> None:
    assert sim.api_url == sim.base_url + "/api/v1"


async def test_reply_envelope(sim: OrangeXSimulator) -> None:
    status, reply = await rpc(sim, "/public/ping")
    assert status == 200
    assert reply["id"] == "42" and reply["jsonrpc"] == "2.0" and reply["result"] == {}
    assert isinstance(reply["usIn"], int) and reply["usOut"] >= reply["usIn"]
    assert reply["usIn"] < 10**14  # milliseconds, as on the wire


@pytest.mark.parametrize(("method", "body", "code"), [
    ("/public/get_time", None, 1000),
    ("/public/ping", b"{not json", 9902),
    ("/public/ping", b'{"jsonrpc":"2.0","id":1,"method":"/public/auth","params":{}}', 8000),
])
async def test_refusals_are_http_200_error_envelopes(sim: OrangeXSimulator, method: str,
                                                     body: bytes | None, code: int) -> None:
    status, reply = await rpc(sim, method, body=body)
    assert status == 200 and reply["error"]["code"] == code and "result" not in reply


async def test_private_methods_demand_a_live_bearer_token(sim: OrangeXSimulator) -> None:
    params = {"asset_type": ["PERPETUAL"]}
    _, no_token = await rpc(sim, "/private/get_assets_info", params)
    _, bogus = await rpc(sim, "/private/get_assets_info", params, token="nope")
    token = await login(sim)
    _, good = await rpc(sim, "/private/get_assets_info", params, token=token)
    sim.expire_tokens()
    _, expired = await rpc(sim, "/private/get_assets_info", params, token=token)
    assert [r.get("error", {}).get("code") for r in (no_token, bogus, good, expired)] == [
        10000, 10000, None, 10000]
    assert good["result"]["PERPETUAL"]["available_funds"] == "100000"
    assert sim.token_refusals == 2


async def test_asset_type_must_be_an_array(sim: OrangeXSimulator) -> None:
    token = await login(sim)
    _, reply = await rpc(sim, "/private/get_assets_info", {"asset_type": "PERPETUAL"},
                         token=token)
    assert reply["error"]["code"] == 1001


async def test_unknown_instrument(sim: OrangeXSimulator) -> None:
    token = await login(sim)
    _, reply = await rpc(sim, "/private/buy", {"instrument_name": "BTCUSDT", "amount": "1",
                                               "type": "market"}, token=token)
    assert reply["error"] == {"code": 5001, "message": "Instrument does not exist.",
                              "data": {"reason": "unknown symbol BTCUSDT"}}


async def test_instruments_carry_the_swapped_currencies(sim: OrangeXSimulator) -> None:
    _, reply = await rpc(sim, "/public/get_instruments", {"currency": "PERPETUAL"})
    btc = next(r for r in reply["result"] if r["instrument_name"] == "BTC-USDT-PERPETUAL")
    assert (btc["base_currency"], btc["quote_currency"]) == ("USDT", "BTC")
    _, other = await rpc(sim, "/public/get_instruments", {"currency": "NOPE"})
    assert other["result"] == []


async def test_buy_acknowledges_with_an_empty_custom_order_id(sim: OrangeXSimulator) -> None:
    token = await login(sim)
    _, reply = await rpc(sim, "/private/buy", {
        "instrument_name": "BTC-USDT-PERPETUAL", "amount": "0.01", "type": "limit",
        "price": "40000", "custom_order_id": "vk-1"}, token=token)
    assert set(reply["result"]["order"]) == {"order_id", "custom_order_id"}
    assert reply["result"]["order"]["custom_order_id"] == ""


async def test_simulator_enforces_ten_requests_a_second(sim: OrangeXSimulator) -> None:
    replies = await asyncio.gather(*(rpc(sim, "/public/ping") for _ in range(12)),
                                   return_exceptions=True)
    assert sim.stats.rate_limited == 2
    assert len(replies) == 12


# ---------------------------------------------------------------- sessions through the core


async def test_revoked_token_relogin_places_exactly_one_order(sim: OrangeXSimulator) -> None:
    async with connect(sim) as conn:
        await conn.fetch_balance()
        sim.revoke_tokens()
        placed = await conn.place_order(order())
    assert placed.status is OrderStatus.OPEN
    assert sim.logins == 2 and sim.token_refusals == 1
    assert len(sim.state.orders) == 1


async def test_expired_token_relogin_on_a_read(sim: OrangeXSimulator) -> None:
    async with connect(sim) as conn:
        await conn.fetch_balance()
        sim.expire_tokens()
        assert (await conn.fetch_balance()).assets
    assert sim.logins == 2 and sim.token_refusals == 1


async def test_token_is_renewed_before_the_venue_refuses_it() -> None:
    sim = OrangeXSimulator(token_lifetime_s=120.5)  # 0.5 s more than the plugin keeps in hand
    async with sim, connect(sim) as conn:
        await conn.fetch_balance()
        await asyncio.sleep(0.6)
        await conn.fetch_balance()
    assert sim.logins == 2 and sim.token_refusals == 0


async def test_client_signature_session(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(GRANT_ENV, "client_signature")
    sim = OrangeXSimulator()
    sim.faults.skew_ms = 20_000  # the core signs on the venue's clock, read from usIn/usOut
    async with sim, connect(sim) as conn:
        report = await conn.check_connection()
        placed = await conn.place_order(order())
    assert report.ok, [step.detail for step in report.steps]
    assert placed.order_id in sim.state.orders
    assert sim.stats.signature_failures == 0 and sim.logins == 2


async def test_client_signature_with_a_wrong_secret(monkeypatch: pytest.MonkeyPatch,
                                                    sim: OrangeXSimulator) -> None:
    monkeypatch.setenv(GRANT_ENV, "client_signature")
    wrong = Credentials(api_key=sim.credentials.api_key, api_secret="not-the-secret")
    async with connect(sim, wrong) as conn:
        with pytest.raises(InvalidSignature):
            await conn.fetch_balance()
    assert sim.stats.signature_failures == 1  # refused at once, never retried


async def test_read_only_scope_cannot_trade() -> None:
    sim = OrangeXSimulator(scope="account:read trade:read wallet:none")
    async with sim, connect(sim) as conn:
        report = await conn.check_connection()
        with pytest.raises(PermissionDenied, match="trade:read_write"):
            await conn.place_order(order())
    assert report.ok and report.permissions is not None
    assert report.permissions.can_trade is False
    assert "the key cannot trade" in report.warnings
    assert sim.state.orders == {}


# ---------------------------------------------------------------- orders through the core


async def test_dropped_reply_is_status_unknown_with_the_client_id(
        sim: OrangeXSimulator) -> None:
    async with connect(sim) as conn:
        await conn.fetch_markets()
        sim.faults.drop_after_accept(path="/api/v1/private/buy")
        with pytest.raises(OrderStatusUnknown) as info:
            await conn.place_order(order(client_order_id="vk.dropped:1"))
    assert info.value.client_order_id == "vk.dropped:1"
    [placed] = sim.state.orders.values()  # it did arrive, once, and was never resent
    assert sim.stats.count("/api/v1/private/buy") == 1
    assert placed.status == "open"


async def test_post_only_order_keeps_its_custom_order_id(sim: OrangeXSimulator) -> None:
    async with connect(sim) as conn:
        placed = await conn.place_order(order(time_in_force="post_only",
                                              client_order_id="vk-post-1"))
        fetched = await conn.fetch_order("BTC/USDT:USDT", order_id=placed.order_id)
    assert fetched.client_order_id == "vk-post-1"
    assert fetched.time_in_force is TimeInForce.POST_ONLY
    assert fetched.status is OrderStatus.OPEN


async def test_market_order_fills_at_the_market_price(sim: OrangeXSimulator) -> None:
    async with connect(sim) as conn:
        placed = await conn.place_order(order(type="market", price=None))
        fetched = await conn.fetch_order("BTC/USDT:USDT", order_id=placed.order_id)
    assert fetched.status is OrderStatus.FILLED
    assert fetched.filled_quantity == Decimal("0.01")
    assert fetched.average_price == Decimal("50000")


async def test_undocumented_refusal_keeps_the_venue_code(sim: OrangeXSimulator) -> None:
    async with connect(sim) as conn:
        with pytest.raises(ExchangeError) as info:
            await conn.place_order(order(quantity="10", price="40000"))  # 400k > 100k USDT
    assert type(info.value) is ExchangeError  # no class is guessed for an unknown code
    assert info.value.code == "99001"


async def test_simulator_checks_position_side_and_numeric_trade_ids(
        sim: OrangeXSimulator) -> None:
    # OX-DOC "Buy": position_side BOTH (one-way, default) | LONG | SHORT (hedge mode); the
    # simulated account is one-way. "Get user trades by Instrument": start_id / end_id are
    # Numbers.
    token = await login(sim)
    buy = {"instrument_name": "BTC-USDT-PERPETUAL", "amount": "0.01", "type": "limit",
           "price": "40000"}
    _, ok = await rpc(sim, "/private/buy", {**buy, "position_side": "BOTH"}, token=token)
    assert ok["result"]["order"]["order_id"]
    _, hedge = await rpc(sim, "/private/buy", {**buy, "position_side": "LONG"}, token=token)
    assert "error" in hedge
    trades = {"instrument_name": "BTC-USDT-PERPETUAL"}
    _, good = await rpc(sim, "/private/get_user_trades_by_instrument",
                        {**trades, "end_id": 5}, token=token)
    assert "result" in good
    _, bad = await rpc(sim, "/private/get_user_trades_by_instrument",
                       {**trades, "end_id": "5"}, token=token)
    assert "error" in bad


async def test_private_subscribe_checks_a_given_access_token(sim: OrangeXSimulator) -> None:
    # OX-DOC: on the socket the token travels as params.access_token; a dead one is refused.
    token = await login(sim)
    url = sim.base_url.replace("http", "ws") + "/ws/api/v1"
    channels = ["user.changes.perpetual.PERPETUAL.raw"]
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        await ws.send_str(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "/private/subscribe",
                                      "params": {"channels": channels,
                                                 "access_token": "not-a-token"}}))
        refused = json.loads((await asyncio.wait_for(ws.receive(), 3.0)).data)
        assert refused["error"]["code"] == 10000
        await ws.send_str(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "/private/subscribe",
                                      "params": {"channels": channels,
                                                 "access_token": token}}))
        accepted = json.loads((await asyncio.wait_for(ws.receive(), 3.0)).data)
        assert accepted["id"] == "2" and accepted["result"] == channels
