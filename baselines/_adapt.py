"""Adapt a retrieved task's reference layout to a new task's objects.

``retrieval`` finds a training task whose scene resembles the new one; this
module carries its layout over:

1. **Match** the new task's objects to the retrieved task's by kind (never
   across kinds), preferring equal ids, then equal contents, then the same
   place in the object list (Hungarian assignment; ``baselines._match``).
2. **Place** every free object at its *natural* size (the new content rendered
   alone, from the synthetic size table; the retrieved box's size when the
   table does not know it), keeping its position relative to what it was
   placed against: objects are placed one at a time, each against an already
   placed partner it is related to (the task's relations, or what it is built
   on), and per axis the retrieved layout says how — a gap between facing
   edges when the two were side by side on that axis, otherwise the alignment
   (left/centre/right edges) that held best.  An object that marks a value on
   a number line (``params["place"]["value"]``) goes where the retrieved scene's
   marks put that value.  ``given`` objects stay on their boxes and carry their
   retrieved partners along.
3. New objects with no counterpart go beside a related placed object on the
   side their relation names (centred inside a container), else at the centre.
4. Each group grown from a free root is then moved as a whole to where the new
   task wants it: kept where the retrieved group was (an edge near a frame edge
   keeps its margin, anything else its centre), moved by the difference when
   the two tasks state different points (``params["place"]["at"]``), or put
   against the frame edge or corner the new task names.  Per axis it is the
   root that is anchored, unless the retrieved group — not its root — sat on a
   round place (a row centred on the frame, a list centred on a stated point).

Dependent objects (graphs, arrows, braces) are built by the composer from what
they follow; their boxes here only move with their anchors, so that objects
placed against them (a label under a brace) follow too.  Nothing here reads
the new task's reference.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from baselines._match import match_objects, partners
from benchmark.compose import DEPENDENT_KINDS, dependencies
from benchmark.core.frame import FRAME_HALF_HEIGHT, FRAME_HALF_WIDTH
from benchmark.core.tasks import Box, ObjectSpec, Task

__all__ = ["Adapted", "adapt_layout", "match_objects"]

FRAME_X = FRAME_HALF_WIDTH
FRAME_Y = FRAME_HALF_HEIGHT
EDGE_NEAR = 1.0  # a box edge this close to a frame edge is anchored to it
SIDE_TOL = 0.05  # boxes closer than this on an axis count as overlapping there
DEFAULT_BUFF = 0.25  # gap for new objects placed beside a partner
EDGE_BUFF = 0.5  # manim's to_edge / to_corner margin
DEFAULT_SIZE = (1.0, 0.5)  # the size of an unknown object without a counterpart
_AXIS_RELS = {"x": ("left_of", "right_of", "aligned_y"), "y": ("above", "below", "aligned_x")}

SizeFn = Callable[[ObjectSpec], tuple[float, float] | None]


@dataclass
class Adapted:
    """The adapted layout: a box per object (given ones on theirs) and what matched what."""

    boxes: dict[str, Box]
    matches: dict[str, str]  # new object id -> retrieved object id
    unmatched: list[str]  # new objects with no counterpart of their kind
    anchored: list[str] = field(default_factory=list)  # targets placed against the context


def _span(box: Box, axis: str) -> tuple[float, float]:
    return (box.xmin, box.xmax) if axis == "x" else (box.ymin, box.ymax)


def _along(old_a: Box, old_b: Box, new_b: Box, size: float, axis: str) -> tuple[float, float]:
    """``a``'s new span on one axis, kept relative to partner ``b`` as it was."""
    a0, a1 = _span(old_a, axis)
    b0, b1 = _span(old_b, axis)
    n0, n1 = _span(new_b, axis)
    if a0 >= b1 - SIDE_TOL:  # a was after b on this axis: keep the gap
        lo = n1 + (a0 - b1)
        return lo, lo + size
    if a1 <= b0 + SIDE_TOL:  # a was before b: keep the gap
        hi = n0 - (b0 - a1)
        return hi - size, hi
    # overlapping on this axis: keep the alignment that held best (low, centre or high)
    offsets = {"lo": a0 - b0, "mid": (a0 + a1) / 2 - (b0 + b1) / 2, "hi": a1 - b1}
    how = min(offsets, key=lambda k: abs(offsets[k]))
    if how == "lo":
        lo = n0 + offsets["lo"]
        return lo, lo + size
    if how == "hi":
        hi = n1 + offsets["hi"]
        return hi - size, hi
    mid = (n0 + n1) / 2 + offsets["mid"]
    return mid - size / 2, mid + size / 2


def _framed(old: Box, size: float, axis: str) -> tuple[float, float]:
    """A span anchored to the frame: an edge near a frame edge keeps its margin."""
    lo, hi = _span(old, axis)
    half = FRAME_X if axis == "x" else FRAME_Y
    if lo + half < EDGE_NEAR and half - hi >= EDGE_NEAR:
        return lo, lo + size
    if half - hi < EDGE_NEAR and lo + half >= EDGE_NEAR:
        return hi - size, hi
    mid = (lo + hi) / 2
    return mid - size / 2, mid + size / 2


def _place(spec: ObjectSpec) -> dict[str, Any]:
    p = spec.params.get("place")
    return p if isinstance(p, dict) else {}


def _point(place: Mapping[str, Any]) -> tuple[float, float] | None:
    """The point a stated ``at`` names (``"center"`` is the origin), if it names one."""
    at = place.get("at")
    if at == "center":
        return (0.0, 0.0)
    if (isinstance(at, list | tuple) and len(at) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in at)):
        return (float(at[0]), float(at[1]))
    return None


def _sides(place: Mapping[str, Any]) -> dict[str, str]:
    """Axis → "lo"/"hi" for the frame edges a stated ``edge`` or ``corner`` names."""
    name = place.get("corner") or place.get("edge")
    if not isinstance(name, str):
        return {}
    word = {"UP": "U", "DOWN": "D", "LEFT": "L", "RIGHT": "R"}.get(name, name)
    out = {}
    for c in word:
        if c in "LR":
            out["x"] = "lo" if c == "L" else "hi"
        elif c in "UD":
            out["y"] = "lo" if c == "D" else "hi"
    return out


def _rooted(new: ObjectSpec, old_spec: ObjectSpec, old: Box, size: float, axis: str
            ) -> tuple[float, float]:
    """A root's span: where the retrieved one was, moved to where the new task says.

    When both state a point (``at``), the span moves by the difference of the
    points; when the new task names a frame edge or corner the retrieved one did
    not, the span goes ``EDGE_BUFF`` from that edge (as ``to_edge`` puts it).
    """
    pn, po = _place(new), _place(old_spec)
    if pn == po:
        return _framed(old, size, axis)
    k = 0 if axis == "x" else 1
    half = FRAME_X if axis == "x" else FRAME_Y
    a, b = _point(pn), _point(po)
    if a is not None:
        lo, hi = _framed(old, size, axis)
        if b is not None:
            return lo + a[k] - b[k], hi + a[k] - b[k]
        return a[k] - size / 2, a[k] + size / 2
    sides = _sides(pn)
    if axis in sides:
        if sides[axis] == "lo":
            return -half + EDGE_BUFF, -half + EDGE_BUFF + size
        return half - EDGE_BUFF - size, half - EDGE_BUFF
    if sides:  # an edge on the other axis: to_edge keeps this one centred
        return -size / 2, size / 2
    return _framed(old, size, axis)


def _value(spec: ObjectSpec) -> float | None:
    """The number an object marks (on a number line or axes), when its params state one."""
    for v in (_place(spec).get("value"), spec.params.get("value")):
        if isinstance(v, int | float) and not isinstance(v, bool):
            return float(v)
    return None


def _unit(spec: ObjectSpec, value: float) -> float | None:
    """Where ``value`` lies along ``spec``'s x range, as a share of it."""
    xr = spec.params.get("x_range")
    if (isinstance(xr, list | tuple) and len(xr) >= 2
            and all(isinstance(v, int | float) for v in xr[:2]) and xr[1] != xr[0]):
        return (value - float(xr[0])) / (float(xr[1]) - float(xr[0]))
    return None


def _beside(rel: str, a_is_first: bool, partner: Box, w: float, h: float) -> Box:
    """A new object with no counterpart, put beside ``partner`` as its relation says."""
    cx, cy = partner.center
    side = {"left_of": "left", "right_of": "right", "above": "up", "below": "down",
            "next_to": "right", "aligned_x": "down", "aligned_y": "right"}.get(rel)
    if side is not None and not a_is_first:  # the relation reads "partner rel a"
        side = {"left": "right", "right": "left", "up": "down", "down": "up"}[side]
    if side == "left":
        return Box.from_center(partner.xmin - DEFAULT_BUFF - w / 2, cy, w, h)
    if side == "right":
        return Box.from_center(partner.xmax + DEFAULT_BUFF + w / 2, cy, w, h)
    if side == "up":
        return Box.from_center(cx, partner.ymax + DEFAULT_BUFF + h / 2, w, h)
    if side == "down":
        return Box.from_center(cx, partner.ymin - DEFAULT_BUFF - h / 2, w, h)
    return Box.from_center(cx, cy, w, h)  # inside, or built on it


def _relation_order(task: Task, a: str, b: str, rel: str) -> bool:
    """Whether a stated relation between ``a`` and ``b`` reads ``a rel b``."""
    return any(r.a == a and r.b == b and r.rel == rel for r in task.relations)


def _on_grid(box: Box, axis: str, tol: float = 0.01) -> bool:
    """Whether a box sits on a round place on one axis: its centre on a multiple of
    half a unit, or an edge ``EDGE_BUFF`` from a frame edge (where ``to_edge`` puts it)."""
    lo, hi = _span(box, axis)
    half = FRAME_X if axis == "x" else FRAME_Y
    mid = (lo + hi) / 2
    return (abs(mid * 2 - round(mid * 2)) < 2 * tol or abs(lo + half - EDGE_BUFF) < tol
            or abs(half - hi - EDGE_BUFF) < tol)


def _hull(boxes: list[Box]) -> Box:
    return Box(min(b.xmin for b in boxes), min(b.ymin for b in boxes),
               max(b.xmax for b in boxes), max(b.ymax for b in boxes))


class _Adapter:
    """One adaptation: the state shared by the steps of ``adapt_layout``."""

    def __init__(self, new: Task, old: Task, old_boxes: Mapping[str, Box], size: SizeFn,
                 matches: Mapping[str, str] | None = None) -> None:
        self.new, self.old, self.old_boxes, self.size = new, old, old_boxes, size
        matches = match_objects(new, old) if matches is None else matches
        self.matches = {k: v for k, v in matches.items() if v in old_boxes}
        self.partners = partners(new)
        self.old_specs = {o.id: o for o in old.objects}
        #: the matched retrieved box of each new object
        self.olds = {o.id: old_boxes[self.matches[o.id]] for o in new.objects
                     if o.id in self.matches}
        self.boxes: dict[str, Box] = {o.id: o.given for o in new.objects if o.given is not None}
        #: new object id -> the root it was placed from (given objects are their own roots)
        self.root: dict[str, str] = {o.id: o.id for o in new.objects if o.given is not None}

    def natural(self, o: ObjectSpec) -> tuple[float, float]:
        got = self.size(o)
        if got is not None and got[0] >= 0 and got[1] >= 0:
            return got
        if o.id in self.olds:
            return self.olds[o.id].width, self.olds[o.id].height
        return DEFAULT_SIZE

    def follow(self, o: ObjectSpec) -> None:
        """A dependent object moves (and stretches) with what it is built on."""
        anchors = [d for d in dependencies(o) if d in self.boxes and d in self.olds]
        if o.id not in self.olds or not anchors:
            return
        old, boxes, olds = self.olds[o.id], self.boxes, self.olds
        self.root[o.id] = self.root.get(anchors[0], anchors[0])
        if o.kind == "arrow":  # between its ends: move with their mean displacement
            dx = float(np.mean([boxes[d].center[0] - olds[d].center[0] for d in anchors]))
            dy = float(np.mean([boxes[d].center[1] - olds[d].center[1] for d in anchors]))
            boxes[o.id] = old.translated(dx, dy)
            return
        ref_old, ref_new = olds[anchors[0]], boxes[anchors[0]]
        sx = ref_new.width / ref_old.width if ref_old.width > 1e-6 else 1.0
        sy = ref_new.height / ref_old.height if ref_old.height > 1e-6 else 1.0
        x0 = ref_new.xmin + (old.xmin - ref_old.xmin) * sx
        y0 = ref_new.ymin + (old.ymin - ref_old.ymin) * sy
        boxes[o.id] = Box(x0, y0, x0 + old.width * sx, y0 + old.height * sy)

    def place(self, o: ObjectSpec) -> None:
        """Place one free object against a placed partner, or as a new root."""
        w, h = self.natural(o)
        placed = [(p, rel) for p, rel in self.partners[o.id] if p in self.boxes]
        if placed:
            self.root[o.id] = self.root.get(placed[0][0], placed[0][0])
        else:
            self.root[o.id] = o.id
        if o.id not in self.olds:
            if placed:
                p, rel = placed[0]
                self.boxes[o.id] = _beside(rel, _relation_order(self.new, o.id, p, rel),
                                           self.boxes[p], w, h)
            else:
                self.boxes[o.id] = Box.from_center(0.0, 0.0, w, h)
            return
        old = self.olds[o.id]
        usable = [(p, rel) for p, rel in placed if p in self.olds]
        inside = [(p, rel) for p, rel in usable if rel == "inside"]
        spans: dict[str, tuple[float, float]] = {}
        x = self.marked(o, inside[0][0]) if inside else None
        if x is not None:
            spans["x"] = (x - w / 2, x + w / 2)
        for axis, extent in (("x", w), ("y", h)):
            if axis in spans:
                continue
            on_axis = [(p, rel) for p, rel in usable if rel in _AXIS_RELS[axis]]
            chosen = (on_axis or inside or usable or [None])[0]
            if chosen is None:
                spans[axis] = _framed(old, extent, axis)
            else:
                spans[axis] = _along(old, self.olds[chosen[0]], self.boxes[chosen[0]], extent,
                                     axis)
        self.boxes[o.id] = Box(spans["x"][0], spans["y"][0], spans["x"][1], spans["y"][1])

    def marked(self, o: ObjectSpec, line: str) -> float | None:
        """The x where ``o`` marks its value on ``line``, read off the retrieved scene.

        The retrieved objects marking values on the same line give x as a linear
        function of the value's share of the line's range; the new line may have
        another range, size and place.
        """
        v = _value(o)
        old_line = self.old_specs.get(self.matches.get(line, ""))
        if v is None or old_line is None or _unit(self.new.object(line), v) is None:
            return None
        pairs = []
        for q in self.old.objects:
            qv = _value(q)
            u = _unit(old_line, qv) if qv is not None else None
            if u is not None and q.id in self.old_boxes and any(
                    r.a == q.id and r.b == old_line.id and r.rel == "inside"
                    for r in self.old.relations):
                pairs.append((u, self.old_boxes[q.id].center[0]))
        if len({u for u, _ in pairs}) < 2:
            return None
        slope, icept = np.polyfit([u for u, _ in pairs], [x for _, x in pairs], 1)
        ref_old, ref_new = self.olds[line], self.boxes[line]
        scale = ref_new.width / ref_old.width if ref_old.width > 1e-6 else 1.0
        x_old = icept + slope * float(_unit(self.new.object(line), v) or 0.0)
        return ref_new.xmin + (x_old - ref_old.xmin) * scale

    def anchor_groups(self) -> None:
        """Move each group grown from a free root as a whole, to where the new task
        wants it: by its root, or — on an axis where the retrieved group, not its
        root, sat on a round place (a centred row, a list centred on a stated point)
        — by the whole group."""
        groups: dict[str, list[str]] = {}
        for oid, root in self.root.items():
            groups.setdefault(root, []).append(oid)
        for root, members in groups.items():
            spec = self.new.object(root)
            matched = [m for m in members if m in self.olds and m in self.boxes]
            if spec.given is not None or root not in self.olds or not matched:
                continue
            old_spec = self.old_specs[self.matches[root]]
            old_hull = _hull([self.olds[m] for m in matched])
            new_hull = _hull([self.boxes[m] for m in members if m in self.boxes])
            moved = _place(spec) != _place(old_spec)  # the new task states another place
            shift = {}
            for axis in ("x", "y"):
                by_hull = _on_grid(old_hull, axis) and (
                    moved or not _on_grid(self.olds[root], axis))
                old_box, new_box = ((old_hull, new_hull) if by_hull
                                    else (self.olds[root], self.boxes[root]))
                lo, hi = _span(new_box, axis)
                shift[axis] = _rooted(spec, old_spec, old_box, hi - lo, axis)[0] - lo
            for m in members:
                if m in self.boxes:
                    self.boxes[m] = self.boxes[m].translated(shift["x"], shift["y"])

    def run(self) -> Adapted:
        objects = self.new.objects
        pending = [o for o in objects if o.given is None and o.kind not in DEPENDENT_KINDS]
        dependent = [o for o in objects if o.given is None and o.kind in DEPENDENT_KINDS]
        while pending or dependent:
            for o in list(dependent):  # follow anchors as soon as they are placed
                if all(d in self.boxes for d in dependencies(o)):
                    self.follow(o)
                    dependent.remove(o)
            if not pending:
                dependent.clear()  # what is left depends on something never placed
                continue
            ready = next((o for o in pending
                          if any(p in self.boxes for p, _ in self.partners[o.id])), None)
            o = ready or pending[0]  # nothing related is placed yet: a new root
            self.place(o)
            pending.remove(o)
        self.anchor_groups()
        unmatched = [o.id for o in objects if o.id not in self.matches]
        return Adapted(self.boxes, self.matches, unmatched)


def adapt_layout(new: Task, old: Task, old_boxes: Mapping[str, Box], size: SizeFn
                 ) -> Adapted:
    """Boxes for every object of ``new`` from ``old``'s layout (``old_boxes`` by its ids).

    ``size(spec)`` is an object's natural (width, height), or ``None`` when unknown.
    """
    return _Adapter(new, old, old_boxes, size).run()
