"""``python -m benchmark suites``: every suite and split with its size, version and hash."""

from __future__ import annotations

import argparse
import sys

from benchmark.cliargs import CliError, print_json
from benchmark.suites import SuiteError, list_suites


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "suites", help="list the task suites, their splits, sizes, versions and hashes",
        description="List every registered suite and split: its version, number of tasks "
                    "(\"unbounded\" for generated training splits) and content hash (a run "
                    "records the hash; a changed suite is a different suite).")
    p.add_argument("--json", action="store_true", help="print exactly one JSON object")
    return p


def run(args: argparse.Namespace) -> int:

    try:
        rows = list_suites()
    except SuiteError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        print_json({"suites": rows})
        return 0
    out = sys.stdout
    out.write(f"{'suite':<12} {'version':<8} {'split':<12} {'size':>9}  hash\n")
    for r in rows:
        out.write(f"{r['name']:<12} {r['version']:<8} {r['split']:<12} {r['size']!s:>9}  "
                  f"{r['hash'] or '-'}\n")
        if r.get("error"):
            out.write(f"  error: {r['error']}\n")
    return 0
