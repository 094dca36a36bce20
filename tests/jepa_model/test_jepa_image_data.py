"""The image branch fed end to end: training frames rendered by the sandbox, masks in the
collator, training, a pack with frames, and inference on the empty frame."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from _jepa_micro import micro_config, private_cache

from benchmark.suites import load_suite
from benchmark.suites.synthetic import generate_tasks
from jepa_model.config import ImageConfig, load_config
from jepa_model.data import collate
from jepa_model.frames import image_batch, render_frames
from jepa_model.pack import read_pack, write_pack
from jepa_model.train import train

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "jepa_model" / "configs" / "tiny.yaml"
VIT = {"kind": "ijepa_vit", "image_height": 36, "image_width": 64, "patch_size": 4, "dim": 16,
       "depth": 1, "heads": 2, "n_pred_blocks": 2}


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    return private_cache(tmp_path_factory.mktemp("xdg"))


@pytest.fixture(scope="module")
def micro(tmp_path_factory, env) -> Path:
    return micro_config(tmp_path_factory.mktemp("micro-image"), scenes=16, steps=4,
                        batch_size=8, eval_every=2, image=VIT)


def test_reference_frames_are_rendered_at_the_branch_resolution() -> None:
    tasks = list(generate_tasks("train", 0, 4))
    frames, failed = render_frames(tasks, 36, 64)
    assert frames.shape == (4, 36, 64, 3) and frames.dtype == np.uint8 and failed == 0
    assert all(f.max() > 40 and f.mean() > 0.5 for f in frames)  # drawn on the black frame


def test_masked_objects_are_hidden_from_the_context_patches() -> None:
    cfg = ImageConfig(**{**VIT, "n_pred_blocks": 1, "pred_scale": (0.02, 0.02)})
    box = np.array([[[0.0, 0.0, 0.5, 0.5], [0.5, 0.5, 0.1, 0.1]]], np.float32)
    mask = np.array([[True, False]])
    frame = np.full((36, 64, 3), 200, np.uint8)
    out = image_batch([frame], cfg, box, mask, np.random.default_rng(0), train=True)
    ctx = out["image_ctx"][0].view(cfg.grid)
    gh, gw = cfg.grid
    assert not ctx[gh // 2 - 1:gh // 2 + 1, gw // 2 - 1:gw // 2 + 1].any()  # under object 0
    inference = image_batch([frame], cfg, box, mask, np.random.default_rng(0), train=False)
    assert inference["image_ctx"].all() and not inference["image_tgt"].any()
    assert (inference["image"] == -1).all()  # the empty frame: nothing of the scene


@pytest.mark.slow
def test_training_with_the_vit_branch_renders_caches_and_learns(micro, env, tmp_path) -> None:
    torch.set_num_threads(1)
    logs: list[str] = []
    cfg = load_config(micro)
    r = train(cfg, tmp_path / "a", progress=False, log=logs.append)
    assert r.steps == 4 and np.isfinite(r.final["loss"])
    assert any(m.startswith("rendering 16 frames") for m in logs)
    logs.clear()
    train(cfg, tmp_path / "b", progress=False, log=logs.append)
    assert not any(m.startswith("rendering") for m in logs)  # from the frame cache

    from jepa_model.data import TrainingData
    from jepa_model.features import featurizer_for
    from jepa_model.model import JEPA

    data = TrainingData.build(featurizer_for(cfg), cfg.data, image=cfg.model.image)
    batch = collate(data.scenes[:8], np.random.default_rng(0), train=True,
                    augment=cfg.data.augment, image=cfg.model.image)
    out = JEPA(cfg.model)(batch)
    assert torch.isfinite(out["loss_image"]) and out["loss_image"] > 0

    from jepa_model.submission import Jepa

    task = load_suite("synthetic", "test", limit=1).tasks[0]
    code = Jepa(checkpoint=str(tmp_path / "a")).generate(task).code
    assert "class" in code and "Scene" in code


def test_a_pack_carries_the_frames(micro, env, tmp_path) -> None:
    torch.set_num_threads(1)
    cfg = load_config(micro)
    write_pack(cfg, tmp_path / "pack", n_val=8)
    p = read_pack(tmp_path / "pack")
    assert p.manifest["frames"] == [36, 64]
    assert all(s.frame is not None and s.frame.shape == (36, 64, 3) for s in p.train)
    r = train(cfg, tmp_path / "c", progress=False, log=lambda m: None, pack=tmp_path / "pack")
    assert r.steps == 4
