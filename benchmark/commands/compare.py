"""``python -m benchmark compare RUN_A RUN_B``: paired differences over the common tasks."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from benchmark.cliargs import CliError, db_args, open_store, print_json
from benchmark.scoring import HEADLINE, paired_compare, scoring_version
from benchmark.store import StoreError


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    r = sub.add_parser(
        "compare", help="compare two runs task by task (paired bootstrap)",
        description="For every metric, the mean of A − B over the tasks both runs scored, "
                    "with a 95% paired-bootstrap interval and a verdict (A better, B better, "
                    "or no significant difference; for overlap, off_frame and lpips lower is "
                    "better). Warns when the runs used different suites or suite versions; "
                    "refuses runs scored under different scoring versions (rescore the older "
                    "one with `python -m benchmark rescore RUN_ID`).")
    r.add_argument("run_a", metavar="RUN_A")
    r.add_argument("run_b", metavar="RUN_B")
    db_args(r)
    r.add_argument("--json", action="store_true", help="print one JSON object")
    return r


def _check_versions(a: Any, b: Any) -> None:
    """Runs scored under different scoring versions are not compared: the older one is
    named with the command that rescores it."""

    va, vb = scoring_version(a.scoring), scoring_version(b.scoring)
    if va != vb:
        old = a if va < vb else b
        raise CliError(f"runs {a.run_id} and {b.run_id} were scored under different scoring "
                       f"versions ({va} and {vb}); rescore the older one first: "
                       f"python -m benchmark rescore {old.run_id}")


def _mean(values: list[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def _num(v: float | None, sign: bool = False) -> str:
    return "—" if v is None else (f"{v:+.3f}" if sign else f"{v:.3f}")


def run(args: argparse.Namespace) -> int:

    with open_store(args, must_exist=True) as store:
        try:
            a, b = store.get_run(args.run_a), store.get_run(args.run_b)
            ma, mb = store.metrics(a.run_id), store.metrics(b.run_id)
        except StoreError as exc:
            raise CliError(str(exc)) from None
    _check_versions(a, b)
    warnings: list[str] = []
    if (a.suite, a.split) != (b.suite, b.split):
        warnings.append(f"different suites: {a.suite}/{a.split} vs {b.suite}/{b.split}")
    elif a.suite_hash != b.suite_hash:
        warnings.append(f"suite {a.suite}/{a.split} differs between the runs (hash "
                        f"{a.suite_hash} vs {b.suite_hash}); tasks with the same id may "
                        "differ")
    common = sorted(set(ma) & set(mb))
    if len(common) < max(len(ma), len(mb)):
        warnings.append(f"{len(common)} tasks in common (A has {len(ma)}, B has {len(mb)})")
    if not common:
        raise CliError(f"runs {a.run_id} and {b.run_id} have no task in common")
    diffs = paired_compare({t: ma[t] for t in common}, {t: mb[t] for t in common})
    metrics: dict[str, Any] = {}
    for m, d in diffs.items():
        metrics[m] = {**d.to_json(), "a_mean": _mean([ma[t].get(m) for t in common]),
                      "b_mean": _mean([mb[t].get(m) for t in common])}
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    if args.json:
        print_json({"a": a.run_id, "b": b.run_id, "model_a": a.model, "model_b": b.model,
                    "n_common": len(common), "warnings": warnings, "metrics": metrics})
        return 0
    out = sys.stdout
    out.write(f"A = {a.run_id} ({a.model} on {a.suite}/{a.split})\n"
              f"B = {b.run_id} ({b.model} on {b.suite}/{b.split})\n"
              f"{len(common)} tasks in common\n\n")
    out.write(f"  {'metric':<15} {'A':>7} {'B':>7} {'A − B':>7}   {'95% CI':<18} verdict\n")
    for m in [m for m in HEADLINE if m in metrics] + [m for m in metrics if m not in HEADLINE
                                                       and not m.startswith("adherence@")]:
        r = metrics[m]
        has = r["mean"] is not None
        ci = f"[{_num(r['lo'], True)}, {_num(r['hi'], True)}]" if has else ""
        out.write(f"  {m:<15} {_num(r['a_mean']):>7} {_num(r['b_mean']):>7} "
                  f"{_num(r['mean'], True):>7}   {ci:<18} {r['verdict'] if has else '—'}\n")
    return 0
