"""The HTTP API: every route's happy path, every refusal, and no secret in any reply.

Each ``api`` fixture checks at teardown that none of the secret values it stored appears
in any response body or header of the test.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from api_support import (
    API_KEY,
    API_SECRET,
    PASSPHRASE,
    PRIVATE_KEY,
    TOKEN,
    Api,
    assert_error,
    create_body,
    credentials_body,
    snapshot,
)
from pytest_aiohttp import AiohttpClient
from venuekit.api import create_app
from venuekit.api.validation import NAME_PATTERN, NOT_BLANK_PATTERN
from venuekit.models import Credentials
from venuekit.registry import Registry
from venuekit.store import ConnectionStore
from venuekit.testing.example.simulator import ExampleSimulator

BASE = "/api/settings/connections"


@pytest.fixture
async def api(aiohttp_client: AiohttpClient, store: ConnectionStore, registry: Registry,
              sim: ExampleSimulator) -> AsyncIterator[Api]:
    app = create_app(store, token=TOKEN, registry=registry,
                     base_url_for=lambda conn: sim.base_url, max_body_bytes=4096)
    client = Api(await aiohttp_client(app))
    yield client
    client.assert_no_secret()


async def create(api: Api, **changes: Any) -> dict[str, Any]:
    status, body, _ = await api.call("POST", BASE, json=create_body(**changes))
    assert status == 201, body
    return body  # type: ignore[no-any-return]


# ---------------------------------------------------------------- health, routing, CORS


async def test_health_needs_no_token(api: Api) -> None:
    status, body, headers = await api.call("GET", "/api/health", token=None)
    assert status == 200 and body["status"] == "ok" and body["version"]
    assert headers["Cache-Control"] == "no-store"


async def test_an_unknown_route_is_401_without_the_token_and_404_with_it(api: Api) -> None:
    status, body, _ = await api.call("GET", "/api/nowhere", token=None)
    assert_error(status, body, 401, "unauthorized")
    status, body, _ = await api.call("GET", "/api/nowhere")
    assert_error(status, body, 404, "not_found", "/api/nowhere")


async def test_a_wrong_method_is_405_json_with_allow(api: Api) -> None:
    status, body, headers = await api.call("PUT", BASE, json={})
    assert_error(status, body, 405, "method_not_allowed", "PUT")
    assert set(headers["Allow"].split(",")) == {"GET", "POST"}


async def test_no_cors_headers_even_when_asked(api: Api) -> None:
    origin = {"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    for method in ("OPTIONS", "GET"):
        _, _, headers = await api.call(method, "/api/connections/active", headers=origin)
        assert not any(name.lower().startswith("access-control-") for name in headers)


# ---------------------------------------------------------------- create, read, list


async def test_create_read_and_list(api: Api, store: ConnectionStore) -> None:
    status, body, headers = await api.call("POST", BASE, json=create_body(is_testnet=True))
    assert status == 201, body
    assert headers["Location"] == f"{BASE}/{body['id']}"
    assert body["api_key"] == "AKIA…WXYZ" and API_KEY not in json.dumps(body)
    assert body["is_testnet"] is True and body["is_enabled"] is True
    assert body["last_test_status"] == "never" and body["api_type"] == "rest"
    assert "secrets" not in body and "api_secret" not in body
    saved = store.credentials(body["id"])
    assert (saved.api_key, saved.api_secret, saved.passphrase, saved.private_key) == (
        API_KEY, API_SECRET, PASSPHRASE, PRIVATE_KEY)

    status, one, _ = await api.call("GET", headers["Location"])
    assert status == 200 and one == body
    status, listing, _ = await api.call("GET", BASE)
    assert status == 200 and listing == {"connections": [body], "problems": []}


async def test_active_lists_enabled_connections_with_their_last_test(
        api: Api, store: ConnectionStore) -> None:
    on = await create(api, name="on")
    await create(api, name="off", is_enabled=False)
    status, body, _ = await api.call("GET", "/api/connections/active")
    assert status == 200
    assert [c["id"] for c in body["connections"]] == [on["id"]]
    assert set(body["connections"][0]) == {
        "id", "name", "exchange", "is_testnet", "api_key", "base_url", "last_test_status",
        "last_test_balance", "last_test_at", "last_test_base_url", "last_test_custom_host",
        "api_capabilities"}
    # a write by someone else (the CLI, another process) shows at the next request
    store.record_test(on["id"], "ok", {"USDT": "12.5"}, capabilities=["trade"])
    _, body, _ = await api.call("GET", "/api/connections/active")
    row = body["connections"][0]
    assert row["last_test_status"] == "ok" and row["last_test_balance"] == {"USDT": "12.5"}
    assert row["api_capabilities"] == ["trade"] and row["last_test_at"]
    extra = store.create(name="cli-made", exchange="example",
                         credentials=Credentials(api_key="k" * 16, api_secret="s" * 16))
    _, body, _ = await api.call("GET", "/api/connections/active")
    assert {c["id"] for c in body["connections"]} == {on["id"], extra.id}


async def test_a_damaged_file_is_a_listed_problem_and_a_500_store_error(
        api: Api, store: ConnectionStore) -> None:
    conn = await create(api)
    store.path_of(conn["id"]).write_text("{ not json")
    status, body, _ = await api.call("GET", BASE)
    assert status == 200 and body["connections"] == []
    assert [p["id"] for p in body["problems"]] == [conn["id"]]
    status, body, _ = await api.call("GET", f"{BASE}/{conn['id']}")
    assert_error(status, body, 500, "store_error", "not valid JSON")


# ---------------------------------------------------------------- bad input changes nothing


def _deep(depth: int) -> bytes:
    return b'{"name":' + b"[" * depth + b"]" * depth + b"}"


BAD_CREATES: list[tuple[str, Any, int, str, str]] = [
    # (case, body: bytes or JSON value, status, code, named in the message)
    ("malformed", b'{"name": "x",', 400, "invalid_json", "not valid JSON"),
    ("not utf-8", b'{"name": "\xff"}', 400, "invalid_json", "UTF-8"),
    ("NaN", b'{"name": NaN}', 400, "invalid_json", "NaN"),
    ("deep nesting", _deep(1900), 400, "invalid_json", "nesting"),
    ("empty body", b"", 400, "invalid_json", "needs a JSON body"),
    ("array", [create_body()], 422, "invalid_field", "JSON object"),
    ("unknown field", create_body(id="mine"), 422, "unknown_field", "'id'"),
    ("unknown credential field", create_body(credentials=credentials_body(secret2="x")),
     422, "unknown_field", "'credentials.secret2'"),
    ("missing name", {k: v for k, v in create_body().items() if k != "name"},
     422, "missing_field", "'name'"),
    ("missing credentials", {k: v for k, v in create_body().items() if k != "credentials"},
     422, "missing_field", "'credentials'"),
    ("missing api_key", create_body(credentials={"api_secret": API_SECRET}),
     422, "missing_field", "'credentials.api_key'"),
    ("name not a string", create_body(name=5), 422, "invalid_field", "'name'"),
    ("blank name", create_body(name="   "), 422, "invalid_field", "'name'"),
    ("two-line name", create_body(name="a\nb"), 422, "invalid_field", "'name'"),
    ("ideographic-space name", create_body(name="\u3000\u2003"), 422, "invalid_field",
     "'name'"),
    ("long name", create_body(name="n" * 201), 422, "invalid_field", "'name'"),
    ("lone surrogate", b'{"name": "\\ud800", "exchange": "example", "credentials": '
     b'{"api_key": "abc"}}', 422, "invalid_field", "Unicode"),
    ("testnet not a bool", create_body(is_testnet="yes"), 422, "invalid_field",
     "'is_testnet'"),
    ("enabled as 1", create_body(is_enabled=1), 422, "invalid_field", "'is_enabled'"),
    ("credentials a list", create_body(credentials=[API_KEY]), 422, "invalid_field",
     "'credentials'"),
    ("secret a number", create_body(credentials=credentials_body(api_secret=12)),
     422, "invalid_field", "'credentials.api_secret'"),
    ("secret null", create_body(credentials=credentials_body(api_secret=None)),
     422, "invalid_field", "'credentials.api_secret'"),
    ("blank api key", create_body(credentials=credentials_body(api_key=" ")),
     422, "invalid_field", "'credentials.api_key'"),
    ("bad key type", create_body(credentials=credentials_body(key_type="dsa")),
     422, "invalid_field", "'credentials.key_type'"),
    ("bad api_type", create_body(api_type="rest api"), 422, "invalid_field", "'api_type'"),
    ("unknown exchange", create_body(exchange="nowhere"), 422, "unknown_exchange",
     "'exchange' names no installed exchange plugin; installed: example"),
    ("oversized", create_body(name="x" * 5000), 413, "body_too_large", "4096 byte"),
]


@pytest.mark.parametrize(("body", "status", "code", "mentions"),
                         [case[1:] for case in BAD_CREATES], ids=[c[0] for c in BAD_CREATES])
async def test_a_bad_create_is_refused_and_changes_nothing(
        api: Api, store: ConnectionStore, body: Any, status: int, code: str,
        mentions: str) -> None:
    await create(api, name="existing")
    before = snapshot(store.root)
    if isinstance(body, bytes):
        got, payload, _ = await api.call("POST", BASE, data=body,
                                         headers={"Content-Type": "application/json"})
    else:
        got, payload, _ = await api.call("POST", BASE, json=body)
    assert_error(got, payload, status, code, mentions)
    assert snapshot(store.root) == before


async def test_json_the_parser_cannot_take_is_400(aiohttp_client: AiohttpClient,
                                                  store: ConnectionStore,
                                                  registry: Registry) -> None:
    api = Api(await aiohttp_client(create_app(store, token=TOKEN, registry=registry)))
    for raw in (b'{"name": ' + b"9" * 5000 + b"}", _deep(20000)):
        status, body, _ = await api.call("POST", BASE, data=raw,
                                         headers={"Content-Type": "application/json"})
        assert_error(status, body, 400, "invalid_json", "over-long number")
    assert snapshot(store.root) == {}


def test_the_published_patterns_mean_what_the_checks_do() -> None:
    # explicit classes, no \s: engines disagree on \ufeff and \x85
    assert "\\s" not in NAME_PATTERN and "\\s" not in NOT_BLANK_PATTERN
    for text in ("ok", "\ufeff", " a ", "\u3000", "\x85", "a\tb", "\u00a0x"):
        one_line = not any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text)
        assert bool(re.fullmatch(NAME_PATTERN, text)) is (one_line and bool(text.strip()))
        assert bool(re.search(NOT_BLANK_PATTERN, text)) is bool(text.strip())


async def test_a_body_that_is_not_json_is_415(api: Api, store: ConnectionStore) -> None:
    before = snapshot(store.root)
    status, body, _ = await api.call("POST", BASE, data=json.dumps(create_body()),
                                     headers={"Content-Type": "text/plain"})
    assert_error(status, body, 415, "unsupported_media_type", "application/json")
    assert snapshot(store.root) == before


async def test_messages_never_echo_a_secret_value(api: Api) -> None:
    # a secret where a number belongs, a secret as an unknown field's value
    for body in (create_body(name=API_SECRET * 10),
                 create_body(credentials=credentials_body(api_key=API_SECRET, x=PASSPHRASE)),
                 create_body(exchange=PRIVATE_KEY)):
        status, payload, _ = await api.call("POST", BASE, json=body)
        assert status == 422, payload  # the fixture's teardown greps every reply


# ---------------------------------------------------------------- update, enable, delete


async def test_patch_renames_enables_and_sets_testnet(api: Api) -> None:
    conn = await create(api)
    url = f"{BASE}/{conn['id']}"
    status, body, _ = await api.call("PATCH", url, json={"name": "renamed"})
    assert status == 200 and body["name"] == "renamed" and body["api_key"] == conn["api_key"]
    status, body, _ = await api.call("PATCH", url,
                                     json={"is_enabled": False, "is_testnet": True})
    assert status == 200 and body["is_enabled"] is False and body["is_testnet"] is True
    _, again, _ = await api.call("GET", url)
    assert again == body


async def test_patch_replaces_credentials_as_a_whole(api: Api, store: ConnectionStore) -> None:
    conn = await create(api)
    new_secret = "rolled-secret-at-the-exchange-5555"
    api.secrets.append(new_secret)
    status, body, _ = await api.call("PATCH", f"{BASE}/{conn['id']}", json={
        "credentials": {"api_key": "NEWK-rolled-key-000000-ABCD", "api_secret": new_secret}})
    assert status == 200 and body["api_key"] == "NEWK…ABCD"
    saved = store.credentials(conn["id"])
    assert (saved.api_secret, saved.passphrase, saved.private_key) == (new_secret, None, None)


BAD_PATCHES: list[tuple[str, Any, str, str]] = [
    ("empty", {}, "missing_field", "names no field"),
    ("exchange is fixed", {"exchange": "example"}, "unknown_field", "'exchange'"),
    ("unknown field", {"colour": "red"}, "unknown_field", "'colour'"),
    ("enabled as string", {"is_enabled": "false"}, "invalid_field", "'is_enabled'"),
    ("name null", {"name": None}, "invalid_field", "'name'"),
    ("credentials without key", {"credentials": {"api_secret": "x"}}, "missing_field",
     "'credentials.api_key'"),
]


@pytest.mark.parametrize(("body", "code", "mentions"), [c[1:] for c in BAD_PATCHES],
                         ids=[c[0] for c in BAD_PATCHES])
async def test_a_bad_patch_is_422_and_changes_nothing(api: Api, store: ConnectionStore,
                                                      body: Any, code: str,
                                                      mentions: str) -> None:
    conn = await create(api)
    before = snapshot(store.root)
    status, payload, _ = await api.call("PATCH", f"{BASE}/{conn['id']}", json=body)
    assert_error(status, payload, 422, code, mentions)
    assert snapshot(store.root) == before


async def test_enable_disable_and_delete(api: Api, store: ConnectionStore) -> None:
    conn = await create(api)
    url = f"{BASE}/{conn['id']}"
    status, body, _ = await api.call("POST", url + "/disable")
    assert status == 200 and body["is_enabled"] is False
    assert store.get(conn["id"]).is_enabled is False
    status, body, _ = await api.call("POST", url + "/enable")
    assert status == 200 and body["is_enabled"] is True
    store.append_log(conn["id"], {"ok": True})
    status, body, _ = await api.call("DELETE", url)
    assert status == 204 and body is None
    assert conn["id"] not in store and not (store.logs_dir / f"{conn['id']}.jsonl").exists()
    status, body, _ = await api.call("GET", url)
    assert_error(status, body, 404, "not_found", conn["id"])


UNKNOWN_IDS = ["0123456789abcdef0123456789abcdef", "..%2Fetc", "a" * 65, "-dash-first"]


@pytest.mark.parametrize("conn_id", UNKNOWN_IDS)
@pytest.mark.parametrize(("method", "suffix", "body"), [
    ("GET", "", None), ("PATCH", "", {"name": "x"}), ("DELETE", "", None),
    ("POST", "/enable", None), ("POST", "/disable", None), ("POST", "/test", None),
    ("GET", "/logs", None)])
async def test_an_unknown_id_is_404_everywhere(api: Api, store: ConnectionStore,
                                               conn_id: str, method: str, suffix: str,
                                               body: Any) -> None:
    await create(api)
    before = snapshot(store.root)
    status, payload, _ = await api.call(method, f"{BASE}/{conn_id}{suffix}", json=body)
    assert_error(status, payload, 404, "not_found")
    assert snapshot(store.root) == before


# ---------------------------------------------------------------- logs, plugins


async def test_logs_are_paged_newest_first(api: Api, store: ConnectionStore) -> None:
    conn = await create(api)
    for i in range(5):
        store.append_log(conn["id"], {"tested_at": f"2026-01-0{i + 1}T00:00:00+00:00",
                                      "ok": True, "n": i})
    url = f"{BASE}/{conn['id']}/logs"
    status, page, _ = await api.call("GET", url + "?limit=2")
    assert status == 200
    assert [e["n"] for e in page["entries"]] == [4, 3]
    assert (page["offset"], page["limit"], page["next_offset"]) == (0, 2, 2)
    _, page, _ = await api.call("GET", url + "?offset=4&limit=2")
    assert [e["n"] for e in page["entries"]] == [0] and page["next_offset"] is None
    _, page, _ = await api.call("GET", url)
    assert len(page["entries"]) == 5 and page["limit"] == 50 and page["next_offset"] is None


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "offset=-1", "limit=abc",
                                   "offset=", "limit=1.5", "offset=99999999"])
async def test_bad_log_paging_is_400(api: Api, query: str) -> None:
    conn = await create(api)
    status, body, _ = await api.call("GET", f"{BASE}/{conn['id']}/logs?{query}")
    assert_error(status, body, 400, "invalid_parameter", query.split("=")[0])


async def test_plugins_lists_the_registry(api: Api) -> None:
    status, body, _ = await api.call("GET", "/api/plugins")
    assert status == 200
    (row,) = body["plugins"]
    assert row["name"] == "example" and row["loaded"] is True
    assert "key_permissions" in row["hooks"] and row["error"] is None
