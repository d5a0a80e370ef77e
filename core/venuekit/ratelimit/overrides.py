"""Host overrides of a plugin's declared rate limits.

A host may know better than the plugin: a VIP tier with a higher limit, a shared key that
should only use half of it, or a rule it wants gone. Overrides are keyed by rule name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..errors import ConfigurationError
from ..models import RateLimit

__all__ = ["apply_overrides"]


def apply_overrides(rules: Sequence[RateLimit],
                    overrides: Mapping[str, RateLimit | None]) -> tuple[RateLimit, ...]:
    """Replace (or, with ``None``, remove) the plugin's rules by name, keeping their order.

    An override naming a rule the plugin does not declare is refused: requests name the
    rules they cost, so such an override would never apply, and it is most likely a typo.
    """
    known = {rule.name for rule in rules}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ConfigurationError(
            f"rate limit override for unknown rule(s) {', '.join(map(repr, unknown))}; "
            f"the plugin declares {', '.join(map(repr, sorted(known))) or 'none'}")
    result: list[RateLimit] = []
    for rule in rules:
        if rule.name not in overrides:
            result.append(rule)
            continue
        replacement = overrides[rule.name]
        if replacement is None:
            continue
        if replacement.name != rule.name:
            raise ConfigurationError(
                f"rate limit override for {rule.name!r} is named {replacement.name!r}; "
                "requests find their rule by name, so the names must match")
        result.append(replacement)
    return tuple(result)
