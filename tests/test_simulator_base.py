"""The simulator base: venue codes on rejections, public usage windows, class defaults."""

from __future__ import annotations

from decimal import Decimal

import aiohttp
from aiohttp import web
from venuekit.models import RateLimit
from venuekit.testing.simulator import (
    ErrorKind,
    SimReject,
    Simulator,
    UsageWindow,
    json_response,
    sim_market,
)

CODES: dict[ErrorKind, tuple[int, str | int]] = {
    ErrorKind.INVALID: (400, 1002), ErrorKind.RATE_LIMIT: (429, "busy")}
BALANCES: dict[str, Decimal | str | int] = {"USD": Decimal(5)}


class CodedSimulator(Simulator):
    exchange = "coded"
    codes = CODES
    default_limits = (RateLimit("orders", 1, 60.0),)
    counted_limits = (RateLimit("weight", 100, 60.0),)
    default_balances = BALANCES
    default_markets = (sim_market("XUSD", "X", "USD", tick="0.5", step="1", price="10"),)

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/plain", self.plain), web.get("/special", self.special),
                web.get("/used", self.report)]

    def request_cost(self, request: web.Request) -> dict[str, int]:
        return {"weight": 3, "orders": int(request.path == "/plain")}

    def reject_response(self, reject: SimReject) -> web.Response:
        return json_response({"code": reject.code, "msg": reject.message},
                             status=reject.status or 418)

    async def plain(self, request: web.Request) -> web.Response:
        raise SimReject(ErrorKind.INVALID, "plain")

    async def special(self, request: web.Request) -> web.Response:
        raise SimReject(ErrorKind.INVALID, "special", code=7777, status=409)

    async def report(self, request: web.Request) -> web.Response:
        return json_response({"weight": self.used("weight"), "left": self.remaining("weight"),
                              "unknown": self.used("nothing")})


def test_a_rejection_takes_the_venues_code_and_status_from_the_table() -> None:
    sim = CodedSimulator()
    reject = sim.coded(SimReject(ErrorKind.INVALID, "x"))
    assert (reject.code, reject.status) == (1002, 400)
    own = sim.coded(SimReject(ErrorKind.INVALID, "x", code=9, status=409))
    assert (own.code, own.status) == (9, 409)
    half = sim.coded(SimReject(ErrorKind.INVALID, "x", code=9))
    assert (half.code, half.status) == (9, 400)
    unknown = sim.coded(SimReject(ErrorKind.AUTH, "x"))
    assert (unknown.code, unknown.status) == (None, None)
    assert sim.error_response(ErrorKind.RATE_LIMIT, "slow").status == 429


def test_defaults_are_class_attributes_and_options_override_them() -> None:
    sim = CodedSimulator()
    assert sim.state.free == {"USD": Decimal(5)}
    assert list(sim.state.markets) == ["XUSD"]
    assert sim.credentials == Simulator.default_credentials
    assert sim.windows["orders"].enforce and not sim.windows["weight"].enforce
    other = CodedSimulator(limits=[RateLimit("weight", 3, 60.0)], balances={"EUR": 1})
    assert set(other.windows) == {"weight"} and other.windows["weight"].enforce
    assert other.state.free == {"EUR": Decimal(1)}


def test_a_usage_window_counts_enforces_and_forgets() -> None:
    window = UsageWindow(RateLimit("r", 5, 10.0))
    assert window.admit(0.0, 3) and window.admit(1.0, 2)
    assert not window.admit(2.0, 1)
    assert (window.used(2.0), window.remaining(2.0), window.resets_in(2.0)) == (5, 0, 8.0)
    assert window.used(10.5) == 2 and window.remaining(10.5) == 3
    assert window.used(11.0) == 0 and window.resets_in(11.0) == 0.0
    counting = UsageWindow(RateLimit("r", 1, 10.0), enforce=False)
    assert counting.admit(0.0, 4) and counting.used(0.0) == 4
    assert counting.remaining(0.0) == 0


async def test_handlers_rejections_reach_the_venue_envelope_with_code_and_status() -> None:
    async with CodedSimulator() as sim, aiohttp.ClientSession() as http:
        async with http.get(f"{sim.base_url}/special") as resp:
            assert resp.status == 409 and await resp.json() == {"code": 7777, "msg": "special"}
        async with http.get(f"{sim.base_url}/plain") as resp:
            assert resp.status == 400 and (await resp.json())["code"] == 1002
        async with http.get(f"{sim.base_url}/plain") as resp:  # the orders rule is spent
            assert resp.status == 429 and (await resp.json())["code"] == "busy"
        async with http.get(f"{sim.base_url}/used") as resp:
            assert await resp.json() == {"weight": 12, "left": 88, "unknown": None}
    assert sim.stats.rate_limited == 1
