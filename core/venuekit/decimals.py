"""How a Decimal is written into a request: the one formatter every plugin uses.

Venues read prices and quantities as plain decimal strings. ``str(Decimal)`` may switch to
exponent form (``1E+1``, ``1E-7``) and keeps whatever trailing zeros arithmetic left
(``0.10000``), both of which some venues refuse or read differently; a float would lose
digits. So: plain notation, no exponent, no trailing zeros, never ``-0``.
"""

from __future__ import annotations

from decimal import Decimal

__all__ = ["decimal_places", "format_decimal", "plain_decimal"]


def plain_decimal(value: Decimal) -> Decimal:
    """``value`` without trailing zeros and without exponent form (``10``, not ``1E+1``).

    Raises:
        ValueError: for NaN or infinity, which no venue accepts.
    """
    if not value.is_finite():
        raise ValueError(f"cannot write {value} to a venue")
    if value == 0:
        return Decimal(0)
    normal = value.normalize()
    exponent = normal.as_tuple().exponent
    return normal.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else normal


def format_decimal(value: Decimal) -> str:
    """``value`` as a venue reads it: ``Decimal("1.50")`` -> ``"1.5"``, ``1E+2`` -> ``"100"``."""
    if value.is_finite():  # the usual order field is written plainly already: keep its str
        text = str(value)
        if "E" not in text:
            if "." not in text:
                return text if value else "0"  # never "-0"
            if text[-1] != "0":
                return text
    return format(plain_decimal(value), "f")


def decimal_places(step: Decimal) -> int:
    """How many digits after the point ``step`` needs: ``0.010`` -> 2, ``10`` -> 0.

    Venues that publish precisions instead of steps (BingX ``pricePrecision``, Pionex
    ``quotePrecision``) count this way.
    """
    exponent = plain_decimal(step).as_tuple().exponent
    return max(-exponent, 0) if isinstance(exponent, int) else 0
