"""Command line: ``python -m benchmark <command>``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from benchmark.sandbox import Limits, SandboxConfig

__all__ = ["main"]


class CliError(Exception):
    """A user error: printed as one line, exit status 2."""


def _sandbox_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sandbox", choices=("auto", "bwrap", "rlimit-only"), default="auto",
                   help="isolation: bubblewrap when available (auto, default), bubblewrap or "
                        "fail (bwrap), or resource limits only (rlimit-only)")
    p.add_argument("--timeout", type=float, default=60.0, metavar="S",
                   help="wall-clock limit per scene in seconds (default 60)")
    p.add_argument("--namespace", default="cli",
                   help="TeX cache namespace; code run under one namespace can never poison "
                        "another's cache (default: cli)")


def _sandbox_config(args: argparse.Namespace) -> SandboxConfig:
    if args.timeout <= 0:
        raise CliError("--timeout must be positive")
    limits = Limits(timeout_s=args.timeout, cpu_s=max(1, int(args.timeout)))
    return SandboxConfig(mode=args.sandbox, limits=limits, namespace=args.namespace)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmark",
        description="jepa-manim: run untrusted Manim code in a sandbox, measure where every "
                    "object landed, and rasterise the frame with trusted code.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    r = sub.add_parser(
        "render", help="render one scene file in the sandbox and report objects and boxes",
        description="Run SCENE.py in the sandbox (animations skipped), then report every "
                    "semantic object of the final keyframe with its kind, content, box in "
                    "scene units [xmin, ymin, xmax, ymax] and visibility, and save the frame "
                    "drawn by trusted code. Exit status: 0 ok, 1 the scene failed, 2 usage.")
    r.add_argument("scene_file", metavar="SCENE.py", type=Path)
    r.add_argument("--scene", metavar="NAME", help="Scene class to render when the file "
                                                   "defines several")
    r.add_argument("--out", type=Path, default=Path("runs/render"), metavar="DIR",
                   help="where the frame PNG goes (default: runs/render)")
    r.add_argument("--json", action="store_true", help="print exactly one JSON object")
    _sandbox_args(r)

    b = sub.add_parser(
        "bench-render", help="scenes/s of one `manim render -s` process per scene vs the pool",
        description="Render the same scenes two ways in one run: one `manim render -s -ql` "
                    "CLI process per scene (as is common), and the warm sandbox pool. TeX is "
                    "warmed for both first. Prints scenes/s for each, the ratio, and whether "
                    "the pool's boxes were identical on every pass.")
    b.add_argument("--examples", type=Path, default=Path("examples"), metavar="DIR",
                   help="folder of scene files (default: examples)")
    b.add_argument("--repeat", type=int, default=3, metavar="N",
                   help="passes over the scenes for the pool (default 3)")
    b.add_argument("--cli-repeat", type=int, default=1, metavar="N",
                   help="passes over the scenes for the CLI (default 1)")
    b.add_argument("--jobs", type=int, default=None, metavar="J",
                   help="pool workers (default: number of CPUs)")
    b.add_argument("--json", action="store_true", help="print one JSON object")
    _sandbox_args(b)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "render":
            from benchmark.commands.render import run_render

            return run_render(args, _sandbox_config(args))
        if args.command == "bench-render":
            from benchmark.commands.bench_render import run_bench

            return run_bench(args, _sandbox_config(args))
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    parser.error(f"unknown command {args.command}")
    return 2


def print_json(obj: object) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()
