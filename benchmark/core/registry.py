"""One small generic registry: names and aliases to lazy ``"module:attr"`` targets.

Built-ins register by decorator or by a lazy target string, so heavy imports
(torch, transformers) happen only when a name is resolved.  Outside packages add
entries through an entry-point group (``jepa_manim.submissions`` for
submissions).  A miss gets a "did you mean …?" error.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Generic, TypeVar

__all__ = ["Registry", "RegistryError"]

T = TypeVar("T")


class RegistryError(LookupError):
    """An unknown or broken registry name; the message is one readable line."""


class Registry(Generic[T]):
    def __init__(self, what: str, entry_point_group: str | None = None) -> None:
        self.what = what
        self.group = entry_point_group
        self._targets: dict[str, str | T] = {}
        self._aliases: dict[str, str] = {}
        self._loaded_entry_points = False

    def register(self, name: str, *aliases: str) -> Callable[[T], T]:
        """Decorator: ``@registry.register("name", "alias")``."""

        def deco(obj: T) -> T:
            self.add(name, obj, *aliases)
            return obj

        return deco

    def add(self, name: str, target: str | T, *aliases: str) -> None:
        """Register ``target`` (an object or a lazy ``"module:attr"`` string)."""
        self._targets[name] = target
        for a in aliases:
            self._aliases[a] = name

    def _entry_points(self) -> None:
        if self._loaded_entry_points or self.group is None:
            return
        self._loaded_entry_points = True
        for ep in entry_points(group=self.group):
            self._targets.setdefault(ep.name, ep.value)

    def names(self) -> list[str]:
        self._entry_points()
        return sorted(self._targets)

    def target(self, name: str) -> str:
        """Where a name points, without importing it (for listings)."""
        self._entry_points()
        t = self._targets[self._aliases.get(name, name)]
        return t if isinstance(t, str) else f"{t.__module__}:{getattr(t, '__qualname__', t)}"

    def get(self, name: str) -> T:
        self._entry_points()
        key = self._aliases.get(name, name)
        if key not in self._targets:
            known = sorted({*self._targets, *self._aliases})
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise RegistryError(f"unknown {self.what} {name!r}{hint} "
                                f"(available: {', '.join(sorted(self._targets))})")
        target = self._targets[key]
        if isinstance(target, str):
            module, _, attr = target.partition(":")
            try:
                obj = importlib.import_module(module)
                for part in attr.split(".") if attr else []:
                    obj = getattr(obj, part)
            except (ImportError, AttributeError) as exc:
                raise RegistryError(f"{self.what} {key!r}: cannot load {target}: {exc}") from exc
            self._targets[key] = obj  # type: ignore[assignment]
            target = obj
        return target  # type: ignore[return-value]

    def __contains__(self, name: str) -> bool:
        self._entry_points()
        return name in self._targets or name in self._aliases
