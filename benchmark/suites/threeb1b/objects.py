"""Meaningful objects of a ManimGL snapshot (trusted side).

The snapshot's members carry ManimGL class names; this module maps them onto
the benchmark's object kinds, descends through containers, collapses a
container of many small non-text parts (a bar chart, a pixel grid) into one
object, and drops what nobody would call an object: invisible, tiny, wholly
off-frame, or a full-frame backdrop.  A snapshot with 3D content is refused.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from benchmark.core.frame import FRAME_HEIGHT, FRAME_WIDTH
from benchmark.measure.objects import SemanticObject
from benchmark.measure.objects import family_members as _family
from benchmark.sandbox.runtime import wire
from benchmark.snapshot import Member, Snapshot

__all__ = ["GLObject", "gl_objects", "scene_header"]

# First match in a member's MRO wins (class names of ManimGL 1.7).
_KIND: dict[str, str] = {
    **dict.fromkeys(("TexText", "OldTexText", "Title", "BulletedList", "Text", "MarkupText",
                     "Code", "TexTextFromPresetString"), "text"),
    **dict.fromkeys(("Brace", "BraceLabel", "BraceText"), "brace"),
    **dict.fromkeys(("Tex", "OldTex", "SingleStringTex", "MTex", "DecimalNumber", "Integer",
                     "StringMobject"), "tex"),
    **dict.fromkeys(("Axes", "NumberPlane", "ComplexPlane", "CoordinateSystem"), "axes"),
    **dict.fromkeys(("NumberLine", "UnitInterval"), "number_line"),
    **dict.fromkeys(("ParametricCurve", "FunctionGraph", "ImplicitFunction"), "graph"),
    **dict.fromkeys(("Matrix", "DecimalMatrix", "IntegerMatrix", "MobjectMatrix"), "matrix"),
    **dict.fromkeys(("Arrow", "Vector", "DoubleArrow", "FillArrow", "StrokeArrow",
                     "CurvedArrow", "CurvedDoubleArrow"), "arrow"),
    **dict.fromkeys(("ImageMobject",), "image"),
    **dict.fromkeys(("PiCreature", "SVGMobject", "DotCloud", "PMobject"), "other"),
    **dict.fromkeys(("Dot", "SmallDot", "Circle", "Ellipse", "Annulus", "Sector", "Arc",
                     "AnnularSector", "Square", "Rectangle", "RoundedRectangle", "Polygon",
                     "RegularPolygon", "Triangle", "Star", "Line", "DashedLine", "TangentLine",
                     "Elbow", "Cross", "SurroundingRectangle", "BackgroundRectangle",
                     "Underline", "ScreenRectangle", "CubicBezier", "Polyline",
                     "ArcBetweenPoints", "DashedVMobject"), "shape"),
}
_CONTAINERS = frozenset({"VGroup", "Group", "VDict"})
_BASES = frozenset({"VMobject", "Mobject"})
_IGNORE = frozenset({"CameraFrame", "VectorizedPoint", "Point", "ValueTracker",
                     "ExponentialValueTracker", "ComplexValueTracker", "FullScreenRectangle",
                     "FullScreenFadeRectangle"})
THREE_D = frozenset({"Surface", "SGroup", "ThreeDAxes", "Sphere", "Cube", "Prism", "Torus",
                     "Cylinder", "Cone", "SurfaceMesh", "TexturedSurface", "ParametricSurface",
                     "VCube", "VPrism", "Dodecahedron", "Line3D", "Disk3D", "Square3D"})
# Class name → the shared vocabulary's shape name (benchmark.compose.SHAPES).
_SHAPE_NAME = {
    "SmallDot": "Dot", "DotCloud": "Dot", "Arc": "Circle", "ArcBetweenPoints": "Circle",
    "Annulus": "Circle", "Sector": "Circle", "AnnularSector": "Circle",
    "SurroundingRectangle": "Rectangle", "BackgroundRectangle": "Rectangle",
    "ScreenRectangle": "Rectangle", "Polygon": "RegularPolygon", "Polyline": "Line",
    "DashedLine": "Line", "TangentLine": "Line", "Underline": "Line", "Elbow": "Line",
    "CubicBezier": "Line", "Cross": "Line", "DashedVMobject": "Line",
}
# Shapes drawn as one straight segment: their ends give the direction the box cannot.
STRAIGHT_LINES = frozenset({"Line", "DashedLine", "TangentLine", "Underline"})
# A round or square shape drawn stretched (its box this far from square, as a log ratio)
# is stated as what it then is: an ellipse, a rectangle.
STRETCHED = 0.05
_STRETCHED_NAME = {"Circle": "Ellipse", "Square": "Rectangle"}
COLLAPSE_AT = 8  # a container with more small non-text parts than this is one object
MIN_SIZE = 0.05  # scene units; smaller in both directions is not an object
MIN_ALPHA = 0.05
HALF_W, HALF_H = FRAME_WIDTH / 2, FRAME_HEIGHT / 2


@dataclass
class GLObject:
    """One meaningful object: kind, content, box in (normalised) scene units."""

    kind: str
    cls: str
    content: str
    box: tuple[float, float, float, float]
    members: list[int]
    root: int
    params: dict[str, object] = field(default_factory=dict)

    def semantic(self) -> SemanticObject:
        return SemanticObject(kind=self.kind, cls=self.cls, content=self.content,
                              box=self.box, members=self.members, root=self.root)


def scene_header(payload: bytes) -> dict[str, object]:
    """The ``scene`` record of a snapshot payload (wait index, camera frame)."""
    _, hlen = wire.SNAPSHOT_HEAD.unpack_from(payload)
    start = wire.SNAPSHOT_HEAD.size
    head = json.loads(bytes(payload[start:start + hlen]))
    scene = head.get("scene") if isinstance(head, dict) else None
    return scene if isinstance(scene, dict) else {}


def _kind(m: Member) -> str | None:
    for name in m.mro_names:
        if name in _IGNORE:
            return "ignore"
        if name in _KIND:
            return _KIND[name]
        if name in _CONTAINERS:
            return "container"
        if name in _BASES:
            return None
    return None


def _visible_style(m: Member) -> bool:
    if m.draw != wire.DRAW_VECTOR:
        return m.draw in (wire.DRAW_IMAGE, wire.DRAW_POINTS) or len(m.points) > 0
    fill = m.fill is not None and len(m.fill) and float(m.fill[:, 3].max()) > MIN_ALPHA
    stroke = (m.stroke is not None and len(m.stroke) and m.stroke_width > 0
              and float(m.stroke[:, 3].max()) > MIN_ALPHA)
    return bool(fill or stroke)


def _strings(snap: Snapshot, family: list[int]) -> list[str]:
    out = []
    for i in family:
        m = snap.members[i]
        s = m.tex if m.tex is not None else m.text
        if s and not (m.parent >= 0 and (snap.members[m.parent].tex
                                         or snap.members[m.parent].text) == s):
            out.append(s.strip())
    return [s for s in out if s]


def _content(snap: Snapshot, kind: str, root: Member, family: list[int]) -> str:
    if kind == "brace":
        if root.cls == "Brace":
            return ""  # a bare brace: its TeX is ManimGL's drawing device, not content
        return " ".join(s for s in _strings(snap, family[1:])
                        if not s.startswith("\\underbrace"))[:2000]
    if root.tex is not None or root.text is not None:
        return (root.tex if root.tex is not None else root.text or "").strip()
    if root.number is not None:
        return f"{root.number:g}"
    if kind in ("text", "tex", "brace", "matrix"):
        return " ".join(_strings(snap, family[1:]))[:2000]
    if kind == "shape":
        for name in root.mro_names:
            if name in _KIND or name in _SHAPE_NAME:
                return _SHAPE_NAME.get(name, name)
        return "VMobject"
    if kind == "other":
        for name in root.mro_names:
            if name in ("PiCreature", "SVGMobject", "DotCloud"):
                return name
        return root.cls
    return ""


def _box(snap: Snapshot, family: list[int]) -> tuple[float, float, float, float] | None:
    pts = [snap.members[i].points for i in family
           if len(snap.members[i].points) and _visible_style(snap.members[i])]
    if not pts:
        return None
    allp = np.concatenate(pts)
    return (float(allp[:, 0].min()), float(allp[:, 1].min()),
            float(allp[:, 0].max()), float(allp[:, 1].max()))


def _arrow_ends(snap: Snapshot, family: list[int]) -> tuple | None:
    """Tail (the first point drawn: ManimGL draws arrows from the tail) and tip
    (the point farthest from it)."""
    pts = [snap.members[i].points for i in family if len(snap.members[i].points)]
    if not pts:
        return None
    allp = np.concatenate(pts)[:, :2]
    tail = allp[0]
    tip = allp[int(np.argmax(((allp - tail) ** 2).sum(axis=1)))]
    return (float(tail[0]), float(tail[1])), (float(tip[0]), float(tip[1]))


def _corner_count(m: Member) -> int | None:
    """How many corners one closed outline of straight edges has (None: not such)."""
    n = len(m.points) // 4 * 4
    if n < 12:
        return None
    curves = m.points[:n].reshape(-1, 4, 3)[..., :2]
    dirs = [c[3] - c[0] for c in curves if np.hypot(*(c[3] - c[0])) > 1e-9]
    if len(dirs) < 3 or np.abs(curves[0, 0] - curves[-1, 3]).max() > 1e-6:
        return None
    cos = [float(d @ e / (np.hypot(*d) * np.hypot(*e))) for d, e in zip(dirs, dirs[-1:] + dirs[:-1],
                                                                       strict=True)]
    count = sum(c < np.cos(np.radians(4.0)) for c in cos)
    return int(count) if count >= 3 else None


def is_three_d(snap: Snapshot) -> bool:
    return any(n in THREE_D for m in snap.members for n in m.mro_names)


def gl_objects(snap: Snapshot) -> list[GLObject]:
    """Meaningful objects in scene order (before the visibility check by drawing).

    Containers are classified by what they hold: tex parts that touch one
    another are one formula; more than ``COLLAPSE_AT`` non-text parts are one
    group object; anything else is descended into.
    """
    kids = snap.children()

    def leaf(i: int, kind: str) -> list[GLObject]:
        family = _family(i, kids)
        box = _box(snap, family)
        if box is None:
            return []
        m = snap.members[i]
        content = _content(snap, kind, m, family)
        if kind == "shape" and content in _STRETCHED_NAME and _stretched(box):
            content = _STRETCHED_NAME[content]
        obj = GLObject(kind, m.cls, content, box, family, i)
        if kind == "arrow" or (kind == "shape" and m.cls in STRAIGHT_LINES):
            ends = _arrow_ends(snap, family)  # a straight line's ends as an arrow's
            if ends is not None:
                obj.params["ends"] = ends
        if kind == "shape" and obj.content == "RegularPolygon":
            corners = _corner_count(m)
            if corners is not None:
                obj.params["n"] = corners
        if kind == "number_line":
            numbers = sorted({float(snap.members[j].number) for j in family[1:]
                              if snap.members[j].number is not None})
            if numbers:
                obj.params["numbers"] = numbers
        return [obj]

    def walk(i: int) -> list[GLObject]:
        m = snap.members[i]
        kind = _kind(m)
        if kind == "ignore":
            return []
        if kind == "container" or (kind is None and len(m.points) == 0):
            objs = [o for k in kids[i] for o in walk(k)]
            return _classify_group(snap, i, objs, kids)
        if kind is None:
            kind = "shape" if m.cls in _BASES or "VMobject" in m.mro_names else "other"
        return leaf(i, kind)

    return [o for r in snap.roots() for o in walk(r) if _keep(o)]


def _stretched(box: tuple[float, float, float, float]) -> bool:
    w, h = box[2] - box[0], box[3] - box[1]
    return min(w, h) > 0 and abs(float(np.log(w / h))) > STRETCHED


def _rows(objs: list[GLObject]) -> list[list[GLObject]]:
    """Parts in reading order: rows (parts whose vertical extents overlap), top first,
    each left to right."""
    rows: list[list[GLObject]] = []
    for o in sorted(objs, key=lambda o: -(o.box[1] + o.box[3])):
        row = rows[-1] if rows else None
        if row is not None and (o.box[1] + o.box[3]) / 2 > min(p.box[1] for p in row):
            row.append(o)
        else:
            rows.append([o])
    return [sorted(r, key=lambda o: o.box[0]) for r in rows]


def _union(objs: list[GLObject]) -> tuple[float, float, float, float]:
    b = np.array([o.box for o in objs])
    return (float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()),
            float(b[:, 3].max()))


def _touching(objs: list[GLObject], pad: float = 0.3) -> bool:
    """Whether the boxes, each grown by ``pad``, form one connected cluster."""
    n = len(objs)
    seen, stack = {0}, [0]
    while stack:
        a = objs[stack.pop()].box
        for j in range(n):
            b = objs[j].box
            if j not in seen and a[0] - pad <= b[2] and b[0] - pad <= a[2] and \
                    a[1] - pad <= b[3] and b[1] - pad <= a[3]:
                seen.add(j)
                stack.append(j)
    return len(seen) == n


def _classify_group(snap: Snapshot, i: int, objs: list[GLObject],
                    kids: list[list[int]]) -> list[GLObject]:
    if len(objs) < 2:
        return objs
    family = _family(i, kids)
    if all(o.kind == "tex" for o in objs) and _touching(objs):
        # One line of LaTeX per row of parts: a grid of numbers stays a grid.
        content = " \\\\ ".join(" ".join(o.content for o in row) for row in _rows(objs))
        return [GLObject("tex", snap.members[i].cls, content[:2000], _union(objs), family, i)]
    if len(objs) > COLLAPSE_AT and all(o.kind in ("shape", "other", "image") for o in objs):
        cls, _ = Counter(o.content for o in objs).most_common(1)[0]
        return [GLObject("other", snap.members[i].cls, f"group of {len(objs)} {cls}",
                         _union(objs), family, i)]
    return objs


def _keep(o: GLObject) -> bool:
    x0, y0, x1, y1 = o.box
    if x1 - x0 < MIN_SIZE and y1 - y0 < MIN_SIZE:
        return False
    if x1 < -HALF_W or x0 > HALF_W or y1 < -HALF_H or y0 > HALF_H:
        return False  # wholly off-frame
    if o.kind in ("shape", "other", "image"):
        covered = (min(x1, HALF_W) - max(x0, -HALF_W)) * (min(y1, HALF_H) - max(y0, -HALF_H))
        if covered > 0.9 * FRAME_WIDTH * FRAME_HEIGHT:
            return False  # a backdrop
    return not (o.kind in ("tex", "text") and not o.content)
