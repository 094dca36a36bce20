"""``python -m benchmark render``: one scene file, objects and boxes, the frame."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmark.cli import sandbox_args, sandbox_config
from benchmark.cliargs import CliError, print_json
from benchmark.render import Renderer, RenderReport
from benchmark.sandbox import Status


def read_scene_file(path: Path) -> bytes:
    if not path.exists():
        raise CliError(f"{path}: no such file")
    if path.is_dir():
        raise CliError(f"{path}: is a directory, expected a .py scene file")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CliError(f"{path}: cannot read: {exc.strerror}") from None


def warn_fallback(renderer: Renderer) -> None:
    reason = renderer.fallback_reason
    if reason:
        print(f"warning: sandbox mode rlimit-only ({reason}); the code can see this machine's "
              "files and network", file=sys.stderr)


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    r = sub.add_parser(
        "render", help="render one scene file in the sandbox and report objects and boxes",
        description="Run SCENE.py in the sandbox (animations skipped), then report every "
                    "semantic object of the final keyframe with its kind, content, box in "
                    "scene units [xmin, ymin, xmax, ymax], visibility and whether its kind and "
                    "content are verified (proven by what it drew; the reason says why or why "
                    "not), and save the frame drawn by trusted code. Exit status: 0 ok, 1 the "
                    "scene failed, 2 usage.")
    r.add_argument("scene_file", metavar="SCENE.py", type=Path)
    r.add_argument("--scene", metavar="NAME", help="Scene class to render when the file "
                                                   "defines several")
    r.add_argument("--out", type=Path, default=Path("runs/render"), metavar="DIR",
                   help="where the frame PNG goes (default: runs/render)")
    r.add_argument("--json", action="store_true", help="print exactly one JSON object")
    sandbox_args(r)
    return r


def run(args: argparse.Namespace) -> int:
    config = sandbox_config(args)
    code = read_scene_file(args.scene_file)
    with Renderer(config, jobs=1) as renderer:
        warn_fallback(renderer)
        report = renderer.render(code, args.scene)
    frame_path = None
    if report.frame is not None:
        frame_path = report.save_frame(Path(args.out) / f"{args.scene_file.stem}.png")
    if args.json:
        print_json(report.to_json(frame_path))
    else:
        print_table(args.scene_file, report, frame_path)
    if report.status is not Status.OK:
        if not args.json:
            print(f"error: {args.scene_file}: {report.status.value}: {report.error}",
                  file=sys.stderr)
        return 1
    return 0


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def print_table(path: Path, report: RenderReport, frame_path: Path | None) -> None:
    out = sys.stdout
    out.write(f"{path}: {report.status.value}"
              f"{' — ' + report.error if report.error else ''}\n")
    if report.objects:
        out.write(f"\n  {'#':>2}  {'kind':<11} {'content':<28} {'xmin':>7} {'ymin':>7} "
                  f"{'xmax':>7} {'ymax':>7}  {'visible':<15} verified\n")
        for i, o in enumerate(report.objects):
            x0, y0, x1, y1 = o.box
            vis = f"yes ({o.visible_px} px)" if o.visible else "no"
            ver = "yes" if o.verified else f"no: {_clip(o.reason, 60)}"
            out.write(f"  {i:>2}  {o.kind:<11} {_clip(o.content or o.cls, 28):<28} "
                      f"{x0:>7.3f} {y0:>7.3f} {x1:>7.3f} {y1:>7.3f}  {vis:<15} {ver}\n")
        out.write("\n")
    if frame_path is not None:
        out.write(f"  frame      {frame_path}\n")
    out.write(f"  keyframes  {report.keyframes}\n")
    out.write(f"  sandbox    {report.sandbox}\n")
    t = report.timings
    out.write(f"  time       {t.get('total_s', 0.0):.2f} s (sandbox {t.get('sandbox_s', 0.0):.2f} "
              f"s, raster {t.get('raster_s', 0.0):.3f} s, verify {t.get('verify_s', 0.0):.3f} s)\n")
    if report.status is not Status.OK and report.stderr_tail.strip():
        out.write("  stderr (tail):\n")
        for line in report.stderr_tail.strip().splitlines()[-8:]:
            out.write(f"    {line}\n")
