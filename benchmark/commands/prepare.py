"""``python -m benchmark prepare 3b1b``: build the 3b1b suite from the user's checkouts."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from benchmark.cliargs import CliError, print_json
from benchmark.suites.threeb1b.build import PrepareOptions, YieldReport, prepare
from benchmark.suites.threeb1b.errors import PrepareError
from benchmark.suites.threeb1b.source import suite_dir


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "prepare", help="build the 3b1b suite from your own 3b1b/videos and 3b1b/captions",
        description="Build the held-out 3b1b suite on this machine from your clones of "
                    "github.com/3b1b/videos (ManimGL code) and github.com/3b1b/captions "
                    "(transcripts): match videos to their code, run every scene headless "
                    "with ManimGL (animations skipped, a snapshot at each wait), keep "
                    "keyframes with 2-15 meaningful objects, write the narration around each "
                    "keyframe as its prompt, and split videos into dev and test; each keyframe "
                    "gives a from-scratch task (dev-scratch, test-scratch) and, when it adds or "
                    "moves objects, a context task (dev, test) where what the previous wait "
                    "showed is given. Nothing from "
                    "the checkouts leaves --out. Needs the optional extra: pip install "
                    "'.[3b1b]'. Repeated runs reuse the per-file results in --out.",
        epilog="example: python -m benchmark prepare 3b1b --videos ~/src/videos "
               "--captions ~/src/captions --years 2021-2024")
    p.add_argument("suite", choices=("3b1b",))
    p.add_argument("--videos", type=Path, required=True, metavar="PATH",
                   help="your clone of 3b1b/videos")
    p.add_argument("--captions", type=Path, required=True, metavar="PATH",
                   help="your clone of 3b1b/captions")
    p.add_argument("--years", default="2021-2024", metavar="Y1-Y2",
                   help="video years to include (default 2021-2024; 'all' for every year)")
    p.add_argument("--limit-videos", type=int, default=None, metavar="N",
                   help="only the first N matched videos (by id)")
    p.add_argument("--jobs", type=int, default=2, metavar="J",
                   help="source files run in parallel (default 2)")
    p.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help="suite folder (default runs/suites/3b1b, where --suite 3b1b looks)")
    p.add_argument("--scene-timeout", type=float, default=30.0, metavar="S",
                   help="seconds one scene may run (default 30)")
    p.add_argument("--scene-timeout-for", action="append", default=[], metavar="SCENE=S",
                   help="seconds for the scene class SCENE instead of --scene-timeout "
                        "(repeatable)")
    p.add_argument("--manimgl", type=Path, default=None, metavar="PATH",
                   help="your clone of github.com/3b1b/manim (ManimGL master) to run the "
                        "scenes with, installed into an isolated environment under "
                        "OUT/.manimgl-env (default: the installed ManimGL, pinned 1.7.2)")
    p.add_argument("--max-per-scene", type=int, default=3, metavar="K",
                   help="at most K tasks (distinct keyframes) per scene (default 3)")
    p.add_argument("--test-share", type=float, default=0.5, metavar="F",
                   help="share of videos in the test split (default 0.5)")
    p.add_argument("--gl-frames", action="store_true",
                   help="also keep ManimGL's own frame of each keyframe (slower; recorded "
                        "as source.gl_frame; the scored reference stays the Cairo re-draw)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--json", action="store_true", help="print exactly one JSON object")
    return p


def _years(text: str) -> tuple[int, int] | None:
    if text == "all":
        return None
    m = re.fullmatch(r"(\d{4})(?:-(\d{4}))?", text.strip())
    if not m:
        raise CliError(f"--years: expected YEAR or YEAR-YEAR or 'all', got {text!r}")
    a, b = int(m.group(1)), int(m.group(2) or m.group(1))
    if a > b:
        raise CliError(f"--years: {a} is after {b}")
    return a, b


def _scene_timeouts(items: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in items:
        name, eq, value = item.partition("=")
        try:
            seconds = float(value)
        except ValueError:
            seconds = -1.0
        if not eq or not name.isidentifier() or not seconds > 0:
            raise CliError(f"--scene-timeout-for: expected SCENE=SECONDS (a scene class name "
                           f"and a positive number), got {item!r}")
        out[name] = seconds
    return out


def run(args: argparse.Namespace) -> int:
    for flag, value, low in (("--jobs", args.jobs, 1), ("--max-per-scene", args.max_per_scene, 1),
                             ("--limit-videos", args.limit_videos, 1)):
        if value is not None and value < low:
            raise CliError(f"{flag} must be at least {low}")
    if not 0.0 <= args.test_share <= 1.0:
        raise CliError("--test-share must be between 0 and 1")
    if args.scene_timeout <= 0:
        raise CliError("--scene-timeout must be positive")
    timeouts = _scene_timeouts(args.scene_timeout_for)
    opts = PrepareOptions(videos=args.videos, captions=args.captions,
                          out=args.out or suite_dir(), years=_years(args.years),
                          limit_videos=args.limit_videos, jobs=args.jobs,
                          scene_timeout=args.scene_timeout, max_per_scene=args.max_per_scene,
                          test_share=args.test_share, gl_frames=args.gl_frames,
                          manimgl=args.manimgl, scene_timeouts=timeouts)
    try:
        report = prepare(opts, progress=not args.no_progress and not args.json)
    except PrepareError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        print_json({"out": str(opts.out), **report.to_json()})
        return 0
    print_report(report, opts.out)
    return 0


def print_report(r: YieldReport, out: Path) -> None:
    w = sys.stdout.write
    methods = ", ".join(f"{k} {v}" for k, v in sorted(r.match_methods.items()))
    w(f"3b1b suite written to {out} in {r.seconds:.0f} s\n\n")
    w(f"  videos matched         {r.videos_matched:>6}  ({methods}); "
      f"{r.unmatched_captions} caption videos without code\n")
    w(f"  code files             {r.files:>6}\n")
    if r.stand_ins:
        libs = ", ".join(f"{k} {v}" for k, v in r.stand_ins.items())
        w(f"    imported with stand-ins for missing libraries ({libs}); a scene that "
          "uses one fails as import_error\n")
    w(f"  scenes tried           {r.scenes_tried:>6}  ok {r.scenes_ok}, with snapshots "
      f"{r.scenes_with_snapshots}\n")
    for k, v in sorted(r.scene_failures.items(), key=lambda kv: -kv[1]):
        w(f"    {k:<24}{v:>6}\n")
    w(f"  snapshots              {r.snapshots:>6}\n")
    for k, v in sorted(r.dropped.items(), key=lambda kv: -kv[1]):
        w(f"    dropped: {k:<24}{v:>6}\n")
    splits = ", ".join(f"{k} {v}" for k, v in r.tasks_by_split.items())
    w(f"  tasks                  {r.tasks:>6}  ({splits}) from {r.videos_with_tasks} videos\n\n")
    w(f"  {'video':<34} {'split':<5} {'match':>5} {'scenes':>6} {'ok':>4} {'keyfr':>5} "
      f"{'ctx':>5} {'align':>5}\n")
    for vid, v in sorted(r.per_video.items()):
        al = "-" if v["mean_alignment"] is None else f"{v['mean_alignment']:.2f}"
        w(f"  {vid:<34} {v['split']:<5} {v['match_confidence']:>5.2f} {v['scenes']:>6} "
          f"{v['scenes_ok']:>4} {v['keyframes']:>5} {v['context_tasks']:>5} {al:>5}\n")
