"""LPIPS and SSIM: weights are found or the metric is null with a reason; never a random net.

The weights used here are a *randomly initialised* AlexNet written to a temp
dir: they prove the loading and scoring plumbing only, not that any value is
a meaningful perceptual distance.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from benchmark.core.tasks import Box, ObjectSpec, PlacedObject, Reference, Task
from benchmark.outcome import MeasuredObject, Outcome
from benchmark.scoring import ScoringConfig, lpips_status, score_outcome
from benchmark.scoring._image import ALEXNET_FILE, hub_checkpoint, lpips_model, lpips_weights

IMAGES = ScoringConfig(scorers=("lpips", "ssim"))


@pytest.fixture(autouse=True)
def empty_torch_home(tmp_path, monkeypatch) -> Path:
    """No hub checkpoint unless a test puts one there."""
    home = tmp_path / "torch-home"
    monkeypatch.setenv("TORCH_HOME", str(home))
    return home


@pytest.fixture(scope="module")
def random_alexnet(tmp_path_factory) -> Path:
    """torchvision AlexNet's feature weights, randomly initialised (plumbing only)."""
    from benchmark.core.compat import ensure_torchvision

    ensure_torchvision()
    import torch
    import torchvision

    torch.manual_seed(0)
    state = torchvision.models.alexnet(weights=None).state_dict()
    path = tmp_path_factory.mktemp("weights") / "random-alexnet.pth"
    torch.save({k: v for k, v in state.items() if k.startswith("features.")}, path)
    return path


def frames() -> tuple[np.ndarray, np.ndarray]:
    a = np.zeros((120, 200, 3), np.uint8)
    a[30:60, 40:100] = (255, 255, 255)
    b = np.zeros((120, 200, 3), np.uint8)
    b[50:90, 110:170] = (0, 200, 255)
    return a, b


def task() -> Task:
    p = PlacedObject("c", "shape", "Circle", Box(-1, -1, 1, 1))
    return Task("t", "s", "test", "f", "easy", "p", [ObjectSpec("c", "shape", "Circle")], [],
                Reference([p]))


def outcome(frame: np.ndarray | None, reference: np.ndarray | None) -> Outcome:
    return Outcome("pass", True, "ok", objects=[MeasuredObject("shape", "Circle",
                                                               Box(-1, -1, 1, 1))],
                   frame=frame, reference_frame=reference)


def test_without_weights_lpips_is_null_with_the_reason():
    reason = lpips_status(IMAGES)
    assert reason is not None and "--lpips-weights" in reason and ALEXNET_FILE in reason
    a, b = frames()
    s = score_outcome(task(), outcome(a, b), IMAGES)
    assert s["lpips"] is None
    assert s["ssim"] is not None  # SSIM needs no weights


def test_disabled_lpips_says_so():
    assert lpips_status(ScoringConfig(lpips=False)) == "LPIPS disabled"


def test_a_missing_weights_file_is_a_reason_not_a_crash(tmp_path):
    reason = lpips_status(ScoringConfig(lpips_weights=tmp_path / "nope.pth"))
    assert reason is not None and "no such file" in reason


def test_a_file_that_is_not_an_alexnet_state_dict_is_a_reason(tmp_path):
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"not a checkpoint")
    assert "cannot load" in lpips_status(ScoringConfig(lpips_weights=bad))


def test_the_hub_cache_checkpoint_is_found(empty_torch_home, random_alexnet):
    target = hub_checkpoint()
    assert target == empty_torch_home / "hub" / "checkpoints" / ALEXNET_FILE
    assert lpips_weights(ScoringConfig()) is None
    target.parent.mkdir(parents=True)
    target.symlink_to(random_alexnet)
    assert lpips_weights(ScoringConfig()) == target


def test_lpips_with_loaded_weights_is_a_finite_float(random_alexnet):
    config = ScoringConfig(lpips_weights=random_alexnet, scorers=("lpips", "ssim"))
    assert lpips_status(config) is None
    model = lpips_model(config)
    assert not isinstance(model, str) and not model.official  # a random net, and known so
    a, b = frames()
    different = score_outcome(task(), outcome(a, b), config)["lpips"]
    same = score_outcome(task(), outcome(a, a.copy()), config)["lpips"]
    assert isinstance(different, float) and math.isfinite(different)
    assert same == pytest.approx(0.0, abs=1e-6)
    assert different > same


def test_lpips_model_is_cached_per_weights_file(random_alexnet):
    config = ScoringConfig(lpips_weights=random_alexnet)
    assert lpips_model(config) is lpips_model(config)


def test_frames_of_different_sizes_are_resized(random_alexnet):
    config = ScoringConfig(lpips_weights=random_alexnet, scorers=("lpips", "ssim"))
    a, _ = frames()
    big = np.repeat(np.repeat(a, 2, axis=0), 2, axis=1)
    s = score_outcome(task(), outcome(big, a), config)
    assert math.isfinite(s["lpips"]) and s["ssim"] > 0.9


def test_ssim_is_one_for_identical_frames_and_null_without_a_reference():
    a, _ = frames()
    assert score_outcome(task(), outcome(a, a.copy()), IMAGES)["ssim"] == pytest.approx(1.0)
    assert score_outcome(task(), outcome(a, None), IMAGES)["ssim"] is None
