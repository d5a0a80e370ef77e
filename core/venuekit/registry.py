"""Discovering exchange plugins and loading each into a plugin manager of its own.

Discovery reads entry-point metadata only, so listing plugins never imports one (a broken
plugin cannot slow down or break ``venuekit.available()``). Loading happens on ``connect``:
one :class:`pluggy.PluginManager` per exchange, with the ``venuekit.extensions`` plugins
registered beside it, validated before any request is built.

Environment switches, read when called (never at import):

* ``VENUEKIT_DISABLE_PLUGIN_AUTOLOAD=1``: ignore installed entry points; only plugins
  registered in code (``Registry(extra=...)``) are available.
* ``VENUEKIT_PLUGINS=binance,okx``: an allow-list of exchange names.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from importlib import metadata
from types import ModuleType
from typing import TYPE_CHECKING, Any

from attrs import frozen

from .errors import ConfigurationError, PluginError
from .hookcallers import HookCallers, spec_names

if TYPE_CHECKING:
    import pluggy

    from .models import ExchangeInfo

__all__ = ["EXCHANGE_GROUP", "EXTENSION_GROUP", "PluginInfo", "Registry", "available"]

EXCHANGE_GROUP = "venuekit.exchanges"
EXTENSION_GROUP = "venuekit.extensions"
DISABLE_AUTOLOAD_ENV = "VENUEKIT_DISABLE_PLUGIN_AUTOLOAD"
ALLOW_LIST_ENV = "VENUEKIT_PLUGINS"

#: Hooks every exchange plugin must implement; a plugin without one is refused at load.
REQUIRED_HOOKS = (
    "exchange_info",
    "sign_request",
    "fetch_markets",
    "fetch_balance",
    "place_order",
    "cancel_order",
    "fetch_order",
    "parse_error",
)


class PluginInfo(str):
    """An installed exchange plugin: its name, with what its metadata says (nothing imported).

    A ``str`` equal to the name, so :func:`available` is the list of names DESIGN promises
    (``"binance" in venuekit.available()``), while ``distribution``, ``version`` and
    ``module`` stay at hand for listings. Read-only, like the frozen models.
    """

    distribution: str | None
    version: str | None
    module: str

    def __new__(cls, name: str, distribution: str | None, version: str | None,
                module: str) -> PluginInfo:
        info = super().__new__(cls, name)
        for field_name, value in (("distribution", distribution), ("version", version),
                                  ("module", module)):
            object.__setattr__(info, field_name, value)
        return info

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"PluginInfo is read-only: cannot set {name!r}")

    @property
    def name(self) -> str:
        return str.__str__(self)

    def __repr__(self) -> str:
        return (f"PluginInfo(name={self.name!r}, distribution={self.distribution!r}, "
                f"version={self.version!r}, module={self.module!r})")


@frozen
class LoadedPlugin:
    """A plugin loaded into its own manager, with the info it declared."""

    name: str
    manager: pluggy.PluginManager
    info: ExchangeInfo
    distribution: str | None
    hooks: tuple[str, ...]

    def callers(self) -> HookCallers:
        return HookCallers(self.manager, plugin=self.name)


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


class Registry:
    """Where exchange plugins come from: installed entry points plus ones given in code.

    ``extra`` maps a name to a module (or object) of hook implementations; tests and
    embedded hosts use it to register a plugin without installing a distribution.
    """

    def __init__(self, extra: Mapping[str, ModuleType | object] | None = None, *,
                 autoload: bool | None = None, allow: Iterable[str] | None = None,
                 extensions: Iterable[object] | None = None) -> None:
        self._extra = dict(extra or {})
        self._autoload = autoload
        self._allow = None if allow is None else frozenset(allow)
        self._extensions = list(extensions) if extensions is not None else None

    # ------------------------------------------------------------ discovery

    def _autoload_enabled(self) -> bool:
        if self._autoload is not None:
            return self._autoload
        return not _truthy(os.environ.get(DISABLE_AUTOLOAD_ENV))

    def _allowed(self, name: str) -> bool:
        allow = self._allow
        if allow is None:
            raw = os.environ.get(ALLOW_LIST_ENV, "").strip()
            if not raw:
                return True
            allow = frozenset(part.strip() for part in raw.split(",") if part.strip())
        return name in allow

    def _entry_points(self, group: str) -> list[metadata.EntryPoint]:
        if not self._autoload_enabled():
            return []
        return list(metadata.entry_points(group=group))

    def available(self) -> list[PluginInfo]:
        """Installed and registered exchange plugins, sorted by name, none imported."""
        found: dict[str, PluginInfo] = {}
        for ep in self._entry_points(EXCHANGE_GROUP):
            if not self._allowed(ep.name) or ep.name in found:
                continue
            dist = ep.dist
            found[ep.name] = PluginInfo(ep.name, dist.name if dist else None,
                                        dist.version if dist else None, ep.value)
        for name, obj in self._extra.items():
            if self._allowed(name):
                module = getattr(obj, "__name__", type(obj).__name__)
                found[name] = PluginInfo(name, None, None, module)
        return [found[k] for k in sorted(found)]

    def names(self) -> list[str]:
        return [p.name for p in self.available()]

    # ------------------------------------------------------------ loading

    def _resolve(self, name: str) -> tuple[object, str | None]:
        if name in self._extra and self._allowed(name):
            return self._extra[name], None
        for ep in self._entry_points(EXCHANGE_GROUP):
            if ep.name != name or not self._allowed(name):
                continue
            dist = ep.dist.name if ep.dist else None
            try:
                return ep.load(), dist
            except Exception as exc:
                raise PluginError(f"failed to import {ep.value}: {exc!r}", plugin=name,
                                  distribution=dist) from exc
        installed = ", ".join(self.names()) or "none"
        raise ConfigurationError(
            f"unknown exchange {name!r}; installed exchange plugins: {installed}")

    def _extension_objects(self) -> list[tuple[str, object]]:
        if self._extensions is not None:
            return [(f"extension-{i}", ext) for i, ext in enumerate(self._extensions)]
        out = []
        for ep in self._entry_points(EXTENSION_GROUP):
            try:
                out.append((f"extension:{ep.name}", ep.load()))
            except Exception as exc:
                dist = ep.dist.name if ep.dist else None
                raise PluginError(f"failed to import extension {ep.value}: {exc!r}",
                                  plugin=ep.name, distribution=dist) from exc
        return out

    def load(self, name: str) -> LoadedPlugin:
        """Load one exchange plugin into a fresh manager and validate it."""
        import pluggy

        from . import hookspecs
        from .models import ExchangeInfo

        plugin, dist = self._resolve(name)
        pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        pm.add_hookspecs(hookspecs)
        try:
            pm.register(plugin, name=name)
            for ext_name, ext in self._extension_objects():
                pm.register(ext, name=ext_name)
            pm.check_pending()
        except PluginError:
            raise
        except Exception as exc:
            raise PluginError(f"invalid hook implementations: {exc}", plugin=name,
                              distribution=dist) from exc
        implemented = tuple(sorted(
            hook for hook in _hook_names() if getattr(pm.hook, hook).get_hookimpls()))
        missing = [hook for hook in REQUIRED_HOOKS if hook not in implemented]
        if missing:
            raise PluginError(f"missing required hooks: {', '.join(missing)}", plugin=name,
                              distribution=dist)
        try:
            info = pm.hook.exchange_info()
        except Exception as exc:
            raise PluginError(f"exchange_info() failed: {exc!r}", plugin=name,
                              distribution=dist) from exc
        if not isinstance(info, ExchangeInfo):
            raise PluginError(f"exchange_info() returned {type(info).__name__}, not ExchangeInfo",
                              plugin=name, distribution=dist)
        if info.name != name:
            raise PluginError(f"exchange_info().name is {info.name!r}, registered as {name!r}",
                              plugin=name, distribution=dist)
        return LoadedPlugin(name, pm, info, dist, implemented)

    def describe(self) -> list[dict[str, Any]]:
        """Every plugin with whether it loads, its hooks, or why it does not: for listings."""
        rows = []
        for plugin in self.available():
            row: dict[str, Any] = {"name": plugin.name, "distribution": plugin.distribution,
                                   "version": plugin.version, "module": plugin.module}
            try:
                loaded = self.load(plugin.name)
            except (PluginError, ConfigurationError) as exc:
                row.update(loaded=False, error=str(exc), hooks=[])
            else:
                row.update(loaded=True, error=None, hooks=list(loaded.hooks),
                           display_name=loaded.info.display_name)
            rows.append(row)
        return rows


def _hook_names() -> list[str]:
    return sorted(spec_names())


_default: Registry | None = None


def default_registry() -> Registry:
    global _default
    if _default is None:
        _default = Registry()
    return _default


def available() -> list[PluginInfo]:
    """The installed exchange plugins by name, sorted, without importing them.

    Each item is its plugin's name (a ``str``) that also carries its distribution,
    version and module (:class:`PluginInfo`).
    """
    return default_registry().available()
