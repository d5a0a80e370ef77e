"""Typed readers of venue payloads: one behaviour for every plugin's parsers.

Six plugins used to carry their own ``_decimal``/``_ms``/``text`` helpers, and they
disagreed on ``""``, ``"0"`` and missing fields. A parser now wraps the decoded JSON in a
:class:`Reader` and asks for what the model needs; a field that is not what the venue
documents raises :class:`~venuekit.errors.BadResponse` carrying the venue name and the
field's path in cattrs' style::

    price: invalid decimal 'abc' @ $.data[0].price

What each reader does with the awkward values (``None`` is JSON ``null``):

============================  ==============  ==============  ===============  ==========
reader                        missing/None    ``""``          ``"0"`` / ``0``  malformed
============================  ==============  ==============  ===============  ==========
``decimal``                   BadResponse     BadResponse     ``Decimal(0)``   BadResponse
``decimal(k, default=d)``     ``d``           ``d``           ``Decimal(0)``   BadResponse
``optional_decimal``          None            None            ``Decimal(0)``   BadResponse
``nonzero_decimal``           None            None            None             BadResponse
``ms``/``integer``            BadResponse     BadResponse     ``0``            BadResponse
``optional_ms``               None            None            None             BadResponse
``timestamp``                 BadResponse     BadResponse     BadResponse      BadResponse
``optional_timestamp``        None            None            None             BadResponse
``text``                      BadResponse     BadResponse     ``"0"``          BadResponse
``optional_text``             None            None            ``"0"``          BadResponse
``boolean``                   ``default``     BadResponse     BadResponse      BadResponse
============================  ==============  ==============  ===============  ==========

``nonzero_decimal`` is for fields where venues write ``"0"`` for "does not apply" (the
price of a market order, the average price before a fill); a millisecond time of 0 is
likewise "not set" on every venue venuekit knows. Booleans are never numbers: a
``true`` where a price belongs is a broken payload, not 1.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import TypeVar, cast

from .errors import BadResponse
from .wire import Response

__all__ = ["Reader", "json_object"]

T = TypeVar("T")
Key = str | int


def json_object(response: Response) -> Mapping[str, object] | None:
    """The body as a JSON object, or None when it is anything else (an HTML page, an empty
    502, an array, bytes that only start like JSON).

    For error mappers, which must never raise on a body they do not recognise: the core then
    maps the HTTP status, and on a success the call's parser reports the malformed payload.
    """
    if response.body.lstrip()[:1] != b"{":
        return None
    try:
        payload = response.json()
    except BadResponse:
        return None
    return cast(dict[str, object], payload) if isinstance(payload, dict) else None


def _step(path: str, key: Key) -> str:
    return f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}"


class Reader:
    """A JSON object or array inside a venue payload, and where it sits in that payload.

    Build one with :meth:`of` (a whole response) or directly around a decoded value; go
    down with :meth:`at` and :meth:`rows`; read leaves with the typed methods. Keys are
    object keys (``str``) or array indexes (``int``).
    """

    __slots__ = ("_key", "_parent", "_path", "_status", "_value", "exchange")

    def __init__(self, value: object, *, exchange: str, path: str = "$",
                 status: int | None = None) -> None:
        self._value = value
        self.exchange = exchange
        self._path: str | None = path
        self._parent: Reader | None = None
        self._key: Key = ""
        self._status = status

    @property
    def path(self) -> str:
        """Where this value sits (``$.data[0]``), worked out only when an error needs it:
        a parser goes down into thousands of rows that never fail."""
        path = self._path
        if path is None:
            assert self._parent is not None
            path = self._path = _step(self._parent.path, self._key)
        return path

    @classmethod
    def of(cls, response: Response) -> Reader:
        """The decoded body of ``response`` (a non-JSON body is already BadResponse)."""
        reader = cls.__new__(cls)  # every slot set here: parsers call this per answer
        reader._value = response.json()
        reader.exchange = response.exchange
        reader._path = "$"
        reader._parent = None
        reader._key = ""
        reader._status = response.status
        return reader

    def __repr__(self) -> str:
        return f"Reader({self.exchange!r}, {self.path!r})"

    # ------------------------------------------------------------ errors

    def error(self, why: str, key: Key | None = None) -> BadResponse:
        """A BadResponse about this value (or its ``key``), in the readers' format."""
        where = self.path if key is None else _step(self.path, key)
        name = "" if key is None else f"{key}: "
        return BadResponse(f"unexpected payload: {name}{why} @ {where}",
                           exchange=self.exchange, status=self._status)

    # ------------------------------------------------------------ structure

    @property
    def value(self) -> object:
        """The wrapped JSON value, for the rare shape no reader covers."""
        return self._value

    def is_object(self) -> bool:
        return isinstance(self._value, dict)

    def is_array(self) -> bool:
        return isinstance(self._value, list)

    def get(self, key: Key) -> object:
        """The raw value at ``key``, or None when it is absent (never raises)."""
        value = self._value
        if type(value) is dict and type(key) is str:  # nearly every read: one dict lookup
            return cast(dict[str, object], value).get(key)
        if isinstance(key, int):
            if isinstance(value, list) and -len(value) <= key < len(value):
                return cast(list[object], value)[key]
            return None
        if isinstance(value, dict):
            return cast(dict[str, object], value).get(key)
        return None

    def has(self, key: Key) -> bool:
        """True when ``key`` is present with a value other than null or ``""``."""
        return self.get(key) not in (None, "")

    def _child(self, key: Key, value: object) -> Reader:
        child = Reader.__new__(Reader)  # every slot set here: no __init__ call per row
        child._value = value
        child.exchange = self.exchange
        child._path = None  # from parent and key, on demand (see :attr:`path`)
        child._parent = self
        child._key = key
        child._status = self._status
        return child

    def at(self, *keys: Key) -> Reader:
        """The object or array at ``keys`` (each one level down); BadResponse if absent."""
        reader = self
        for key in keys:
            if not (reader.is_object() or reader.is_array()):
                raise reader.error("not an object or array")
            value = reader.get(key)
            if not isinstance(value, dict | list):
                raise reader.error("missing" if value is None else f"not an object: {value!r:.40}",
                                   key)
            reader = reader._child(key, value)
        return reader

    def optional_at(self, key: Key) -> Reader | None:
        """The object or array at ``key``, or None when it is absent or null."""
        return None if self.get(key) is None else self.at(key)

    def rows(self, key: Key | None = None) -> list[Reader]:
        """The items of the array at ``key`` (or of this array), each an object."""
        array = self if key is None else self.at(key)
        if type(array._value) is not list:
            raise array.error("not an array")
        items = cast(list[object], array._value)
        out = []
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                raise array.error(f"not an object: {item!r:.40}", index)
            out.append(array._child(index, item))
        return out

    def items(self, key: Key | None = None) -> list[Reader]:
        """The items of the array at ``key`` (or of this array), of any kind (e.g. the
        ``[price, quantity]`` pairs of a book level)."""
        array = self if key is None else self.at(key)
        if not array.is_array():
            raise array.error("not an array")
        return [array._child(index, item)
                for index, item in enumerate(cast(list[object], array._value))]

    def __iter__(self) -> Iterator[Reader]:
        return iter(self.rows())

    def keys(self) -> list[str]:
        """The keys of this object."""
        if not isinstance(self._value, dict):
            raise self.error("not an object")
        return list(cast(dict[str, object], self._value))

    # ------------------------------------------------------------ numbers

    def _number(self, key: Key, value: object) -> Decimal:
        if type(value) is str:  # the usual venue number; Decimal() ignores outer whitespace
            try:
                number = Decimal(value)
            except InvalidOperation:
                raise self.error(f"invalid decimal {value!r:.40}", key) from None
            if number.is_finite():
                return number
            raise self.error(f"invalid decimal {value!r:.40}", key)
        if type(value) is Decimal and value.is_finite():
            return value  # decoded as Decimal already (immutable: no copy needed)
        if isinstance(value, bool) or not isinstance(value, int | Decimal | str | float):
            raise self.error(f"invalid decimal {value!r:.40}", key)
        try:
            number = Decimal(value.strip() if isinstance(value, str) else str(value))
        except InvalidOperation:
            raise self.error(f"invalid decimal {value!r:.40}", key) from None
        if not number.is_finite():
            raise self.error(f"invalid decimal {value!r:.40}", key)
        return number

    def decimal(self, key: Key, default: Decimal | None = None) -> Decimal:
        """A number (JSON number or numeric string); required unless ``default`` is given,
        which then stands for a field the venue leaves out, null or ``""``."""
        value = self._value.get(key) if type(self._value) is dict else self.get(key)
        if value is None or value == "":
            if default is None:
                raise self.error("missing", key)
            return default
        return self._number(key, value)

    def optional_decimal(self, key: Key) -> Decimal | None:
        """A number, or None when the venue leaves it out, null or ``""``."""
        value = self._value.get(key) if type(self._value) is dict else self.get(key)
        return None if value is None or value == "" else self._number(key, value)

    def nonzero_decimal(self, key: Key) -> Decimal | None:
        """A number where the venue writes 0 for "does not apply": 0 reads as None."""
        value = self._value.get(key) if type(self._value) is dict else self.get(key)
        if value is None or value == "":
            return None
        number = self._number(key, value)
        return None if number == 0 else number

    def integer(self, key: Key) -> int:
        """A required integer (JSON integer or a string of digits, optionally signed)."""
        value = self.get(key)
        if value in (None, ""):
            raise self.error("missing", key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = value.strip() if isinstance(value, str) else ""
        if text.lstrip("-").isdigit() and text.isascii():
            return int(text)
        raise self.error(f"invalid integer {value!r:.40}", key)

    def optional_integer(self, key: Key) -> int | None:
        """An integer, or None when absent, null or ``""``."""
        return self.integer(key) if self.get(key) not in (None, "") else None

    def ms(self, key: Key) -> int:
        """A required time in milliseconds since the epoch, as an int."""
        return self.integer(key)

    def optional_ms(self, key: Key) -> int | None:
        """Milliseconds, or None when absent, null, ``""`` or 0 (venues' "not set")."""
        value = self._value.get(key) if type(self._value) is dict else self.get(key)
        if type(value) is int:  # the usual JSON integer: no second look-up
            return value or None
        if value is None or value == "":
            return None
        return self.integer(key) or None

    def timestamp(self, key: Key) -> datetime:
        """A required millisecond time as an aware UTC datetime (0 is refused as unset)."""
        value = self.optional_timestamp(key)
        if value is None:
            raise self.error("missing", key)
        return value

    def optional_timestamp(self, key: Key) -> datetime | None:
        """A millisecond time as an aware UTC datetime, None when absent or 0."""
        value = self._value.get(key) if type(self._value) is dict else self.get(key)
        if type(value) is not int:  # the usual JSON integer needs no other look
            value = self.optional_ms(key)
        if not value:  # absent, null, "" or 0: not set
            return None
        try:
            return datetime.fromtimestamp(value / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            raise self.error(f"invalid millisecond time {value!r}", key) from None

    # ------------------------------------------------------------ text and flags

    def text(self, key: Key) -> str:
        """A required non-empty string; a JSON integer is read as its digits (ids)."""
        value = self._value.get(key) if type(self._value) is dict else self.get(key)
        if type(value) is str and value:
            return value
        if value is None or value == "":
            raise self.error("missing", key)
        if isinstance(value, str):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        raise self.error(f"invalid text {value!r:.40}", key)

    def optional_text(self, key: Key) -> str | None:
        """A string, or None when absent, null or ``""``."""
        value = self._value.get(key) if type(self._value) is dict else self.get(key)
        if type(value) is str:
            return value or None
        return None if value is None else self.text(key)

    def boolean(self, key: Key, default: bool | None = None) -> bool:
        """``true``/``false`` (also as strings, any case); ``default`` when absent or null."""
        value = self.get(key)
        if value is None:
            if default is None:
                raise self.error("missing", key)
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise self.error(f"invalid boolean {value!r:.40}", key)

    def choice(self, key: Key, table: Mapping[str, T]) -> T:
        """The entry of ``table`` named by the string at ``key``; BadResponse if unknown."""
        value = self._value.get(key) if type(self._value) is dict else self.get(key)
        if isinstance(value, str) and value in table:
            return table[value]
        raise self.error("missing" if value is None else f"unknown value {value!r:.40}", key)
