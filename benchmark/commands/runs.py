"""``python -m benchmark runs``: every run in the database, newest last."""

from __future__ import annotations

import argparse
import sys

from benchmark.cliargs import db_args, open_store, print_json


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    r = sub.add_parser(
        "runs", help="list the runs in the results database",
        description="List every run: id, when it started, model, suite/split, tasks done of "
                    "the run's tasks, status (running/complete/interrupted) and mean mIoU.")
    db_args(r)
    r.add_argument("--json", action="store_true", help="print one JSON object")
    return r


def _mean(values: list[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def run(args: argparse.Namespace) -> int:
    with open_store(args, must_exist=True) as store:
        counts = store.result_counts()
        rows = []
        for rec in store.list_runs():
            metrics = store.metrics(rec.run_id)
            rows.append({"run_id": rec.run_id, "created": rec.created, "model": rec.model,
                         "model_args": rec.model_args, "suite": rec.suite, "split": rec.split,
                         "done": counts.get(rec.run_id, 0), "n_tasks": rec.n_tasks,
                         "status": rec.status, "sandbox_mode": rec.sandbox_mode,
                         "miou": _mean([m.get("miou") for m in metrics.values()])})
    if args.json:
        print_json({"db": str(args.db), "runs": rows})
        return 0
    if not rows:
        print(f"no runs in {args.db}")
        return 0
    out = sys.stdout
    wid = max(6, *(len(r["run_id"]) for r in rows))
    out.write(f"{'run':<{wid}}  {'created':<20} {'model':<16} {'suite/split':<22} "
              f"{'done':>11}  {'status':<11} {'miou':>6}\n")
    for r in rows:
        model = r["model"] + ("*" if r["model_args"] else "")
        miou = "—" if r["miou"] is None else f"{r['miou']:.3f}"
        out.write(f"{r['run_id']:<{wid}}  {r['created'][:19]:<20} {model:<16} "
                  f"{r['suite'] + '/' + r['split']:<22} {r['done']:>5}/{r['n_tasks']:<5}  "
                  f"{r['status']:<11} {miou:>6}\n")
    if any(r["model_args"] for r in rows):
        out.write("(* with model arguments: see `python -m benchmark report RUN_ID`)\n")
    return 0
