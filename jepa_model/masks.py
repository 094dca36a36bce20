"""Block masks for the image branch, sampled on the collator side as in I-JEPA's multiblock
collator (``src/masks/multiblock.py``).

Per image: ``n_pred_blocks`` target rectangles (scale ``pred_scale`` of the patch grid, aspect
ratio in ``pred_aspect``) whose latents the predictor must produce, and one large context block
(scale ``context_scale``, square) minus the target rectangles, which is all the context encoder
sees.  :func:`patches_covering` lets the collator also hide the patches under the objects whose
positions are masked, so the rendered frame cannot leak the layout being predicted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from jepa_model.config import ImageConfig

__all__ = ["BlockMasks", "patches_covering", "sample_block_masks"]


@dataclass(frozen=True)
class BlockMasks:
    """Boolean patch masks for one image: ``context`` [Gh, Gw], ``targets`` [n_pred, Gh, Gw]."""

    context: torch.Tensor
    targets: torch.Tensor

    def flat(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(context [P], union of targets [P]) as the batch keys ``image_ctx``/``image_tgt``."""
        return self.context.flatten(), self.targets.any(0).flatten()


def _block_size(grid: tuple[int, int], scale: tuple[float, float],
                aspect: tuple[float, float], gen: torch.Generator) -> tuple[int, int]:
    gh, gw = grid
    u = torch.rand(2, generator=gen).tolist()
    s = scale[0] + u[0] * (scale[1] - scale[0])
    area = gh * gw * s
    ar = math.exp(math.log(aspect[0]) + u[1] * (math.log(aspect[1]) - math.log(aspect[0])))
    h = max(1, min(gh, round(math.sqrt(area * ar))))
    w = max(1, min(gw, round(math.sqrt(area / ar))))
    return h, w


def _place(grid: tuple[int, int], size: tuple[int, int], gen: torch.Generator) -> torch.Tensor:
    gh, gw = grid
    h, w = size
    top = int(torch.randint(0, gh - h + 1, (1,), generator=gen))
    left = int(torch.randint(0, gw - w + 1, (1,), generator=gen))
    m = torch.zeros(gh, gw, dtype=torch.bool)
    m[top:top + h, left:left + w] = True
    return m


def sample_block_masks(cfg: ImageConfig, gen: torch.Generator, tries: int = 20) -> BlockMasks:
    """Sample I-JEPA multiblock masks for one image.

    The context keeps at least ``cfg.min_keep`` patches: the sample is retried, and the last
    resort drops target blocks until enough context is left.
    """
    grid = cfg.grid
    targets = torch.stack([_place(grid, _block_size(grid, cfg.pred_scale, cfg.pred_aspect, gen),
                                  gen) for _ in range(cfg.n_pred_blocks)])
    covered = targets.any(0)
    context = covered
    for _ in range(tries):
        block = _place(grid, _block_size(grid, cfg.context_scale, (1.0, 1.0), gen), gen)
        context = block & ~covered
        if int(context.sum()) >= cfg.min_keep:
            return BlockMasks(context=context, targets=targets)
    if int((~covered).sum()) >= cfg.min_keep:  # everything outside the targets
        return BlockMasks(context=~covered, targets=targets)
    return BlockMasks(context=torch.ones(grid, dtype=torch.bool),  # grid too small: no targets
                      targets=torch.zeros_like(targets))


def patches_covering(boxes: torch.Tensor, grid: tuple[int, int]) -> torch.Tensor:
    """Patches [Gh, Gw] touched by any of ``boxes`` [M, 4] given in the batch's normalised
    layout (cx/(W/2), cy/(H/2) in [-1, 1] with y up; w/W, h/H)."""
    gh, gw = grid
    out = torch.zeros(gh, gw, dtype=torch.bool)
    for cx, cy, w, h in boxes.tolist():
        x0, x1 = (cx + 1) / 2 - w / 2, (cx + 1) / 2 + w / 2  # [0, 1] from the left
        y0, y1 = (1 - cy) / 2 - h / 2, (1 - cy) / 2 + h / 2  # [0, 1] from the top
        c0, c1 = max(0, math.floor(x0 * gw)), min(gw, math.ceil(x1 * gw))
        r0, r1 = max(0, math.floor(y0 * gh)), min(gh, math.ceil(y1 * gh))
        if c1 > c0 and r1 > r0:
            out[r0:r1, c0:c1] = True
    return out
