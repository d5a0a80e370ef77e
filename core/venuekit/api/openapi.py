"""The OpenAPI 3.1 document, built in code from the same limits the validators use.

It is built per server: the ``exchange`` of a new connection is an ``enum`` of the
plugins installed where the document is served, which is exactly what the server
accepts. A test checks that the paths and methods here are the application's routes,
no more and no fewer, and that the operation ids are its route names.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._version import __version__
from ..connection_rules import MAX_URL_LENGTH, URL_PATTERN
from ..store.model import ID_PATTERN
from .listing import ACTIVE_FIELDS
from .openapi_parts import (
    ID_PARAM,
    STRING,
    Schema,
    error,
    json_body,
    links,
    nullable,
    obj,
    ok,
    op,
    r,
    ref,
)
from .validation import (
    CREDENTIAL_LIMITS,
    KEY_TYPES,
    LABEL_PATTERN,
    MAX_LOG_OFFSET,
    MAX_LOG_PAGE,
    MAX_NAME_LENGTH,
    NAME_PATTERN,
    NOT_BLANK_PATTERN,
)

__all__ = ["build_document"]

DESCRIPTION = """\
Manage and test the exchange connections of a venuekit connection store.

Every operation except `GET /api/health` needs `Authorization: Bearer <token>`: the
token is `$VENUEKIT_API_TOKEN` or the file `api.token` in the store's directory, created
(mode 0600) on the first `venuekit serve`. The server binds 127.0.0.1 unless told
otherwise and sends no CORS headers.

API keys are shown masked (`abcd…wxyz`); secrets (`api_secret`, `passphrase`,
`private_key`) are write-only and appear in no response. Request bodies are JSON objects
of at most {max_body} bytes with exactly the documented fields. Every error is a JSON
`Error` naming the problem, and a refused request changes nothing.
"""


_BOOL: Schema = {"type": "boolean"}
STRINGS: Schema = {"type": "array", "items": STRING}
_DECIMALS: Schema = {"type": ["object", "null"], "additionalProperties": {"type": "string"},
                     "description": "asset -> total, decimal strings"}
_TIMESTAMP: Schema = {"type": ["string", "null"], "format": "date-time"}
_URL: Schema = {"type": ["string", "null"], "format": "uri"}
#: what a client may send as a host: http(s) or ws(s) with a host, or null for the venue's
_URL_IN: Schema = {"type": ["string", "null"], "pattern": URL_PATTERN, "maxLength": MAX_URL_LENGTH}


def _schemas(exchanges: Sequence[str]) -> dict[str, Schema]:
    name: Schema = {"type": "string", "minLength": 1, "maxLength": MAX_NAME_LENGTH,
                    "pattern": NAME_PATTERN, "description": "one line, not only spaces"}
    label: Schema = {"type": "string", "pattern": LABEL_PATTERN}
    exchange: Schema = {"type": "string", "minLength": 1,
                        "description": "an installed exchange plugin (GET /api/plugins)"}
    if exchanges:
        exchange["enum"] = list(exchanges)
    write_only = "write-only: never returned"
    low, high = CREDENTIAL_LIMITS["api_key"]
    credentials = obj({
        "api_key": {"type": "string", "minLength": low, "maxLength": high,
                    "pattern": NOT_BLANK_PATTERN,
                    "description": "shown back masked, first and last four characters"},
        "api_secret": {"type": "string", "maxLength": CREDENTIAL_LIMITS["api_secret"][1],
                       "description": write_only},
        "passphrase": {"type": ["string", "null"],
                       "maxLength": CREDENTIAL_LIMITS["passphrase"][1], "description": write_only},
        "private_key": {"type": ["string", "null"],
                        "maxLength": CREDENTIAL_LIMITS["private_key"][1],
                        "description": write_only + "; Ed25519 seed or RSA PEM for key pairs"},
        "key_type": {"type": "string", "enum": list(KEY_TYPES), "default": "hmac"},
    }, required=["api_key"], description="Replaced as a whole; whether the venue needs each "
       "field is checked by the connection test.")
    connection_fields: dict[str, Schema] = {
        "id": {"type": "string", "pattern": f"^{ID_PATTERN.pattern}$"},
        "name": STRING,
        "exchange": STRING,
        "api_type": STRING,
        "connection_method": STRING,
        "is_testnet": _BOOL,
        "is_enabled": _BOOL,
        "api_key": {"type": "string", "description": "masked: abcd…wxyz"},
        "last_test_status": {"type": "string", "enum": ["ok", "failed", "never"]},
        "last_test_balance": _DECIMALS,
        "last_test_at": _TIMESTAMP,
        "last_test_log": STRINGS,
        "api_capabilities": STRINGS,
        "base_url": {**_URL, "description": "REST host used instead of the venue's; null: "
                     "the venue's own"},
        "stream_base_url": {**_URL, "description": "socket host used instead of the "
                            "venue's; null: the venue's own"},
        "last_test_base_url": {**_URL, "description": "the host the last test ran against"},
        "last_test_custom_host": {**_BOOL, "description": "true when the last test ran "
                                  "against a host other than the venue's own (a simulator, "
                                  "a proxy): its status says nothing about the venue"},
        "schema_version": {"type": "integer"},
    }
    active = ACTIVE_FIELDS
    step = obj({"name": STRING, "ok": _BOOL, "duration_ms": {"type": "number"},
                 "detail": STRING, "error": nullable(STRING)})
    flag = {"type": ["boolean", "null"]}
    return {
        "Error": obj({"error": obj({"code": STRING, "message": STRING,
                                      "venue": ref("VenueDetail")},
                                     required=["code", "message"])},
                      description="`venue` only on errors about a venue's failure."),
        "Health": obj({"status": {"type": "string", "const": "ok"}, "version": STRING}),
        "Credentials": credentials,
        "Connection": obj(connection_fields, description="A stored connection; no secret."),
        "ActiveConnection": obj({k: connection_fields[k] for k in active}),
        "Problem": obj({"id": STRING, "reason": STRING},
                        description="A connection file that could not be loaded."),
        "ConnectionList": obj({"connections": {"type": "array", "items": ref("Connection")},
                                "problems": {"type": "array", "items": ref("Problem")}}),
        "ActiveConnectionList": obj(
            {"connections": {"type": "array", "items": ref("ActiveConnection")}}),
        "ConnectionCreate": {**obj({
            "name": name, "exchange": exchange, "credentials": ref("Credentials"),
            "api_type": {**label, "default": "rest"},
            "connection_method": {**label, "default": "api_key"},
            "is_testnet": {**_BOOL, "default": False},
            "is_enabled": {**_BOOL, "default": True},
            "base_url": {**_URL_IN, "default": None},
            "stream_base_url": {**_URL_IN, "default": None},
        }, required=["name", "exchange", "credentials"]), "examples": [{
            "name": "main account", "exchange": exchanges[0] if exchanges else "binance",
            "credentials": {"api_key": "EXAMPLE-API-KEY-0000-1111-2222",
                            "api_secret": "EXAMPLE-API-SECRET-3333-4444-5555"},
            "is_testnet": True}]},
        "ConnectionUpdate": {**obj({
            "name": name, "is_enabled": _BOOL, "is_testnet": _BOOL,
            "credentials": ref("Credentials"), "base_url": _URL_IN, "stream_base_url": _URL_IN,
        }, required=[], description="Only the fields given change; credentials are replaced "
           "as a whole."), "minProperties": 1,
            "examples": [{"name": "renamed"}, {"is_enabled": False}]},
        "CheckStep": step,
        "KeyPermissions": obj({"can_read": flag, "can_trade": flag, "can_withdraw": flag,
                                "ip_restricted": flag}),
        "TestResult": obj({
            "connection_id": STRING,
            "status": {"type": "string", "enum": ["ok", "failed"]},
            "exchange": STRING,
            "testnet": _BOOL,
            "base_url": {**_URL, "description": "the host the test ran against"},
            "custom_host": {**_BOOL, "description": "true when that host is not the "
                            "venue's own"},
            "tested_at": {"type": "string", "format": "date-time"},
            "latency_ms": nullable({"type": "number"}),
            "clock_offset_ms": nullable({"type": "number"}),
            "balance": _DECIMALS,
            "capabilities": STRINGS,
            "permissions": {"oneOf": [ref("KeyPermissions"), {"type": "null"}]},
            "warnings": STRINGS,
            "steps": {"type": "array", "items": ref("CheckStep")},
            "log": {**STRINGS, "description": "the stored test log, scrubbed of secrets"},
            "connection": {"oneOf": [ref("Connection"), {"type": "null"}]},
        }),
        "LogEntry": obj({
            "tested_at": {"type": "string", "format": "date-time"}, "ok": _BOOL,
            "latency_ms": nullable({"type": "number"}),
            "clock_offset_ms": nullable({"type": "number"}),
            "steps": {"type": "array", "items": ref("CheckStep")}, "warnings": STRINGS,
        }, required=[], closed=False, description="One stored test, newest first."),
        "LogPage": obj({
            "connection_id": STRING,
            "offset": {"type": "integer", "minimum": 0},
            "limit": {"type": "integer", "minimum": 1},
            "next_offset": {"type": ["integer", "null"],
                            "description": "null on the last page"},
            "entries": {"type": "array", "items": ref("LogEntry")},
        }),
        "Plugin": obj({
            "name": STRING, "distribution": nullable(STRING), "version": nullable(STRING),
            "module": STRING, "loaded": _BOOL, "error": nullable(STRING),
            "hooks": STRINGS, "display_name": STRING,
        }, required=["name", "distribution", "version", "module", "loaded", "error", "hooks"]),
        "PluginList": obj({"plugins": {"type": "array", "items": ref("Plugin")}}),
    }


_RESPONSES: dict[str, Any] = {
    "BadJson": error("Malformed JSON, or a query parameter out of range (`invalid_json`, "
                      "`invalid_parameter`)."),
    "Unauthorized": {**error("Missing or wrong bearer token (`unauthorized`)."),
                     "headers": {"WWW-Authenticate": {"schema": STRING}}},
    "NotFound": error("No connection with that id (`not_found`)."),
    "TooLarge": error("The body is over the size limit (`body_too_large`)."),
    "UnsupportedMediaType": error("The body is not `application/json`."),
    "Unprocessable": error("A body that does not fit the schema: `unknown_field`, "
                            "`missing_field`, `invalid_field`, `unknown_exchange`."),
    "StoreFailure": error("The connection store could not read or write a file "
                           "(`store_error`), or an internal error."),
}


def _paths() -> dict[str, Any]:
    item = "/api/settings/connections/{id}"
    one = ok("The connection.", "Connection")
    by_id = [ID_PARAM]
    not_found = {"404": r("NotFound")}
    return {
        "/api/health": {"get": op(
            "getHealth", "Liveness; needs no token and tells nothing else",
            {"200": ok("The server is up.", "Health")}, public=True, tag="meta")},
        "/api/connections/active": {"get": op(
            "listActiveConnections", "Enabled connections and their last test",
            {"200": ok("Every enabled connection with its last test status, balance, "
                        "time and capabilities.", "ActiveConnectionList")})},
        "/api/settings/connections": {
            "get": op("listConnections", "Every stored connection",
                       {"200": ok("The connections that load, and a problem for each "
                                   "file that does not.", "ConnectionList")}),
            "post": op("createConnection", "Store a new connection",
                        {"201": {**ok("Stored.", "Connection"),
                                 "headers": {"Location": {"schema": STRING}},
                                 "links": links("getConnection", "updateConnection",
                                                 "deleteConnection", "testConnection",
                                                 "enableConnection", "disableConnection",
                                                 "getConnectionLogs")}},
                        body="ConnectionCreate"),
        },
        item: {
            "get": op("getConnection", "One connection", {"200": one, **not_found},
                       parameters=by_id),
            "patch": op("updateConnection", "Rename, enable or disable, set testnet, or "
                         "replace credentials", {"200": one, **not_found},
                         parameters=by_id, body="ConnectionUpdate"),
            "delete": op("deleteConnection", "Delete a connection and its test log",
                          {"204": {"description": "Deleted."}, **not_found},
                          parameters=by_id),
        },
        item + "/enable": {"post": op("enableConnection", "Enable a connection",
                                       {"200": one, **not_found}, parameters=by_id)},
        item + "/disable": {"post": op("disableConnection", "Disable a connection",
                                        {"200": one, **not_found}, parameters=by_id)},
        item + "/test": {"post": op(
            "testConnection", "Run the connection test and store its outcome",
            {"200": ok("The test ran (it may have failed: see `status`).", "TestResult"),
             **not_found,
             "504": error("The test did not end within its bound (`test_timeout`).")},
            parameters=by_id, description=(
                "Loads the connection, decrypts its credentials, runs the plugin's "
                "connection test under the 30 s timeout, stores status, balance, "
                "capabilities and log, and returns them. A request for a connection whose "
                "test is already running does not start a second test: it waits for the "
                "running one and returns the same result."))},
        item + "/logs": {"get": op(
            "getConnectionLogs", "The stored test log, newest first, paged",
            {"200": ok("One page.", "LogPage"), **not_found,
             "400": r("BadJson")},
            parameters=[*by_id,
                        {"name": "offset", "in": "query", "required": False,
                         "description": "entries to skip, newest first",
                         "schema": {"type": "integer", "minimum": 0,
                                    "maximum": MAX_LOG_OFFSET, "default": 0}},
                        {"name": "limit", "in": "query", "required": False,
                         "schema": {"type": "integer", "minimum": 1,
                                    "maximum": MAX_LOG_PAGE, "default": 50}}])},
        "/api/plugins": {"get": op(
            "listPlugins", "Installed exchange plugins",
            {"200": ok("Each plugin, whether it loads, and its hooks or its error.",
                        "PluginList")}, tag="meta")},
        "/api/openapi.json": {"get": op(
            "getOpenApi", "This document",
            {"200": {"description": "The OpenAPI 3.1 document.",
                     "content": json_body({"type": "object"})}}, tag="meta")},
    }


def build_document(*, exchanges: Sequence[str], max_body_bytes: int) -> dict[str, Any]:
    """The OpenAPI 3.1 document of a server with these plugins installed.

    :param exchanges: the installed exchange names (the ``exchange`` enum).
    :param max_body_bytes: the body size limit, stated in the description.
    """
    # imported here: the account part builds on this module's helpers
    from .openapi_account import account_paths, account_responses, account_schemas

    return {
        "openapi": "3.1.0",
        "info": {"title": "venuekit API", "version": __version__,
                 "description": DESCRIPTION.format(max_body=max_body_bytes)},
        "tags": [{"name": "connections", "description": "Exchange connections"},
                 {"name": "meta", "description": "The server itself"},
                 {"name": "account", "description": "Account state read through a connection"}],
        "security": [{"bearerAuth": []}],
        "paths": {**_paths(), **account_paths()},
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": {**_schemas(exchanges), **account_schemas()},
            "responses": {**_RESPONSES, **account_responses()},
        },
    }
