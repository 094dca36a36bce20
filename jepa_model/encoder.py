"""Transformer building blocks: pre-norm blocks over padded token sets, and the narrow predictor.

Tokens are sets (objects have no order), so there are no positional embeddings here; padding is
handled by a boolean ``keep`` mask [B, S] (True = a real token) that every attention layer
applies to its keys.  Outputs at padded positions are finite but meaningless; callers never read
them.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["MLP", "Block", "Predictor", "Transformer"]


class MLP(nn.Module):
    """Two linear layers with GELU: the feed-forward half of a block, and the small feature MLPs."""

    def __init__(self, d_in: int, d_hidden: int, d_out: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.fc1 = nn.Linear(d_in, d_hidden)
        self.fc2 = nn.Linear(d_hidden, d_out)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.fc2(self.drop(F.gelu(self.fc1(x)))))


def pad_bias(bias: torch.Tensor, size: int) -> torch.Tensor:
    """Zero-pad an attention bias [B, h, S, S] to [B, h, size, size] (extra tokens at the end)."""
    extra = size - bias.shape[-1]
    return F.pad(bias, (0, extra, 0, extra)) if extra > 0 else bias


class Block(nn.Module):
    """Pre-norm transformer block (attention, then MLP, each with a residual)."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.dropout = dropout
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = MLP(dim, int(dim * mlp_ratio), dim, dropout)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, keep: torch.Tensor,
                bias: torch.Tensor | None = None) -> torch.Tensor:
        """``bias`` [B, heads, S, S] is added to the attention logits (relations)."""
        b, s, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(b, s, 3, self.heads, d // self.heads) \
            .permute(2, 0, 3, 1, 4)
        mask: torch.Tensor = keep[:, None, None, :]
        if bias is not None:
            mask = bias.to(q.dtype).masked_fill(~mask, float("-inf"))
        y = F.scaled_dot_product_attention(
            q, k, v, attn_mask=mask, dropout_p=self.dropout if self.training else 0.0)
        x = x + self.drop(self.proj(y.transpose(1, 2).reshape(b, s, d)))
        return x + self.mlp(self.norm2(x))


class Transformer(nn.Module):
    """A stack of pre-norm blocks with a final LayerNorm."""

    def __init__(self, dim: int, depth: int, heads: int, mlp_ratio: float,
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(Block(dim, heads, mlp_ratio, dropout) for _ in range(depth))
        self.norm = nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor, keep: torch.Tensor,
                bias: torch.Tensor | None = None) -> torch.Tensor:
        for block in self.blocks:
            x = block(x, keep, bias)
        return self.norm(x)


class Predictor(nn.Module):
    """The narrow I-JEPA predictor.

    Projects the context encoder's outputs (``in_dim``) down to ``dim``, adds a learned mask
    token at the positions to predict (``query``), optionally appends extra tokens already in
    predictor space (the image branch's patches), runs a few blocks, and returns the
    predictor-space sequence; :meth:`project` maps it back to the encoder's latent width.
    Being narrower than the encoder, it cannot just copy the encoder's representation.
    """

    def __init__(self, in_dim: int, dim: int, depth: int, heads: int, mlp_ratio: float,
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.inp = nn.Linear(in_dim, dim)
        self.mask_token = nn.Parameter(torch.zeros(dim))
        nn.init.trunc_normal_(self.mask_token, std=0.02)
        self.body = Transformer(dim, depth, heads, mlp_ratio, dropout)
        self.out = nn.Linear(dim, in_dim)

    def forward(self, h: torch.Tensor, keep: torch.Tensor, query: torch.Tensor,
                extra: tuple[torch.Tensor, torch.Tensor] | None = None,
                bias: torch.Tensor | None = None) -> torch.Tensor:
        x = self.inp(h)
        x = torch.where(query.unsqueeze(-1), x + self.mask_token, x)
        if extra is not None:
            x = torch.cat([x, extra[0]], dim=1)
            keep = torch.cat([keep, extra[1]], dim=1)
            if bias is not None:
                bias = pad_bias(bias, x.shape[1])
        return self.body(x, keep, bias)

    def project(self, y: torch.Tensor) -> torch.Tensor:
        """Predictor space → encoder latent space."""
        return self.out(y)
