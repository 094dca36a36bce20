"""Stand-ins for libraries a 3b1b source file imports but this environment lacks.

Part of the ManimGL driver (:mod:`gl_driver`): it runs in the ManimGL
environment and imports only the standard library.  Some video files import a
library for the few scenes that compute with it (``gensim`` word vectors,
``torch`` and ``transformers`` for the GPT chapters) — and when it is missing,
or broken, the whole file fails to import and none of its scenes runs.  The
driver then installs a stand-in for that library and imports the file again:
every name looked up on the stand-in is another stand-in, and calling one
raises :class:`MissingLibrary` (a ``ModuleNotFoundError``), so a scene that
really uses the library fails as an ``import_error`` while the others run as
they would have.  A stand-in never replaces ManimGL or the checkout's own modules.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import sysconfig
import traceback
import types
from pathlib import Path
from typing import Any

__all__ = ["MissingLibrary", "StandIns", "missing_library"]


class MissingLibrary(ModuleNotFoundError):
    """A scene used a library that only has a stand-in here."""


class _Missing:
    """What any name of a stand-in library is: fails when called."""

    def __init__(self, path: str, library: str) -> None:
        self._path, self._library = path, library

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        return _Missing(f"{self._path}.{attr}", self._library)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise MissingLibrary(f"{self._path} needs {self._library!r}, which this "
                             "environment lacks", name=self._library)

    def __mro_entries__(self, bases: tuple) -> tuple:
        return (object,)  # a class built on one is defined; using it calls the stand-in

    def __repr__(self) -> str:
        return f"<stand-in {self._path}>"


class _StandInModule(types.ModuleType):
    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        return _Missing(f"{self.__name__}.{attr}", self.__name__.split(".")[0])


class _Loader(importlib.abc.Loader):
    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = _StandInModule(spec.name)
        module.__path__ = []  # a package: its submodules are stand-ins too
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        return None


class StandIns(importlib.abc.MetaPathFinder):
    """The libraries given stand-ins (top-level names), first on ``sys.meta_path``."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def add(self, name: str) -> None:
        for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
            del sys.modules[key]  # what a failed or broken import left behind
        self.names.append(name)
        if self not in sys.meta_path:
            sys.meta_path.insert(0, self)

    def find_spec(self, fullname: str, path: Any = None,
                  target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if fullname.split(".")[0] not in self.names:
            return None
        return importlib.machinery.ModuleSpec(fullname, _Loader(), is_package=True)


def missing_library(exc: BaseException, root: Path, loaded: frozenset[str]) -> str | None:
    """The third-party library whose import failed, when ``exc`` is an import failure
    that started outside ManimGL and the checkout: the module Python could not find,
    or the installed package the traceback entered first (a library that is there but
    breaks on import).  ``None`` when it is not one a stand-in may replace: ManimGL, the
    standard library, the checkout's own modules, or a library already working here
    (in ``loaded``, the top-level names imported before the file: numpy, …)."""
    if not isinstance(exc, ImportError):
        return None
    name = (exc.name or "").split(".")[0] if isinstance(exc, ModuleNotFoundError) else ""
    if not name:
        name = _first_package(exc)
    if not name or name == "manimlib" or name in sys.stdlib_module_names or name in loaded:
        return None
    if (root / name).exists() or (root / f"{name}.py").exists():
        return None  # the checkout's own module
    return name


def _first_package(exc: BaseException) -> str:
    dirs = {sysconfig.get_paths()[k] for k in ("purelib", "platlib")}
    for frame in traceback.extract_tb(exc.__traceback__):
        for d in dirs:
            if frame.filename.startswith(d + "/"):
                return frame.filename[len(d) + 1:].split("/")[0].removesuffix(".py")
    return ""
