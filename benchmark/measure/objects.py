"""Semantic objects: what a person would call "one thing" in the scene.

Descend through plain containers (``VGroup``, ``Group``, ``VDict`` and
subclasses of them that are not themselves a known kind); stop at the first
class in a mobject's MRO that names a kind.  A ``MathTex`` is one object, an
``Axes`` is one object, the graph plotted on it is another.  The box of an
object is the extent of every *painted* point in its family (control points
included, as manim's own ``get_left``/``get_top`` geometry computes it);
points that carry no paint are left out, since nothing shows them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from benchmark.measure.ink import painted
from benchmark.snapshot import Member, Snapshot

__all__ = ["KINDS", "SemanticObject", "claimed_class", "classify", "family_members",
           "semantic_objects"]

KINDS = ("tex", "text", "axes", "graph", "shape", "arrow", "matrix", "brace",
         "number_line", "image", "other")

CONTAINER = "container"

# First match in the MRO wins, so subclasses inherit their base's kind.
_KIND_BY_CLASS: dict[str, str] = {
    **dict.fromkeys(("MathTex", "Tex", "SingleStringMathTex", "BulletedList", "Title",
                     "DecimalNumber", "Integer", "Variable", "MathTable"), "tex"),
    **dict.fromkeys(("Text", "MarkupText", "Paragraph", "Code"), "text"),
    **dict.fromkeys(("Axes", "NumberPlane", "ThreeDAxes", "PolarPlane", "ComplexPlane",
                     "CoordinateSystem", "BarChart"), "axes"),
    **dict.fromkeys(("NumberLine", "UnitInterval"), "number_line"),
    **dict.fromkeys(("ParametricFunction", "FunctionGraph", "ImplicitFunction"), "graph"),
    **dict.fromkeys(("Matrix", "IntegerMatrix", "DecimalMatrix", "MobjectMatrix", "Table",
                     "IntegerTable", "DecimalTable", "MobjectTable"), "matrix"),
    **dict.fromkeys(("Brace", "BraceBetweenPoints", "BraceLabel", "BraceText", "ArcBrace"),
                    "brace"),
    **dict.fromkeys(("Arrow", "Vector", "DoubleArrow", "CurvedArrow", "CurvedDoubleArrow",
                     "LabeledArrow"), "arrow"),
    **dict.fromkeys(("AbstractImageMobject", "ImageMobject"), "image"),
    **dict.fromkeys(("Arc", "Circle", "Dot", "Ellipse", "Annulus", "Sector", "AnnularSector",
                     "Polygram", "Polygon", "Triangle", "Square", "Rectangle",
                     "RoundedRectangle", "RegularPolygon", "RegularPolygram", "Star", "Line",
                     "DashedLine", "TangentLine", "Elbow", "Angle", "RightAngle",
                     "CubicBezier", "ArcPolygon", "Cross", "DashedVMobject", "Cutout",
                     "SurroundingRectangle", "BackgroundRectangle", "Underline"), "shape"),
    **dict.fromkeys(("SVGMobject", "GenericGraph", "VectorField", "Surface",
                     "ThreeDVMobject", "TracedPath", "PMobject"), "other"),
}
_CONTAINERS = frozenset({"VGroup", "Group", "VDict"})
_BASES = frozenset({"VMobject", "Mobject", "OpenGLVMobject", "OpenGLMobject"})


def claimed_class(member: Member) -> str | None:
    """The class name in ``member``'s MRO that decides its kind: the claim to verify."""
    for name in member.mro_names:
        if name in _KIND_BY_CLASS:
            return name
        if name in _CONTAINERS or name in _BASES:
            return None
    return None


def classify(member: Member) -> str | None:
    """The kind of a member, ``"container"``, or ``None`` for an unknown base."""
    for name in member.mro_names:
        if name in _KIND_BY_CLASS:
            return _KIND_BY_CLASS[name]
        if name in _CONTAINERS:
            return CONTAINER
        if name in _BASES:
            return None
    return None


@dataclass
class SemanticObject:
    """One measured object: its kind, content, box in scene units, and members."""

    kind: str
    cls: str
    content: str
    box: tuple[float, float, float, float]  # xmin, ymin, xmax, ymax
    members: list[int]  # member indices of its family (pre-order)
    root: int
    visible_px: int = 0
    visible: bool = False
    verified: bool = False  # its kind and content are proven by what it drew
    reason: str = ""  # why (or why not), in a few words
    extra: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"kind": self.kind, "class": self.cls, "content": self.content,
                "box": [round(v, 6) for v in self.box], "visible": self.visible,
                "visible_px": self.visible_px, "verified": self.verified,
                "reason": self.reason}


def _draws(m: Member) -> bool:
    """Whether the camera paints anything of this member."""
    if m.draw == "V":
        return painted(m) is not None
    if m.draw == "I":
        return m.pixels is not None and len(m.points) >= 3
    if m.draw == "P":
        return m.rgbas is not None and len(m.rgbas) > 0 and float(m.rgbas[:, 3].max()) > 0
    return False


def family_members(index: int, kids: list[list[int]]) -> list[int]:
    out, stack = [], [index]
    while stack:
        i = stack.pop()
        out.append(i)
        stack.extend(reversed(kids[i]))
    return out


def _content(snap: Snapshot, kind: str, root: Member, family: list[int]) -> str:
    if root.tex is not None:
        return root.tex
    if root.text is not None:
        return root.text
    if root.number is not None:
        return f"{root.number:g}"
    if kind in ("matrix", "brace"):
        # The outermost string-bearing members only: a MathTex entry's own
        # SingleStringMathTex child repeats its string.
        def label(i: int) -> str:
            m = snap.members[i]
            s = m.tex or m.text or ""
            if s and m.parent >= 0:
                p = snap.members[m.parent]
                if (p.tex or p.text) == s:
                    return ""
            return s

        parts = [label(i) for i in family[1:]]
        parts = [p for p in parts if p and not p.lstrip().startswith(("\\left", "\\right"))]
        if parts:
            return " ".join(parts)[:2000]
    if kind in ("shape", "arrow", "other"):
        return root.cls
    return ""


def semantic_objects(snap: Snapshot) -> list[SemanticObject]:
    """Derive semantic objects, in scene order, from a validated snapshot."""
    kids = snap.children()
    objects: list[SemanticObject] = []

    def emit(index: int, kind: str) -> None:
        family = family_members(index, kids)
        pts = [snap.members[i].points for i in family if len(snap.members[i].points)]
        if not pts:
            return  # nothing with geometry (a ValueTracker, an empty group)
        # The box is what is drawn: points that carry no paint are claims, not geometry.
        drawn = [snap.members[i].points for i in family if _draws(snap.members[i])]
        allp = np.concatenate(drawn or pts)
        box = (float(allp[:, 0].min()), float(allp[:, 1].min()),
               float(allp[:, 0].max()), float(allp[:, 1].max()))
        root = snap.members[index]
        objects.append(SemanticObject(kind=kind, cls=root.cls,
                                      content=_content(snap, kind, root, family), box=box,
                                      members=family, root=index))

    def visit(index: int) -> None:
        member = snap.members[index]
        kind = classify(member)
        if kind == CONTAINER:
            for k in kids[index]:
                visit(k)
            return
        if kind is None:
            # A bare VMobject/Mobject: a group when it only holds children,
            # a shape when it has its own outline.
            if len(member.points) == 0 and kids[index]:
                for k in kids[index]:
                    visit(k)
                return
            own = member.cls in _BASES
            kind = "shape" if own else "other"
        emit(index, kind)

    for r in snap.roots():
        visit(r)
    return objects
