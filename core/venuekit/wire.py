"""What plugins build and parse: requests, signed requests, responses and calls.

Nothing here does I/O. A plugin turns intent into a :class:`Request`, its ``sign_request``
turns that into a :class:`SignedRequest` holding the exact bytes to send, and a
:class:`Call` pairs the request with the function that reads the venue's answer. The core
sends those bytes verbatim, so what was signed is what arrives.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from attrs import field, frozen
from multidict import CIMultiDict, CIMultiDictProxy

from .errors import BadResponse

__all__ = [
    "BodyFormat",
    "Call",
    "Request",
    "Response",
    "SignedRequest",
    "encode_body",
    "encode_json",
    "encode_query",
    "redact_query",
]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

#: Parameter names whose values never leave the process in a log line or an error.
SENSITIVE_NAMES = frozenset({
    "signature", "sign", "apikey", "api_key", "secret", "api_secret", "client_secret",
    "passphrase", "access_token", "refresh_token", "token", "password",
})


class BodyFormat(enum.Enum):
    NONE = "none"
    JSON = "json"
    FORM = "form"


def _pairs(value: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> tuple[tuple[str, str], ...]:
    if value == ():
        return ()
    if type(value) is tuple and _final(value):
        return value  # already in final form: signed headers are rebuilt on every request
    items = value.items() if isinstance(value, Mapping) else value
    out = []
    for key, val in items:
        if val is None:
            continue
        if isinstance(val, bool):
            val = "true" if val else "false"
        out.append((str(key), str(val)))
    return tuple(out)


def _final(pairs: tuple[Any, ...]) -> bool:
    """Whether ``pairs`` holds only (str, str) tuples (a loop: cheaper than all() here)."""
    for pair in pairs:
        if type(pair) is not tuple or len(pair) != 2 or type(pair[0]) is not str \
                or type(pair[1]) is not str:
            return False
    return True


def _upper(value: str) -> str:
    return value.upper()


def _costs(value: Mapping[str, int]) -> Mapping[str, int]:
    for name, cost in value.items():
        if cost < 0:
            raise ValueError(f"limiter cost for {name!r} is negative")
    return value if type(value) is dict else dict(value)


@frozen(kw_only=True)
class Request:
    """An unsigned request as a plugin describes it.

    ``query`` keeps the plugin's order (several venues sign exact bytes). ``cost`` names the
    limiter rules this request spends (``{"ip": 5, "orders": 1}``). ``idempotent`` says the
    core may send it again after an ambiguous failure.
    """

    method: str = field(converter=_upper)
    path: str
    query: tuple[tuple[str, str], ...] = field(default=(), converter=_pairs)
    body: Any = None
    body_format: BodyFormat = BodyFormat.NONE
    headers: tuple[tuple[str, str], ...] = field(default=(), converter=_pairs)
    signed: bool = False
    cost: Mapping[str, int] = field(factory=dict, converter=_costs, hash=False)
    idempotent: bool = True

    def __attrs_post_init__(self) -> None:
        if not self.path.startswith("/"):
            raise ValueError(f"request path must start with '/': {self.path!r}")
        if self.body is not None and self.body_format is BodyFormat.NONE:
            object.__setattr__(self, "body_format", BodyFormat.JSON)


@frozen(kw_only=True)
class SignedRequest:
    """The exact bytes to send. The core never re-encodes or re-orders any of it."""

    method: str
    path: str
    query_string: str = ""
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = field(default=(), converter=_pairs)
    request: Request | None = field(default=None, eq=False)

    @property
    def target(self) -> str:
        """Path plus encoded query, as it appears on the request line."""
        return f"{self.path}?{self.query_string}" if self.query_string else self.path

    def describe(self) -> str:
        """A redacted one-line description for logs and errors: no value of a secret."""
        qs = redact_query(self.query_string)
        return f"{self.method} {self.path}" + (f"?{qs}" if qs else "")


_UNSET: Any = object()
#: Header mappings that ignore case themselves (aiohttp's)
CASE_INSENSITIVE = (CIMultiDictProxy, CIMultiDict)


@frozen(kw_only=True)
class Response:
    """A venue's answer as bytes plus the few facts parsers and error mappers need."""

    exchange: str
    status: int
    headers: Mapping[str, str] = field(hash=False)
    body: bytes
    request: SignedRequest | None = field(default=None, eq=False)
    elapsed_ms: float = 0.0
    _decoded: Any = field(default=_UNSET, init=False, eq=False, repr=False)

    def header(self, name: str) -> str | None:
        """Case-insensitive header lookup (works for plain dicts in tests too)."""
        value = self.headers.get(name)
        if value is not None or type(self.headers) in CASE_INSENSITIVE:
            return value  # aiohttp's headers already ignore case: a miss is a miss
        lower = name.lower()
        for key, val in self.headers.items():
            if key.lower() == lower:
                return val
        return None

    def snippet(self, limit: int = 200) -> str:
        text = self.body[:limit].decode("utf-8", "replace")
        return " ".join(text.split()) + ("…" if len(self.body) > limit else "")

    def json(self) -> Any:
        """Decode the body as JSON, with Decimal for every non-integer number.

        A non-JSON, HTML, truncated or empty body becomes :class:`BadResponse` naming the
        status and a short snippet, never a bare ``JSONDecodeError``.
        """
        if self._decoded is not _UNSET:  # parse_error and the parser both read it
            return self._decoded
        if not self.body.strip():
            raise self.bad("empty body")
        try:
            value = _DECODER.decode(self.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            kind = "HTML page" if self.body.lstrip()[:1] == b"<" else "body that is not JSON"
            raise self.bad(f"{kind}: {self.snippet()!r}") from None
        object.__setattr__(self, "_decoded", value)
        return value

    def bad(self, why: str) -> BadResponse:
        return BadResponse(
            f"unexpected response ({why})", exchange=self.exchange, status=self.status,
            request=self.request.describe() if self.request else None)


_DECODER = json.JSONDecoder(parse_float=Decimal)


@frozen
class Call(Generic[T_co]):
    """A request and the parser of its answer: what operation hooks return."""

    request: Request
    parse: Callable[[Response], T_co]


# ---------------------------------------------------------------- encoding helpers


def encode_query(pairs: Iterable[tuple[str, str]], *, safe: str = "") -> str:
    """``k=v&k=v`` in the given order, values percent-encoded (RFC 3986 unreserved kept).

    Names and values are nearly always plain already (symbols, numbers, ids): one check
    of them all, then one join, instead of a ``quote`` call per name and per value.
    """
    if type(pairs) is not list and type(pairs) is not tuple:
        pairs = list(pairs)
    if not pairs:
        return ""
    # the answer if nothing needs encoding; it says so when it holds one "=" per pair,
    # one "&" between pairs and otherwise only characters quote() leaves as they are
    joined = "&".join(map("=".join, pairs))
    if (joined.count("=") == len(pairs) and joined.count("&") == len(pairs) - 1
            and _plain(joined, safe)):
        return joined
    return "&".join(f"{quote(k, safe=safe)}={quote(v, safe=safe)}" for k, v in pairs)


#: what quote() never encodes (RFC 3986 unreserved), plus the separators encode_query writes
_UNRESERVED = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.~-=&"


def _plain(text: str, safe: str) -> bool:
    """Whether ``text`` is only characters ``quote(..., safe=safe)`` leaves as they are (or
    the separators): deleting those leaves nothing."""
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError:
        return False
    return not raw.translate(None, _UNRESERVED + safe.encode("ascii", "ignore")
                             if safe else _UNRESERVED)


def encode_json(value: Any) -> bytes:
    """Compact JSON; Decimals written as plain numbers in string form the plugin chose."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False,
                      default=_json_default).encode()


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def encode_body(request: Request) -> tuple[bytes, tuple[tuple[str, str], ...]]:
    """The body bytes and content-type header of an unsigned request (core's default)."""
    if request.body is None or request.body_format is BodyFormat.NONE:
        return b"", ()
    if request.body_format is BodyFormat.FORM:
        return encode_query(_pairs(request.body)).encode(), (
            ("Content-Type", "application/x-www-form-urlencoded"),)
    return encode_json(request.body), (("Content-Type", "application/json"),)


def redact_query(query_string: str) -> str:
    if not query_string:
        return ""
    parts = []
    for part in query_string.split("&"):
        key, _, _ = part.partition("=")
        if key.lower() in SENSITIVE_NAMES:
            parts.append(f"{key}=<redacted>")
        else:
            parts.append(part)
    return "&".join(parts)
