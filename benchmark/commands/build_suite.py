"""``python -m benchmark build-suite synthetic``: regenerate a suite's shipped data."""

from __future__ import annotations

import argparse
import os
import sys

from benchmark.cliargs import CliError, print_json
from benchmark.suites.synthetic.build import BuildError, build

BUILDABLE = ("synthetic",)


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "build-suite", help="regenerate a suite's shipped size table and test/val files",
        description="Rebuild the synthetic suite deterministically: measure the size of "
                    "every content the generator can emit by rendering it in the sandbox "
                    "(sizes.json), then generate the test and val splits, render every "
                    "reference scene and store the measured layouts. Fails if a reference "
                    "scene does not render into its planned objects or strays from the "
                    "family rules.")
    p.add_argument("suite", choices=BUILDABLE)
    p.add_argument("--jobs", type=int, default=None, metavar="J",
                   help="parallel sandbox workers (default: CPU count)")
    p.add_argument("--json", action="store_true", help="print exactly one JSON object")
    return p


def run(args: argparse.Namespace) -> int:

    jobs = args.jobs if args.jobs is not None else (os.cpu_count() or 1)
    if jobs < 1:
        raise CliError("--jobs must be at least 1")

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    try:
        report = build(jobs=jobs, log=log)
    except BuildError as exc:
        raise CliError(f"build failed: {exc}") from None
    if args.json:
        print_json(report.to_json())
    else:
        s = report.seconds
        print(f"synthetic v1: {report.sizes} sizes, "
              + ", ".join(f"{k} {v} tasks" for k, v in report.tasks.items())
              + f"; largest deviation from the rules {report.max_deviation:.1e}; "
              f"{s.get('total', 0):.0f} s (sandbox {report.sandbox})")
    return 0
