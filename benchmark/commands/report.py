"""``python -m benchmark report RUN_ID``: a recorded run's summary (as ``run`` prints it)."""

from __future__ import annotations

import argparse

from benchmark.cli import print_json
from benchmark.commands._summary import (
    db_args,
    load_summary,
    open_store,
    print_summary,
    summary_json,
)


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    r = sub.add_parser(
        "report", help="summarise a recorded run: metrics with 95%% CIs, families, statuses",
        description="Print a run's summary from the results database: every headline metric "
                    "with its mean and 95%% bootstrap interval, a per-family table, status "
                    "counts, sandbox mode and where its artifacts are. With --json: the same "
                    "object `run --json` prints, plus by_family and by_difficulty.")
    r.add_argument("run_id", metavar="RUN_ID", help="run id (or a unique prefix of one)")
    db_args(r)
    r.add_argument("--json", action="store_true", help="print one JSON object")
    return r


def run(args: argparse.Namespace) -> int:
    with open_store(args, must_exist=True) as store:
        rs = load_summary(store, args.run_id)
        if args.json:
            print_json(summary_json(rs, store, detail=True))
        else:
            print_summary(rs, store)
    return 0
