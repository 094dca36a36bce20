"""``python -m jepa_model finetune``: the shipped tiny checkpoint fine-tuned on 3b1b dev.

The fake checkout is prepared with both videos in ``dev`` (``--test-share 0.5``),
so one video trains and the other validates; a few steps on its handful of
scenes show that the weights start from the checkpoint, that the objective can
be switched, what the recipe records, and that test scenes never enter.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from _fake_3b1b import CAPTIONS, VIDEOS, env, prepare

from benchmark.core.tasks import load_tasks
from benchmark.suites.threeb1b.extract import manimgl_version
from jepa_model.checkpoint import TARGET_PREFIX, load_checkpoint
from jepa_model.finetune import DEFAULT_BASE, FinetuneError, split_videos

REPO = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    manimgl_version() is None or shutil.which("latex") is None,
    reason="needs ManimGL (pip install '.[3b1b]') and LaTeX")]


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("xdg-cache")


@pytest.fixture(scope="module")
def suite(tmp_path_factory, cache) -> Path:
    out = tmp_path_factory.mktemp("prepared") / "3b1b"
    prepare(VIDEOS, CAPTIONS, out, cache, "--test-share", "0.5")  # both videos in dev
    return out


def finetune(suite: Path, cache: Path, out: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jepa_model", "finetune", "--out", str(out),
                           "--replay", "0", "--no-progress", *args], cwd=REPO,
                          env=env(cache, JEPA_MANIM_3B1B=str(suite)), capture_output=True,
                          text=True, timeout=600, check=False)


def weights(path: Path) -> dict[str, torch.Tensor]:
    model, _, _ = load_checkpoint(path)
    return dict(model.state_dict())


def test_split_videos_is_stable_disjoint_and_never_empty() -> None:
    videos = [f"2023/video-{i}" for i in range(12)]
    train, val = split_videos(videos, 0.25)
    assert (train, val) == split_videos(list(reversed(videos)), 0.25)
    assert set(train).isdisjoint(val) and sorted(train + val) == sorted(videos)
    assert 1 <= len(val) < len(videos)
    assert split_videos(["a", "b"], 0.01)[1] and split_videos(["a", "b"], 0.99)[0]
    with pytest.raises(FinetuneError, match="at least two"):
        split_videos(["only"], 0.25)


def test_finetune_starts_from_the_checkpoint_and_records_its_recipe(suite, cache,
                                                                     tmp_path) -> None:
    out = tmp_path / "ft"
    done = finetune(suite, cache, out, "--steps", "2", "--lr", "1e-9")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "fine-tuned 2 steps" in done.stdout
    base, tuned = weights(DEFAULT_BASE), weights(out)
    assert base.keys() == tuned.keys()
    # a learning rate of 1e-9 barely moves the trained weights: the run started from the
    # shipped ones (the target encoder moves by its EMA update, which needs no gradient)
    trained = [k for k in base if not k.startswith(TARGET_PREFIX)]
    assert all(torch.allclose(base[k], tuned[k], atol=1e-5) for k in trained)
    record = json.loads((out / "finetune.json").read_text())
    assert record["objective"] == "jepa" and record["steps"] == 2
    assert set(record["train_videos"]).isdisjoint(record["val_videos"])
    assert sorted(record["train_videos"] + record["val_videos"]) == ["2099/demo", "2099/second"]
    assert record["counts"]["3b1b"] > 0 and record["counts"]["synthetic"] == 0
    ctx = load_tasks(suite / "dev.jsonl")
    assert record["val_tasks"] == sum(t.family in record["val_videos"] for t in ctx)
    state = json.loads((out / "state.json").read_text())
    assert state["finetune"]["base_weights_sha256"] == record["base_weights_sha256"]
    assert "val_miou" in state["metrics"]


def test_supervised_objective_drops_the_target_encoder(suite, cache, tmp_path) -> None:
    out = tmp_path / "sup"
    done = finetune(suite, cache, out, "--steps", "2", "--objective", "supervised")
    assert done.returncode == 0, done.stderr[-2000:]
    model, cfg, _ = load_checkpoint(out)
    assert cfg.model.objective == "supervised"
    assert not any(k.startswith(TARGET_PREFIX) for k in model.state_dict())
    # and back: a jepa run from it starts its target encoder as a copy of the context encoder
    again = finetune(suite, cache, tmp_path / "back", "--checkpoint", str(out), "--steps", "1",
                     "--objective", "jepa")
    assert again.returncode == 0, again.stderr[-2000:]
    assert any(k.startswith(TARGET_PREFIX) for k in weights(tmp_path / "back"))


def test_a_test_scene_in_dev_is_refused(suite, cache, tmp_path) -> None:
    leaky = tmp_path / "leaky"
    shutil.copytree(suite, leaky)
    dev = (leaky / "dev.jsonl").read_text().splitlines()
    # one dev keyframe also stands in test: the held-out guard must stop fine-tuning
    (leaky / "test.jsonl").write_text(dev[0].replace('"split": "dev"', '"split": "test"')
                                      + "\n")
    done = finetune(leaky, cache, tmp_path / "ft", "--steps", "1")
    assert done.returncode == 2
    assert done.stderr.startswith("error:") and len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "ft" / "model.safetensors").exists()


def test_bad_input_is_one_error_line(cache, tmp_path) -> None:
    empty = tmp_path / "none"
    empty.mkdir()
    for args, words in ((["--steps", "1"], "not prepared"),
                        (["--val-share", "1.5"], "val share"),
                        (["--checkpoint", str(tmp_path / "missing")], "not found")):
        done = finetune(empty, cache, tmp_path / "ft", *args)
        assert done.returncode == 2, done.stderr
        assert words in done.stderr and len(done.stderr.strip().splitlines()) == 1
