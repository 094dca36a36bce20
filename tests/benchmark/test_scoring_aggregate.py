"""Suite-level statistics: bootstrap intervals, paired comparisons, pass@k."""

from __future__ import annotations

import math
import time
from math import comb

import numpy as np
import pytest

from benchmark.scoring import ScoredRow, paired_compare, pass_at_k, summarize


def rows_from(values: list[float | None], metric: str = "miou", family: str = "f",
              difficulty: str = "easy", status: str = "ok") -> list[ScoredRow]:
    return [ScoredRow(f"t/{i}", family, difficulty, status, {metric: v})
            for i, v in enumerate(values)]


def test_bootstrap_interval_contains_the_mean():
    rng = np.random.default_rng(1)
    s = summarize(rows_from(list(rng.uniform(0, 1, 200))))
    m = s.overall["miou"]
    assert m.lo < m.mean < m.hi
    assert m.n == 200


def test_interval_shrinks_with_more_tasks():
    rng = np.random.default_rng(2)
    widths = []
    for n in (20, 200, 2000):
        m = summarize(rows_from(list(rng.uniform(0, 1, n)))).overall["miou"]
        widths.append(m.hi - m.lo)
    assert widths[0] > widths[1] > widths[2]


def test_summary_is_deterministic_for_a_seed():
    rows = rows_from(list(np.random.default_rng(3).uniform(0, 1, 100)))
    assert summarize(rows, seed=7).to_json() == summarize(rows, seed=7).to_json()
    assert summarize(rows, seed=7).to_json() != summarize(rows, seed=8).to_json()


def test_null_values_are_ignored_per_metric():
    rows = [ScoredRow("a", "f", "easy", "ok", {"miou": 1.0, "context_kept": None}),
            ScoredRow("b", "f", "easy", "ok", {"miou": 0.0, "context_kept": 1.0}),
            ScoredRow("c", "f", "easy", "timeout", {"miou": 0.5, "context_kept": None})]
    s = summarize(rows)
    assert s.overall["miou"].mean == pytest.approx(0.5) and s.overall["miou"].n == 3
    assert s.overall["context_kept"].mean == 1.0 and s.overall["context_kept"].n == 1
    assert s.overall["context_kept"].lo == 1.0 and s.overall["context_kept"].hi == 1.0


def test_a_metric_with_no_values_has_no_mean():
    s = summarize(rows_from([None, None], metric="lpips"))
    assert s.overall["lpips"].mean is None and s.overall["lpips"].n == 0


def test_groups_by_family_difficulty_and_status():
    rows = (rows_from([1.0, 1.0], family="a", difficulty="easy")
            + rows_from([0.0, 0.0, 0.0], family="b", difficulty="hard", status="timeout"))
    s = summarize(rows)
    assert s.n == 5
    assert s.by_family["a"]["miou"].mean == 1.0 and s.by_family["b"]["miou"].mean == 0.0
    assert s.by_difficulty["hard"]["miou"].n == 3
    assert s.statuses == {"timeout": 3, "ok": 2}
    assert s.to_json()["by_family"]["a"]["miou"] == {"mean": 1.0, "lo": 1.0, "hi": 1.0, "n": 2}


def test_summarize_10k_rows_is_fast():
    rng = np.random.default_rng(4)
    metrics = ("miou", "type_acc", "rel_acc", "adherence@0.5", "ssim", "overlap")
    rows = [ScoredRow(f"t/{i}", f"fam{i % 10}", ("easy", "medium", "hard")[i % 3], "ok",
                      {m: float(rng.uniform()) for m in metrics}) for i in range(10_000)]
    t0 = time.perf_counter()
    s = summarize(rows)
    assert time.perf_counter() - t0 < 10.0
    assert s.overall["miou"].hi - s.overall["miou"].lo < 0.02


def by_id(values: list[float], metric: str = "miou") -> dict[str, dict[str, float | None]]:
    return {f"t/{i}": {metric: v} for i, v in enumerate(values)}


def test_paired_compare_detects_a_real_difference():
    rng = np.random.default_rng(5)
    base = rng.uniform(0, 1, 300)
    better = np.clip(base + rng.normal(0.05, 0.02, 300), 0, 1)
    diff = paired_compare(by_id(list(better)), by_id(list(base)))["miou"]
    assert diff.verdict == "A better"
    assert diff.lo > 0 and diff.n == 300
    assert paired_compare(by_id(list(base)), by_id(list(better)))["miou"].verdict == "B better"


def test_lower_is_better_metrics_flip_the_verdict():
    a = by_id([0.1] * 50 + [0.2] * 50, metric="overlap")
    b = by_id([0.3] * 50 + [0.4] * 50, metric="overlap")
    assert paired_compare(a, b)["overlap"].verdict == "A better"


def test_identical_inputs_show_no_difference():
    values = list(np.random.default_rng(6).uniform(0, 1, 100))
    diff = paired_compare(by_id(values), by_id(values))["miou"]
    assert diff.verdict == "no significant difference"
    assert diff.mean == 0.0 and diff.lo == 0.0 and diff.hi == 0.0


def test_paired_compare_uses_only_common_tasks_with_values():
    a = {"x": {"miou": 1.0}, "y": {"miou": None}, "z": {"miou": 0.5}}
    b = {"x": {"miou": 0.5}, "y": {"miou": 0.0}, "w": {"miou": 0.0}}
    diff = paired_compare(a, b)["miou"]
    assert diff.n == 1 and diff.mean == 0.5


@pytest.mark.parametrize(("n", "c", "k", "expected"), [
    (10, 0, 1, 0.0),
    (10, 10, 5, 1.0),
    (10, 3, 1, 0.3),
    (5, 2, 2, 1 - comb(3, 2) / comb(5, 2)),  # 1 − 3/10
    (4, 1, 2, 0.5),  # 1 − C(3,2)/C(4,2) = 1 − 3/6
    (20, 5, 10, 1 - comb(15, 10) / comb(20, 10)),
    (3, 2, 2, 1.0),  # fewer failures than k: some draw must pass
])
def test_pass_at_k_matches_the_combinatorial_formula(n, c, k, expected):
    assert math.isclose(pass_at_k(n, c, k), expected, abs_tol=1e-12)


def test_pass_at_k_rejects_impossible_counts():
    with pytest.raises(ValueError):
        pass_at_k(5, 6, 1)
    with pytest.raises(ValueError):
        pass_at_k(5, 1, 6)
