"""The web console's handlers through aiohttp's test client, against the example venue's
simulator: login and sessions, CSRF on every form, the pages, streamed test steps, account
state, errors as the API words them, and nothing user-supplied unescaped."""

from __future__ import annotations

import asyncio
import json
import re
import zipfile
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from account_support import variant
from aiohttp.test_utils import TestClient
from console_support import TOKEN, csrf_of, login
from pytest_aiohttp import AiohttpClient
from venuekit import Capability, OrderParams, Registry, connect
from venuekit.api import create_app
from venuekit.api.console import ROUTE_NAMES, ConsoleSettings
from venuekit.api.console.session import COOKIE, SessionStore
from venuekit.api.console.state import CONSOLE
from venuekit.models import CheckStep, Credentials
from venuekit.service import ConnectionTester
from venuekit.store import ConnectionStatus, ConnectionStore
from venuekit.testing.example.simulator import ExampleSimulator

WRONG_SECRET = "wrong-secret-that-must-not-leak-31337"
XSS = "<script>alert(1)</script>"
Client = TestClient[Any, Any]


@pytest.fixture
async def client(aiohttp_client: AiohttpClient, store: ConnectionStore, registry: Registry,
                 sim: ExampleSimulator) -> AsyncIterator[Client]:
    app = create_app(store, token=TOKEN, registry=registry,
                     console_settings=ConsoleSettings(poll_s=0.05, read_timeout_s=5.0))
    client = await aiohttp_client(app)
    yield client


def sandbox(store: ConnectionStore, sim: ExampleSimulator, name: str = "sandbox-example",
            credentials: Credentials | None = None) -> str:
    return store.create(name=name, exchange="example",
                        credentials=credentials or sim.credentials,
                        base_url=sim.base_url).id


async def page(client: Client, path: str, status: int = 200) -> str:
    resp = await client.get(path)
    text = await resp.text()
    assert resp.status == status, (resp.status, text[:800])
    return text


async def post(client: Client, path: str, data: dict[str, str], status: int = 303,
               ) -> tuple[str, str]:
    resp = await client.post(path, data=data, allow_redirects=False)
    text = await resp.text()
    assert resp.status == status, (resp.status, text[:800])
    return resp.headers.get("Location", ""), text


async def events(client: Client, path: str, until: str) -> list[tuple[str, Any]]:
    """The server-sent events of ``path`` up to and including the first ``until``."""
    found: list[tuple[str, Any]] = []
    async with client.get(path, headers={"Accept": "text/event-stream"}) as resp:
        assert resp.status == 200 and resp.content_type == "text/event-stream"
        name = ""
        async for raw in resp.content:
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                found.append((name, json.loads(line.removeprefix("data: "))))
                if name == until:
                    break
    return found


# ---------------------------------------------------------------- login and session


async def test_pages_need_a_login_and_the_form_sets_a_strict_httponly_cookie(
        client: Client) -> None:
    resp = await client.get("/", allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/login"
    form = await page(client, "/login")
    resp = await client.post("/login", data={"token": TOKEN, "csrf": csrf_of(form)},
                             allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/"
    cookie = next(v for v in resp.headers.getall("Set-Cookie") if v.startswith(COOKIE))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert "Connections" in await page(client, "/")


async def test_a_wrong_token_is_refused_without_a_session(client: Client) -> None:
    form = await page(client, "/login")
    resp = await client.post("/login", data={"token": "not-the-token-123456",
                                             "csrf": csrf_of(form)}, allow_redirects=False)
    assert resp.status == 401
    assert "invalid token" in await resp.text()
    assert not any(v.startswith(COOKIE) for v in resp.headers.getall("Set-Cookie", []))
    assert (await client.get("/", allow_redirects=False)).status == 303


async def test_a_login_without_its_form_token_is_refused(client: Client) -> None:
    await page(client, "/login")
    resp = await client.post("/login", data={"token": TOKEN, "csrf": "forged"},
                             allow_redirects=False)
    assert resp.status == 403
    assert (await client.get("/", allow_redirects=False)).status == 303


async def test_the_session_id_is_kept_only_as_a_digest(client: Client) -> None:
    await login(client)
    raw = next(c.value for c in client.session.cookie_jar if c.key == COOKIE)
    sessions = client.app[CONSOLE].sessions
    assert len(sessions) == 1 and raw not in repr(sessions._sessions)


async def test_logout_ends_the_session(client: Client) -> None:
    csrf = await login(client)
    raw = next(c.value for c in client.session.cookie_jar if c.key == COOKIE)
    location, _ = await post(client, "/logout", {"csrf": csrf})
    assert location == "/login"
    # even a browser that kept the cookie is no longer let in
    resp = await client.get("/", cookies={COOKIE: raw}, allow_redirects=False)
    assert resp.status == 303


def test_sessions_expire_when_idle_and_at_their_lifetime() -> None:
    now = [0.0]
    sessions = SessionStore(idle_s=10, lifetime_s=25, max_sessions=2, clock=lambda: now[0])
    raw, _ = sessions.create()
    now[0] = 9
    assert sessions.get(raw) is not None
    now[0] = 18  # 9 s idle: still alive
    assert sessions.get(raw) is not None
    now[0] = 26  # past the lifetime although used 8 s ago
    assert sessions.get(raw) is None
    idle, _ = sessions.create()
    now[0] = 37
    assert sessions.get(idle) is None
    first, _ = sessions.create()
    second, _ = sessions.create()
    third, _ = sessions.create()  # over the cap: the least recently used goes
    assert sessions.get(first) is None and sessions.get(second) and sessions.get(third)


# ---------------------------------------------------------------- CSRF and the API


async def test_the_api_never_accepts_the_session_cookie(client: Client) -> None:
    await login(client)
    resp = await client.get("/api/settings/connections")
    assert resp.status == 401 and (await resp.json())["error"]["code"] == "unauthorized"
    resp = await client.get("/api/settings/connections",
                            headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status == 200


async def test_a_post_without_the_cookie_is_refused(client: Client, store: ConnectionStore,
                                                    sim: ExampleSimulator) -> None:
    conn_id = sandbox(store, sim)
    resp = await client.post(f"/connections/{conn_id}/remove", data={"csrf": "x"},
                             allow_redirects=False)
    assert resp.status == 403
    assert conn_id in store


@pytest.mark.parametrize("token", ["", "wrong-token", None])
async def test_every_form_refuses_a_wrong_csrf_token(client: Client, store: ConnectionStore,
                                                     sim: ExampleSimulator,
                                                     token: str | None) -> None:
    conn_id = sandbox(store, sim)
    await login(client)
    before = store.get(conn_id)
    posts = sorted(r.resource.canonical for r in client.app.router.routes()
                   if r.method == "POST" and r.name in ROUTE_NAMES
                   and r.name != "console.login_post")
    assert len(posts) == 5
    for template in posts:
        for action in ("enable", "disable", "remove"):
            path = template.replace("{id}", conn_id).replace(
                "{action}", action)
            data = {"name": "changed", "exchange": "example", "api_key": "k"}
            if token is not None:
                data["csrf"] = token
            resp = await client.post(path, data=data, allow_redirects=False)
            assert resp.status == 403, path
            assert "csrf_failed" in await resp.text()
    assert store.get(conn_id) == before and len(store.list()) == 1
    assert (await client.get("/", allow_redirects=False)).status == 200  # still logged in


async def test_pages_carry_a_strict_content_security_policy(client: Client) -> None:
    await login(client)
    resp = await client.get("/")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["Cache-Control"] == "no-store"
    html = await resp.text()
    assert "<script>" not in html and "style=" not in html and "<style" not in html
    script = re.search(r'src="(/static/console\.js\?v=\w+)"', html)
    assert script is not None
    static = await client.get(script.group(1))
    assert static.status == 200 and "EventSource" in await static.text()
    assert "max-age=" in static.headers["Cache-Control"]


# ---------------------------------------------------------------- pages


async def test_the_list_shows_each_connection_and_escapes_names(
        client: Client, store: ConnectionStore, sim: ExampleSimulator) -> None:
    sandbox(store, sim)
    store.create(name=XSS, exchange="example", credentials=sim.credentials, is_testnet=True)
    await login(client)
    html = await page(client, "/")
    assert XSS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "sandbox-example" in html and sim.base_url in html and "testnet" in html
    assert "never" in html


async def test_add_keeps_the_apis_validation_and_never_echoes_a_secret(
        client: Client, store: ConnectionStore, sim: ExampleSimulator) -> None:
    csrf = await login(client)
    form = {"csrf": csrf, "name": "main", "exchange": "example", "key_type": "hmac",
            "api_key": sim.credentials.api_key, "api_secret": WRONG_SECRET,
            "base_url": "127.0.0.1:1", "is_enabled": "on"}
    _, html = await post(client, "/connections/new", form, status=422)
    # the API's own code and message for the same body
    api = await client.post("/api/settings/connections", headers={
        "Authorization": f"Bearer {TOKEN}"}, json={
        "name": "main", "exchange": "example", "base_url": "127.0.0.1:1",
        "credentials": {"api_key": sim.credentials.api_key, "api_secret": WRONG_SECRET}})
    error = (await api.json())["error"]
    assert error["code"] in html and error["message"].replace("'", "&#39;") in html
    assert WRONG_SECRET not in html and 'value="main"' in html
    assert len(store.list()) == 0
    form["base_url"] = sim.base_url
    location, _ = await post(client, "/connections/new", form)
    created = store.list().connections[0]
    assert location == f"/connections/{created.id}"
    assert store.credentials(created.id).api_secret == WRONG_SECRET
    shown = await page(client, location)
    assert WRONG_SECRET not in shown and created.api_key_hint in shown
    _, again = await post(client, "/connections/new", form, status=422)
    assert "name_taken" in again


async def test_edit_keeps_the_secrets_when_left_blank(client: Client, store: ConnectionStore,
                                                      sim: ExampleSimulator) -> None:
    conn_id = sandbox(store, sim)
    csrf = await login(client)
    html = await page(client, f"/connections/{conn_id}/edit")
    assert store.get(conn_id).api_key_hint in html
    assert sim.credentials.api_secret not in html
    await post(client, f"/connections/{conn_id}/edit",
               {"csrf": csrf, "name": "renamed", "base_url": sim.base_url})
    conn = store.get(conn_id)
    assert conn.name == "renamed" and conn.base_url == sim.base_url
    assert store.credentials(conn_id) == sim.credentials
    _, html = await post(client, f"/connections/{conn_id}/edit",
                         {"csrf": csrf, "name": "renamed", "api_secret": "only-a-secret"},
                         status=422)
    assert "credentials.api_key" in html and "only-a-secret" not in html


async def test_disable_enable_and_remove_go_through_a_confirmation(
        client: Client, store: ConnectionStore, sim: ExampleSimulator) -> None:
    conn_id = sandbox(store, sim)
    csrf = await login(client)
    html = await page(client, f"/connections/{conn_id}/disable")
    assert "places no orders" in html and store.get(conn_id).is_enabled  # GET changes nothing
    await post(client, f"/connections/{conn_id}/disable", {"csrf": csrf})
    assert not store.get(conn_id).is_enabled
    assert "disabled sandbox-example" in await page(client, f"/connections/{conn_id}")
    await post(client, f"/connections/{conn_id}/enable", {"csrf": csrf})
    assert store.get(conn_id).is_enabled
    await page(client, f"/connections/{conn_id}/remove")
    assert conn_id in store
    location, _ = await post(client, f"/connections/{conn_id}/remove", {"csrf": csrf})
    assert location == "/" and conn_id not in store
    assert "removed sandbox-example" in await page(client, "/")
    missing = await page(client, f"/connections/{conn_id}", status=404)
    assert "not_found" in missing and "Traceback" not in missing


# ---------------------------------------------------------------- tests and their steps


async def test_a_test_streams_its_steps_then_its_outcome(
        client: Client, store: ConnectionStore, sim: ExampleSimulator) -> None:
    conn_id = sandbox(store, sim)
    csrf = await login(client)
    sim.faults.latency_s = 0.05
    location, _ = await post(client, f"/connections/{conn_id}/test", {"csrf": csrf})
    assert location.startswith(f"/connections/{conn_id}/tests/")
    html = await page(client, location)
    assert 'id="steps"' in html
    got = await events(client, location + "/events", until="done")
    names = [name for name, _ in got]
    assert names[-1] == "done" and names.count("done") == 1
    outcome = got[-1][1]
    assert outcome["status"] == "ok" and outcome["error"] is None
    assert [s["name"] for s in outcome["steps"]][:2] == ["server time", "balance"]
    assert [d["name"] for n, d in got if n == "step"] == [s["name"] for s in outcome["steps"]]
    assert store.get(conn_id).last_test_status is ConnectionStatus.OK
    logs = await page(client, f"/connections/{conn_id}/logs")
    assert "server time" in logs and "balance" in logs
    listing = await page(client, "/")
    assert "USDT" in listing and 'class="badge ok"' in listing


async def test_a_failed_test_shows_the_venues_error_without_the_secret(
        client: Client, store: ConnectionStore, sim: ExampleSimulator) -> None:
    wrong = Credentials(api_key=sim.credentials.api_key, api_secret=WRONG_SECRET)
    conn_id = sandbox(store, sim, name="bad", credentials=wrong)
    csrf = await login(client)
    location, _ = await post(client, f"/connections/{conn_id}/test", {"csrf": csrf})
    got = await events(client, location + "/events", until="done")
    outcome = got[-1][1]
    assert outcome["status"] == "failed"
    failed = [s for s in outcome["steps"] if not s["ok"]]
    assert failed and failed[0]["error"] == "InvalidSignature"
    html = await page(client, location)
    assert "InvalidSignature" in html and "FAIL" in html
    for shown in (html, json.dumps(got), await page(client, f"/connections/{conn_id}/logs")):
        assert WRONG_SECRET not in shown and "Traceback" not in shown


async def test_double_clicking_test_joins_the_running_test(
        client: Client, store: ConnectionStore, sim: ExampleSimulator) -> None:
    conn_id = sandbox(store, sim)
    csrf = await login(client)
    sim.faults.latency_s = 0.1
    (first, _), (second, _) = await asyncio.gather(
        post(client, f"/connections/{conn_id}/test", {"csrf": csrf}),
        post(client, f"/connections/{conn_id}/test", {"csrf": csrf}))
    assert first == second
    await events(client, first + "/events", until="done")
    assert sim.stats.count("/v1/balance") == 1


async def test_the_tester_reports_each_step_as_it_ends(store: ConnectionStore,
                                                       registry: Registry,
                                                       sim: ExampleSimulator) -> None:
    conn_id = sandbox(store, sim)
    seen: list[tuple[str, int]] = []

    def observe(step: CheckStep) -> None:
        seen.append((step.name, sim.stats.count("/v1/balance")))

    outcome = await ConnectionTester(store, registry=registry).test(conn_id, on_step=observe)
    assert [name for name, _ in seen] == [s.name for s in outcome.report.steps]
    # the clock step was reported before the balance was even asked for
    assert seen[0] == ("server time", 0)


# ---------------------------------------------------------------- account state


async def test_the_account_page_shows_orders_positions_and_fills(
        client: Client, store: ConnectionStore, sim: ExampleSimulator,
        registry: Registry) -> None:
    conn_id = sandbox(store, sim)
    async with connect("example", sim.credentials, base_url=sim.base_url,
                       registry=registry) as venue:
        resting = await venue.place_order(OrderParams(
            symbol="BTC/USDT:USDT", side="buy", type="limit", quantity=Decimal("0.01"),
            price=Decimal("40000")))
        await venue.place_order(OrderParams(symbol="BTC/USDT:USDT", side="buy",
                                            type="market", quantity=Decimal("0.02")))
    await login(client)
    html = await page(client, f"/connections/{conn_id}/account")
    assert resting.order_id in html and "40000" in html
    assert 'id="positions"' in html and 'id="fills"' in html
    assert "polling" in html
    events_path = re.search(r'data-events="([^"]+)"', html)
    assert events_path is not None
    got = await events(client, events_path.group(1).replace("&amp;", "&"), until="orders")
    assert got[-1][1]["orders"][0]["order_id"] == resting.order_id
    bad = await page(client, f"/connections/{conn_id}/account?symbol=%3Cx%3E", status=400)
    assert "symbol" in bad


async def test_an_operation_the_venue_lacks_reads_not_supported(
        aiohttp_client: AiohttpClient, store: ConnectionStore, sim: ExampleSimulator) -> None:
    plugin = variant(without={Capability.FETCH_POSITIONS})
    app = create_app(store, token=TOKEN,
                     registry=Registry(extra={"example": plugin}, autoload=False))
    client = await aiohttp_client(app)
    conn_id = sandbox(store, sim)
    await login(client)
    html = await page(client, f"/connections/{conn_id}/account?symbol=BTC/USDT:USDT")
    assert "not supported by Example" in html
    assert 'id="open-orders"' in html


async def test_a_venue_error_on_the_account_page_is_worded_like_the_api(
        client: Client, store: ConnectionStore, sim: ExampleSimulator) -> None:
    wrong = Credentials(api_key=sim.credentials.api_key, api_secret=WRONG_SECRET)
    conn_id = sandbox(store, sim, name="bad", credentials=wrong)
    await login(client)
    html = await page(client, f"/connections/{conn_id}/account?symbol=BTC/USDT:USDT")
    assert "InvalidSignature" in html and "Example" in html
    assert WRONG_SECRET not in html and "Traceback" not in html



def test_the_wheel_ships_the_templates_and_the_static_files(tmp_path: Path) -> None:
    from hatchling.builders.wheel import WheelBuilder

    root = Path(__file__).resolve().parents[1]
    console = root / "core" / "venuekit" / "api" / "console"
    wanted = {f"venuekit/api/console/{p.relative_to(console).as_posix()}"
              for p in [*console.glob("templates/*"), *console.glob("static/*")]}
    assert len(wanted) >= 10
    (wheel,) = WheelBuilder(str(root)).build(directory=str(tmp_path), versions=["standard"])
    with zipfile.ZipFile(wheel) as archive:
        assert wanted <= set(archive.namelist())


async def test_the_server_stops_promptly_with_an_order_stream_open(
        store: ConnectionStore, registry: Registry, sim: ExampleSimulator) -> None:
    from aiohttp import ClientSession, CookieJar
    from venuekit.api.server import start_server

    conn_id = sandbox(store, sim)
    app = create_app(store, token=TOKEN, registry=registry,
                     console_settings=ConsoleSettings(poll_s=30.0))
    server = await start_server(app, "127.0.0.1", 0)
    stopped = False
    try:
        async with ClientSession(base_url=server.url,
                                 cookie_jar=CookieJar(unsafe=True)) as browser:
            form = await (await browser.get("/login")).text()
            await browser.post("/login", data={"token": TOKEN, "csrf": csrf_of(form)})
            stream = await browser.get(f"/connections/{conn_id}/account/orders/events")
            assert stream.status == 200
            assert (await stream.content.readline()).startswith(b"event: orders")
            async with asyncio.timeout(5):  # the next poll is 30 s away
                await server.stop()
            stopped = True
            stream.release()
    finally:
        if not stopped:
            await server.stop()


async def test_open_orders_are_live_from_the_order_stream(
        client: Client, store: ConnectionStore, sim: ExampleSimulator,
        registry: Registry) -> None:
    conn_id = store.create(name="live", exchange="example", credentials=sim.credentials,
                           base_url=sim.base_url,
                           stream_base_url=sim.base_url.replace("http://", "ws://")).id
    await login(client)
    path = f"/connections/{conn_id}/account/orders/events"
    seen: list[dict[str, Any]] = []
    async with client.get(path, headers={"Accept": "text/event-stream"}) as resp, \
            connect("example", sim.credentials, base_url=sim.base_url,
                    registry=registry) as venue:
        placed = None
        async with asyncio.timeout(10):
            async for raw in resp.content:
                line = raw.decode().rstrip("\n")
                if not line.startswith("data: "):
                    continue
                got = json.loads(line.removeprefix("data: "))
                seen.append(got)
                if placed is None:  # the REST read came first: now change something
                    await asyncio.sleep(0.2)  # let the stream subscribe
                    placed = await venue.place_order(OrderParams(
                        symbol="BTC/USDT:USDT", side="buy", type="limit",
                        quantity=Decimal("0.01"), price=Decimal("40000")))
                elif got.get("live") and got["orders"]:  # quiet spells repeat the list
                    break
    assert seen[0] == {"orders": [], "live": False}
    assert placed is not None
    assert seen[-1]["live"] is True
    assert [o["order_id"] for o in seen[-1]["orders"]] == [placed.order_id]
