"""What a scene family is: content and stated choices, a fixed style, prompts.

A family draws a *draft* from a seeded RNG (the objects, with the placement
facts the prompt will state in ``params["place"]``), builds the scene with a
``SceneBuilder`` using only those objects (so the reference layout is a
function of the task's inputs and the family's fixed style), and writes the
prompt and relations from the same facts.  ``build`` is what both the
generator and ``rebuild_layout`` run.
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from benchmark.core.tasks import Box, ObjectSpec, Relation
from benchmark.suites.synthetic._geometry import FRAME_X, FRAME_Y, SceneBuilder

__all__ = ["FRAME_MARGIN", "Draft", "Family", "apply_where", "inside", "obj", "pick", "pick_offset",
           "place_anchor", "place_title"]

FRAME_MARGIN = 0.15  # every object keeps this far inside the frame
OVERLAP_TOL = 0.02  # boxes may touch, not overlap by more than this (units)


def obj(oid: str, kind: str, content: str, place: dict | None = None,
        **params: Any) -> ObjectSpec:
    """An ``ObjectSpec`` with its stated placement facts (if any) in ``params["place"]``."""
    p = dict(params)
    if place:
        p["place"] = place
    return ObjectSpec(oid, kind, content, p)


def pick(rng: random.Random, options: Sequence[Any]) -> Any:
    return options[rng.randrange(len(options))]


def pick_offset(rng: random.Random, xs: Sequence[int], ys: Sequence[int]) -> dict:
    """An absolute placement: the centre or a whole-unit offset from it."""
    dx, dy = pick(rng, xs), pick(rng, ys)
    return {"at": "center"} if (dx, dy) == (0, 0) else {"at": [dx, dy]}


def place_anchor(b: SceneBuilder, target: str) -> None:
    """Create an object that anchors the scene: on its ``given`` box, else where stated."""
    b.create(target)
    if b.spec(target).given is not None:
        b.given(target)
    else:
        apply_where(b, target, b.place(target))


def place_title(b: SceneBuilder) -> None:
    """The optional title: created where the prompt puts it, then shown."""
    if "title" in b.specs:
        b.create("title")
        apply_where(b, "title", b.place("title"))
        b.play("title")


def apply_where(b: SceneBuilder, target: str, where: dict) -> None:
    """``move_to``/``to_edge``/``to_corner`` for an absolute placement fact."""
    if "corner" in where:
        b.to_corner(target, where["corner"])
    elif "edge" in where:
        b.to_edge(target, where["edge"])
    elif where.get("at") == "center":
        b.move_to(target, b.at(0, 0))
    elif isinstance(where.get("at"), list):
        dx, dy = where["at"]
        b.move_to(target, b.at(float(dx), float(dy)))
    else:
        raise ValueError(f"{target}: not an absolute placement: {where!r}")


@dataclass
class Draft:
    """A family's draw: objects with stated facts, and which may be given as context."""

    objects: list[ObjectSpec]
    givable: tuple[str, ...] = ()
    notes: dict[str, Any] = field(default_factory=dict)  # prompt-only choices (phrasing)


class Family(ABC):
    name: ClassVar[str]
    scene_class: ClassVar[str]
    #: pairs of object-id prefixes whose boxes may overlap by design
    overlaps: ClassVar[tuple[tuple[str, str], ...]] = ()

    @abstractmethod
    def draft(self, rng: random.Random) -> Draft:
        """Content, counts and the stated placement choices."""

    @abstractmethod
    def build(self, b: SceneBuilder) -> None:
        """Create, place (``given`` objects exactly on their boxes) and play every object."""

    @abstractmethod
    def prompt(self, rng: random.Random, objects: Sequence[ObjectSpec],
               notes: dict[str, Any]) -> str:
        """The narration: every stated fact in words."""

    @abstractmethod
    def relations(self, objects: Sequence[ObjectSpec]) -> list[Relation]:
        """The stated relations as ``Relation(a, rel, b)``."""

    @abstractmethod
    def size_keys(self) -> Iterable[str]:
        """The size-table key of every object the family can emit."""

    def valid(self, b: SceneBuilder) -> bool:
        """Family-specific checks beyond frame and overlap (e.g. a label fits its box)."""
        return True

    def may_overlap(self, a: str, b: str) -> bool:
        for x, y in self.overlaps:
            if (a.startswith(x) and b.startswith(y)) or (a.startswith(y) and b.startswith(x)):
                return True
        return False

    def fits(self, b: SceneBuilder) -> bool:
        """Inside the frame, no unplanned overlaps, and the family's own checks."""
        boxes = [(i, b.box(i)) for i in b.order]
        for _, box in boxes:
            if (box.xmin < -FRAME_X + FRAME_MARGIN or box.xmax > FRAME_X - FRAME_MARGIN
                    or box.ymin < -FRAME_Y + FRAME_MARGIN or box.ymax > FRAME_Y - FRAME_MARGIN):
                return False
        for n, (i, bi) in enumerate(boxes):
            for j, bj in boxes[n + 1:]:
                if _overlap(bi, bj) and not self.may_overlap(i, j):
                    return False
        return self.valid(b)


def _overlap(a: Box, b: Box) -> bool:
    w = min(a.xmax, b.xmax) - max(a.xmin, b.xmin)
    h = min(a.ymax, b.ymax) - max(a.ymin, b.ymin)
    return w > OVERLAP_TOL and h > OVERLAP_TOL


def inside(inner: Box, outer: Box, margin: float = 0.1) -> bool:
    return (inner.xmin >= outer.xmin + margin and inner.xmax <= outer.xmax - margin
            and inner.ymin >= outer.ymin + margin and inner.ymax <= outer.ymax - margin)
