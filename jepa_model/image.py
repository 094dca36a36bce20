"""Optional image branch: one extra scene token computed from a rendered frame.

Two kinds, chosen by :class:`~jepa_model.config.ImageConfig`:

* ``ijepa_vit`` — a small ViT trained from scratch, I-JEPA style.  Batch keys: ``image``
  float [B, 3, H, W] (the full frame), ``image_ctx`` bool [B, P] (patches the context encoder may
  see: the collator's context block minus the target blocks minus the patches under masked
  objects, see :mod:`jepa_model.masks`) and ``image_tgt`` bool [B, P] (target-block patches whose
  target-encoder latents the predictor must produce).  The context encoder attends only among
  ``image_ctx`` patches; the target encoder (the EMA copy) sees every patch.
* ``clip`` — a CLIP vision tower loaded from a local directory (never downloaded).  Batch keys:
  ``image_context`` (a frame rendered with the context objects only, CLIP-normalised, at the
  tower's resolution) for the context encoder and ``image`` (the full frame) for the target
  encoder.  Frozen by default.

Why a token and not patch tokens in the scene encoder: the object set stays the unit of
prediction, and the scene encoder's cost does not grow with the image resolution.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from benchmark.core.compat import ensure_torchvision
from jepa_model.config import ConfigError, ImageConfig
from jepa_model.encoder import Transformer

__all__ = ["CLIPBranch", "ImageBranch", "PatchPredictorIO", "ViTBranch", "build_image_branch"]

ImageOut = tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]
"""(pooled token [B, d_model], patch latents [B, P, dim] or None, patch keep [B, P] or None)."""


class ImageBranch(nn.Module):
    """Common interface: ``forward(batch, context) -> (token, patches, patch_keep)``."""

    def forward(self, batch: dict[str, torch.Tensor], context: bool) -> ImageOut:
        raise NotImplementedError


class ViTBranch(ImageBranch):
    """Patchify → learned position embedding → pre-norm blocks → masked mean pool → token."""

    def __init__(self, cfg: ImageConfig, d_model: int) -> None:
        super().__init__()
        gh, gw = cfg.grid
        self.patch_embed = nn.Conv2d(3, cfg.dim, cfg.patch_size, cfg.patch_size)
        self.pos_embed = nn.Parameter(torch.zeros(gh * gw, cfg.dim))
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        self.body = Transformer(cfg.dim, cfg.depth, cfg.heads, 4.0)
        self.to_token = nn.Linear(cfg.dim, d_model)

    def forward(self, batch: dict[str, torch.Tensor], context: bool) -> ImageOut:
        x = self.patch_embed(batch["image"]).flatten(2).transpose(1, 2) + self.pos_embed
        if context:
            keep = batch["image_ctx"]
        else:
            keep = torch.ones(x.shape[:2], dtype=torch.bool, device=x.device)
        h = self.body(x, keep)
        w = keep.unsqueeze(-1).to(h.dtype)
        pooled = (h * w).sum(1) / w.sum(1).clamp(min=1.0)
        return self.to_token(pooled), h, keep


class CLIPBranch(ImageBranch):
    """A local pretrained CLIP vision tower; its pooled output, projected, is the token."""

    def __init__(self, cfg: ImageConfig, d_model: int) -> None:
        super().__init__()
        self.vision = load_clip_vision(str(cfg.clip_path))
        if cfg.freeze_clip:
            self.vision.requires_grad_(False)
        self.to_token = nn.Linear(self.vision.config.hidden_size, d_model)

    def forward(self, batch: dict[str, torch.Tensor], context: bool) -> ImageOut:
        key = "image_context" if context else "image"
        if key not in batch:
            raise KeyError(f"the clip image branch needs batch[{key!r}]")
        pooled = self.vision(pixel_values=batch[key]).pooler_output
        return self.to_token(pooled), None, None


def load_clip_vision(path: str) -> nn.Module:
    """``CLIPVisionModel.from_pretrained(path, local_files_only=True)`` with a one-line
    :class:`ConfigError` naming the path when the directory or its weights are missing."""
    where = Path(path)
    if not (where / "config.json").is_file():
        raise ConfigError(f"model.image.clip_path: no CLIP vision model at {path} "
                          f"(config.json missing; weights are never downloaded)")
    ensure_torchvision()  # transformers' vision code imports torchvision (CUDA wheel on CPU)
    from transformers import CLIPVisionModel  # heavy import, only when the branch is used

    try:
        return CLIPVisionModel.from_pretrained(path, local_files_only=True)
    except (OSError, ValueError, RuntimeError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ConfigError(f"model.image.clip_path: cannot load CLIP vision weights from "
                          f"{path} ({first})") from exc


def build_image_branch(cfg: ImageConfig, d_model: int) -> ImageBranch:
    """The branch named by ``cfg.kind``."""
    if cfg.kind == "clip":
        return CLIPBranch(cfg, d_model)
    return ViTBranch(cfg, d_model)


class PatchPredictorIO(nn.Module):
    """The predictor's side of the I-JEPA image objective.

    Turns the context ViT's patch latents into predictor tokens (plus a predictor position
    embedding), puts a mask token at each target patch, and maps the predictor's outputs at
    those patches back to the ViT width, where they are compared with the target encoder's
    layer-normed patch latents.
    """

    def __init__(self, cfg: ImageConfig, predictor_dim: int) -> None:
        super().__init__()
        gh, gw = cfg.grid
        self.inp = nn.Linear(cfg.dim, predictor_dim)
        self.pos = nn.Parameter(torch.zeros(gh * gw, predictor_dim))
        self.mask_token = nn.Parameter(torch.zeros(predictor_dim))
        nn.init.trunc_normal_(self.pos, std=0.02)
        nn.init.trunc_normal_(self.mask_token, std=0.02)
        self.out = nn.Linear(predictor_dim, cfg.dim)

    def tokens(self, patches: torch.Tensor, ctx: torch.Tensor,
               tgt: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(predictor tokens [B, P, p], keep [B, P]) for context and target patches."""
        x = torch.where(tgt.unsqueeze(-1), self.mask_token, self.inp(patches)) + self.pos
        return x, ctx | tgt

    def project(self, y: torch.Tensor) -> torch.Tensor:
        """Predictor outputs at patches → ViT latent width."""
        return self.out(y)
