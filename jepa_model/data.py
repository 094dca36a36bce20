"""Training scenes, the held-out guard, augmentation and the batch collator.

Training data is the synthetic ``train`` split (``generate_tasks``, unbounded)
plus the 3b1b ``dev`` split when one is prepared on this machine.  Test splits
never enter: every task is checked against the inputs and layout hashes of the
synthetic ``test`` and ``val`` splits (and their rules layouts) and of both 3b1b
test variants (``test``, with context, and ``test-scratch``), and a match raises
``LeakageError``.  Featurised scenes are
cached as ``.npz`` (no pickle) per block of synthetic indices, keyed by
generator version, feature version, size table and encoder id, with the
tasks' hashes inside so the guard re-checks cached blocks too.

Batch format (``collate``), B scenes padded to the batch's largest object
count N, E the text encoder's dimension; exactly these keys:

=============  ===========  ==============================================================
key            dtype/shape  meaning
=============  ===========  ==============================================================
``kind``       int64 B,N    index into ``benchmark.core.tasks.KINDS`` (0 on padding)
``content``    f32 B,N,E    unit sentence embedding of the object's content
``size``       f32 B,N,2    intrinsic (w/W, h/H) of the object alone; 0 when unknown
``size_known`` bool B,N     ``size`` is measured (False: arrows, unknown contents, padding)
``box``        f32 B,N,4    (cx/(W/2), cy/(H/2), w/W, h/H): training, the target of masked
                            objects and the position of context ones (a given object's is
                            its given box); inference, zeros for every masked object even
                            when the task carries a reference layout (nothing to leak)
``valid``      bool B,N     a real object (False: padding)
``given``      bool B,N     placed by the task: always context, never masked
``mask``       bool B,N     objects to predict; their ``box`` must not reach the context
                            encoder.  Training: k ∈ [mask_min, min(mask_max, m)] of the m
                            valid non-given objects, uniformly, at least one when m > 0.
                            Inference (``train=False``): every valid non-given object.
``prompt``     f32 B,E      unit sentence embedding of the prompt
``place``      f32 B,N,P    the object's stated place (``jepa_model.structure.place_features``,
                            P = ``PLACE_DIM``): one-hot keys and words of ``params["place"]``,
                            a stated point and a stated value, each with a flag; zeros on
                            padding and for scenes featurised without it
``rel``        int64 B,N,N  relation type from object i to object j
                            (``jepa_model.structure.relation_matrix``; 0: none, and on
                            padding): the task's relations and the place keys that name
                            another object, each with its own inverse type for j → i
``family``     int64 B      the task's family (``jepa_model.structure.family_index``; 0:
                            not a synthetic family)
``anchor``     f32 B,N,4    training: the boxes after augmentation but before context
                            jitter — where the placement head's anchors really are (its
                            loss is taken against them); inference: zeros
=============  ===========  ==============================================================

W × H is the 14.222… × 8 unit frame.  Context objects are ``valid & ~mask``.
Augmentation (training only, from the caller's seeded ``rng``) changes ``box``
and ``size`` (and, through ``box``, ``anchor``) and nothing else; context jitter
then moves ``box`` only.  With ``image`` the batch also holds the image branch's
keys (:func:`jepa_model.frames.image_batch`).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from benchmark.core.tasks import Task
from benchmark.suites.heldout import LeakageError, check_no_leak, heldout_hashes, task_hashes
from benchmark.suites.synthetic import VERSION, generate_tasks
from benchmark.suites.synthetic.sizes import SIZES_PATH
from benchmark.suites.threeb1b.source import SOURCE as THREEB1B
from jepa_model.config import AugmentConfig, DataConfig, ImageConfig  # the config's own
from jepa_model.features import FEATURES_VERSION, Featurizer, SceneArrays
from jepa_model.frames import image_batch, render_frames
from jepa_model.structure import PLACE_DIM

if TYPE_CHECKING:
    import torch

__all__ = ["BATCH_KEYS", "AugmentConfig", "DataConfig", "TrainingData", "check_stored",
           "collate", "load_scenes", "save_scenes", "sizes_digest"]

BATCH_KEYS = ("kind", "content", "size", "size_known", "box", "valid", "given", "mask",
              "prompt", "place", "rel", "family", "anchor")


def check_stored(scenes: Sequence[SceneArrays], hashes: Sequence[list[str]],
                 heldout: dict[str, str], where: Path) -> None:
    """The guard for scenes read back from disk (a cache block or a pack), by their hashes."""
    for s, hs in zip(scenes, hashes, strict=True):
        for h in hs:
            if h in heldout:
                raise LeakageError(f"stored training task {s.task_id} ({where}) has the "
                                   f"same inputs or layout as {heldout[h]}")


# --- disk cache of featurised scenes -------------------------------------------------------

def save_scenes(path: Path, scenes: Sequence[SceneArrays], hashes: Sequence[list[str]],
                compact: bool = False) -> Path:
    """Write scenes (and their tasks' guard hashes) as one ``.npz``, atomically.

    ``compact``: embeddings as float16 in a compressed archive (a training pack that travels
    to another machine; :func:`load_scenes` reads both back as float32)."""
    offsets = np.cumsum([0] + [s.n for s in scenes]).astype(np.int64)
    rows: dict[bytes, int] = {}
    content_index = np.array([rows.setdefault(r.tobytes(), len(rows))
                              for s in scenes for r in s.content], np.int64)
    dim = scenes[0].prompt.shape[0] if scenes else 0
    table = (np.frombuffer(b"".join(rows), np.float32).reshape(len(rows), dim)
             if rows else np.zeros((0, dim), np.float32))

    def cat(name: str, dtype: type, shape: tuple[int, ...]) -> np.ndarray:
        parts = [getattr(s, name) for s in scenes]
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(shape, dtype)

    arrays = {
        "offsets": offsets, "content_index": content_index, "content_table": table,
        "kind": cat("kind", np.int64, (0,)), "size": cat("size", np.float32, (0, 2)),
        "size_known": cat("size_known", np.bool_, (0,)), "box": cat("box", np.float32, (0, 4)),
        "box_known": cat("box_known", np.bool_, (0,)), "given": cat("given", np.bool_, (0,)),
        "prompt": (np.stack([s.prompt for s in scenes]) if scenes
                   else np.zeros((0, dim), np.float32)),
        "task_id": np.array([s.task_id for s in scenes], dtype=np.str_),
        "object_id": np.array([o for s in scenes for o in s.object_ids], dtype=np.str_),
        "hashes": np.array(["|".join(h) for h in hashes], dtype=np.str_),
        "place": cat("place", np.float32, (0, PLACE_DIM)),
        "rel": (np.concatenate([s.rel.reshape(-1) for s in scenes]).astype(np.int64)
                if scenes else np.zeros((0,), np.int64)),
        "family": np.array([s.family for s in scenes], np.int64),
    }
    if compact:
        arrays["content_table"] = arrays["content_table"].astype(np.float16)
        arrays["prompt"] = arrays["prompt"].astype(np.float16)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as f:
        (np.savez_compressed if compact else np.savez)(f, **arrays)
    tmp.replace(path)
    return path


def load_scenes(path: Path) -> tuple[list[SceneArrays], list[list[str]]]:
    """Scenes and guard hashes written by ``save_scenes``."""
    with np.load(path, allow_pickle=False) as z:
        a = {k: z[k] for k in z.files}
    o, table = a["offsets"], a["content_table"].astype(np.float32)
    prompts = a["prompt"].astype(np.float32)
    ro = np.cumsum([0] + [(int(o[i + 1]) - int(o[i])) ** 2 for i in range(len(o) - 1)])
    scenes = []
    for i in range(len(o) - 1):
        s = slice(int(o[i]), int(o[i + 1]))
        k = int(o[i + 1]) - int(o[i])
        scenes.append(SceneArrays(
            kind=a["kind"][s], content=table[a["content_index"][s]], size=a["size"][s],
            size_known=a["size_known"][s], box=a["box"][s], box_known=a["box_known"][s],
            given=a["given"][s], prompt=prompts[i], task_id=str(a["task_id"][i]),
            object_ids=[str(x) for x in a["object_id"][s]], place=a["place"][s],
            rel=a["rel"][int(ro[i]):int(ro[i + 1])].reshape(k, k), family=int(a["family"][i])))
    return scenes, [str(h).split("|") for h in a["hashes"]]


def _default_feature_dir() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "jepa-manim" / "features"


def sizes_digest() -> str:
    data = SIZES_PATH.read_bytes() if SIZES_PATH.is_file() else b""
    return hashlib.sha256(data).hexdigest()[:8]


# --- the training set ----------------------------------------------------------------------

class TrainingData:
    """Featurised training scenes (complete layouts only), guarded against held-out tasks."""

    def __init__(self, scenes: list[SceneArrays], counts: dict[str, int],
                 hashes: list[list[str]] | None = None) -> None:
        self.scenes = scenes
        self.counts = counts  # scenes per source, and "dropped" (incomplete layouts)
        self.hashes = hashes  # each scene's task guard hashes, when known

    def __len__(self) -> int:
        return len(self.scenes)

    def __getitem__(self, i: int) -> SceneArrays:
        return self.scenes[i]

    def __iter__(self) -> Iterator[SceneArrays]:
        return iter(self.scenes)

    @classmethod
    def from_tasks(cls, tasks: Sequence[Task], featurizer: Featurizer,
                   heldout: dict[str, str] | None = None) -> TrainingData:
        """Any tasks (after the guard), uncached."""
        check_no_leak(tasks, heldout)
        return cls._complete(featurizer.scenes(tasks), {"tasks": len(tasks)},
                             [task_hashes(t) for t in tasks])

    @classmethod
    def _complete(cls, scenes: list[SceneArrays], counts: dict[str, int],
                  hashes: list[list[str]]) -> TrainingData:
        keep = [i for i, s in enumerate(scenes) if bool(s.box_known.all())]
        counts["dropped"] = counts.get("dropped", 0) + len(scenes) - len(keep)
        return cls([scenes[i] for i in keep], counts, [hashes[i] for i in keep])

    @classmethod
    def build(cls, featurizer: Featurizer, config: DataConfig | None = None,
              log: Callable[[str], None] | None = None, image: ImageConfig | None = None
              ) -> TrainingData:
        """Synthetic train ``[start, start+n)`` plus 3b1b dev, from the disk cache when there;
        with ``image``, each synthetic scene also gets its rendered frame (cached per block;
        3b1b dev scenes train on a black frame)."""
        config = config or DataConfig()
        heldout = heldout_hashes()
        root = (Path(config.cache_dir) if config.cache_dir else _default_feature_dir()
                ) / featurizer.encoder.id
        tag = f"f{FEATURES_VERSION}-s{sizes_digest()}"
        scenes: list[SceneArrays] = []
        hashes: list[list[str]] = []
        lo, hi, blk = config.synthetic_start, config.synthetic_start + config.synthetic_n, \
            config.block
        for a in range(lo - lo % blk, hi, blk):
            path = root / f"synthetic-{VERSION}-train-{a:09d}-{a + blk:09d}-{tag}.npz"

            def make(a: int = a) -> list[Task]:
                return list(generate_tasks("train", a, blk))

            got, hs = _cached(path, make, featurizer, heldout, log)
            if image is not None:
                fpath = path.with_name(f"frames-{path.stem}-{image.image_height}x"
                                       f"{image.image_width}.npz")
                for s, f in zip(got, _frames(fpath, make, image, log), strict=True):
                    s.frame = f
            scenes.extend(got[max(lo - a, 0):hi - a])
            hashes.extend(hs[max(lo - a, 0):hi - a])
        counts = {"synthetic": len(scenes)}
        if config.threeb1b_dev and THREEB1B.size("dev"):
            suite = THREEB1B.load("dev")
            path = root / f"3b1b-dev-{suite.hash}-{tag}.npz"
            got, hs = _cached(path, lambda: suite.tasks, featurizer, heldout, log)
            counts["3b1b"] = len(got)
            scenes.extend(got)
            hashes.extend(hs)
        return cls._complete(scenes, counts, hashes)

    def batches(self, batch_size: int, rng: np.random.Generator,
                augment: AugmentConfig | None = None, mask_min: int = 1,
                mask_max: int | None = None, drop_last: bool = True,
                pad_to: int | None = None, image: ImageConfig | None = None
                ) -> Iterator[dict[str, torch.Tensor]]:
        """One shuffled epoch of training batches (``collate``)."""
        order = rng.permutation(len(self.scenes))
        stop = len(order) - (len(order) % batch_size if drop_last else 0)
        for at in range(0, stop, batch_size):
            yield collate([self.scenes[i] for i in order[at:at + batch_size]], rng,
                          mask_min=mask_min, mask_max=mask_max, train=True, augment=augment,
                          pad_to=pad_to, image=image)


def _frames(path: Path, tasks: Callable[[], list[Task]], image: ImageConfig,
            log: Callable[[str], None] | None) -> np.ndarray:
    """A block's rendered frames from ``path``, or rendered from ``tasks()`` and written there."""
    if path.is_file():
        with np.load(path, allow_pickle=False) as z:
            return z["frames"]
    todo = tasks()
    if log is not None:
        log(f"rendering {len(todo)} frames → {path.name}")
    frames, failed = render_frames(todo, image.image_height, image.image_width)
    if failed and log is not None:
        log(f"  {failed} of {len(todo)} could not be drawn (black frames)")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as f:
        np.savez_compressed(f, frames=frames)
    tmp.replace(path)
    return frames


def _cached(path: Path, tasks: Callable[[], list[Task]], featurizer: Featurizer,
            heldout: dict[str, str], log: Callable[[str], None] | None
            ) -> tuple[list[SceneArrays], list[list[str]]]:
    """Scenes (and guard hashes) from ``path``, or featurised from ``tasks()`` and written
    there; guarded."""
    if path.is_file():
        scenes, hashes = load_scenes(path)
        check_stored(scenes, hashes, heldout, path)
        return scenes, hashes
    todo = tasks()
    check_no_leak(todo, heldout)
    if log is not None:
        log(f"featurising {len(todo)} tasks → {path.name}")
    scenes = featurizer.scenes(todo)
    hashes = [task_hashes(t) for t in todo]
    save_scenes(path, scenes, hashes)
    return scenes, hashes


# --- batches -------------------------------------------------------------------------------

def collate(scenes: Sequence[SceneArrays], rng: np.random.Generator, mask_min: int = 1,
            mask_max: int | None = None, train: bool = True,
            augment: AugmentConfig | None = None, pad_to: int | None = None,
            image: ImageConfig | None = None) -> dict[str, torch.Tensor]:
    """Pad scenes into one batch and choose the masked objects (format: module docstring).

    ``pad_to``: pad to at least this many objects, so every batch has the same shape (a
    compiled model then compiles once); padding is invisible to the model.  ``image``: also
    the image branch's keys (:func:`jepa_model.frames.image_batch`)."""
    import torch

    if not scenes:
        raise ValueError("collate: no scenes")
    if mask_min < 1 or (mask_max is not None and mask_max < mask_min):
        raise ValueError(f"collate: need 1 <= mask_min <= mask_max (got {mask_min}, "
                         f"{mask_max})")
    b, n, e = len(scenes), max([s.n for s in scenes] + [pad_to or 0]), scenes[0].prompt.shape[0]
    kind = np.zeros((b, n), np.int64)
    content = np.zeros((b, n, e), np.float32)
    size = np.zeros((b, n, 2), np.float32)
    size_known = np.zeros((b, n), bool)
    box = np.zeros((b, n, 4), np.float32)
    valid = np.zeros((b, n), bool)
    given = np.zeros((b, n), bool)
    mask = np.zeros((b, n), bool)
    prompt = np.zeros((b, e), np.float32)
    place = np.zeros((b, n, PLACE_DIM), np.float32)
    rel = np.zeros((b, n, n), np.int64)
    family = np.zeros((b,), np.int64)
    for i, s in enumerate(scenes):
        k = s.n
        if train and not s.box_known.all():
            missing = s.object_ids[int(np.flatnonzero(~s.box_known)[0])]
            raise ValueError(f"collate: scene {s.task_id} has no box for {missing!r} "
                             "(training needs complete layouts)")
        kind[i, :k], content[i, :k], size[i, :k] = s.kind, s.content, s.size
        size_known[i, :k], box[i, :k], given[i, :k] = s.size_known, s.box, s.given
        valid[i, :k] = True
        prompt[i] = s.prompt
        if s.place is not None:
            place[i, :k] = s.place
        if s.rel is not None:
            rel[i, :k, :k] = s.rel
        family[i] = s.family
        free = np.flatnonzero(~s.given)
        if not train:
            mask[i, free] = True
        elif len(free):
            top = len(free) if mask_max is None else min(mask_max, len(free))
            count = int(rng.integers(min(mask_min, top), top + 1))
            mask[i, rng.choice(free, size=count, replace=False)] = True
    if train and augment is not None:
        _augment(box, size, valid, mask, rng, augment)
    # the true boxes before context jitter: where the placement head's anchors really are
    anchor = box.copy() if train else np.zeros_like(box)
    if train and augment is not None and augment.jitter > 0:
        _jitter(box, valid, mask, rng, augment.jitter)
    if not train:
        box[mask] = 0.0  # a test task's reference boxes never reach the model
    out = {"kind": kind, "content": content, "size": size, "size_known": size_known,
           "box": box, "valid": valid, "given": given, "mask": mask, "prompt": prompt,
           "place": place, "rel": rel, "family": family, "anchor": anchor}
    batch = {k: torch.from_numpy(out[k]) for k in BATCH_KEYS}
    if image is not None:
        batch.update(image_batch([s.frame for s in scenes], image, anchor, mask & valid, rng,
                                 train, augment.color_jitter if augment is not None else 0.0))
    return batch


def _augment(box: np.ndarray, size: np.ndarray, valid: np.ndarray, mask: np.ndarray,
             rng: np.random.Generator, cfg: AugmentConfig) -> None:
    """In place: per-scene scale and flip of every box (:func:`_jitter` comes after)."""
    b = box.shape[0]
    if cfg.scale > 0:
        s = rng.uniform(1 - cfg.scale, 1 + cfg.scale, size=(b, 1, 1)).astype(np.float32)
        box *= s
        size *= s
    if cfg.hflip:
        flip = rng.random(b) < 0.5
        box[flip, :, 0] *= -1
    box *= valid[..., None]  # padding stays zero
    size *= valid[..., None]


def _jitter(box: np.ndarray, valid: np.ndarray, mask: np.ndarray, rng: np.random.Generator,
            std: float) -> None:
    """In place: Gaussian noise on the centres of context objects (the position perturbation
    augmentation); masked objects and padding keep theirs."""
    noise = rng.normal(0.0, std, size=box[..., :2].shape).astype(np.float32)
    box[..., :2] += noise * (valid & ~mask)[..., None]
