"""What the store keeps about a connection, and what a load reports.

The model holds secrets only as a :class:`~venuekit.models.Credentials` object in memory.
A connection read back from disk carries ``secrets=None``: listing and updating never need
to decrypt, so they never do, and the sealed bytes on disk stay as they are. Only
:meth:`ConnectionStore.credentials` opens them.
"""

from __future__ import annotations

import enum
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any

from attrs import Factory, field, frozen

from ..errors import StoreError
from ..models import Credentials, mask, to_decimal

__all__ = ["ID_PATTERN", "SCHEMA_VERSION", "ConnectionNotFound", "ConnectionStatus",
           "ExchangeConnection", "KeyMismatch", "LoadResult", "Problem", "new_id"]

#: The file layout this version writes and the newest it reads. Schema 2 added
#: ``base_url``, ``stream_base_url`` and ``last_test_base_url``; schema 1 files still load
#: (those fields absent means the venue's own hosts).
SCHEMA_VERSION = 2


class ConnectionNotFound(StoreError):
    """No connection file with that id: a caller (CLI, HTTP API) answers "not found"."""


class KeyMismatch(StoreError):
    """The connection exists but is sealed under a key this keyring lacks.

    Kept apart from :class:`ConnectionNotFound` because the remedy differs: nothing is
    missing, the process runs with another master key than the one that wrote the file.
    """


class ConnectionStatus(enum.Enum):
    """Outcome of the latest connection test (``never`` until one has run)."""

    OK = "ok"
    FAILED = "failed"
    NEVER = "never"


#: Ids become file names, so they are kept to characters no file system treats specially.
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def new_id() -> str:
    return uuid.uuid4().hex


def _balance(value: Mapping[str, object] | None) -> Mapping[str, Decimal] | None:
    if value is None:
        return None
    return MappingProxyType({str(k): to_decimal(v) for k, v in sorted(value.items())})


def _aware_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("last_test_at must be timezone-aware (UTC)")
    return value.astimezone(UTC)


def _url(value: str | None) -> str | None:
    """A base URL as stored: ``None`` for the venue's own host, no trailing slash."""
    if value is None:
        return None
    text = value.strip().rstrip("/")
    return text or None


def _strings(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):  # a lone string would otherwise become its characters
        return (value,)
    return tuple(str(item) for item in value)


@frozen(kw_only=True)
class ExchangeConnection:
    """One exchange account a host app trades through.

    ``api_key_hint`` is the masked key (``abcd…wxyz``) kept in clear beside the sealed
    secrets, so a listing can show which key a connection uses without decrypting it. When
    ``secrets`` is set the hint is recomputed from it, so the two never disagree.

    ``base_url`` and ``stream_base_url`` point the connection somewhere other than the
    venue's own hosts (a regional host, a proxy, ``venuekit sandbox``); ``None`` means the
    venue's. ``last_test_base_url`` is the host the latest test actually ran against, so a
    test that passed against a simulator is never mistaken for one that reached the venue.
    """

    name: str
    exchange: str
    id: str = field(factory=new_id)
    api_type: str = "rest"
    connection_method: str = "api_key"
    is_testnet: bool = False
    is_enabled: bool = True
    last_test_status: ConnectionStatus = field(default=ConnectionStatus.NEVER,
                                               converter=ConnectionStatus)
    last_test_balance: Mapping[str, Decimal] | None = field(default=None, converter=_balance,
                                                            hash=False)
    last_test_at: datetime | None = field(default=None, converter=_aware_utc)
    last_test_log: tuple[str, ...] = field(default=(), converter=_strings)
    api_capabilities: tuple[str, ...] = field(default=(), converter=_strings)
    base_url: str | None = field(default=None, converter=_url)
    stream_base_url: str | None = field(default=None, converter=_url)
    last_test_base_url: str | None = field(default=None, converter=_url)
    #: whether ``last_test_base_url`` was not the venue's own host
    last_test_custom_host: bool = False
    schema_version: int = SCHEMA_VERSION
    secrets: Credentials | None = field(default=None, repr=False, eq=False)
    api_key_hint: str = field(default=Factory(
        lambda self: mask(self.secrets.api_key) if self.secrets else "", takes_self=True))

    def __attrs_post_init__(self) -> None:
        if not ID_PATTERN.fullmatch(self.id):
            raise ValueError(f"connection id {self.id!r} must be 1-64 letters, digits, - or _")
        if not self.name.strip():
            raise ValueError("a connection needs a name")
        if not self.exchange.strip():
            raise ValueError("a connection needs an exchange")
        if self.secrets is not None:
            object.__setattr__(self, "api_key_hint", mask(self.secrets.api_key))

    def public_view(self) -> dict[str, Any]:
        """What may be shown or sent anywhere: plain values, the key masked, no secret."""
        balance = self.last_test_balance
        return {
            "id": self.id,
            "name": self.name,
            "exchange": self.exchange,
            "api_type": self.api_type,
            "connection_method": self.connection_method,
            "is_testnet": self.is_testnet,
            "is_enabled": self.is_enabled,
            "api_key": self.api_key_hint,
            "last_test_status": self.last_test_status.value,
            "last_test_balance": None if balance is None else {k: format(v, "f")
                                                              for k, v in balance.items()},
            "last_test_at": None if self.last_test_at is None
            else self.last_test_at.isoformat(),
            "last_test_log": list(self.last_test_log),
            "api_capabilities": list(self.api_capabilities),
            "base_url": self.base_url,
            "stream_base_url": self.stream_base_url,
            "last_test_base_url": self.last_test_base_url,
            "last_test_custom_host": self.last_test_custom_host,
            "schema_version": self.schema_version,
        }


@frozen
class Problem:
    """A connection file that was not loaded, and why; the file itself is left untouched."""

    path: Path
    reason: str
    #: the file's public content when it parsed but is sealed under a key not held
    connection: ExchangeConnection | None = field(default=None, eq=False, repr=False)

    @property
    def id(self) -> str:
        return self.path.stem

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@frozen
class LoadResult:
    """Every connection that loaded, and a problem for each file that did not."""

    connections: tuple[ExchangeConnection, ...]
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def __iter__(self) -> Iterator[ExchangeConnection]:
        return iter(self.connections)

    def __len__(self) -> int:
        return len(self.connections)
