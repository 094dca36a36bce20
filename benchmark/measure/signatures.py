"""Kind signatures: cheap geometric proofs that an object is the kind of thing it claims.

A class name is a claim like any other the sandboxed child makes.  Each
claimed class gets a signature that the drawn points must satisfy:

* circle, dot, ellipse: every point lies on one conic; an arc on a conic too;
  an annulus is two concentric closed conics;
* rectangle, square: one closed path of four right-angle corners (a square's
  sides equal); rounded rectangles: four perpendicular edges joined by arcs;
* triangle, polygon, regular polygon, star: a closed polygon with the right
  number of corners (3; at least 3; on one conic; at least 6);
* line: straight; arrow: a straight (or, curved, conic) shaft plus a tip at an
  end; elbow and right angle: two perpendicular segments;
* number line: a straight line with perpendicular ticks; axes: two long
  perpendicular number lines, with ticks;
* graph: a curve that is a function of x (x never turns back); a parametric
  or polar plot, whose x may turn back, at least has no corners;
* brace: a long outline with thin arms, a tip in the middle on one side and
  the ends curling to the other.

Classes whose outline says nothing distinctive (Bézier curves, dashed or cut
out paths, plain VMobjects) are accepted as drawn and say so in the reason.
Tolerances are relative to the object's size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from benchmark.measure.ink import Ink, painted, raster, subpaths
from benchmark.measure.outline import (
    _ANGLE_TOL_DEG,
    _angles_right,
    _collinear,
    _corners,
    _curves,
    _is_tip,
    _on_conic,
    _samples,
    _sides,
    _straight,
)
from benchmark.snapshot import Member

__all__ = ["KIND_CLASSES", "SINGLE_OUTLINE", "check_kind"]

Check = Callable[[Member, Sequence[Member]], str | None]  # None: holds; else why not

def _conic(m: Member, family: Sequence[Member]) -> str | None:
    curves = _curves(m)
    if not len(curves):
        return "no outline"
    if any(_straight(c) and np.hypot(*(c[3] - c[0])) > 1e-9 for c in curves) and \
            all(_straight(c) for c in curves):
        return "straight edges, not a conic"
    return None if _on_conic(_samples(curves)) else "points do not lie on one conic"


def _annulus(m: Member, family: Sequence[Member]) -> str | None:
    subs = subpaths(m.points)
    if len(subs) != 2:
        return f"{len(subs)} closed outlines, not 2"
    centres = []
    for s in subs:
        pts = _samples(s[..., :2])
        if not _on_conic(pts):
            return "an outline is not a conic"
        centres.append(pts.mean(axis=0))
    size = float(np.ptp(m.points[:, :2], axis=0).max()) or 1.0
    return None if np.hypot(*(centres[0] - centres[1])) < 0.02 * size else "not concentric"


def _round_parts(m: Member, family: Sequence[Member]) -> str | None:
    """Sectors and angles: each run of curved pieces on a conic, the rest straight."""
    curves = _curves(m)
    if not len(curves):
        return "no outline"
    run: list[np.ndarray] = []
    for c in [*curves, None]:
        if c is not None and not _straight(c):
            run.append(c)
            continue
        if run and not _on_conic(_samples(np.array(run))):
            return "a curved part does not lie on a conic"
        run = []
    return None


def _polygon(n_min: int, n_max: int | None = None, *, right: bool = False,
             equal: bool = False, regular: bool = False) -> Check:
    def check(m: Member, family: Sequence[Member]) -> str | None:
        corners = _corners(m)
        if corners is None:
            return "not one closed path of straight edges"
        n = len(corners)
        if n < n_min or (n_max is not None and n > n_max):
            want = n_min if n_max == n_min else f"{n_min}+"
            return f"{n} corners, expected {want}"
        if right and not _angles_right(corners):
            return "corners are not right angles"
        if equal:
            sides = _sides(corners)
            if max(sides) > 1.02 * min(sides):
                return "sides are not equal"
        if regular and n >= 5 and not _on_conic(np.array(corners)):
            return "corners do not lie on one conic"
        return None
    return check


def _polygram(n_min: int, *, regular: bool = False) -> Check:
    """Closed straight-edged paths (a hexagram is two triangles), n_min corners in all."""
    def check(m: Member, family: Sequence[Member]) -> str | None:
        subs = subpaths(m.points)
        corners: list[np.ndarray] = []
        for sub in subs:
            got = _corners(m, sub)
            if got is None:
                return "not closed paths of straight edges"
            corners += got
        if len(corners) < n_min:
            return f"{len(corners)} corners, expected {n_min}+"
        if regular and not _on_conic(np.array(corners)):
            return "corners do not lie on one conic"
        return None
    return check


def _rounded_rectangle(m: Member, family: Sequence[Member]) -> str | None:
    if _polygon(4, 4, right=True)(m, family) is None:
        return None
    subs = subpaths(m.points)
    if len(subs) != 1:
        return "not one closed outline"
    curves = subs[0][..., :2]
    edges = [c[3] - c[0] for c in curves if _straight(c) and np.hypot(*(c[3] - c[0])) > 1e-6]
    if len(edges) < 4:
        return "fewer than 4 straight edges"
    base = edges[0] / np.hypot(*edges[0])
    for e in edges:
        cos = abs(float(e @ base / np.hypot(*e)))
        tol = np.radians(_ANGLE_TOL_DEG)
        if not (cos > np.cos(tol) or cos < np.sin(tol)):
            return "edges are not parallel or perpendicular"
    return None


def _line(m: Member, family: Sequence[Member]) -> str | None:
    # Its own points; a dashed line has none and is its dashes (labels are not the line).
    pts = [m.points] if len(m.points) else \
        [x.points for x in family if len(x.points) and not _is_tip(x)]
    if not pts:
        return "no outline"
    return None if _collinear(np.concatenate(pts)) else "points are not on one straight line"


def _arrow(m: Member, family: Sequence[Member]) -> str | None:
    if not len(m.points):
        return "no shaft"
    curved = "Curved" in m.cls or any("Curved" in n for n in m.mro_names[:2])
    shaft_ok = _on_conic(_samples(_curves(m))) if curved else _collinear(m.points)
    if not shaft_ok:
        return "the shaft is not " + ("an arc" if curved else "straight")
    ends = [m.points[0, :2], m.points[-1, :2]]
    length = float(np.hypot(*(ends[1] - ends[0]))) or 1.0
    for x in family:
        if x is m or not len(x.points) or painted(x) is None:
            continue
        c = (x.points[:, :2].min(axis=0) + x.points[:, :2].max(axis=0)) / 2
        size = float(np.ptp(x.points[:, :2], axis=0).max())
        if size < length and min(np.hypot(*(c - e)) for e in ends) <= size + 0.05 * length:
            return None
    return "no tip at an end of the shaft"


def _elbow(m: Member, family: Sequence[Member]) -> str | None:
    curves = _curves(m)
    segs = [c[3] - c[0] for c in curves if np.hypot(*(c[3] - c[0])) > 1e-9]
    if not curves.size or not all(_straight(c) for c in curves) or len(segs) < 2:
        return "not two straight segments"
    u, v = segs[0], segs[-1]
    cos = abs(float(u @ v / (np.hypot(*u) * np.hypot(*v))))
    return None if cos < np.sin(np.radians(_ANGLE_TOL_DEG)) else "segments are not perpendicular"


def _ticks_on(axis: Member, family: Sequence[Member]) -> tuple[bool, int]:
    """(the axis line is straight, the number of ticks across it)."""
    if len(axis.points) < 2 or not _collinear(axis.points):
        return False, 0
    a, b = axis.points[0, :2], axis.points[-1, :2]
    length = float(np.hypot(*(b - a)))
    if length < 1e-9:
        return False, 0
    d = (b - a) / length
    n = 0
    for x in family:
        if x is axis or _is_tip(x) or len(x.points) < 2 or not _collinear(x.points):
            continue
        p, q = x.points[0, :2], x.points[-1, :2]
        t = q - p
        tl = float(np.hypot(*t))
        if 0 < tl < 0.3 * length and abs(float(t @ d)) / tl < np.sin(np.radians(10)):
            mid = (p + q) / 2 - a
            across = abs(float(mid @ np.array([-d[1], d[0]])))
            if across < tl and -tl <= float(mid @ d) <= length + tl:
                n += 1
    return True, n


def _number_line(m: Member, family: Sequence[Member]) -> str | None:
    straight, ticks = _ticks_on(m, family)
    if not straight:
        return "its line is not straight"
    return None if ticks >= 2 else f"{ticks} ticks across the line"


# An axis is at least this share of the whole axes' extent: flat axes (3b1b draws
# them 12 wide and 1.2 high) are axes, a stray tick-sized number line is not one.
AXIS_MIN_SHARE = 0.05


def _axes(m: Member, family: Sequence[Member]) -> str | None:
    size = float(np.ptp(np.concatenate([x.points[:, :2] for x in family if len(x.points)]),
                        axis=0).max()) if any(len(x.points) for x in family) else 0.0
    lines = []
    for x in family:
        if "NumberLine" not in x.mro_names:
            continue
        straight, ticks = _ticks_on(x, family)
        if straight:
            a, b = x.points[0, :2], x.points[-1, :2]
            if np.hypot(*(b - a)) >= AXIS_MIN_SHARE * size:
                lines.append(((b - a) / np.hypot(*(b - a)), ticks))
    grid = _grid_lines(family) if "NumberPlane" in m.mro_names else 0
    for i in range(len(lines)):
        for j in range(i + 1, len(lines)):
            (u, tu), (v, tv) = lines[i], lines[j]
            if abs(float(u @ v)) < np.sin(np.radians(_ANGLE_TOL_DEG)) and tu + tv + grid >= 2:
                return None
    return "no two long perpendicular axes with ticks" + (" or grid" if grid == 0 else "")


def _grid_lines(family: Sequence[Member]) -> int:
    """Straight members outside the number lines: a plane's background grid."""
    return sum(1 for x in family if "NumberLine" not in x.mro_names and len(x.points) >= 2
               and not _is_tip(x) and _collinear(x.points))


def _graph(m: Member, family: Sequence[Member]) -> str | None:
    if len(m.points) < 4:
        return "no curve"
    x = _samples(_curves(m))[:, 0]
    dx = np.diff(x)
    tol = 1e-6 * (float(np.ptp(x)) + 1e-9)
    if (dx >= -tol).all() or (dx <= tol).all():
        return None
    return "x turns back: not a function of x"


def _parametric(m: Member, family: Sequence[Member]) -> str | None:
    """A plotted curve: a function of x, or else (a polar or parametric plot) smooth."""
    if _graph(m, family) is None:
        return None
    for sub in subpaths(m.points):
        c = sub[..., :2]
        out_dir = c[:-1, 3] - c[:-1, 2]
        in_dir = c[1:, 1] - c[1:, 0]
        lengths = np.hypot(*out_dir.T) * np.hypot(*in_dir.T)
        ok = lengths > 1e-12
        cos = (out_dir[ok] * in_dir[ok]).sum(axis=1) / lengths[ok]
        if len(cos) and cos.min() < np.cos(np.radians(30)):
            return "x turns back and the curve has corners: not a plot"
    return None


def _brace(m: Member, family: Sequence[Member]) -> str | None:
    shape = next((x for x in family if "Brace" in x.mro_names and len(x.points) >= 4), None)
    if shape is None:
        return "no brace outline"
    pts = _samples(_curves(shape))
    c = pts.mean(axis=0)
    _, _, vt = np.linalg.svd(pts - c, full_matrices=False)
    u, v = (pts - c) @ vt[0], (pts - c) @ vt[1]
    half = float(np.ptp(u)) / 2
    if half <= 0 or np.ptp(u) < 3 * np.ptp(v):
        return "not long and thin"
    u = u - (u.max() + u.min()) / 2
    flat = (shape.points[:, :2] - c) @ vt.T
    outline = Ink(((np.column_stack([flat, np.zeros(len(flat))]), True),))
    grid = raster(outline, (float(flat[:, 0].min()), float(flat[:, 1].min()),
                            float(flat[:, 0].max()), float(flat[:, 1].max())), (128, 32), 0)
    for col in (32, 96):  # the arms, halfway to each end, are thin
        rows = np.flatnonzero(grid[:, col])
        if len(rows) == 0 or np.ptp(rows) + 1 > 0.45 * grid.shape[0]:
            return "its arms are not thin"
    top, bottom = abs(u[np.argmax(v)]), abs(u[np.argmin(v)])
    tip, ends = min(top, bottom), max(top, bottom)
    if tip > 0.1 * half or ends < 0.8 * half:
        return "no tip in the middle"
    return None


def _drawn(m: Member, family: Sequence[Member]) -> str | None:
    return None if any(len(x.points) for x in family) else "no outline"


_SIGNATURES: dict[str, Check] = {
    **dict.fromkeys(("Circle", "Dot", "Ellipse", "Arc", "ArcBetweenPoints"), _conic),
    "Annulus": _annulus,
    **dict.fromkeys(("Sector", "AnnularSector", "Angle", "ArcPolygon"), _round_parts),
    **dict.fromkeys(("Rectangle", "BackgroundRectangle"), _polygon(4, 4, right=True)),
    "Square": _polygon(4, 4, right=True, equal=True),
    **dict.fromkeys(("RoundedRectangle", "SurroundingRectangle"), _rounded_rectangle),
    "Triangle": _polygon(3, 3),
    "Polygon": _polygon(3),
    "Polygram": _polygram(3),
    "RegularPolygon": _polygon(3, regular=True),
    "RegularPolygram": _polygram(3, regular=True),
    "Star": _polygon(6),
    **dict.fromkeys(("Line", "DashedLine", "TangentLine", "Underline"), _line),
    **dict.fromkeys(("Arrow", "Vector", "DoubleArrow", "CurvedArrow", "CurvedDoubleArrow",
                     "LabeledArrow"), _arrow),
    **dict.fromkeys(("Elbow", "RightAngle"), _elbow),
    **dict.fromkeys(("NumberLine", "UnitInterval"), _number_line),
    **dict.fromkeys(("Axes", "NumberPlane", "ThreeDAxes", "ComplexPlane", "CoordinateSystem",
                     "BarChart"), _axes),
    "FunctionGraph": _graph,
    "ParametricFunction": _parametric,
    **dict.fromkeys(("Brace", "BraceBetweenPoints", "BraceLabel", "BraceText"), _brace),
}
# Drawn as one outline (plus tips and labels): anything else painted below one is extra.
SINGLE_OUTLINE = frozenset({"Circle", "Dot", "Ellipse", "Arc", "ArcBetweenPoints", "Annulus",
                            "Sector", "AnnularSector", "Rectangle", "BackgroundRectangle",
                            "Square", "RoundedRectangle", "SurroundingRectangle", "Triangle",
                            "Polygon", "Polygram", "RegularPolygon", "RegularPolygram", "Star",
                            "Line", "TangentLine", "Underline", "Elbow", "RightAngle"})
# Accepted as drawn: nothing in their outline is distinctive enough to check.
_UNCHECKED = frozenset({"CubicBezier", "Cross", "DashedVMobject", "Cutout", "PolarPlane",
                        "ImplicitFunction", "ArcBrace"})
KIND_CLASSES = frozenset(_SIGNATURES) | _UNCHECKED


def check_kind(claimed: str | None, root: Member, family: Sequence[Member]) -> str | None:
    """``None`` when the drawn geometry fits the claimed class, else the reason it does not."""
    if claimed is None or claimed in _UNCHECKED:
        return _drawn(root, family)
    check = _SIGNATURES.get(claimed)
    if check is None:
        return f"no signature for {claimed}"
    try:
        return check(root, family)
    except (ArithmeticError, ValueError, IndexError, np.linalg.LinAlgError) as exc:
        return f"degenerate geometry ({type(exc).__name__})"
