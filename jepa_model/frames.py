"""Rendered frames for the optional image branch (``model.image``).

Training: every training task's reference code is rendered by the benchmark's own sandbox and
trusted rasteriser, directly at the branch's resolution (``image_height`` × ``image_width``),
and kept as uint8 RGB next to the featurised scenes (one ``.npz`` per cache block or pack), so a
frame is drawn once.  A task without reference code, or whose render fails, gets a black frame
(the background) and is counted.

Batches (:func:`image_batch`, called by the collator):

* ``ijepa_vit`` — ``image`` float [B, 3, H, W] in [-1, 1]; ``image_ctx`` / ``image_tgt`` bool
  [B, P]: I-JEPA multiblock masks (:mod:`jepa_model.masks`), with every patch under an object
  whose position is masked removed from the context, so the frame cannot leak the layout being
  predicted.
* ``clip`` — ``image`` (the full frame, CLIP-normalised) for the target encoder and
  ``image_context`` (the same frame with the masked objects' boxes painted over with the
  background) for the context encoder.

Inference has no frame of the scene being laid out (that is what the model predicts): the
frame is the empty background, every patch context, no targets — the same thing the context
encoder sees in training when every object is masked.  Training-time colour jitter
(``data.augment.color_jitter``) scales each frame's brightness and contrast.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from benchmark.render import Renderer
from benchmark.sandbox import SandboxConfig, Status
from jepa_model.config import ImageConfig

if TYPE_CHECKING:
    import torch

    from benchmark.core.tasks import Task

__all__ = ["CLIP_MEAN", "CLIP_STD", "image_batch", "render_frames"]

CLIP_MEAN = np.array([0.48145466, 0.4578275, 0.40821073], np.float32)
CLIP_STD = np.array([0.26862954, 0.26130258, 0.27577711], np.float32)


def render_frames(tasks: Sequence[Task], height: int, width: int, jobs: int = 2
                  ) -> tuple[np.ndarray, int]:
    """(frames uint8 [n, height, width, 3], how many are black because they could not be
    drawn): each task's reference code rendered in the sandbox at that size."""
    frames = np.zeros((len(tasks), height, width, 3), np.uint8)
    todo = [i for i, t in enumerate(tasks) if t.reference.code]
    failed = len(tasks) - len(todo)
    if todo:
        with Renderer(SandboxConfig(namespace="jepa-frames"), jobs=jobs, width=width,
                      height=height) as r:
            reports = r.render_many([tasks[i].reference.code or "" for i in todo])
        for i, rep in zip(todo, reports, strict=True):
            if rep.status is Status.OK and rep.frame is not None:
                frames[i] = rep.frame[..., :3]
            else:
                failed += 1
    return frames, failed


def image_batch(frames: Sequence[np.ndarray | None], cfg: ImageConfig, box: np.ndarray,
                mask: np.ndarray, rng: np.random.Generator, train: bool,
                color_jitter: float = 0.0) -> dict[str, torch.Tensor]:
    """The image keys of one batch (module docstring); ``box``/``mask`` are the collator's
    [B, N, 4] true boxes and [B, N] masked objects."""
    import torch

    # masks imports torch: deferred so that jepa_model.data (and `--model jepa`) import
    # without it
    from jepa_model.masks import patches_covering, sample_block_masks

    b, h, w = len(frames), cfg.image_height, cfg.image_width
    x = np.zeros((b, h, w, 3), np.float32)
    for i, f in enumerate(frames):
        if f is not None and train:  # inference: the empty background
            if f.shape[:2] != (h, w):
                raise ValueError(f"frame of {f.shape[1]}x{f.shape[0]} pixels for an image "
                                 f"branch of {w}x{h}")
            x[i] = f.astype(np.float32) / 255.0
    if train and color_jitter > 0:
        bright = rng.uniform(1 - color_jitter, 1 + color_jitter, (b, 1, 1, 1))
        contrast = rng.uniform(1 - color_jitter, 1 + color_jitter, (b, 1, 1, 1))
        mean = x.mean(axis=(1, 2, 3), keepdims=True)
        x = np.clip(((x - mean) * contrast + mean) * bright, 0.0, 1.0).astype(np.float32)
    if cfg.kind == "clip":
        ctx = x.copy()
        if train:
            for i in range(b):
                for rows, cols in (_pixels(r, h, w) for r in box[i][mask[i]]):
                    ctx[i, rows, cols] = 0.0  # the background, over each masked object

        def clip(a: np.ndarray) -> torch.Tensor:
            return torch.from_numpy((a - CLIP_MEAN) / CLIP_STD).permute(0, 3, 1, 2).contiguous()

        return {"image": clip(x), "image_context": clip(ctx)}
    gh, gw = cfg.grid
    image_ctx = torch.ones(b, gh * gw, dtype=torch.bool)
    image_tgt = torch.zeros(b, gh * gw, dtype=torch.bool)
    if train:
        for i in range(b):
            gen = torch.Generator().manual_seed(int(rng.integers(2**31)))
            m = sample_block_masks(cfg, gen)
            hidden = patches_covering(torch.from_numpy(box[i][mask[i]]), cfg.grid)
            context = (m.context & ~hidden).flatten()
            if not context.any():  # masked objects cover the whole context: as at inference
                x[i] = 0.0
                continue
            image_ctx[i] = context
            image_tgt[i] = m.targets.any(0).flatten()
    image = torch.from_numpy((x - 0.5) / 0.5).permute(0, 3, 1, 2).contiguous()
    return {"image": image, "image_ctx": image_ctx, "image_tgt": image_tgt}


def _pixels(row: np.ndarray, h: int, w: int) -> tuple[slice, slice]:
    """The pixel rows and columns of a normalised (cx, cy, w, h) box in an h × w frame."""
    cx, cy, bw, bh = (float(v) for v in row)
    c0, c1 = (cx + 1) / 2 - bw / 2, (cx + 1) / 2 + bw / 2
    r0, r1 = (1 - cy) / 2 - bh / 2, (1 - cy) / 2 + bh / 2
    return (slice(max(0, int(r0 * h)), max(0, int(np.ceil(r1 * h)))),
            slice(max(0, int(c0 * w)), max(0, int(np.ceil(c1 * w)))))
