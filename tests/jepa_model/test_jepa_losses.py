"""The layout head's box losses: generalised IoU in scene units, and l1_giou training."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from test_jepa_model import SMALL, make_batch

from jepa_model.model import JEPA, box_iou, generalized_iou

W, H = 14.222222, 8.0


def norm(cx: float, cy: float, w: float, h: float) -> torch.Tensor:
    """Scene-unit (cx, cy, w, h) → the model's normalised box."""
    return torch.tensor([cx / (W / 2), cy / (H / 2), w / W, h / H])


def test_equal_boxes_have_giou_one() -> None:
    b = norm(1.0, -2.0, 0.3, 0.2)
    assert generalized_iou(b, b).item() == pytest.approx(1.0, abs=1e-5)


def test_overlapping_boxes_giou_is_iou_minus_the_empty_share_of_the_hull() -> None:
    # [0, 2] x [0, 1] and [1, 3] x [0, 1]: inter 1, union 3, hull 3 → GIoU = IoU = 1/3
    a, b = norm(1.0, 0.5, 2.0, 1.0), norm(2.0, 0.5, 2.0, 1.0)
    assert generalized_iou(a, b).item() == pytest.approx(1 / 3, abs=1e-5)
    assert box_iou(a, b).item() == pytest.approx(1 / 3, abs=1e-5)
    # [0, 1]² and [2, 3]²: no overlap, union 2, hull 9 → 0 − 7/9
    c, d = norm(0.5, 0.5, 1.0, 1.0), norm(2.5, 2.5, 1.0, 1.0)
    assert generalized_iou(c, d).item() == pytest.approx(-7 / 9, abs=1e-5)


def test_giou_keeps_a_gradient_for_disjoint_boxes() -> None:
    a = norm(0.5, 0.5, 1.0, 1.0).requires_grad_()
    (1 - generalized_iou(a, norm(2.5, 0.5, 1.0, 1.0))).backward()
    assert a.grad is not None and a.grad[0] < 0  # moving right (towards the target) helps


@pytest.mark.parametrize("objective", ["jepa", "supervised"])
def test_a_few_steps_with_the_l1_giou_loss_reduce_it(objective: str) -> None:
    torch.manual_seed(0)
    model = JEPA(dataclasses.replace(SMALL, objective=objective, box_loss="l1_giou"))
    batch = make_batch(b=8)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    first = last = None
    for _ in range(40):
        out = model(batch)
        opt.zero_grad()
        out["loss"].backward()
        opt.step()
        model.ema_update(0.99)
        first = first if first is not None else out["loss_box"].item()
        last = out["loss_box"].item()
    assert last < 0.6 * first
