"""How much of a target's position its context explains (``context-stats``).

For every target (an object a task does not give) of a task with given
objects, its *anchor* is the nearest given object (smallest gap between the
boxes, then the nearest centre).  The target's offset from its anchor (centre
to centre, in scene units) and the side it is on (``left``, ``right``,
``above``, ``below``, or ``overlap`` when the boxes meet) describe the
relation.  Three simple predictors say how far context alone goes; each is
scored by the share of targets whose centre it puts within ``RADIUS`` units:

* ``next_to``: Manim's ``next_to(anchor, side)`` with the default buffer — the
  target's own size and its true side are known, so this is what "placed next
  to its nearest given object" explains;
* ``median_offset``: the anchor's centre plus the split's median offset of the
  targets on the same side of their anchors (same kind of relation, typical
  distance);
* ``frame_centre``: the origin, a baseline that uses no context at all.

Pure functions over tasks; the command prints them as text or JSON.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from itertools import pairwise
from statistics import median

from benchmark.core.tasks import Box, Task

__all__ = ["BINS", "BUFF", "RADIUS", "RULES", "TargetContext", "anchor_of", "next_to",
           "side_of", "summarize", "target_contexts"]

RADIUS = 0.5  # scene units, as adherence@0.5
BUFF = 0.25  # Manim's default next_to buffer
RULES = ("next_to", "median_offset", "frame_centre")
BINS = (0.0, 0.5, 1.0, 2.0, 4.0, math.inf)
SIDES = ("left", "right", "above", "below", "overlap")


@dataclass(frozen=True)
class TargetContext:
    """One target and its nearest given object."""

    task: str
    target: str
    kind: str
    anchor: str
    anchor_kind: str
    dx: float  # target centre minus anchor centre
    dy: float
    gap: float  # between the boxes; 0 when they meet
    side: str
    next_to_error: float  # distance from the next_to prediction to the true centre

    @property
    def distance(self) -> float:
        return math.hypot(self.dx, self.dy)


def _gaps(a: Box, b: Box) -> tuple[float, float]:
    return (max(a.xmin - b.xmax, b.xmin - a.xmax), max(a.ymin - b.ymax, b.ymin - a.ymax))


def side_of(target: Box, anchor: Box) -> str:
    """Which side of ``anchor`` the target is on (the axis with the larger gap)."""
    gx, gy = _gaps(target, anchor)
    if gx <= 0 and gy <= 0:
        return "overlap"
    (tx, ty), (ax, ay) = target.center, anchor.center
    if gx >= gy:
        return "right" if tx >= ax else "left"
    return "above" if ty >= ay else "below"


def next_to(anchor: Box, side: str, width: float, height: float,
            buff: float = BUFF) -> tuple[float, float]:
    """Centre of a ``width`` × ``height`` object put on ``side`` of ``anchor``."""
    ax, ay = anchor.center
    if side == "right":
        return anchor.xmax + buff + width / 2, ay
    if side == "left":
        return anchor.xmin - buff - width / 2, ay
    if side == "above":
        return ax, anchor.ymax + buff + height / 2
    if side == "below":
        return ax, anchor.ymin - buff - height / 2
    return ax, ay


def anchor_of(target: Box, given: dict[str, Box]) -> str:
    """The id of the given object nearest ``target`` (gap between boxes, then centres)."""
    def key(item: tuple[str, Box]) -> tuple[float, float, str]:
        gx, gy = _gaps(target, item[1])
        gap = math.hypot(max(gx, 0.0), max(gy, 0.0))
        (tx, ty), (bx, by) = target.center, item[1].center
        return gap, math.hypot(tx - bx, ty - by), item[0]

    return min(given.items(), key=key)[0]


def target_contexts(tasks: Iterable[Task]) -> list[TargetContext]:
    """One row per target of every task that gives at least one object."""
    out = []
    for t in tasks:
        given = {o.id: o.given for o in t.objects if o.given is not None}
        if not given:
            continue
        kinds = {o.id: o.kind for o in t.objects}
        for p in t.reference.layout:
            if p.id in given:
                continue
            aid = anchor_of(p.box, given)
            a = given[aid]
            side = side_of(p.box, a)
            gx, gy = _gaps(p.box, a)
            px, py = next_to(a, side, p.box.width, p.box.height)
            (tx, ty), (ax, ay) = p.box.center, a.center
            out.append(TargetContext(t.id, p.id, p.kind, aid, kinds.get(aid, "?"),
                                     round(tx - ax, 4), round(ty - ay, 4),
                                     round(math.hypot(max(gx, 0.0), max(gy, 0.0)), 4), side,
                                     round(math.hypot(tx - px, ty - py), 4)))
    return out


def _histogram(values: list[float]) -> list[dict[str, object]]:
    rows = []
    for lo, hi in pairwise(BINS):
        rows.append({"from": lo, "to": None if math.isinf(hi) else hi,
                     "n": sum(1 for v in values if lo <= v < hi)})
    return rows


def _share(hits: list[bool]) -> float | None:
    return round(sum(hits) / len(hits), 4) if hits else None


def summarize(tasks: list[Task], rows: list[TargetContext] | None = None) -> dict[str, object]:
    """The split's context statistics (see the module docstring), JSON-ready."""
    rows = target_contexts(tasks) if rows is None else rows
    targets = sum(1 for t in tasks for p in t.reference.layout
                  if t.object(p.id).given is None)
    by_side: dict[str, list[TargetContext]] = {}
    for r in rows:
        by_side.setdefault(r.side, []).append(r)
    typical = {s: (median(r.dx for r in rs), median(r.dy for r in rs))
               for s, rs in by_side.items()}
    boxes = {(t.id, p.id): p.box for t in tasks for p in t.reference.layout}
    hits: dict[str, list[bool]] = {k: [] for k in RULES}
    for r in rows:
        tx, ty = boxes[(r.task, r.target)].center
        mx, my = typical[r.side]
        hits["next_to"].append(r.next_to_error <= RADIUS)
        hits["median_offset"].append(math.hypot(r.dx - mx, r.dy - my) <= RADIUS)
        hits["frame_centre"].append(math.hypot(tx, ty) <= RADIUS)

    def med(values: list[float]) -> float | None:
        return round(median(values), 4) if values else None

    return {
        "tasks": len(tasks),
        "tasks_with_context": sum(1 for t in tasks if t.given_ids),
        "targets": targets,
        "targets_with_context": len(rows),
        "given": sum(len(t.given_ids) for t in tasks),
        "sides": {s: len(by_side.get(s, [])) for s in SIDES},
        "median": {"abs_dx": med([abs(r.dx) for r in rows]),
                   "abs_dy": med([abs(r.dy) for r in rows]),
                   "distance": med([r.distance for r in rows]),
                   "gap": med([r.gap for r in rows]),
                   "next_to_error": med([r.next_to_error for r in rows])},
        "typical_offset": {s: [round(v, 4) for v in typical[s]] for s in SIDES
                           if s in typical},
        "within": {k: _share(v) for k, v in hits.items()},
        "radius": RADIUS,
        "histogram": {"distance": _histogram([r.distance for r in rows]),
                      "next_to_error": _histogram([r.next_to_error for r in rows])},
        "anchor_kinds": dict(Counter(r.anchor_kind for r in rows).most_common()),
        "per_target": [asdict(r) for r in rows],
    }
