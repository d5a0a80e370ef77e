"""The rules a stored connection must meet, checked the same way by the CLI and the HTTP API.

Before this module the CLI and the API each had their own checks and they disagreed (the
API stored an OKX connection without its passphrase and a second connection under a name
already taken; the CLI refused both). Each rule raises :class:`RuleError` naming the field
it concerns; the CLI turns that into a usage error (exit 2), the API into a 422 whose
message names the field. Messages never repeat the value given: it may be a secret pasted
into the wrong field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from yarl import URL

from .models import Credentials, ExchangeInfo, KeyType
from .store import ExchangeConnection

__all__ = [
    "HTTP_SCHEMES",
    "MAX_URL_LENGTH",
    "STREAM_SCHEMES",
    "URL_PATTERN",
    "RuleError",
    "check_base_url",
    "check_credentials",
    "check_unique_name",
    "exchange_name",
]

MAX_URL_LENGTH = 2048
HTTP_SCHEMES = ("http", "https")
STREAM_SCHEMES = ("ws", "wss")
#: What the API publishes for a host field: a scheme, ``://`` and a host. The exact scheme
#: set per field is checked by :func:`check_base_url`.
URL_PATTERN = r"^(https?|wss?)://[^\s/?#]+(/[^\s?#]*)?$"

_CREDENTIAL_LABELS = {"api_key": "API key", "api_secret": "API secret",
                      "passphrase": "API passphrase", "private_key": "private key"}


class RuleError(ValueError):
    """A value breaks a rule. ``field`` is the name a caller shows (``base_url``)."""

    def __init__(self, field: str, message: str, *, code: str = "invalid_field") -> None:
        super().__init__(message)
        self.field = field
        self.code = code


def exchange_name(value: str, installed: Sequence[str]) -> str:
    """The installed plugin ``value`` names, compared without regard to case.

    Raises:
        RuleError: no installed plugin has that name (the list of installed ones is given).
    """
    wanted = value.strip().casefold()
    for name in installed:
        if name.casefold() == wanted:
            return name
    raise RuleError("exchange", f"'exchange' names no installed exchange plugin; installed: "
                    f"{', '.join(installed) or 'none'}", code="unknown_exchange")


def check_base_url(value: str | None, field: str = "base_url",
                   schemes: Sequence[str] = HTTP_SCHEMES) -> str | None:
    """A host URL as stored (no trailing slash), or ``None`` for the venue's own host.

    Refused at once rather than failing late inside a retried request: ``127.0.0.1:19100``
    (no scheme), another scheme, no host, a query or a fragment.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    wanted = " or ".join(f"{s}://" for s in schemes)
    if len(text) > MAX_URL_LENGTH:
        raise RuleError(field, f"{field!r} is longer than {MAX_URL_LENGTH} characters")
    if not re.fullmatch(URL_PATTERN, text):
        raise RuleError(field, f"{field!r} must be a URL starting with {wanted} and a host, "
                        f"e.g. {schemes[0]}://127.0.0.1:19100")
    try:
        url = URL(text)
    except ValueError:
        raise RuleError(field, f"{field!r} is not a valid URL") from None
    if url.scheme not in schemes:
        raise RuleError(field, f"{field!r} must start with {wanted}")
    if not url.host:
        raise RuleError(field, f"{field!r} has no host")
    return text.rstrip("/")


def check_credentials(info: ExchangeInfo, credentials: Credentials) -> None:
    """Every credential field the venue declares is there, and the key type is one it takes.

    OKX declares a passphrase, so an OKX connection without one is refused here instead of
    being stored and failing at its first test.
    """
    if credentials.key_type not in info.key_types:
        takes = ", ".join(sorted(k.value for k in info.key_types))
        raise RuleError("credentials.key_type", f"{info.display_name} does not take "
                        f"{credentials.key_type.value} keys (it takes: {takes})")
    for name in info.credential_fields:
        if name == "api_secret" and credentials.key_type is not KeyType.HMAC:
            name = "private_key"
        value = getattr(credentials, name, None)
        if not value or not str(value).strip():
            label = _CREDENTIAL_LABELS.get(name, name)
            raise RuleError(f"credentials.{name}", f"'credentials.{name}' is required: "
                            f"{info.display_name} needs its {label}", code="missing_field")


def check_unique_name(name: str, existing: Iterable[ExchangeConnection],
                      except_id: str | None = None) -> None:
    """No other connection has this name (compared without regard to case or spaces).

    Connections are named on the command line by name, so two with one name would make
    ``venuekit connections test NAME`` ambiguous.
    """
    key = name.strip().casefold()
    for conn in existing:
        if conn.id != except_id and conn.name.strip().casefold() == key:
            raise RuleError("name", f"a connection named {conn.name!r} exists ({conn.id}); "
                            "choose another name", code="name_taken")
