"""The training loop: ``python -m jepa_model train --config jepa_model/configs/tiny.yaml``.

One readable loop (:mod:`jepa_model.loop`): data → forward → backward → clip →
AdamW step → EMA update of the target encoder (momentum rising to 1) → log.
Validation on the synthetic ``val`` split (never a test split) every
``run.eval_every`` steps and at the end, with every non-given object masked
(exactly the inference setting): the box loss and ``val_miou``, the benchmark's
own ``miou`` of the predicted layout (mean padded IoU per scene over the masked
objects, averaged over scenes; :mod:`jepa_model.validation`).  A checkpoint
(safetensors + resolved config + state + optimizer) is written at each
evaluation, so ``--resume DIR`` continues from the last one; ``metrics.csv``
logs every ``run.log_every`` steps.  Deterministic on the CPU for a fixed seed.

GPU: ``run.precision: bf16`` autocasts, ``run.compile`` compiles the model, and
under ``torchrun`` (``WORLD_SIZE`` > 1) the model is wrapped in
DistributedDataParallel and each rank takes its share of every batch.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmark.suites import load_suite
from jepa_model.checkpoint import CheckpointError, load_checkpoint, load_optimizer_state
from jepa_model.config import Config
from jepa_model.data import TrainingData
from jepa_model.features import Featurizer, featurizer_for
from jepa_model.loop import CALIBRATION_STEPS, TrainLoop, TrainResult, lr_at
from jepa_model.model import JEPA, parameter_groups
from jepa_model.pack import read_pack
from jepa_model.validation import evaluate, validation_batches

__all__ = ["CALIBRATION_STEPS", "Start", "TrainResult", "evaluate", "lr_at", "train",
           "validation_batches"]


@dataclass
class Start:
    """What a caller hands :func:`train` instead of the config's data section: the training
    scenes, the validation batches, the text encoder's id, optionally the weights to start
    from (``JEPA.state_dict()`` keys) and more fields for ``state.json``."""

    data: TrainingData
    val: list[dict[str, torch.Tensor]]
    encoder_id: str
    weights: dict[str, torch.Tensor] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def _seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _validation(cfg: Config, featurizer: Featurizer, n: int = 200
                ) -> list[dict[str, torch.Tensor]]:
    return validation_batches(featurizer.scenes(load_suite("synthetic", "val", limit=n).tasks),
                              cfg.optim.batch_size, cfg.model.image)


def train(cfg: Config, out: Path, resume: Path | None = None, *, progress: bool = True,
          log: Callable[[str], Any] = print, max_steps: int | None = None,
          stop_at: int | None = None, pack: Path | None = None,
          time_budget: float | None = None, start: Start | None = None) -> TrainResult:
    """Train ``cfg`` into ``out`` (or continue the checkpoint in ``resume``).

    ``max_steps`` shortens the whole schedule; ``stop_at`` stops early (with a checkpoint)
    inside the planned schedule, as an interruption would — ``--resume`` then continues it.
    ``pack``: train from a training pack (:mod:`jepa_model.pack`) instead of featurising here.
    ``time_budget``: seconds for the optimisation loop; after :data:`CALIBRATION_STEPS` steps
    the schedule is shortened to the steps that fit (fixed from then on and recorded in the
    checkpoint, so a resume continues the same schedule).  The first steps are warm-up, whose
    learning rate does not depend on the schedule's length.
    ``start``: train on these scenes from these weights (fine-tuning) instead.
    """
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    device = _init_device(cfg.run.device, world)
    _seed(cfg.run.seed)
    if start is not None:
        data, val, encoder_id = start.data, start.val, start.encoder_id
    else:
        data, val, encoder_id = _training_data(cfg, pack, log, rank)
    if len(data) < cfg.optim.batch_size:
        raise ValueError(f"{len(data)} training scenes are fewer than one batch "
                         f"(optim.batch_size {cfg.optim.batch_size})")
    steps_per_epoch = max(1, len(data) // cfg.optim.batch_size)
    total = cfg.optim.max_steps or cfg.optim.epochs * steps_per_epoch
    if max_steps is not None:
        total = min(total, max_steps)

    model = JEPA(cfg.model)
    if start is not None and start.weights is not None:
        model.load_state_dict(start.weights)
    model = model.to(device)
    optimizer = torch.optim.AdamW(parameter_groups(model, cfg.optim.weight_decay),
                                  lr=cfg.optim.lr, betas=(0.9, 0.98),
                                  fused=device.type == "cuda")  # one kernel per step
    step = 0
    if resume is not None:
        step, resumed_total = _resume(resume, model, optimizer, device, log)
        if resumed_total is not None:
            total = resumed_total  # the schedule the run was started with
            time_budget = None
    loop = TrainLoop(cfg, model, _runner(model, cfg, world, device), optimizer, device, val, log)
    loop.world, loop.rank, loop.steps_per_epoch = world, rank, steps_per_epoch
    loop.step, loop.total, loop.stop_at, loop.time_budget = step, total, stop_at, time_budget
    loop.end = min(total, stop_at) if stop_at is not None else total
    loop.extra = {**(start.extra if start is not None else {}), "encoder_id": encoder_id,
                  "total_steps": total}
    return loop.run(data, out, resume, progress)


def _init_device(name: str, world: int) -> torch.device:
    """The device; under ``torchrun`` (``world`` > 1) the process group joined first."""
    device = _device(name)
    if world > 1:
        import torch.distributed as dist

        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
        if device.type == "cuda":
            device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
            torch.cuda.set_device(device)
    return device


def _training_data(cfg: Config, pack: Path | None, log: Callable[[str], Any], rank: int
                   ) -> tuple[Any, list[dict[str, torch.Tensor]], str]:
    """(training data, validation batches, text encoder id), from ``pack`` or featurised."""
    if pack is None:
        featurizer = featurizer_for(cfg)
        data = TrainingData.build(featurizer, cfg.data, log=log if rank == 0 else None,
                                  image=cfg.model.image)
        return data, _validation(cfg, featurizer), featurizer.encoder.id
    packed = read_pack(pack)
    if packed.dim != cfg.model.text_dim:
        raise ValueError(f"model.text_dim is {cfg.model.text_dim} but the pack {pack} "
                         f"holds {packed.dim}-dimensional embeddings")
    im = cfg.model.image
    if im is not None and packed.manifest.get("frames") != [im.image_height, im.image_width]:
        raise ValueError(f"model.image needs {im.image_width}x{im.image_height} frames but "
                         f"the pack {pack} has {packed.manifest.get('frames') or 'none'}; "
                         "make the pack with this config")
    val = validation_batches(packed.val, cfg.optim.batch_size, cfg.model.image)
    log(f"pack {pack}: {len(packed.train)} training scenes, {len(packed.val)} validation "
        "scenes")
    return packed.train, val, packed.encoder_id


def _resume(resume: Path, model: JEPA, optimizer: torch.optim.Optimizer,
            device: torch.device, log: Callable[[str], Any]) -> tuple[int, int | None]:
    """Load a training checkpoint into ``model`` and ``optimizer``: (its step, the length of
    the schedule it was started with, when recorded)."""
    loaded, _, state = load_checkpoint(resume, map_location=device)
    if state.get("inference_only"):
        raise CheckpointError(f"{resume}: an inference export (no target encoder, no "
                              "optimiser state) cannot be resumed; resume the training "
                              "checkpoint it was exported from")
    model.load_state_dict(loaded.state_dict())
    load_optimizer_state(resume, optimizer, map_location=device)
    step = int(state.get("step", 0))
    total = int(state["total_steps"]) if state.get("total_steps") else None
    log(f"resumed from {resume} at step {step}")
    return step, total


def _runner(model: JEPA, cfg: Config, world: int, device: torch.device) -> torch.nn.Module:
    """What the steps call: the model, compiled (``run.compile``) and wrapped in DDP."""
    runner: torch.nn.Module = model
    if cfg.run.compile:
        from torch import _dynamo

        # a graph the compiler cannot handle runs eagerly instead of ending the run
        _dynamo.config.suppress_errors = True
        runner = torch.compile(model)  # type: ignore[assignment]
    if world > 1:
        runner = torch.nn.parallel.DistributedDataParallel(
            runner, device_ids=[device.index] if device.type == "cuda" else None)
    return runner
