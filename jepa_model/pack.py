"""Training packs: featurised training and validation scenes in one folder that travels.

Featurising needs the text encoder (all-MiniLM-L6-v2, ~90 MB of weights) and the synthetic
generator; training needs neither.  ``python -m jepa_model pack --config C --out DIR`` does the
first part once, on any machine, and ``python -m jepa_model train --config C --data DIR`` trains
from the folder alone — e.g. on a GPU node that has torch but not the encoder weights.

Layout of a pack folder::

    manifest.json  format version, encoder id and dimension, features version, size-table
                   digest, what the scenes are (synthetic train range, 3b1b dev), counts
    train.npz      the training scenes (``jepa_model.data.save_scenes``, compact: float16
                   embeddings, compressed), with every task's held-out guard hashes
    val.npz        the validation scenes (synthetic ``val``, the first ``n_val``)
    frames.npz     with an image branch (``model.image``): each training scene's rendered
                   frame, uint8 (validation, like inference, uses the empty frame)

The held-out guard runs again when a pack is read, against this checkout's test and val
splits, so a pack cannot smuggle a held-out task into training.  A model trained from a pack
records the pack's encoder id; inference refuses a different encoder.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmark.suites import load_suite
from benchmark.suites.heldout import heldout_hashes, task_hashes
from jepa_model.config import Config
from jepa_model.data import (
    TrainingData,
    check_stored,
    load_scenes,
    save_scenes,
    sizes_digest,
)
from jepa_model.features import FEATURES_VERSION, SceneArrays, featurizer_for

__all__ = ["PACK_VERSION", "Pack", "PackError", "read_pack", "write_pack"]

PACK_VERSION = 1
MANIFEST = "manifest.json"


class PackError(ValueError):
    """A pack folder that cannot be used; the one-line message names the folder and why."""


@dataclass
class Pack:
    """A pack read back: training data, validation scenes and the manifest."""

    train: TrainingData
    val: list[SceneArrays]
    manifest: dict[str, Any]

    @property
    def encoder_id(self) -> str:
        return str(self.manifest["encoder_id"])

    @property
    def dim(self) -> int:
        return int(self.manifest["dim"])


def write_pack(cfg: Config, out: Path, n_val: int = 200,
               log: Callable[[str], Any] | None = None) -> dict[str, Any]:
    """Featurise ``cfg.data``'s training scenes and ``n_val`` val scenes into ``out``."""
    featurizer = featurizer_for(cfg)
    data = TrainingData.build(featurizer, cfg.data, log=log, image=cfg.model.image)
    val_tasks = load_suite("synthetic", "val", limit=n_val).tasks
    val = featurizer.scenes(val_tasks)
    out.mkdir(parents=True, exist_ok=True)
    assert data.hashes is not None  # built scenes always carry their guard hashes
    save_scenes(out / "train.npz", data.scenes, data.hashes, compact=True)
    save_scenes(out / "val.npz", val, [task_hashes(t) for t in val_tasks], compact=True)
    frames = None
    if cfg.model.image is not None:
        im = cfg.model.image
        blank = np.zeros((im.image_height, im.image_width, 3), np.uint8)
        with (out / "frames.npz").open("wb") as f:
            np.savez_compressed(f, frames=np.stack([s.frame if s.frame is not None else blank
                                                     for s in data.scenes]))
        frames = [im.image_height, im.image_width]
    manifest = {
        "format_version": PACK_VERSION,
        "encoder_id": featurizer.encoder.id,
        "dim": featurizer.dim,
        "features_version": FEATURES_VERSION,
        "sizes": sizes_digest(),
        "data": {"synthetic_start": cfg.data.synthetic_start,
                 "synthetic_n": cfg.data.synthetic_n, "threeb1b_dev": cfg.data.threeb1b_dev},
        "counts": {**data.counts, "train": len(data), "val": len(val)},
        "frames": frames,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n",
                                encoding="utf-8")
    return manifest


def read_pack(where: Path) -> Pack:
    """A pack folder, checked (format, features version, held-out guard); ``PackError``
    names what is wrong."""
    try:
        manifest = json.loads((where / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PackError(f"{where}: not a training pack ({MANIFEST} unreadable: "
                        f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
                        ) from None
    if not isinstance(manifest, dict) or manifest.get("format_version") != PACK_VERSION:
        raise PackError(f"{where}: pack format {manifest.get('format_version')!r} is not "
                        f"{PACK_VERSION}" if isinstance(manifest, dict)
                        else f"{where}: {MANIFEST} is not a JSON object")
    if manifest.get("features_version") != FEATURES_VERSION:
        raise PackError(f"{where}: made with features version "
                        f"{manifest.get('features_version')}, this code reads "
                        f"{FEATURES_VERSION}; make the pack again")
    heldout = heldout_hashes()
    parts = {}
    for name in ("train", "val"):
        path = where / f"{name}.npz"
        try:
            scenes, hashes = load_scenes(path)
        except (OSError, ValueError, KeyError) as exc:
            raise PackError(f"{path}: unreadable ({type(exc).__name__}: "
                            f"{str(exc).splitlines()[0] if str(exc) else ''})") from None
        if name == "train":
            check_stored(scenes, hashes, heldout, path)
        parts[name] = scenes
    if not parts["train"] or not parts["val"]:
        raise PackError(f"{where}: the pack has no training or no validation scenes")
    if (where / "frames.npz").is_file():
        try:
            with np.load(where / "frames.npz", allow_pickle=False) as z:
                frames = z["frames"]
        except (OSError, ValueError, KeyError) as exc:
            raise PackError(f"{where / 'frames.npz'}: unreadable ({type(exc).__name__})") from None
        if len(frames) != len(parts["train"]):
            raise PackError(f"{where}: {len(frames)} frames for {len(parts['train'])} scenes")
        for s, f in zip(parts["train"], frames, strict=True):
            s.frame = f
    counts = dict(manifest.get("counts", {}))
    return Pack(TrainingData(parts["train"], counts), parts["val"], manifest)
