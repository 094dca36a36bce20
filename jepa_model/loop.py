"""The optimisation loop of :func:`jepa_model.train.train`: data → forward → backward →
clip → AdamW step → EMA update of the target encoder → log, evaluate and checkpoint.

Every step's randomness (order, masks, augmentation) comes from its epoch's seed,
so a resumed run replays the same batches.  With a time budget the schedule's
length is fixed from the speed of the first :data:`CALIBRATION_STEPS` steps.
"""

from __future__ import annotations

import csv
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from jepa_model.checkpoint import save_checkpoint
from jepa_model.config import Config
from jepa_model.model import JEPA, momentum_schedule
from jepa_model.validation import evaluate, to_device

__all__ = ["CALIBRATION_STEPS", "CALIBRATION_WARM", "LOG_FIELDS", "TrainLoop", "TrainResult",
           "lr_at"]

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


class TrainLoop:
    """The optimisation loop and its state (step, schedule length, speed, last losses)."""

    def __init__(self, cfg: Config, model: JEPA, runner: torch.nn.Module,
                 optimizer: torch.optim.Optimizer, device: torch.device,
                 val: list[dict[str, torch.Tensor]], log: Callable[[str], Any]) -> None:
        self.cfg, self.model, self.runner, self.optimizer = cfg, model, runner, optimizer
        self.device, self.val, self.log = device, val, log
        self.autocast = (torch.autocast(device.type, dtype=torch.bfloat16)
                         if cfg.run.precision == "bf16"
                         else torch.autocast(device.type, enabled=False))
        self.world, self.rank, self.steps_per_epoch = 1, 0, 1
        self.step, self.total, self.end = 0, 0, 0
        self.stop_at: int | None = None
        self.time_budget: float | None = None
        self.extra: dict[str, Any] = {}
        self.seen, self.t0, self.t_cal = 0, 0.0, 0.0
        self.warm_at: int | None = None
        self.calibrate_at: int | None = None
        self.last: dict[str, float] = {}
        self.final: dict[str, float] = {}
        self.bar: Any = None
        self.board: Any = None

    def run(self, data: Any, out: Path, resume: Path | None, progress: bool) -> TrainResult:
        self.out = out
        out.mkdir(parents=True, exist_ok=True)
        self.board = _tensorboard(out) if self.cfg.run.tensorboard and self.rank == 0 else None
        log_path = out / "metrics.csv"
        new_log = not (resume and log_path.is_file())
        self.log_file = open(log_path, "a" if not new_log else "w", newline="")
        self.writer = csv.DictWriter(self.log_file, fieldnames=LOG_FIELDS)
        if new_log:
            self.writer.writeheader()
        if progress and self.rank == 0:
            from tqdm import tqdm

            self.bar = tqdm(total=self.total, initial=self.step, desc="train", unit="step",
                            dynamic_ncols=True)
        self.t0 = self.t_cal = time.perf_counter()
        if self.time_budget is not None:
            self.warm_at = self.step + CALIBRATION_WARM
            self.calibrate_at = self.step + CALIBRATION_STEPS
        self.model.train()
        try:
            self._epochs(data)
        finally:
            self.log_file.close()
            if self.board is not None:
                self.board.close()
            if self.bar is not None:
                self.bar.close()
        seconds = time.perf_counter() - self.t0
        return TrainResult(out, self.step, seconds, self.seen / max(seconds, 1e-9),
                           {**self.last, **self.final})

    def _epochs(self, data: Any) -> None:
        # Every step's randomness (order, masks, augmentation) comes from its epoch's seed,
        # so a resumed run replays the same batches.
        cfg, per = self.cfg, self.steps_per_epoch
        while self.step < self.end:
            epoch = self.step // per
            rng = np.random.default_rng([cfg.run.seed, epoch])
            batches = data.batches(cfg.optim.batch_size, rng, cfg.data.augment,
                                   cfg.data.mask_min, cfg.data.mask_max,
                                   pad_to=cfg.data.pad_to, image=cfg.model.image)
            for i, batch in enumerate(_prefetch(batches, self.device)):
                if i < self.step % per or self.step >= self.end:
                    continue  # batches before the resume point (same rng, skipped)
                if self.world > 1:
                    batch = {k: v[self.rank::self.world] for k, v in batch.items()}
                outputs, lr, momentum = self._optimise(batch)
                self.seen += int(batch["valid"].shape[0])
                self._calibrate()
                self._report(epoch, outputs, lr, momentum)

    def _optimise(self, batch: dict[str, torch.Tensor]
                  ) -> tuple[dict[str, torch.Tensor], float, float]:
        """One step: forward, backward, (every ``grad_accum``) clip and AdamW, EMA update."""
        o = self.cfg.optim
        lr = lr_at(self.step, self.total, self.cfg)
        for g in self.optimizer.param_groups:
            g["lr"] = lr
        with self.autocast:
            outputs = self.runner(to_device(batch, self.device))
        (outputs["loss"] / o.grad_accum).backward()
        if (self.step + 1) % o.grad_accum == 0:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), o.grad_clip)
            self.optimizer.step()
            self.optimizer.zero_grad(set_to_none=True)
        momentum = momentum_schedule(self.step, self.total, o.ema_start, o.ema_end)
        self.model.ema_update(momentum)
        self.step += 1
        return outputs, lr, momentum

    def _calibrate(self) -> None:
        """With a time budget: fix the schedule's length from the speed of the first steps."""
        if self.step == self.warm_at:
            self.t_cal = time.perf_counter()  # compilation and first steps are behind us
        if self.step != self.calibrate_at:
            return
        assert self.time_budget is not None
        now = time.perf_counter()
        rate = (CALIBRATION_STEPS - CALIBRATION_WARM) / max(now - self.t_cal, 1e-9)
        fits = self.step + int(0.95 * rate * max(self.time_budget - (now - self.t0), 0.0))
        if fits < self.total:
            self.total = max(fits, self.step + 1)
            self.end = min(self.total, self.stop_at) if self.stop_at is not None else self.total
        self.extra["total_steps"] = self.total
        if self.bar is not None:
            self.bar.total = self.total
            self.bar.refresh()
        self.log(f"time budget {self.time_budget:.0f} s: {rate:.1f} steps/s → "
                 f"{self.total} steps in all")

    def _report(self, epoch: int, outputs: dict[str, torch.Tensor], lr: float,
                momentum: float) -> None:
        """Log (every ``run.log_every``), evaluate and checkpoint (every ``run.eval_every``)."""
        step, run = self.step, self.cfg.run
        at_eval = step % run.eval_every == 0 or step in (self.total, self.end)
        at_log = step % run.log_every == 0 or at_eval
        rate = self.seen / max(time.perf_counter() - self.t0, 1e-9)
        if at_log:  # reading the losses waits for the device: only when logging
            self.last = {k: float(outputs[k].detach()) for k in
                         ("loss", "loss_latent", "loss_box", "loss_kind", "loss_place")}
        if self.bar is not None:
            self.bar.update(1)
            if at_log:
                self.bar.set_postfix(loss=f"{self.last['loss']:.4f}",
                                     box=f"{self.last['loss_box']:.4f}", sps=f"{rate:.0f}")
        if self.rank != 0 or not at_log:
            return
        row: dict[str, Any] = {"step": step, "epoch": epoch, "lr": lr, "momentum": momentum,
                               **self.last, "samples_per_s": round(rate, 1)}
        if at_eval:
            self.final = evaluate(self.model, self.val, self.device)
            row.update(self.final)
            save_checkpoint(self.out, self.model, self.cfg, step, {**self.last, **self.final},
                            self.optimizer, extra=self.extra)
        self.writer.writerow(row)
        self.log_file.flush()
        if self.board is not None:
            for k, v in row.items():
                if k not in ("step", "epoch"):
                    self.board.add_scalar(k, v, step)


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
