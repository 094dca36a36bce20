"""Adapt a retrieved layout around the context a task gives.

A context task gives some objects on their boxes and asks for the rest (the
targets).  When it also states no relations — the 3b1b suite's context tasks —
nothing but the context says where the targets go, and
:func:`baselines._adapt.adapt_layout` alone would put every target where its
counterpart was in the retrieved scene, wherever the given objects now are.
:func:`adapt_in_context` places them around the context instead:

1. **Match** the objects by kind as ``adapt_layout`` does, given objects with
   the retrieved scene's given objects and targets with its targets first
   (``match_objects(..., roles=True)``).
2. **Anchor** each target (the root of its group: a dependent object — a graph
   on its axes, a brace on its target — moves with it) to a given object: the
   retrieved object nearest to the target's counterpart among those matched to
   a given object of the new task, when the two stood apart.  A counterpart
   that lay on that object (a label on a picture, a mark on axes) is not
   anchored: where on one object it sat says little about where it goes on
   another of another size, and on the 3b1b dev split (each video retrieved
   from the others) such anchors gained nothing over the retrieved place.
3. **Place** the target, at its natural size, where its counterpart was
   relative to the anchor's counterpart, measured from the given object's real
   box: per axis the gap between facing edges when the two were side by side,
   else the alignment that held best (``_along``).
4. **Clear** the context: a target that would cover a given box its
   counterpart did not cover is nudged along its offset from the anchor until
   it does not (kept where it was when the nudge would leave the frame), and
   each moved group is kept inside the frame.

Targets with no counterpart, none near a counterpart of a given object, or
lying on the nearest one keep ``adapt_layout``'s place.  Given objects never
move; a task with relations, or with nothing given, is adapted by
``adapt_layout`` unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from baselines._adapt import FRAME_X, FRAME_Y, Adapted, SizeFn, _Adapter, _along, _hull
from baselines._match import match_objects
from benchmark.core.tasks import Box, Task

__all__ = ["adapt_in_context", "in_context"]

NUDGE_STEP = 0.05  # scene units per step when a target is moved off a given box
NUDGE_STEPS = 400  # at most this many steps (further than across the frame)
COVER_TOL = 1e-3  # a shared area below this (square units) is no overlap


def in_context(task: Task) -> bool:
    """Whether only the context says where the targets go: something given, no relations."""
    return bool(task.given_ids) and not task.relations


def _gap(a: Box, b: Box) -> tuple[float, float]:
    """(distance between the boxes' edges, between their centres): what "nearest" sorts by."""
    dx = max(0.0, a.xmin - b.xmax, b.xmin - a.xmax)
    dy = max(0.0, a.ymin - b.ymax, b.ymin - a.ymax)
    (ax, ay), (bx, by) = a.center, b.center
    return math.hypot(dx, dy), math.hypot(ax - bx, ay - by)


def _covers(a: Box, b: Box) -> bool:
    return a.intersection(b) > COVER_TOL


def _in_frame(box: Box) -> bool:
    return (box.xmin >= -FRAME_X and box.xmax <= FRAME_X and box.ymin >= -FRAME_Y
            and box.ymax <= FRAME_Y)


def _framed_shift(box: Box) -> tuple[float, float]:
    """The smallest move that puts ``box`` inside the frame (centred if it is too big)."""
    out = []
    for lo, hi, half in ((box.xmin, box.xmax, FRAME_X), (box.ymin, box.ymax, FRAME_Y)):
        if hi - lo > 2 * half:
            out.append(-(lo + hi) / 2)
        else:
            out.append(max(0.0, -half - lo) - max(0.0, hi - half))
    return out[0], out[1]


class _Context:
    """One adaptation around the context: the adapter's result, re-placed per target."""

    def __init__(self, adapter: _Adapter) -> None:
        self.a = adapter
        new = adapter.new
        self.given = {o.id: o.given for o in new.objects if o.given is not None}
        #: retrieved object id -> the given new object it is matched to
        self.anchors = {adapter.matches[g]: g for g in self.given if g in adapter.matches}

    def anchor(self, old: Box) -> str | None:
        """The given object whose counterpart is nearest to ``old`` in the retrieved scene,
        unless ``old`` lay on that counterpart: where on an object a target sat does not
        carry over to another object of another size."""
        near = [(_gap(old, self.a.old_boxes[r]), g) for r, g in self.anchors.items()]
        if not near:
            return None
        (gap, _), anchor = min(near)
        return anchor if gap > 0 else None

    def target_box(self, oid: str, anchor: str) -> Box:
        """``oid``'s box at its natural size, kept where it was relative to ``anchor``."""
        a = self.a
        old, old_anchor, real = a.olds[oid], a.olds[anchor], self.given[anchor]
        w, h = a.boxes[oid].width, a.boxes[oid].height
        x0, x1 = _along(old, old_anchor, real, w, "x")
        y0, y1 = _along(old, old_anchor, real, h, "y")
        return self.clear(Box(x0, y0, x1, y1), old, real)

    def clear(self, box: Box, old: Box, anchor: Box) -> Box:
        """``box`` moved along its offset from ``anchor`` off the given boxes it would cover
        and its counterpart did not; unmoved when that would take it out of the frame."""
        a = self.a
        blocking = [g for g, gb in self.given.items() if _covers(box, gb) and not (
            g in a.olds and _covers(old, a.olds[g]))]
        if not blocking:
            return box
        (bx, by), (ax, ay) = box.center, anchor.center
        dx, dy = bx - ax, by - ay
        norm = math.hypot(dx, dy)
        if norm < 1e-9:  # centred on the anchor: move it down
            dx, dy, norm = 0.0, -1.0, 1.0
        step_x, step_y = NUDGE_STEP * dx / norm, NUDGE_STEP * dy / norm
        moved, inside = box, _in_frame(box)
        for _ in range(NUDGE_STEPS):
            moved = moved.translated(step_x, step_y)
            if inside and not _in_frame(moved):
                break
            if not any(_covers(moved, self.given[g]) for g in blocking):
                return moved
        return box

    def run(self) -> list[str]:
        """Re-place every anchored group; the targets anchored, in the task's order."""
        a = self.a
        groups: dict[str, list[str]] = {}
        for oid, root in a.root.items():
            groups.setdefault(root, []).append(oid)
        anchored = []
        for o in a.new.objects:
            if (o.id in self.given or a.root.get(o.id) != o.id or o.id not in a.olds
                    or o.id not in a.boxes):
                continue  # given, placed with another object, or without a counterpart
            anchor = self.anchor(a.olds[o.id])
            if anchor is None or anchor not in a.olds:
                continue
            box = self.target_box(o.id, anchor)
            dx, dy = box.xmin - a.boxes[o.id].xmin, box.ymin - a.boxes[o.id].ymin
            placed = [m for m in groups[o.id] if m in a.boxes]
            for m in placed:
                a.boxes[m] = a.boxes[m].translated(dx, dy)
            fx, fy = _framed_shift(_hull([a.boxes[m] for m in placed]))
            for m in placed:
                a.boxes[m] = a.boxes[m].translated(fx, fy)
            anchored.append(o.id)
        return anchored


def adapt_in_context(new: Task, old: Task, old_boxes: Mapping[str, Box], size: SizeFn
                     ) -> Adapted:
    """``adapt_layout``, with the targets of a context task without relations placed
    around the given objects (``Adapted.anchored`` lists those that were)."""
    matches = match_objects(new, old, roles=in_context(new))
    adapter = _Adapter(new, old, old_boxes, size, matches)
    adapted = adapter.run()
    if in_context(new):
        adapted.anchored = _Context(adapter).run()
        adapted.boxes = adapter.boxes
    return adapted
