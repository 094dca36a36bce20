"""Known-bad frames for attention checks, drawn by the harness's trusted rasteriser.

A check starts from a real Snapshot (a task's reference scene) and moves whole
semantic objects: ``overlap`` puts the second-largest object over the largest,
about a third off centre (the one drawn later lands on top, so both stay
visible); ``off_frame`` pushes the largest object half out of the frame.  The
moved Snapshot is re-drawn by the same Cairo rasteriser that draws every
submission's frame, so a check looks exactly like a submission that made that mistake.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np

from benchmark.core.frame import FRAME_WIDTH
from benchmark.measure import Rasteriser, SemanticObject, semantic_objects
from benchmark.snapshot import Snapshot

__all__ = ["DEFECTS", "Defect", "draw", "push_objects", "translate"]

DEFECTS = ("overlap", "off_frame")
_OFFSET = 0.3  # of the lower object's size: how far from its centre the other one lands
_MIN_OVERLAP_AREA = 0.25  # scene units²: a smaller second object (a dot) makes too subtle a
#                           collision to be a fair check, so such scenes get ``off_frame``


@dataclass(frozen=True)
class Defect:
    """What was done to a scene: ``how``, which object moved, by how much, onto what."""

    how: str
    moved: str
    dx: float
    dy: float
    onto: str | None = None

    def note(self) -> str:
        target = f" onto {self.onto!r}" if self.onto is not None else ""
        return f"{self.how}: moved {self.moved!r}{target} by ({self.dx:+.2f}, {self.dy:+.2f})"


def translate(snap: Snapshot, members: Iterable[int], dx: float, dy: float) -> Snapshot:
    """A copy of ``snap`` with the given members (and their gradients) moved by (dx, dy)."""
    shift = np.array([dx, dy, 0.0])
    chosen = set(members)
    moved = []
    for m in snap.members:
        if m.index in chosen:
            m = replace(m, points=m.points + shift,
                        gradient=None if m.gradient is None else m.gradient + shift)
        moved.append(m)
    return replace(snap, members=tuple(moved))


def _centre(o: SemanticObject) -> tuple[float, float]:
    x0, y0, x1, y1 = o.box
    return (x0 + x1) / 2, (y0 + y1) / 2


def _area(o: SemanticObject) -> float:
    x0, y0, x1, y1 = o.box
    return max(x1 - x0, 0.1) * max(y1 - y0, 0.1)


def push_objects(snap: Snapshot, how: str) -> tuple[Snapshot, Defect]:
    """Make a layout defect in ``snap``.

    ``overlap`` needs a second object of some size (at least 0.25 square units);
    without one, the defect is ``off_frame`` instead, which every scene allows.
    """
    if how not in DEFECTS:
        raise ValueError(f"unknown defect {how!r} (one of {', '.join(DEFECTS)})")
    objects = sorted(semantic_objects(snap), key=_area, reverse=True)
    if not objects:
        raise ValueError("the scene has no objects to move")
    if how == "overlap" and len(objects) >= 2 and _area(objects[1]) >= _MIN_OVERLAP_AREA:
        a, b = objects[0], objects[1]
        under, top = (a, b) if a.root < b.root else (b, a)  # pre-order: later drawn on top
        (ux, uy), (tx, ty) = _centre(under), _centre(top)
        # Not centred (a circle centred in a square can look intended): a third off,
        # towards the middle of the frame, so the two visibly collide.
        ux -= math.copysign(_OFFSET * (under.box[2] - under.box[0]), ux)
        uy -= math.copysign(_OFFSET * (under.box[3] - under.box[1]), uy)
        dx, dy = ux - tx, uy - ty
        return translate(snap, top.members, dx, dy), Defect("overlap", top.content or top.cls,
                                                             dx, dy, under.content or under.cls)
    big = objects[0]
    cx, _ = _centre(big)
    edge = FRAME_WIDTH / 2 if cx >= 0 else -FRAME_WIDTH / 2
    dx = edge - cx  # the centre on the frame's edge: half of the object is cut off
    return translate(snap, big.members, dx, 0.0), Defect("off_frame", big.content or big.cls,
                                                         dx, 0.0)


def draw(snap: Snapshot, size: tuple[int, int] = (854, 480)) -> np.ndarray:
    """The frame of ``snap`` as the harness draws it: (h, w, 4) uint8 RGBA."""
    return Rasteriser(*size).render(snap, semantic_objects(snap)).frame
