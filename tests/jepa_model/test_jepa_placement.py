"""The placement head: candidates are Manim placement rules, decoding solves them jointly."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch
from test_jepa_model import SMALL, make_batch

from jepa_model.checkpoint import load_checkpoint, save_checkpoint
from jepa_model.config import Config
from jepa_model.model import JEPA
from jepa_model.placement import PlacementHead, solve_axis
from jepa_model.structure import N_RELATION_TYPES

torch.set_num_threads(1)
FRAME = 2  # anchor index of the frame in a two-object scene


def test_a_chain_from_the_frame_is_solved_exactly() -> None:
    # object 0: 0.3 right of the frame's centre; object 1: 0.2 right of object 0, whose first
    # estimate (0.1) is wrong — the candidate's centre was computed from that estimate
    x = solve_axis(anchor=np.array([FRAME, 0]), mu=np.array([0.3, 0.1 + 0.2]),
                   sigma=np.array([0.002, 0.002]), centre=np.array([0.1, 0.0]),
                   free=np.array([True, True]))
    assert x == pytest.approx([0.3, 0.5], abs=1e-3)


def test_a_pair_placed_only_relative_to_each_other_keeps_its_offset_at_the_prior_mean() -> None:
    # 0 is 0.2 left of 1 and 1 is 0.2 right of 0: consistent, but nothing absolute
    centre = np.array([0.0, 0.4])
    x = solve_axis(anchor=np.array([1, 0]), mu=np.array([0.4 - 0.2, 0.0 + 0.2]),
                   sigma=np.array([0.002, 0.002]), centre=centre, free=np.array([True, True]))
    assert x[1] - x[0] == pytest.approx(0.2, abs=1e-3)
    assert (x[0] + x[1]) / 2 == pytest.approx(centre.mean(), abs=1e-3)


def test_known_objects_stay_put_and_anchor_the_others() -> None:
    x = solve_axis(anchor=np.array([FRAME, 0]), mu=np.array([9.0, 0.5 + 0.1]),
                   sigma=np.array([0.002, 0.002]), centre=np.array([0.5, -0.3]),
                   free=np.array([False, True]))
    assert x == pytest.approx([0.5, 0.6], abs=1e-3)


def test_candidates_follow_the_placement_rule() -> None:
    head = PlacementHead(8, 8, N_RELATION_TYPES)
    boxes = torch.tensor([[[0.2, -0.1, 0.3, 0.1], [0.0, 0.0, 0.1, 0.05]]])
    gaps = torch.zeros(1, 2, 3, 2, 9)
    mu = head.means(gaps, boxes)  # [1, N, N+1, 2, 9]
    # object 1 right of object 0, its left edge on 0's right edge: 0.2 + 0.3 + 0.1
    mode = 3 * 2 + 2  # s_anchor = +1, s_self = +1
    assert float(mu[0, 1, 0, 0, mode]) == pytest.approx(0.2 + 0.3 + 0.1)
    # object 0 under the frame's top edge, touching it
    mode = 3 * 2 + 0  # s_anchor = +1, s_self = -1
    assert float(mu[0, 0, FRAME, 1, mode]) == pytest.approx(1.0 - 0.1)


def placing_model(seed: int = 0) -> JEPA:
    torch.manual_seed(seed)
    return JEPA(dataclasses.replace(SMALL, placement=True, placement_dim=16))


def test_placement_loss_is_finite_and_a_few_steps_reduce_it() -> None:
    model = placing_model()
    batch = make_batch()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    first = None
    for _ in range(40):
        out = model(batch)
        assert torch.isfinite(out["loss_place"])
        first = float(out["loss_place"].detach()) if first is None else first
        opt.zero_grad()
        out["loss"].backward()
        opt.step()
    assert float(model(batch)["loss_place"].detach()) < first - 0.5


def test_decoding_moves_only_the_objects_to_place() -> None:
    model = placing_model().eval()
    batch = make_batch()
    pred = model.predict(batch)
    assert torch.isfinite(pred).all()
    keep = batch["valid"] & ~batch["mask"]
    assert torch.equal(pred[keep], batch["box"][keep])
    assert (pred[..., :2].abs() <= 1.25).all()


def test_save_then_load_gives_identical_placements(tmp_path: Path) -> None:
    model = placing_model().eval()
    batch = make_batch()
    save_checkpoint(tmp_path, model, Config(model=model.cfg), 3, {})
    loaded, cfg, _ = load_checkpoint(tmp_path)
    assert cfg.model.placement
    assert torch.equal(loaded.eval().predict(batch), model.predict(batch))
