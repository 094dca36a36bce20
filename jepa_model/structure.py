"""What a task states about its layout, as arrays: family, per-object place, object relations.

A layout is determined by the task's inputs — the family's style, each object's
stated place (``params["place"]``: ``{"edge": "UP"}``, ``{"rel": "below", "of":
"o2"}``, ``{"at": [x, y]}``, …) and the relations between objects — plus the
objects' sizes.  The text embedding of the prompt says the same in words, but a
single sentence vector blurs who is below whom; these arrays give the model the
facts directly:

* ``family``: index of the task's family in the synthetic generator's list (0: unknown).
* ``place`` [n, P]: one-hot of the place's keys and of its word values (``UP``,
  ``below``, ``left`` …), a stated point ``at: [x, y]`` (normalised like boxes) and
  a stated ``value`` (a number line position), each with a flag.
* ``rel`` [n, n]: relation type from object i to object j (0: none) — the task's
  relations and every place key that names another object (``of``, ``after``,
  ``on``, ``inside``), each with a distinct inverse type for j → i.  The encoder
  turns it into a learned attention bias.
"""

from __future__ import annotations

import math

import numpy as np

from benchmark.core.frame import FRAME_HEIGHT, FRAME_WIDTH
from benchmark.core.tasks import RELATIONS, Task
from benchmark.suites.synthetic import FAMILIES as GENERATOR_FAMILIES

__all__ = ["N_FAMILIES", "N_RELATION_TYPES", "PLACE_DIM", "family_index", "place_features",
           "relation_matrix"]

FAMILIES: tuple[str, ...] = tuple(GENERATOR_FAMILIES)  # the synthetic generator's, in order
N_FAMILIES = len(FAMILIES) + 1
PLACE_KEYS = ("at", "rel", "of", "edge", "list", "after", "vertex", "corner", "value", "on",
              "half", "flow", "inside", "side")
PLACE_WORDS = ("below", "bottom", "center", "middle", "top", "DL", "DR", "UL", "UR", "LEFT",
               "RIGHT", "UP", "DOWN", "down", "right", "left", "centred", "above", "outside",
               "up")
REF_KEYS = ("of", "after", "on", "inside")
PLACE_DIM = len(PLACE_KEYS) + len(PLACE_WORDS) + 5  # + at x, at y, at flag, value, flag
N_RELATION_TYPES = 1 + 2 * (len(RELATIONS) + len(REF_KEYS))
_WORD = {w: i for i, w in enumerate(PLACE_WORDS)}
_KEY = {k: i for i, k in enumerate(PLACE_KEYS)}


def family_index(task: Task) -> int:
    return FAMILIES.index(task.family) + 1 if task.family in FAMILIES else 0


def _finite(v: object) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        return None
    return float(v)


def place_features(task: Task) -> np.ndarray:
    """float32 [n, PLACE_DIM]: the stated place of each object (zeros when none)."""
    out = np.zeros((len(task.objects), PLACE_DIM), np.float32)
    w0 = len(PLACE_KEYS)
    tail = w0 + len(PLACE_WORDS)
    for i, o in enumerate(task.objects):
        place = o.params.get("place")
        if not isinstance(place, dict):
            continue
        for key, value in place.items():
            if key in _KEY:
                out[i, _KEY[key]] = 1.0
            if isinstance(value, str) and value in _WORD:
                out[i, w0 + _WORD[value]] = 1.0
            if key == "at" and isinstance(value, list | tuple) and len(value) == 2:
                x, y = _finite(value[0]), _finite(value[1])
                if x is not None and y is not None:
                    out[i, tail:tail + 3] = (x / (FRAME_WIDTH / 2), y / (FRAME_HEIGHT / 2), 1.0)
            if key == "value" and (v := _finite(value)) is not None:
                out[i, tail + 3:tail + 5] = (max(-10.0, min(10.0, v)) / 5.0, 1.0)
    return out


def relation_matrix(task: Task) -> np.ndarray:
    """int64 [n, n]: relation type from object i to object j (0 none); later facts win."""
    index = {o.id: i for i, o in enumerate(task.objects)}
    n = len(task.objects)
    rel = np.zeros((n, n), np.int64)
    half = len(RELATIONS) + len(REF_KEYS)

    def put(a: int, b: int, t: int) -> None:
        if a != b:
            rel[a, b] = 1 + t
            rel[b, a] = 1 + half + t

    for r in task.relations:
        if r.a in index and r.b in index:
            put(index[r.a], index[r.b], RELATIONS.index(r.rel))
    for i, o in enumerate(task.objects):
        place = o.params.get("place")
        if not isinstance(place, dict):
            continue
        for k, key in enumerate(REF_KEYS):
            value = place.get(key)
            targets = value if isinstance(value, list) else [value]
            for v in targets:
                if isinstance(v, str) and v in index:
                    put(i, index[v], len(RELATIONS) + k)
    return rel
