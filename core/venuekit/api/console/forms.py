"""The add and edit forms, checked exactly as the API checks its JSON bodies.

A form is turned into the body the API would receive and handed to the API's own parsers
(:func:`~venuekit.api.validation.parse_create`, ``parse_update``) and then to the shared
connection rules (:mod:`venuekit.connection_rules`), so a connection the console refuses
is one the API and the CLI refuse too, with the same code and message. Secret fields are
write-only: they are never put back into a re-shown form.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import frozen

from ...connection_rules import RuleError, check_credentials, check_unique_name, exchange_name
from ..context import ApiContext
from ..validation import (
    ConnectionCreate,
    ConnectionUpdate,
    parse_create,
    parse_update,
    rule_error,
)

__all__ = ["SECRET_FIELDS", "FormValues", "check_create", "check_update", "create_body",
           "update_body"]

#: Credential fields besides the key type; never echoed into a form.
SECRET_FIELDS = ("api_key", "api_secret", "passphrase", "private_key")


@frozen
class FormValues:
    """The non-secret values of a submitted form, to show it again after an error."""

    values: Mapping[str, str]

    def get(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    def checked(self, name: str) -> bool:
        return self.values.get(name) == "on"


def _text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def kept(form: Mapping[str, Any]) -> FormValues:
    fields = ("name", "exchange", "base_url", "stream_base_url", "key_type", "is_testnet",
              "is_enabled")
    return FormValues({name: _text(form, name) for name in fields if name in form})


def _credentials(form: Mapping[str, Any]) -> dict[str, str] | None:
    """The credentials object, or ``None`` when no credential field was filled in."""
    given = {name: _text(form, name) for name in SECRET_FIELDS if _text(form, name)}
    if not given:
        return None
    given.setdefault("api_key", "")  # a secret without its key: the parser names the field
    key_type = _text(form, "key_type")
    if key_type:
        given["key_type"] = key_type
    return given


def _host(form: Mapping[str, Any], name: str) -> str | None:
    return _text(form, name).strip() or None


def create_body(form: Mapping[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": _text(form, "name"),
        "exchange": _text(form, "exchange"),
        "credentials": _credentials(form) or {"api_key": ""},
        "is_testnet": _text(form, "is_testnet") == "on",
        "is_enabled": _text(form, "is_enabled") == "on",
    }
    for name in ("base_url", "stream_base_url"):
        if _host(form, name) is not None:
            body[name] = _host(form, name)
    return body


def update_body(form: Mapping[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": _text(form, "name"),
        "is_testnet": _text(form, "is_testnet") == "on",
        "base_url": _host(form, "base_url"),
        "stream_base_url": _host(form, "stream_base_url"),
    }
    credentials = _credentials(form)
    if credentials is not None:
        body["credentials"] = credentials
    return body


def check_create(ctx: ApiContext, form: Mapping[str, Any]) -> tuple[ConnectionCreate, str]:
    """The checked request and the installed exchange name; runs in a thread (it reads
    plugins and the store).

    Raises:
        ApiError: the API's 422 for the same body, naming the field.
    """
    spec = parse_create(create_body(form))
    try:
        installed = exchange_name(spec.exchange, ctx.registry.names())
        info = ctx.registry.load(installed).info
        check_credentials(info, spec.credentials)
        if spec.is_testnet and info.hosts.testnet is None:
            raise RuleError("is_testnet", f"{info.display_name} has no test environment; "
                            "'is_testnet' must be false")
        check_unique_name(spec.name, ctx.store.list())
    except RuleError as exc:
        raise rule_error(exc) from None
    return spec, installed


def check_update(ctx: ApiContext, conn_id: str, form: Mapping[str, Any]) -> ConnectionUpdate:
    """The checked change of one connection; runs in a thread.

    Raises:
        ApiError: the API's 422 for the same body, naming the field.
    """
    change = parse_update(update_body(form))
    conn = ctx.store.get(conn_id)
    try:
        if change.name is not None:
            check_unique_name(change.name, ctx.store.list(), except_id=conn_id)
        if change.credentials is not None:
            check_credentials(ctx.registry.load(conn.exchange).info, change.credentials)
    except RuleError as exc:
        raise rule_error(exc) from None
    return change
