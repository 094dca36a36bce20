"""A run's record: a new one, checking a resume or a retry against it, finishing it."""

from __future__ import annotations

import secrets
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from benchmark._provenance import git_sha, now_iso, package_versions
from benchmark.core.tasks import Suite, Task
from benchmark.results import RunRecord, TaskResult
from benchmark.runner.options import INFRA_STATUSES, RunnerError, RunOptions, RunStats
from benchmark.scoring import METRICS, SCORING_VERSION, ScoringConfig, lpips_model, lpips_status
from benchmark.store import Store

__all__ = ["check_resume", "finish", "infrastructure_failure", "lpips_json", "new_record",
           "new_run_id", "retry_plan", "scoring_json"]


def scoring_json(config: ScoringConfig) -> dict[str, Any]:
    return {"scorers": list(config.scorers), "lpips": config.lpips,
            "lpips_weights": str(config.lpips_weights) if config.lpips_weights else None,
            "metrics": list(METRICS), "version": SCORING_VERSION}


def lpips_json(config: ScoringConfig) -> dict[str, Any]:
    reason = lpips_status(config)
    if reason is not None:
        return {"available": False, "reason": reason, "weights": None, "sha256": None}
    model = lpips_model(config)
    return {"available": True, "reason": None, "weights": str(getattr(model, "weights", "")),
            "sha256": getattr(model, "sha256", None)}


def infrastructure_failure(result: TaskResult) -> bool:
    """The row, or one of its samples, failed for a reason other than its code: a timeout,
    a crash or a generation error (never ``syntax_error``, ``runtime_error``, …)."""
    sampling = result.generation.get("sampling")
    samples = sampling.get("samples", []) if isinstance(sampling, dict) else []
    statuses = [result.status, *(str(s.get("status")) for s in samples
                                 if isinstance(s, dict))]
    return (any(s in INFRA_STATUSES for s in statuses)
            or result.error.startswith("generation failed"))


def new_run_id(model: str) -> str:
    """``YYYYmmdd-HHMMSS-<model>-<hex>``: a new run's id."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in model)[:40] or "model"
    return f"{stamp}-{safe}-{secrets.token_hex(3)}"


def new_record(model: str, args: dict[str, str], suite: Suite, n_tasks: int,
               limit: int | None, source: str | None, options: RunOptions,
               lpips: dict[str, Any]) -> RunRecord:
    return RunRecord(
        run_id=new_run_id(model), created=now_iso(), model=model,
        model_args=dict(args), suite=suite.name, split=suite.split,
        suite_version=suite.version, suite_hash=suite.hash, n_tasks=n_tasks, limit=limit,
        suite_source=source,
        git_sha=git_sha(), packages=package_versions(),
        seeds={"seed": options.seed, "bootstrap": 0,
               "per_task": "random, numpy and torch are seeded with "
                           "(seed * 1000003 + crc32(task_id)) mod 2**32 before each generate"},
        scoring=scoring_json(options.scoring), lpips=lpips)


def check_resume(record: RunRecord, model: str, args: dict[str, str] | None, suite: Suite,
                 limit: int | None, lpips: dict[str, Any], verb: str = "resume") -> None:
    """``args`` ``None``: any model arguments (a retry may name new ones)."""
    def differs(what: str, was: object, now: object) -> RunnerError:
        return RunnerError(f"cannot {verb} run {record.run_id}: it ran {what} {was!r}, "
                           f"not {now!r}")

    if record.model != model:
        raise differs("model", record.model, model)
    if args is not None and dict(record.model_args) != dict(args):
        raise differs("with model args", record.model_args, args)
    if (record.suite, record.split) != (suite.name, suite.split):
        raise differs("suite/split", f"{record.suite}/{record.split}",
                      f"{suite.name}/{suite.split}")
    if record.limit != limit:
        raise differs("with --limit", record.limit, limit)
    if record.suite_hash != suite.hash:
        raise RunnerError(f"cannot {verb} run {record.run_id}: suite {suite.name}/{suite.split}"
                          f" has changed (hash {record.suite_hash} then, {suite.hash} now); "
                          "start a new run")
    if bool(record.lpips.get("available")) != bool(lpips.get("available")) or (
            record.lpips.get("sha256") != lpips.get("sha256")):
        was = record.lpips.get("weights") or "no LPIPS weights"
        raise RunnerError(f"cannot {verb} run {record.run_id}: it was scored with {was}; "
                          "pass the same --lpips-weights")


def retry_plan(store: Store, retry: str, record: RunRecord, model: str, suite: Suite,
               limit: int | None, lpips: dict[str, Any], tasks: list[Task]
               ) -> tuple[dict[str, Any], list[TaskResult]]:
    """The new run's ``origin`` and the earlier run's rows it keeps (as this run's)."""
    earlier = store.get_run(retry)
    check_resume(earlier, model, None, suite, limit, lpips, verb="retry")
    if earlier.status != "complete":
        raise RunnerError(f"cannot retry run {earlier.run_id}: it is {earlier.status}; "
                          f"finish it first with --resume {earlier.run_id}")
    rows = store.results(earlier.run_id)
    wanted = {t.id for t in tasks}
    retried = sorted(r.task_id for r in rows if r.task_id in wanted
                     and infrastructure_failure(r))
    if not retried:
        raise RunnerError(f"run {earlier.run_id} has no task that failed by timeout, crash "
                          "or generation error; nothing to retry")
    skip = set(retried)
    copies = [replace(r, run_id=record.run_id) for r in rows
              if r.task_id in wanted and r.task_id not in skip]
    origin: dict[str, Any] = {"kind": "retry", "run_id": earlier.run_id, "retried": retried}
    if dict(earlier.model_args) != dict(record.model_args):
        origin["model_args"] = dict(earlier.model_args)  # what the copied rows ran with
    return origin, copies


def finish(store: Store, run_id: str, tasks: list[Task], stats: RunStats, t_start: float,
           interrupted: bool, executor: str = "local") -> None:
    """Record the session's statistics and the run's status (complete once every task is)."""
    stats.wall_s = time.perf_counter() - t_start
    complete = {t.id for t in tasks} <= store.done_task_ids(run_id)
    stats.status = "complete" if complete else "interrupted" if interrupted else "running"
    timings = dict(store.get_run(run_id).timings)
    session = {"wall_s": round(stats.wall_s, 3), "written": stats.written,
               "skipped": stats.skipped, "renders": stats.renders,
               "cache_hits": stats.cache_hits, "generate_s": round(stats.generate_s, 3),
               "tasks_per_s": round(stats.tasks_per_s(), 3), "status": stats.status}
    if executor != "local":  # a local session's record is unchanged
        session["executor"] = executor
    timings["wall_s"] = round(float(timings.get("wall_s", 0.0)) + stats.wall_s, 3)
    timings["sessions"] = int(timings.get("sessions", 0)) + 1
    for k in ("renders", "cache_hits", "written"):
        timings[k] = int(timings.get(k, 0)) + session[k]
    timings["last_session"] = session
    store.update_run(run_id, status=stats.status, timings=timings,
                     finished=now_iso() if complete else None)
