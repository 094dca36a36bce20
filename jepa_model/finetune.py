"""Fine-tune a checkpoint on real 3Blue1Brown layouts: the 3b1b ``dev`` split prepared here.

    python -m jepa_model finetune --out runs/jepa/tiny-3b1b
        [--checkpoint jepa_model/checkpoints/tiny] [--objective jepa|supervised]
        [--steps N | --time-budget SECONDS] [--replay N] [--val-share F]

The 3b1b suite cannot be shipped (its code and transcripts belong to their
authors), so a model learns from it on the machine that prepared it.  The
recipe (:class:`Recipe`, recorded in the checkpoint's ``finetune.json``):

* **Weights**: the checkpoint's (default the shipped tiny one); the optimiser
  starts fresh.  ``--objective`` switches the training objective: ``jepa``
  (the self-supervised one: mask some objects, predict the target encoder's
  latents of the masked objects from the context and the narration, plus the
  layout head) or ``supervised`` (the layout head only, no target encoder).
* **Real scenes**: every keyframe of the ``dev`` videos twice — as its context
  task (what the previous wait showed is given; the new objects are masked) and
  from scratch (a random subset of objects is masked, the rest is context) —
  except the validation videos.
* **Replay**: ``--replay`` synthetic ``train`` scenes, so the synthetic skill is
  kept.
* **Validation**: the context tasks of a share of the dev *videos*
  (``--val-share``, chosen by the hash of the video id, at least one video),
  with every target masked: ``val_miou`` is the benchmark's ``miou`` on them.
  Test videos never enter (the held-out guard checks every scene against both
  3b1b test variants and the synthetic test and val splits).
* **Schedule**: ``--steps`` optimiser steps at ``--lr`` (warm-up, cosine decay),
  or as many as fit in ``--time-budget`` seconds.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from benchmark.core.tasks import Task
from benchmark.suites.heldout import heldout_hashes
from benchmark.suites.threeb1b.source import SOURCE as THREEB1B
from benchmark.suites.threeb1b.source import scratch_split
from jepa_model.checkpoint import TARGET_PREFIX, CheckpointError, load_checkpoint
from jepa_model.config import Config
from jepa_model.data import TrainingData
from jepa_model.features import featurizer_for
from jepa_model.train import Start, TrainResult, train
from jepa_model.validation import validation_batches

__all__ = ["DEFAULT_BASE", "FinetuneError", "Recipe", "finetune", "split_videos"]

DEFAULT_BASE = Path(__file__).parent / "checkpoints" / "tiny"
RECIPE_FILE = "finetune.json"


class FinetuneError(ValueError):
    """The fine-tuning cannot start (no prepared suite, a bad recipe)."""


@dataclass(frozen=True)
class Recipe:
    """Everything that decides a fine-tuning run besides the base checkpoint's own config."""

    objective: str | None = None  # None: the checkpoint's
    steps: int = 1500
    time_budget: float | None = None
    lr: float = 3e-4
    min_lr: float = 1e-5
    warmup_steps: int = 50
    replay: int = 2000
    val_share: float = 0.25
    eval_every: int = 100
    seed: int = 0

    def __post_init__(self) -> None:
        if self.objective not in (None, "jepa", "supervised"):
            raise FinetuneError(f"objective must be jepa or supervised, got {self.objective!r}")
        if self.steps < 1:
            raise FinetuneError("steps must be at least 1")
        if self.time_budget is not None and self.time_budget <= 0:
            raise FinetuneError("time budget must be positive")
        if self.replay < 0:
            raise FinetuneError("replay must be at least 0")
        if not 0.0 < self.val_share < 1.0:
            raise FinetuneError(f"val share must be in (0, 1), got {self.val_share}")
        if not 0.0 < self.lr:
            raise FinetuneError("lr must be positive")


def split_videos(videos: list[str], share: float) -> tuple[list[str], list[str]]:
    """(training videos, validation videos): a video validates when the hash of its id falls
    below ``share``; at least one video does, and at least one trains."""
    if len(videos) < 2:
        raise FinetuneError(f"the 3b1b dev split has {len(videos)} video(s); fine-tuning needs "
                            "at least two (one trains, one validates)")

    def bucket(v: str) -> float:
        return int(hashlib.sha256(f"finetune-val:{v}".encode()).hexdigest()[:8], 16) / 2**32

    ranked = sorted(videos, key=bucket)
    n_val = min(max(1, sum(bucket(v) < share for v in videos)), len(videos) - 1)
    return sorted(ranked[n_val:]), sorted(ranked[:n_val])


def _dev_tasks() -> tuple[list[Task], list[Task], str]:
    """(context tasks, from-scratch tasks, suite hash) of the prepared 3b1b dev videos."""
    if not THREEB1B.size("dev"):
        raise FinetuneError("the 3b1b dev split is not prepared on this machine: python -m "
                            "benchmark prepare 3b1b --videos … --captions … (docs/suites.md)")
    ctx, scratch = THREEB1B.load("dev"), THREEB1B.load(scratch_split("dev"))
    return list(ctx.tasks), list(scratch.tasks), f"{ctx.hash}+{scratch.hash}"


def _config(base: Config, recipe: Recipe, out: Path) -> Config:
    model = base.model
    if recipe.objective is not None and recipe.objective != model.objective:
        model = dataclasses.replace(model, objective=recipe.objective)
    optim = dataclasses.replace(base.optim, lr=recipe.lr, min_lr=recipe.min_lr,
                                warmup_steps=recipe.warmup_steps, max_steps=recipe.steps)
    data = dataclasses.replace(base.data, synthetic_start=0, synthetic_n=recipe.replay,
                               threeb1b_dev=False)
    run = dataclasses.replace(base.run, seed=recipe.seed, out_dir=str(out),
                              eval_every=recipe.eval_every,
                              log_every=min(base.run.log_every, recipe.eval_every))
    return dataclasses.replace(base, model=model, optim=optim, data=data, run=run)


def _weights(base: Path, objective: str) -> dict[str, torch.Tensor]:
    """The base checkpoint's weights for a model of ``objective`` (a supervised model has no
    target encoder; a jepa model started from a supervised one gets a copy of its context
    encoder as the target, as a fresh model does)."""
    model, _, _ = load_checkpoint(base)
    state = dict(model.state_dict())
    has_target = any(k.startswith(TARGET_PREFIX) for k in state)
    if objective == "supervised":
        return {k: v for k, v in state.items() if not k.startswith(TARGET_PREFIX)}
    if not has_target:
        prefix = "context_encoder."
        state.update({TARGET_PREFIX + k[len(prefix):]: v for k, v in state.items()
                      if k.startswith(prefix)})
    return state


def finetune(out: Path, recipe: Recipe, base: Path = DEFAULT_BASE, *, progress: bool = True,
             log: Callable[[str], Any] = print) -> TrainResult:
    """Fine-tune the checkpoint in ``base`` on the prepared 3b1b dev split into ``out``."""
    try:
        _, base_cfg, base_state = load_checkpoint(base)
    except CheckpointError as exc:
        raise FinetuneError(str(exc)) from None
    cfg = _config(base_cfg, recipe, out)
    if cfg.model.image is not None:
        raise FinetuneError(f"{base}: a checkpoint with an image branch needs frames of the "
                            "3b1b scenes, which fine-tuning does not render; use one without")
    ctx, scratch, suite_hash = _dev_tasks()
    train_videos, val_videos = split_videos(sorted({t.family for t in ctx + scratch}),
                                            recipe.val_share)
    featurizer = featurizer_for(cfg)
    if featurizer.encoder.id != base_state.get("encoder_id", featurizer.encoder.id):
        raise FinetuneError(f"{base} was trained with the text encoder "
                            f"{base_state['encoder_id']}, not {featurizer.encoder.id}")
    heldout = heldout_hashes()
    real = TrainingData.from_tasks([t for t in ctx + scratch if t.family in train_videos],
                                   featurizer, heldout)
    synthetic = TrainingData.build(featurizer, cfg.data, log=log)
    val_tasks = [t for t in ctx if t.family in val_videos]
    val = validation_batches(TrainingData.from_tasks(val_tasks, featurizer, heldout).scenes,
                             cfg.optim.batch_size)
    data = TrainingData(real.scenes + synthetic.scenes,
                        {"3b1b": len(real), "synthetic": len(synthetic),
                         "dropped": real.counts.get("dropped", 0)})
    if len(data) < cfg.optim.batch_size:  # a small suite: one batch holds every scene
        cfg = dataclasses.replace(cfg, optim=dataclasses.replace(cfg.optim,
                                                                 batch_size=len(data)))
    log(f"fine-tuning {base} ({cfg.model.objective}) on {len(real)} 3b1b scenes from "
        f"{len(train_videos)} dev videos + {len(synthetic)} synthetic; validating on "
        f"{len(val_tasks)} context tasks of {len(val_videos)} videos")
    record = {"base": str(base), "base_weights_sha256": base_state.get("weights_sha256"),
              "recipe": dataclasses.asdict(recipe), "objective": cfg.model.objective,
              "suite_hash": suite_hash, "train_videos": train_videos,
              "val_videos": val_videos, "counts": data.counts, "val_tasks": len(val_tasks)}
    start = Start(data=data, val=val, encoder_id=featurizer.encoder.id,
                  weights=_weights(base, cfg.model.objective), extra={"finetune": record})
    result = train(cfg, out, progress=progress, log=log, start=start,
                   time_budget=recipe.time_budget)
    record.update(steps=result.steps, seconds=round(result.seconds, 1), final=result.final)
    (out / RECIPE_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return result
