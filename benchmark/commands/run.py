"""``python -m benchmark run``: a submission on a suite, scored and recorded (resumable)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path
from typing import Any

from benchmark import summary
from benchmark.cli import sandbox_args, sandbox_config
from benchmark.cliargs import CliError, db_args, open_store, print_json
from benchmark.core.paths import DEFAULT_DB
from benchmark.core.registry import RegistryError
from benchmark.core.submission import SubmissionError, submissions
from benchmark.executors import ExecutorError, cluster_cpus
from benchmark.runner import RunInterrupted, RunnerError, RunOptions, run_benchmark
from benchmark.sandbox import bwrap_problem
from benchmark.scoring import ScoringConfig
from benchmark.store import StoreError
from benchmark.suites import SuiteError, load_suite


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    r = sub.add_parser(
        "run", help="run a model on a suite: generate, render in the sandbox, score, record",
        description="Run a submission on every task of a suite split: generate code, render "
                    "it in the sandbox (renders are cached by code hash), measure and score "
                    "it, and record one row per task in the results database. A killed run "
                    "continues where it stopped with --resume RUN_ID; --retry-failed RUN_ID "
                    "re-runs only a run's timeouts, crashes and generation errors as a new run. "
                    "Programs generated elsewhere are scored with --model file --model-arg "
                    "path=GENERATIONS.jsonl. Prints a summary table, or with --json one JSON "
                    "object as the last line of stdout.")
    r.add_argument("--model", metavar="NAME",
                   help="registered submission (see `python -m benchmark models`); `file` "
                        "scores the programs of a JSONL file (--model-arg path=FILE)")
    r.add_argument("--model-arg", action="append", default=[], metavar="KEY=VALUE",
                   help="argument for the model's constructor; repeatable")
    r.add_argument("--suite", metavar="NAME",
                   help="suite name (e.g. synthetic) or a path to a Task JSON .jsonl file")
    r.add_argument("--split", default=None, metavar="SPLIT", help="suite split (default: test)")
    r.add_argument("--limit", type=int, default=None, metavar="N",
                   help="only the first N tasks of the split")
    r.add_argument("--jobs", type=int, default=None, metavar="J",
                   help="tasks rendered and scored at a time, each with its own sandbox "
                        "worker (default: number of CPUs; with --executor ray, the "
                        "cluster's CPUs)")
    r.add_argument("--executor", choices=("local", "ray"), default="local",
                   help="where renders run: this machine's sandbox pool (local, default) or "
                        "a Ray cluster (ray; needs pip install '.[ray]'); generation, "
                        "scoring and the database stay here either way")
    r.add_argument("--ray-address", default="auto", metavar="ADDR",
                   help="with --executor ray: the cluster to join, auto (the one this "
                        "machine belongs to, default), HOST:PORT, ray://HOST:PORT (Ray "
                        "Client), or local (a private one on this machine)")
    db_args(r)
    r.add_argument("--resume", metavar="RUN_ID",
                   help="finish an earlier run: same model, args, suite, split and limit "
                        "(taken from the run; conflicting flags are an error)")
    r.add_argument("--retry-failed", metavar="RUN_ID",
                   help="a new run that re-runs only the tasks of a complete run that timed "
                        "out, crashed or failed to generate (never code that failed on its "
                        "merits); its other rows are copied, the earlier run keeps the first "
                        "attempts. Takes the run's settings; --model-arg replaces its model "
                        "arguments (e.g. a corrected generations file)")
    r.add_argument("--lpips-weights", type=Path, default=None, metavar="PATH",
                   help="torchvision AlexNet checkpoint for LPIPS (alexnet-owt-7be5be79.pth); "
                        "without one (or torch hub's copy) LPIPS is null, and the run says why")
    r.add_argument("--seed", type=int, default=None, metavar="N",
                   help="run seed; each task's generate is seeded from it and the task id "
                        "(default 0)")
    r.add_argument("--json", action="store_true",
                   help="print one JSON object as the last line of stdout")
    sandbox_args(r)
    return r


def parse_model_args(pairs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        key, eq, value = pair.partition("=")
        if not eq or not key.strip():
            raise CliError(f"--model-arg {pair!r}: expected KEY=VALUE")
        out[key.strip()] = value
    return out


def _suite_arg(suite: str | None) -> str | None:
    if suite is not None and suite.endswith(".jsonl") and Path(suite).is_file():
        return str(Path(suite).resolve())  # a resume from another folder finds it too
    return suite


def _from_flags(args: argparse.Namespace) -> dict[str, Any]:
    """What to run, for a new run."""
    for flag in ("model", "suite"):
        if getattr(args, flag) is None:
            raise CliError(f"--{flag} is required (or --resume RUN_ID)")
    return {"model": args.model, "suite": _suite_arg(args.suite), "split": args.split or "test",
            "limit": args.limit, "seed": args.seed or 0,
            "model_args": parse_model_args(args.model_arg)}


def _from_run(args: argparse.Namespace, store: Any) -> dict[str, Any]:
    """What to run, for a resume or a retry: the run's own settings (any flag given must
    agree; a retry may name new model arguments)."""
    retry = args.resume is None
    try:
        rec = store.get_run(args.retry_failed if retry else args.resume)
    except StoreError as exc:
        raise CliError(str(exc)) from None
    new_args = parse_model_args(args.model_arg) if args.model_arg else None
    given = {"model": args.model, "suite": _suite_arg(args.suite), "split": args.split,
             "limit": args.limit, "seed": args.seed,
             "model_args": None if retry else new_args}
    was = {"model": rec.model, "suite": rec.suite_source or rec.suite, "split": rec.split,
           "limit": rec.limit, "seed": rec.seeds.get("seed", 0), "model_args": rec.model_args}
    for key, value in given.items():
        if value is not None and value != was[key] and not (key == "suite"
                                                             and value == rec.suite):
            flag = "--model-arg" if key == "model_args" else f"--{key}"
            raise CliError(f"{flag} {value!r} conflicts with run {rec.run_id}, which ran "
                           f"{was[key]!r}; drop the flag to {'retry' if retry else 'resume'} "
                           "it")
    lpips = rec.lpips.get("weights") if args.lpips_weights is None else None
    out = {**was, "run_id": rec.run_id, "lpips_weights": lpips}
    if retry and new_args is not None:
        out["model_args"] = new_args
    return out


def _load_suite(name: str, split: str, limit: int | None) -> Any:
    try:
        return load_suite(name, split=split, limit=limit)
    except SuiteError as exc:
        raise CliError(str(exc)) from None


def _submission(model: str, model_args: dict[str, str]) -> Any:
    try:
        return submissions.get(model)(**model_args)
    except (RegistryError, SubmissionError) as exc:
        raise CliError(str(exc)) from None
    except TypeError as exc:
        raise CliError(f"model {model!r}: bad model arguments: {exc}") from None


def _check_tasks(submission: Any, suite: Any, limit: int | None) -> None:
    """The submission's own check of the tasks (``--model file``: every task answered),
    before a database is created or changed."""
    try:
        submission.select_tasks(list(suite), limited=limit is not None)
    except SubmissionError as exc:
        raise CliError(str(exc)) from None


def warn_sandbox(config: Any) -> None:
    problem = "requested" if config.mode == "rlimit-only" else (
        bwrap_problem() if config.mode == "auto" else None)
    if problem:
        print(f"warning: sandbox mode rlimit-only ({problem}): generated code runs with "
              "resource limits but can see this machine's files and network",
              file=sys.stderr)


def _sigterm(_sig: int, _frame: object) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    if args.limit is not None and args.limit < 1:
        raise CliError("--limit must be at least 1")
    if args.jobs is not None and args.jobs < 1:
        raise CliError("--jobs must be at least 1")
    jobs = args.jobs if args.jobs is not None else (os.cpu_count() or 1)
    if args.executor == "ray":  # join the cluster before creating a database
        try:
            cpus = cluster_cpus(args.ray_address)
        except ExecutorError as exc:
            raise CliError(str(exc)) from None
        jobs = args.jobs if args.jobs is not None else cpus
    config = sandbox_config(args, namespace="default")
    if args.lpips_weights is not None and not args.lpips_weights.is_file():
        raise CliError(f"--lpips-weights {args.lpips_weights}: no such file")
    if args.resume is not None and args.retry_failed is not None:
        raise CliError("--resume and --retry-failed are exclusive (a retry is a new run; "
                       "resume that run with --resume)")
    if args.resume is None and args.retry_failed is None:
        what = _from_flags(args)  # check everything before creating a database
        submission = _submission(what["model"], what["model_args"])
        suite = _load_suite(what["suite"], what["split"], what["limit"])
        _check_tasks(submission, suite, what["limit"])
        store = open_store(args)
    else:
        store = open_store(args, must_exist=True)
        try:
            what = _from_run(args, store)
            submission = _submission(what["model"], what["model_args"])
            suite = _load_suite(what["suite"], what["split"], what["limit"])
            _check_tasks(submission, suite, what["limit"])
        except BaseException:
            store.close()
            raise
    with store:
        weights = args.lpips_weights or what.get("lpips_weights")
        options = RunOptions(jobs=jobs, sandbox=config, seed=what["seed"],
                             scoring=ScoringConfig(lpips_weights=Path(weights) if weights
                                                   else None),
                             progress=True, executor=args.executor,
                             ray_address=args.ray_address)
        warn_sandbox(config)
        previous = signal.signal(signal.SIGTERM, _sigterm)
        try:
            stats = run_benchmark(submission, suite, store, options, model=what["model"],
                                  limit=what["limit"], resume=args.resume and what["run_id"],
                                  suite_source=what["suite"],
                                  retry=args.retry_failed and what["run_id"])
        except (RunnerError, StoreError, ExecutorError) as exc:
            raise CliError(str(exc)) from None
        except RunInterrupted as exc:
            db = "" if store.display == DEFAULT_DB else f" --db {store.display}"
            print(f"\ninterrupted: {exc.done}/{exc.total} tasks recorded; resume with\n"
                  f"  python -m benchmark run --resume {exc.run_id}{db}", file=sys.stderr)
            return 130
        finally:
            signal.signal(signal.SIGTERM, previous)
        if stats.sandbox_mode == "rlimit-only":
            print("warning: this run's code ran under rlimit-only: resource limits but no "
                  "filesystem or network isolation (the run records this)", file=sys.stderr)
        rs = summary.load_summary(store, stats.run_id)
        if args.json:
            out = summary.summary_json(rs, store)
            out["session"] = {"written": stats.written, "skipped": stats.skipped,
                              "renders": stats.renders, "cache_hits": stats.cache_hits,
                              "wall_s": round(stats.wall_s, 3),
                              "tasks_per_s": round(stats.tasks_per_s(), 3)}
            print_json(out)
        else:
            summary.print_summary(rs, store)
            print(f"  this run   {stats.written} tasks in {stats.wall_s:.1f} s "
                  f"({stats.tasks_per_s():.2f} tasks/s), {stats.renders} sandbox renders, "
                  f"{stats.cache_hits} from the render cache")
    return 0
