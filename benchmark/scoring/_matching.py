"""Which measured object stands for which reference object.

One Hungarian assignment (``scipy.optimize.linear_sum_assignment``) between the
reference layout and the visible measured objects, on the cost

    cost = 2.0 · kind + 2.5 · content + 1.0 · box

* ``kind``: 0 for the same kind, 0.5 for compatible kinds (tex and text), else 1.
* ``content``: 0 when the normalised strings are equal, otherwise
  0.5 + 0.5 · (1 − difflib ratio), so any difference costs at least 0.5; 0.5
  ("no evidence") when either side has no content (axes, graphs and number lines
  are measured without one).  Normalising collapses whitespace, drops it
  entirely in LaTeX (math mode ignores it) and casefolds class names.
* ``box``: 0.5 · (min(1, centre distance / frame diagonal) + 1 − padded IoU),
  in [0, 1].

Content dominates: a mismatch costs at least 1.25, more than any box term, so
swapping the contents of two objects ("Left" placed on the right) is matched by
content and earns no IoU.  A pair is accepted only below ``MAX_COST`` = 3:
a different kind with different content (≥ 3.25) or a different kind with no
content evidence (≥ 3.25) is never a match; the same kind with no content
evidence always is, which is why only *verified* objects are candidates: an
object whose kind or content its drawing does not prove (``verified`` false,
see ``benchmark.measure.verify``) is never matched.  Among acceptable pairs
the assignment first maximises the number of matched reference objects, then
minimises the total cost.
Predicted objects are put in a canonical order before solving, so the result
does not depend on the order the scene created them in.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

import numpy as np

from benchmark.core.frame import FRAME_DIAGONAL
from benchmark.core.geometry import padded_iou
from benchmark.core.tasks import Box, PlacedObject
from benchmark.outcome import MeasuredObject
from benchmark.scoring._geometry import centre_distance

__all__ = ["MAX_COST", "W_BOX", "W_CONTENT", "W_KIND", "content_similarity", "match_cost",
           "match_objects"]

W_KIND = 2.0
W_CONTENT = 2.5
W_BOX = 1.0
MAX_COST = 3.0
_COMPATIBLE = frozenset({frozenset({"tex", "text"})})
_NAMED_BY_CLASS = frozenset({"shape", "arrow", "other"})
_FORBIDDEN = 1e6


def _normalise(kind: str, content: str) -> str:
    if kind == "tex":
        return "".join(content.split())
    text = " ".join(content.split())
    return text.casefold() if kind in _NAMED_BY_CLASS else text


def content_similarity(kind_a: str, a: str, kind_b: str, b: str) -> float | None:
    """Similarity in [0, 1] of two contents; ``None`` when either side has none."""
    na, nb = _normalise(kind_a, a), _normalise(kind_b, b)
    if not na or not nb:
        return None
    if na == nb:
        return 1.0
    return difflib.SequenceMatcher(None, na, nb, autojunk=False).ratio()


def _kind_cost(a: str, b: str) -> float:
    if a == b:
        return 0.0
    return 0.5 if frozenset({a, b}) in _COMPATIBLE else 1.0


def _content_cost(sim: float | None) -> float:
    if sim is None:
        return 0.5
    return 0.0 if sim == 1.0 else 0.5 + 0.5 * (1.0 - sim)


def _box_cost(a: Box, b: Box) -> float:
    d = min(1.0, centre_distance(a, b) / FRAME_DIAGONAL)
    return 0.5 * (d + 1.0 - padded_iou(a, b))


def match_cost(ref: PlacedObject, pred: MeasuredObject) -> float:
    """The assignment cost of one pair (see the module docstring)."""
    sim = content_similarity(ref.kind, ref.content, pred.kind, pred.content)
    return (W_KIND * _kind_cost(ref.kind, pred.kind) + W_CONTENT * _content_cost(sim)
            + W_BOX * _box_cost(ref.box, pred.box))


def _canonical_key(o: MeasuredObject) -> tuple:
    return (o.kind, o.content, *o.box.as_list())


def match_objects(reference: Sequence[PlacedObject],
                  predicted: Sequence[MeasuredObject]) -> list[int | None]:
    """For each reference object, the index in ``predicted`` of its match, or ``None``.

    Only visible, verified predicted objects can be matched; each is matched at most once.
    """
    candidates = sorted((i for i, o in enumerate(predicted) if o.visible and o.verified),
                        key=lambda i: _canonical_key(predicted[i]))
    out: list[int | None] = [None] * len(reference)
    if not reference or not candidates:
        return out
    cost = np.empty((len(reference), len(candidates)))
    for r, ref in enumerate(reference):
        for c, i in enumerate(candidates):
            cost[r, c] = match_cost(ref, predicted[i])
    allowed = cost < MAX_COST
    if not allowed.any():
        return out
    from scipy.optimize import linear_sum_assignment  # 0.4 s to import: only when needed

    rows, cols = linear_sum_assignment(np.where(allowed, cost, _FORBIDDEN))
    for r, c in zip(rows, cols, strict=True):
        if allowed[r, c]:
            out[r] = candidates[c]
    return out
