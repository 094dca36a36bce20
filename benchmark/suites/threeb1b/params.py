"""Params in the shared vocabulary (``benchmark.compose``) for a 3b1b object.

What the measured geometry can state honestly: the font prepare sets text in, a
shape's size (a regular polygon drawn stretched: its width and height) (and a regular
polygon's corners, a straight line's direction), an axes' or number line's
length (and the range of the numbers a number line drew, when they are evenly
spaced), which objects an arrow joins (the objects nearest its two ends),
which object a brace annotates and on which side, which axes a graph is drawn
on.  Nothing is invented: when no object is near enough, the param is left out.
"""

from __future__ import annotations

import itertools
import math

from benchmark.suites.threeb1b.extract import TEXT_FONT
from benchmark.suites.threeb1b.objects import STRETCHED, GLObject

__all__ = ["object_params"]

NEAR = 1.0  # scene units: how close an arrow end must be to the object it joins
BRACE_NEAR = 0.6


def _gap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    dx = max(b[0] - a[2], a[0] - b[2], 0.0)
    dy = max(b[1] - a[3], a[1] - b[3], 0.0)
    return math.hypot(dx, dy)


def _point_gap(p: tuple[float, float], b: tuple[float, ...]) -> float:
    dx = max(b[0] - p[0], p[0] - b[2], 0.0)
    dy = max(b[1] - p[1], p[1] - b[3], 0.0)
    return math.hypot(dx, dy)


def _r(v: float) -> float:
    return round(v, 3)


def _nearest(p: tuple[float, float], objs: list[GLObject], skip: set[int],
             limit: float) -> int | None:
    """The object nearest ``p``; on a tie the smaller one (a graph before its axes)."""
    best = None
    for j, o in enumerate(objs):
        if j in skip or o.kind in ("arrow", "brace"):
            continue
        d = _point_gap(p, o.box)
        key = (round(d, 6), (o.box[2] - o.box[0]) * (o.box[3] - o.box[1]))
        if d <= limit and (best is None or key < best[0]):
            best = (key, j)
    return best[1] if best else None


def object_params(i: int, objs: list[GLObject], ids: list[str]) -> dict[str, object]:
    o = objs[i]
    x0, y0, x1, y1 = o.box
    w, h = x1 - x0, y1 - y0
    if o.kind == "shape":
        n = o.params.get("n") if o.content == "RegularPolygon" else 3
        if o.content in ("RegularPolygon", "Triangle") and isinstance(n, int):
            corners = {"n": n} if o.content == "RegularPolygon" else {}
            if min(w, h) > 0 and abs(math.log(w / h / _upright_aspect(n))) > STRETCHED:
                return {**corners, "width": _r(w), "height": _r(h)}  # drawn stretched
            if corners:
                return {**corners, "radius": _r(max(w, h) / 2)}
        if o.content in ("Circle", "Dot", "RegularPolygon", "Triangle", "Star"):
            return {"radius": _r(max(w, h) / 2)}
        if o.content == "Square":
            return {"side_length": _r(max(w, h))}
        if o.content in ("Rectangle", "RoundedRectangle", "Ellipse"):
            return {"width": _r(w), "height": _r(h)}
        if o.content == "Line":
            return {"length": _r(math.hypot(w, h)), **_angle(o)}
        return {}
    if o.kind == "text":
        return {"font": TEXT_FONT}
    if o.kind == "axes":
        return {"x_length": _r(w), "y_length": _r(h)}
    if o.kind == "number_line":
        return {"length": _r(w), **_numbers(o)}
    if o.kind == "graph":
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        for j, a in enumerate(objs):
            if a.kind == "axes" and a.box[0] <= cx <= a.box[2] and a.box[1] <= cy <= a.box[3]:
                return {"axes": ids[j]}
        return {}
    if o.kind == "arrow":
        return _arrow(i, o, objs, ids)
    if o.kind == "brace":
        return _brace(i, o, objs, ids)
    return {}


def _upright_aspect(n: int) -> float:
    """Width over height of a regular n-gon as both libraries draw it (a corner at the
    top when n is odd, on the right when n is even)."""
    start = math.pi / 2 if n % 2 else 0.0
    xs = [math.cos(start + 2 * math.pi * k / n) for k in range(n)]
    ys = [math.sin(start + 2 * math.pi * k / n) for k in range(n)]
    return (max(xs) - min(xs)) / (max(ys) - min(ys))


def _angle(o: GLObject) -> dict[str, object]:
    """A straight line's direction in radians, in (-π/2, π/2] (a line has no way round),
    when its ends were recorded and it is not level."""
    ends = o.params.get("ends")
    if ends is None:
        return {}
    (x0, y0), (x1, y1) = ends  # type: ignore[misc]
    angle = math.atan2(y1 - y0, x1 - x0)
    if angle <= -math.pi / 2:
        angle += math.pi
    elif angle > math.pi / 2:
        angle -= math.pi
    return {"angle": round(angle, 4)} if abs(angle) >= 0.01 else {}


def _numbers(o: GLObject) -> dict[str, object]:
    """A number line's labelled range, when it drew its numbers (evenly spaced ones)."""
    numbers = o.params.get("numbers")
    if not isinstance(numbers, list) or len(numbers) < 2:
        return {}
    steps = {round(b - a, 6) for a, b in itertools.pairwise(numbers)}
    if len(steps) != 1:
        return {}
    return {"x_range": [_r(numbers[0]), _r(numbers[-1]), _r(steps.pop())],
            "include_numbers": True}


def _arrow(i: int, o: GLObject, objs: list[GLObject], ids: list[str]) -> dict[str, object]:
    ends = o.params.get("ends")
    if ends is not None:  # tail and tip as drawn
        tail, tip = ends  # type: ignore[misc]
        ja = _nearest(tail, objs, {i}, NEAR)
        jb = _nearest(tip, objs, {i} | ({ja} if ja is not None else set()), NEAR)
        if ja is None or jb is None:
            return {}
        return {"from": ids[ja], "to": ids[jb]}
    x0, y0, x1, y1 = o.box
    # The arrow runs along its box's longer extent or diagonal; try both diagonals.
    best: tuple[float, int, int] | None = None
    for start, end in (((x0, y0), (x1, y1)), ((x0, y1), (x1, y0)), ((x0, (y0 + y1) / 2),
                       (x1, (y0 + y1) / 2)), (((x0 + x1) / 2, y0), ((x0 + x1) / 2, y1))):
        for a, b in ((start, end), (end, start)):
            ja = _nearest(a, objs, {i}, NEAR)
            jb = _nearest(b, objs, {i} | ({ja} if ja is not None else set()), NEAR)
            if ja is None or jb is None:
                continue
            d = _point_gap(a, objs[ja].box) + _point_gap(b, objs[jb].box)
            if best is None or d < best[0]:
                best = (d, ja, jb)
    if best is None:
        return {}
    return {"from": ids[best[1]], "to": ids[best[2]]}


def _brace(i: int, o: GLObject, objs: list[GLObject], ids: list[str]) -> dict[str, object]:
    best = None
    for j, t in enumerate(objs):
        if j == i or t.kind in ("brace", "arrow"):
            continue
        d = _gap(o.box, t.box)
        if d <= BRACE_NEAR and (best is None or d < best[0]):
            best = (d, j)
    if best is None:
        return {}
    t = objs[best[1]].box
    bx, by = (o.box[0] + o.box[2]) / 2, (o.box[1] + o.box[3]) / 2
    tx, ty = (t[0] + t[2]) / 2, (t[1] + t[3]) / 2
    dx, dy = bx - tx, by - ty
    if o.box[2] - o.box[0] >= o.box[3] - o.box[1]:  # a horizontal brace: above or below
        direction = "down" if dy < 0 else "up"
    else:
        direction = "left" if dx < 0 else "right"
    return {"target": ids[best[1]], "direction": direction}
