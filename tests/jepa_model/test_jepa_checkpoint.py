"""Layout JEPA checkpoints and configs: save/load, the shipped configs, and the one-line
errors."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import torch
from test_jepa_model import make_batch, small_model

from jepa_model.checkpoint import (
    CONFIG_FILE,
    MODEL_FILE,
    STATE_FILE,
    CheckpointError,
    load_checkpoint,
    save_checkpoint,
)
from jepa_model.config import Config, ConfigError, config_from_dict, load_config
from jepa_model.model import JEPA

torch.set_num_threads(1)

CONFIGS = Path(__file__).resolve().parents[2] / "jepa_model" / "configs"
TINY_TRAINABLE_PARAMETERS = 888_279


# ---- checkpoints -------------------------------------------------------------------------------

def save_small(tmp_path: Path) -> tuple[Path, JEPA, Config]:
    model = small_model()
    model.ema_update(0.5)
    config = Config(model=model.cfg)
    out = save_checkpoint(tmp_path / "ckpt", model, config, step=7, metrics={"iou": 0.5})
    return out, model, config


def test_save_then_load_gives_bitwise_identical_predictions(tmp_path: Path) -> None:
    where, model, config = save_small(tmp_path)
    loaded, loaded_config, state = load_checkpoint(where)
    batch = make_batch()
    assert torch.equal(model.eval().predict(batch), loaded.predict(batch))
    assert loaded_config == config
    assert state["step"] == 7 and state["metrics"] == {"iou": 0.5}
    assert state["parameters"] == model.num_parameters()
    assert any(k.startswith("target_encoder.") for k in loaded.state_dict())


def _load_error(where: Path) -> str:
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(where)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_truncated_weights_are_a_one_line_error(tmp_path: Path) -> None:
    where, _, _ = save_small(tmp_path)
    data = (where / MODEL_FILE).read_bytes()
    (where / MODEL_FILE).write_bytes(data[: len(data) // 2])
    assert "corrupted (sha256" in _load_error(where)
    state = json.loads((where / STATE_FILE).read_text())
    del state["weights_sha256"]  # the checksum is optional; safetensors' own check remains
    (where / STATE_FILE).write_text(json.dumps(state))
    assert "corrupted (Error while deserializing header" in _load_error(where)


def test_flipped_bytes_in_the_weights_are_detected(tmp_path: Path) -> None:
    where, _, _ = save_small(tmp_path)
    data = bytearray((where / MODEL_FILE).read_bytes())
    data[-100] ^= 0xFF  # tensor data, not the header: only the checksum can see it
    (where / MODEL_FILE).write_bytes(bytes(data))
    assert "corrupted" in _load_error(where)


def test_missing_config_or_directory_is_a_one_line_error(tmp_path: Path) -> None:
    where, _, _ = save_small(tmp_path)
    assert "directory not found" in _load_error(tmp_path / "nowhere")
    (where / CONFIG_FILE).unlink()
    assert f"{CONFIG_FILE} is missing" in _load_error(where)


def test_config_that_does_not_match_the_weights_names_the_tensor(tmp_path: Path) -> None:
    where, _, config = save_small(tmp_path)
    other = Config(model=dataclasses.replace(config.model, d_model=48))
    (where / CONFIG_FILE).write_text(other.to_yaml(), encoding="utf-8")
    message = _load_error(where)
    assert "does not match" in message and "tensor 'context_encoder." in message


def test_unknown_format_version_is_a_one_line_error(tmp_path: Path) -> None:
    where, _, _ = save_small(tmp_path)
    state = (where / STATE_FILE).read_text()
    assert '"format_version": 2' in state
    state = state.replace('"format_version": 2', '"format_version": 99')
    (where / STATE_FILE).write_text(state)
    assert "format version 99" in _load_error(where)


# ---- configs -----------------------------------------------------------------------------------

def test_shipped_configs_load_and_round_trip(tmp_path: Path) -> None:
    for name in ("tiny", "base"):
        config = load_config(CONFIGS / f"{name}.yaml")
        copy = tmp_path / f"{name}.yaml"
        copy.write_text(config.to_yaml())
        assert load_config(copy) == config
    assert load_config(CONFIGS / "base.yaml").run.precision == "bf16"


def test_tiny_model_has_the_documented_parameter_count() -> None:
    model = JEPA(load_config(CONFIGS / "tiny.yaml").model)
    assert model.num_parameters() == TINY_TRAINABLE_PARAMETERS
    assert f"{TINY_TRAINABLE_PARAMETERS / 1e6:.2f}M" in (CONFIGS / "tiny.yaml").read_text()


@pytest.mark.parametrize(("text", "key"), [
    ("model:\n  dpeth: 3\n", "model.dpeth"),
    ("modle: {}\n", "modle"),
    ("model:\n  depth: three\n", "model.depth"),
    ("model:\n  depth: 3.5\n", "model.depth"),
    ("run:\n  compile: 1\n", "run.compile"),
    ("model:\n  objective: contrastive\n", "model.objective"),
    ("model:\n  image: {kind: ijepa_vit, pred_scale: [0.1]}\n", "model.image.pred_scale"),
    ("model:\n  heads: 5\n", "model.heads"),
    ("data:\n  augment: {flip: true}\n", "data.augment.flip"),
    ("data:\n  mask_max: 0\n", "data.mask_max"),
])
def test_load_config_rejects_bad_keys_and_types_naming_the_key(
        tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert key in message and str(path) in message and "\n" not in message


def test_numbers_given_as_integers_are_accepted_for_float_fields() -> None:
    assert config_from_dict({"optim": {"lr": 1}}).optim.lr == 1.0
