"""Command line: ``python -m leaderboard build`` (the site), ``results`` (docs/results.md)
and ``bench`` (the build's speed).

A ``LeaderboardError`` anywhere becomes one ``error: …`` line on stderr and
exit status 2, as in ``python -m benchmark``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmark.cliargs import command_parser, db_args, open_store, run_main
from leaderboard.bench import run_bench
from leaderboard.collect import LeaderboardError, collect
from leaderboard.milestones import ADHERENCE, COMPILED, M1_MIOU, M3_GOOD_RATE, SPEED_BUDGET_S
from leaderboard.render import BuildOptions, build_site
from leaderboard.results_page import PAGE_METRICS, write_results

__all__ = ["build_parser", "main"]

DEFAULT_OUT = "site"
DEFAULT_RESULTS = "docs/results.md"


def build_parser() -> argparse.ArgumentParser:
    parser, sub = command_parser(
        prog="python -m leaderboard",
        description="Static leaderboard for jepa-manim: reads the results database and "
                    "writes a site that works from file:// or any static host.")
    b = sub.add_parser(
        "build", help="write the leaderboard site from the results database",
        description=f"Write a static site: the milestones table (M1 synthetic miou >= "
                    f"{M1_MIOU:.2f}; M2 3b1b test (with context; test-scratch beside it) "
                    f"compiled >= {COMPILED:.2f} with adherence@0.5 >= {ADHERENCE:.2f}; M3 human "
                    f"good-rate >= {M3_GOOD_RATE:.2f}; the short-term criteria; inference time "
                    f"per scene against the {SPEED_BUDGET_S:g} s budget), each with its 95% "
                    "interval and a pass / fail "
                    "/ tie / not measured verdict; per suite and split every metric with "
                    "confidence intervals, family and difficulty breakdowns, statuses and "
                    "plots; one page per run with its metadata and tasks; and a visual diff "
                    "page (reference and submission frames with boxes, matched objects, "
                    "IoU and centre error, the code) for every failing task. Compared by "
                    "default: the latest complete run of every submission x suite x split.")
    db_args(b)
    b.add_argument("--out", type=Path, default=Path(DEFAULT_OUT), metavar="DIR",
                   help=f"site folder, replaced as a whole if it holds an earlier build "
                        f"(default: {DEFAULT_OUT}/)")
    b.add_argument("--runs", nargs="+", default=None, metavar="RUN_ID",
                   help="compare exactly these runs (ids or unique prefixes; at most one per "
                        "submission x suite x split) instead of the latest complete ones")
    b.add_argument("--all-tasks", action="store_true",
                   help="write a diff page for every task, not only for failures (tasks "
                        "that did not render or have an object more than 0.5 units off)")
    b.add_argument("--bootstrap", type=int, default=1000, metavar="N",
                   help="bootstrap resamples per interval (default 1000)")
    b.set_defaults(_run=_build)
    _results_parser(sub)
    p = sub.add_parser(
        "bench", help="time a build from a generated database of N results",
        description="Write a database of N results (runs of the synthetic test split's 500 "
                    "tasks, 20 runs for 10,000 results, with frames and code files; "
                    "submissions range from exact to lost and broken, so about half the "
                    "results fail and get a diff page), then time what `build` does on it "
                    "and print the seconds. The target is under 30 s for 10,000 results; the "
                    "exit status is 1 when the build takes longer.")
    p.add_argument("--results", type=int, default=10_000, metavar="N",
                   help="results to generate (default 10000)")
    p.add_argument("--dir", type=Path, default=None, metavar="DIR",
                   help="where the database and the site go (default: a temporary folder, "
                        "removed afterwards)")
    p.add_argument("--all-tasks", action="store_true", help="time a build with every task page")
    p.set_defaults(_run=_bench)
    return parser


def _results_parser(sub: argparse._SubParsersAction) -> None:
    r = sub.add_parser(
        "results", help=f"write the measured numbers as markdown ({DEFAULT_RESULTS})",
        description="Write a markdown page of the measured numbers, from the same runs and "
                    "verdicts as `build`: per suite and split, each submission's latest "
                    f"complete run with {', '.join(PAGE_METRICS)} (mean and 95% interval), "
                    "the number of tasks, the run id and the scoring version; then the "
                    "milestones M1, M2 and M3 with every submission's pass / fail / tie / not "
                    "measured verdict. The page has no timestamp: the same database gives the "
                    "same page.")
    db_args(r)
    r.add_argument("--out", type=Path, default=Path(DEFAULT_RESULTS), metavar="FILE",
                   help=f"the markdown file, replaced (default: {DEFAULT_RESULTS})")
    r.add_argument("--runs", nargs="+", default=None, metavar="RUN_ID",
                   help="these runs (ids or unique prefixes; at most one per submission x "
                        "suite x split) instead of the latest complete ones")
    r.add_argument("--bootstrap", type=int, default=1000, metavar="N",
                   help="bootstrap resamples per interval (default 1000)")
    r.set_defaults(_run=_results)


def _results(args: argparse.Namespace) -> int:
    if args.bootstrap < 0:
        raise LeaderboardError("--bootstrap must be >= 0")
    if args.out.is_dir():
        raise LeaderboardError(f"--out {args.out}: is a directory, expected a file path")
    with open_store(args, must_exist=True) as store:
        board = collect(store, args.runs, n_boot=args.bootstrap)
    for sk in board.stale:
        print(f"warning: run {sk.record.run_id} is left out: {sk.reason}", file=sys.stderr)
    try:
        write_results(board, args.out)
    except OSError as exc:
        raise LeaderboardError(f"--out {args.out}: cannot write: {exc.strerror}") from None
    print(f"wrote {args.out}: {len(board.runs)} runs in {len(board.groups())} suite splits")
    return 0


def _build(args: argparse.Namespace) -> int:

    if args.bootstrap < 0:
        raise LeaderboardError("--bootstrap must be >= 0")
    with open_store(args, must_exist=True) as store:
        board = collect(store, args.runs, n_boot=args.bootstrap)
    for sk in board.stale:
        print(f"warning: run {sk.record.run_id} is left out: {sk.reason}", file=sys.stderr)
    report = build_site(board, BuildOptions(args.out, all_tasks=args.all_tasks))
    kind = "task" if args.all_tasks else "failure"
    print(f"wrote {report.out / 'index.html'}: {report.runs} runs, {report.results} results "
          f"({report.failures} failing), {report.pages} {kind} pages, {report.images} frames "
          f"in {report.seconds:.1f} s")
    return 0


def _bench(args: argparse.Namespace) -> int:

    if args.results < 1:
        raise LeaderboardError("--results must be at least 1")
    return run_bench(args.results, args.dir, all_tasks=args.all_tasks)


def main(argv: list[str] | None = None) -> int:
    return run_main(build_parser, argv, (LeaderboardError,))
