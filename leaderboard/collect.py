"""Read the results database into what the pages show: compared runs, summaries, ratings.

Which runs are compared: by default the latest complete run (with at least one
result) of every submission × suite × split, where a submission is a model
name with its model arguments (``random`` and ``random (seed=1)`` are two
submissions); ``run_ids`` picks runs by hand instead.  Every other run is
listed with the reason it was left out.

Statistics are ``benchmark.scoring.summarize`` over each run's rows (seeded
bootstrap, so a rebuild gives the same intervals).  Human evaluation comes
from the ``human_eval_summary`` table when the database has one, read through
``human_eval.schema.read_summaries`` (by reflection: nothing is created).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from benchmark.core.tasks import Task
from benchmark.results import RunRecord, TaskResult
from benchmark.scoring import (
    SCORING_VERSION,
    MetricSummary,
    ScoredRow,
    Summary,
    scoring_version,
    summarize,
)
from benchmark.store import Store, StoreError, task_slug
from benchmark.suites import SuiteError, load_suite
from human_eval.schema import read_summaries
from leaderboard.milestones import HUMAN, MILESTONES, RUNS, TIMING, Evidence

__all__ = ["TIME_METRIC", "Board", "HumanEval", "LeaderboardError",
           "RunData", "SkippedRun", "collect", "load_run_tasks", "read_human_eval",
           "select_runs", "submission_label"]

#: seconds spent in ``generate`` per task, summarised like a metric (lower is better)
TIME_METRIC = "generate_s"


class LeaderboardError(Exception):
    """A database, run selection or output folder that cannot be used; one readable line."""


def submission_label(record: RunRecord) -> str:
    """``model`` or ``model (k=v, …)``: what the pages call a submission."""
    if not record.model_args:
        return record.model
    args = ", ".join(f"{k}={v}" for k, v in sorted(record.model_args.items()))
    return f"{record.model} ({args})"


@dataclass
class SkippedRun:
    record: RunRecord
    n_results: int
    reason: str

    @property
    def stale(self) -> bool:
        """Left out for its scoring version: ``python -m benchmark rescore`` brings it in."""
        return scoring_version(self.record.scoring) != SCORING_VERSION


@dataclass
class RunData:
    """One compared run: its record, rows and summary (metrics plus ``generate_s``)."""

    record: RunRecord
    submission: str
    results: list[TaskResult]
    summary: Summary

    @property
    def run_id(self) -> str:
        return self.record.run_id

    @property
    def slug(self) -> str:
        return task_slug(self.record.run_id)

    @property
    def suite_key(self) -> tuple[str, str]:
        return (self.record.suite, self.record.split)


@dataclass
class HumanEval:
    """One row of ``human_eval_summary``: ratings of one run's scenes."""

    run_id: str
    submission: str
    suite: str
    split: str
    n_items: int
    n_ratings: int
    mean: MetricSummary
    good: MetricSummary
    alpha: float | None
    histogram: list[int]
    computed: str
    n_raters: int | None = None


@dataclass
class Board:
    """Everything one build shows."""

    db: str
    artifacts: Path
    runs: list[RunData]
    skipped: list[SkippedRun] = field(default_factory=list)
    human: dict[str, HumanEval] = field(default_factory=dict)
    timing: dict[str, MetricSummary] = field(default_factory=dict)

    @property
    def stale(self) -> list[SkippedRun]:
        """Complete runs left out because they were scored under another scoring version."""
        return [sk for sk in self.skipped if sk.stale and sk.record.status == "complete"
                and sk.n_results]

    @property
    def submissions(self) -> list[str]:
        return sorted({r.submission for r in self.runs} | set(self.human))

    def groups(self) -> list[tuple[tuple[str, str], list[RunData]]]:
        """Compared runs by (suite, split), suites in name order, runs by submission."""
        by: dict[tuple[str, str], list[RunData]] = {}
        for r in sorted(self.runs, key=lambda r: (r.suite_key, r.submission)):
            by.setdefault(r.suite_key, []).append(r)
        return sorted(by.items())

    def evidence(self) -> dict[str, Evidence]:
        """Per submission, what the milestones are judged on."""
        out = {s: Evidence() for s in self.submissions}
        runs: dict[tuple[str, str, str], RunData] = {}
        for r in self.runs:
            out[r.submission].suites[r.suite_key] = r.summary.overall
            runs[(r.submission, *r.suite_key)] = r
        for sub, ev in out.items():
            for m in MILESTONES:
                if m.source != RUNS:
                    continue
                said = [f"{label}run {r.run_id}, {r.summary.n} tasks"
                        for split, label in ((m.split, ""), (m.beside, f"{m.beside}: "))
                        if split and (r := runs.get((sub, m.suite or "", split)))]
                if said:
                    ev.notes[m.key] = "; ".join(said)
        for sub, h in self.human.items():
            out[sub].human = h.good
            _note(out[sub], HUMAN, f"{h.suite}/{h.split}: {h.n_items} scenes, "
                                   f"{h.n_ratings} ratings")
        for sub, t in self.timing.items():
            out[sub].generate_s = t
            _note(out[sub], TIMING, f"in generate, over {t.n} scenes")
        return out


def _note(ev: Evidence, source: str, text: str) -> None:
    for m in MILESTONES:
        if m.source == source:
            ev.notes[m.key] = text


# -- choosing runs -------------------------------------------------------------------------------

def select_runs(records: Sequence[RunRecord], counts: dict[str, int],
                chosen: Sequence[str] | None = None
                ) -> tuple[list[RunRecord], list[SkippedRun]]:
    """The runs to compare and the rest with a reason.

    ``chosen``: full run ids picked by hand (already resolved); two of them
    for the same submission × suite × split, or runs scored under different
    scoring versions, are an error.  Otherwise the latest complete run with
    results scored under the current ``SCORING_VERSION`` wins per submission ×
    suite × split; a run scored under another version is listed with the
    command that rescores it.
    """
    def key(r: RunRecord) -> tuple[str, str, str]:
        return (submission_label(r), r.suite, r.split)

    keep: dict[tuple[str, str, str], RunRecord] = {}
    if chosen is not None:
        wanted = set(chosen)
        versions = {r.run_id: scoring_version(r.scoring) for r in records if r.run_id in wanted}
        if len(set(versions.values())) > 1:
            old = min(versions, key=lambda i: (versions[i], i))
            raise LeaderboardError(
                f"the runs named were scored under different scoring versions "
                f"({', '.join(str(v) for v in sorted(set(versions.values())))}); rescore the "
                f"older ones first, e.g. python -m benchmark rescore {old}")
        for r in records:
            if r.run_id not in wanted:
                continue
            if key(r) in keep:
                raise LeaderboardError(
                    f"runs {keep[key(r)].run_id} and {r.run_id} are both {key(r)[0]} on "
                    f"{r.suite}/{r.split}; pick one of them")
            if not counts.get(r.run_id):
                raise LeaderboardError(f"run {r.run_id} has no results yet")
            keep[key(r)] = r
    else:
        for r in sorted(records, key=lambda r: (r.created, r.run_id)):
            if (r.status == "complete" and counts.get(r.run_id)
                    and scoring_version(r.scoring) == SCORING_VERSION):
                keep[key(r)] = r
    picked = {r.run_id for r in keep.values()}
    skipped = []
    for r in records:
        if r.run_id in picked:
            continue
        if chosen is not None:
            reason = "not named by --runs"
        elif r.status != "complete":
            reason = f"{r.status} ({counts.get(r.run_id, 0)}/{r.n_tasks} tasks)"
        elif not counts.get(r.run_id):
            reason = "no results"
        elif scoring_version(r.scoring) != SCORING_VERSION:
            reason = (f"scored under scoring version {scoring_version(r.scoring)}, not "
                      f"{SCORING_VERSION}: python -m benchmark rescore {r.run_id}")
        else:
            reason = f"superseded by {keep[key(r)].run_id}"
        skipped.append(SkippedRun(r, counts.get(r.run_id, 0), reason))
    return sorted(keep.values(), key=lambda r: (r.suite, r.split, submission_label(r))), skipped


# -- human evaluation --------------------------------------------------------------------------

def _float(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _histogram(v: Any) -> list[int]:
    try:
        counts = json.loads(v) if isinstance(v, str) else v
        out = [int(c) for c in counts]
    except (TypeError, ValueError):
        return []
    return out if len(out) == 5 else []


def read_human_eval(conn: sa.Connection) -> list[HumanEval]:
    """Every ``human_eval_summary`` row, or nothing when the table does not exist."""
    out = []
    for r in read_summaries(conn):
        n_items = int(r.get("n_items") or 0)
        out.append(HumanEval(
            run_id=str(r["run_id"]), submission=str(r.get("submission") or ""),
            suite=str(r.get("suite") or ""), split=str(r.get("split") or ""),
            n_items=n_items, n_ratings=int(r.get("n_ratings") or 0),
            mean=MetricSummary(_float(r.get("mean")), _float(r.get("mean_lo")),
                               _float(r.get("mean_hi")), n_items),
            good=MetricSummary(_float(r.get("good_rate")), _float(r.get("good_lo")),
                               _float(r.get("good_hi")), n_items),
            alpha=_float(r.get("alpha")), histogram=_histogram(r.get("histogram")),
            computed=str(r.get("computed") or ""),
            n_raters=None if r.get("n_raters") is None else int(r["n_raters"])))
    return out


def _human_by_submission(rows: Iterable[HumanEval], labels: dict[str, str]
                         ) -> dict[str, HumanEval]:
    """The latest evaluation per submission (by the run it rated, else its own name)."""
    out: dict[str, HumanEval] = {}
    for h in sorted(rows, key=lambda h: (h.computed, h.run_id)):
        out[labels.get(h.run_id, h.submission or h.run_id)] = h
    return out


# -- loading -----------------------------------------------------------------------------------

def _scored(r: TaskResult) -> ScoredRow:
    metrics = dict(r.metrics)
    if TIME_METRIC in r.timings:
        metrics[TIME_METRIC] = r.timings[TIME_METRIC]
    return ScoredRow(r.task_id, r.family, r.difficulty, r.status, metrics)


def _pooled_time(runs: Sequence[RunData], n_boot: int) -> MetricSummary | None:
    """Seconds in ``generate`` per task over every run of one submission."""
    if len(runs) == 1:  # the run's own interval (same rows, same seed)
        return runs[0].summary.overall.get(TIME_METRIC)
    rows = [ScoredRow(r.task_id, "all", "all", r.status, {TIME_METRIC: r.timings[TIME_METRIC]})
            for run in runs for r in run.results if TIME_METRIC in r.timings]
    if not rows:
        return None
    return summarize(rows, n_boot=n_boot).overall.get(TIME_METRIC)


def collect(store: Store, run_ids: Sequence[str] | None = None, n_boot: int = 1000) -> Board:
    """Load the compared runs (``run_ids``: ids or unique prefixes) and the ratings."""
    try:
        records = store.list_runs()
        counts = store.result_counts()
        if not records:
            raise LeaderboardError(f"{store.display}: no runs recorded yet (run "
                                   "`python -m benchmark run --model NAME --suite synthetic` "
                                   "first)")
        chosen = None if run_ids is None else [store.get_run(i).run_id for i in run_ids]
        picked, skipped = select_runs(records, counts, chosen)
        if not picked:
            stale = [r.run_id for r in records if r.status == "complete"
                     and scoring_version(r.scoring) != SCORING_VERSION]
            if stale:
                raise LeaderboardError(
                    f"{store.display}: every complete run was scored under another scoring "
                    f"version than this jepa-manim's ({SCORING_VERSION}); rescore them, e.g. "
                    f"python -m benchmark rescore {stale[-1]}")
            raise LeaderboardError(f"{store.display}: no complete run with results; finish one "
                                   "with `python -m benchmark run --resume RUN_ID` or name "
                                   "runs with --runs")
        runs = []
        for rec in picked:
            results = store.results(rec.run_id)
            summary = summarize([_scored(r) for r in results], n_boot=n_boot,
                                seed=int(rec.seeds.get("bootstrap", 0) or 0))
            runs.append(RunData(rec, submission_label(rec), results, summary))
        with store.connect() as conn:
            human_rows = read_human_eval(conn)
    except StoreError as exc:
        raise LeaderboardError(str(exc)) from None
    except sa.exc.SQLAlchemyError as exc:
        raise LeaderboardError(f"{store.display}: cannot read: "
                               f"{str(exc).splitlines()[0]}") from None
    labels = {r.run_id: submission_label(r) for r in records}
    board = Board(store.display, store.artifacts.root, runs, skipped,
                  _human_by_submission(human_rows, labels))
    by_sub: dict[str, list[RunData]] = {}
    for r in runs:
        by_sub.setdefault(r.submission, []).append(r)
    for sub, rs in by_sub.items():
        t = _pooled_time(rs, n_boot)
        if t is not None:
            board.timing[sub] = t
    return board


_Loaded = tuple[dict[str, Task], str, str]  # tasks by id, suite hash, error


def load_run_tasks(record: RunRecord, cache: dict[tuple[str, str, int | None], _Loaded]
                   | None = None) -> tuple[dict[str, Task], str]:
    """The run's tasks by id (for reference boxes and prompts), and a warning if any.

    The suite is loaded the way the run loaded it (its recorded source, split
    and limit); a suite that is not on this machine, or that changed since the
    run, is reported, never fatal.  ``cache`` (one per build) loads each suite
    once however many runs share it.
    """
    source = record.suite_source or record.suite
    key = (source, record.split, record.limit)
    if cache is None or key not in cache:
        loaded = _load_suite(*key)
        if cache is not None:
            cache[key] = loaded
    else:
        loaded = cache[key]
    tasks, suite_hash, error = loaded
    if error:
        return {}, (f"suite {source!r} is not available here ({error}); reference boxes and "
                    "prompts are not shown")
    warning = ""
    if suite_hash != record.suite_hash:
        warning = (f"suite {record.suite}/{record.split} has changed since this run (hash "
                   f"{record.suite_hash} then, {suite_hash} now); references are today's")
    return tasks, warning


def _load_suite(source: str, split: str, limit: int | None) -> _Loaded:

    try:
        suite = load_suite(source, split, limit=limit)
    except (SuiteError, OSError, ValueError) as exc:
        return {}, "", str(exc)
    return {t.id: t for t in suite.tasks}, suite.hash, ""
