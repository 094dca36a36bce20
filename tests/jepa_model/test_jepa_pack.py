"""Training packs (featurise here, train elsewhere) and the time-budgeted schedule."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from _jepa_micro import micro_config, private_cache

from benchmark.suites.heldout import LeakageError
from jepa_model.checkpoint import load_checkpoint
from jepa_model.config import load_config
from jepa_model.data import load_scenes, save_scenes
from jepa_model.pack import PackError, read_pack, write_pack
from jepa_model.train import CALIBRATION_STEPS, train

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "jepa_model" / "configs" / "tiny.yaml"


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    return private_cache(tmp_path_factory.mktemp("xdg"))


@pytest.fixture(scope="module")
def micro(tmp_path_factory) -> Path:
    return micro_config(tmp_path_factory.mktemp("micro"), scenes=48, steps=4, batch_size=16,
                        eval_every=2)


@pytest.fixture(scope="module")
def pack(micro, env, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pack")
    write_pack(load_config(micro), out, n_val=20)
    return out


def test_a_pack_holds_the_training_and_validation_scenes(pack) -> None:
    manifest = json.loads((pack / "manifest.json").read_text())
    assert manifest["counts"]["train"] == 48 and manifest["counts"]["val"] == 20
    p = read_pack(pack)
    assert len(p.train) == 48 and len(p.val) == 20 and p.dim == 384
    from benchmark.suites import load_suite

    val_ids = [t.id for t in load_suite("synthetic", "val", limit=20).tasks]
    assert [s.task_id for s in p.val] == val_ids
    assert not {s.task_id for s in p.train} & set(val_ids)
    # embeddings travel as float16: unit vectors survive to ~1e-3
    norms = np.linalg.norm(np.stack([s.prompt for s in p.train]), axis=1)
    assert np.allclose(norms, 1.0, atol=2e-3)


def test_training_from_a_pack_matches_training_from_the_features_it_was_made_of(
        micro, pack, env, tmp_path) -> None:
    torch.set_num_threads(1)
    cfg = load_config(micro)
    a = train(cfg, tmp_path / "a", progress=False, log=lambda m: None)
    b = train(cfg, tmp_path / "b", progress=False, log=lambda m: None, pack=pack)
    assert a.steps == b.steps == 4
    # float16 embeddings: close, not bit-identical
    assert abs(a.final["loss"] - b.final["loss"]) < 0.05 * max(a.final["loss"], 1e-3)
    state = json.loads((tmp_path / "b" / "state.json").read_text())
    assert state["encoder_id"] == read_pack(pack).encoder_id
    assert state["total_steps"] == 4


def test_train_cli_reads_a_pack(micro, pack, env, tmp_path) -> None:
    r = subprocess.run([sys.executable, "-m", "jepa_model", "train", "--config", str(micro),
                        "--data", str(pack), "--out", str(tmp_path / "cli"), "--no-progress"],
                       capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "48 training scenes" in r.stderr
    assert (tmp_path / "cli" / "model.safetensors").is_file()


def test_a_missing_or_damaged_pack_is_one_clear_line(micro, pack, env, tmp_path) -> None:
    r = subprocess.run([sys.executable, "-m", "jepa_model", "train", "--config", str(micro),
                        "--data", str(tmp_path / "nowhere"), "--no-progress"],
                       capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "not a training pack" in r.stderr
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "manifest.json").write_text((pack / "manifest.json").read_text())
    (broken / "train.npz").write_bytes(b"not an archive")
    with pytest.raises(PackError, match=r"train\.npz: unreadable"):
        read_pack(broken)


def test_a_pack_holding_a_held_out_task_is_refused(pack, tmp_path) -> None:
    from benchmark.suites import load_suite
    from benchmark.suites.heldout import task_hashes as _hashes

    bad = tmp_path / "bad"
    bad.mkdir()
    for name in ("manifest.json", "val.npz"):
        (bad / name).write_bytes((pack / name).read_bytes())
    scenes, hashes = load_scenes(pack / "train.npz")
    hashes[3] = _hashes(load_suite("synthetic", "test", limit=1).tasks[0])
    save_scenes(bad / "train.npz", scenes, hashes, compact=True)
    with pytest.raises(LeakageError, match="synthetic test task"):
        read_pack(bad)


def test_a_time_budget_shortens_the_schedule_and_resume_keeps_it(micro, pack, env,
                                                                 tmp_path) -> None:
    torch.set_num_threads(1)
    d = yaml.safe_load(micro.read_text())
    d["optim"].update(max_steps=None, epochs=1000)  # 3,000 steps planned: far too many
    d["run"].update(eval_every=50, log_every=50)
    cfg_path = tmp_path / "long.yaml"
    cfg_path.write_text(yaml.safe_dump(d))
    cfg = load_config(cfg_path)
    out = tmp_path / "budget"
    r = train(cfg, out, progress=False, log=lambda m: None, pack=pack, time_budget=2.0)
    state = json.loads((out / "state.json").read_text())
    assert CALIBRATION_STEPS <= r.steps == state["total_steps"] < 3000
    again = train(cfg, out, resume=out, progress=False, log=lambda m: None, pack=pack)
    assert again.steps == r.steps  # the recorded schedule, already finished
    _, _, s2 = load_checkpoint(out)
    assert s2["total_steps"] == r.steps


def test_tensorboard_scalars_are_written_when_asked(micro, pack, env, tmp_path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    d = yaml.safe_load(micro.read_text())
    d["run"]["tensorboard"] = True
    cfg_path = tmp_path / "tb.yaml"
    cfg_path.write_text(yaml.safe_dump(d))
    out = tmp_path / "tb"
    train(load_config(cfg_path), out, progress=False, log=lambda m: None, pack=pack)
    acc = EventAccumulator(str(out / "tensorboard"))
    acc.Reload()
    assert [e.step for e in acc.Scalars("loss")] == [1, 2, 3, 4]
    assert [e.step for e in acc.Scalars("val_miou")] == [2, 4]


def test_padding_batches_to_a_fixed_object_count_changes_no_prediction(pack) -> None:
    import dataclasses

    from jepa_model.data import collate
    from jepa_model.model import JEPA

    torch.manual_seed(0)
    cfg = load_config(TINY).model
    model = JEPA(dataclasses.replace(cfg, d_model=32, depth=1, heads=2, predictor_dim=16,
                                     predictor_depth=1, predictor_heads=2, placement=True))
    model.eval()
    scenes = read_pack(pack).val[:8]
    n = max(s.n for s in scenes)
    plain = collate(scenes, np.random.default_rng(0), train=False)
    padded = collate(scenes, np.random.default_rng(0), train=False, pad_to=n + 5)
    assert padded["box"].shape[1] == n + 5
    a, b = model.predict(plain), model.predict(padded)
    assert torch.allclose(a, b[:, :n], atol=1e-5)
    assert not b[:, n:].any()
    ta = model(collate(scenes, np.random.default_rng(1), train=True))
    tb = model(collate(scenes, np.random.default_rng(1), train=True, pad_to=n + 5))
    for k in ("loss", "loss_box", "loss_latent", "loss_place"):
        assert torch.allclose(ta[k], tb[k], atol=1e-5), k
