"""The results format: the only interface between the runner and the pages.

A run is one ``RunRecord`` (what ran, on what, under which conditions) and one
``TaskResult`` per task.  Both are plain typed dataclasses whose ``to_json``
output is the stored and exported shape; ``from_json`` accepts exactly that
shape.  ``RunLog`` bundles a record with its results for export.  ``load``
reads runs from a database into a pandas DataFrame, one row per task × sample.  Any change
to a field's meaning or shape bumps ``RESULTS_FORMAT_VERSION``; readers refuse
versions newer than they know.

Paths of artifacts are relative to the store's artifact root (the directory
of the SQLite file by default), with ``/`` separators, so a results database
and its artifacts can be moved together.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmark.outcome import MeasuredObject
from benchmark.scoring import METRICS, scoring_version

if TYPE_CHECKING:
    import pandas as pd

    from benchmark.store import Store

__all__ = ["RESULTS_FORMAT_VERSION", "RUN_STATUSES", "TABLE_COLUMNS", "ResultsFormatError",
           "RunLog", "RunRecord", "TaskResult", "clean_metrics", "load", "table", "table_rows"]

# 2: each measured object carries ``verified`` and ``reason`` (version-1 objects read as
#    verified, since nothing checked them then; rescoring measures them again).
RESULTS_FORMAT_VERSION = 2

#: ``running``: started, not finished (or killed); ``complete``: every task has a
#: result; ``interrupted``: stopped by Ctrl-C / SIGTERM, resumable.
RUN_STATUSES = ("running", "complete", "interrupted")


class ResultsFormatError(ValueError):
    """A stored record of an unknown (newer) version or a malformed shape."""


def _check_version(d: dict[str, Any], what: str) -> int:
    v = d.get("format_version", RESULTS_FORMAT_VERSION)
    if not isinstance(v, int) or isinstance(v, bool):
        raise ResultsFormatError(f"{what}: format_version must be an integer, got {v!r}")
    if v > RESULTS_FORMAT_VERSION:
        raise ResultsFormatError(f"{what}: results format version {v} is newer than this "
                                 f"jepa-manim reads ({RESULTS_FORMAT_VERSION}); upgrade it")
    return v


def clean_metrics(metrics: dict[str, Any]) -> dict[str, float | None]:
    """Metrics as JSON can hold them: floats, with NaN/inf/None as ``None``."""
    out: dict[str, float | None] = {}
    for k, v in metrics.items():
        f = None if v is None else float(v)
        out[k] = f if f is not None and math.isfinite(f) else None
    return out


@dataclass
class RunRecord:
    """One run of one submission on one suite split.

    Fields (all JSON-native in ``to_json``):

    - ``run_id``: unique id, ``YYYYmmdd-HHMMSS-<model>-<hex>``.
    - ``created`` / ``finished``: ISO 8601 UTC timestamps; ``finished`` is set when the
      run completes (``None`` while running or after an interruption).
    - ``status``: one of ``RUN_STATUSES``.
    - ``model``, ``model_args``: the registry name and the ``--model-arg`` pairs (strings).
    - ``suite``, ``split``, ``suite_version``, ``suite_hash``: the suite's identity; a
      changed hash is a different suite and cannot be resumed.
    - ``suite_source``: what ``--suite`` named (a registered name or a ``.jsonl`` path), so
      a resume loads the same tasks.
    - ``n_tasks``: tasks in the run (after ``limit``); ``limit``: the ``--limit`` or ``None``.
    - ``git_sha``: ``git rev-parse HEAD`` of the harness checkout, ``None`` outside one.
    - ``packages``: versions of python, jepa-manim, manim, numpy, torch, … (``None`` = absent).
    - ``seeds``: every seed the run used, by name (``seed``: the run seed; ``bootstrap``:
      the summary intervals'; ``per_task``: how each task's generate is seeded).
    - ``sandbox_mode``: ``bwrap`` or ``rlimit-only``; ``sandbox_note``: why it fell back.
    - ``scoring``: the scoring configuration as JSON, with ``version``: the
      ``benchmark.scoring.SCORING_VERSION`` its metrics were computed under (absent in
      runs recorded before versions were: those read as version 1).  A run rescored in
      place (``python -m benchmark rescore``) also has ``rescored``: when, and the
      version it was scored under before.
    - ``lpips``: ``{"available": bool, "reason": str | None}``, recorded once per run (when
      LPIPS is unavailable its per-task value is ``None`` for this reason).
    - ``timings``: wall time and counters, accumulated over every session of the run
      (``wall_s``, ``sessions``, ``renders``, ``cache_hits``, …).
    - ``origin``: ``None`` for a run of its own; for a run made from another one,
      ``{"kind": "retry" | "rescore", "run_id": the earlier run, ...}``: ``retry``
      (``run --retry-failed``) also lists the ``retried`` task ids (every other row was
      copied from the earlier run, which keeps the first attempts); ``rescore``
      (``rescore --as-new-run``) also names the ``scoring_version`` it was scored under.
    - ``format_version``: ``RESULTS_FORMAT_VERSION`` at write time.
    """

    run_id: str
    created: str
    model: str
    suite: str
    split: str
    suite_version: str
    suite_hash: str
    n_tasks: int
    status: str = "running"
    finished: str | None = None
    model_args: dict[str, str] = field(default_factory=dict)
    limit: int | None = None
    suite_source: str | None = None
    git_sha: str | None = None
    packages: dict[str, str | None] = field(default_factory=dict)
    seeds: dict[str, Any] = field(default_factory=dict)
    sandbox_mode: str = ""
    sandbox_note: str | None = None
    scoring: dict[str, Any] = field(default_factory=dict)
    lpips: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, Any] = field(default_factory=dict)
    origin: dict[str, Any] | None = None
    format_version: int = RESULTS_FORMAT_VERSION

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": self.format_version, "run_id": self.run_id,
            "origin": dict(self.origin) if self.origin is not None else None,
            "created": self.created, "finished": self.finished, "status": self.status,
            "model": self.model, "model_args": dict(self.model_args),
            "suite": self.suite, "split": self.split, "suite_version": self.suite_version,
            "suite_hash": self.suite_hash, "suite_source": self.suite_source,
            "n_tasks": self.n_tasks, "limit": self.limit,
            "git_sha": self.git_sha, "packages": dict(self.packages),
            "seeds": dict(self.seeds), "sandbox_mode": self.sandbox_mode,
            "sandbox_note": self.sandbox_note, "scoring": dict(self.scoring),
            "lpips": dict(self.lpips), "timings": dict(self.timings),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> RunRecord:
        version = _check_version(d, f"run {d.get('run_id', '?')}")
        try:
            return cls(
                run_id=str(d["run_id"]), created=str(d["created"]), model=str(d["model"]),
                suite=str(d["suite"]), split=str(d["split"]),
                suite_version=str(d["suite_version"]), suite_hash=str(d["suite_hash"]),
                n_tasks=int(d["n_tasks"]), status=str(d.get("status", "running")),
                finished=d.get("finished"), model_args=dict(d.get("model_args") or {}),
                limit=d.get("limit"), suite_source=d.get("suite_source"),
                git_sha=d.get("git_sha"),
                packages=dict(d.get("packages") or {}), seeds=dict(d.get("seeds") or {}),
                sandbox_mode=str(d.get("sandbox_mode") or ""),
                sandbox_note=d.get("sandbox_note"), scoring=dict(d.get("scoring") or {}),
                lpips=dict(d.get("lpips") or {}), timings=dict(d.get("timings") or {}),
                origin=dict(d["origin"]) if d.get("origin") else None,
                format_version=version)
        except (KeyError, TypeError, ValueError) as exc:
            raise ResultsFormatError(f"run record: bad or missing field: {exc}") from None


@dataclass
class TaskResult:
    """One task of one run: what the submission wrote and how it scored.

    Fields:

    - ``run_id``, ``task_id``: unique together (one row per run × task).
    - ``family``, ``difficulty``: copied from the task, for grouping without the suite.
    - ``status``: the sandbox status (``benchmark.sandbox.Status``, a closed set).  A
      submission whose ``generate`` raised is recorded as ``crashed`` with ``error`` starting
      ``"generation failed: "`` and empty code.
    - ``error``: short human-readable error ("" when ok); ``stderr_tail``: the child's.
    - ``code_hash``: sha256 of the code (UTF-8); ``code_path``: the code artifact.
    - ``metrics``: metric name → value, ``None`` where not computable (e.g. LPIPS without
      weights; the run record says why).  For a submission that writes several samples
      per task (``benchmark.sampling``), ``compiled`` and ``rendered`` are unbiased
      pass@1 over the samples, ``compiled_pass@k`` / ``rendered_pass@k`` pass@k for the k
      of ``benchmark.scoring.aggregate.pass_ks(n)`` above 1, and every other metric the
      mean over the samples; with one sample they are that sample's values.
    - ``objects``: the measured semantic objects of the final keyframe
      (``MeasuredObject.to_json``: kind, content, box [xmin, ymin, xmax, ymax], visible,
      verified — kind and content proven by the drawing — and the reason in a few words).
    - ``frame``: the frame PNG drawn by trusted code (``None`` when nothing rendered);
      ``reference_frame``: the reference's, when the task has reference code.
    - ``snapshot``: the final keyframe's Snapshot payload, when rendered.
    - ``keyframes``: number of keyframes the scene produced.
    - ``render_cached``: the render came from the render cache (no sandbox call).
    - ``sandbox_mode``: the mode the code was rendered under.
    - ``timings``: seconds for generate / render / score.
    - ``generation``: the submission's ``Generation.meta`` (JSON-native values); with
      several samples or repair rounds the first sample's, plus ``sampling``:
      ``{"n", "repair_rounds", "samples": [...]}``, one entry per sample with its final
      ``status``, ``error``, ``round`` (the repair round that wrote it; 0 = first try),
      ``rendered``, ``repaired``, ``code_hash``, ``code_path``, ``metrics``, ``meta`` and
      ``attempts`` (``round``, ``status``, ``error``, ``code_hash``, ``code_path`` of each
      try).  The row's own code, frame, objects and status are the first sample's final
      attempt.
    - ``created``: ISO 8601 UTC time the row was written.
    """

    run_id: str
    task_id: str
    family: str
    difficulty: str
    status: str
    error: str = ""
    stderr_tail: str = ""
    code_hash: str = ""
    code_path: str | None = None
    metrics: dict[str, float | None] = field(default_factory=dict)
    objects: list[MeasuredObject] = field(default_factory=list)
    frame: str | None = None
    reference_frame: str | None = None
    snapshot: str | None = None
    keyframes: int = 0
    render_cached: bool = False
    sandbox_mode: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    generation: dict[str, Any] = field(default_factory=dict)
    created: str = ""
    format_version: int = RESULTS_FORMAT_VERSION

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": self.format_version, "run_id": self.run_id,
            "task_id": self.task_id, "family": self.family, "difficulty": self.difficulty,
            "status": self.status, "error": self.error, "stderr_tail": self.stderr_tail,
            "code_hash": self.code_hash, "code_path": self.code_path,
            "metrics": clean_metrics(self.metrics),
            "objects": [o.to_json() for o in self.objects],
            "frame": self.frame, "reference_frame": self.reference_frame,
            "snapshot": self.snapshot, "keyframes": self.keyframes,
            "render_cached": self.render_cached, "sandbox_mode": self.sandbox_mode,
            "timings": {k: round(float(v), 6) for k, v in self.timings.items()},
            "generation": dict(self.generation), "created": self.created,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> TaskResult:
        version = _check_version(d, f"result {d.get('task_id', '?')}")
        try:
            return cls(
                run_id=str(d["run_id"]), task_id=str(d["task_id"]), family=str(d["family"]),
                difficulty=str(d["difficulty"]), status=str(d["status"]),
                error=str(d.get("error") or ""), stderr_tail=str(d.get("stderr_tail") or ""),
                code_hash=str(d.get("code_hash") or ""), code_path=d.get("code_path"),
                metrics=clean_metrics(dict(d.get("metrics") or {})),
                objects=[MeasuredObject.from_json(o) for o in d.get("objects") or []],
                frame=d.get("frame"), reference_frame=d.get("reference_frame"),
                snapshot=d.get("snapshot"), keyframes=int(d.get("keyframes") or 0),
                render_cached=bool(d.get("render_cached", False)),
                sandbox_mode=str(d.get("sandbox_mode") or ""),
                timings={k: float(v) for k, v in (d.get("timings") or {}).items()},
                generation=dict(d.get("generation") or {}), created=str(d.get("created", "")),
                format_version=version)
        except (KeyError, TypeError, ValueError) as exc:
            raise ResultsFormatError(f"task result: bad or missing field: {exc}") from None


@dataclass
class RunLog:
    """A whole run for export: ``{"format_version", "run": RunRecord, "results": [...]}``."""

    run: RunRecord
    results: list[TaskResult]
    format_version: int = RESULTS_FORMAT_VERSION

    def to_json(self) -> dict[str, Any]:
        return {"format_version": self.format_version, "run": self.run.to_json(),
                "results": [r.to_json() for r in self.results]}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> RunLog:
        version = _check_version(d, "run log")
        return cls(RunRecord.from_json(d["run"]),
                   [TaskResult.from_json(r) for r in d.get("results") or []], version)


# -- results as a table ------------------------------------------------------------------------

#: the columns of ``load`` before the metrics, in order
TABLE_COLUMNS = ("run_id", "model", "model_args", "suite", "split", "suite_hash",
                 "scoring_version", "run_status", "run_created", "git_sha", "task_id",
                 "family", "difficulty", "sample", "n_samples", "status", "error",
                 "generate_s", "render_s", "score_s", "render_cached", "code_path", "frame")


def table_rows(record: RunRecord, result: TaskResult) -> Iterator[dict[str, Any]]:
    """The table rows of one result: one, or one per sample when it has several (each
    with that sample's status, metrics, code and frame; the timings are the task's)."""

    base: dict[str, Any] = {
        "run_id": record.run_id, "model": record.model,
        "model_args": ", ".join(f"{k}={v}" for k, v in sorted(record.model_args.items())),
        "suite": record.suite, "split": record.split, "suite_hash": record.suite_hash,
        "scoring_version": scoring_version(record.scoring), "run_status": record.status,
        "run_created": record.created, "git_sha": record.git_sha,
        "task_id": result.task_id, "family": result.family, "difficulty": result.difficulty,
        "generate_s": result.timings.get("generate_s"),
        "render_s": result.timings.get("render_s"), "score_s": result.timings.get("score_s"),
        "render_cached": result.render_cached}
    sampling = result.generation.get("sampling")
    samples = sampling.get("samples") if isinstance(sampling, dict) else None
    if not samples:
        yield {**base, "sample": 0, "n_samples": 1, "status": result.status,
               "error": result.error, "code_path": result.code_path, "frame": result.frame,
               **clean_metrics(result.metrics)}
        return
    for i, s in enumerate(samples):
        yield {**base, "sample": int(s.get("index", i)), "n_samples": len(samples),
               "status": s.get("status"), "error": s.get("error") or "",
               "code_path": s.get("code_path"),
               "frame": s.get("frame", result.frame if i == 0 else None),
               **clean_metrics(dict(s.get("metrics") or {}))}


def table(store: Store, run_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """``load``'s DataFrame from an open store."""
    import pandas as pd


    records = (store.list_runs() if run_ids is None
               else [store.get_run(i) for i in run_ids])
    rows = [row for rec in records for res in store.results(rec.run_id)
            for row in table_rows(rec, res)]
    extra = sorted({k for r in rows for k in r} - set(TABLE_COLUMNS) - set(METRICS))
    columns = [*TABLE_COLUMNS, *METRICS, *extra]
    frame = pd.DataFrame(rows, columns=columns)
    for m in (*METRICS, *extra, "generate_s", "render_s", "score_s"):
        frame[m] = pd.to_numeric(frame[m], errors="coerce").astype("float64")
    return frame


def load(db_url: str | Path, run_ids: Sequence[str] | None = None,
         artifacts: str | Path | None = None) -> pd.DataFrame:
    """Runs from a results database as a pandas DataFrame: one row per task × sample.

    ``db_url``: an SQLite file or any SQLAlchemy URL (as ``--db``); ``run_ids``: ids or
    unique prefixes (default: every run).  Columns: ``TABLE_COLUMNS`` (run metadata,
    the task's family and difficulty, ``sample`` / ``n_samples``, status, error, the
    task's timings, the code and frame artifact paths) then every metric of
    ``benchmark.scoring.METRICS`` (floats, NaN where null).  A run with several samples
    per task has one row per sample with that sample's metrics: a task's value in the
    run's summary is their mean (pass@1 for compiled/rendered).  Raises
    ``benchmark.store.StoreError`` for a missing database or an unknown run.
    """
    # benchmark.store imports this module (its rows are these records): a genuine cycle.
    from benchmark.store import Store, StoreError

    url = str(db_url)
    path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else url
    if "://" not in path and not Path(path).is_file():
        raise StoreError(f"{url}: no such database")
    with Store(url, artifacts) as store:
        return table(store, run_ids)
