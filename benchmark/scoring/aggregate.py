"""Suite-level statistics: means with bootstrap intervals, paired comparisons, pass@k.

Pure functions over scored rows, so pages and reports can recompute them from
the store without the harness.  Null values are left out metric by metric (a
task without given objects has no ``context_kept``; it still counts for miou).

Intervals are 95% percentile bootstraps over *tasks*: each resample draws rows
with replacement, and a metric's resampled mean is over the non-null values in
that resample.  All metrics of a group share the same resamples, computed as
one matrix product of resample counts and values, so 10,000 rows take a
fraction of a second.  Each group's generator is seeded from ``seed`` and the
group's name, so adding a family changes no other family's interval.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from benchmark.scoring._base import LOWER_IS_BETTER, METRICS

__all__ = ["PASS_METRICS", "MetricSummary", "PairedDiff", "ScoredRow", "Summary",
           "combine_samples", "paired_compare", "pass_at_k", "pass_key", "pass_ks", "summarize"]

_CHUNK = 1 << 22  # resample-count cells per block (bounds memory for large suites)
#: per-sample pass/fail metrics: pass@k over a task's samples (the rest: mean over samples)
PASS_METRICS = ("compiled", "rendered")
_KS = (1, 2, 5, 10, 20, 50, 100)


@dataclass
class ScoredRow:
    """One task's scores, with what statistics group it by."""

    task_id: str
    family: str
    difficulty: str
    status: str
    metrics: dict[str, float | None]


@dataclass
class MetricSummary:
    mean: float | None
    lo: float | None
    hi: float | None
    n: int


@dataclass
class Summary:
    n: int
    overall: dict[str, MetricSummary]
    by_family: dict[str, dict[str, MetricSummary]]
    by_difficulty: dict[str, dict[str, MetricSummary]]
    statuses: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict:
        def group(g: dict[str, MetricSummary]) -> dict:
            return {m: asdict(s) for m, s in g.items()}

        return {"n": self.n, "overall": group(self.overall),
                "by_family": {k: group(v) for k, v in self.by_family.items()},
                "by_difficulty": {k: group(v) for k, v in self.by_difficulty.items()},
                "statuses": dict(self.statuses)}


@dataclass
class PairedDiff:
    """Mean of (A − B) over the tasks both have, its 95% interval, and the verdict."""

    metric: str
    mean: float | None
    lo: float | None
    hi: float | None
    n: int
    verdict: str

    def to_json(self) -> dict:
        return asdict(self)


def _metric_names(dicts: Iterable[Mapping[str, object]]) -> list[str]:
    seen: set[str] = set()
    for d in dicts:
        seen.update(d)
    return [m for m in METRICS if m in seen] + sorted(seen - set(METRICS))


def _matrix(dicts: Sequence[Mapping[str, float | None]], names: list[str]) -> np.ndarray:
    """Rows × metrics, NaN where a value is null (or missing)."""
    out = np.full((len(dicts), len(names)), np.nan)
    for i, d in enumerate(dicts):
        for j, m in enumerate(names):
            v = d.get(m)
            if v is not None:
                out[i, j] = v
    return out


def _rng(seed: int, group: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(group.encode())])


def _bootstrap(values: np.ndarray, n_boot: int, rng: np.random.Generator
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mean, 2.5% and 97.5% bootstrap percentiles and count per column (NaN ignored)."""
    n, m = values.shape
    valid = ~np.isnan(values)
    counts = valid.sum(0)
    filled = np.where(valid, values, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = filled.sum(0) / counts
    if n == 0 or n_boot <= 0:
        return mean, mean.copy(), mean.copy(), counts
    means = np.empty((n_boot, m))
    block = max(1, _CHUNK // max(n, 1))
    for start in range(0, n_boot, block):
        b = min(block, n_boot - start)
        idx = rng.integers(0, n, size=(b, n)) + (np.arange(b) * n)[:, None]
        draws = np.bincount(idx.ravel(), minlength=b * n).reshape(b, n).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            means[start:start + b] = (draws @ filled) / (draws @ valid.astype(float))
    lo = np.full(m, np.nan)
    hi = np.full(m, np.nan)
    for j in range(m):
        col = means[:, j]
        col = col[~np.isnan(col)]  # a resample with no value for a sparse metric
        if counts[j] and col.size:
            lo[j], hi[j] = np.percentile(col, [2.5, 97.5])
            # equal values give resample means that differ from the mean by rounding only
            if abs(lo[j] - mean[j]) < 1e-9:
                lo[j] = min(lo[j], mean[j])
            if abs(hi[j] - mean[j]) < 1e-9:
                hi[j] = max(hi[j], mean[j])
    return mean, lo, hi, counts


def _f(x: float) -> float | None:
    return None if math.isnan(x) else float(x)


def _summaries(rows: Sequence[ScoredRow], names: list[str], n_boot: int, rng_seed: int,
               group: str) -> dict[str, MetricSummary]:
    values = _matrix([r.metrics for r in rows], names)
    mean, lo, hi, counts = _bootstrap(values, n_boot, _rng(rng_seed, group))
    return {m: MetricSummary(_f(mean[j]), _f(lo[j]), _f(hi[j]), int(counts[j]))
            for j, m in enumerate(names)}


def summarize(rows: Sequence[ScoredRow], n_boot: int = 1000, seed: int = 0) -> Summary:
    """Mean and 95% bootstrap interval of every metric: overall, per family, per difficulty."""
    names = _metric_names(r.metrics for r in rows)

    def grouped(key: str) -> dict[str, dict[str, MetricSummary]]:
        groups: dict[str, list[ScoredRow]] = {}
        for r in rows:
            groups.setdefault(getattr(r, key), []).append(r)
        return {g: _summaries(rs, names, n_boot, seed, f"{key}:{g}")
                for g, rs in sorted(groups.items())}

    statuses: dict[str, int] = {}
    for r in rows:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    return Summary(n=len(rows), overall=_summaries(rows, names, n_boot, seed, "overall"),
                   by_family=grouped("family"), by_difficulty=grouped("difficulty"),
                   statuses=dict(sorted(statuses.items(), key=lambda kv: (-kv[1], kv[0]))))


def paired_compare(a: Mapping[str, Mapping[str, float | None]],
                   b: Mapping[str, Mapping[str, float | None]], n_boot: int = 2000,
                   seed: int = 0) -> dict[str, PairedDiff]:
    """Per metric, A − B over the task ids both have, with a paired bootstrap interval.

    ``a`` and ``b`` map task id → metrics.  The verdict is "A better" or "B better"
    when the 95% interval excludes 0 (for overlap, off_frame and lpips a smaller
    value is better), else "no significant difference".
    """
    common = sorted(set(a) & set(b))
    names = _metric_names([*(a[t] for t in common), *(b[t] for t in common)])
    diffs = _matrix([a[t] for t in common], names) - _matrix([b[t] for t in common], names)
    mean, lo, hi, counts = _bootstrap(diffs, n_boot, _rng(seed, "paired"))
    out: dict[str, PairedDiff] = {}
    for j, m in enumerate(names):
        verdict = "no significant difference"
        if counts[j] and not math.isnan(lo[j]) and (lo[j] > 0 or hi[j] < 0):
            a_higher = lo[j] > 0
            verdict = "A better" if a_higher != (m in LOWER_IS_BETTER) else "B better"
        out[m] = PairedDiff(m, _f(mean[j]), _f(lo[j]), _f(hi[j]), int(counts[j]), verdict)
    return out


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k from n samples of which c passed (Chen et al. 2021)."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass_at_k needs 0 <= c <= n and 1 <= k <= n (n={n}, c={c}, k={k})")
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def pass_ks(n: int) -> list[int]:
    """The k reported for ``n`` samples: 1, 2, 5, 10, 20, 50, 100 up to ``n``, and ``n``."""
    return sorted({k for k in _KS if k <= n} | ({n} if n >= 1 else set()))


def pass_key(metric: str, k: int) -> str:
    """The metric name of pass@k for ``k > 1`` (``compiled_pass@5``); pass@1 is ``metric``."""
    return metric if k == 1 else f"{metric}_pass@{k}"


def combine_samples(samples: Sequence[Mapping[str, float | None]]
                    ) -> dict[str, float | None]:
    """One task's metrics from its samples' metrics.

    ``compiled`` and ``rendered`` become unbiased pass@1 (the share of samples
    that passed), plus ``compiled_pass@k`` / ``rendered_pass@k`` for every k of
    ``pass_ks(n)`` above 1; every other metric is its mean over the samples that
    have a value (``None`` when none has).  One sample combines to itself.
    """
    n = len(samples)
    if n == 0:
        raise ValueError("combine_samples: no samples")
    out: dict[str, float | None] = {}
    for m in _metric_names(samples):
        values = [float(v) for s in samples if (v := s.get(m)) is not None]
        if m in PASS_METRICS:
            c = sum(v >= 0.5 for v in values)
            for k in pass_ks(n):
                out[pass_key(m, k)] = pass_at_k(n, c, k)
        else:
            out[m] = float(np.mean(values)) if values else None
    return out
