"""Verification: an object counts as what it draws, not what it claims.

The child reports each mobject's class names and strings; both are claims.
An object is *verified* when its drawn geometry proves them:

* **Content.** Every string-bearing member of the object (the outermost ones:
  a formula, a matrix entry, a brace label, each digit of a number) is
  typeset again by the trusted side from its claimed string and settings
  (:mod:`benchmark.measure.typeset`), and the two inks must match
  (:func:`benchmark.measure.ink.compare_ink`).  A text, formula or matrix may
  draw nothing outside those members (a matrix may add straight rules).  A
  number's content is the digits it drew, not the value it claims.
* **Kind.** The class that decided the kind must fit the geometry
  (:mod:`benchmark.measure.signatures`).

An object that fails becomes kind ``other`` with no content, and the matcher
never pairs an unverified object with a reference object.  What is *not*
verified: a graph's shape against its expression, a shape's size against
its claimed parameters, an image's pixels, and the classes listed as
accepted-as-drawn in :mod:`benchmark.measure.signatures`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from benchmark.measure.ink import compare_ink, ink_of, painted
from benchmark.measure.objects import SemanticObject, claimed_class, family_members
from benchmark.measure.signatures import SINGLE_OUTLINE, check_kind
from benchmark.measure.typeset import Recipe, Typesetter, glyphs, recipe_for
from benchmark.snapshot import Member, Snapshot

__all__ = ["Verdict", "Verifier", "apply_verdicts"]

_TEXT_KINDS = frozenset({"tex", "text"})


@dataclass(frozen=True)
class Verdict:
    verified: bool
    reason: str
    content: str | None = None  # the proven content, where it differs from the claim


@dataclass
class _Units:
    """An object's outermost string-bearing members and their recipes."""

    members: list[int]
    recipes: list[Recipe | None]
    covered: set[int]  # every member inside a unit's family


def _units(snap: Snapshot, obj: SemanticObject, kids: list[list[int]]) -> _Units:
    inside = set(obj.members)
    units: list[int] = []
    covered: set[int] = set()
    for i in obj.members:  # pre-order: an ancestor comes before its descendants
        if i in covered:
            continue
        m = snap.members[i]
        if m.tex is None and m.text is None:
            continue
        units.append(i)
        stack = [i]
        while stack:
            j = stack.pop()
            if j in inside:
                covered.add(j)
                stack.extend(kids[j])
    return _Units(units, [recipe_for(snap.members[i]) for i in units], covered)


def _family(snap: Snapshot, index: int, kids: list[list[int]]) -> list[Member]:
    return [snap.members[j] for j in family_members(index, kids)]


class Verifier:
    """Verifies the semantic objects of a snapshot; typesets through ``typesetter``."""

    def __init__(self, typesetter: Typesetter | None) -> None:
        self.typesetter = typesetter

    def verify(self, snap: Snapshot, objects: Sequence[SemanticObject]) -> list[Verdict]:
        kids = snap.children()
        units = [_units(snap, o, kids) for o in objects]
        wanted = [r for u in units for r in u.recipes if r is not None]
        inks: dict = {}
        if wanted and self.typesetter is not None:
            inks = self.typesetter.inks(wanted)
        return [self._one(snap, o, u, inks, kids) for o, u in zip(objects, units, strict=True)]

    def _one(self, snap: Snapshot, obj: SemanticObject, units: _Units, inks: dict,
             kids: list[list[int]]) -> Verdict:
        root = snap.members[obj.root]
        family = [snap.members[i] for i in obj.members]
        for index, recipe in zip(units.members, units.recipes, strict=True):
            why = self._unit(snap, index, recipe, inks, kids)
            if why is not None:
                return Verdict(False, why)
        if obj.kind == "matrix" and not units.members and "MobjectTable" in root.mro_names:
            rules = sum(1 for m in family if painted(m) is not None and _is_rule(m))
            if rules >= 2:
                return Verdict(True, f"a table of mobjects ({rules} rules): nothing typeset")
        if obj.kind in _TEXT_KINDS or obj.kind == "matrix":
            why = self._text_body(snap, obj, units)
            if why is not None:
                return Verdict(False, why)
            content = _drawn_number(snap, units, kids) if root.number is not None else None
            n = len(units.members)
            return Verdict(True, f"{n} string{'s' if n != 1 else ''} typeset and matched",
                           content)
        if obj.kind == "image":
            ok = root.draw == "I" and root.pixels is not None
            return Verdict(ok, "an image" if ok else "claims an image but draws none")
        if obj.kind == "other":
            return Verdict(True, "claims nothing beyond its geometry")
        claimed = claimed_class(root)
        why = check_kind(claimed, root, family)
        if why is not None:
            return Verdict(False, f"not a {claimed}: {why}")
        if obj.kind == "brace":
            stray = [i for i in obj.members if i not in units.covered
                     and "Brace" not in snap.members[i].mro_names
                     and painted(snap.members[i]) is not None]
            if stray:
                return Verdict(False, "draws more than a brace and its label")
        if claimed in SINGLE_OUTLINE and _attached_drawing(snap, obj, units, kids):
            return Verdict(False, f"draws more than a {claimed} (something attached under it)")
        what = claimed or "plain path"
        return Verdict(True, f"geometry fits {what}" + (" (and its strings)"
                                                       if units.members else ""))

    def _unit(self, snap: Snapshot, index: int, recipe: Recipe | None, inks: dict,
              kids: list[list[int]]) -> str | None:
        m = snap.members[index]
        if recipe is None:
            return f"the string of a {m.cls} cannot be typeset to check it"
        if self.typesetter is None:
            return "no typesetter to check its string"
        ref = inks.get(recipe)
        if isinstance(ref, str):
            return ref
        if ref is None:
            return "its claimed string typesets to nothing"
        own, attached = glyphs(snap, index, kids)
        drawn = ink_of(snap.members[i] for i in own)
        got = compare_ink(drawn, ref, stretch=_is_bracket(recipe.string))
        if not got.ok:
            shown = recipe.string if len(recipe.string) <= 40 else recipe.string[:37] + "..."
            return f"does not draw {shown!r}: {got.reason}"
        for a in attached:
            att = snap.members[a]
            why = check_kind(claimed_class(att), att, _family(snap, a, kids))
            if why is not None:
                return f"its attached {att.cls} is not one: {why}"
        return None

    @staticmethod
    def _text_body(snap: Snapshot, obj: SemanticObject, units: _Units) -> str | None:
        if not units.members:
            return "draws no typeset text"
        for i in obj.members:
            if i in units.covered:
                continue
            m = snap.members[i]
            if painted(m) is None:
                continue
            if (obj.kind == "matrix" or "Table" in snap.members[obj.root].mro_names) \
                    and _is_rule(m):
                continue
            return "draws more than its strings"
        return None


def _attached_drawing(snap: Snapshot, obj: SemanticObject, units: _Units,
                      kids: list[list[int]]) -> bool:
    """A single-outline shape with painted members of its own below it (not a tip, a label
    or a label's backdrop): they would stretch its box beyond the shape it claims."""
    root = obj.root
    backdrops: set[int] = set()
    for i in obj.members:
        if i != root and {"BackgroundRectangle", "SurroundingRectangle"} & \
                set(snap.members[i].mro_names):
            backdrops.update(family_members(i, kids))
    for i in obj.members:
        m = snap.members[i]
        if i == root or i in units.covered or i in backdrops or "ArrowTip" in m.mro_names:
            continue
        if painted(m) is not None:
            return True
    return False


def _is_bracket(tex: str) -> bool:
    """A matrix bracket (``\\left[\\begin{array}…``), which manim stretches to fit."""
    return tex.lstrip().startswith("\\left") and "\\begin{array}" in tex


def _is_rule(m: Member) -> bool:
    """A straight stroke: a table's or matrix's rule."""
    pts = m.points[:, :2] - m.points[:, :2].mean(axis=0)
    s = np.linalg.svd(pts, compute_uv=False)
    return bool(s[0] > 0 and (len(s) < 2 or s[1] <= 1e-3 * s[0]))


def _drawn_number(snap: Snapshot, units: _Units, kids: list[list[int]]) -> str:
    """A number's content: its typeset pieces, left to right (what a viewer reads)."""
    pieces = []
    for i in units.members:
        m = snap.members[i]
        pts = [x.points for x in _family(snap, i, kids) if len(x.points)]
        x = float(np.concatenate(pts)[:, 0].mean()) if pts else 0.0
        pieces.append((x, m.tex or m.text or ""))
    return "".join(s for _, s in sorted(pieces)).replace(" ", "")


def apply_verdicts(objects: Sequence[SemanticObject], verdicts: Sequence[Verdict]) -> None:
    """Record each verdict; a failed object keeps its box but becomes ``other``, no content."""
    for obj, v in zip(objects, verdicts, strict=True):
        obj.verified, obj.reason = v.verified, v.reason
        if not v.verified:
            obj.kind, obj.content = "other", ""
        elif v.content is not None:
            obj.content = v.content
