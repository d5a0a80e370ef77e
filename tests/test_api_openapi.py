"""The OpenAPI document and the served routes agree exactly, and it describes what is sent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from api_support import TOKEN, Api
from pytest_aiohttp import AiohttpClient
from venuekit.api import build_document, create_app
from venuekit.api.listing import active_view
from venuekit.models import Credentials
from venuekit.registry import Registry
from venuekit.store import ConnectionStore, ExchangeConnection

METHODS = {"get", "put", "post", "patch", "delete", "head", "options", "trace"}


@pytest.fixture
async def document(aiohttp_client: AiohttpClient, tmp_path: Path,
                   registry: Registry) -> dict[str, Any]:
    api = Api(await aiohttp_client(create_app(ConnectionStore(tmp_path), token=TOKEN,
                                              registry=registry)))
    status, body, _ = await api.call("GET", "/api/openapi.json")
    assert status == 200
    return body  # type: ignore[no-any-return]


def served(registry: Registry) -> dict[tuple[str, str], str | None]:
    # the JSON API's routes; the console's HTML pages are not part of the document
    app = create_app(ConnectionStore("/nonexistent"), token=TOKEN, registry=registry,
                     console=False)
    found: dict[tuple[str, str], str | None] = {}
    for route in app.router.routes():
        assert route.resource is not None
        found[(route.resource.canonical, route.method.lower())] = route.name
    return found


def documented(doc: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {(path, method): op["operationId"] for path, item in doc["paths"].items()
            for method, op in item.items() if method in METHODS}


def test_the_document_and_the_routes_agree_exactly(document: dict[str, Any],
                                                   registry: Registry) -> None:
    # same paths, same methods, and each operation id is the route's name
    assert documented(document) == served(registry)


def test_it_is_openapi_3_1_with_the_named_schemas(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    assert {"Connection", "ConnectionCreate", "ConnectionUpdate", "TestResult", "LogPage",
            "Plugin", "Error"} <= set(document["components"]["schemas"])
    exchange = document["components"]["schemas"]["ConnectionCreate"]["properties"]["exchange"]
    assert exchange["enum"] == ["example"]


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def test_every_reference_resolves(document: dict[str, Any]) -> None:
    for ref in _refs(document):
        node: Any = document
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]


def test_security_and_errors_are_documented_on_every_operation(
        document: dict[str, Any]) -> None:
    assert document["security"] == [{"bearerAuth": []}]
    for (path, method), _ in documented(document).items():
        op = document["paths"][path][method]
        if path == "/api/health":
            assert op["security"] == []
            continue
        assert "401" in op["responses"] and "security" not in op
        if "requestBody" in op:
            assert {"400", "413", "415", "422"} <= set(op["responses"])
        if "{id}" in path:
            assert "404" in op["responses"]
    test_op = document["paths"]["/api/settings/connections/{id}/test"]["post"]
    assert "waits for the running one" in test_op["description"]


def test_the_connection_schemas_match_what_is_sent(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    sample = ExchangeConnection(name="n", exchange="example",
                                secrets=Credentials(api_key="k" * 20, api_secret="s" * 20))
    view = sample.public_view()
    assert set(schemas["Connection"]["properties"]) == set(view)
    assert set(schemas["Connection"]["required"]) == set(view)
    assert set(schemas["ActiveConnection"]["properties"]) == set(active_view(sample))
    assert schemas["Connection"]["additionalProperties"] is False


def test_secrets_are_write_only_in_the_schemas(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    written = set(schemas["Credentials"]["properties"])
    assert {"api_secret", "passphrase", "private_key"} <= written
    for name, schema in schemas.items():
        if name in ("Credentials", "ConnectionCreate", "ConnectionUpdate"):
            continue
        assert not {"api_secret", "passphrase", "private_key"} & set(
            schema.get("properties", {})), name


def test_the_document_states_the_body_limit() -> None:
    doc = build_document(exchanges=[], max_body_bytes=2048)
    assert "2048 bytes" in doc["info"]["description"]
    assert "enum" not in doc["components"]["schemas"]["ConnectionCreate"]["properties"][
        "exchange"]
