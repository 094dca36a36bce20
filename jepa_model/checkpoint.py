"""Checkpoints: a directory with weights, the resolved config, and a small state record.

Layout of a checkpoint directory::

    model.safetensors  every tensor of the model: context encoder (tokenizer, image branch,
                       transformer), predictor, layout head and the EMA target encoder
    config.yaml        the resolved :class:`~jepa_model.config.Config` (every default written out)
    state.json         format version, step, parameter counts, metrics, sha256 of the weights;
                       from training also the text encoder's id and the schedule's length
    optim.pt           optional optimiser state for resuming (tensors only, loaded weights_only)

An *inference export* (:func:`export_checkpoint`, format 2, ``"inference_only": true`` in
``state.json``) leaves out the EMA target encoder, which only training reads: half the size for
a JEPA.  Loading one rebuilds the target encoder as a copy of the context encoder; training
refuses to resume from one.

safetensors rather than pickle: loading a checkpoint must not run code.  Every way a checkpoint
can be unusable is a :class:`CheckpointError` with a one-line message naming the directory and
what is wrong (a missing file, corrupted weights, a config whose model does not match the
weights — naming the tensor —, an unknown format version).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from jepa_model.config import Config, ConfigError, load_config
from jepa_model.model import JEPA

__all__ = ["CONFIG_FILE", "FORMAT_VERSION", "MODEL_FILE", "OPTIM_FILE", "STATE_FILE",
           "CheckpointError", "export_checkpoint", "load_checkpoint", "load_optimizer_state",
           "save_checkpoint"]

FORMAT_VERSION = 2  # 2: optional inference exports ("inference_only"); 1 is read as before
READABLE_VERSIONS = (1, 2)
TARGET_PREFIX = "target_encoder."
MODEL_FILE = "model.safetensors"
CONFIG_FILE = "config.yaml"
STATE_FILE = "state.json"
OPTIM_FILE = "optim.pt"


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be loaded; the one-line message says which and why."""


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _replace_atomically(path: Path, write: Any) -> None:
    """Write through a temporary file and rename, so a crash never leaves half a file."""
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)


def save_checkpoint(directory: str | Path, model: JEPA, config: Config, step: int,
                    metrics: Mapping[str, float] | None = None,
                    optimizer: torch.optim.Optimizer | None = None,
                    extra: Mapping[str, Any] | None = None) -> Path:
    """Write ``model`` (a :class:`JEPA`, possibly wrapped by ``torch.compile``) and its config
    to ``directory``; returns the directory.  ``extra``: more JSON fields for ``state.json``
    (training writes ``encoder_id`` and ``total_steps``)."""
    model = getattr(model, "_orig_mod", model)
    if model.cfg != config.model:
        raise ValueError("save_checkpoint: config.model is not the config the model was built "
                         "with")
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    _replace_atomically(out / MODEL_FILE, lambda p: save_file(
        tensors, str(p), metadata={"format_version": str(FORMAT_VERSION)}))
    _replace_atomically(out / CONFIG_FILE,
                        lambda p: p.write_text(config.to_yaml(), encoding="utf-8"))
    if optimizer is not None:
        _replace_atomically(out / OPTIM_FILE, lambda p: torch.save(optimizer.state_dict(), p))
    state = {
        **dict(extra or {}),
        "format_version": FORMAT_VERSION,
        "step": int(step),
        "parameters": model.num_parameters(),
        "parameters_total": model.num_parameters(trainable_only=False),
        "metrics": {k: float(v) for k, v in (metrics or {}).items()},
        "weights_sha256": _sha256(out / MODEL_FILE),
        "torch": torch.__version__,
    }
    _replace_atomically(out / STATE_FILE, lambda p: p.write_text(
        json.dumps(state, indent=2, sort_keys=True) + "\n", encoding="utf-8"))
    return out


def _read_state(where: Path) -> dict[str, Any]:
    try:
        state = json.loads((where / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"{where}: {STATE_FILE} is unreadable ({_one_line(exc)})") from exc
    if not isinstance(state, dict):
        raise CheckpointError(f"{where}: {STATE_FILE} is not a JSON object")
    version = state.get("format_version")
    if version not in READABLE_VERSIONS:
        raise CheckpointError(f"{where}: unknown checkpoint format version {version!r} "
                              f"(this code reads versions "
                              f"{', '.join(map(str, READABLE_VERSIONS))})")
    return state


def _read_weights(where: Path, state: Mapping[str, Any]) -> dict[str, torch.Tensor]:
    path = where / MODEL_FILE
    expected = state.get("weights_sha256")
    if expected is not None and _sha256(path) != expected:
        raise CheckpointError(f"{where}: {MODEL_FILE} is corrupted (sha256 differs from "
                              f"{STATE_FILE})")
    try:
        return load_file(str(path), device="cpu")
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{where}: {MODEL_FILE} is corrupted ({_one_line(exc)})") from exc


def _check_match(where: Path, model: JEPA, tensors: Mapping[str, torch.Tensor],
                 inference_only: bool = False) -> None:
    expected = {k: v for k, v in model.state_dict().items()
                if not (inference_only and k.startswith(TARGET_PREFIX))}
    for name, t in expected.items():
        if name not in tensors:
            raise CheckpointError(f"{where}: {CONFIG_FILE} does not match {MODEL_FILE}: "
                                  f"tensor {name!r} is missing from the weights")
        if tuple(tensors[name].shape) != tuple(t.shape):
            raise CheckpointError(
                f"{where}: {CONFIG_FILE} does not match {MODEL_FILE}: tensor {name!r} has "
                f"shape {tuple(tensors[name].shape)} in the weights but the config builds "
                f"{tuple(t.shape)}")
    extra = sorted(set(tensors) - set(expected))
    if extra:
        raise CheckpointError(f"{where}: {CONFIG_FILE} does not match {MODEL_FILE}: tensor "
                              f"{extra[0]!r} is not in the model the config builds")


def load_checkpoint(directory: str | Path, map_location: str | torch.device = "cpu"
                    ) -> tuple[JEPA, Config, dict[str, Any]]:
    """(model in eval mode on ``map_location``, config, state) from a checkpoint directory."""
    where = Path(directory)
    if not where.is_dir():
        raise CheckpointError(f"checkpoint directory not found: {where}")
    for name in (STATE_FILE, CONFIG_FILE, MODEL_FILE):
        if not (where / name).is_file():
            raise CheckpointError(f"{where}: {name} is missing")
    state = _read_state(where)
    try:
        config = load_config(where / CONFIG_FILE)
        model = JEPA(config.model)
    except ConfigError as exc:
        raise CheckpointError(f"{where}: {_one_line(exc)}") from exc
    tensors = _read_weights(where, state)
    inference_only = bool(state.get("inference_only"))
    _check_match(where, model, tensors, inference_only)
    model.load_state_dict(tensors, strict=not inference_only)
    if inference_only and model.target_encoder is not None:
        model.target_encoder.load_state_dict(model.context_encoder.state_dict())
    return model.to(map_location).eval(), config, state


def export_checkpoint(source: str | Path, out: str | Path) -> Path:
    """Write the inference export of the checkpoint in ``source`` to ``out``: the weights
    without the target encoder, the same config, the state marked ``inference_only`` (with the
    source's weights digest), and the source's ``metrics.csv`` when it has one."""
    src, dst = Path(source), Path(out)
    model, config, state = load_checkpoint(src)
    if src.resolve() == dst.resolve():
        raise CheckpointError(f"{dst}: export into a different folder than the checkpoint")
    dst.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().contiguous() for k, v in model.state_dict().items()
               if not k.startswith(TARGET_PREFIX)}
    _replace_atomically(dst / MODEL_FILE, lambda p: save_file(
        tensors, str(p), metadata={"format_version": str(FORMAT_VERSION)}))
    _replace_atomically(dst / CONFIG_FILE,
                        lambda p: p.write_text(config.to_yaml(), encoding="utf-8"))
    new = {**state, "format_version": FORMAT_VERSION, "inference_only": True,
           "exported_from_sha256": state.get("weights_sha256"),
           "weights_sha256": _sha256(dst / MODEL_FILE)}
    _replace_atomically(dst / STATE_FILE, lambda p: p.write_text(
        json.dumps(new, indent=2, sort_keys=True) + "\n", encoding="utf-8"))
    if (src / "metrics.csv").is_file():
        (dst / "metrics.csv").write_bytes((src / "metrics.csv").read_bytes())
    return dst


def load_optimizer_state(directory: str | Path, optimizer: torch.optim.Optimizer,
                         map_location: str | torch.device = "cpu") -> bool:
    """Restore ``optimizer`` from ``optim.pt`` if the checkpoint has one; True if it did."""
    path = Path(directory) / OPTIM_FILE
    if not path.is_file():
        return False
    try:
        optimizer.load_state_dict(torch.load(path, map_location=map_location, weights_only=True))
    except (OSError, RuntimeError, ValueError, KeyError) as exc:
        raise CheckpointError(f"{directory}: {OPTIM_FILE} is unusable ({_one_line(exc)})") from exc
    return True
