"""Inference exports: the checkpoint without its EMA target encoder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from test_jepa_checkpoint import save_small
from test_jepa_model import make_batch

from jepa_model.checkpoint import (
    MODEL_FILE,
    STATE_FILE,
    CheckpointError,
    export_checkpoint,
    load_checkpoint,
)

REPO = Path(__file__).resolve().parents[2]


def test_an_export_predicts_exactly_what_its_checkpoint_predicts_at_half_the_size(
        tmp_path: Path) -> None:
    where, model, _ = save_small(tmp_path)
    out = export_checkpoint(where, tmp_path / "export")
    loaded, _, state = load_checkpoint(out)
    batch = make_batch()
    assert torch.equal(model.eval().predict(batch), loaded.predict(batch))
    assert state["inference_only"] is True
    assert state["exported_from_sha256"] == json.loads(
        (where / STATE_FILE).read_text())["weights_sha256"]
    assert (out / MODEL_FILE).stat().st_size < 0.7 * (where / MODEL_FILE).stat().st_size
    # the rebuilt target encoder is the context encoder (training would start from there)
    assert loaded.target_encoder is not None
    for a, b in zip(loaded.target_encoder.parameters(), loaded.context_encoder.parameters(),
                    strict=True):
        assert torch.equal(a, b)


def test_a_damaged_export_is_still_a_clear_error(tmp_path: Path) -> None:
    where, _, _ = save_small(tmp_path)
    out = export_checkpoint(where, tmp_path / "export")
    data = bytearray((out / MODEL_FILE).read_bytes())
    data[-10] ^= 0xFF
    (out / MODEL_FILE).write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="corrupted"):
        load_checkpoint(out)


def test_export_cli_and_resume_refusal(tmp_path: Path) -> None:
    where, _, _ = save_small(tmp_path)
    r = subprocess.run([sys.executable, "-m", "jepa_model", "export", "--checkpoint",
                        str(where), "--out", str(tmp_path / "e")], capture_output=True,
                       text=True, cwd=REPO, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "without the target encoder" in r.stdout
    r = subprocess.run([sys.executable, "-m", "jepa_model", "export", "--checkpoint",
                        str(tmp_path / "none"), "--out", str(tmp_path / "e2")],
                       capture_output=True, text=True, cwd=REPO, timeout=120)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "not found" in r.stderr
