"""``python -m human_eval report``: the statistics of every rating in a database.

Loads the ratings and items, computes per submission (run) the mean rating
and the share of scenes rated good with 95% bootstrap intervals, the rating
histogram and Krippendorff's ordinal alpha; per rater the count, mean and
attention-check pass rate; and alpha over all submissions' items.  The
per-run numbers replace the rows of ``human_eval_summary``, which the
leaderboard reads for Milestone 3.  Attention checks never count towards a
submission's numbers or alpha.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from benchmark.store import Store, StoreError
from human_eval.stats import (
    GOOD_THRESHOLD,
    RaterStats,
    SubmissionStats,
    krippendorff_alpha,
    rater_stats,
    submission_stats,
)
from human_eval.storage import RatingStore, now_us
from leaderboard.milestones import M3_GOOD_RATE

__all__ = ["M3_TARGET", "HumanEvalReport", "RunReport", "compute_report", "print_report",
           "summary_rows"]

M3_TARGET = M3_GOOD_RATE  # Milestone 3: the share of scenes rated good to reach


@dataclass
class RunReport:
    run_id: str
    submission: str
    suite: str
    split: str
    stats: SubmissionStats

    def to_json(self) -> dict[str, Any]:
        s = self.stats
        return {"run_id": self.run_id, "submission": self.submission, "suite": self.suite,
                "split": self.split, **s.to_json(),
                "m3": None if s.good.mean is None else s.good.mean >= M3_TARGET}


@dataclass
class HumanEvalReport:
    runs: list[RunReport]
    raters: list[RaterStats]
    alpha: float | None  # ordinal, over every submission's items
    n_ratings: int
    n_items: int
    n_checks: int
    excluded: list[str] = field(default_factory=list)  # flagged raters left out
    computed: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"computed": self.computed, "n_ratings": self.n_ratings,
                "n_items": self.n_items, "n_checks": self.n_checks, "alpha": self.alpha,
                "good_threshold": GOOD_THRESHOLD, "m3_target": M3_TARGET,
                "excluded_raters": self.excluded,
                "submissions": [r.to_json() for r in self.runs],
                "raters": [r.to_json() for r in self.raters]}


def compute_report(store: Store, n_boot: int = 10_000, seed: int = 0, min_pass: float = 0.8,
                   exclude_flagged: bool = False) -> HumanEvalReport:
    """Every statistic of the ratings in ``store`` (nothing is written)."""
    rs = RatingStore(store)
    items = {it.item_id: it for it in rs.items()}
    ratings = [(r.rater, r.item_id, r.value) for r in rs.ratings() if r.item_id in items]
    checks = {i: it.expect for i, it in items.items() if it.expect is not None}
    raters = rater_stats(ratings, checks, min_pass)
    excluded = sorted(r.rater for r in raters if r.flagged) if exclude_flagged else []
    left_out = set(excluded)
    counted = [r for r in ratings if r[0] not in left_out and r[1] not in checks]
    by_run: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    by_item: dict[str, list[int]] = defaultdict(list)
    for rater, item, value in counted:
        run_id = items[item].run_id
        if run_id is not None:
            by_run[run_id].append((rater, item, value))
            by_item[item].append(value)
    runs = []
    for run_id in sorted(by_run):
        try:
            record = store.get_run(run_id)
            results = store.results(run_id)
        except StoreError:
            continue  # the run was deleted; its items went with it
        unrendered = sum(1 for r in results if not r.frame)
        n_tasks = max(record.n_tasks, len(results))
        stats = submission_stats(by_run[run_id], n_tasks, unrendered, n_boot, seed, run_id)
        runs.append(RunReport(run_id, record.model, record.suite, record.split, stats))
    return HumanEvalReport(
        runs=runs, raters=raters, alpha=krippendorff_alpha(by_item.values(), "ordinal"),
        n_ratings=len(ratings), n_items=len({i for _, i, _ in ratings}),
        n_checks=len({i for _, i, _ in ratings if i in checks}), excluded=excluded,
        computed=now_us()[:19] + "+00:00")


def summary_rows(report: HumanEvalReport) -> list[dict[str, Any]]:
    """``human_eval_summary`` rows, one per rated run."""
    rows = []
    for r in report.runs:
        s = r.stats
        rows.append({
            "run_id": r.run_id, "submission": r.submission, "suite": r.suite,
            "split": r.split, "n_items": s.n_items, "n_ratings": s.n_ratings,
            "mean": s.mean.mean, "mean_lo": s.mean.lo, "mean_hi": s.mean.hi,
            "good_rate": s.good.mean, "good_lo": s.good.lo, "good_hi": s.good.hi,
            "alpha": s.alpha, "histogram": list(s.histogram), "computed": report.computed,
            "n_unrendered": s.n_unrendered, "n_raters": s.n_raters, "n_tasks": s.n_tasks})
    return rows


def _f(x: float | None, digits: int = 2) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def print_report(report: HumanEvalReport, db: str, out: Any) -> None:
    w = out.write
    w(f"human evaluation in {db}: {report.n_ratings} ratings of {report.n_items} items "
      f"({report.n_checks} attention checks) by {len(report.raters)} raters\n")
    if report.excluded:
        w(f"left out (flagged): {', '.join(report.excluded)}\n")
    w("\n")
    if report.runs:
        w(f"  {'submission':<14} {'run':<34} {'items':>5} {'ratings':>7}  "
          f"{'mean [95% CI]':<19} {'good ≥4 [95% CI]':<20} {'alpha':>6}  M3 (≥60%)\n")
        for r in report.runs:
            s = r.stats
            mean = f"{_f(s.mean.mean)} [{_f(s.mean.lo)}, {_f(s.mean.hi)}]"
            good = f"{_f(s.good.mean)} [{_f(s.good.lo)}, {_f(s.good.hi)}]"
            m3 = "—" if s.good.mean is None else "yes" if s.good.mean >= M3_TARGET else "no"
            w(f"  {r.submission[:14]:<14} {r.run_id[:34]:<34} {s.n_items:>5} "
              f"{s.n_ratings:>7}  {mean:<19} {good:<20} {_f(s.alpha):>6}  {m3}\n")
        w("\n  histogram (ratings 1..5)\n")
        for r in report.runs:
            unr = (f"   ({r.stats.n_unrendered} of {r.stats.n_tasks} tasks did not render: "
                   "not good)" if r.stats.n_unrendered else "")
            w(f"  {r.submission[:14]:<14} {r.stats.histogram}{unr}\n")
    else:
        w("  no ratings of submissions' frames yet\n")
    w(f"\nagreement, Krippendorff's alpha (ordinal) over all items: {_f(report.alpha, 3)}\n")
    if report.raters:
        w(f"\n  {'rater':<24} {'ratings':>7} {'mean':>5}  checks passed\n")
        for r in report.raters:
            checks = ("—" if r.pass_rate is None
                      else f"{r.checks_passed}/{r.n_checks} ({r.pass_rate:.0%})")
            flag = "   FLAGGED: failed attention checks" if r.flagged else ""
            w(f"  {r.rater[:24]:<24} {r.n:>7} {_f(r.mean):>5}  {checks}{flag}\n")
