"""Statistics of human ratings: pure functions over loaded rows, no database, no UI.

- ``krippendorff_alpha``: agreement among any number of raters with missing
  ratings (Krippendorff 2011, "Computing Krippendorff's Alpha-Reliability"),
  through the coincidence matrix, for the nominal, ordinal, interval and ratio
  metrics.  The app reports the ordinal one: ratings 1–5 are ordered but their
  spacing is not known to be equal.
- ``bootstrap_mean``: a mean with its 95% percentile bootstrap interval.
- ``submission_stats``: one submission's numbers for Milestone 3 — mean rating
  and share of scenes rated good (item mean ≥ 4), both with intervals from
  resampling *items* (ratings of one item are not independent), the rating
  histogram and alpha.
- ``rater_stats``: per rater, count, mean, and attention-check pass rate.
"""

from __future__ import annotations

import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from leaderboard.milestones import GOOD_RATING

__all__ = ["GOOD_THRESHOLD", "METRICS", "RATING_VALUES", "BootstrapMean", "RaterStats",
           "SubmissionStats", "bootstrap_mean", "check_passed", "coincidences", "histogram",
           "item_means", "krippendorff_alpha", "rater_stats", "submission_stats"]

RATING_VALUES = (1, 2, 3, 4, 5)
GOOD_THRESHOLD = GOOD_RATING  # an item is "rated good" when its mean rating reaches this
METRICS = ("nominal", "ordinal", "interval", "ratio")


# -- Krippendorff's alpha ---------------------------------------------------------------------

def coincidences(units: Iterable[Sequence[float]]) -> tuple[list[float], np.ndarray]:
    """The values that occur and the coincidence matrix ``o[c, k]`` over them.

    Each unit is the list of values its raters gave (missing ratings left
    out).  A unit with ``m`` values contributes each ordered pair of values
    from two different raters with weight ``1 / (m - 1)``; units with fewer
    than two values are not pairable and contribute nothing.
    """
    pairable = [list(u) for u in units if len(u) >= 2]
    values = sorted({v for u in pairable for v in u})
    index = {v: i for i, v in enumerate(values)}
    o = np.zeros((len(values), len(values)))
    for u in pairable:
        counts = Counter(u)
        m = len(u)
        for c, nc in counts.items():
            for k, nk in counts.items():
                pairs = nc * (nc - 1) if c == k else nc * nk
                o[index[c], index[k]] += pairs / (m - 1)
    return values, o


def _delta2(values: Sequence[float], marginals: np.ndarray, metric: str) -> np.ndarray:
    """Squared distances between values under ``metric`` (Krippendorff's δ²)."""
    v = np.asarray(values, dtype=float)
    c, k = np.meshgrid(v, v, indexing="ij")
    if metric == "nominal":
        return (c != k).astype(float)
    if metric == "interval":
        return (c - k) ** 2
    if metric == "ratio":
        with np.errstate(invalid="ignore", divide="ignore"):
            d = ((c - k) / (c + k)) ** 2
        return np.nan_to_num(d)
    if metric == "ordinal":
        # (sum of n_g for g from c to k, minus half of n_c and n_k) squared
        cum = np.concatenate([[0.0], np.cumsum(marginals)])
        i, j = np.meshgrid(np.arange(len(v)), np.arange(len(v)), indexing="ij")
        lo, hi = np.minimum(i, j), np.maximum(i, j)
        between = cum[hi + 1] - cum[lo]
        return (between - (marginals[i] + marginals[j]) / 2) ** 2
    raise ValueError(f"unknown metric {metric!r} (one of {', '.join(METRICS)})")


def krippendorff_alpha(units: Iterable[Sequence[float]], metric: str = "ordinal"
                       ) -> float | None:
    """Krippendorff's alpha over ``units`` (each: the values its raters gave).

    1 is perfect agreement, 0 agreement at chance level, below 0 systematic
    disagreement.  ``None`` when it is undefined: fewer than two pairable
    values, or no variation at all (every value the same, so no expected
    disagreement).
    """
    values, o = coincidences(units)
    marginals = o.sum(axis=1)
    n = marginals.sum()
    if n < 2 or len(values) < 2:
        return None
    d2 = _delta2(values, marginals, metric)
    observed = (o * d2).sum()
    expected = (np.outer(marginals, marginals) * d2).sum()
    if expected <= 0:
        return None
    return float(1.0 - (n - 1) * observed / expected)


# -- means, intervals, histograms ---------------------------------------------------------------

@dataclass(frozen=True)
class BootstrapMean:
    mean: float | None
    lo: float | None
    hi: float | None
    n: int


def _rng(seed: int, group: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(group.encode())])


def bootstrap_mean(values: Sequence[float], n_boot: int = 10_000, seed: int = 0,
                   group: str = "", level: float = 0.95) -> BootstrapMean:
    """The mean of ``values`` and its percentile bootstrap interval (seeded by ``group``)."""
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return BootstrapMean(None, None, None, 0)
    mean = float(x.mean())
    if x.size == 1 or n_boot <= 0:
        return BootstrapMean(mean, mean, mean, int(x.size))
    draws = _rng(seed, group).integers(0, x.size, size=(n_boot, x.size))
    means = x[draws].mean(axis=1)
    tail = (1 - level) / 2 * 100
    lo, hi = np.percentile(means, [tail, 100 - tail])
    return BootstrapMean(mean, float(min(lo, mean)), float(max(hi, mean)), int(x.size))


def histogram(values: Iterable[int]) -> list[int]:
    """Counts of the ratings 1..5, in that order."""
    counts = Counter(int(v) for v in values)
    return [counts.get(v, 0) for v in RATING_VALUES]


def item_means(ratings: Iterable[tuple[str, int]]) -> dict[str, float]:
    """Item id → mean of its ratings, from ``(item_id, value)`` pairs."""
    by_item: dict[str, list[int]] = defaultdict(list)
    for item, value in ratings:
        by_item[item].append(int(value))
    return {item: sum(v) / len(v) for item, v in sorted(by_item.items())}


# -- one submission --------------------------------------------------------------------------------

@dataclass(frozen=True)
class SubmissionStats:
    """A submission's human-evaluation numbers.

    ``good_rate`` is the Milestone 3 number, the share of the run's *scenes*
    rated good: among rated items, the share whose mean rating is at least
    ``GOOD_THRESHOLD``, times the share of the run's tasks that rendered at
    all (a scene without a frame cannot be good).  With every rendered item
    rated this is ``good items / (rated items + unrendered tasks)``; with a
    sample rated it stays an unbiased estimate.  Its interval resamples the
    rated items (the rendered share is known exactly).
    """

    n_items: int
    n_ratings: int
    n_raters: int
    n_tasks: int
    n_unrendered: int
    mean: BootstrapMean
    good: BootstrapMean
    alpha: float | None
    histogram: list[int]

    def to_json(self) -> dict:
        return asdict(self)


def submission_stats(ratings: Sequence[tuple[str, str, int]], n_tasks: int = 0,
                     n_unrendered: int = 0, n_boot: int = 10_000, seed: int = 0,
                     group: str = "") -> SubmissionStats:
    """Numbers for one submission from its ``(rater, item_id, value)`` ratings."""
    means = item_means((item, value) for _, item, value in ratings)
    rendered_share = 1.0 if n_tasks <= 0 else (n_tasks - n_unrendered) / n_tasks
    good = bootstrap_mean([float(m >= GOOD_THRESHOLD) for m in means.values()], n_boot, seed,
                          f"good:{group}")
    if good.mean is not None:
        good = BootstrapMean(*(None if v is None else v * rendered_share
                               for v in (good.mean, good.lo, good.hi)), good.n)
    elif n_tasks > 0 and n_unrendered == n_tasks:
        good = BootstrapMean(0.0, 0.0, 0.0, 0)  # nothing rendered: no scene is good
    by_item: dict[str, list[int]] = defaultdict(list)
    for _, item, value in ratings:
        by_item[item].append(int(value))
    return SubmissionStats(
        n_items=len(means), n_ratings=len(ratings),
        n_raters=len({r for r, _, _ in ratings}), n_tasks=n_tasks, n_unrendered=n_unrendered,
        mean=bootstrap_mean(list(means.values()), n_boot, seed, f"mean:{group}"),
        good=good, alpha=krippendorff_alpha(by_item.values(), "ordinal"),
        histogram=histogram(v for _, _, v in ratings))


# -- raters and attention checks ---------------------------------------------------------------

def check_passed(expect: str, value: int) -> bool:
    """A known-good item must be rated good (≥ 4), a known-bad one bad (≤ 2)."""
    if expect == "good":
        return value >= GOOD_THRESHOLD
    if expect == "bad":
        return value <= 2
    raise ValueError(f"unknown check expectation {expect!r}")


@dataclass(frozen=True)
class RaterStats:
    rater: str
    n: int  # ratings of submissions' frames
    mean: float | None
    n_checks: int
    checks_passed: int
    pass_rate: float | None
    flagged: bool

    def to_json(self) -> dict:
        return asdict(self)


def rater_stats(ratings: Iterable[tuple[str, str, int]], checks: Mapping[str, str],
                min_pass: float = 0.8) -> list[RaterStats]:
    """Per rater: frames rated, their mean, and the attention checks passed.

    ``checks`` maps a check item's id to ``"good"`` or ``"bad"``; a rater who
    passed less than ``min_pass`` of the checks they rated is flagged.
    """
    frames: dict[str, list[int]] = defaultdict(list)
    passed: dict[str, list[bool]] = defaultdict(list)
    for rater, item, value in ratings:
        if item in checks:
            passed[rater].append(check_passed(checks[item], int(value)))
        else:
            frames[rater].append(int(value))
    out = []
    for rater in sorted(set(frames) | set(passed)):
        vals, ok = frames.get(rater, []), passed.get(rater, [])
        rate = sum(ok) / len(ok) if ok else None
        out.append(RaterStats(rater, len(vals), sum(vals) / len(vals) if vals else None,
                              len(ok), sum(ok), rate,
                              rate is not None and rate < min_pass - 1e-12))
    return out
