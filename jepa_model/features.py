"""Tasks as arrays: one token per object plus a prompt vector (``SceneArrays``).

Each object becomes: its kind (an index into ``benchmark.core.tasks.KINDS``), the
sentence embedding of its content, its intrinsic size (width and height of the
object rendered alone, from the synthetic suite's size table), and its box.
Boxes are normalised to the frame (14.222… × 8 units, centred, y up)::

    (cx / (W/2), cy / (H/2), w / W, h / H)

so centres lie in [-1, 1] on the frame and sizes in [0, 1]; sizes use the same
``w / W, h / H`` scale.  The box of a ``given`` object is its given box; the box
of any other object is its reference-layout box (the training target), matched
by object id; objects without one (inference tasks) get zeros and
``box_known = False``.

Intrinsic sizes come from inputs alone, never from the layout
(:mod:`benchmark.suites.synthetic.sizes`: ``size_key`` and ``intrinsic_size``).
Arrows have no intrinsic size: their length is the distance between their
endpoints' *placed* boxes, which is the target layout itself, so it would leak;
they get ``size_known = False`` like any content the table does not know (3b1b
images, uncomposable params).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from benchmark.core.frame import FRAME_HEIGHT, FRAME_WIDTH
from benchmark.core.tasks import KINDS, Box, Task
from benchmark.core.text import EmbeddingCache, TextEncoder
from benchmark.suites.synthetic.sizes import (
    SizeTable,
    default_sizes,
    intrinsic_size,
    size_key,
)
from jepa_model.config import Config
from jepa_model.structure import family_index, place_features, relation_matrix

__all__ = ["FEATURES_VERSION", "Featurizer", "SceneArrays",
           "denormalize_box", "denormalize_boxes", "featurizer_for", "normalize_box",
           "normalize_boxes"]

FEATURES_VERSION = 2  # bump when SceneArrays' meaning changes (invalidates disk caches)
_KIND_INDEX = {k: i for i, k in enumerate(KINDS)}
_HALF = np.array([FRAME_WIDTH / 2, FRAME_HEIGHT / 2, FRAME_WIDTH, FRAME_HEIGHT])


def normalize_box(box: Box) -> tuple[float, float, float, float]:
    """A scene-unit box as ``(cx / (W/2), cy / (H/2), w / W, h / H)``."""
    cx, cy = box.center
    return (cx / (FRAME_WIDTH / 2), cy / (FRAME_HEIGHT / 2), box.width / FRAME_WIDTH,
            box.height / FRAME_HEIGHT)


def denormalize_box(v: Sequence[float] | np.ndarray) -> Box:
    """The inverse of ``normalize_box`` (computed in float64)."""
    cx, cy, w, h = (float(x) * s for x, s in zip(v, _HALF, strict=True))
    return Box.from_center(cx, cy, w, h)


def normalize_boxes(xyxy: np.ndarray) -> np.ndarray:
    """``[..., 4]`` (xmin, ymin, xmax, ymax) → ``[..., 4]`` normalised (cx, cy, w, h)."""
    a = np.asarray(xyxy, dtype=np.float64)
    c = np.stack([(a[..., 0] + a[..., 2]) / 2, (a[..., 1] + a[..., 3]) / 2,
                  a[..., 2] - a[..., 0], a[..., 3] - a[..., 1]], axis=-1)
    return c / _HALF


def denormalize_boxes(v: np.ndarray) -> np.ndarray:
    """``[..., 4]`` normalised (cx, cy, w, h) → ``[..., 4]`` (xmin, ymin, xmax, ymax)."""
    c = np.asarray(v, dtype=np.float64) * _HALF
    return np.stack([c[..., 0] - c[..., 2] / 2, c[..., 1] - c[..., 3] / 2,
                     c[..., 0] + c[..., 2] / 2, c[..., 1] + c[..., 3] / 2], axis=-1)


@dataclass
class SceneArrays:
    """One task as arrays; ``n`` objects in the task's object order, ``E`` = encoder dim."""

    kind: np.ndarray  # int64 [n]: index into benchmark.core.tasks.KINDS
    content: np.ndarray  # float32 [n, E]: unit sentence embedding of the content
    size: np.ndarray  # float32 [n, 2]: intrinsic (w/W, h/H); 0 when unknown
    size_known: np.ndarray  # bool [n]
    box: np.ndarray  # float32 [n, 4]: (cx/(W/2), cy/(H/2), w/W, h/H); 0 when unknown
    box_known: np.ndarray  # bool [n]: a given box or a reference-layout box
    given: np.ndarray  # bool [n]: placed by the task (context at inference)
    prompt: np.ndarray  # float32 [E]
    task_id: str
    object_ids: list[str]
    place: np.ndarray | None = None  # float32 [n, PLACE_DIM]: stated places (structure.py)
    rel: np.ndarray | None = None  # int64 [n, n]: relation type i → j
    family: int = 0  # index of the task's family (0 unknown)
    frame: np.ndarray | None = None  # uint8 [H, W, 3]: the rendered reference (image branch)

    @property
    def n(self) -> int:
        return len(self.object_ids)

    def boxes_scene(self) -> list[Box]:
        """The boxes back in scene units (for code composition and checks)."""
        return [Box(*map(float, r)) for r in denormalize_boxes(self.box)]


class Featurizer:
    """Turns tasks into ``SceneArrays``; all distinct strings of a batch embedded at once."""

    def __init__(self, encoder: TextEncoder, cache: EmbeddingCache | None = None,
                 sizes: SizeTable | None = None, measure_missing: bool = False) -> None:
        if cache is not None and cache.encoder.id != encoder.id:
            raise ValueError(f"embedding cache of {cache.encoder.id!r} given for encoder "
                             f"{encoder.id!r}")
        if sizes is None:
            sizes = default_sizes()  # the generator's own table: train sizes are in it
        self.encoder = encoder
        self.cache = cache
        self.sizes = sizes
        self.measure_missing = measure_missing

    @property
    def dim(self) -> int:
        return self.encoder.dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if self.cache is not None:
            return self.cache.encode_cached(texts)
        return self.encoder.encode(list(texts))

    def scene(self, task: Task) -> SceneArrays:
        return self.scenes([task])[0]

    def scenes(self, tasks: Sequence[Task]) -> list[SceneArrays]:
        if self.measure_missing and self.sizes.measure is not None:
            self._measure(tasks)
        strings = list(dict.fromkeys([t.prompt for t in tasks]
                                     + [o.content for t in tasks for o in t.objects]))
        index = {s: i for i, s in enumerate(strings)}
        vectors = self.embed(strings)
        return [self._scene(t, vectors, index) for t in tasks]

    def _measure(self, tasks: Sequence[Task]) -> None:
        """Measure unknown size keys in the sandbox (batched); failing keys stay unknown."""
        keys = {k for t in tasks for o in t.objects
                if (k := size_key(o, t)) is not None and k not in self.sizes}
        try:
            self.sizes.fill(keys)
        except ValueError:
            for k in sorted(keys):
                try:
                    self.sizes.fill([k])
                except ValueError:
                    continue

    def _scene(self, task: Task, vectors: np.ndarray, index: dict[str, int]) -> SceneArrays:
        n = len(task.objects)
        layout = {p.id: p.box for p in task.reference.layout}
        size = np.zeros((n, 2), np.float32)
        size_known = np.zeros(n, bool)
        box = np.zeros((n, 4), np.float32)
        box_known = np.zeros(n, bool)
        given = np.zeros(n, bool)
        for i, o in enumerate(task.objects):
            wh = intrinsic_size(o, task, self.sizes)
            if wh is not None:
                size[i] = (wh[0] / FRAME_WIDTH, wh[1] / FRAME_HEIGHT)
                size_known[i] = True
            b = o.given if o.given is not None else layout.get(o.id)
            if b is not None:
                box[i] = normalize_box(b)
                box_known[i] = True
            given[i] = o.given is not None
        return SceneArrays(
            kind=np.array([_KIND_INDEX[o.kind] for o in task.objects], np.int64),
            content=vectors[[index[o.content] for o in task.objects]].astype(np.float32),
            size=size, size_known=size_known, box=box, box_known=box_known, given=given,
            prompt=vectors[index[task.prompt]].astype(np.float32), task_id=task.id,
            object_ids=[o.id for o in task.objects], place=place_features(task),
            rel=relation_matrix(task), family=family_index(task))


def featurizer_for(cfg: Config) -> Featurizer:
    """The featurizer of ``cfg.data.text_encoder`` with its embedding cache; checks that the
    encoder's dimension is ``model.text_dim``."""
    encoder = TextEncoder.load(cfg.data.text_encoder)
    if encoder.dim != cfg.model.text_dim:
        raise ValueError(f"model.text_dim is {cfg.model.text_dim} but the text encoder "
                         f"{encoder.path} gives {encoder.dim}-dimensional embeddings")
    return Featurizer(encoder, EmbeddingCache(encoder))
