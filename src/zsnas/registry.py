"""Registries of plug-ins: search spaces, datasets (and the lookup of plug-in modules).

A registry holds named objects (a :class:`~zsnas.spaces.base.SearchSpace`, a
:class:`~zsnas.datasets.base.Dataset`); each built-in lives in one module that
registers its object when imported. The built-ins are imported on the first
lookup, then every **plug-in module** a user names — in the environment
variable ``ZSNAS_PLUGINS`` (comma-separated module names, e.g.
``ZSNAS_PLUGINS=my_spaces.toy``) or as an entry point of the group
``zsnas.plugins`` of an installed package — so a space or a dataset is added
without touching ``src/``. The workflow passes its config's ``plugins`` list
on in ``ZSNAS_PLUGINS``.

Plug-ins are imported with :mod:`importlib`, so the static code fingerprints
(:mod:`zsnas.codedeps`) of the registry modules do not hold them; a job's
fingerprint adds the plug-ins it uses by name.
"""
from __future__ import annotations

import importlib
import os
import sys
from typing import Generic, Iterator, TypeVar

from .errors import UsageError

T = TypeVar("T")
PLUGINS_ENV = "ZSNAS_PLUGINS"
ENTRY_POINT_GROUP = "zsnas.plugins"
_plugins_loaded = False


def plugin_modules() -> list[str]:
    """Module names named in ``ZSNAS_PLUGINS`` and by ``zsnas.plugins`` entry points."""
    names = [m.strip() for m in os.environ.get(PLUGINS_ENV, "").split(",") if m.strip()]
    try:
        from importlib.metadata import entry_points
        names += [ep.value.partition(":")[0] for ep in entry_points(group=ENTRY_POINT_GROUP)]
    except Exception:  # noqa: BLE001 - broken metadata must not break the registries
        pass
    return list(dict.fromkeys(names))


def load_plugins() -> None:
    """Import every plug-in module once (a missing one is a usage error naming it)."""
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    for name in plugin_modules():
        try:
            importlib.import_module(name)
        except ImportError as exc:
            _plugins_loaded = False
            raise UsageError(f"{PLUGINS_ENV}: cannot import plug-in module {name!r} ({exc}); "
                             f"is it on PYTHONPATH? (sys.path[0] = {sys.path[0]!r})") from None


class Registry(Generic[T]):
    """Named objects of one kind; built-ins and plug-ins are imported on first lookup."""

    def __init__(self, kind: str, builtins: tuple[str, ...], error: type[UsageError]):
        self.kind = kind
        self.builtins = builtins
        self.error = error
        self._items: dict[str, T] = {}
        self._loaded = False

    def _load(self) -> None:
        if not self._loaded:
            self._loaded = True
            for name in self.builtins:
                importlib.import_module(name)
            load_plugins()

    def register(self, obj: T, *, replace: bool = False) -> T:
        name = getattr(obj, "name", "")
        if not name or not name.replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"register: invalid {self.kind} name {name!r}")
        if name in self._items and not replace:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._items[name] = obj
        return obj

    def unregister(self, name: str) -> T:
        return self._items.pop(name)

    def get(self, name) -> T:
        self._load()
        try:
            return self._items[str(name)]
        except KeyError:
            raise self.error(f"unknown {self.kind} {name!r}; known: "
                             f"{', '.join(self._items)}") from None

    def names(self) -> tuple[str, ...]:
        self._load()
        return tuple(self._items)

    def __contains__(self, name) -> bool:
        self._load()
        return isinstance(name, str) and name in self._items

    def __iter__(self) -> Iterator[T]:
        self._load()
        return iter(list(self._items.values()))


def calling_module(depth: int = 2) -> str:
    """``__name__`` of the module that called the caller (a plug-in's own module)."""
    return sys._getframe(depth).f_globals.get("__name__", "")


__all__ = ["ENTRY_POINT_GROUP", "PLUGINS_ENV", "Registry", "calling_module", "load_plugins",
           "plugin_modules"]
