"""The scene-graph walk shared by the sandbox capture and the ManimGL driver."""

from __future__ import annotations

from typing import Any

import numpy as np

from benchmark.core import frame
from benchmark.sandbox.runtime import walk


class Mob:
    def __init__(self, *subs: Mob, z: float = 0.0) -> None:
        self.submobjects = list(subs)
        self.z_index = z


class DecimalNumber(Mob):
    def __init__(self, number: Any) -> None:
        super().__init__()
        self.number = number


def test_frame_size_is_the_projects() -> None:
    # walk.py runs where the project cannot be imported, so it states the numbers itself
    assert walk.FRAME_HEIGHT == frame.FRAME_HEIGHT
    assert walk.FRAME_WIDTH == frame.FRAME_WIDTH


def test_walk_is_a_family_preorder_with_each_mobject_once() -> None:
    leaf = Mob()
    a, b = Mob(leaf), Mob(leaf, z=2)
    seen: list[Any] = []

    def describe(mob: Any, parent: int, add: Any) -> dict[str, Any]:
        return {**walk.record(mob, parent), "points": add(np.zeros((1, 3)))}

    members, arrays = walk.walk([Mob(a, b), a], describe, seen.append)
    assert [m["parent"] for m in members] == [-1, 0, 1, 0]
    assert [m["z"] for m in members] == [0.0, 0.0, 0.0, 2.0]
    assert [m["points"] for m in members] == [0, 1, 2, 3]
    assert len(arrays) == 4 and arrays[0].dtype == np.dtype("<f8")
    assert seen[1] is a and seen[2] is leaf and seen[3] is b
    assert members[0]["mro"] == ["Mob", "object"]


def test_walk_bounds_depth() -> None:
    deep = Mob()
    for _ in range(walk.MAX_DEPTH + 5):
        deep = Mob(deep)
    members, _ = walk.walk([deep], lambda mob, parent, add: walk.record(mob, parent))
    assert len(members) == walk.MAX_DEPTH + 1


def test_record_mro_limit_points_and_number() -> None:
    rec = walk.record(DecimalNumber(2.5), 3, mro_limit=2)
    assert rec == {"parent": 3, "cls": "DecimalNumber", "mro": ["DecimalNumber", "Mob"],
                   "z": 0.0}
    walk.add_number(rec, DecimalNumber(2.5))
    assert rec["number"] == 2.5
    complex_rec = walk.record(DecimalNumber(1 + 2j), -1)
    walk.add_number(complex_rec, DecimalNumber(1 + 2j))
    assert "number" not in complex_rec
    walk.add_number(complex_rec, DecimalNumber(1 + 2j), np.real)
    assert complex_rec["number"] == 1.0
    assert walk.checked_points(np.zeros((4, 2))).shape == (0, 3)
    bad = np.array([[0.0, np.nan, 0.0]])
    assert walk.checked_points(bad).shape == (1, 3)
    assert walk.checked_points(bad, finite=True).shape == (0, 3)
