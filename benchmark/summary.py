"""The end-of-run summary shared by ``run`` and ``report``: one JSON shape, one table.

Imported by command modules at parse time, so heavy imports (SQLAlchemy,
scoring) happen inside the functions that need them.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from benchmark.cliargs import CliError
from benchmark.core.geometry import padded_iou
from benchmark.core.paths import DEFAULT_DB
from benchmark.scoring import (
    HEADLINE,
    SCORING_VERSION,
    ScoredRow,
    match_objects,
    scoring_version,
    summarize,
)
from benchmark.scoring.aggregate import PASS_METRICS, pass_key, pass_ks
from benchmark.store import StoreError
from benchmark.suites import SuiteError, load_suite

if TYPE_CHECKING:
    from benchmark.results import RunRecord, TaskResult
    from benchmark.scoring import Summary
    from benchmark.store import Store

__all__ = ["RunSummary", "load_summary", "print_summary", "sampling_summary", "summary_json",
           "written_summary"]

FAMILY_METRICS = ("miou", "rel_acc", "adherence@0.5", "rendered")


@dataclass
class RunSummary:
    record: RunRecord
    results: list[TaskResult]
    summary: Summary


def load_summary(store: Store, run_id: str) -> RunSummary:

    try:
        record = store.get_run(run_id)
        results = store.results(record.run_id)
    except StoreError as exc:
        raise CliError(str(exc)) from None
    rows = [ScoredRow(r.task_id, r.family, r.difficulty, r.status, r.metrics) for r in results]
    return RunSummary(record, results, summarize(rows))


def unwritable_summary(rs: RunSummary) -> dict[str, int] | None:
    """Objects a composing submission left out because the shared vocabulary cannot write
    them (a 3b1b character or image; ``meta["unwritable"]``): they are not drawn, so they
    score as misses.  ``targets`` counts those that were targets, where the submission
    says (the composed ``oracle`` does: ``meta["unwritable_targets"]``)."""
    lists = [r.generation.get("unwritable") for r in rs.results]
    hit = [u for u in lists if isinstance(u, list) and u]
    if not hit:
        return None
    out = {"tasks": len(hit), "objects": sum(len(u) for u in hit)}
    targets = [r.generation.get("unwritable_targets") for r in rs.results]
    if any(isinstance(t, list) for t in targets):
        out["targets"] = sum(len(t) for t in targets if isinstance(t, list))
    return out


def written_summary(rs: RunSummary) -> dict[str, Any] | None:
    """For a run that says which targets it could not write (the composed ``oracle``):
    the mean padded IoU, object by object, over the targets it did write — how faithfully
    the shared composer draws a layout it is given, the figure a composed ceiling is read
    by.  ``None`` for other runs, or when the run's suite has changed since."""
    if not any(isinstance(r.generation.get("unwritable_targets"), list) for r in rs.results):
        return None
    rec = rs.record
    try:
        suite = load_suite(rec.suite_source or rec.suite, rec.split, limit=rec.limit)
    except (SuiteError, OSError, ValueError):
        return None
    if suite.hash != rec.suite_hash:
        return None
    tasks = {t.id: t for t in suite.tasks}
    ious: list[float] = []
    for r in rs.results:
        task = tasks.get(r.task_id)
        left_out = r.generation.get("unwritable_targets")
        if task is None or not isinstance(left_out, list):
            continue
        ref = list(task.reference.layout)
        drawn = [o for o in r.objects if o.visible]
        matched = match_objects(ref, drawn if r.status == "ok" else [])
        ious += [0.0 if m is None else padded_iou(p.box, drawn[m].box)
                 for p, m in zip(ref, matched, strict=True)
                 if p.id not in task.given_ids and p.id not in left_out]
    if not ious:
        return None
    return {"targets": len(ious), "miou": sum(ious) / len(ious)}


def sampling_summary(rs: RunSummary) -> dict[str, Any] | None:
    """For a run with several samples or repair rounds per task (``benchmark.sampling``):
    pass@k of compiled/rendered, what repair achieved and the samples' statuses."""

    rows = [r.generation["sampling"] for r in rs.results
            if isinstance(r.generation.get("sampling"), dict)]
    if not rows:
        return None
    n = max(int(r.get("n", 1)) for r in rows)
    rounds = max(int(r.get("repair_rounds", 0)) for r in rows)
    samples = [s for r in rows for s in r.get("samples", [])]
    pass_at: dict[str, dict[str, float | None]] = {}
    for m in PASS_METRICS:
        pass_at[m] = {}
        for k in pass_ks(n):
            v = rs.summary.overall.get(pass_key(m, k))
            pass_at[m][str(k)] = v.mean if v is not None else None
    statuses: dict[str, int] = {}
    repaired: dict[str, int] = {}
    for s in samples:
        statuses[str(s.get("status"))] = statuses.get(str(s.get("status")), 0) + 1
        if s.get("repaired"):
            key = str(s.get("round"))
            repaired[key] = repaired.get(key, 0) + 1
    first_failed = sum(1 for s in samples if not (s.get("rendered") and s.get("round") == 0))
    no_code = sum(1 for s in samples if (s.get("meta") or {}).get("extract") == "none")
    return {"n": n, "repair_rounds": rounds, "samples": len(samples), "pass_at_k": pass_at,
            "first_attempt_failed": first_failed,
            "repaired": sum(repaired.values()),
            "repaired_by_round": dict(sorted(repaired.items())),
            "no_code_block": no_code,
            "sample_statuses": dict(sorted(statuses.items(), key=lambda kv: (-kv[1], kv[0])))}


def _hint_db(store: Store) -> str:
    return "" if store.display == DEFAULT_DB else f" --db {store.display}"


def summary_json(rs: RunSummary, store: Store, detail: bool = False) -> dict[str, Any]:
    """``{"run_id", "model", "suite", "split", "n", "metrics", "ci", "statuses", …}``."""

    rec, s = rs.record, rs.summary
    out: dict[str, Any] = {
        "run_id": rec.run_id, "model": rec.model, "suite": rec.suite, "split": rec.split,
        "n": s.n,
        "metrics": {m: v.mean for m, v in s.overall.items()},
        "ci": {m: [v.lo, v.hi] for m, v in s.overall.items()},
        "statuses": dict(s.statuses),
        "n_tasks": rec.n_tasks, "status": rec.status, "model_args": rec.model_args,
        "suite_version": rec.suite_version, "suite_hash": rec.suite_hash,
        "sandbox_mode": rec.sandbox_mode, "sandbox_note": rec.sandbox_note,
        "lpips": rec.lpips, "git_sha": rec.git_sha, "timings": rec.timings,
        "db": store.display, "artifacts": str(store.artifacts.root),
        "format_version": rec.format_version,
        "scoring_version": scoring_version(rec.scoring), "origin": rec.origin,
    }
    sampling = sampling_summary(rs)
    if sampling is not None:
        out["sampling"] = sampling
    unwritable = unwritable_summary(rs)
    if unwritable is not None:
        out["unwritable"] = unwritable
    written = written_summary(rs)
    if written is not None:
        out["written"] = written
    if detail:
        def group(g: dict[str, Any]) -> dict[str, Any]:
            return {k: {m: {"mean": v.mean, "ci": [v.lo, v.hi], "n": v.n}
                        for m, v in ms.items()} for k, ms in g.items()}

        out["by_family"] = group(s.by_family)
        out["by_difficulty"] = group(s.by_difficulty)
    return out


def _num(v: float | None) -> str:
    return "—" if v is None else f"{v:.3f}"


def _origin_line(origin: dict[str, Any] | None) -> str:
    if not origin:
        return ""
    if origin.get("kind") == "retry":
        n = len(origin.get("retried") or [])
        return (f"retry of {origin.get('run_id')}: {n} task(s) run again, the others copied "
                "from it")
    if origin.get("kind") == "rescore":
        return (f"{origin.get('run_id')} rescored (it was scored under version "
                f"{origin.get('scoring_version')})")
    return str(origin)


def print_summary(rs: RunSummary, store: Store) -> None:

    rec, s = rs.record, rs.summary
    out = sys.stdout
    out.write(f"run {rec.run_id}: {rec.model} on {rec.suite}/{rec.split} — {s.n}/{rec.n_tasks} "
              f"tasks, {rec.status}\n\n")
    out.write(f"  {'metric':<15} {'mean':>7}   95% CI\n")
    for m in HEADLINE:
        v = s.overall.get(m)
        if v is None:
            continue
        ci = f"[{_num(v.lo)}, {_num(v.hi)}]" if v.mean is not None else ""
        if m == "lpips" and v.mean is None and not rec.lpips.get("available", True):
            ci = f"null: {rec.lpips.get('reason')}"
        out.write(f"  {m:<15} {_num(v.mean):>7}   {ci}\n")
    if s.by_family:
        width = max(12, *(len(f) for f in s.by_family))
        out.write(f"\n  {'family':<{width}} {'n':>4}" + "".join(
            f" {m:>13}" for m in FAMILY_METRICS) + "\n")
        for fam, ms in s.by_family.items():
            n = max((v.n for v in ms.values()), default=0)
            out.write(f"  {fam:<{width}} {n:>4}" + "".join(
                f" {_num(ms[m].mean) if m in ms else '—':>13}" for m in FAMILY_METRICS) + "\n")
    sampling = sampling_summary(rs)
    if sampling is not None:
        _print_sampling(sampling)
    statuses = ", ".join(f"{k} {v}" for k, v in s.statuses.items()) or "none"
    out.write(f"\n  statuses   {statuses}\n")
    unwritable = unwritable_summary(rs)
    if unwritable is not None:
        targets = (f", {unwritable['targets']} of them targets" if "targets" in unwritable
                   else "")
        out.write(f"  left out   {unwritable['objects']} objects in {unwritable['tasks']} tasks "
                  f"that the composer cannot write{targets} (not drawn: scored as misses)\n")
    written = written_summary(rs)
    if written is not None:
        out.write(f"  written    miou {written['miou']:.3f} over the {written['targets']} "
                  "targets it wrote (how faithfully the composer draws their boxes)\n")
    mode = rec.sandbox_mode + (f" ({rec.sandbox_note})" if rec.sandbox_note else "")
    out.write(f"  sandbox    {mode}\n")
    origin = _origin_line(rec.origin)
    if origin:
        out.write(f"  origin     {origin}\n")
    version = scoring_version(rec.scoring)
    if version != SCORING_VERSION:
        out.write(f"  scoring    version {version}, not this jepa-manim's {SCORING_VERSION}: "
                  f"python -m benchmark rescore {rec.run_id}{_hint_db(store)}\n")
    out.write(f"  artifacts  {store.artifacts.root}/ (code in {rec.run_id}/, frames in "
              "artifacts/frames/)\n")
    out.write(f"  database   {store.display}\n")
    db = _hint_db(store)
    out.write(f"  report     python -m benchmark report {rec.run_id}{db}\n")
    if rec.status != "complete":
        out.write(f"  resume     python -m benchmark run --resume {rec.run_id}{db}\n")


def _print_sampling(sampling: dict[str, Any]) -> None:
    out = sys.stdout
    ks = list(next(iter(sampling["pass_at_k"].values())))
    out.write(f"\n  sampling   {sampling['n']} per task, up to {sampling['repair_rounds']} repair "
              f"round(s); {sampling['samples']} samples\n")
    out.write(f"  mean@k     the metrics above are mean@{sampling['n']}: each task's value is "
              f"the mean over its {sampling['n']} samples (pass@k below for compiled/rendered)\n")
    out.write(f"  {'pass@k':<15}" + "".join(f" {'k=' + k:>7}" for k in ks) + "\n")
    for m, by_k in sampling["pass_at_k"].items():
        out.write(f"  {m:<15}" + "".join(f" {_num(by_k[k]):>7}" for k in ks) + "\n")
    if sampling["repair_rounds"]:
        by_round = ", ".join(f"round {k}: {v}" for k, v in sampling["repaired_by_round"].items())
        out.write(f"  repair     {sampling['first_attempt_failed']} samples failed their first "
                  f"attempt, {sampling['repaired']} rendered after repair"
                  + (f" ({by_round})" if by_round else "") + "\n")
    if sampling["no_code_block"]:
        out.write(f"  no code    {sampling['no_code_block']} final replies had no code block\n")
    statuses = ", ".join(f"{k} {v}" for k, v in sampling["sample_statuses"].items())
    out.write(f"  samples    {statuses}\n")
