"""A task's row and the files it names: the code, each sample's attempts."""

from __future__ import annotations

import hashlib
from typing import Any

from benchmark._provenance import now_iso
from benchmark.core.tasks import Task
from benchmark.results import TaskResult
from benchmark.runner.attempt import Attempt
from benchmark.runner.generation import jsonable, one_line
from benchmark.runner.session import Session
from benchmark.store import CachedRender

__all__ = ["sample_json", "write_result"]


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def write_result(session: Session, task: Task, att: Attempt, metrics: dict[str, float | None],
                 ref_entry: CachedRender | None, timings: dict[str, float],
                 generation: dict[str, Any]) -> None:
    """Write the task's row (after its code file); count it and advance the bar."""
    store, run_id = session.store, session.record.run_id
    code_path = (store.artifacts.write_code(run_id, task.id, att.code)
                 if att.gen is not None else None)
    entry = att.lookup.entry if att.lookup else None
    result = TaskResult(
        run_id=run_id, task_id=task.id, family=task.family,
        difficulty=task.difficulty, status=att.status, error=att.error,
        stderr_tail=att.stderr[-2000:], code_hash=_code_hash(att.code), code_path=code_path,
        metrics=metrics, objects=att.lookup.objects if att.lookup else [],
        frame=entry.frame if entry else None,
        reference_frame=ref_entry.frame if ref_entry else None,
        snapshot=entry.snapshot if entry else None,
        keyframes=entry.keyframes if entry else 0,
        render_cached=bool(att.lookup and att.lookup.cached),
        sandbox_mode=entry.sandbox_mode if entry else "",
        timings=timings, generation=generation, created=now_iso())
    if session.stopping.is_set():
        return
    if store.add_result(result):
        session.count(written=1)
    if session.bar is not None:
        session.bar.update(1)


def sample_json(session: Session, task: Task, index: int, chain: list[Attempt],
                metrics: dict[str, float | None]) -> dict[str, Any]:
    """One sample for ``generation["sampling"]["samples"]``; writes its attempts' code."""
    attempts = []
    for att in chain:
        path = None
        if att.gen is not None:
            path = session.store.artifacts.write_code(
                session.record.run_id, f"{task.id}@s{index}r{att.round}", att.code)
        attempts.append({"round": att.round, "status": att.status,
                         "error": one_line(att.error, 300),
                         "code_hash": _code_hash(att.code), "code_path": path})
    final = chain[-1]
    entry = final.lookup.entry if final.lookup is not None else None
    return {"index": index, "status": final.status, "error": one_line(final.error, 300),
            "snapshot": entry.snapshot if entry else None,
            "frame": entry.frame if entry else None,
            "round": final.round, "rendered": final.rendered,
            "repaired": final.rendered and final.round > 0,
            "code_hash": attempts[-1]["code_hash"], "code_path": attempts[-1]["code_path"],
            "metrics": jsonable(metrics), "attempts": attempts,
            "meta": jsonable(final.gen.meta) if final.gen is not None else {}}
