"""The layout JEPA: context encoder, EMA target encoder, narrow predictor, layout head.

Training step (``objective="jepa"``), following I-JEPA:

1. The *context encoder* encodes the scene with the positions of the masked objects (``mask``)
   replaced by a mask embedding.
2. The *predictor* (narrow) reads the context encoder's outputs, with a mask token added at the
   masked objects, and predicts the *target encoder*'s latents there.
3. The *target encoder* — a deep copy of the context encoder that receives no gradients and is
   moved only by :meth:`JEPA.ema_update` — encodes the full layout; its outputs, layer-normed,
   are the targets of a smooth-L1 (or MSE) latent loss on masked objects only.
4. A *layout head* decodes a box and kind logits from each predicted latent (MSE + cross-entropy
   on masked objects), which grounds the latents in geometry and is what inference uses.
   With ``placement`` on, a *placement head* (:mod:`jepa_model.placement`) also decodes each
   centre as a Manim placement (anchor, edges, gap) from the predicted latents, and inference
   takes its centres.

``objective="supervised"`` is the ablation: same context encoder, predictor and head, no target
encoder and no latent loss.  At inference (:meth:`JEPA.predict`) every object whose position is
not given is masked; the target encoder is not used.
"""

from __future__ import annotations

import copy
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from benchmark.core.frame import FRAME_HALF_HEIGHT, FRAME_HALF_WIDTH, FRAME_HEIGHT, FRAME_WIDTH
from jepa_model.config import ModelConfig
from jepa_model.encoder import MLP, Predictor, Transformer
from jepa_model.image import ImageBranch, PatchPredictorIO, build_image_branch
from jepa_model.placement import PlacementHead
from jepa_model.structure import N_RELATION_TYPES
from jepa_model.tokens import ObjectTokenizer

__all__ = ["CENTER_BOUND", "JEPA", "SIZE_BOUND", "EncoderOut", "LayoutHead", "SceneEncoder",
           "box_iou", "generalized_iou", "momentum_schedule", "parameter_groups"]

CENTER_BOUND = 1.25
"""Predicted centres lie in (-1.25, 1.25) frame half-widths: in frame plus a little overhang."""
SIZE_BOUND = 1.25
"""Predicted sizes lie in (0, 1.25) frame widths/heights."""


class EncoderOut(NamedTuple):
    """Scene encoder output: tokens are [prompt, N objects, image token (if any)]."""

    h: torch.Tensor
    keep: torch.Tensor
    patches: torch.Tensor | None
    patch_keep: torch.Tensor | None


class SceneEncoder(nn.Module):
    """Tokenizer (+ image branch) + pre-norm transformer: the unit that the EMA copies."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.tokenizer = ObjectTokenizer(cfg)
        self.image: ImageBranch | None = (build_image_branch(cfg.image, cfg.d_model)
                                          if cfg.image is not None else None)
        self.body = Transformer(cfg.d_model, cfg.depth, cfg.heads, cfg.mlp_ratio, cfg.dropout)
        self.relations: nn.Embedding | None = None
        if cfg.structure:
            self.relations = nn.Embedding(N_RELATION_TYPES, cfg.heads)
            nn.init.zeros_(self.relations.weight)

    def forward(self, batch: dict[str, torch.Tensor], hide: torch.Tensor,
                context: bool) -> EncoderOut:
        """Encode the scene with the positions of ``hide`` [B, N] masked."""
        x, keep = self.tokenizer(batch, hide)
        patches = patch_keep = None
        if self.image is not None:
            token, patches, patch_keep = self.image(batch, context)
            x = torch.cat([x, token.unsqueeze(1)], dim=1)
            keep = torch.cat([keep, torch.ones_like(keep[:, :1])], dim=1)
        bias = (relation_bias(batch["rel"], self.relations, x.shape[1])
                if self.relations is not None and "rel" in batch else None)
        return EncoderOut(self.body(x, keep, bias), keep, patches, patch_keep)


def relation_bias(rel: torch.Tensor, table: nn.Embedding, size: int) -> torch.Tensor:
    """[B, N, N] relation types → an attention bias [B, heads, size, size]; the prompt token
    (index 0) and tokens after the objects get none."""
    b = table(rel.clamp(0, table.num_embeddings - 1)).permute(0, 3, 1, 2)  # [B, h, N, N]
    n = rel.shape[-1]
    return F.pad(b, (1, size - n - 1, 1, size - n - 1))


class LayoutHead(nn.Module):
    """Latent → (box [.., 4] bounded to the normalised layout ranges, kind logits [.., K])."""

    def __init__(self, d_model: int, n_kinds: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(d_model)
        self.mlp = MLP(d_model, d_model, 4 + n_kinds)

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # in float32 even under bf16 autocast: bf16 would round a centre to ~0.03 scene units
        with torch.autocast(z.device.type, enabled=False):
            out = self.mlp(self.norm(z.float()))
        center = CENTER_BOUND * torch.tanh(out[..., :2])
        size = SIZE_BOUND * torch.sigmoid(out[..., 2:4])
        return torch.cat([center, size], dim=-1), out[..., 4:]


_SCENE = (FRAME_HALF_WIDTH, FRAME_HALF_HEIGHT, FRAME_WIDTH, FRAME_HEIGHT)  # normalised → units


def generalized_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Generalised IoU of normalised (cx, cy, w, h) boxes [..., 4], measured in scene units
    (IoU minus the share of the enclosing box that neither covers); 1 for equal boxes."""
    s = a.new_tensor(_SCENE)
    a, b = a.float() * s, b.float() * s
    a0, a1 = a[..., :2] - a[..., 2:] / 2, a[..., :2] + a[..., 2:] / 2
    b0, b1 = b[..., :2] - b[..., 2:] / 2, b[..., :2] + b[..., 2:] / 2
    inter = (torch.minimum(a1, b1) - torch.maximum(a0, b0)).clamp(min=0).prod(-1)
    union = a[..., 2:].prod(-1) + b[..., 2:].prod(-1) - inter
    hull = (torch.maximum(a1, b1) - torch.minimum(a0, b0)).prod(-1)
    union, hull = union.clamp(min=1e-9), hull.clamp(min=1e-9)
    return inter / union - (hull - union) / hull


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Plain IoU of normalised (cx, cy, w, h) boxes in scene units (the frame's aspect kept);
    the probe's measure.  Not the benchmark's ``miou``, which pads thin boxes
    (:func:`benchmark.core.geometry.mean_padded_iou`)."""
    scale = a.new_tensor([FRAME_WIDTH / 2, FRAME_HEIGHT / 2, FRAME_WIDTH, FRAME_HEIGHT])
    a, b = a * scale, b * scale

    def corners(x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return (x[..., 0] - x[..., 2] / 2, x[..., 1] - x[..., 3] / 2,
                x[..., 0] + x[..., 2] / 2, x[..., 1] + x[..., 3] / 2)

    ax0, ay0, ax1, ay1 = corners(a)
    bx0, by0, bx1, by1 = corners(b)
    iw = (torch.minimum(ax1, bx1) - torch.maximum(ax0, bx0)).clamp(min=0)
    ih = (torch.minimum(ay1, by1) - torch.maximum(ay0, by0)).clamp(min=0)
    inter = iw * ih
    union = (ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - inter
    return inter / union.clamp(min=1e-9)


def momentum_schedule(step: int, total: int, start: float = 0.996, end: float = 1.0) -> float:
    """EMA momentum at ``step`` of ``total``: I-JEPA's linear rise from ``start`` to ``end``."""
    if total <= 0:
        return end
    return start + (end - start) * min(max(step, 0), total) / total


def _masked_mean(values: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Mean of ``values`` where ``weight`` is set; 0 (with a gradient path) when nothing is."""
    w = weight.to(values.dtype)
    return (values * w).sum() / w.sum().clamp(min=1.0)


def _latent_error(pred: torch.Tensor, target: torch.Tensor, kind: str) -> torch.Tensor:
    """Per-element latent loss against layer-normed targets."""
    target = F.layer_norm(target.float(), (target.shape[-1],))
    if kind == "mse":
        return (pred.float() - target).pow(2)
    return F.smooth_l1_loss(pred.float(), target, reduction="none")


class JEPA(nn.Module):
    """The whole model; ``forward(batch)`` returns the losses and predictions (see module doc)."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.context_encoder = SceneEncoder(cfg)
        self.predictor = Predictor(cfg.d_model, cfg.predictor_dim, cfg.predictor_depth,
                                   cfg.predictor_heads, cfg.mlp_ratio, cfg.dropout)
        self.head = LayoutHead(cfg.d_model, cfg.n_kinds)
        self.placement: PlacementHead | None = (
            PlacementHead(cfg.d_model, cfg.placement_dim, N_RELATION_TYPES)
            if cfg.placement else None)
        self.predictor_relations: nn.Embedding | None = None
        if cfg.structure:
            self.predictor_relations = nn.Embedding(N_RELATION_TYPES, cfg.predictor_heads)
            nn.init.zeros_(self.predictor_relations.weight)
        self.target_encoder: SceneEncoder | None = None
        self.patch_io: PatchPredictorIO | None = None
        if cfg.objective == "jepa":
            self.target_encoder = copy.deepcopy(self.context_encoder).requires_grad_(False)
            if cfg.image is not None and cfg.image.kind == "ijepa_vit":
                self.patch_io = PatchPredictorIO(cfg.image, cfg.predictor_dim)

    def train(self, mode: bool = True) -> JEPA:
        """The target encoder always runs in eval mode (no dropout on the targets)."""
        super().train(mode)
        if self.target_encoder is not None:
            self.target_encoder.eval()
        return self

    def _predict(self, batch: dict[str, torch.Tensor], mask: torch.Tensor
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """(predicted object latents [B, N, d], predictor outputs at patches or None, context
        patch latents or None) with the positions of ``mask`` hidden from the encoder."""
        n = mask.shape[1]
        ctx = self.context_encoder(batch, hide=mask, context=True)
        query = torch.zeros_like(ctx.keep)
        query[:, 1:n + 1] = mask
        extra = None
        if self.patch_io is not None and ctx.patches is not None:
            extra = self.patch_io.tokens(ctx.patches, batch["image_ctx"], batch["image_tgt"])
        bias = (relation_bias(batch["rel"], self.predictor_relations, ctx.h.shape[1])
                if self.predictor_relations is not None and "rel" in batch else None)
        y = self.predictor(ctx.h, ctx.keep, query, extra, bias)
        z = self.predictor.project(y[:, 1:n + 1])
        y_patches = y[:, ctx.h.shape[1]:] if extra is not None else None
        return z, y_patches, ctx.patches

    def forward(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Losses (``loss``, ``loss_latent``, ``loss_box``, ``loss_kind`` and, with the ViT
        image branch, ``loss_image``) and predictions (``pred_box`` [B, N, 4], ``kind_logits``
        [B, N, K], ``latent`` [B, N, d]).  Only objects in ``mask & valid`` enter the losses."""
        cfg = self.cfg
        mask = batch["mask"] & batch["valid"]
        z, y_patches, _ = self._predict(batch, mask)
        pred_box, kind_logits = self.head(z)
        # Boxes outside the mask may be garbage (even NaN): zero them before they meet a gradient.
        target_box = torch.where(mask.unsqueeze(-1), batch["box"].float(), 0.0)
        if cfg.box_loss == "l1_giou":
            per = ((pred_box - target_box).abs().mean(-1)
                   + cfg.giou_loss_weight * (1.0 - generalized_iou(pred_box, target_box)))
        else:
            per = (pred_box - target_box).pow(2).mean(-1)
        loss_box = _masked_mean(per, mask)
        kind = torch.where(mask, batch["kind"], 0).clamp(0, cfg.n_kinds - 1)
        ce = F.cross_entropy(kind_logits.flatten(0, 1), kind.flatten(), reduction="none")
        loss_kind = _masked_mean(ce.view_as(kind), mask)
        loss = cfg.box_loss_weight * loss_box + cfg.kind_loss_weight * loss_kind
        loss_latent = torch.zeros((), device=z.device)
        out: dict[str, torch.Tensor] = {}
        if self.target_encoder is not None:
            with torch.no_grad():
                tgt = self.target_encoder(batch, hide=torch.zeros_like(mask), context=False)
            n = mask.shape[1]
            err = _latent_error(z, tgt.h[:, 1:n + 1], cfg.latent_loss).mean(-1)
            loss_latent = _masked_mean(err, mask)
            loss = loss + cfg.latent_loss_weight * loss_latent
            if self.patch_io is not None and y_patches is not None and tgt.patches is not None:
                assert cfg.image is not None
                perr = _latent_error(self.patch_io.project(y_patches), tgt.patches,
                                     cfg.latent_loss).mean(-1)
                out["loss_image"] = _masked_mean(perr, batch["image_tgt"])
                loss = loss + cfg.image.image_loss_weight * out["loss_image"]
        loss_place = torch.zeros((), device=z.device)
        if self.placement is not None:
            anchors = batch.get("anchor", batch["box"])  # true boxes, before context jitter
            loss_place = self.placement.loss(z, batch.get("rel"), anchors, batch["valid"], mask)
            loss = loss + cfg.placement_loss_weight * loss_place
        out.update(loss=loss, loss_latent=loss_latent, loss_box=loss_box, loss_kind=loss_kind,
                   loss_place=loss_place, pred_box=pred_box, kind_logits=kind_logits, latent=z)
        return out

    @torch.no_grad()
    def predict(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Inference layout [B, N, 4]: predicted boxes for the objects to place (``mask`` if
        the batch has one, else every valid object that is not ``given``), the batch's boxes
        for the others, zeros for padding.  The target encoder is not used."""
        valid = batch["valid"]
        given = batch["given"] & valid
        mask = batch["mask"] & valid if "mask" in batch else valid & ~given
        z, _, _ = self._predict(batch, mask)
        pred_box, _ = self.head(z)
        context_box = torch.where((valid & ~mask).unsqueeze(-1), batch["box"].float(), 0.0)
        boxes = torch.where(mask.unsqueeze(-1), pred_box, context_box)
        if self.placement is None:
            return boxes
        # sizes: the intrinsic size where it is known (what the composer keeps), else the head's
        known = (mask & batch["size_known"]).unsqueeze(-1)
        sizes = torch.where(known, batch["size"].float(), boxes[..., 2:])
        boxes = torch.cat([boxes[..., :2], sizes], dim=-1)
        return self.placement.decode(z, batch.get("rel"), boxes, valid, mask)

    @torch.no_grad()
    def ema_update(self, momentum: float) -> None:
        """target ← momentum · target + (1 − momentum) · context, parameter by parameter (the
        only way the target encoder's weights change).  Buffers are copied."""
        if self.target_encoder is None:
            return
        tgt = [p for p in self.target_encoder.parameters()]
        src = [p.detach() for p in self.context_encoder.parameters()]
        torch._foreach_mul_(tgt, momentum)
        torch._foreach_add_(tgt, src, alpha=1.0 - momentum)
        for bt, bc in zip(self.target_encoder.buffers(), self.context_encoder.buffers(),
                          strict=True):
            bt.copy_(bc)

    def num_parameters(self, trainable_only: bool = True) -> int:
        """Parameter count; by default the trainable ones (the target encoder excluded)."""
        return sum(p.numel() for p in self.parameters()
                   if p.requires_grad or not trainable_only)


def parameter_groups(model: nn.Module, weight_decay: float) -> list[dict[str, object]]:
    """AdamW groups: weight decay on matrices only (not biases, norms, embeddings-as-vectors),
    frozen parameters (the target encoder) left out."""
    decay, no_decay = [], []
    for p in model.parameters():
        if p.requires_grad:
            (decay if p.ndim >= 2 else no_decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay},
            {"params": no_decay, "weight_decay": 0.0}]
