"""A scene builder that writes Manim CE code and predicts its geometry at once.

Every placement call (``move_to``, ``next_to``, ``to_edge``, ``to_corner``,
``shift``, ``arrange``) appends one idiomatic line of code and applies the same
operation to boxes, following manim's own definitions (``Mobject.next_to``,
``align_on_border``, ``arrange``).  Manim places by the box of a mobject's
*anchor* points while the harness measures the box of *all* its points
(Bézier control points included), so every object carries both boxes; they
move together.  The sizes come from ``SizeTable`` (measured by rendering), so
the predicted layout equals the rendered one to float precision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from benchmark.compose import arrow_sides, create_expr, py_names
from benchmark.core.frame import FRAME_HALF_HEIGHT, FRAME_HALF_WIDTH
from benchmark.core.tasks import Box, Layout, ObjectSpec, PlacedObject
from benchmark.suites.synthetic._sizes import (
    SizeTable,
    arrow_key,
    brace_key,
    graph_key,
    object_key,
)

__all__ = ["DIRS", "FRAME_X", "FRAME_Y", "Geom", "GeometryError", "Point", "SceneBuilder",
           "vec_code"]

FRAME_X = FRAME_HALF_WIDTH  # manim's config.frame_x_radius at 16:9
FRAME_Y = FRAME_HALF_HEIGHT
EDGE_BUFF = 0.5  # DEFAULT_MOBJECT_TO_EDGE_BUFFER
NEXT_BUFF = 0.25  # DEFAULT_MOBJECT_TO_MOBJECT_BUFFER

DIRS: dict[str, tuple[int, int]] = {
    "ORIGIN": (0, 0), "UP": (0, 1), "DOWN": (0, -1), "LEFT": (-1, 0), "RIGHT": (1, 0),
    "UL": (-1, 1), "UR": (1, 1), "DL": (-1, -1), "DR": (1, -1)}

_ANIMATION = {"tex": "Write", "text": "Write", "matrix": "Write", "axes": "Create",
              "graph": "Create", "number_line": "Create", "shape": "Create",
              "arrow": "GrowArrow", "brace": "GrowFromCenter"}


class GeometryError(ValueError):
    """A scene plan that manim would not run the way it was written."""


@dataclass(frozen=True)
class Geom:
    """An object's anchor box (what manim places by) and point box (what is measured)."""

    a: Box
    p: Box

    def shifted(self, dx: float, dy: float) -> Geom:
        return Geom(self.a.translated(dx, dy), self.p.translated(dx, dy))

    def critical(self, direction: str) -> tuple[float, float]:
        """``get_critical_point``: min, centre or max of the anchor box per axis."""
        ux, uy = DIRS[direction]
        a = self.a
        x = a.xmin if ux < 0 else a.xmax if ux > 0 else (a.xmin + a.xmax) / 2
        y = a.ymin if uy < 0 else a.ymax if uy > 0 else (a.ymin + a.ymax) / 2
        return x, y


@dataclass(frozen=True)
class Point:
    """A point given as code (``LEFT * 2``, ``tri.get_top()``) and its value."""

    code: str
    x: float
    y: float


def _fmt(v: float) -> str:
    r = round(v, 4)
    return str(int(r)) if r == int(r) else repr(r)


def vec_code(dx: float, dy: float) -> str:
    """``LEFT * 2 + UP * 1.5`` style code for a displacement."""
    parts = []
    if abs(dx) > 1e-12:
        parts.append(("RIGHT" if dx > 0 else "LEFT") + ("" if abs(dx) == 1 else
                                                         f" * {_fmt(abs(dx))}"))
    if abs(dy) > 1e-12:
        parts.append(("UP" if dy > 0 else "DOWN") + ("" if abs(dy) == 1 else
                                                     f" * {_fmt(abs(dy))}"))
    return " + ".join(parts) or "ORIGIN"


def _union(boxes: Sequence[Box]) -> Box:
    return Box(min(b.xmin for b in boxes), min(b.ymin for b in boxes),
               max(b.xmax for b in boxes), max(b.ymax for b in boxes))


Target = str  # an object id or a group name
Ref = str | Point


class SceneBuilder:
    """Builds one scene: code lines plus the geometry those lines produce."""

    def __init__(self, objects: Sequence[ObjectSpec], sizes: SizeTable) -> None:
        self.specs = {o.id: o for o in objects}
        self.order = [o.id for o in objects]
        self.names = py_names(list(objects))
        self.sizes = sizes
        self.geoms: dict[str, Geom] = {}
        self.groups: dict[str, list[str]] = {}
        self.lines: list[str] = []
        self.played: list[str] = []
        self.calls = 0  # play/wait calls, each one a keyframe

    # --- lookups -------------------------------------------------------------------------

    def spec(self, oid: str) -> ObjectSpec:
        return self.specs[oid]

    def place(self, oid: str) -> dict:
        """The object's prompt-stated placement facts (``params["place"]``)."""
        return dict(self.specs[oid].params.get("place") or {})

    def _name(self, target: Target) -> str:
        return target if target in self.groups else self.names[target]

    def _members(self, target: Target) -> list[str]:
        return self.groups[target] if target in self.groups else [target]

    def geom(self, target: Target) -> Geom:
        members = self._members(target)
        for m in members:
            if m not in self.geoms:
                raise GeometryError(f"{m}: placed before it was created")
        if len(members) == 1:
            return self.geoms[members[0]]
        return Geom(_union([self.geoms[m].a for m in members]),
                    _union([self.geoms[m].p for m in members]))

    def box(self, oid: str) -> Box:
        return self.geoms[oid].p

    def _shift(self, target: Target, dx: float, dy: float) -> None:
        for m in self._members(target):
            self.geoms[m] = self.geoms[m].shifted(dx, dy)

    def _point(self, ref: Ref, direction: str = "ORIGIN") -> tuple[str, tuple[float, float]]:
        if isinstance(ref, Point):
            return ref.code, (ref.x, ref.y)
        return self._name(ref), self.geom(ref).critical(direction)

    # --- points --------------------------------------------------------------------------

    def at(self, dx: float, dy: float) -> Point:
        return Point(vec_code(dx, dy), dx, dy)

    def corner_of(self, oid: str, direction: str) -> Point:
        x, y = self.geom(oid).critical(direction)
        method = {"UP": "get_top()", "DOWN": "get_bottom()", "LEFT": "get_left()",
                  "RIGHT": "get_right()", "ORIGIN": "get_center()"}.get(
            direction, f"get_corner({direction})")
        return Point(f"{self._name(oid)}.{method}", x, y)

    def n2p(self, line_id: str, value: float) -> Point:
        """A number's point on a number line (``line.n2p(value)``)."""
        spec = self.specs[line_id]
        (x0, y0), (x1, y1) = self.sizes.n2p(spec)
        lo, hi = (float(v) for v in spec.params["x_range"][:2])
        t = (value - lo) / (hi - lo)
        cx, cy = self.geom(line_id).a.center
        return Point(f"{self._name(line_id)}.n2p({_fmt(value)})",
                     cx + x0 + t * (x1 - x0), cy + y0 + t * (y1 - y0))

    # --- creation ------------------------------------------------------------------------

    def create(self, oid: str) -> None:
        """``name = Constructor(...)``; geometry as measured at construction."""
        spec = self.specs[oid]
        a, p = self.sizes.geometry(object_key(spec))
        self.geoms[oid] = Geom(a, p)
        self.lines.append(f"{self.names[oid]} = {create_expr(spec, self.names)}")

    def create_dependent(self, oid: str) -> None:
        """A graph, brace or arrow: its geometry follows the object it is built from."""
        spec = self.specs[oid]
        p = spec.params
        sides = ("right", "left")
        if spec.kind == "graph":
            parent = self.geom(str(p["axes"]))
            a, pts = self.sizes.geometry(graph_key(self.specs[str(p["axes"])], spec))
            ox, oy = parent.a.center
        elif spec.kind == "brace":
            parent = self.geom(str(p["target"]))
            a, pts = self.sizes.geometry(brace_key(self.specs[str(p["target"])], spec))
            ox, oy = parent.a.center
        elif spec.kind == "arrow":
            ga, gb = self.geom(str(p["from"])), self.geom(str(p["to"]))
            sx, sy, ex, ey, sides = _arrow_ends(ga, gb)
            a, pts = self.sizes.geometry(arrow_key(ex - sx, ey - sy, float(p.get("buff", 0.1))))
            ox, oy = sx, sy
        else:
            raise GeometryError(f"{oid}: kind {spec.kind!r} is not a dependent kind")
        self.geoms[oid] = Geom(a, pts).shifted(ox, oy)
        self.lines.append(f"{self.names[oid]} = {create_expr(spec, self.names, sides)}")

    def group(self, name: str, ids: Sequence[str]) -> str:
        """``name = VGroup(...)`` (placement of several objects at once)."""
        if name in self.names.values() or name in self.groups:
            raise GeometryError(f"group name {name!r} is taken")
        self.groups[name] = list(ids)
        self.lines.append(f"{name} = VGroup({', '.join(self.names[i] for i in ids)})")
        return name

    # --- placement -----------------------------------------------------------------------

    def move_to(self, target: Target, ref: Ref) -> None:
        code, (tx, ty) = self._point(ref)
        cx, cy = self.geom(target).critical("ORIGIN")
        self._shift(target, tx - cx, ty - cy)
        self.lines.append(f"{self._name(target)}.move_to({code})")

    def shift(self, target: Target, dx: float, dy: float) -> None:
        self._shift(target, dx, dy)
        self.lines.append(f"{self._name(target)}.shift({vec_code(dx, dy)})")

    def next_to(self, target: Target, ref: Ref, direction: str, buff: float = NEXT_BUFF,
                aligned_edge: str = "ORIGIN") -> None:
        self._next_to(target, ref, direction, buff, aligned_edge)
        args = [self._point(ref)[0], direction]
        if aligned_edge != "ORIGIN":
            args.append(f"aligned_edge={aligned_edge}")
        if buff != NEXT_BUFF:
            args.append(f"buff={_fmt(buff)}")
        self.lines.append(f"{self._name(target)}.next_to({', '.join(args)})")

    def _next_to(self, target: Target, ref: Ref, direction: str, buff: float,
                 aligned_edge: str) -> None:
        ux, uy = DIRS[direction]
        ex, ey = DIRS[aligned_edge]
        tdir = _dir_name(ex + ux, ey + uy)
        if isinstance(ref, Point):
            tx, ty = ref.x, ref.y
        else:
            tx, ty = self.geom(ref).critical(tdir)
        px, py = self.geom(target).critical(_dir_name(ex - ux, ey - uy))
        self._shift(target, tx - px + buff * ux, ty - py + buff * uy)

    def _border(self, target: Target, direction: str, buff: float, method: str) -> None:
        ux, uy = DIRS[direction]
        px, py = self.geom(target).critical(direction)
        dx = (ux * FRAME_X - px - buff * ux) if ux else 0.0
        dy = (uy * FRAME_Y - py - buff * uy) if uy else 0.0
        self._shift(target, dx, dy)
        extra = "" if buff == EDGE_BUFF else f", buff={_fmt(buff)}"
        self.lines.append(f"{self._name(target)}.{method}({direction}{extra})")

    def to_edge(self, target: Target, edge: str, buff: float = EDGE_BUFF) -> None:
        self._border(target, edge, buff, "to_edge")

    def to_corner(self, target: Target, corner: str, buff: float = EDGE_BUFF) -> None:
        self._border(target, corner, buff, "to_corner")

    def arrange(self, name: str, ids: Sequence[str], direction: str, buff: float,
                aligned_edge: str = "ORIGIN") -> str:
        """``name = VGroup(...).arrange(...)``: chained ``next_to``, then centred."""
        self.groups[name] = list(ids)
        for prev, cur in pairwise(ids):
            self._next_to(cur, prev, direction, buff, aligned_edge)
        cx, cy = self.geom(name).critical("ORIGIN")
        self._shift(name, -cx, -cy)
        args = [direction]
        if aligned_edge != "ORIGIN":
            args.append(f"aligned_edge={aligned_edge}")
        args.append(f"buff={_fmt(buff)}")
        members = ", ".join(self.names[i] for i in ids)
        self.lines.append(f"{name} = VGroup({members}).arrange({', '.join(args)})")
        return name

    def given(self, oid: str) -> None:
        """Put a context object exactly on its ``given`` box (its centre, by code)."""
        spec = self.specs[oid]
        if spec.given is None:
            raise GeometryError(f"{oid}: has no given box")
        g = self.geom(oid)
        # move_to works on the anchor box; the given box is the measured point box.
        ax, ay = g.a.center
        px, py = g.p.center
        gx, gy = spec.given.center
        tx, ty = round(gx + ax - px, 4), round(gy + ay - py, 4)
        self._shift(oid, tx - ax, ty - ay)
        self.lines.append(f"{self.names[oid]}.move_to([{_fmt(tx)}, {_fmt(ty)}, 0])")

    # --- animation and output ------------------------------------------------------------

    def play(self, *targets: Target) -> None:
        """One ``self.play`` introducing the targets (in the task's object order)."""
        anims = []
        for t in targets:
            members = self._members(t)
            anims.append(f"{_ANIMATION[self.specs[members[0]].kind]}({self._name(t)})")
            self.played.extend(members)
        self.lines.append(f"self.play({', '.join(anims)})")
        self.calls += 1

    def wait(self) -> None:
        self.lines.append("self.wait()")
        self.calls += 1

    @property
    def keyframes(self) -> int:
        """One snapshot per play/wait call plus the final state."""
        return self.calls + 1

    def layout(self) -> Layout:
        missing = [i for i in self.order if i not in self.geoms]
        if missing:
            raise GeometryError(f"{missing[0]}: never created")
        return [PlacedObject(i, self.specs[i].kind, self.specs[i].content,
                             self.geoms[i].p.rounded(4)) for i in self.order]

    def code(self, class_name: str) -> str:
        if self.played != self.order:
            raise GeometryError(f"play order {self.played} differs from the object order "
                                f"{self.order}")
        body = "\n".join("        " + line for line in self.lines)
        return (f"from manim import *\n\n\nclass {class_name}(Scene):\n"
                f"    def construct(self):\n{body}\n")


def _dir_name(x: int, y: int) -> str:
    sx = (x > 0) - (x < 0)
    sy = (y > 0) - (y < 0)
    for name, v in DIRS.items():
        if v == (sx, sy):
            return name
    raise AssertionError((x, y))


def _arrow_ends(a: Geom, b: Geom) -> tuple[float, float, float, float, tuple[str, str]]:
    """Start and end points of ``Arrow(A.get_<side>(), B.get_<side>())`` (compose's sides)."""
    sides = arrow_sides(a.a, b.a)
    pick = {"right": "RIGHT", "left": "LEFT", "top": "UP", "bottom": "DOWN"}
    sx, sy = a.critical(pick[sides[0]])
    ex, ey = b.critical(pick[sides[1]])
    return sx, sy, ex, ey, sides
