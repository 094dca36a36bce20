"""Scorers: per-task metrics from a task and what the harness measured (docs/metrics.md).

``score_outcome(task, outcome)`` runs the configured scorers and returns every
metric of ``METRICS`` (``None`` where one does not apply or cannot be computed;
``lpips_status`` says why LPIPS is null).  Scorers are small decorated
factories (``@scorer(name, metrics=…)``) registered in ``scorers``; the
built-ins are registered lazily so torch loads only when LPIPS is scored.
Suite-level statistics live in ``benchmark.scoring.aggregate``.
"""

from __future__ import annotations

from functools import lru_cache

from benchmark.core.geometry import MIN_EXTENT, padded_iou
from benchmark.core.tasks import Task
from benchmark.outcome import Outcome
from benchmark.scoring._base import (
    ADHERENCE_THRESHOLDS,
    DEFAULT_SCORERS,
    HEADLINE,
    LOWER_IS_BETTER,
    METRICS,
    SCORING_VERSION,
    Scorer,
    ScorerFactory,
    ScoringConfig,
    outcome_from_report,
    scorer,
    scorers,
)
from benchmark.scoring._geometry import REL_TOLERANCE, relation_holds
from benchmark.scoring._image import LpipsModel, lpips_model, lpips_weights
from benchmark.scoring._matching import MAX_COST, match_cost, match_objects
from benchmark.scoring.aggregate import (
    MetricSummary,
    PairedDiff,
    ScoredRow,
    Summary,
    paired_compare,
    pass_at_k,
    summarize,
)

__all__ = ["ADHERENCE_THRESHOLDS", "DEFAULT_SCORERS", "HEADLINE", "LOWER_IS_BETTER",
           "MAX_COST", "METRICS", "MIN_EXTENT", "REL_TOLERANCE", "SCORING_VERSION",
           "LpipsModel", "MetricSummary", "PairedDiff", "ScoredRow", "Scorer", "ScorerFactory",
           "ScoringConfig", "Summary", "lpips_model", "lpips_status", "lpips_weights",
           "match_cost", "match_objects", "outcome_from_report", "padded_iou", "paired_compare",
           "pass_at_k", "relation_holds", "score_outcome", "scorer", "scorers",
           "scoring_version", "summarize"]

for _name in ("execution", "verification", "layout", "defects"):
    scorers.add(_name, f"benchmark.scoring._layout:{_name}")
for _name in ("lpips", "ssim"):
    scorers.add(_name, f"benchmark.scoring._image:{_name}")


@lru_cache(maxsize=64)
def _build(name: str, config: ScoringConfig) -> Scorer:
    return scorers.get(name)(config)


def score_outcome(task: Task, outcome: Outcome,
                  config: ScoringConfig | None = None) -> dict[str, float | None]:
    """Every metric for one outcome: ``METRICS`` in order, then any extra scorers' metrics."""
    config = config or ScoringConfig()
    values: dict[str, float | None] = dict.fromkeys(METRICS)
    for name in config.scorers:
        values.update(_build(name, config)(task, outcome))
    return values


def scoring_version(scoring: dict[str, object]) -> int:
    """The scoring version a run's recorded scoring setup names (1 when it names none: runs
    recorded before versions were)."""
    v = scoring.get("version", 1)
    return v if isinstance(v, int) and not isinstance(v, bool) else 1


def lpips_status(config: ScoringConfig | None = None) -> str | None:
    """``None`` when LPIPS is usable, else the one-line reason the metric is null."""
    model = lpips_model(config or ScoringConfig())
    return model if isinstance(model, str) else None
