"""Command line: ``python -m benchmark <command>``.

Each command lives in its own module under ``benchmark.commands`` with two
functions: ``add_parser(sub)`` (argparse only, no heavy imports at module level)
and ``run(args) -> int``.  A ``CliError`` anywhere becomes one ``error: …``
line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys

from benchmark.sandbox import Limits, SandboxConfig

__all__ = ["COMMANDS", "CliError", "main", "print_json"]

# Order is the order of `--help`.
COMMANDS = ("run", "runs", "report", "compare", "rescore", "render", "bench_render", "score",
            "models", "suites", "export", "ceiling", "build_suite", "prepare", "context_stats")


class CliError(Exception):
    """A user error: printed as one line, exit status 2."""


def sandbox_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sandbox", choices=("auto", "bwrap", "rlimit-only"), default="auto",
                   help="isolation: bubblewrap when available (auto, default), bubblewrap or "
                        "fail (bwrap), or resource limits only (rlimit-only)")
    p.add_argument("--timeout", type=float, default=60.0, metavar="S",
                   help="wall-clock limit per scene in seconds (default 60)")
    p.add_argument("--namespace", default=None,
                   help="TeX cache namespace; code run under one namespace can never poison "
                        "another's cache (default: the command's own)")


def sandbox_config(args: argparse.Namespace, namespace: str = "cli") -> SandboxConfig:
    if args.timeout <= 0:
        raise CliError("--timeout must be positive")
    limits = Limits(timeout_s=args.timeout, cpu_s=max(1, int(args.timeout)))
    return SandboxConfig(mode=args.sandbox, limits=limits,
                         namespace=args.namespace or namespace)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmark",
        description="jepa-manim: a benchmark for layout-aware Manim code generation. Runs "
                    "submissions on task suites, executes their code in a sandbox, measures "
                    "where every object landed with trusted code, and scores the layout.",
        epilog="Results last: programs generated anywhere are scored with `run --model file "
               "--model-arg path=GENERATIONS.jsonl` (`export --prompts openai-batch` writes the "
               "requests); `rescore RUN_ID` recomputes a stored run's metrics after a scoring "
               "change; `run --retry-failed RUN_ID` re-runs only infrastructure failures; "
               "`report RUN_ID --format csv --out FILE` and benchmark.results.load() give the "
               "rows as a table. `python -m benchmark COMMAND --help` explains each command.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        module = importlib.import_module(f"benchmark.commands.{name}")
        p = module.add_parser(sub)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    return dispatch(build_parser().parse_args(argv))


def dispatch(args: argparse.Namespace, errors: tuple[type[Exception], ...] = ()) -> int:
    """Run the parsed command (``args._run``): a ``CliError`` (or one of ``errors``) is one
    ``error: …`` line on stderr and exit status 2, Ctrl-C exit status 130.  The ``benchmark``,
    ``human_eval`` and ``leaderboard`` command lines all end here."""
    try:
        return int(args._run(args))
    except (CliError, *errors) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def print_json(obj: object) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()
