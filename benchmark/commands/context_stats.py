"""``python -m benchmark context-stats``: how much of a target's position its context explains."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from benchmark.cliargs import CliError, print_json
from benchmark.context_stats import summarize
from benchmark.suites import SuiteError, load_suite


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "context-stats", help="how far a split's given objects explain where its targets go",
        description="For every target of a task with given objects: its nearest given object "
                    "(the anchor), the offset from it (units) and the side it is on; over the "
                    "split, medians, side counts, histograms, and the share of targets within "
                    "0.5 units of three simple rules: next_to (Manim's next_to(anchor, side) "
                    "with the default buffer, the true side known), median_offset (the "
                    "anchor's centre plus the split's median offset for that side) and "
                    "frame_centre (no context, a baseline).",
        epilog="example: python -m benchmark context-stats --suite 3b1b --split dev")
    p.add_argument("--suite", required=True, help="suite name (see `suites`) or a .jsonl file")
    p.add_argument("--split", default="dev", help="split name (default: dev)")
    p.add_argument("--limit", type=int, metavar="N", help="only the first N tasks")
    p.add_argument("--per-target", action="store_true", help="also list every target")
    p.add_argument("--json", action="store_true", help="print exactly one JSON object")
    return p


def run(args: argparse.Namespace) -> int:

    if args.limit is not None and args.limit < 1:
        raise CliError("--limit must be at least 1")
    try:
        suite = load_suite(args.suite, args.split, args.limit)
    except SuiteError as exc:
        raise CliError(str(exc)) from None
    stats = summarize(suite.tasks)
    head = {"suite": suite.name, "split": suite.split, "hash": suite.hash}
    if args.json:
        if not args.per_target:
            stats.pop("per_target")
        print_json({**head, **stats})
        return 0
    _print(head, stats, args.per_target)
    return 0


def _num(v: float | None, digits: int = 2) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def _bars(rows: list[dict[str, Any]], total: int) -> list[str]:
    out = []
    for r in rows:
        label = f"{r['from']:g}–{r['to']:g}" if r["to"] is not None else f"≥ {r['from']:g}"
        share = r["n"] / total if total else 0.0
        out.append(f"    {label:>8}  {r['n']:>5}  {share:6.1%}  {'#' * round(40 * share)}")
    return out


def _print(head: dict[str, Any], s: dict[str, Any], per_target: bool) -> None:
    w = sys.stdout.write
    n = s["targets_with_context"]
    w(f"context statistics of {head['suite']} {head['split']} (hash {head['hash']})\n\n")
    w(f"  tasks                 {s['tasks']:>6}  with given objects {s['tasks_with_context']}\n")
    w(f"  targets               {s['targets']:>6}  with a given object to relate to {n}\n")
    w(f"  given objects         {s['given']:>6}\n")
    if not n:
        w("\n  no target has a given object in this split: nothing to relate\n")
        return
    sides = ", ".join(f"{k} {v}" for k, v in s["sides"].items())
    w(f"  side of the anchor    {sides}\n")
    m = s["median"]
    w(f"  median offset         |dx| {_num(m['abs_dx'])}, |dy| {_num(m['abs_dy'])}, "
      f"distance {_num(m['distance'])}, gap {_num(m['gap'])} units\n")
    typical = ", ".join(f"{k} ({v[0]:+.2f}, {v[1]:+.2f})" for k, v in s["typical_offset"].items())
    w(f"  median offset by side {typical}\n\n")
    w(f"  share of targets within {s['radius']:g} units of a rule\n")
    for rule, share in s["within"].items():
        w(f"    {rule:<14} {_num(share if share is None else 100 * share, 1):>6} %\n")
    w("\n  distance from the anchor's centre (units)\n")
    w("\n".join(_bars(s["histogram"]["distance"], n)) + "\n")
    w("\n  error of the next_to rule (units)\n")
    w("\n".join(_bars(s["histogram"]["next_to_error"], n)) + "\n")
    if per_target:
        w(f"\n  {'task':<48} {'target':<12} {'anchor':<12} {'side':<8} {'dx':>6} {'dy':>6} "
          f"{'next_to':>7}\n")
        for r in s["per_target"]:
            w(f"  {r['task'][:48]:<48} {r['target'] + ' ' + r['kind']:<12.12} "
              f"{r['anchor'] + ' ' + r['anchor_kind']:<12.12} {r['side']:<8} {r['dx']:>6.2f} "
              f"{r['dy']:>6.2f} {r['next_to_error']:>7.2f}\n")
