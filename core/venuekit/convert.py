"""The one cattrs converter: models to JSON-ready data and back.

Models never know JSON; the host (store, API, CLI ``--json``) goes through here. Decimals
travel as strings (a float would lose cents), enums as their values, datetimes as
ISO-8601 UTC. A fresh converter per call site keeps the global one untouched.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import cattrs

from .models import AuthToken, Credentials, mask

__all__ = ["make_converter", "to_jsonable"]


def make_converter() -> cattrs.Converter:
    conv = cattrs.Converter()
    conv.register_unstructure_hook(Decimal, lambda d: format(d, "f"))
    conv.register_structure_hook(Decimal, lambda v, _: Decimal(str(v)))
    conv.register_unstructure_hook(datetime, lambda d: d.astimezone(UTC).isoformat())
    conv.register_structure_hook(datetime, _parse_datetime)
    conv.register_unstructure_hook_func(
        lambda t: isinstance(t, type) and issubclass(t, enum.Enum), lambda e: e.value)
    conv.register_unstructure_hook(frozenset, lambda s: sorted(conv.unstructure(x) for x in s))
    # secrets never leave through the converter, whatever model embeds them
    conv.register_unstructure_hook(
        Credentials, lambda c: {"api_key": mask(c.api_key), "key_type": c.key_type.value})
    conv.register_unstructure_hook(
        AuthToken, lambda t: {"expires_at": t.expires_at.isoformat(), "scope": t.scope})
    return conv


def _parse_datetime(value: Any, _: Any) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    else:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"datetime without a timezone: {value!r}")
    return parsed.astimezone(UTC)


_default: cattrs.Converter | None = None


def to_jsonable(value: Any) -> Any:
    """Unstructure any model with the shared converter (built on first use)."""
    global _default
    if _default is None:
        _default = make_converter()
    return _default.unstructure(value)
