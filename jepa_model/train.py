"""The training loop: ``python -m jepa_model train --config jepa_model/configs/tiny.yaml``.

One readable loop: data → forward → backward → clip → AdamW step → EMA update of
the target encoder (momentum rising to 1) → log.  Validation on the synthetic
``val`` split (never a test split) every ``run.eval_every`` steps and at the end:
latent/box losses and the layout's mean IoU over every non-given object, with
all of them masked (exactly the inference setting).  A checkpoint (safetensors +
resolved config + state + optimizer) is written at each evaluation, so
``--resume DIR`` continues from the last one; ``metrics.csv`` logs every
``run.log_every`` steps.  Deterministic on the CPU for a fixed seed.

GPU: ``run.precision: bf16`` autocasts, ``run.compile`` compiles the model, and
under ``torchrun`` (``WORLD_SIZE`` > 1) the model is wrapped in
DistributedDataParallel and each rank takes its share of every batch.
"""

from __future__ import annotations

import csv
import math
import os
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from jepa_model.checkpoint import load_checkpoint, load_optimizer_state, save_checkpoint
from jepa_model.config import Config
from jepa_model.model import JEPA, momentum_schedule, parameter_groups

__all__ = ["CALIBRATION_STEPS", "TrainResult", "box_iou", "evaluate", "featurizer_for",
           "lr_at", "train", "validation_batches"]

CALIBRATION_STEPS = 60
"""With a time budget: steps after which the schedule's length is fixed from the speed seen."""
CALIBRATION_WARM = 20
"""... of which the first are not timed (compilation, allocator warm-up)."""

LOG_FIELDS = ("step", "epoch", "lr", "momentum", "loss", "loss_latent", "loss_box",
              "loss_kind", "loss_place", "samples_per_s", "val_loss_box", "val_miou")


@dataclass
class TrainResult:
    out: Path
    steps: int
    seconds: float
    samples_per_s: float
    final: dict[str, float] = field(default_factory=dict)


def lr_at(step: int, total: int, cfg: Config) -> float:
    """Linear warm-up to ``optim.lr``, then cosine decay to ``optim.min_lr``."""
    o = cfg.optim
    if step < o.warmup_steps:
        return o.lr * (step + 1) / o.warmup_steps
    t = (step - o.warmup_steps) / max(1, total - o.warmup_steps)
    return o.min_lr + 0.5 * (o.lr - o.min_lr) * (1 + math.cos(math.pi * min(t, 1.0)))


def _device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def _seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _to(batch: dict[str, torch.Tensor], device: torch.device) -> dict[str, torch.Tensor]:
    return {k: v.to(device, non_blocking=True) for k, v in batch.items()}


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IoU of normalised (cx, cy, w, h) boxes in scene units (the frame's aspect kept)."""
    from benchmark.core.frame import FRAME_HEIGHT, FRAME_WIDTH

    scale = a.new_tensor([FRAME_WIDTH / 2, FRAME_HEIGHT / 2, FRAME_WIDTH, FRAME_HEIGHT])
    a, b = a * scale, b * scale

    def corners(x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return (x[..., 0] - x[..., 2] / 2, x[..., 1] - x[..., 3] / 2,
                x[..., 0] + x[..., 2] / 2, x[..., 1] + x[..., 3] / 2)

    ax0, ay0, ax1, ay1 = corners(a)
    bx0, by0, bx1, by1 = corners(b)
    iw = (torch.minimum(ax1, bx1) - torch.maximum(ax0, bx0)).clamp(min=0)
    ih = (torch.minimum(ay1, by1) - torch.maximum(ay0, by0)).clamp(min=0)
    inter = iw * ih
    union = (ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - inter
    return inter / union.clamp(min=1e-9)


@torch.no_grad()
def evaluate(model: JEPA, batches: list[dict[str, torch.Tensor]],
             device: torch.device) -> dict[str, float]:
    """Box MSE and mean IoU of every non-given object, all masked (the inference setting);
    each batch carries the true boxes as ``target_box``."""
    model.eval()
    losses, ious, n = 0.0, 0.0, 0
    for batch in batches:
        b = _to({k: v for k, v in batch.items() if k != "target_box"}, device)
        target = batch["target_box"].to(device)  # the inference batch hides masked boxes
        pred = model.predict(b)
        m = b["mask"] & b["valid"]
        losses += float(((pred[m].float() - target[m]) ** 2).mean(-1).sum())
        ious += float(box_iou(pred[m].float(), target[m]).sum())
        n += int(m.sum())
    model.train()
    return {"val_loss_box": losses / max(n, 1), "val_miou": ious / max(n, 1)}


def _validation(cfg: Config, featurizer: Any, n: int = 200) -> list[dict[str, torch.Tensor]]:
    from benchmark.suites import load_suite

    return validation_batches(featurizer.scenes(load_suite("synthetic", "val", limit=n).tasks),
                              cfg.optim.batch_size, cfg.model.image)


def validation_batches(scenes: list[Any], bs: int, image: Any = None
                       ) -> list[dict[str, torch.Tensor]]:
    """Inference batches of ``scenes`` (every free object masked, boxes hidden; with an image
    branch, the empty frame) carrying the true boxes as ``target_box``."""
    from jepa_model.data import collate

    rng = np.random.default_rng(0)
    out = []
    for i in range(0, len(scenes), bs):
        part = scenes[i:i + bs]
        batch = collate(part, rng, train=False, image=image)
        target = torch.zeros_like(batch["box"])
        for j, s in enumerate(part):
            target[j, : s.n] = torch.from_numpy(s.box)
        out.append({**batch, "target_box": target})
    return out


def featurizer_for(cfg: Config) -> Any:
    """The featurizer of ``cfg.data.text_encoder`` with its embedding cache; checks that the
    encoder's dimension is ``model.text_dim``."""
    from benchmark.core.text import EmbeddingCache, TextEncoder
    from jepa_model.features import Featurizer

    encoder = TextEncoder.load(cfg.data.text_encoder)
    if encoder.dim != cfg.model.text_dim:
        raise ValueError(f"model.text_dim is {cfg.model.text_dim} but the text encoder "
                         f"{encoder.path} gives {encoder.dim}-dimensional embeddings")
    return Featurizer(encoder, EmbeddingCache(encoder))


def train(cfg: Config, out: Path, resume: Path | None = None, *, progress: bool = True,
          log: Callable[[str], Any] = print, max_steps: int | None = None,
          stop_at: int | None = None, pack: Path | None = None,
          time_budget: float | None = None) -> TrainResult:
    """Train ``cfg`` into ``out`` (or continue the checkpoint in ``resume``).

    ``max_steps`` shortens the whole schedule; ``stop_at`` stops early (with a checkpoint)
    inside the planned schedule, as an interruption would — ``--resume`` then continues it.
    ``pack``: train from a training pack (:mod:`jepa_model.pack`) instead of featurising here.
    ``time_budget``: seconds for the optimisation loop; after :data:`CALIBRATION_STEPS` steps
    the schedule is shortened to the steps that fit (fixed from then on and recorded in the
    checkpoint, so a resume continues the same schedule).  The first steps are warm-up, whose
    learning rate does not depend on the schedule's length.
    """
    from jepa_model.data import TrainingData

    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    device = _device(cfg.run.device)
    if world > 1:
        import torch.distributed as dist

        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
        if device.type == "cuda":
            device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
            torch.cuda.set_device(device)
    _seed(cfg.run.seed)
    if pack is not None:
        from jepa_model.pack import read_pack

        packed = read_pack(pack)
        if packed.dim != cfg.model.text_dim:
            raise ValueError(f"model.text_dim is {cfg.model.text_dim} but the pack {pack} "
                             f"holds {packed.dim}-dimensional embeddings")
        data, encoder_id = packed.train, packed.encoder_id
        im = cfg.model.image
        if im is not None and packed.manifest.get("frames") != [im.image_height,
                                                                 im.image_width]:
            raise ValueError(f"model.image needs {im.image_width}x{im.image_height} frames but "
                             f"the pack {pack} has {packed.manifest.get('frames') or 'none'}; "
                             "make the pack with this config")
        val = validation_batches(packed.val, cfg.optim.batch_size, cfg.model.image)
        log(f"pack {pack}: {len(data)} training scenes, {len(packed.val)} validation scenes")
    else:
        featurizer = featurizer_for(cfg)
        data = TrainingData.build(featurizer, cfg.data, log=log if rank == 0 else None,
                                  image=cfg.model.image)
        val = _validation(cfg, featurizer)
        encoder_id = featurizer.encoder.id
    steps_per_epoch = max(1, len(data) // cfg.optim.batch_size)
    total = cfg.optim.max_steps or cfg.optim.epochs * steps_per_epoch
    if max_steps is not None:
        total = min(total, max_steps)

    model = JEPA(cfg.model).to(device)
    optimizer = torch.optim.AdamW(parameter_groups(model, cfg.optim.weight_decay),
                                  lr=cfg.optim.lr, betas=(0.9, 0.98),
                                  fused=device.type == "cuda")  # one kernel per step
    step = 0
    if resume is not None:
        loaded, _, state = load_checkpoint(resume, map_location=device)
        if state.get("inference_only"):
            from jepa_model.checkpoint import CheckpointError

            raise CheckpointError(f"{resume}: an inference export (no target encoder, no "
                                  "optimiser state) cannot be resumed; resume the training "
                                  "checkpoint it was exported from")
        model.load_state_dict(loaded.state_dict())
        load_optimizer_state(resume, optimizer, map_location=device)
        step = int(state.get("step", 0))
        if state.get("total_steps"):
            total = int(state["total_steps"])  # the schedule the run was started with
            time_budget = None
        log(f"resumed from {resume} at step {step}")
    end = min(total, stop_at) if stop_at is not None else total
    runner: torch.nn.Module = model
    if cfg.run.compile:
        from torch import _dynamo

        # a graph the compiler cannot handle runs eagerly instead of ending the run
        _dynamo.config.suppress_errors = True
        runner = torch.compile(model)  # type: ignore[assignment]
    if world > 1:
        runner = torch.nn.parallel.DistributedDataParallel(
            runner, device_ids=[device.index] if device.type == "cuda" else None)
    autocast = (torch.autocast(device.type, dtype=torch.bfloat16)
                if cfg.run.precision == "bf16" else torch.autocast(device.type, enabled=False))

    out.mkdir(parents=True, exist_ok=True)
    board = _tensorboard(out) if cfg.run.tensorboard and rank == 0 else None
    log_path = out / "metrics.csv"
    new_log = not (resume and log_path.is_file())
    log_file = open(log_path, "a" if not new_log else "w", newline="")
    writer = csv.DictWriter(log_file, fieldnames=LOG_FIELDS)
    if new_log:
        writer.writeheader()
    # Every step's randomness (order, masks, augmentation) comes from its epoch's seed,
    # so a resumed run replays the same batches.
    bar = None
    if progress and rank == 0:
        from tqdm import tqdm

        bar = tqdm(total=total, initial=step, desc="train", unit="step", dynamic_ncols=True)
    t0, seen, last = time.perf_counter(), 0, {}
    final: dict[str, float] = {}
    extra = {"encoder_id": encoder_id, "total_steps": total}
    warm_at = step + CALIBRATION_WARM if time_budget is not None else None
    calibrate_at = step + CALIBRATION_STEPS if time_budget is not None else None
    t_cal = t0
    model.train()
    try:
        while step < end:
            epoch = step // steps_per_epoch
            rng = np.random.default_rng([cfg.run.seed, epoch])
            batches = data.batches(cfg.optim.batch_size, rng, cfg.data.augment,
                                   cfg.data.mask_min, cfg.data.mask_max,
                                   pad_to=cfg.data.pad_to, image=cfg.model.image)
            for i, batch in enumerate(_prefetch(batches, device)):
                if i < step % steps_per_epoch or step >= end:
                    continue  # batches before the resume point (same rng, skipped)
                if world > 1:
                    batch = {k: v[rank::world] for k, v in batch.items()}
                lr = lr_at(step, total, cfg)
                for g in optimizer.param_groups:
                    g["lr"] = lr
                with autocast:
                    outputs = runner(_to(batch, device))
                (outputs["loss"] / cfg.optim.grad_accum).backward()
                if (step + 1) % cfg.optim.grad_accum == 0:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.optim.grad_clip)
                    optimizer.step()
                    optimizer.zero_grad(set_to_none=True)
                momentum = momentum_schedule(step, total, cfg.optim.ema_start, cfg.optim.ema_end)
                model.ema_update(momentum)
                step += 1
                seen += int(batch["valid"].shape[0])
                if step == warm_at:
                    t_cal = time.perf_counter()  # compilation and first steps are behind us
                if step == calibrate_at:
                    assert time_budget is not None
                    now = time.perf_counter()
                    rate = (CALIBRATION_STEPS - CALIBRATION_WARM) / max(now - t_cal, 1e-9)
                    fits = step + int(0.95 * rate * max(time_budget - (now - t0), 0.0))
                    if fits < total:
                        total = max(fits, step + 1)
                        end = min(total, stop_at) if stop_at is not None else total
                    extra["total_steps"] = total
                    if bar is not None:
                        bar.total = total
                        bar.refresh()
                    log(f"time budget {time_budget:.0f} s: {rate:.1f} steps/s → "
                        f"{total} steps in all")
                at_eval = step % cfg.run.eval_every == 0 or step in (total, end)
                at_log = step % cfg.run.log_every == 0 or at_eval
                rate = seen / max(time.perf_counter() - t0, 1e-9)
                if at_log:  # reading the losses waits for the device: only when logging
                    last = {k: float(outputs[k].detach()) for k in
                            ("loss", "loss_latent", "loss_box", "loss_kind", "loss_place")}
                if bar is not None:
                    bar.update(1)
                    if at_log:
                        bar.set_postfix(loss=f"{last['loss']:.4f}",
                                        box=f"{last['loss_box']:.4f}", sps=f"{rate:.0f}")
                if rank == 0 and at_log:
                    row: dict[str, Any] = {"step": step, "epoch": epoch, "lr": lr,
                                           "momentum": momentum, **last,
                                           "samples_per_s": round(rate, 1)}
                    if at_eval:
                        final = evaluate(model, val, device)
                        row.update(final)
                        save_checkpoint(out, model, cfg, step, {**last, **final}, optimizer,
                                        extra=extra)
                    writer.writerow(row)
                    log_file.flush()
                    if board is not None:
                        for k, v in row.items():
                            if k not in ("step", "epoch"):
                                board.add_scalar(k, v, step)
    finally:
        log_file.close()
        if board is not None:
            board.close()
        if bar is not None:
            bar.close()
    seconds = time.perf_counter() - t0
    return TrainResult(out, step, seconds, seen / max(seconds, 1e-9), {**last, **final})


def _tensorboard(out: Path) -> Any:
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise ValueError("run.tensorboard is on but the tensorboard package is not installed "
                         "(pip install tensorboard)") from None
    return SummaryWriter(str(out / "tensorboard"))


def _prefetch(batches: Iterator[dict[str, torch.Tensor]], device: torch.device,
              depth: int = 4) -> Iterator[dict[str, torch.Tensor]]:
    """``batches`` made ahead in a background thread (pinned for a GPU), in the same order.

    Collating is NumPy work on the CPU; on a GPU it would otherwise stall every step."""
    if device.type != "cuda":
        yield from batches
        return
    import queue
    import threading

    q: queue.Queue[Any] = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def work() -> None:
        try:
            for b in batches:
                item = {k: v.pin_memory() for k, v in b.items()}
                while not stop.is_set():
                    try:
                        q.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
        except BaseException as exc:  # handed to the consumer
            q.put(exc)
            return
        q.put(done)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    try:
        while (item := q.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
