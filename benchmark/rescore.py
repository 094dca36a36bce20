"""Rescore a stored run: every metric recomputed from what the run stored, no sandbox, no model.

Each row's final Snapshot is measured again by trusted code
(``benchmark.render.Measurer``: objects, visibility, the drawn frame) and
scored by ``score_outcome`` against the stored reference frame, with the
task from the run's suite (loaded the way the run loaded it; a suite that
changed since is an error).  Measuring is skipped where nothing about it has
changed: when the render cache holds this snapshot measured under the
current measurement version, manim version and frame size, its objects (full
precision, exactly what the run scored) and the stored frame are used;
``remeasure=True`` measures every snapshot regardless.  Rows that ran
without rendering (a timeout, a syntax error, …) keep their status and are
scored as such.  A row with several samples (``benchmark.sampling``) has each
sample rescored and combined again.

In place (the default) the run's rows and its scoring setup change in one
transaction: nothing changes if anything fails.  ``as_new_run=True`` writes a
new run instead, whose ``origin`` names the run it was rescored from; the
old run is left as it was.  Either way the run then records
``SCORING_VERSION``.

Rows are rescored ``jobs`` at a time in worker processes (the work is numpy,
Cairo and PNG decoding); the results do not depend on ``jobs``.
"""

from __future__ import annotations

import math
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

from benchmark._progress import progress_bar
from benchmark._provenance import now_iso
from benchmark.core.tasks import Box, Task
from benchmark.outcome import MeasuredObject, Outcome, compiles
from benchmark.render import Measurer
from benchmark.results import RunRecord, TaskResult, clean_metrics
from benchmark.runner import lpips_json, new_run_id, scoring_json
from benchmark.sandbox import Status
from benchmark.scoring import (
    DEFAULT_SCORERS,
    SCORING_VERSION,
    ScoringConfig,
    score_outcome,
    scorers,
    scoring_version,
)
from benchmark.scoring.aggregate import combine_samples
from benchmark.store import (
    Artifacts,
    CachedRender,
    Store,
    StoreError,
    measured_objects,
    render_salt,
)
from benchmark.suites import SuiteError, load_suite

__all__ = ["MEASURED_STATUSES", "RescoreError", "RescoreStats", "rescore_run"]

#: statuses that trusted measurement decided (the others come from running the code, and
#: a row with one of them has no objects to measure)
MEASURED_STATUSES = frozenset({Status.OK, Status.EMPTY_SCENE})
_FRAME_SIZE = (854, 480)  # what the runner's Renderer draws


class RescoreError(Exception):
    """A run that cannot be rescored as asked; one readable line, nothing was changed."""


@dataclass
class RescoreStats:
    """What one rescore did."""

    run_id: str  # the run that now holds the new scores (a new one with as_new_run)
    source_run_id: str
    n: int = 0  # rows rescored
    changed: int = 0  # rows whose metrics, status or objects changed
    measured: int = 0  # snapshots measured again (the rest: the cache's measurement)
    from_version: int = SCORING_VERSION
    to_version: int = SCORING_VERSION
    wall_s: float = 0.0
    as_new_run: bool = False


# -- one row (runs in a worker process) -------------------------------------------------------

@dataclass
class _Job:
    task: Task
    row: TaskResult
    measured: dict[str, list[dict[str, Any]]]  # snapshot path -> cached objects (current)
    root: Path
    config: ScoringConfig
    remeasure: bool


@dataclass
class _Sample:
    status: str  # a Status, or a stored row's plain value (equal to it)
    error: str
    objects: list[MeasuredObject]
    frame: str | None
    metrics: dict[str, float | None]
    measured: bool


_MEASURER: Any = None


def _measurer() -> Any:
    global _MEASURER
    if _MEASURER is None:
        _MEASURER = Measurer(*_FRAME_SIZE)
    return _MEASURER


def _where(job: _Job, what: str) -> str:
    return f"run {job.row.run_id}, task {job.row.task_id}: {what}"


def _rescore_sample(job: _Job, status: str, error: str, snapshot: str | None,
                    frame: str | None, code_path: str | None,
                    reference: np.ndarray | None) -> _Sample:
    """Measure (or take the cache's measurement of) one program's snapshot and score it."""
    arts = Artifacts(job.root)
    code = ""
    if code_path is not None:
        try:
            code = arts.path(code_path).read_text(encoding="utf-8")
        except OSError as exc:
            raise RescoreError(_where(job, f"cannot read its code {code_path}: "
                                           f"{exc.strerror}")) from None
    objects: list[MeasuredObject] = []
    pixels: np.ndarray | None = None
    measured = False
    if status in MEASURED_STATUSES and snapshot is not None:
        cached = None if job.remeasure else job.measured.get(snapshot)
        if cached is not None and frame is not None:
            objects = measured_objects(CachedRender(key="", salt="", status=status,
                                                    objects=cached))
            pixels = _read_frame(job, arts, frame)
        else:
            try:
                payload = arts.path(snapshot).read_bytes()
            except OSError as exc:
                raise RescoreError(_where(job, f"cannot read its snapshot {snapshot}: "
                                               f"{exc.strerror}")) from None
            got = _measurer().measure([payload])
            measured = True
            status, error = got.status, got.error
            objects = [MeasuredObject(o.kind, o.content, Box(*(float(v) for v in o.box)),
                                      bool(o.visible), bool(o.verified), o.reason)
                       for o in got.objects]
            frame = None
            if got.frame is not None:
                frame = arts.put_frame(got.frame)
                pixels = np.ascontiguousarray(got.frame[..., :3])
    elif frame is not None and status in MEASURED_STATUSES:
        pixels = _read_frame(job, arts, frame)
    outcome = Outcome(code=code, compiled=code_path is not None and compiles(code),
                      status=status, error=error, objects=objects, frame=pixels,
                      reference_frame=reference)
    metrics = score_outcome(job.task, outcome, job.config)
    return _Sample(status, error, objects, frame, metrics, measured)


def _read_frame(job: _Job, arts: Any, rel: str) -> np.ndarray:
    try:
        return arts.read_frame(rel)  # type: ignore[no-any-return]
    except OSError as exc:
        raise RescoreError(_where(job, f"cannot read the frame {rel}: "
                                       f"{exc.strerror or exc}")) from None


def _rescore_row(job: _Job) -> tuple[TaskResult, int]:
    """The row rescored, and how many snapshots were measured again."""
    row = job.row
    reference = None
    if row.reference_frame is not None:
        reference = _read_frame(job, Artifacts(job.root), row.reference_frame)
    sampling = row.generation.get("sampling")
    if not isinstance(sampling, dict):
        s = _rescore_sample(job, row.status, row.error, row.snapshot, row.frame,
                            row.code_path, reference)
        return replace(row, status=s.status, error=s.error, objects=s.objects, frame=s.frame,
                       metrics=s.metrics), int(s.measured)
    samples = [dict(x) for x in sampling.get("samples", [])]
    if not samples:
        raise RescoreError(_where(job, "its sampling record lists no samples"))
    done: list[_Sample] = []
    for i, sample in enumerate(samples):
        snapshot, frame = sample.get("snapshot"), sample.get("frame")
        if "snapshot" not in sample:  # recorded before samples kept their own
            if i > 0 and sample.get("status") in MEASURED_STATUSES:
                raise RescoreError(_where(job, f"sample {i} was recorded before each sample "
                                               "kept its snapshot; this run cannot be "
                                               "rescored"))
            snapshot, frame = (row.snapshot, row.frame) if i == 0 else (None, None)
        s = _rescore_sample(job, str(sample.get("status")), str(sample.get("error") or ""),
                            snapshot, frame, sample.get("code_path"), reference)
        sample.update(status=s.status, error=s.error, metrics=clean_metrics(s.metrics))
        if "snapshot" in sample or s.measured:
            sample["frame"] = s.frame
        done.append(s)
    first = done[0]  # the row's own status, objects and frame are its first sample's
    # the samples keep a shortened error; the row keeps its full one unless it changed
    error = first.error if first.measured or first.status != row.status else row.error
    generation = {**row.generation, "sampling": {**sampling, "samples": samples}}
    return replace(row, status=first.status, error=error, objects=first.objects,
                   frame=first.frame, metrics=combine_samples([s.metrics for s in done]),
                   generation=generation), sum(s.measured for s in done)


# -- the run ----------------------------------------------------------------------------------

def _tasks(record: RunRecord) -> dict[str, Task]:
    source = record.suite_source or record.suite
    try:
        suite = load_suite(source, record.split, limit=record.limit)
    except (SuiteError, OSError, ValueError) as exc:
        raise RescoreError(f"run {record.run_id}: cannot load its suite {source!r}: "
                           f"{exc}") from None
    if suite.hash != record.suite_hash:
        raise RescoreError(f"run {record.run_id}: suite {record.suite}/{record.split} has "
                           f"changed since the run (hash {record.suite_hash} then, "
                           f"{suite.hash} now); its tasks cannot be rescored")
    return {t.id: t for t in suite.tasks}


def _config(record: RunRecord, lpips_weights: Path | None) -> ScoringConfig:
    """The run's scoring setup, with the LPIPS weights it was scored with (or none)."""
    names = tuple(record.scoring.get("scorers") or DEFAULT_SCORERS)
    for name in names:
        if name not in scorers:
            raise RescoreError(f"run {record.run_id} was scored with {name!r}, which this "
                               "jepa-manim does not have")
    was = record.lpips
    if not was.get("available"):
        return ScoringConfig(lpips=False, scorers=names)
    weights = lpips_weights or (Path(was["weights"]) if was.get("weights") else None)
    config = ScoringConfig(lpips_weights=weights, scorers=names)
    now = lpips_json(config)
    if not now.get("available") or now.get("sha256") != was.get("sha256"):
        raise RescoreError(f"run {record.run_id} was scored with the LPIPS weights "
                           f"{was.get('weights')}, which are not here: pass --lpips-weights "
                           "PATH (the same file)")
    return config


def _current_measurements(store: Store, rows: list[TaskResult]) -> dict[str, list[dict]]:
    """Snapshot path -> objects, from render-cache entries measured as they would be now."""
    class _Size:  # what render_salt reads of a renderer
        size = _FRAME_SIZE
        sandbox_mode = ""

    prefix = render_salt(_Size(), "").rsplit("|sandbox-", 1)[0] + "|"  # type: ignore[arg-type]
    paths = {p for r in rows for p in _snapshots(r)}
    return {snap: entry.objects
            for snap, entry in store.renders_by_snapshot(paths, prefix).items()}


def _snapshots(row: TaskResult) -> list[str]:
    """The snapshot paths a row (and each of its samples) stored."""
    out = [row.snapshot] if row.snapshot else []
    sampling = row.generation.get("sampling")
    for s in sampling.get("samples", []) if isinstance(sampling, dict) else []:
        if isinstance(s, dict) and s.get("snapshot"):
            out.append(str(s["snapshot"]))
    return out


def _same(a: TaskResult, b: TaskResult) -> bool:
    def close(x: float | None, y: float | None) -> bool:
        return (x is None) == (y is None) and (x is None or math.isclose(
            x, y, rel_tol=0, abs_tol=1e-12))  # type: ignore[arg-type]

    keys = set(a.metrics) | set(b.metrics)
    return (a.status == b.status and [o.to_json() for o in a.objects]
            == [o.to_json() for o in b.objects]
            and all(close(a.metrics.get(k), b.metrics.get(k)) for k in keys))


def rescore_run(store: Store, run_id: str, *, as_new_run: bool = False,
                remeasure: bool = False, lpips_weights: Path | None = None, jobs: int = 1,
                progress: bool = False) -> RescoreStats:
    """Recompute every metric of a stored run under ``SCORING_VERSION`` (see the module).

    Raises ``RescoreError`` (nothing stored is changed) for a run that cannot be
    rescored: unknown, scored under a newer version, its suite changed, an
    artifact missing, LPIPS weights it was scored with not here.
    """
    t0 = time.perf_counter()
    try:
        record = store.get_run(run_id)
        rows = store.results(record.run_id)
    except StoreError as exc:
        raise RescoreError(str(exc)) from None
    version = scoring_version(record.scoring)
    if version > SCORING_VERSION:
        raise RescoreError(f"run {record.run_id} was scored under scoring version {version}, "
                           f"newer than this jepa-manim's ({SCORING_VERSION}); upgrade it")
    if not rows:
        raise RescoreError(f"run {record.run_id} has no results to rescore")
    tasks = _tasks(record)
    unknown = sorted({r.task_id for r in rows} - set(tasks))
    if unknown:
        raise RescoreError(f"run {record.run_id}: task {unknown[0]} is not in its suite "
                           f"{record.suite}/{record.split} any more")
    config = _config(record, lpips_weights)
    measured = {} if remeasure else _current_measurements(store, rows)
    root = store.artifacts.root
    job_list = [_Job(tasks[r.task_id], r, {p: measured[p] for p in _snapshots(r) if p in measured},
                     root, config, remeasure) for r in rows]
    new_rows: list[TaskResult] = []
    stats = RescoreStats(record.run_id, record.run_id, from_version=version,
                         as_new_run=as_new_run)
    url = store.engine.url
    if url.get_backend_name() == "sqlite" and not url.database:
        jobs = 1  # an in-memory database lives in its one connection: no workers
    elif jobs > 1:  # no pooled connection (a server's socket) may be inherited by a worker
        store.engine.dispose()
    with progress_bar(len(rows), "rescore", progress) as bar:
        for new, n_measured in _map(job_list, jobs):
            new_rows.append(new)
            stats.measured += n_measured
            bar.update(1)
    stats.n = len(new_rows)
    stats.changed = sum(not _same(a, b) for a, b in zip(rows, new_rows, strict=True))
    stats.wall_s = time.perf_counter() - t0

    scoring = {**scoring_json(config), "lpips": record.scoring.get("lpips", config.lpips),
               "lpips_weights": record.scoring.get("lpips_weights"),
               "rescored": [*record.scoring.get("rescored", []),
                            {"at": now_iso(), "from_version": version,
                             "from_run": record.run_id, "measured": stats.measured,
                             "wall_s": round(stats.wall_s, 3)}]}
    try:
        if as_new_run:
            rid = new_run_id(record.model)
            new_record = replace(record, run_id=rid, created=now_iso(), scoring=scoring,
                                 origin={"kind": "rescore", "run_id": record.run_id,
                                         "scoring_version": version})
            store.create_run(new_record, [replace(r, run_id=rid) for r in new_rows])
            stats.run_id = rid
        else:
            store.rescore_results(record.run_id, new_rows, scoring)
    except StoreError as exc:
        raise RescoreError(str(exc)) from None
    return stats


_FORKED: list[_Job] = []  # the jobs, as the worker processes inherit them (never pickled)


def _forked_row(i: int) -> tuple[TaskResult, int]:
    return _rescore_row(_FORKED[i])


def _map(jobs_: list[_Job], jobs: int) -> Any:
    """``_rescore_row`` over the jobs, in order; ``jobs`` forked worker processes above 1."""
    global _FORKED
    if jobs <= 1 or len(jobs_) < 2 * jobs:
        yield from map(_rescore_row, jobs_)
        return
    yield _rescore_row(jobs_[0])  # here first: the workers fork with everything imported
    _FORKED = jobs_
    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("fork")) as pool:
            yield from pool.map(_forked_row, range(1, len(jobs_)),
                                chunksize=max(1, min(32, len(jobs_) // (4 * jobs))))
    finally:
        _FORKED = []


def default_jobs() -> int:
    return os.cpu_count() or 1
