"""Command line: ``python -m benchmark <command>``.

Each command lives in its own module under ``benchmark.commands`` with two
functions: ``add_parser(sub)`` (argparse only, no heavy imports at module level)
and ``run(args) -> int``.  A ``CliError`` anywhere becomes one ``error: …``
line on stderr and exit status 2 (``benchmark.cliargs``, shared by every
jepa-manim command line).  ``sandbox_args`` / ``sandbox_config``: the sandbox
options of the commands that render.
"""

from __future__ import annotations

import argparse
import importlib

from benchmark.cliargs import CliError, add_commands, command_parser, dispatch, print_json, run_main
from benchmark.sandbox import Limits, SandboxConfig

__all__ = ["COMMANDS", "CliError", "build_parser", "dispatch", "main", "print_json",
           "sandbox_args", "sandbox_config"]

# Order is the order of `--help`.
COMMANDS = ("run", "runs", "report", "compare", "rescore", "render", "bench_render", "score",
            "models", "suites", "export", "ceiling", "build_suite", "prepare", "context_stats")


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
    parser, sub = command_parser(
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
    add_commands(sub, (importlib.import_module(f"benchmark.commands.{name}")
                       for name in COMMANDS))
    return parser


def main(argv: list[str] | None = None) -> int:
    return run_main(build_parser, argv)
