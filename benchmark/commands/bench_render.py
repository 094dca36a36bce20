"""``python -m benchmark bench-render``: scenes/s of the manim CLI vs the warm sandbox pool."""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from tqdm import tqdm

from benchmark.cli import sandbox_args, sandbox_config
from benchmark.cliargs import CliError, print_json
from benchmark.commands.render import read_scene_file, warn_fallback
from benchmark.render import Renderer, RenderReport
from benchmark.sandbox import Status

TARGET_RATIO = 10.0
DIFF_THRESHOLD = 8  # a pixel differs when one of its channels differs by more (0-255)
CLI_TIMEOUT_S = 600.0

BoxKey = tuple[tuple[str, str, tuple[float, ...]], ...]


class CliRenderError(Exception):
    """The manim CLI failed on a scene: the comparison cannot go on."""


@dataclass
class Scene:
    path: Path
    code: bytes
    cli_times: list[float] = field(default_factory=list)
    pool_times: list[float] = field(default_factory=list)
    cli_png: Path | None = None
    frame_diff: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.stem


def collect_scenes(folder: Path) -> list[Scene]:
    if not folder.is_dir():
        raise CliError(f"{folder}: no such folder")
    paths = sorted(folder.glob("*.py"))
    if not paths:
        raise CliError(f"{folder}: no *.py scene files")
    return [Scene(p, read_scene_file(p)) for p in paths]


def check_counts(args: argparse.Namespace) -> int:
    jobs = args.jobs if args.jobs is not None else (os.cpu_count() or 1)
    for flag, value in (("--repeat", args.repeat), ("--cli-repeat", args.cli_repeat),
                        ("--jobs", jobs)):
        if value < 1:
            raise CliError(f"{flag} must be at least 1")
    return jobs


def progress(total: int, desc: str, quiet: bool) -> tqdm:
    return tqdm(total=total, desc=desc, unit="scene", file=sys.stderr,
                disable=quiet or not sys.stderr.isatty())


# -- manim CLI: one process per scene ------------------------------------------------------

def cli_render(scene: Scene, media_dir: Path) -> float:
    """Render one still with ``manim render -s -ql``; return its wall time in seconds."""
    cmd = [sys.executable, "-m", "manim", "render", "-s", "-ql", "--disable_caching",
           "--progress_bar", "none", "-v", "WARNING", "--media_dir", str(media_dir),
           str(scene.path.resolve())]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=CLI_TIMEOUT_S, check=False)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise CliRenderError(f"manim CLI failed on {scene.path} (exit {proc.returncode}): "
                             f"{tail[0]}")
    pngs = sorted((media_dir / "images" / scene.name).glob("*.png"),
                  key=lambda p: p.stat().st_mtime)
    if not pngs:
        raise CliRenderError(f"manim CLI wrote no PNG for {scene.path}")
    scene.cli_png = pngs[-1]
    return elapsed


def time_cli(scenes: list[Scene], media_dir: Path, repeat: int, quiet: bool) -> float:
    with progress(len(scenes) * repeat, "manim CLI", quiet) as bar:
        for _ in range(repeat):
            for scene in scenes:
                scene.cli_times.append(cli_render(scene, media_dir))
                bar.update(1)
    return sum(t for s in scenes for t in s.cli_times)


# -- sandbox pool ----------------------------------------------------------------------------

def time_pool(renderer: Renderer, scenes: list[Scene], repeat: int, quiet: bool
              ) -> tuple[float, list[RenderReport]]:
    codes = [s.code for _ in range(repeat) for s in scenes]
    with progress(len(codes), f"pool ({renderer.jobs} workers)", quiet) as bar:
        t0 = time.perf_counter()
        reports = renderer.render_many(codes, on_done=lambda _i, _r: bar.update(1))
        wall = time.perf_counter() - t0
    for i, report in enumerate(reports):
        scenes[i % len(scenes)].pool_times.append(report.timings.get("total_s", 0.0))
    return wall, reports


# -- checks ----------------------------------------------------------------------------------

def box_key(report: RenderReport) -> BoxKey:
    return tuple((o.kind, o.content, tuple(round(v, 9) for v in o.box))
                 for o in report.objects)


def first_box_mismatch(scenes: list[Scene], warm: list[RenderReport],
                       timed: list[RenderReport]) -> str | None:
    n = len(scenes)
    for i, report in enumerate(timed):
        ref, got = box_key(warm[i % n]), box_key(report)
        if got == ref:
            continue
        where = f"{scenes[i % n].name} pass {i // n + 1} vs warm-up"
        if len(got) != len(ref):
            return f"{where}: {len(got)} objects, expected {len(ref)}"
        j = next(k for k, (a, b) in enumerate(zip(got, ref, strict=True)) if a != b)
        return f"{where}: object {j} is {got[j]}, expected {ref[j]}"
    return None


def failures(scenes: list[Scene], warm: list[RenderReport],
             timed: list[RenderReport]) -> list[dict[str, Any]]:
    n = len(scenes)
    runs = [("warm-up", i, r) for i, r in enumerate(warm)]
    runs += [(f"pass {i // n + 1}", i, r) for i, r in enumerate(timed)]
    return [{"scene": scenes[i % n].name, "pass": label, "status": r.status.value,
             "error": r.error} for label, i, r in runs if r.status is not Status.OK]


def frame_diff(frame: np.ndarray | None, png: Path | None) -> dict[str, Any]:
    if frame is None or png is None:
        return {"compared": False, "reason": "no frame"}
    ours = frame[..., :3].astype(np.int16)
    with Image.open(png) as im:
        theirs = np.asarray(im.convert("RGB"), dtype=np.int16)
    if ours.shape != theirs.shape:
        return {"compared": False, "reason": f"shape {ours.shape} vs CLI {theirs.shape}"}
    diff = np.abs(ours - theirs)
    return {"compared": True, "mean_abs": float(diff.mean()),
            "share_over_8": float((diff.max(axis=-1) > DIFF_THRESHOLD).mean())}


# -- output ----------------------------------------------------------------------------------

def summary(scenes: list[Scene], jobs: int, sandbox: str, cli_total: float, pool_wall: float,
            pool_renders: int, mismatch: str | None, failed: list[dict[str, Any]]
            ) -> dict[str, Any]:
    cli_rate = sum(len(s.cli_times) for s in scenes) / cli_total
    pool_rate = pool_renders / pool_wall
    compared = [s.frame_diff for s in scenes if s.frame_diff.get("compared")]
    return {
        "cli_scenes_per_s": cli_rate,
        "cli_median_s": statistics.median(t for s in scenes for t in s.cli_times),
        "pool_scenes_per_s": pool_rate,
        "ratio": pool_rate / cli_rate,
        "target_ratio": TARGET_RATIO,
        "identical_boxes": mismatch is None,
        "boxes_mismatch": mismatch,
        "all_ok": not failed,
        "failures": failed,
        "jobs": jobs,
        "sandbox": sandbox,
        "pool_renders": pool_renders,
        "pool_wall_s": pool_wall,
        "cli_renders": sum(len(s.cli_times) for s in scenes),
        "cli_wall_s": cli_total,
        "per_scene": [{"scene": s.name, "cli_median_s": statistics.median(s.cli_times),
                       "pool_median_s": statistics.median(s.pool_times),
                       "frame_diff": s.frame_diff} for s in scenes],
        "frame_diff": {
            "threshold": DIFF_THRESHOLD,
            "compared": len(compared),
            "mean_abs": statistics.fmean(d["mean_abs"] for d in compared) if compared else None,
            "share_over_8": (statistics.fmean(d["share_over_8"] for d in compared)
                             if compared else None),
        },
    }


def print_summary(res: dict[str, Any]) -> None:
    out = sys.stdout
    out.write(f"{'scene':<24} {'CLI s':>7} {'pool s':>7}  {'|Δ| px':>7} {'>8 px':>7}\n")
    for row in res["per_scene"]:
        d = row["frame_diff"]
        diff = (f"{d['mean_abs']:>7.2f} {d['share_over_8']:>7.1%}" if d.get("compared")
                else f"  {d.get('reason', '')}")
        out.write(f"{row['scene']:<24} {row['cli_median_s']:>7.2f} "
                  f"{row['pool_median_s']:>7.2f}  {diff}\n")
    out.write("\n")
    out.write(f"manim CLI: {res['cli_scenes_per_s']:.2f} scenes/s "
              f"(median {res['cli_median_s']:.2f} s/scene)\n")
    workers = f"{res['jobs']} worker{'s' if res['jobs'] != 1 else ''}"
    out.write(f"sandbox pool ({workers}): {res['pool_scenes_per_s']:.2f} scenes/s\n")
    out.write(f"ratio: {res['ratio']:.1f}x (target ≥ {TARGET_RATIO:.0f}x)\n")
    out.write(f"identical boxes: {'yes' if res['identical_boxes'] else 'no'}"
              f"{' — ' + res['boxes_mismatch'] if res['boxes_mismatch'] else ''}\n")
    for f in res["failures"]:
        out.write(f"failed: {f['scene']} ({f['pass']}): {f['status']}: {f['error']}\n")
    fd = res["frame_diff"]
    if fd["compared"]:
        out.write(f"frame vs CLI PNG (information): mean |Δ| {fd['mean_abs']:.2f}/255, "
                  f"{fd['share_over_8']:.1%} of pixels differ by > {DIFF_THRESHOLD}\n")
    out.write(f"sandbox: {res['sandbox']}\n")


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
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
    sandbox_args(b)
    return b


def run(args: argparse.Namespace) -> int:
    config = sandbox_config(args)
    jobs = check_counts(args)
    scenes = collect_scenes(args.examples)
    with tempfile.TemporaryDirectory(prefix="bench-render-") as tmp, \
            Renderer(config, jobs=jobs) as renderer:
        warn_fallback(renderer)
        renderer.pool.start()
        media_dir = Path(tmp)
        try:
            for scene in scenes:  # warm-up, untimed: TeX caches, imports, disk
                cli_render(scene, media_dir)
            warm = renderer.render_many([s.code for s in scenes])
            cli_total = time_cli(scenes, media_dir, args.cli_repeat, args.json)
        except CliRenderError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        pool_wall, timed = time_pool(renderer, scenes, args.repeat, args.json)
        for i, scene in enumerate(scenes):
            scene.frame_diff = frame_diff(timed[i].frame, scene.cli_png)
        res = summary(scenes, jobs, renderer.sandbox_mode, cli_total, pool_wall, len(timed),
                      first_box_mismatch(scenes, warm, timed), failures(scenes, warm, timed))
    if args.json:
        print_json(res)
    else:
        print_summary(res)
    return 0 if res["all_ok"] and res["identical_boxes"] else 1
