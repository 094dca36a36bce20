"""The template on a context task: new objects go next to what is already on screen.

A context task gives some objects (on their boxes) and asks for the rest.  When
it states no relations (the 3b1b suite's context tasks: nothing but the context
says where things go), the free clusters are placed one at a time, in the
task's order, each against what is already there:

* a text or formula is typeset at the size of the given text of its kind (the
  formula's scale for a formula, else the text's; titles — text at the top edge
  — are not a size to copy);
* right after a brace, a text or formula is the brace's label: beyond the brace
  on its side;
* a formula follows the last formula (given or just placed) on its right, as an
  equation grows; any other text or formula goes below the last text or formula
  that is not a title;
* a dot joins a given number line, the dots spread evenly along it;
* another shape goes right of the last shape;
* the rest (and anything without such an anchor) goes where the template puts
  free objects: titles to the top, everything else into the roomiest clear part
  of the frame.

Every placement uses Manim's ``next_to`` with the template's gap, is pushed past
whatever is already on that side (given boxes included) and kept in the frame.
Given objects never move.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from baselines._plan import Cluster
from benchmark.compose import create_expr
from benchmark.core.tasks import ObjectSpec

if TYPE_CHECKING:
    from baselines.template import SceneWriter

__all__ = ["place_in_context"]

TITLE_TOP = 3.2  # a given text whose box reaches this high is a title (frame top: 4)
_TEXT = ("text", "tex")


def _is_title(o: ObjectSpec) -> bool:
    return o.kind in _TEXT and o.given is not None and o.given.ymax >= TITLE_TOP


def place_in_context(w: SceneWriter, free: list[Cluster], obstacles: list[str]) -> None:
    """Place the free clusters of a context task (``w``: the template's writer)."""
    task = w.task
    objects = {o.id: o for o in task.objects}
    order = {o.id: i for i, o in enumerate(task.objects)}
    givens = [o for o in task.objects if o.given is not None]
    scales = _text_scales(w, givens)
    texts = [w.names[o.id] for o in givens if o.kind in _TEXT and not _is_title(o)]
    formulas = [w.names[o.id] for o in givens if o.kind == "tex" and not _is_title(o)]
    shapes = [w.names[o.id] for o in givens if o.kind == "shape"]
    line = next((w.names[o.id] for o in reversed(givens) if o.kind == "number_line"), None)
    dots = [c for c in free if _single(w, c, "shape") and objects[c.root].content == "Dot"]
    gap = f"{w.buff:.2f}"

    for c in sorted(free, key=lambda c: order[c.root]):
        o = objects[c.root]
        single_text = _single(w, c, *_TEXT)
        if single_text and scales:
            w.emit(f"{w.names[o.id]}.scale({scales.get(o.kind) or next(iter(scales.values()))})")
        tree, _ = w.tree(c, c.root)
        before = task.objects[order[o.id] - 1] if order[o.id] else None
        if single_text and before is not None and before.kind == "brace" \
                and before.given is None:
            side = {"up": "UP", "down": "DOWN", "left": "LEFT", "right": "RIGHT"}.get(
                str(before.params.get("direction", "down")), "DOWN")
            _beside(w, tree, w.names[before.id], side, obstacles, gap)
        elif single_text and o.kind == "tex" and formulas:
            _beside(w, tree, formulas[-1], "RIGHT", obstacles, gap)
        elif single_text and texts:
            _beside(w, tree, texts[-1], "DOWN", obstacles, gap)
        elif c in dots and line is not None:
            k = dots.index(c) + 1
            w.emit(f"{tree}.move_to({line}.point_from_proportion({k / (len(dots) + 1):.4f}))")
        elif _single(w, c, "shape") and shapes:
            _beside(w, tree, shapes[-1], "RIGHT", obstacles, f"{2 * w.buff:.2f}")
        else:
            toward = ", toward=UP * config.frame_y_radius" if c.title else ""
            w.emit(f"{w.helper('clear_spot')}({tree}, [{', '.join(obstacles)}]{toward})")
        obstacles.append(tree)
        if single_text:
            texts.append(tree)
            if o.kind == "tex":
                formulas.append(tree)
        elif _single(w, c, "shape"):
            shapes.append(tree)


def _single(w: SceneWriter, c: Cluster, *kinds: str) -> bool:
    """A cluster of one unit whose owner is of one of ``kinds`` (members may follow it)."""
    return c.order == [c.root] and w.task.object(c.root).kind in kinds


def _beside(w: SceneWriter, tree: str, anchor: str, side: str, obstacles: list[str],
            gap: str) -> None:
    placed = [o for o in obstacles if o != anchor]
    w.emit(f"{w.helper('beside')}({tree}, {anchor}, {side}, [{', '.join(placed)}], "
           f"buff={gap})")
    w.emit(f"{w.helper('keep_in_frame')}({tree})")


def _text_scales(w: SceneWriter, givens: list[ObjectSpec]) -> dict[str, str]:
    """Per text kind, an expression for the scale its last given (non-title) object was
    typeset at: the given width over the natural width."""
    out: dict[str, str] = {}
    for o in reversed(givens):
        if o.kind not in _TEXT or _is_title(o) or o.kind in out:
            continue
        var = w.fresh(f"{o.kind}_scale")
        natural = create_expr(o, w.names)
        w.emit(f"{var} = {w.names[o.id]}.width / max({natural}.width, 1e-6)")
        out[o.kind] = var
    return out
