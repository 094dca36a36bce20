"""Scene → tokens: one token per object plus a prompt token.

An object token is the sum of what is known about the object without its layout (kind
embedding, projected content embedding, an MLP of its intrinsic size) and, for a *context*
object, an MLP of its box.  An object whose position is hidden gets a learned mask embedding in
place of the position features, so nothing about its box can reach the encoder: the box values
are zeroed before the MLP and then discarded, which also keeps NaN/garbage boxes of unplaced
objects from producing NaN gradients.
"""

from __future__ import annotations

import torch
from torch import nn

from jepa_model.config import ModelConfig
from jepa_model.encoder import MLP
from jepa_model.structure import N_FAMILIES, PLACE_DIM

__all__ = ["ObjectTokenizer"]


class ObjectTokenizer(nn.Module):
    """Batch dict → (tokens [B, 1+N, d], keep [B, 1+N]); token 0 is the prompt."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        d = cfg.d_model
        self.n_kinds = cfg.n_kinds
        self.kind = nn.Embedding(cfg.n_kinds, d)
        self.content = nn.Linear(cfg.text_dim, d)
        self.size = MLP(3, d, d)
        self.position = MLP(4, d, d)
        self.mask_embedding = nn.Parameter(torch.zeros(d))
        self.prompt = nn.Linear(cfg.text_dim, d)
        self.structure = cfg.structure
        if cfg.structure:  # stated places and the family (jepa_model.structure)
            self.place = MLP(PLACE_DIM, d, d)
            self.family = nn.Embedding(N_FAMILIES, d)
            nn.init.normal_(self.family.weight, std=0.02)
        nn.init.normal_(self.kind.weight, std=0.02)
        nn.init.trunc_normal_(self.mask_embedding, std=0.02)

    def forward(self, batch: dict[str, torch.Tensor],
                hide: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Tokens for the scene with the positions of objects in ``hide`` [B, N] masked."""
        valid = batch["valid"]
        kind = torch.where(valid, batch["kind"], 0).clamp(0, self.n_kinds - 1)
        content = torch.where(valid.unsqueeze(-1), batch["content"], 0.0)
        known = (batch["size_known"] & valid).unsqueeze(-1)
        size = torch.cat([torch.where(known, batch["size"], 0.0), known.to(content.dtype)], -1)
        hidden = (hide | ~valid).unsqueeze(-1)
        box = torch.where(hidden, 0.0, batch["box"])
        position = torch.where(hidden, self.mask_embedding, self.position(box))
        obj = self.kind(kind) + self.content(content) + self.size(size) + position
        prompt = self.prompt(batch["prompt"]).unsqueeze(1)
        if self.structure and "place" in batch:  # batches without it: nothing stated
            obj = obj + self.place(torch.where(valid.unsqueeze(-1), batch["place"], 0.0))
            prompt = prompt + self.family(batch["family"].clamp(0, N_FAMILIES - 1)).unsqueeze(1)
        obj = torch.where(valid.unsqueeze(-1), obj, 0.0)
        keep = torch.cat([torch.ones_like(valid[:, :1]), valid], dim=1)
        return torch.cat([prompt, obj], dim=1), keep
