"""Training's validation: the layout predicted with every non-given object masked.

``val_miou`` is the benchmark's own ``miou`` (mean padded IoU per scene over the
masked objects, :func:`benchmark.core.geometry.mean_padded_iou`, averaged over
scenes), so training's number and the benchmark's are the same quantity.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from benchmark.core.geometry import mean_padded_iou
from jepa_model.data import collate
from jepa_model.features import denormalize_box
from jepa_model.model import JEPA

__all__ = ["evaluate", "to_device", "validation_batches"]


def to_device(batch: dict[str, torch.Tensor], device: torch.device) -> dict[str, torch.Tensor]:
    """The batch's tensors on ``device`` (asynchronously from pinned memory)."""
    return {k: v.to(device, non_blocking=True) for k, v in batch.items()}


@torch.no_grad()
def evaluate(model: JEPA, batches: list[dict[str, torch.Tensor]],
             device: torch.device) -> dict[str, float]:
    """Validation with every non-given object masked (the inference setting); each batch
    carries the true boxes as ``target_box``.

    ``val_loss_box`` is the box MSE (normalised units) over all masked objects.
    ``val_miou`` is the benchmark's ``miou``: per scene, the mean padded IoU
    (:func:`benchmark.core.geometry.mean_padded_iou`) of the masked objects' predicted boxes
    against their true boxes in scene units, then the mean over the scenes (the benchmark
    averages per task, then over tasks).
    """
    model.eval()
    losses, n = 0.0, 0
    scores: list[float] = []
    for batch in batches:
        b = to_device({k: v for k, v in batch.items() if k != "target_box"}, device)
        target = batch["target_box"].to(device)  # the inference batch hides masked boxes
        pred = model.predict(b)
        m = b["mask"] & b["valid"]
        losses += float(((pred[m].float() - target[m]) ** 2).mean(-1).sum())
        n += int(m.sum())
        scores += _scene_mious(pred.float().cpu().numpy(), target.cpu().numpy(),
                               m.cpu().numpy())
    model.train()
    miou = float(sum(scores) / max(len(scores), 1))
    return {"val_loss_box": losses / max(n, 1), "val_miou": miou}


def _scene_mious(pred: np.ndarray, target: np.ndarray, mask: np.ndarray) -> list[float]:
    """The benchmark's miou of each scene that has a masked object ([B, N, 4] normalised
    boxes, [B, N] mask)."""
    out = []
    for p, t, m in zip(pred, target, mask, strict=True):
        idx = np.flatnonzero(m)
        if len(idx):
            out.append(mean_padded_iou({str(i): denormalize_box(p[i]) for i in idx},
                                       {str(i): denormalize_box(t[i]) for i in idx}))
    return out


def validation_batches(scenes: list[Any], bs: int, image: Any = None
                       ) -> list[dict[str, torch.Tensor]]:
    """Inference batches of ``scenes`` (every free object masked, boxes hidden; with an image
    branch, the empty frame) carrying the true boxes as ``target_box``."""
    rng = np.random.default_rng(0)
    out = []
    for i in range(0, len(scenes), bs):
        part = scenes[i:i + bs]
        batch = collate(part, rng, train=False, image=image)
        target = torch.zeros_like(batch["box"])
        for j, s in enumerate(part):
            target[j, : s.n] = torch.from_numpy(s.box)
        out.append({**batch, "target_box": target})
    return out
