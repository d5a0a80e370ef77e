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


async def test_hook_check_connection(sim: ExampleSimulator) -> None:
    from venuekit import hookimpl
    from venuekit.models import CheckRole
    from venuekit.testing.example import endpoints
    from venuekit.testing.example import plugin as example_plugin

    class OwnTest:
        """The sample plugin plus a check_connection of its own: it replaces the default."""

        @hookimpl
        def check_connection(self) -> list[Check]:
            return [Check("balance only", endpoints.fetch_balance(), CheckRole.BALANCE)]

    custom = Registry(extra={"example": example_plugin}, autoload=False,
                      extensions=[OwnTest()])
    async with venuekit_connect(custom, sim) as conn:
        report = await conn.check_connection()
    assert [s.name for s in report.steps] == ["balance only"]
    assert report.ok and report.balance is not None and report.permissions is None


async def test_hook_key_permissions(conn: Connector) -> None:
    # the sample plugin has no check_connection: the default test runs its key_permissions
    assert conn.plugin.manager.hook.check_connection() is None
    call = conn.plugin.manager.hook.key_permissions()
    assert isinstance(call, Call) and call.request.signed
    report = await conn.check_connection()
    assert [s.name for s in report.steps] == ["server time", "balance", "key permissions"]
    assert report.ok and report.permissions is not None and report.permissions.can_trade


async def test_default_connection_test_without_time_source_or_permissions(
        sim: ExampleSimulator) -> None:
    from venuekit.hookcallers import HookCallers

    conn = venuekit_connect(Registry(extra={"example": example_module()}, autoload=False), sim)
    hooks: HookCallers = conn.transport.protocol.hooks
    hooks.server_time = lambda: None  # type: ignore[method-assign]
    hooks.key_permissions = lambda: None  # type: ignore[method-assign]
    async with conn:
        report = await conn.check_connection()
    assert [s.name for s in report.steps] == ["balance"]
    assert report.ok and report.clock_offset_ms is None


def example_module() -> Any:
    from venuekit.testing.example import plugin as example_plugin
    return example_plugin


def venuekit_connect(registry: Registry, sim: ExampleSimulator) -> Connector:
    from venuekit.connector import connect
    from venuekit.ratelimit import MemoryLimiter
    return connect("example", sim.credentials, base_url=sim.base_url, registry=registry,
                   limiter=MemoryLimiter())


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


# ---------------------------------------------------------------- account state and market data
# Driven without a network: the hook builds its plan, canned venue answers go through the
# plan's own parsers (venuekit.flows.drive), as a plugin author tests a venue's hooks.

BTC = Market(symbol="BTC/USDT:USDT", native="BTCUSDT", base="BTC", quote="USDT", kind="swap",
             settle="USDT", tick_size="0.1", step_size="0.001", max_leverage=100)
ETH = Market(symbol="ETH/USDT:USDT", native="ETHUSDT", base="ETH", quote="USDT", kind="swap",
             settle="USDT", tick_size="0.01", step_size="0.01")


def venue(routes: dict[tuple[str, str], Any]) -> Any:
    """An answer function for drive(): parse the canned payload of (method, path)."""
    import json

    def answer(call: Call[Any]) -> Any:
        payload = routes[(call.request.method, call.request.path)]
        if callable(payload):
            payload = payload(call)
        body = json.dumps(payload).encode()
        status = 200 if payload.get("ok", True) else 400
        response = Response(exchange="example", status=status, headers={}, body=body)
        from venuekit.testing.example.errors import parse_error
        error = parse_error(response)
        if error is not None:
            raise error
        return call.parse(response)
    return answer


def order_row(order_id: int, symbol: str = "BTCUSDT", status: str = "NEW") -> dict[str, Any]:
    return {"orderId": order_id, "clientOrderId": f"c{order_id}", "symbol": symbol,
            "side": "BUY", "type": "LIMIT", "status": status, "quantity": "0.01",
            "price": "40000", "filled": "0"}


def test_hook_fetch_open_orders(registry: Registry) -> None:
    from venuekit.flows import drive
    plan = hook(registry).fetch_open_orders(market=None, all_markets=[BTC, ETH])
    assert plan.request.query == ()
    rows = [order_row(1), order_row(2, "ETHUSDT")]
    orders = drive(plan, venue({("GET", "/v1/openOrders"): {"ok": True, "data": rows}}))
    assert [o.symbol for o in orders] == ["BTC/USDT:USDT", "ETH/USDT:USDT"]
    one = hook(registry).fetch_open_orders(market=BTC, all_markets=[BTC, ETH])
    assert one.request.query == (("symbol", "BTCUSDT"),)


def test_hook_fetch_my_trades(registry: Registry) -> None:
    from datetime import UTC, datetime

    from venuekit.flows import Page, Walk
    pages = hook(registry).fetch_my_trades(market=BTC, since=None, limit=None)
    assert pages.walk is Walk.BACKWARD
    rows = [{"id": n, "orderId": 7, "side": "SELL", "price": "50000", "qty": "0.01",
             "fee": "0.25", "feeAsset": "USDT", "maker": False, "time": 1_700_000_000_000}
            for n in (11, 12, 13)]
    page = pages.first.parse(Response(exchange="example", status=200, headers={},
                                      body=b'{"ok":true,"data":' + _json(rows) + b"}"))
    assert isinstance(page, Page) and [f.trade_id for f in page.items] == ["11", "12", "13"]
    assert page.next is not None and ("beforeId", "11") in page.next.request.query
    since = datetime(2026, 1, 1, tzinfo=UTC)
    forward = hook(registry).fetch_my_trades(market=BTC, since=since, limit=2)
    assert forward.walk is Walk.FORWARD
    assert ("startTime", "1767225600000") in forward.first.request.query
    assert ("limit", "2") in forward.first.request.query


def _json(value: Any) -> bytes:
    import json
    return json.dumps(value).encode()


def test_hook_fetch_positions(registry: Registry) -> None:
    from venuekit.flows import drive
    plan = hook(registry).fetch_positions(markets=None, all_markets=[BTC, ETH])
    rows = [{"symbol": "BTCUSDT", "positionAmt": "-0.02", "entryPrice": "50000",
             "markPrice": "49000", "unrealizedPnl": "20"},
            {"symbol": "ETHUSDT", "positionAmt": "0", "entryPrice": "0", "markPrice": "1",
             "unrealizedPnl": "0"}]
    positions = drive(plan, venue({
        ("GET", "/v1/positions"): {"ok": True, "data": rows},
        ("GET", "/v1/leverage"): {"ok": True, "data": {"leverage": 12}}}))
    assert len(positions) == 1
    assert (positions[0].side.value, positions[0].quantity, positions[0].leverage) == (
        "short", Decimal("0.02"), Decimal(12))


def test_hook_cancel_all_orders(registry: Registry) -> None:
    from venuekit.flows import drive
    plan = hook(registry).cancel_all_orders(market=BTC)
    cancelled = drive(plan, venue({
        ("GET", "/v1/openOrders"): {"ok": True, "data": [order_row(1), order_row(2)]},
        ("DELETE", "/v1/openOrders"): {"ok": True, "data": {"cancelled": 2}}}))
    assert [(o.order_id, o.status.value) for o in cancelled] == [("1", "canceled"),
                                                                ("2", "canceled")]


def test_hook_cancel_orders(registry: Registry) -> None:
    from venuekit.flows import drive
    from venuekit.models import OrderRef
    refs = [OrderRef(BTC.symbol, order_id="1"), OrderRef(BTC.symbol, order_id="2")]
    plan = hook(registry).cancel_orders(refs=refs, market=BTC)
    assert ("orderIds", "1,2") in plan.request.query
    items = drive(plan, venue({("DELETE", "/v1/batchOrders"): {"ok": True, "data": [
        {"ok": True, "data": order_row(1, status="CANCELED")},
        {"ok": False, "code": 3003, "message": "order is not open"}]}}))
    assert isinstance(items[0], OrderResult) and isinstance(items[1], errors.OrderNotFound)


def test_hook_amend_order(registry: Registry) -> None:
    from venuekit.flows import drive
    from venuekit.models import OrderRef
    sent: list[Any] = []

    def amend(call: Call[Any]) -> dict[str, Any]:
        sent.append(call.request.body)
        return {"ok": True, "data": {**order_row(5), "price": call.request.body["price"]}}
    plan = hook(registry).amend_order(ref=OrderRef(BTC.symbol, order_id="5"), market=BTC,
                                      quantity=None, price=Decimal("39000"))
    result = drive(plan, venue({("GET", "/v1/order"): {"ok": True, "data": order_row(5)},
                                ("PUT", "/v1/order"): amend}))
    assert result.price == Decimal("39000")
    assert sent == [{"symbol": "BTCUSDT", "orderId": "5", "side": "BUY", "quantity": "0.01",
                     "price": "39000"}]  # side and quantity read from the order first


def test_hook_set_leverage(registry: Registry) -> None:
    from venuekit.flows import drive
    plan = hook(registry).set_leverage(market=BTC, leverage=9)
    assert drive(plan, venue({("POST", "/v1/leverage"): {"ok": True,
                                                          "data": {"leverage": 9}}})) == 9
    already = {"ok": False, "code": 3007, "message": "leverage not modified"}
    assert drive(plan, venue({("POST", "/v1/leverage"): already})) == 9


def test_hook_place_orders(registry: Registry) -> None:
    from venuekit.flows import drive
    orders = [OrderParams(symbol=BTC.symbol, side="buy", type="limit", quantity="0.01",
                          price="40000", client_order_id=f"c{i}") for i in (1, 2)]
    plan = hook(registry).place_orders(orders=orders, markets=[BTC, BTC])
    assert plan.request.idempotent is False
    assert [o["clientOrderId"] for o in plan.request.body["orders"]] == ["c1", "c2"]
    items = drive(plan, venue({("POST", "/v1/batchOrders"): {"ok": True, "data": [
        {"ok": True, "data": order_row(1)},
        {"ok": False, "code": 3001, "message": "insufficient balance"}]}}))
    assert isinstance(items[0], OrderResult)
    assert isinstance(items[1], errors.InsufficientFunds)


def test_hook_fetch_ticker(registry: Registry) -> None:
    from venuekit.flows import drive
    plan = hook(registry).fetch_ticker(market=BTC)
    ticker = drive(plan, venue({("GET", "/v1/ticker"): {"ok": True, "data": {
        "bid": "49999.9", "ask": "50000.1", "last": "50000", "time": 1_700_000_000_000}}}))
    assert (ticker.bid, ticker.ask) == (Decimal("49999.9"), Decimal("50000.1"))


def test_hook_fetch_order_book(registry: Registry) -> None:
    from venuekit.flows import drive
    plan = hook(registry).fetch_order_book(market=BTC, depth=7)
    assert ("limit", "10") in plan.request.query
    book = drive(plan, venue({("GET", "/v1/depth"): {"ok": True, "data": {
        "lastUpdateId": 42, "time": 1_700_000_000_000,
        "bids": [["1", "2"], ["3", "4"]], "asks": [["5", "1"]]}}}))
    assert book.sequence == 42 and book.bids[0] == (Decimal(3), Decimal(4))


# ---------------------------------------------------------------- streams


def _context(role: Any, **changes: Any) -> Any:
    from venuekit.stream_models import SocketContext
    fields: dict[str, Any] = {"role": role, "testnet": False, "timestamp_ms": 1_700_000_000_000}
    fields.update(changes)
    return SocketContext(**fields)


def test_hook_stream_info(registry: Registry) -> None:
    from venuekit.stream_models import BookRecovery, StreamKind, StreamRole
    info = hook(registry).stream_info()
    assert info.kinds == frozenset(StreamKind)
    assert info.role(StreamKind.FILLS) is StreamRole.PRIVATE
    assert info.role(StreamKind.ORDER_BOOK) is StreamRole.PUBLIC
    assert info.book_recovery is BookRecovery.RESUBSCRIBE
    assert info.heartbeat is not None and info.heartbeat.frame == '{"op": "ping"}'


def test_hook_stream_session(registry: Registry) -> None:
    from venuekit.stream_models import StreamRole
    assert hook(registry).stream_session(role=StreamRole.PUBLIC) is None
    session = hook(registry).stream_session(role=StreamRole.PRIVATE)
    assert (session.create.request.method, session.create.request.path) == \
        ("POST", "/v1/listenKey")
    assert session.create.request.signed
    assert ("listenKey", "K1") in session.keepalive("K1").request.query
    assert session.close is not None and session.close("K1").request.method == "DELETE"


def test_hook_stream_url(registry: Registry) -> None:
    from venuekit.stream_models import StreamRole
    url = hook(registry).stream_url(context=_context(StreamRole.PRIVATE, session_key="K1"))
    assert url == "wss://stream.example.invalid/ws/private?listenKey=K1"
    assert hook(registry).stream_url(context=_context(StreamRole.PUBLIC, testnet=True)) == \
        "wss://stream-testnet.example.invalid/ws/public"
    assert hook(registry).stream_url(context=_context(StreamRole.MARKET)) is None


def test_hook_stream_login(registry: Registry) -> None:
    import hashlib
    import hmac
    import json

    from venuekit.stream_models import StreamRole
    creds = Credentials(api_key="example-key", api_secret="example-secret")
    (frame,) = hook(registry).stream_login(context=_context(StreamRole.PRIVATE,
                                                            auth=Auth(creds)))
    message = json.loads(frame)
    expected = hmac.new(b"example-secret", b"1700000000000login", hashlib.sha256).hexdigest()
    assert message == {"op": "login", "key": "example-key", "ts": 1_700_000_000_000,
                       "sign": expected}
    assert hook(registry).stream_login(context=_context(StreamRole.PUBLIC)) == []


def test_hook_stream_subscribe(registry: Registry) -> None:
    import json

    from venuekit.stream_models import StreamKind, StreamRole, Subscription
    subs = [Subscription(kind=StreamKind.ORDER_BOOK, market=BTC, depth=5),
            Subscription(kind=StreamKind.TRADES, market=ETH)]
    (frame,) = hook(registry).stream_subscribe(
        context=_context(StreamRole.PUBLIC, request_id=9), subscriptions=subs, subscribe=True)
    assert json.loads(frame) == {"op": "subscribe", "id": 9,
                                 "args": ["book:BTCUSDT:5", "trades:ETHUSDT"]}
    (leave,) = hook(registry).stream_subscribe(
        context=_context(StreamRole.PRIVATE), subscriptions=[
            Subscription(kind=StreamKind.ORDERS)], subscribe=False)
    assert json.loads(leave)["op"] == "unsubscribe" and json.loads(leave)["args"] == ["orders"]


def test_hook_parse_stream_frame(registry: Registry) -> None:
    import json

    from venuekit.stream_models import (
        BookUpdate,
        LoggedIn,
        Ping,
        SessionExpired,
        StreamFailure,
        StreamFrame,
        StreamRole,
    )
    markets = {"BTCUSDT": BTC, BTC.symbol: BTC}

    def parse(message: Any) -> Any:
        frame = StreamFrame(role=StreamRole.PUBLIC, text=json.dumps(message), markets=markets)
        return hook(registry).parse_stream_frame(frame=frame)

    assert parse({"op": "login", "ok": True}) == [LoggedIn()]
    (failure,) = parse({"op": "login", "ok": False, "code": 1002, "message": "no"})
    assert isinstance(failure, StreamFailure) and failure.fatal
    assert isinstance(failure.error, errors.AuthenticationError)
    assert parse({"op": "ping"}) == [Ping('{"op": "pong"}')]
    assert parse({"op": "expired"}) == [SessionExpired()]
    (book,) = parse({"ch": "book", "type": "delta", "data": {
        "symbol": "BTCUSDT", "bids": [["100.5", "0"]], "asks": [["101", "2"]], "seq": 12,
        "prevSeq": 11, "time": 1_700_000_000_000}})
    assert isinstance(book, BookUpdate) and not book.snapshot
    assert (book.symbol, book.sequence, book.prev_sequence) == (BTC.symbol, 12, 11)
    assert book.bids == ((Decimal("100.5"), Decimal(0)),)
    (order,) = parse({"ch": "orders", "data": {
        "orderId": "7", "clientOrderId": "c7", "symbol": "BTCUSDT", "side": "BUY",
        "type": "LIMIT", "status": "PARTIALLY_FILLED", "quantity": "0.01", "price": "100",
        "filled": "0.004", "avgPrice": "100", "reduceOnly": False,
        "createdAt": 1_700_000_000_000, "updatedAt": 1_700_000_000_500}})
    assert isinstance(order, OrderResult) and order.filled_quantity == Decimal("0.004")
