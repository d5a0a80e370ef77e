"""The connection rules the API shares with the CLI (connection_rules.py), and stored hosts.

Each test here failed before the rules were shared: the API stored an OKX-like connection
without its passphrase, a second connection under a taken name, refused ``Example`` for
``example``, accepted a base URL without a scheme, and had no way to test a connection
against anything but the venue's real host.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from api_support import TOKEN, Api, assert_error, create_body, credentials_body, snapshot
from cli_support import example_registry, with_passphrase_plugin
from pytest_aiohttp import AiohttpClient
from venuekit.api import create_app
from venuekit.store import ConnectionStore
from venuekit.testing.example.simulator import ExampleSimulator

BASE = "/api/settings/connections"


@pytest.fixture
async def api(aiohttp_client: AiohttpClient, store: ConnectionStore,
              sim: ExampleSimulator) -> AsyncIterator[Api]:
    # no base_url_for: every host comes from the stored connection, as under `venuekit serve`
    app = create_app(store, token=TOKEN,
                     registry=example_registry(with_passphrase_plugin()))
    client = Api(await aiohttp_client(app), secrets=(sim.credentials.api_secret,))
    yield client
    client.assert_no_secret()


async def _create(api: Api, **changes: Any) -> tuple[int, Any]:
    status, body, _ = await api.call("POST", BASE, json=create_body(**changes))
    return status, body


async def test_a_venue_with_a_passphrase_refuses_a_connection_without_one(
        api: Api, store: ConnectionStore) -> None:
    before = snapshot(store.root)
    status, body = await _create(api, exchange="phrase",
                                 credentials=credentials_body(passphrase=None))
    assert_error(status, body, 422, "missing_field", "'credentials.passphrase'")
    assert snapshot(store.root) == before
    status, body = await _create(api, exchange="phrase")
    assert status == 201, body


async def test_a_taken_name_is_refused_on_create_and_on_rename(api: Api) -> None:
    status, first = await _create(api, name="bn")
    assert status == 201, first
    status, body = await _create(api, name="BN ")
    assert_error(status, body, 422, "name_taken", "'bn'")
    status, other = await _create(api, name="other")
    assert status == 201
    status, body, _ = await api.call("PATCH", f"{BASE}/{other['id']}", json={"name": "bn"})
    assert_error(status, body, 422, "name_taken", "choose another name")
    status, body, _ = await api.call("PATCH", f"{BASE}/{first['id']}", json={"name": "bn"})
    assert status == 200, body  # its own name is not a clash


async def test_exchange_names_are_case_insensitive(api: Api) -> None:
    status, body = await _create(api, exchange="Example")
    assert status == 201, body
    assert body["exchange"] == "example"


@pytest.mark.parametrize(("field", "value"), [
    ("base_url", "127.0.0.1:19100"),
    ("base_url", "ftp://127.0.0.1:19100"),
    ("base_url", "ws://127.0.0.1:19100"),
    ("stream_base_url", "http://127.0.0.1:19100"),
    ("base_url", "http://"),
])
async def test_a_host_without_a_usable_scheme_is_a_422_naming_the_field(
        api: Api, store: ConnectionStore, field: str, value: str) -> None:
    status, body = await _create(api, **{field: value})
    assert_error(status, body, 422, "invalid_field", f"'{field}'")
    assert store.list().connections == ()


async def test_a_stored_base_url_is_where_the_test_goes_and_is_marked_custom(
        api: Api, store: ConnectionStore, sim: ExampleSimulator) -> None:
    status, conn = await _create(api, name="sim", base_url=sim.base_url + "/",
                                 credentials=credentials_body(
                                     api_key=sim.credentials.api_key,
                                     api_secret=sim.credentials.api_secret,
                                     passphrase=None, private_key=None))
    assert status == 201, conn
    assert conn["base_url"] == sim.base_url  # stored without the trailing slash
    status, body, _ = await api.call("POST", f"{BASE}/{conn['id']}/test")
    assert status == 200, body
    assert body["status"] == "ok"
    assert body["base_url"] == sim.base_url and body["custom_host"] is True
    assert body["connection"]["last_test_base_url"] == sim.base_url
    _, active, _ = await api.call("GET", "/api/connections/active")
    assert active["connections"][0]["last_test_custom_host"] is True
    _, page, _ = await api.call("GET", f"{BASE}/{conn['id']}/logs")
    assert page["entries"][0]["base_url"] == sim.base_url
    assert page["entries"][0]["custom_host"] is True


async def test_patch_sets_and_clears_the_base_url(api: Api, sim: ExampleSimulator) -> None:
    _, conn = await _create(api)
    url = f"{BASE}/{conn['id']}"
    status, body, _ = await api.call("PATCH", url, json={"base_url": sim.base_url})
    assert status == 200 and body["base_url"] == sim.base_url
    status, body, _ = await api.call("PATCH", url, json={"base_url": None})
    assert status == 200 and body["base_url"] is None
    status, body, _ = await api.call("PATCH", url, json={"base_url": "localhost:1"})
    assert_error(status, body, 422, "invalid_field", "'base_url'")
