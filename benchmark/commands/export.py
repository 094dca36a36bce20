"""``python -m benchmark export``: write a suite split as Task JSON v1."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmark.cli import CliError


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "export", help="write a suite split as a Task JSON v1 .jsonl file",
        description="Write the tasks of one suite split, one Task JSON v1 object per line. "
                    "Generated (unbounded) splits such as synthetic's train need --limit; "
                    "--seed-start picks where in the seed sequence they begin.")
    p.add_argument("--suite", required=True, help="suite name (see `suites`)")
    p.add_argument("--split", default="test", help="split name (default: test)")
    p.add_argument("--out", required=True, type=Path, metavar="FILE.jsonl")
    p.add_argument("--limit", type=int, metavar="N", help="at most N tasks")
    p.add_argument("--seed-start", type=int, default=None, metavar="S",
                   help="first task index of a generated split (default 0)")
    return p


def run(args: argparse.Namespace) -> int:
    from benchmark.suites import SuiteError, load_suite, suites
    from benchmark.tasks import dump_tasks

    if args.limit is not None and args.limit < 0:
        raise CliError("--limit must be non-negative")
    if args.seed_start is not None and args.seed_start < 0:
        raise CliError("--seed-start must be non-negative")
    try:
        if args.suite in suites:
            source = suites.get(args.suite)
            if args.split in source.splits and source.size(args.split) is not None \
                    and args.seed_start is not None:
                raise CliError(f"--seed-start applies to generated splits only; "
                               f"{args.suite}/{args.split} is fixed")
        suite = load_suite(args.suite, args.split, args.limit, args.seed_start or 0)
    except SuiteError as exc:
        raise CliError(str(exc)) from None
    if args.out.is_dir():
        raise CliError(f"{args.out}: is a directory, expected a .jsonl file path")
    try:
        dump_tasks(suite.tasks, args.out)
    except OSError as exc:
        raise CliError(f"{args.out}: cannot write: {exc.strerror}") from None
    print(f"wrote {len(suite)} tasks of {suite.name} {suite.version} {suite.split} "
          f"(hash {suite.hash}) to {args.out}", file=sys.stderr)
    return 0
