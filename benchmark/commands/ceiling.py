"""``python -m benchmark ceiling``: rebuild every layout from the task's inputs and score it.

This is the proof that a suite's layouts are determinable: the suite's own
rules recompute each reference layout from what a submission is given (the
prompt's stated placements, the objects, their rendered sizes, ``given``
boxes) and the result is scored exactly like a run.  A ceiling near 1 means no
information is missing; a task below 1 names a layout a model could not know.
"""

from __future__ import annotations

import argparse
import sys

from benchmark.cliargs import CliError, print_json
from benchmark.outcome import MeasuredObject, Outcome
from benchmark.scoring import ScoredRow, ScoringConfig, score_outcome, summarize
from benchmark.suites import SuiteError, load_suite, suites

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "ceiling", help="score layouts rebuilt from the task inputs alone (the best possible)",
        description="Rebuild every task's layout from its inputs alone with the suite's own "
                    "rules (no reference, no rendering) and score it against the reference "
                    "layout. Prints the same summary shape as `run --json`; image metrics "
                    "(lpips, ssim) are null because nothing is drawn.")
    p.add_argument("--suite", default="synthetic", help="suite name (default: synthetic)")
    p.add_argument("--split", default="test", help="split (default: test)")
    p.add_argument("--limit", type=int, default=None, metavar="N",
                   help="only the first N tasks")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object (the shape of `run --json`)")
    p.add_argument("--show", type=int, default=5, metavar="K",
                   help="list the K tasks with the lowest miou (default 5)")
    return p


def run(args: argparse.Namespace) -> int:

    if args.limit is not None and args.limit < 1:
        raise CliError("--limit must be at least 1")
    try:
        suite = load_suite(args.suite, args.split, limit=args.limit)
        source = suites.get(args.suite) if args.suite in suites else None
    except SuiteError as exc:
        raise CliError(str(exc)) from None
    rebuild = getattr(source, "rebuild_layout", None)
    if rebuild is None:
        raise CliError(f"suite {args.suite!r} has no layout rules to rebuild from (only "
                       "generated suites such as synthetic do)")
    config = ScoringConfig(lpips=False, scorers=("execution", "layout", "defects"))
    rows: list[ScoredRow] = []
    for task in suite:
        layout = rebuild(task)
        outcome = Outcome(code=task.reference.code or "", compiled=True, status="ok",
                          objects=[MeasuredObject(p.kind, p.content, p.box) for p in layout])
        metrics = score_outcome(task, outcome, config)
        rows.append(ScoredRow(task.id, task.family, task.difficulty, "ok", metrics))
    summary = summarize(rows)
    worst = sorted(rows, key=lambda r: (r.metrics.get("miou") or 0.0, r.task_id))[:args.show]
    if args.json:
        print_json({
            "run_id": None, "model": "ceiling", "suite": suite.name, "split": suite.split,
            "n": summary.n,
            "metrics": {m: v.mean for m, v in summary.overall.items()},
            "ci": {m: [v.lo, v.hi] for m, v in summary.overall.items()},
            "statuses": dict(summary.statuses), "suite_hash": suite.hash,
            "lowest": [{"task": r.task_id, "miou": r.metrics.get("miou")} for r in worst],
        })
        return 0
    out = sys.stdout
    out.write(f"ceiling of {suite.name}/{suite.split} ({summary.n} tasks, hash {suite.hash}): "
              "layouts rebuilt from the task inputs alone\n\n")
    out.write(f"  {'metric':<15} {'mean':>7}   95% CI\n")
    for m in ("miou", "type_acc", "rel_acc", "adherence@0.5", "adherence@0.1", "context_kept",
              "overlap", "off_frame"):
        v = summary.overall.get(m)
        if v is None or v.mean is None:
            continue
        out.write(f"  {m:<15} {v.mean:>7.4f}   [{v.lo:.4f}, {v.hi:.4f}]\n")
    out.write("\n  lowest miou:\n")
    for r in worst:
        out.write(f"    {r.task_id:<40} {r.metrics.get('miou') or 0.0:.4f}\n")
    return 0
