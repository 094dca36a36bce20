"""The scorer contract: a small decorated factory returning a typed ``Scorer``.

A scorer turns ``(task, outcome)`` into named metric values.  It declares its
metrics up front so tables and statistics know the columns before anything is
scored, and ``None`` means "does not apply" or "cannot be computed here" —
never zero in disguise.  Factories take the ``ScoringConfig`` so that options
(LPIPS weights) reach the scorer that needs them and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from benchmark.core.registry import Registry
from benchmark.core.tasks import Box, Task
from benchmark.outcome import MeasuredObject, Outcome, compiles

if TYPE_CHECKING:
    from benchmark.render import RenderReport

__all__ = ["ADHERENCE_THRESHOLDS", "DEFAULT_SCORERS", "HEADLINE", "LOWER_IS_BETTER",
           "METRICS", "SCORING_VERSION", "ScoreFn", "Scorer", "ScorerFactory", "ScoringConfig",
           "outcome_from_report", "scorer", "scorers"]

ADHERENCE_THRESHOLDS = tuple(round(0.1 * i, 1) for i in range(1, 11))
_ADHERENCE = tuple(f"adherence@{t:.1f}" for t in ADHERENCE_THRESHOLDS)

#: every per-task metric, in display order
METRICS: tuple[str, ...] = ("compiled", "rendered", "miou", "type_acc", "rel_acc",
                            *_ADHERENCE, "lpips", "ssim", "overlap", "off_frame",
                            "context_kept", "verified_rate")
#: what a summary table shows
HEADLINE: tuple[str, ...] = ("compiled", "rendered", "miou", "type_acc", "rel_acc",
                             "adherence@0.5", "lpips", "ssim", "overlap", "off_frame",
                             "context_kept", "verified_rate")
#: metrics where a smaller value is better (everything else: larger is better)
LOWER_IS_BETTER: frozenset[str] = frozenset({"overlap", "off_frame", "lpips"})

DEFAULT_SCORERS = ("execution", "verification", "layout", "defects", "lpips", "ssim")

#: the definition of the metrics: bump it whenever any metric's definition changes, so
#: runs scored before and after are never compared (``python -m benchmark rescore RUN_ID``
#: recomputes a stored run under the current version).  A run recorded before versions
#: were recorded reads as version 1.
#: 2: only verified objects (kind and content proven by the drawing) are matched, and
#:    ``verified_rate``; rescoring a version-1 run measures its snapshots again.
SCORING_VERSION = 2

ScoreFn = Callable[[Task, Outcome], dict[str, float | None]]


@dataclass(frozen=True)
class ScoringConfig:
    """Options for one scoring pass; frozen so built scorers can be cached by it.

    ``lpips_weights``: torchvision's AlexNet checkpoint (``alexnet-owt-7be5be79.pth``);
    without it the torch hub cache is tried, and without either LPIPS is null.
    ``scorers``: which registered scorers run, in order.
    """

    lpips_weights: Path | None = None
    lpips: bool = True
    scorers: tuple[str, ...] = DEFAULT_SCORERS


@dataclass(frozen=True)
class Scorer:
    """A named scoring function with its declared metrics."""

    name: str
    metrics: tuple[str, ...]
    fn: ScoreFn

    def __call__(self, task: Task, outcome: Outcome) -> dict[str, float | None]:
        values = self.fn(task, outcome)
        return {m: _as_float(values.get(m)) for m in self.metrics}


ScorerFactory = Callable[[ScoringConfig], Scorer]

scorers: Registry[ScorerFactory] = Registry("scorer")


def scorer(name: str, *aliases: str, metrics: tuple[str, ...]
           ) -> Callable[[Callable[[ScoringConfig], ScoreFn]], ScorerFactory]:
    """Decorator: register ``def name(config) -> ScoreFn`` as a scorer factory."""

    def deco(make: Callable[[ScoringConfig], ScoreFn]) -> ScorerFactory:
        def factory(config: ScoringConfig) -> Scorer:
            return Scorer(name, tuple(metrics), make(config))

        factory.__name__ = factory.__qualname__ = make.__name__
        factory.__doc__ = make.__doc__
        factory.__module__ = make.__module__
        scorers.add(name, factory, *aliases)
        return factory

    return deco


def _as_float(v: object) -> float | None:
    if v is None:
        return None
    return float(v)  # type: ignore[arg-type]


def outcome_from_report(code: str, report: RenderReport,
                        reference: RenderReport | None = None) -> Outcome:
    """The ``Outcome`` of rendered code: measured objects, RGB frames, compile check."""

    def rgb(frame: np.ndarray | None) -> np.ndarray | None:
        return None if frame is None else np.ascontiguousarray(frame[..., :3])

    objects = [MeasuredObject(o.kind, o.content, Box(*o.box), o.visible, o.verified, o.reason)
               for o in report.objects]
    return Outcome(code=code, compiled=compiles(code), status=report.status.value,
                   error=report.error, objects=objects, frame=rgb(report.frame),
                   reference_frame=rgb(reference.frame) if reference is not None else None)
