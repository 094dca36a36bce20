"""The scene-graph walk both snapshot writers share.

A scene's mobjects become a Snapshot's members (:mod:`wire`) the same way in the
sandbox child (:mod:`capture`, Manim CE) and in the 3b1b suite's ManimGL driver
(``benchmark/suites/threeb1b/gl_driver.py``): each mobject and its family in
pre-order, each once, at most ``MAX_MEMBERS`` members and ``MAX_DEPTH`` levels,
every member naming its parent's index and its arrays by index.  What a member
records differs between the two APIs, so each writer passes its own ``describe``
and builds the record with the helpers here.

Neither place can import the project: the sandbox imports this file as a
top-level module beside :mod:`capture`, the ManimGL driver loads it from its
path.  So it imports only the standard library and numpy, and it states the
frame size itself (a test checks it equals ``benchmark.core.frame``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

#: Manim's default camera frame in scene units (the same as ``benchmark.core.frame``)
FRAME_HEIGHT = 8.0
FRAME_WIDTH = 8.0 * 16 / 9
MAX_MEMBERS = 20_000  # per snapshot; the trusted side enforces its own bound
MAX_DEPTH = 64

#: ``add(array, dtype="<f8") -> index``: store one array of the snapshot
AddArray = Callable[..., int]
#: ``describe(mobject, parent index, add) -> member record``
Describe = Callable[[Any, int, AddArray], dict[str, Any]]


def walk(roots: Iterable[Any], describe: Describe,
         on_visit: Callable[[Any], Any] | None = None
         ) -> tuple[list[dict[str, Any]], list[np.ndarray]]:
    """The members and arrays of ``roots``' families; ``on_visit(mob)`` after each member."""
    members: list[dict[str, Any]] = []
    arrays: list[np.ndarray] = []
    seen: set[int] = set()

    def add(a: Any, dtype: str = "<f8") -> int:
        arrays.append(np.ascontiguousarray(np.asarray(a, dtype=dtype)))
        return len(arrays) - 1

    def visit(mob: Any, parent: int, depth: int) -> None:
        if id(mob) in seen or len(members) >= MAX_MEMBERS or depth > MAX_DEPTH:
            return
        seen.add(id(mob))
        index = len(members)
        members.append(describe(mob, parent, add))
        if on_visit is not None:
            on_visit(mob)
        for sub in list(getattr(mob, "submobjects", []) or []):
            visit(sub, index, depth + 1)

    for mob in roots:
        visit(mob, -1, 0)
    return members, arrays


def record(mob: Any, parent: int, mro_limit: int | None = None) -> dict[str, Any]:
    """The start of a member's record: parent, class, MRO names (the first
    ``mro_limit``), z-index.  The MRO is read past any ``__getattribute__``."""
    cls = type(mob)
    mro = [c.__name__ for c in type.__getattribute__(cls, "__mro__")]
    if mro_limit is not None:
        mro = mro[:mro_limit]
    return {"parent": parent, "cls": cls.__name__, "mro": mro,
            "z": float(getattr(mob, "z_index", 0) or 0)}


def checked_points(points: np.ndarray, *, finite: bool = False) -> np.ndarray:
    """``points`` when they are an N × 3 array (and all finite, if asked), else none."""
    if points.ndim != 2 or (points.size and points.shape[1] != 3) or \
            (finite and not np.isfinite(points).all()):
        return np.zeros((0, 3))
    return points


def add_number(rec: dict[str, Any], mob: Any,
               convert: Callable[[Any], Any] | None = None) -> None:
    """A ``DecimalNumber``'s value into ``rec["number"]`` (``convert`` applied first)."""
    if "DecimalNumber" in rec["mro"] and hasattr(mob, "number"):
        try:
            value = mob.number if convert is None else convert(mob.number)
            rec["number"] = float(value)
        except (TypeError, ValueError):
            pass
