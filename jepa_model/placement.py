"""The placement head: each box decoded as a Manim placement — an anchor, an edge of each, a gap.

Manim scenes are laid out relative to other things: ``a.next_to(b, DOWN, buff=0.25)`` puts a's
top edge 0.25 below b's bottom edge and lines up their centres; ``aligned_edge=LEFT`` lines up
left edges; ``to_corner(UR)`` puts a's right and top edges half a unit inside the frame's.  On
each axis every such rule has the form

    c_i = c_a + s_a · e_a + s_i · e_i + g

with an anchor ``a`` (another object, or the frame), the half-extents ``e``, a gap ``g`` and
``s_a, s_i ∈ {-1, 0, 1}`` choosing the anchor's edge at ``c_a + s_a·e_a`` and the object's edge
at ``c_i − s_i·e_i`` (0: the centre) that the gap separates.  Regressing absolute centres
asks the network to re-derive ``c_a + s_a·e_a + s_i·e_i`` to a few hundredths of a unit; here it
only has to *choose* the rule and predict the gap, which is usually a constant (a ``buff``).

Per object and axis the head scores every candidate (anchor × 9 edge pairs) from the two
objects' predicted latents and their stated relation, and predicts each candidate's gap and
scale: a mixture of Laplace densities over candidate placements, trained by negative
log-likelihood with the true anchor boxes (teacher forcing).  At inference each object's most
probable candidate becomes one equation between its centre and its anchor's, and the centres are
solved jointly by weighted least squares, with the layout head's absolute estimates as a weak
prior for groups placed only relative to each other (:meth:`PlacementHead.decode`).

Coordinates are the model's normalised layout (:mod:`jepa_model.features`): a centre in frame
half-widths/half-heights, a size in frame widths/heights — so an object's half-extent in centre
units is its normalised width (height), and the frame is the anchor at 0 with half-extent 1.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["EDGES", "PRIOR_SCALE", "PlacementHead", "solve_axis"]

EDGES = (-1.0, 0.0, 1.0)
N_MODES = len(EDGES) ** 2  # (s_a, s_i) pairs
MIN_SCALE = 0.002  # Laplace scale floor, normalised units (~0.014 scene units across)
PRIOR_SCALE = 1.0  # the layout head's absolute centres: only for what nothing else fixes


class PlacementHead(nn.Module):
    """Latents [B, N, d] (+ relation types [B, N, N]) → per-axis placement mixtures."""

    def __init__(self, d_model: int, hidden: int, n_relation_types: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(d_model)
        self.query = nn.Linear(d_model, hidden)
        self.key = nn.Linear(d_model, hidden)
        self.frame = nn.Parameter(torch.zeros(hidden))
        self.relation = nn.Embedding(n_relation_types, hidden)
        self.out = nn.Sequential(nn.GELU(), nn.Linear(hidden, hidden), nn.GELU(),
                                 nn.Linear(hidden, 2 * N_MODES * 3))
        nn.init.normal_(self.frame, std=0.02)
        nn.init.zeros_(self.relation.weight)
        s = torch.tensor(EDGES)
        self.register_buffer("s_anchor", s.repeat_interleave(len(EDGES)), persistent=False)
        self.register_buffer("s_self", s.repeat(len(EDGES)), persistent=False)

    def mixture(self, z: torch.Tensor, rel: torch.Tensor | None, valid: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(log weights, gaps, scales), each [B, N, N+1, 2, 9]: object i, anchor a (index N is
        the frame), axis, edge pair.  Invalid anchors (padding, the object itself) get -inf."""
        b, n, _ = z.shape
        h = self.norm(z)
        q = self.query(h)  # [B, N, H]
        k = torch.cat([self.key(h), self.frame.expand(b, 1, -1)], dim=1)  # [B, N+1, H]
        pair = q.unsqueeze(2) + k.unsqueeze(1)  # [B, N, N+1, H]
        if rel is not None:
            r = self.relation(rel.clamp(0, self.relation.num_embeddings - 1))  # [B, N, N, H]
            pair = pair + F.pad(r, (0, 0, 0, 1))
        with torch.autocast(z.device.type, enabled=False):  # gaps in float32, as the boxes
            raw = self.out(pair.float()).view(b, n, n + 1, 2, N_MODES, 3)
        ok = torch.cat([valid, torch.ones_like(valid[:, :1])], dim=1)  # anchors [B, N+1]
        ok = ok.unsqueeze(1) & ~F.pad(torch.eye(n, dtype=torch.bool, device=z.device),
                                      (0, 1)).unsqueeze(0)  # [B, N, N+1]
        logits = raw[..., 0].masked_fill(~ok[..., None, None], float("-inf"))
        # one distribution per (object, axis) over anchors × edge pairs
        flat = logits.permute(0, 1, 3, 2, 4).reshape(b, n, 2, -1)
        logw = F.log_softmax(flat, dim=-1).view(b, n, 2, n + 1, N_MODES).permute(0, 1, 3, 2, 4)
        scale = MIN_SCALE + F.softplus(raw[..., 2])
        return logw, raw[..., 1], scale

    def means(self, gaps: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
        """Candidate centres [B, N, N+1, 2, 9] from anchor boxes [B, N, 4] (cx, cy, w, h)."""
        b = boxes.shape[0]
        frame = torch.tensor([0.0, 0.0, 1.0, 1.0], device=boxes.device, dtype=boxes.dtype)
        anchors = torch.cat([boxes, frame.expand(b, 1, 4)], dim=1)  # [B, N+1, 4]
        c_a = anchors[:, None, :, :2, None]  # [B, 1, N+1, 2, 1]
        e_a = anchors[:, None, :, 2:, None]
        e_i = boxes[:, :, None, 2:, None]  # [B, N, 1, 2, 1]
        return c_a + self.s_anchor * e_a + self.s_self * e_i + gaps

    def loss(self, z: torch.Tensor, rel: torch.Tensor | None, boxes: torch.Tensor,
             valid: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Mixture negative log-likelihood of the true centres of ``mask`` objects, with every
        anchor at its true box (``boxes``, unjittered)."""
        logw, gaps, scale = self.mixture(z, rel, valid)
        boxes = torch.where(valid.unsqueeze(-1), boxes.float(), 0.0)
        mu = self.means(gaps, boxes)
        x = boxes[:, :, None, :2, None]
        logp = logw - (x - mu).abs() / scale - torch.log(2 * scale)
        nll = -torch.logsumexp(logp.permute(0, 1, 3, 2, 4).flatten(3), dim=-1)  # [B, N, 2]
        w = mask.to(nll.dtype).unsqueeze(-1).expand_as(nll)
        return (nll * w).sum() / w.sum().clamp(min=1.0)

    @torch.no_grad()
    def decode(self, z: torch.Tensor, rel: torch.Tensor | None, boxes: torch.Tensor,
               valid: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Centres of the ``mask`` objects, solved jointly per axis by weighted least squares.

        Each masked object contributes its most probable candidate as the equation
        ``c_i − c_a = s_a·e_a + s_i·e_i + g`` with weight ``1/scale`` (for the frame or an
        object outside ``mask``, ``c_a`` is known), plus a weak prior ``c_i = boxes[i]`` (the
        layout head's absolute estimate, scale :data:`PRIOR_SCALE`).  Objects stated relative
        to each other — a list whose items follow one another, centred as a group — keep their
        exact relative offsets while the prior places the group as a whole (the average of its
        members' estimates).  Sizes in ``boxes`` are used as they are; returns ``boxes`` with
        the masked centres replaced."""
        logw, gaps, scale = self.mixture(z, rel, valid)
        flat = lambda t: t.permute(0, 1, 3, 2, 4).flatten(3)  # noqa: E731  [B, N, 2, C]
        best = flat(logw).argmax(-1, keepdim=True)  # [B, N, 2, 1]
        pick = lambda t: flat(t).gather(-1, best).squeeze(-1)  # noqa: E731  [B, N, 2]
        mu = pick(self.means(gaps, boxes.float()))
        sigma = pick(scale)
        anchor = (best.squeeze(-1) // N_MODES).cpu().numpy()
        mu_np, sigma_np = mu.double().cpu().numpy(), sigma.double().cpu().numpy()
        out = boxes.double().cpu().numpy().copy()
        free = (mask & valid).cpu().numpy()
        for i in range(out.shape[0]):
            for axis in range(2):
                out[i, :, axis] = solve_axis(anchor[i, :, axis], mu_np[i, :, axis],
                                             sigma_np[i, :, axis], out[i, :, axis], free[i])
        return torch.from_numpy(out).to(boxes.device, boxes.dtype)


def solve_axis(anchor: np.ndarray, mu: np.ndarray, sigma: np.ndarray, centre: np.ndarray,
               free: np.ndarray, prior_scale: float = PRIOR_SCALE) -> np.ndarray:
    """One scene, one axis of :meth:`PlacementHead.decode`.

    ``anchor`` [N]: each object's chosen anchor (N = the frame, at 0); ``mu`` [N]: the centre
    its candidate gives with every anchor at ``centre``; ``sigma`` [N]: the candidate's scale;
    ``centre`` [N]: known centres and first estimates; ``free`` [N]: the unknowns.  Returns the
    centres, known ones unchanged."""
    n = len(centre)
    rows = np.zeros((2 * n, n))
    rhs = np.zeros(2 * n)
    for i in np.flatnonzero(free):
        a, w = int(anchor[i]), 1.0 / float(sigma[i])
        anchor_at = 0.0 if a >= n else float(centre[a])
        rows[i, i] = w
        if a < n and free[a]:  # c_i − c_a = offset
            rows[i, a] -= w
            rhs[i] = w * (mu[i] - anchor_at)
        else:  # c_i = known anchor + offset
            rhs[i] = w * float(mu[i])
    prior = np.where(free, 1.0 / prior_scale, 1.0)
    rows[n:] = np.diag(prior)
    rhs[n:] = prior * centre
    x = np.linalg.lstsq(rows, rhs, rcond=None)[0]
    return np.where(free, np.clip(x, -1.25, 1.25), centre)
