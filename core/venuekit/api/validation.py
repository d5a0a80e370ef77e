"""Strict input checking: a request either parses completely or changes nothing.

Bodies are UTF-8 JSON objects with exactly the fields a route documents: an unknown
field, a missing one or a wrong type is a 422 naming the field, never a silently ignored
key. The limits and patterns here are the ones :mod:`venuekit.api.openapi` publishes, so
the document and the checks cannot drift apart. Messages name fields, never values: a
body may hold secrets.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, NoReturn

import attrs
from aiohttp import web
from attrs import frozen

from ..connection_rules import STREAM_SCHEMES, RuleError, check_base_url
from ..models import Credentials, KeyType
from ..store import ExchangeConnection
from .errors import ApiError

__all__ = [
    "CREDENTIAL_LIMITS",
    "KEY_TYPES",
    "LABEL_PATTERN",
    "MAX_LOG_OFFSET",
    "MAX_LOG_PAGE",
    "MAX_NAME_LENGTH",
    "NAME_PATTERN",
    "NOT_BLANK_PATTERN",
    "ConnectionCreate",
    "ConnectionUpdate",
    "page_params",
    "parse_create",
    "parse_update",
    "read_json_object",
    "rule_error",
]

MAX_NAME_LENGTH = 200
#: The characters ``str.strip`` removes, spelled out: ``\s`` differs between Python, ECMA
#: and Rust regexes (``\ufeff``, ``\x85``), and the published patterns must mean here
#: exactly what they mean to a client's validator.
_SPACE = r"\x09-\x0d\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
#: a name is one line of text with something in it
NAME_PATTERN = rf"^[^\x00-\x1f\x7f]*[^\x00-\x1f\x7f{_SPACE}][^\x00-\x1f\x7f]*$"
#: an API key has something in it besides spaces
NOT_BLANK_PATTERN = rf"[^{_SPACE}]"
#: ``api_type`` and ``connection_method``: short identifiers
LABEL_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"
KEY_TYPES = tuple(k.value for k in KeyType)
#: (min, max) characters of each credential field
CREDENTIAL_LIMITS: Mapping[str, tuple[int, int]] = {
    "api_key": (1, 1024),
    "api_secret": (0, 4096),
    "passphrase": (0, 1024),
    "private_key": (0, 16384),
}
MAX_LOG_PAGE = 500
MAX_LOG_OFFSET = 1_000_000

_NAME = re.compile(NAME_PATTERN)
_NOT_BLANK = re.compile(NOT_BLANK_PATTERN)
_LABEL = re.compile(LABEL_PATTERN)
_DIGITS = re.compile(r"[0-9]{1,7}")


def _fail(code: str, message: str) -> NoReturn:
    raise ApiError(422, code, message)


def rule_error(exc: RuleError) -> ApiError:
    """A broken connection rule (shared with the CLI) as the API's 422 naming the field."""
    return ApiError(422, exc.code, str(exc))


def _host(data: Mapping[str, Any], field: str) -> str | None:
    value = data.get(field)
    if value is not None:
        value = _text(value, field)
    try:
        return check_base_url(value, field, STREAM_SCHEMES if field.startswith("stream")
                              else ("http", "https"))
    except RuleError as exc:
        raise rule_error(exc) from None


# ---------------------------------------------------------------- bodies


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


async def read_json_object(request: web.Request) -> dict[str, Any]:
    """The body as a JSON object; 415, 413, 400 or 422 when it is not one.

    The size limit is the application's ``client_max_size``: aiohttp stops reading there.
    """
    if request.content_type != "application/json":
        raise ApiError(415, "unsupported_media_type",
                       "the body must be JSON, sent with 'Content-Type: application/json'")
    raw = await request.read()
    if not raw.strip():
        raise ApiError(400, "invalid_json", "the request needs a JSON body")
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_json", "the body is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ApiError(400, "invalid_json", f"the body is not valid JSON: {exc.msg} at line "
                       f"{exc.lineno} column {exc.colno}") from None
    except (ValueError, RecursionError):  # NaN, 5000-digit numbers, deep nesting
        raise ApiError(400, "invalid_json", "the body is not JSON this API accepts "
                       "(NaN, an over-long number, or nesting too deep)") from None
    if not isinstance(data, dict):
        _fail("invalid_field", "the body must be a JSON object")
    return data


def _label(key: object) -> str:
    text = str(key)
    return repr(text) if len(text) <= 40 else repr(text[:40] + "…")


def _check_fields(data: Mapping[str, Any], allowed: tuple[str, ...],
                  required: tuple[str, ...], where: str = "") -> None:
    for key in data:
        if key not in allowed:
            _fail("unknown_field", f"unknown field {_label(where + key)}; "
                  f"allowed: {', '.join(where + a for a in allowed)}")
    for key in required:
        if key not in data:
            _fail("missing_field", f"missing required field {where + key!r}")


def _text(value: object, field: str) -> str:
    if not isinstance(value, str):
        _fail("invalid_field", f"{field!r} must be a string")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        _fail("invalid_field", f"{field!r} is not valid Unicode text")
    return value


def _bool(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        _fail("invalid_field", f"{field!r} must be true or false")
    return value


def _name(value: object) -> str:
    text = _text(value, "name")
    if not 1 <= len(text) <= MAX_NAME_LENGTH:
        _fail("invalid_field", f"'name' must be 1 to {MAX_NAME_LENGTH} characters")
    if not _NAME.fullmatch(text):
        _fail("invalid_field", "'name' must be one line of text, not only spaces")
    return text


def _identifier(value: object, field: str) -> str:
    text = _text(value, field)
    if not _LABEL.fullmatch(text):
        _fail("invalid_field", f"{field!r} must be 1 to 64 letters, digits, '.', '_' or '-'")
    return text


def _credentials(value: object) -> Credentials:
    if not isinstance(value, dict):
        _fail("invalid_field", "'credentials' must be an object")
    fields = (*CREDENTIAL_LIMITS, "key_type")
    _check_fields(value, fields, ("api_key",), "credentials.")
    found: dict[str, str | None] = {}
    for field, (low, high) in CREDENTIAL_LIMITS.items():
        raw = value.get(field)
        if raw is None:
            if field in ("api_key", "api_secret") and field in value:
                _fail("invalid_field", f"'credentials.{field}' must be a string")
            found[field] = None
            continue
        text = _text(raw, f"credentials.{field}")
        if not low <= len(text) <= high:
            _fail("invalid_field", f"'credentials.{field}' must be {low} to {high} characters")
        found[field] = text
    api_key = found["api_key"] or ""
    if not _NOT_BLANK.search(api_key):
        _fail("invalid_field", "'credentials.api_key' must not be blank")
    key_type = value.get("key_type", KeyType.HMAC.value)
    if not isinstance(key_type, str) or key_type not in KEY_TYPES:
        _fail("invalid_field", f"'credentials.key_type' must be one of {', '.join(KEY_TYPES)}")
    return Credentials(api_key=api_key, api_secret=found["api_secret"] or "",
                       passphrase=found["passphrase"] or None, key_type=KeyType(key_type),
                       private_key=found["private_key"] or None)


@frozen(kw_only=True)
class ConnectionCreate:
    """A checked ``POST /api/settings/connections`` body (the exchange not yet looked up)."""

    name: str
    exchange: str
    credentials: Credentials
    api_type: str = "rest"
    connection_method: str = "api_key"
    is_testnet: bool = False
    is_enabled: bool = True
    base_url: str | None = None
    stream_base_url: str | None = None


CREATE_FIELDS = ("name", "exchange", "credentials", "api_type", "connection_method",
                 "is_testnet", "is_enabled", "base_url", "stream_base_url")
CREATE_REQUIRED = ("name", "exchange", "credentials")


def parse_create(data: Mapping[str, Any]) -> ConnectionCreate:
    _check_fields(data, CREATE_FIELDS, CREATE_REQUIRED)
    exchange = _text(data["exchange"], "exchange")
    if not exchange.strip():
        _fail("invalid_field", "'exchange' must not be blank")
    return ConnectionCreate(
        name=_name(data["name"]), exchange=exchange,
        credentials=_credentials(data["credentials"]),
        api_type=_identifier(data.get("api_type", "rest"), "api_type"),
        connection_method=_identifier(data.get("connection_method", "api_key"),
                                      "connection_method"),
        is_testnet=_bool(data.get("is_testnet", False), "is_testnet"),
        is_enabled=_bool(data.get("is_enabled", True), "is_enabled"),
        base_url=_host(data, "base_url"), stream_base_url=_host(data, "stream_base_url"))


#: ``ConnectionUpdate`` fields that may be set to null (back to the venue's own host)
_UNSET = object()


@frozen(kw_only=True)
class ConnectionUpdate:
    """A checked ``PATCH`` body: ``None`` leaves a field as it is."""

    name: str | None = None
    is_enabled: bool | None = None
    is_testnet: bool | None = None
    credentials: Credentials | None = None
    #: a URL, ``None`` for the venue's own host, or absent (left as it is)
    base_url: object = _UNSET
    stream_base_url: object = _UNSET

    def apply(self, conn: ExchangeConnection) -> ExchangeConnection:
        changes: dict[str, Any] = {}
        if self.name is not None:
            changes["name"] = self.name
        if self.is_enabled is not None:
            changes["is_enabled"] = self.is_enabled
        if self.is_testnet is not None:
            changes["is_testnet"] = self.is_testnet
        if self.credentials is not None:
            changes["secrets"] = self.credentials
        for name in ("base_url", "stream_base_url"):
            value = getattr(self, name)
            if value is not _UNSET:
                changes[name] = value
        return attrs.evolve(conn, **changes)


UPDATE_FIELDS = ("name", "is_enabled", "is_testnet", "credentials", "base_url",
                 "stream_base_url")


def parse_update(data: Mapping[str, Any]) -> ConnectionUpdate:
    _check_fields(data, UPDATE_FIELDS, ())
    if not data:
        _fail("missing_field", f"the body names no field to change; fields: "
              f"{', '.join(UPDATE_FIELDS)}")
    return ConnectionUpdate(
        name=_name(data["name"]) if "name" in data else None,
        is_enabled=_bool(data["is_enabled"], "is_enabled") if "is_enabled" in data else None,
        is_testnet=_bool(data["is_testnet"], "is_testnet") if "is_testnet" in data else None,
        credentials=_credentials(data["credentials"]) if "credentials" in data else None,
        base_url=_host(data, "base_url") if "base_url" in data else _UNSET,
        stream_base_url=_host(data, "stream_base_url") if "stream_base_url" in data
        else _UNSET)


# ---------------------------------------------------------------- query parameters


def _int_param(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    if not _DIGITS.fullmatch(raw) or not low <= int(raw) <= high:
        raise ApiError(400, "invalid_parameter",
                       f"query parameter {name!r} must be an integer from {low} to {high}")
    return int(raw)


def page_params(request: web.Request) -> tuple[int, int]:
    """``offset`` and ``limit`` of a log page (other query parameters are ignored)."""
    return (_int_param(request, "offset", 0, 0, MAX_LOG_OFFSET),
            _int_param(request, "limit", 50, 1, MAX_LOG_PAGE))
