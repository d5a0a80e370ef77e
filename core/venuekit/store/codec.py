"""The on-disk form of a connection (schema 2; schema 1 still read) and the sealing of its secrets.

Written by hand rather than through a converter because every way a file can be wrong must
become one sentence a person can act on ("field 'is_enabled' must be true or false"), and
because a file from a newer schema must be recognised before anything else is read.

The sealed plaintext carries the connection id too: a secrets block pasted into another
connection's file is refused instead of quietly lending that connection someone else's key.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import nacl.exceptions
from attrs import frozen

from ..models import Credentials, KeyType
from .crypto import Keyring
from .model import SCHEMA_VERSION, ConnectionStatus, ExchangeConnection
from .safeio import Unreadable, parse_json

__all__ = ["ALG", "Invalid", "Sealed", "UnknownKey", "check_key", "decode", "encode",
           "open_secrets", "seal_secrets"]

#: SecretBox: XSalsa20 stream cipher with a Poly1305 tag; the 24-byte nonce leads the box.
ALG = "nacl-secretbox"

T = TypeVar("T")


class Invalid(Exception):
    """Why a file cannot be used; the store turns it into a problem or a ``StoreError``."""


class UnknownKey(Invalid):
    """Sealed under a key this keyring never held: retiring other keys cannot hurt it.

    ``connection`` is the file's (public) content once the store has parsed it, so a
    lookup by name can say the connection exists instead of calling it missing.
    """

    def __init__(self, message: str, key_id: str) -> None:
        super().__init__(message)
        self.key_id = key_id
        self.connection: ExchangeConnection | None = None


@frozen(repr=False)
class Sealed:
    """The encrypted secrets block of a file, carried through updates without decrypting."""

    key_id: str
    box: str  # base64 of nonce + ciphertext

    def to_json(self) -> dict[str, str]:
        return {"alg": ALG, "key_id": self.key_id, "box": self.box}

    def __repr__(self) -> str:
        return f"Sealed(key_id={self.key_id!r})"


# ---------------------------------------------------------------- secrets


def seal_secrets(keyring: Keyring, conn_id: str, credentials: Credentials) -> Sealed:
    plaintext = json.dumps({
        "connection_id": conn_id,
        "api_key": credentials.api_key,
        "api_secret": credentials.api_secret,
        "passphrase": credentials.passphrase,
        "key_type": credentials.key_type.value,
        "private_key": credentials.private_key,
    }).encode()
    kid, box = keyring.seal(plaintext)
    return Sealed(kid, base64.b64encode(box).decode("ascii"))


def open_secrets(keyring: Keyring, conn_id: str, sealed: Sealed) -> Credentials:
    check_key(keyring, sealed)
    try:
        plaintext = keyring.open(sealed.key_id, base64.b64decode(sealed.box, validate=True))
    except (binascii.Error, ValueError):
        raise Invalid("the secrets block is not valid base64") from None
    except nacl.exceptions.CryptoError:
        raise Invalid(f"the secrets fail authentication under key {sealed.key_id}: the file "
                      "was altered or that key id belongs to different key material") from None
    data = json.loads(plaintext)
    if data.get("connection_id") != conn_id:
        raise Invalid("the secrets block belongs to another connection "
                      f"({data.get('connection_id')!r}); it was copied between files")
    return Credentials(api_key=data["api_key"], api_secret=data["api_secret"],
                       passphrase=data["passphrase"], key_type=KeyType(data["key_type"]),
                       private_key=data["private_key"])


def check_key(keyring: Keyring, sealed: Sealed) -> None:
    """Refuse a block sealed under a key the keyring lacks, without decrypting anything."""
    if sealed.key_id not in keyring:
        held = ", ".join(keyring.key_ids)
        raise UnknownKey(f"encrypted under key {sealed.key_id}, which is not in the keyring "
                      f"(it holds {held}); set the matching VENUEKIT_MASTER_KEY or restore "
                      "the master.key that wrote it", sealed.key_id)


# ---------------------------------------------------------------- connection files


def encode(conn: ExchangeConnection, sealed: Sealed) -> bytes:
    balance = conn.last_test_balance
    data = {
        "schema_version": SCHEMA_VERSION,
        "id": conn.id,
        "name": conn.name,
        "exchange": conn.exchange,
        "api_type": conn.api_type,
        "connection_method": conn.connection_method,
        "is_testnet": conn.is_testnet,
        "is_enabled": conn.is_enabled,
        "last_test_status": conn.last_test_status.value,
        "last_test_balance": None if balance is None else {k: str(v)
                                                          for k, v in balance.items()},
        "last_test_at": None if conn.last_test_at is None else conn.last_test_at.isoformat(),
        "last_test_log": list(conn.last_test_log),
        "api_capabilities": list(conn.api_capabilities),
        "api_key_hint": conn.api_key_hint,
        "base_url": conn.base_url,
        "stream_base_url": conn.stream_base_url,
        "last_test_base_url": conn.last_test_base_url,
        "last_test_custom_host": conn.last_test_custom_host,
        "secrets": sealed.to_json(),
    }
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode()


def decode(raw: bytes) -> tuple[ExchangeConnection, Sealed]:
    """Parse a connection file; ``Invalid`` says what is wrong with it."""
    try:
        data = parse_json(raw)
    except Unreadable as exc:
        raise Invalid(str(exc)) from None
    if not isinstance(data, dict):
        raise Invalid(f"not a connection file: the top level is a {type(data).__name__}")
    version = data.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise Invalid("not a connection file: no integer 'schema_version'")
    if version > SCHEMA_VERSION:
        raise Invalid(f"written by a newer venuekit (schema {version}; this version reads "
                      f"schema {SCHEMA_VERSION} and older): upgrade venuekit to use it")
    if version < 1:
        raise Invalid(f"unknown schema version {version}")
    try:
        conn = ExchangeConnection(
            id=_field(data, "id", str),
            name=_field(data, "name", str),
            exchange=_field(data, "exchange", str),
            api_type=_field(data, "api_type", str),
            connection_method=_field(data, "connection_method", str),
            is_testnet=_field(data, "is_testnet", bool),
            is_enabled=_field(data, "is_enabled", bool),
            last_test_status=_field(data, "last_test_status", str, _status),
            last_test_balance=_field(data, "last_test_balance", dict, _decimals, null=True),
            last_test_at=_field(data, "last_test_at", str, _timestamp, null=True),
            last_test_log=_field(data, "last_test_log", list, _str_list),
            api_capabilities=_field(data, "api_capabilities", list, _str_list),
            api_key_hint=_field(data, "api_key_hint", str),
            base_url=_optional(data, "base_url", version),
            stream_base_url=_optional(data, "stream_base_url", version),
            last_test_base_url=_optional(data, "last_test_base_url", version),
            last_test_custom_host=(_field(data, "last_test_custom_host", bool)
                                   if version >= _HOSTS_SINCE else False),
            schema_version=SCHEMA_VERSION,
        )
    except ValueError as exc:  # the model's own invariants (empty name, naive datetime)
        raise Invalid(str(exc)) from None
    secrets = data.get("secrets")
    if not isinstance(secrets, dict) or not all(
            isinstance(secrets.get(k), str) for k in ("alg", "key_id", "box")):
        raise Invalid("field 'secrets' must hold 'alg', 'key_id' and 'box'")
    if secrets["alg"] != ALG:
        raise Invalid(f"secrets sealed with {secrets['alg']!r}, which this version cannot open")
    return conn, Sealed(secrets["key_id"], secrets["box"])


#: the schema that added per-connection hosts; older files have none (the venue's own)
_HOSTS_SINCE = 2


def _optional(data: dict[str, Any], name: str, version: int) -> str | None:
    """A nullable string field that schema 1 files do not have."""
    if version < _HOSTS_SINCE:
        return None
    value: str | None = _field(data, name, str, null=True)
    return value


_KIND = {str: "a string", bool: "true or false", dict: "an object", list: "a list"}


def _field(data: dict[str, Any], name: str, kind: type, convert: Callable[[Any], T] | None = None,
           *, null: bool = False) -> Any:
    if name not in data:
        raise Invalid(f"field {name!r} is missing")
    value = data[name]
    if value is None and null:
        return None
    if not isinstance(value, kind):
        raise Invalid(f"field {name!r} must be {_KIND[kind]}{' or null' if null else ''}, "
                      f"not {json.dumps(value)[:40]}")
    if convert is None:
        return value
    try:
        return convert(value)
    except (ValueError, TypeError, InvalidOperation) as exc:
        raise Invalid(f"field {name!r}: {exc}") from None


def _status(value: str) -> ConnectionStatus:
    try:
        return ConnectionStatus(value)
    except ValueError:
        raise ValueError(f"{value!r} is not one of ok, failed, never") from None


def _decimals(value: dict[str, Any]) -> dict[str, Decimal]:
    out = {}
    for asset, amount in value.items():
        if not isinstance(amount, str):  # a JSON float would already have lost digits
            raise ValueError(f"the amount of {asset} must be a decimal string")
        out[asset] = Decimal(amount)
    return out


def _timestamp(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("the timestamp has no UTC offset")
    return moment.astimezone(UTC)


def _str_list(value: list[Any]) -> tuple[str, ...]:
    if not all(isinstance(item, str) for item in value):
        raise ValueError("every item must be a string")
    return tuple(value)
