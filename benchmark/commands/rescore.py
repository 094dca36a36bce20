"""``python -m benchmark rescore RUN_ID``: recompute a stored run's metrics (no sandbox)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmark.cliargs import CliError, db_args, open_store, print_json
from benchmark.core.paths import DEFAULT_DB
from benchmark.rescore import RescoreError, default_jobs, rescore_run


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    r = sub.add_parser(
        "rescore", help="recompute a stored run's metrics from its snapshots and frames",
        description="Recompute every metric of a recorded run under the current scoring "
                    "version from what it stored (each task's final snapshot, its frame and "
                    "the reference frame), with no sandbox and no model: after a metric's "
                    "definition changed, or to bring an old run up to date so that `compare` "
                    "and the leaderboard accept it. Snapshots are measured again unless the "
                    "render cache holds them measured as they would be now (--remeasure "
                    "measures every one). In place by default, in one transaction (a failure "
                    "changes nothing); --as-new-run writes a new run that names this one as "
                    "its origin and leaves this one as it was.")
    r.add_argument("run_id", metavar="RUN_ID", help="run id (or a unique prefix of one)")
    db_args(r)
    r.add_argument("--as-new-run", action="store_true",
                   help="write the rescored rows as a new run instead of updating this one")
    r.add_argument("--remeasure", action="store_true",
                   help="measure every snapshot again, even where the render cache holds "
                        "its current measurement")
    r.add_argument("--lpips-weights", type=Path, default=None, metavar="PATH",
                   help="the AlexNet checkpoint the run was scored with, if it is no longer "
                        "where the run recorded it")
    r.add_argument("--jobs", type=int, default=None, metavar="J",
                   help="worker processes (default: number of CPUs)")
    r.add_argument("--json", action="store_true",
                   help="print one JSON object as the last line of stdout")
    return r


def run(args: argparse.Namespace) -> int:

    if args.jobs is not None and args.jobs < 1:
        raise CliError("--jobs must be at least 1")
    if args.lpips_weights is not None and not args.lpips_weights.is_file():
        raise CliError(f"--lpips-weights {args.lpips_weights}: no such file")
    with open_store(args, must_exist=True) as store:
        try:
            stats = rescore_run(store, args.run_id, as_new_run=args.as_new_run,
                                remeasure=args.remeasure, lpips_weights=args.lpips_weights,
                                jobs=args.jobs or default_jobs(), progress=True)
        except RescoreError as exc:
            raise CliError(str(exc)) from None
        db = "" if store.display == DEFAULT_DB else f" --db {store.display}"
    out = {"run_id": stats.run_id, "rescored_from": stats.source_run_id,
           "as_new_run": stats.as_new_run, "n": stats.n, "changed": stats.changed,
           "measured": stats.measured, "scoring_version": stats.to_version,
           "previous_scoring_version": stats.from_version, "wall_s": round(stats.wall_s, 3)}
    if args.json:
        print_json(out)
        return 0
    where = (f"as the new run {stats.run_id}" if stats.as_new_run else "in place")
    sys.stdout.write(
        f"rescored run {stats.source_run_id} {where}: {stats.n} tasks in {stats.wall_s:.1f} s "
        f"under scoring version {stats.to_version} (was {stats.from_version}); "
        f"{stats.measured} snapshots measured again, {stats.changed} tasks changed\n"
        f"  report     python -m benchmark report {stats.run_id}{db}\n")
    return 0
