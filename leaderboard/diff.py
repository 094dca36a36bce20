"""One task's visual diff: which measured object stands for which reference object, where.

The matching is the scorers' own (``benchmark.scoring.match_objects`` on the
reference layout plus the given objects, visible objects of an ``ok`` render
only), so the per-object IoU and centre error shown here are the numbers the
task's miou and adherence were computed from.  Geometry is returned in the
coordinates of one SVG holding two frames side by side (reference left,
submission right; scene units, y down), for the template to draw.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from benchmark.core.frame import FRAME_HEIGHT, FRAME_WIDTH
from benchmark.core.tasks import Box, PlacedObject, Task
from benchmark.outcome import MeasuredObject
from benchmark.results import TaskResult
from benchmark.scoring import match_objects, padded_iou

__all__ = ["FRAME_H", "FRAME_W", "LABEL_SIZE", "PLACED_WITHIN", "DiffView", "ExtraObject",
           "Labels", "ObjectRow", "Point", "Rect", "diff_view", "failure_reason"]

#: manim's default frame in scene units (benchmark.core.frame)
FRAME_W = FRAME_WIDTH
FRAME_H = FRAME_HEIGHT
GAP = 0.5
#: height of a box's number in scene units (the stylesheet's ``.diff .label`` font size)
LABEL_SIZE = 0.3
#: a centre within this many units of the reference counts as correctly placed
PLACED_WITHIN = 0.5


@dataclass(frozen=True)
class Point:
    x: float
    y: float


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float

    @property
    def centre(self) -> Point:
        return Point(self.x + self.w / 2, self.y + self.h / 2)

    @property
    def label(self) -> Point:
        """Where the box's number goes: just above it, else just below, else inside.

        Outside the box where the panel has room, so the number never hides a
        small object (a one-letter label is about the size of the number).
        """
        if self.y >= LABEL_SIZE:
            return Point(self.x, round(self.y - 0.05, 4))
        if self.y + self.h + LABEL_SIZE <= FRAME_H:
            return Point(self.x, round(self.y + self.h + LABEL_SIZE - 0.03, 4))
        return Point(self.x + 0.05, round(self.y + LABEL_SIZE, 4))


def _rect(box: Box, panel: int) -> Rect:
    """A scene box in the SVG's coordinates, in panel 0 (reference) or 1 (submission)."""
    x0 = box.xmin + FRAME_W / 2 + panel * (FRAME_W + GAP)
    return Rect(round(x0, 4), round(FRAME_H / 2 - box.ymax, 4), round(max(box.width, 0.02), 4),
                round(max(box.height, 0.02), 4))


@dataclass
class ObjectRow:
    """One reference object: its match, IoU and centre error (``None`` when unmatched)."""

    number: int
    id: str
    kind: str
    content: str
    given: bool
    ref: Rect
    pred: MeasuredObject | None = None
    pred_rect: Rect | None = None
    ghost: Rect | None = None  # the reference box drawn in the submission's panel
    ref_label: Point | None = None  # where the numbers go (see ``Labels``)
    pred_label: Point | None = None
    iou: float | None = None
    centre_error: float | None = None

    @property
    def placed(self) -> bool:
        return self.centre_error is not None and self.centre_error <= PLACED_WITHIN + 1e-9


@dataclass
class ExtraObject:
    """A measured object no reference object was matched to."""

    number: int
    kind: str
    content: str
    visible: bool
    rect: Rect
    label: Point | None = None
    verified: bool = True
    reason: str = ""

    @property
    def why(self) -> str:
        """Why nothing was matched to it, as the table says it."""
        if not self.visible:
            return "not visible"
        return "not matched" if self.verified else f"unverified: {self.reason}"


@dataclass
class DiffView:
    width: float
    height: float
    panels: tuple[Rect, Rect]
    rows: list[ObjectRow] = field(default_factory=list)
    extras: list[ExtraObject] = field(default_factory=list)

    @property
    def matched(self) -> int:
        return sum(r.pred is not None for r in self.rows)


def reference_layout(task: Task) -> list[PlacedObject]:
    """The reference layout plus given objects it lacks, exactly as the layout scorer uses."""
    layout = list(task.reference.layout)
    ids = {p.id for p in layout}
    layout += [PlacedObject(o.id, o.kind, o.content, o.given) for o in task.objects
               if o.given is not None and o.id not in ids]
    return layout


def _centre_distance(a: Box, b: Box) -> float:
    (ax, ay), (bx, by) = a.center, b.center
    return math.hypot(ax - bx, ay - by)


class Labels:
    """Places box numbers at ``Rect.label``, moved right past any number already there.

    Boxes that share a corner (an axes and its graph) would otherwise print
    their numbers on top of each other.  One placer per SVG (the panels do not
    overlap, so one list serves both).
    """

    def __init__(self) -> None:
        self.placed: list[Point] = []

    def __call__(self, rect: Rect) -> Point:
        p = rect.label
        while any(abs(p.x - q.x) < LABEL_SIZE and abs(p.y - q.y) < LABEL_SIZE
                  for q in self.placed):
            p = Point(round(p.x + LABEL_SIZE, 4), p.y)
        self.placed.append(p)
        return p


def diff_view(task: Task | None, result: TaskResult) -> DiffView:
    """Reference and measured boxes, matched; without ``task`` only the measured ones."""
    panels = (Rect(0.0, 0.0, FRAME_W, FRAME_H), Rect(FRAME_W + GAP, 0.0, FRAME_W, FRAME_H))
    view = DiffView(2 * FRAME_W + GAP, FRAME_H, panels)
    predicted = result.objects if result.status == "ok" else []
    ref = reference_layout(task) if task is not None else []
    matched = match_objects(ref, predicted) if ref else []
    given = task.given_ids if task is not None else set()
    used: set[int] = set()
    labels = Labels()
    for i, (p, m) in enumerate(zip(ref, matched, strict=True)):
        row = ObjectRow(i + 1, p.id, p.kind, p.content, p.id in given, _rect(p.box, 0),
                        ghost=_rect(p.box, 1))
        row.ref_label = labels(row.ref)
        if m is not None:
            used.add(m)
            o = predicted[m]
            row.pred, row.pred_rect = o, _rect(o.box, 1)
            row.pred_label = labels(row.pred_rect)
            row.iou = padded_iou(p.box, o.box)
            row.centre_error = _centre_distance(p.box, o.box)
        view.rows.append(row)
    n = len(ref)
    for j, o in enumerate(result.objects):
        if j not in used:
            n += 1
            rect = _rect(o.box, 1)
            view.extras.append(ExtraObject(n, o.kind, o.content, o.visible, rect, labels(rect),
                                           o.verified, o.reason))
    return view


def failure_reason(result: TaskResult) -> str:
    """Why a task counts as a failure ("" when it does not): it did not render, or some
    object it had to place is more than ``PLACED_WITHIN`` units from its reference."""
    if result.status != "ok":
        return result.status
    if not result.metrics.get("rendered"):
        return "nothing visible"
    adherence = result.metrics.get(f"adherence@{PLACED_WITHIN:.1f}")
    if adherence is not None and adherence < 1.0 - 1e-9:
        return f"misplaced: {1.0 - adherence:.0%} of objects off by > {PLACED_WITHIN:g}"
    return ""
