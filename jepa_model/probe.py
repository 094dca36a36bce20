"""Does the representation know where things are?  A linear probe of the latents.

The context encoder reads a scene with every free object masked (the inference
setting); a ridge-regression probe then maps each masked object's latent to its
true box.  Fitted on synthetic ``train`` scenes, scored on ``val``: R² of the
centre and size, mean centre error in scene units, and the probe's mean IoU —
next to the layout head's own numbers on the same objects.  Both mean IoUs are
the plain IoU pooled over all masked objects, a representation diagnostic, not
the benchmark's ``miou`` (padded IoU, per scene; training's ``val_miou``).  A high probe score
says the position is linearly present in the latent, not only recoverable by
the trained head.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from benchmark.core.frame import FRAME_HEIGHT, FRAME_WIDTH
from benchmark.core.text import EmbeddingCache, TextEncoder
from benchmark.suites import load_suite
from benchmark.suites.synthetic import generate_tasks
from jepa_model.checkpoint import load_checkpoint
from jepa_model.data import collate
from jepa_model.features import Featurizer
from jepa_model.model import box_iou

__all__ = ["ProbeReport", "probe"]

_SCALE = np.array([FRAME_WIDTH / 2, FRAME_HEIGHT / 2, FRAME_WIDTH, FRAME_HEIGHT])


@dataclass
class ProbeReport:
    checkpoint: str
    train_objects: int
    val_objects: int
    probe_r2_center: float
    probe_r2_size: float
    probe_center_error: float  # scene units, mean
    probe_miou: float
    head_center_error: float
    head_miou: float

    def to_json(self) -> dict[str, float | int | str]:
        return dict(self.__dict__)


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Plain IoU per object (normalised boxes): ``probe_miou`` and ``head_miou`` pool it
    over all masked objects; it is not the benchmark's ``miou`` (padded, per scene)."""
    return box_iou(torch.from_numpy(a).double(), torch.from_numpy(b).double()).numpy()


def _r2(pred: np.ndarray, true: np.ndarray) -> float:
    ss = ((true - true.mean(0)) ** 2).sum()
    return float(1 - ((pred - true) ** 2).sum() / max(ss, 1e-12))


@torch.no_grad()
def _latents(model: torch.nn.Module, scenes: list, batch_size: int = 64
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(latents, true boxes, head boxes) of every free object, all of them masked."""
    zs, boxes, heads = [], [], []
    rng = np.random.default_rng(0)
    for i in range(0, len(scenes), batch_size):
        part = scenes[i:i + batch_size]
        batch = collate(part, rng, train=False, image=model.cfg.image)
        mask = batch["mask"] & batch["valid"]
        ctx = model.context_encoder(batch, hide=mask, context=True)
        n = mask.shape[1]
        zs.append(ctx.h[:, 1:n + 1][mask].float().numpy())
        heads.append(model.predict(batch)[mask].float().numpy())
        truth = np.zeros((len(part), n, 4), np.float32)
        for j, s in enumerate(part):
            truth[j, : s.n] = s.box
        boxes.append(truth[mask.numpy()])
    return np.concatenate(zs), np.concatenate(boxes), np.concatenate(heads)


def probe(checkpoint: Path, n_train: int = 2000, n_val: int = 200,
          ridge: float = 1e-2) -> ProbeReport:
    model, config, _ = load_checkpoint(checkpoint)
    encoder = TextEncoder.load(config.data.text_encoder)
    featurizer = Featurizer(encoder, EmbeddingCache(encoder))
    train = featurizer.scenes(list(generate_tasks("train", 0, n_train)))
    val = featurizer.scenes(load_suite("synthetic", "val", limit=n_val).tasks)
    z_tr, y_tr, _ = _latents(model, train)
    z_va, y_va, head = _latents(model, val)
    mu, sd = z_tr.mean(0), z_tr.std(0) + 1e-6
    x_tr = np.hstack([(z_tr - mu) / sd, np.ones((len(z_tr), 1))])
    x_va = np.hstack([(z_va - mu) / sd, np.ones((len(z_va), 1))])
    reg = ridge * len(x_tr) * np.eye(x_tr.shape[1])
    reg[-1, -1] = 0.0
    w = np.linalg.solve(x_tr.T @ x_tr + reg, x_tr.T @ y_tr)
    pred = x_va @ w

    def centre_error(p: np.ndarray) -> float:
        d = (p[:, :2] - y_va[:, :2]) * _SCALE[:2]
        return float(np.hypot(d[:, 0], d[:, 1]).mean())

    return ProbeReport(
        checkpoint=str(checkpoint), train_objects=len(z_tr), val_objects=len(z_va),
        probe_r2_center=_r2(pred[:, :2], y_va[:, :2]), probe_r2_size=_r2(pred[:, 2:], y_va[:, 2:]),
        probe_center_error=centre_error(pred), probe_miou=float(_iou(pred, y_va).mean()),
        head_center_error=centre_error(head), head_miou=float(_iou(head, y_va).mean()))
