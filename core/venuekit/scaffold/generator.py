"""Render the plugin templates for one exchange name and write them to disk.

Templates are package data (``templates/**/*.tmpl``) in :class:`string.Template` syntax:
``${name}`` is replaced, ``$$`` is a literal dollar. ``templates/package/`` becomes the
import package ``venuekit_<name>/``; every other path is kept as it is. The signature
vectors of the generated tests are computed here with :mod:`hmac`, from the scheme the
generated ``signing.py`` documents, so the plugin's signer is checked against an answer it
did not produce.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import string
from collections.abc import Iterator
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from attrs import frozen

from ..errors import VenuekitError

__all__ = [
    "Generated",
    "InvalidPluginName",
    "PluginNames",
    "ScaffoldError",
    "TargetExists",
    "generate",
    "plugin_names",
    "render",
]

NAME_PATTERN = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
MAX_NAME_LENGTH = 24
#: Registered in code by the core (tests, ``venuekit demo``): a plugin of that name would clash.
RESERVED_NAMES = frozenset({"example"})
VECTOR_TIMESTAMP_MS = 1700000000000
TEMPLATE_SUFFIX = ".tmpl"


class ScaffoldError(VenuekitError):
    """The plugin project cannot be generated as asked."""


class InvalidPluginName(ScaffoldError, ValueError):
    """The exchange name is not a lowercase identifier venuekit can use."""


class TargetExists(ScaffoldError):
    """The target directory exists and is not empty (and ``force`` was not given)."""


@frozen(kw_only=True)
class PluginNames:
    """Every spelling of one exchange name the project needs."""

    name: str  # entry-point and exchange name: acme_pro
    package: str  # import package: venuekit_acme_pro
    dist: str  # distribution: venuekit-acme-pro
    display: str  # display name: Acme Pro
    class_name: str  # class prefix: AcmePro
    header: str  # HTTP header prefix: X-ACME-PRO
    host: str  # host label: acme-pro


def plugin_names(name: str) -> PluginNames:
    """Validate ``name`` and derive the package, distribution and class names from it."""
    if not NAME_PATTERN.fullmatch(name):
        raise InvalidPluginName(
            f"invalid plugin name {name!r}: use lowercase letters and digits, starting with "
            "a letter, with single underscores between words (e.g. acme or acme_pro)")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidPluginName(
            f"invalid plugin name {name!r}: at most {MAX_NAME_LENGTH} characters")
    if name in RESERVED_NAMES:
        raise InvalidPluginName(
            f"invalid plugin name {name!r}: reserved for venuekit's built-in sample exchange")
    words = name.split("_")
    hyphenated = "-".join(words)
    return PluginNames(
        name=name, package=f"venuekit_{name}", dist=f"venuekit-{hyphenated}",
        display=" ".join(w.capitalize() for w in words),
        class_name="".join(w.capitalize() for w in words),
        header=f"X-{hyphenated.upper()}", host=hyphenated)


# ---------------------------------------------------------------- rendering


def _sign(secret: str, payload: bytes) -> str:
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def _vectors(secret: str) -> dict[str, str]:
    """The two computed vectors the generated tests check the generated signer against."""
    get = f"{VECTOR_TIMESTAMP_MS}GET/v1/order?symbol=BTCUSDT&orderId=1001".encode()
    body = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "quantity": "0.01",
            "clientOrderId": "vector-0001", "price": "40000"}
    post = f"{VECTOR_TIMESTAMP_MS}POST/v1/order".encode() + json.dumps(
        body, separators=(",", ":")).encode()
    return {"get_signature": _sign(secret, get), "post_signature": _sign(secret, post)}


def _core_requirement(version: str) -> tuple[str, str]:
    """``venuekit>=X.Y,<X+1`` (``<1`` while on 0.x): within one major version."""
    parts = re.findall(r"\d+", version)
    major, minor = (int(parts[0]), int(parts[1])) if len(parts) >= 2 else (0, 1)
    upper = 1 if major == 0 else major + 1
    return f"venuekit>={major}.{minor},<{upper}", version


def _substitutions(names: PluginNames) -> dict[str, str]:
    from .. import __version__

    requirement, version = _core_requirement(__version__)
    secret = f"{names.name}-vector-secret"
    return {
        "name": names.name, "package": names.package, "dist": names.dist,
        "display": names.display, "class_name": names.class_name, "header": names.header,
        "host": names.host, "core_requirement": requirement, "core_version": version,
        "vector_secret": secret, **_vectors(secret),
    }


def _templates(root: Traversable, prefix: str = "") -> Iterator[tuple[str, Traversable]]:
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        relative = f"{prefix}{entry.name}"
        if entry.is_dir():
            yield from _templates(entry, relative + "/")
        elif entry.name.endswith(TEMPLATE_SUFFIX):
            yield relative, entry


def _output_path(template: str, names: PluginNames) -> str:
    path = template.removesuffix(TEMPLATE_SUFFIX)
    if path.startswith("package/"):
        path = names.package + path.removeprefix("package")
    return path


def render(name: str) -> dict[str, str]:
    """The project's files for ``name``, as ``{relative path: text}``, in a stable order."""
    names = plugin_names(name)
    values = _substitutions(names)
    files: dict[str, str] = {}
    for relative, entry in _templates(resources.files("venuekit.scaffold").joinpath("templates")):
        try:
            text = string.Template(entry.read_text(encoding="utf-8")).substitute(values)
        except (KeyError, ValueError) as exc:  # a template bug, never the user's input
            raise RuntimeError(f"scaffold template {relative} is broken: {exc!r}") from exc
        files[_output_path(relative, names)] = text
    return files


# ---------------------------------------------------------------- writing


@frozen
class Generated:
    """What :func:`generate` wrote."""

    names: PluginNames
    root: Path
    files: tuple[Path, ...]


def _check_target(target: Path, force: bool) -> None:
    if target.exists() and not target.is_dir():
        raise TargetExists(f"{target} exists and is not a directory")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise TargetExists(f"{target} already exists and is not empty; nothing was written "
                           "(use --force to write the plugin's files into it)")


def generate(name: str, target: Path | str | None = None, *, force: bool = False) -> Generated:
    """Write a complete plugin project for exchange ``name`` into ``target``.

    ``target`` defaults to ``./venuekit-<name>``. An existing, non-empty directory is
    refused unless ``force`` is given; then the generator's files are written over and
    every other file in it is left alone.
    """
    names = plugin_names(name)
    root = Path(target) if target is not None else Path.cwd() / names.dist
    _check_target(root, force)
    files = render(name)
    written = []
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        written.append(path)
    return Generated(names, root, tuple(written))
