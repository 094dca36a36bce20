"""SSIM computed where the frames differ equals skimage's SSIM over the whole frame."""

from __future__ import annotations

import numpy as np
import pytest
from skimage.color import rgb2gray
from skimage.metrics import structural_similarity

from benchmark.scoring._image import ssim_score


def whole_frame(frame: np.ndarray, reference: np.ndarray) -> float:
    return float(structural_similarity(rgb2gray(frame), rgb2gray(reference), data_range=1.0))


def scene(rng: np.random.Generator, h: int = 120, w: int = 200) -> np.ndarray:
    """A dark frame with a few bright rectangles, like a rendered scene."""
    img = np.zeros((h, w, 3), dtype=np.uint8)
    for _ in range(4):
        y, x = rng.integers(0, h - 10), rng.integers(0, w - 10)
        img[y:y + rng.integers(3, 30), x:x + rng.integers(3, 50)] = rng.integers(0, 256, 3)
    return img


@pytest.mark.parametrize("seed", range(12))
def test_the_changed_region_gives_the_whole_frames_ssim(seed):
    rng = np.random.default_rng(seed)
    reference = scene(rng)
    frame = reference.copy()
    y, x = rng.integers(0, 110), rng.integers(0, 190)  # touches the edges for some seeds
    frame[y:y + 10, x:x + 10] = rng.integers(0, 256, 3)
    assert abs(ssim_score(frame, reference) - whole_frame(frame, reference)) <= 1e-12


def test_frames_that_differ_everywhere_match_too():
    rng = np.random.default_rng(7)
    a, b = scene(rng), scene(rng)
    b[0, 0] = b[-1, -1] = 255
    assert abs(ssim_score(a, b) - whole_frame(a, b)) <= 1e-12


def test_identical_frames_score_one():
    frame = scene(np.random.default_rng(3))
    assert ssim_score(frame, frame.copy()) == 1.0


@pytest.mark.parametrize("gap", [0, 5, 12, 13, 40])
def test_changes_in_separate_bands_of_rows_match_too(gap):
    rng = np.random.default_rng(gap)
    reference = scene(rng)
    frame = reference.copy()
    frame[10:14, 20:60] = 200
    frame[14 + gap:18 + gap, 120:190] = 90
    assert abs(ssim_score(frame, reference) - whole_frame(frame, reference)) <= 1e-12
