"""Execution, layout and layout-defect scorers.

Layout metrics compare the visible measured objects with the task's reference
layout through one matching (``match_objects``) and average over the objects
the submission had to place: objects with a ``given`` box are context, scored
only by ``context_kept``.  A failed render (status not ``ok``) or a scene with
nothing visible matches nothing, so it scores 0 on miou, type_acc, rel_acc and
adherence — it earns nothing — while the reference-free defects, which
describe a drawn layout, are null.

* ``miou``: IoU (on boxes padded to ``MIN_EXTENT``) of each reference object with
  its match, 0 when unmatched.
* ``type_acc``: matched to a measured object of the same kind.
* ``rel_acc``: the share of passed checks.  For every pair of reference objects,
  the horizontal and the vertical order of their centres is −1, 0 or +1, where
  0 ("level") means the centres differ by less than ``REL_TOLERANCE`` on that
  axis; a check passes when the matched centres give the same order.  Every
  explicit relation of the task is a further check, evaluated on the matched
  boxes with ``relation_holds``.  A check involving an unmatched object fails.
  Null when a task has no check at all (one free object and no relations).
* ``adherence@T``: the matched centre lies within T units of the reference one.
* ``context_kept``: given objects whose match has padded IoU ≥ 0.9 with the given
  box; null for tasks without given objects.
* ``overlap``: the summed pairwise intersection area of visible objects, clipped
  to the frame, over the frame area.  Pairs meant to overlap are left out: a
  graph with axes or a number line, and an object lying wholly inside a shape,
  axes, number line or image.  Lower is better.
* ``off_frame``: share of visible objects whose box leaves the frame. Lower is better.
"""

from __future__ import annotations

import math
from itertools import combinations

from benchmark.core.frame import FRAME, FRAME_AREA
from benchmark.core.geometry import padded_iou
from benchmark.core.tasks import Box, PlacedObject, Task
from benchmark.outcome import MeasuredObject, Outcome
from benchmark.scoring._base import ADHERENCE_THRESHOLDS, ScoreFn, ScoringConfig, scorer
from benchmark.scoring._geometry import (
    REL_TOLERANCE,
    centre_distance,
    contains,
    outside_frame,
    relation_holds,
)
from benchmark.scoring._matching import match_objects

__all__ = ["CONTEXT_IOU", "defect_metrics", "layout_metrics"]

CONTEXT_IOU = 0.9
_LAYOUT = ("miou", "type_acc", "rel_acc",
           *(f"adherence@{t:.1f}" for t in ADHERENCE_THRESHOLDS), "context_kept")
_MEANT_TO_OVERLAP = frozenset({frozenset({"graph", "axes"}),
                               frozenset({"graph", "number_line"})})
_HOLDERS = frozenset({"shape", "axes", "number_line", "image"})
_EPS = 1e-9


def _reference(task: Task) -> list[PlacedObject]:
    """The reference layout, plus given objects it lacks (placed at their given box)."""
    layout = list(task.reference.layout)
    ids = {p.id for p in layout}
    layout += [PlacedObject(o.id, o.kind, o.content, o.given) for o in task.objects
               if o.given is not None and o.id not in ids]
    return layout


def _order(d: float) -> int:
    return 0 if abs(d) < REL_TOLERANCE else (1 if d > 0 else -1)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def layout_metrics(task: Task, outcome: Outcome) -> dict[str, float | None]:
    """miou, type_acc, rel_acc, adherence@T and context_kept for one outcome."""
    ref = _reference(task)
    given = task.given_ids
    predicted = outcome.objects if outcome.status == "ok" else []
    matched = match_objects(ref, predicted)
    boxes: list[Box | None] = [None if m is None else predicted[m].box for m in matched]
    free = [i for i, p in enumerate(ref) if p.id not in given]

    ious = [padded_iou(ref[i].box, b) if (b := boxes[i]) is not None else 0.0 for i in free]
    kinds = [float(predicted[m].kind == ref[i].kind) if (m := matched[i]) is not None else 0.0
             for i in free]
    dists = [centre_distance(ref[i].box, b) if (b := boxes[i]) is not None else math.inf
             for i in free]
    out: dict[str, float | None] = {"miou": _mean(ious), "type_acc": _mean(kinds)}
    for t in ADHERENCE_THRESHOLDS:
        out[f"adherence@{t:.1f}"] = _mean([float(d <= t + _EPS) for d in dists])

    checks: list[float] = []
    for i, j in combinations(free, 2):
        bi, bj = boxes[i], boxes[j]
        for axis in (0, 1):
            want = _order(ref[j].box.center[axis] - ref[i].box.center[axis])
            got = None if bi is None or bj is None else _order(bj.center[axis]
                                                               - bi.center[axis])
            checks.append(float(got == want))
    index: dict[str, int] = {}
    for i, p in enumerate(ref):
        index.setdefault(p.id, i)
    for r in task.relations:
        if r.a not in index or r.b not in index:
            continue  # not in the reference layout: nothing to check it against
        ba, bb = boxes[index[r.a]], boxes[index[r.b]]
        checks.append(float(ba is not None and bb is not None
                            and relation_holds(r.rel, ba, bb)))
    out["rel_acc"] = _mean(checks)

    kept = []
    for o in task.objects:
        if o.given is not None:
            b = boxes[index[o.id]]
            kept.append(float(b is not None and padded_iou(o.given, b) >= CONTEXT_IOU))
    out["context_kept"] = _mean(kept)
    return out


def _clip(box: Box) -> Box | None:
    x0, y0 = max(box.xmin, FRAME.xmin), max(box.ymin, FRAME.ymin)
    x1, y1 = min(box.xmax, FRAME.xmax), min(box.ymax, FRAME.ymax)
    return Box(x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


def _meant_to_overlap(a: MeasuredObject, b: MeasuredObject) -> bool:
    if frozenset({a.kind, b.kind}) in _MEANT_TO_OVERLAP:
        return True
    return ((a.kind in _HOLDERS and contains(a.box, b.box))
            or (b.kind in _HOLDERS and contains(b.box, a.box)))


def defect_metrics(outcome: Outcome) -> dict[str, float | None]:
    """overlap and off_frame; null when nothing was drawn."""
    visible = outcome.visible_objects if outcome.status == "ok" else []
    if not visible:
        return {"overlap": None, "off_frame": None}
    area = 0.0
    clipped = [_clip(o.box) for o in visible]
    for i, j in combinations(range(len(visible)), 2):
        a, b = clipped[i], clipped[j]
        if a is None or b is None or _meant_to_overlap(visible[i], visible[j]):
            continue
        area += a.intersection(b)
    off = sum(outside_frame(o.box) for o in visible)
    return {"overlap": area / FRAME_AREA, "off_frame": off / len(visible)}


@scorer("execution", metrics=("compiled", "rendered"))
def execution(config: ScoringConfig) -> ScoreFn:
    """Did the code compile, and did it draw anything?"""

    def score(task: Task, outcome: Outcome) -> dict[str, float | None]:
        return {"compiled": float(outcome.compiled),
                "rendered": float(outcome.status == "ok" and bool(outcome.visible_objects))}

    return score


@scorer("verification", metrics=("verified_rate",))
def verification(config: ScoringConfig) -> ScoreFn:
    """The share of visible objects whose kind and content their drawing proves."""

    def score(task: Task, outcome: Outcome) -> dict[str, float | None]:
        visible = outcome.visible_objects if outcome.status == "ok" else []
        if not visible:
            return {"verified_rate": None}
        return {"verified_rate": sum(o.verified for o in visible) / len(visible)}

    return score


@scorer("layout", metrics=_LAYOUT)
def layout(config: ScoringConfig) -> ScoreFn:
    """Placement against the reference layout."""
    return layout_metrics


@scorer("defects", metrics=("overlap", "off_frame"))
def defects(config: ScoringConfig) -> ScoreFn:
    """Reference-free layout defects."""
    return lambda task, outcome: defect_metrics(outcome)
