"""Training loop, resume, CLI errors and the ``jepa`` submission, on a micro config.

The micro model trains on 64 synthetic train scenes for a handful of steps with
the packaged all-MiniLM-L6-v2 (offline); the embedding and feature caches live
in the test's temporary folder.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from _jepa_micro import micro_config, private_cache

from benchmark.render import Renderer
from benchmark.sandbox import SandboxConfig
from benchmark.suites import load_suite
from jepa_model.checkpoint import load_checkpoint
from jepa_model.config import load_config
from jepa_model.train import train

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "jepa_model" / "configs" / "tiny.yaml"


@pytest.fixture(scope="module")
def micro(tmp_path_factory) -> Path:
    return micro_config(tmp_path_factory.mktemp("micro"), scenes=64, steps=6, batch_size=16,
                        eval_every=3)


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    return private_cache(tmp_path_factory.mktemp("xdg"))


def _weights(path: Path) -> dict[str, torch.Tensor]:
    model, _, _ = load_checkpoint(path)
    return {k: v.clone() for k, v in model.state_dict().items()}


@pytest.fixture(scope="module")
def trained(micro, env, tmp_path_factory) -> Path:
    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("run-a")
    train(load_config(micro), out, progress=False, log=lambda m: None)
    return out


@pytest.mark.slow
def test_training_writes_a_checkpoint_and_a_metrics_log(trained) -> None:
    for name in ("model.safetensors", "config.yaml", "state.json", "metrics.csv"):
        assert (trained / name).is_file(), name
    rows = (trained / "metrics.csv").read_text().splitlines()
    assert rows[0].startswith("step,epoch,lr,momentum,loss")
    assert len(rows) == 1 + 6  # log_every 1
    state = json.loads((trained / "state.json").read_text())
    assert state["step"] == 6
    assert 0.0 <= state["metrics"]["val_miou"] <= 1.0


def test_training_is_deterministic_and_resume_continues_exactly(micro, trained, env,
                                                                tmp_path) -> None:
    cfg = load_config(micro)
    again = tmp_path / "again"
    train(cfg, again, progress=False, log=lambda m: None)
    a, b = _weights(trained), _weights(again)
    assert all(torch.equal(a[k], b[k]) for k in a)
    # Stop at step 3 (a checkpoint), then resume to 6: the same weights as straight through.
    part = tmp_path / "part"
    train(cfg, part, progress=False, log=lambda m: None, stop_at=3)
    assert json.loads((part / "state.json").read_text())["step"] == 3
    train(cfg, part, resume=part, progress=False, log=lambda m: None)
    c = _weights(part)
    assert all(torch.equal(a[k], c[k]) for k in a)


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=600, check=False)


@pytest.mark.slow
def test_bad_config_and_corrupt_resume_are_one_line_errors(micro, trained, env,
                                                           tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(micro.read_text().replace("depth: 1", "depht: 1", 1))
    done = _cli("-m", "jepa_model", "train", "--config", str(bad), env=env)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "depht" in done.stderr
    broken = tmp_path / "broken"
    broken.mkdir()
    for f in trained.iterdir():
        (broken / f.name).write_bytes(f.read_bytes())
    weights = broken / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: len(weights.read_bytes()) // 2])
    done = _cli("-m", "jepa_model", "train", "--config", str(micro), "--resume", str(broken),
                env=env)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("error:")
    assert "model.safetensors" in done.stderr


@pytest.mark.slow
def test_jepa_submission_places_objects_in_their_predicted_boxes(trained, env) -> None:
    from jepa_model.submission import Jepa

    sub = Jepa(checkpoint=str(trained), scale="1")
    tasks = load_suite("synthetic", "test", limit=6).tasks
    gens = [sub.generate(t) for t in tasks]
    config = SandboxConfig(cache_dir=Path(env["XDG_CACHE_HOME"]) / "sandbox",
                           namespace="jepa-test")
    with Renderer(config, jobs=2) as r:
        reports = r.render_many([g.code for g in gens])
    checked = 0
    for task, rep in zip(tasks, reports, strict=True):
        assert rep.status.value == "ok", rep.error
        predicted = sub.predictor.boxes(task)
        free = [o for o in task.objects
                if o.given is None and o.kind not in ("graph", "arrow", "brace")]
        measured = rep.objects
        for o in free:
            cx, cy, w, h = predicted[o.id]
            # the measured object whose centre is nearest the prediction
            m = min(measured, key=lambda m: (m.box[0] + m.box[2] - 2 * cx) ** 2
                    + (m.box[1] + m.box[3] - 2 * cy) ** 2)
            mx, my = (m.box[0] + m.box[2]) / 2, (m.box[1] + m.box[3]) / 2
            assert abs(mx - cx) < 0.05 and abs(my - cy) < 0.05, (task.id, o.id)
            mw, mh = m.box[2] - m.box[0], m.box[3] - m.box[1]
            # scaled to fit: one side matches, the other is no larger than predicted
            assert min(abs(mw - w), abs(mh - h)) < 0.05 and mw < w + 0.05 and mh < h + 0.05
            checked += 1
    assert checked >= 6


@pytest.mark.slow
def test_unknown_checkpoint_is_a_clear_error(env, tmp_path) -> None:
    from benchmark.core.submission import SubmissionError
    from jepa_model.submission import Jepa

    with pytest.raises(SubmissionError, match="nothere"):
        Jepa(checkpoint=str(tmp_path / "nothere"))
    with pytest.raises(SubmissionError, match="codegen"):
        Jepa(codegen="gpt")
    qwen = re.escape("cannot find model 'Qwen/Qwen2.5-Coder-3B'")
    with pytest.raises(SubmissionError, match=qwen):
        Jepa(codegen="llm")  # the llm's default model, whose weights are not here


def test_linear_probe_reports_position_scores(trained, env, tmp_path) -> None:
    from jepa_model.probe import probe

    r = probe(trained, n_train=40, n_val=20)
    assert r.train_objects > 0 and r.val_objects > 0
    assert r.probe_r2_center <= 1.0 and 0.0 <= r.probe_miou <= 1.0
    assert 0.0 <= r.head_miou <= 1.0 and r.head_center_error >= 0.0
    done = _cli("-m", "jepa_model", "probe", "--checkpoint", str(tmp_path / "none"), env=env)
    assert done.returncode == 2 and "none" in done.stderr
