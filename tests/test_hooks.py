"""Every hook spec is documented, typed, firstresult, and exercised by a test here.

The meta tests read the specs from ``venuekit.hookspecs`` so a new hook cannot ship
without a heading in docs/hooks.md and a ``test_hook_<name>`` test below.
"""

from __future__ import annotations

import inspect
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from venuekit import errors, hookspecs
from venuekit.connector import Connector
from venuekit.models import (
    Auth,
    AuthToken,
    Balance,
    Check,
    Credentials,
    ExchangeInfo,
    Market,
    OrderParams,
    OrderResult,
    Usage,
)
from venuekit.registry import Registry
from venuekit.testing.example.simulator import ExampleSimulator
from venuekit.wire import Call, Request, Response, SignedRequest

ROOT = Path(__file__).resolve().parent.parent
DOCS = (ROOT / "docs" / "hooks.md").read_text()


def spec_names() -> list[str]:
    return sorted(name for name, obj in vars(hookspecs).items()
                  if callable(obj) and hasattr(obj, "venuekit_spec"))


def signature_text(name: str) -> str:
    sig = inspect.signature(getattr(hookspecs, name))
    params = ", ".join(f"{p.name}: {p.annotation}" for p in sig.parameters.values())
    return f"{name}({params}) -> {sig.return_annotation}"


HOOKS = spec_names()


def test_there_are_hooks() -> None:
    assert {"sign_request", "place_order", "parse_error", "login"} <= set(HOOKS)


@pytest.mark.parametrize("name", HOOKS)
def test_hook_is_documented_with_its_exact_signature(name: str) -> None:
    assert f"### `{signature_text(name)}`" in DOCS


@pytest.mark.parametrize("name", HOOKS)
def test_hook_spec_is_typed_firstresult_and_described(name: str) -> None:
    func = getattr(hookspecs, name)
    assert func.venuekit_spec["firstresult"] is True
    doc = inspect.getdoc(func) or ""
    sig = inspect.signature(func)
    for param in sig.parameters:
        assert f":param {param}:" in doc
        assert sig.parameters[param].annotation is not inspect.Parameter.empty
    assert ":returns:" in doc
    assert "first non-None result is used" in doc
    assert "versionadded" in doc
    assert not name.startswith("test_")


@pytest.mark.parametrize("name", HOOKS)
def test_hook_has_a_test(name: str) -> None:
    source = Path(__file__).read_text()
    assert re.search(rf"^(async )?def test_hook_{name}\(", source, re.M), name


def test_no_documented_hook_is_missing_from_specs() -> None:
    documented = set(re.findall(r"^### `(\w+)\(", DOCS, re.M))
    assert documented == set(HOOKS)


# ---------------------------------------------------------------- one test per hook


def hook(registry: Registry) -> Any:
    return registry.load("example").manager.hook


def test_hook_exchange_info(registry: Registry) -> None:
    info = hook(registry).exchange_info()
    assert isinstance(info, ExchangeInfo)
    assert info.name == "example" and {r.name for r in info.rate_limits} == {"ip", "orders"}


def test_hook_sign_request(registry: Registry) -> None:
    request = Request(method="POST", path="/v1/order", body={"symbol": "BTCUSDT"}, signed=True)
    signed = hook(registry).sign_request(
        request=request, auth=Auth(Credentials(api_key="k", api_secret="s")),
        timestamp_ms=1700000000000)
    assert isinstance(signed, SignedRequest)
    assert signed.body == b'{"symbol":"BTCUSDT"}'
    headers = dict(signed.headers)
    assert headers["X-EX-TS"] == "1700000000000" and len(headers["X-EX-SIGN"]) == 64


def test_hook_login() -> None:
    """Token venues: the core logs in, caches the token and signs with it."""
    class TokenPlugin:
        @hookspecs.hookimpl
        def login(self, credentials: Credentials) -> Call[AuthToken]:
            from datetime import UTC, datetime, timedelta
            request = Request(method="POST", path="/auth", body={"id": credentials.api_key})
            return Call(request, lambda r: AuthToken(
                access_token=r.json()["token"],
                expires_at=datetime.now(UTC) + timedelta(hours=1)))

    from venuekit.testing.example import plugin as example_plugin
    registry = Registry(extra={"example": example_plugin}, autoload=False,
                        extensions=[TokenPlugin()])
    call = registry.load("example").manager.hook.login(
        credentials=Credentials(api_key="client", api_secret="s"))
    assert call.request.path == "/auth"
    token = call.parse(Response(exchange="x", status=200, headers={}, body=b'{"token":"t1"}'))
    assert token.access_token == "t1" and "t1" not in repr(token)


async def test_hook_fetch_markets(conn: Connector) -> None:
    markets = await conn.fetch_markets()
    assert {m.symbol for m in markets} == {"BTC/USDT:USDT", "ETH/USDT:USDT"}
    btc = await conn.market("BTCUSDT")
    assert isinstance(btc, Market) and btc.step_size == Decimal("0.001")


async def test_hook_fetch_balance(conn: Connector) -> None:
    balance = await conn.fetch_balance()
    assert isinstance(balance, Balance) and balance["USDT"].total == Decimal(100000)


async def test_hook_place_order(conn: Connector, sim: ExampleSimulator) -> None:
    order = await conn.place_order(OrderParams(symbol="BTC/USDT:USDT", side="sell",
                                               type="limit", quantity="0.002", price="60000"))
    assert isinstance(order, OrderResult) and order.quantity == Decimal("0.002")
    assert sim.state.orders[order.order_id].client_order_id == order.client_order_id


async def test_hook_cancel_order(conn: Connector) -> None:
    order = await conn.place_order(OrderParams(symbol="BTC/USDT:USDT", side="buy",
                                               type="limit", quantity="0.001", price="40000"))
    done = await conn.cancel_order("BTC/USDT:USDT", client_order_id=order.client_order_id)
    assert done.status.value == "canceled"


async def test_hook_fetch_order(conn: Connector) -> None:
    with pytest.raises(errors.OrderNotFound):
        await conn.fetch_order("BTC/USDT:USDT", client_order_id="never-placed")


async def test_hook_check_connection(conn: Connector) -> None:
    checks = conn.plugin.manager.hook.check_connection()
    assert all(isinstance(c, Check) for c in checks)
    report = await conn.check_connection()
    assert [s.name for s in report.steps] == [c.name for c in checks]
    assert report.ok and report.permissions is not None


async def test_hook_server_time(conn: Connector, sim: ExampleSimulator) -> None:
    sim.faults.skew_ms = 3000
    assert abs(await conn.server_time() - sim.now_ms()) < 1000


def test_hook_parse_error(registry: Registry) -> None:
    response = Response(exchange="example", status=400, headers={},
                        body=b'{"ok":false,"code":3001,"message":"no money"}')
    error = hook(registry).parse_error(response=response)
    assert isinstance(error, errors.InsufficientFunds) and error.code == "3001"
    ok = Response(exchange="example", status=200, headers={}, body=b'{"ok":true,"data":1}')
    assert hook(registry).parse_error(response=ok) is None


def test_hook_rate_limit_feedback(registry: Registry) -> None:
    response = Response(exchange="example", status=200,
                        headers={"x-ex-used-weight-1m": "17"}, body=b"{}")
    assert hook(registry).rate_limit_feedback(response=response) == [Usage("ip", 17)]


def test_hook_register_commands(capsys: pytest.CaptureFixture[str]) -> None:
    import click
    from venuekit.cli import build_cli, main

    class Greetings:
        @hookspecs.hookimpl
        def register_commands(self, cli: click.Group) -> None:
            @cli.command(help="Greet someone.")
            @click.argument("name")
            def hello(name: str) -> int:
                click.echo(f"hello {name}")
                return 0

    class Broken:
        @hookspecs.hookimpl
        def register_commands(self, cli: click.Group, extra: int) -> None:
            raise AssertionError("an impl asking for an unknown argument is never called")

    extensions: list[tuple[str, object]] = [("greetings", Greetings()), ("broken", Broken())]
    assert "hello" in build_cli(extensions=extensions).commands
    capsys.readouterr()
    assert main(["hello", "venuekit"], extensions=extensions) == 0
    out, err = capsys.readouterr()
    assert out == "hello venuekit\n" and "skipped broken" in err
    assert main(["plugins", "--help"], extensions=extensions) == 0  # built-ins still there


def test_hook_parameters_are_never_defaulted_in_the_example() -> None:
    from venuekit.testing.example import plugin
    for name in HOOKS:
        impl = getattr(plugin, name, None)
        if impl is not None:
            assert all(p.default is inspect.Parameter.empty
                       for p in inspect.signature(impl).parameters.values())
