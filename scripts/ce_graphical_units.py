"""Do honest Manim CE scenes survive our trusted side?  Measured on Manim's graphical unit tests.

Manim CE's ``tests/test_graphical_units/test_*.py`` hold small scenes written by
Manim's own developers, each a function ``test_X(scene)`` decorated with
``@frames_comparison`` and checked against a control frame
``control_data/<__module_test__>/X.npz`` (key ``frame_data``, the last frame when
``last_frame=True``, the default).  Those scenes are honest by construction, so
every one that Manim draws should come back from our sandbox as ``ok``, with
every object ``verified``, and with a frame drawn by our trusted rasteriser that
looks like Manim's own.

For each eligible test (a ``test_*`` function decorated with
``@frames_comparison`` or ``@frames_comparison(...)``, whose only parameter is
``scene``, last frame only, base scene plain ``Scene``, Cairo renderer, no
custom config) this script writes a standalone scene file: the test module's
source with the ``frames_comparison`` import replaced by a no-op decorator, the
imports that are not from manim / numpy (pytest, the tests' ``helpers``) replaced
by stubs (``get_svg_resource`` writes the embedded resource file into the
sandbox's private /tmp), plus ``class Graphical(Scene)`` whose ``construct``
calls the test function.  It renders each through the sandbox and the trusted
measurement (``benchmark.render.Renderer``) and reports:

* statuses by count, with the distinct error of every non-ok run — above all
  ``invalid_snapshot``: our validator's bounds rejecting an honest scene;
* our frame against the control frame, both RGB (alpha dropped): *exact* by
  Manim's own tolerance (a value matches when ``|a - b| <= 1.01``, a frame
  matches when under 1e-5 of its values mismatch), *close* (mean absolute
  difference < 2 in 0-255 units and < 1% of values off by more than 16), or
  *differing* — the control frames come from Manim's master, the installed
  manim may be older;
* the objects that came out ``verified: false``, grouped by reason.

Run (from the repository root, with the project's venv)::

    python scripts/ce_graphical_units.py PATH_TO_MANIM_CHECKOUT_OR_EXPORT \
        [--jobs 2] [--json OUT.json] [--frames DIR] [--only SUBSTRING]

PATH is a Manim CE checkout (or an export holding at least
``tests/test_graphical_units``), or that test directory itself.  ``--frames``
saves ours / the control / their difference as PNGs for every non-exact frame.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import sys
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from ce_cases import (
    CLOSE_BIG_DIFF,
    CLOSE_BIG_SHARE,
    CLOSE_MEAN_ABS,
    FRAME_ABSOLUTE_TOLERANCE,
    FRAME_MISMATCH_RATIO_TOLERANCE,
    SCENE_NAME,
    Case,
    Row,
    collect,
    find_test_dir,
)

# -- comparing frames ------------------------------------------------------------------

def load_control(path: Path) -> np.ndarray:
    with np.load(path) as data:
        frames = data["frame_data"]
    if frames.ndim == 4:
        frames = frames[-1]
    return np.asarray(frames)[..., :3]


def compare(ours: np.ndarray, control: np.ndarray) -> tuple[str, float, float, float]:
    """(verdict, mismatch share by Manim's tolerance, mean |diff|, share of |diff| > 16)."""
    a = ours[..., :3]
    if a.shape != control.shape:
        return "differ", 1.0, 255.0, 1.0
    close_values = np.isclose(a, control, atol=FRAME_ABSOLUTE_TOLERANCE)
    mismatch = 1.0 - float(close_values.mean())
    diff = np.abs(a.astype(np.int16) - control.astype(np.int16))
    mean_abs = float(diff.mean())
    big = float((diff > CLOSE_BIG_DIFF).mean())
    if mismatch < FRAME_MISMATCH_RATIO_TOLERANCE:
        verdict = "exact"
    elif mean_abs < CLOSE_MEAN_ABS and big < CLOSE_BIG_SHARE:
        verdict = "close"
    else:
        verdict = "differ"
    return verdict, mismatch, mean_abs, big


def save_pngs(folder: Path, label: str, ours: np.ndarray, control: np.ndarray) -> None:
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    stem = label.replace("::", "__")
    Image.fromarray(np.ascontiguousarray(ours[..., :3])).save(folder / f"{stem}_ours.png")
    Image.fromarray(np.ascontiguousarray(control)).save(folder / f"{stem}_control.png")
    if ours[..., :3].shape == control.shape:
        diff = np.abs(ours[..., :3].astype(np.int16) - control.astype(np.int16))
        amp = np.clip(diff.max(axis=2) * 4, 0, 255).astype(np.uint8)
        Image.fromarray(amp).save(folder / f"{stem}_diff.png")


# -- running ---------------------------------------------------------------------------

def run(cases: list[Case], jobs: int, frames_dir: Path | None,
        keep_frames: bool = False) -> list[Row]:
    from benchmark.render import Renderer

    rows: list[Row | None] = [None] * len(cases)
    done = [0]
    t_start = time.perf_counter()

    with Renderer(jobs=jobs) as renderer:
        def one(i: int) -> None:
            case = cases[i]
            label = f"{case.module}::{case.name}"
            t0 = time.perf_counter()
            try:
                report = renderer.render(case.code, SCENE_NAME)
            except Exception as exc:  # a harness failure is a result too
                rows[i] = Row(label, "harness_error", f"{type(exc).__name__}: {exc}",
                              "none", seconds=time.perf_counter() - t0)
                return
            row = Row(label, report.status.value, report.error,
                      seconds=time.perf_counter() - t0,
                      objects=[o.to_json() for o in report.objects])
            control = load_control(case.control)
            if report.frame is None:
                # No frame: fine only when Manim's own control frame is blank too.
                row.frame = "none (control blank)" if not control.any() else "none"
            else:
                verdict, mismatch, mean_abs, big = compare(report.frame, control)
                row.frame, row.mismatch_share = verdict, mismatch
                row.mean_abs, row.big_share = mean_abs, big
                if frames_dir is not None and verdict != "exact":
                    save_pngs(frames_dir, label, report.frame, control)
            if keep_frames:
                row.ours = report.frame
            rows[i] = row
            done[0] += 1
            print(f"[{done[0]}/{len(cases)} {time.perf_counter() - t_start:6.0f}s] "
                  f"{label}: {row.status} {row.frame}", file=sys.stderr, flush=True)

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as ex:
            list(ex.map(one, range(len(cases))))
    return [r for r in rows if r is not None]


def render_direct(case: Case, work: Path) -> np.ndarray:
    """The installed manim's own last frame of a test, unsandboxed (Manim's own test code)."""
    import importlib.util
    import tempfile

    from manim import tempconfig

    path = work / f"{case.module}__{case.name}.py"
    path.write_text(case.code, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"_ce_direct_{case.module}_{case.name}", path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    settings = {"frame_rate": 1, "dry_run": True, "pixel_height": 480, "pixel_width": 854,
                "disable_caching": True, "media_dir": str(work / "media"),
                "verbosity": "ERROR", "progress_bar": "none"}
    saved_tmp = tempfile.tempdir
    tempfile.tempdir = str(work)  # resources land in the work folder
    try:
        with tempconfig(settings):
            spec.loader.exec_module(module)
            scene = getattr(module, SCENE_NAME)(skip_animations=True)
            scene.render()
            return np.array(scene.renderer.get_frame())
    finally:
        tempfile.tempdir = saved_tmp


def run_direct(cases: list[Case], rows: list[Row], frames_dir: Path | None) -> None:
    """--direct: ours vs the installed manim, and the installed manim vs the control."""
    import tempfile

    by_label = {r.test: r for r in rows}
    with tempfile.TemporaryDirectory(prefix="ce_direct_") as tmp:
        for case in cases:
            label = f"{case.module}::{case.name}"
            row = by_label[label]
            try:
                theirs = render_direct(case, Path(tmp))
            except Exception as exc:
                row.direct = f"manim error; {type(exc).__name__}: {exc}"[:300]
                continue
            control = load_control(case.control)
            vs_control, _, mean_c, _ = compare(theirs, control)
            if row.ours is None:
                row.direct = f"no frame of ours; manim vs control {vs_control}"
                continue
            vs_ours, mismatch, mean_o, big = compare(row.ours, theirs[..., :3])
            row.direct_vs_ours = mean_o
            row.direct = (f"ours {vs_ours}; mean {mean_o:.3f}, >16 {100 * big:.3f}%, "
                          f"mismatch {100 * mismatch:.3f}%; manim vs control {vs_control} "
                          f"(mean {mean_c:.3f})")
            if frames_dir is not None and vs_ours != "exact":
                save_pngs(frames_dir, label + "_direct", row.ours, theirs[..., :3])


def summarise(rows: list[Row], skipped: dict[str, list[str]]) -> None:
    n_skipped = sum(len(v) for v in skipped.values())
    print(f"\n== Manim CE graphical unit tests through jepa-manim ({len(rows)} eligible, "
          f"{n_skipped} skipped) ==")
    if n_skipped:
        print("\nskipped, by reason:")
        for reason, labels in sorted(skipped.items(), key=lambda kv: -len(kv[1])):
            print(f"  {len(labels):4d}  {reason}")
    statuses = Counter(r.status for r in rows)
    print(f"\nrendered ok: {statuses.get('ok', 0)} / {len(rows)}")
    print("statuses:")
    for status, n in statuses.most_common():
        print(f"  {n:4d}  {status}")

    errors: dict[tuple[str, str], list[str]] = defaultdict(list)
    for r in rows:
        if r.status != "ok":
            errors[(r.status, r.error)].append(r.test)
    if errors:
        print("\nnon-ok errors (status: message -> tests):")
        for (status, error), tests in sorted(errors.items()):
            print(f"  [{status}] {error}")
            for t in tests:
                print(f"      {t}")
    invalid = [r for r in rows if r.status == "invalid_snapshot"]
    print(f"\ninvalid_snapshot (our validator rejecting an honest scene): {len(invalid)}")
    for r in invalid:
        print(f"  {r.test}: {r.error}")

    frames = Counter(r.frame for r in rows if r.status == "ok")
    print(f"\nframes (of {statuses.get('ok', 0)} ok): exact (Manim tolerance) "
          f"{frames.get('exact', 0)}, close {frames.get('close', 0)}, "
          f"differ {frames.get('differ', 0)}, none {frames.get('none', 0)}")
    blank = [r.test for r in rows if r.frame == "none (control blank)"]
    if blank:
        print(f"no frame, and Manim's control frame is blank too (agrees): {len(blank)}")
    differing = sorted((r for r in rows if r.frame in ("close", "differ")),
                       key=lambda r: -(r.mean_abs or 0.0))
    if differing:
        print("non-exact frames (mean |diff| 0-255, share of values off by > 16, "
              "share mismatching by Manim's tolerance):")
        for r in differing:
            print(f"  {r.frame:6s} {r.test}: mean {r.mean_abs:.3f}, "
                  f">16 {100 * (r.big_share or 0.0):.3f}%, "
                  f"mismatch {100 * (r.mismatch_share or 0.0):.3f}%")

    direct = [r for r in rows if r.direct]
    if direct:
        verdicts = Counter(r.direct.split(";")[0] for r in direct)
        print("\n--direct: the installed manim's own frame against ours: "
              + ", ".join(f"{k} {n}" for k, n in sorted(verdicts.items())))
        for r in sorted(direct, key=lambda r: -(r.direct_vs_ours or 0.0)):
            if not r.direct.startswith("ours exact"):
                print(f"  {r.test}: {r.direct}")

    unverified: dict[str, list[str]] = defaultdict(list)
    n_objects = 0
    for r in rows:
        for o in r.objects:
            n_objects += 1
            if not o.get("verified"):
                content = str(o.get("content", ""))
                content = content if len(content) <= 40 else content[:37] + "..."
                unverified[str(o.get("reason", ""))].append(
                    f"{r.test} {o.get('kind')}/{o.get('class')} {content!r}")
    n_unverified = sum(len(v) for v in unverified.values())
    print(f"\nobjects: {n_objects}, verified: {n_objects - n_unverified}, "
          f"unverified: {n_unverified}")
    for reason, items in sorted(unverified.items(), key=lambda kv: -len(kv[1])):
        print(f"  {len(items):4d}  {reason or '(no reason given)'}")
        for item in items:
            print(f"        {item}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("manim", type=Path, help="Manim CE checkout or export (or its "
                    "tests/test_graphical_units directory)")
    ap.add_argument("--jobs", type=int, default=2, help="sandbox workers (default 2)")
    ap.add_argument("--json", type=Path, default=None, help="write per-test rows here")
    ap.add_argument("--frames", type=Path, default=None,
                    help="save ours/control/diff PNGs of every non-exact frame here")
    ap.add_argument("--only", default=None, help="only tests whose module::name contains this")
    ap.add_argument("--direct", action="store_true",
                    help="also render each test with the installed manim itself (unsandboxed: "
                    "these are Manim's own tests) and compare ours with that frame: separates "
                    "our rasteriser's fidelity from version drift against the control frames")
    ap.add_argument("--write-scenes", type=Path, default=None,
                    help="also write each generated scene file into this folder")
    args = ap.parse_args(argv)

    test_dir = find_test_dir(args.manim)
    cases, skipped = collect(test_dir, args.only)
    if args.write_scenes is not None:
        args.write_scenes.mkdir(parents=True, exist_ok=True)
        for c in cases:
            (args.write_scenes / f"{c.module}__{c.name}.py").write_text(c.code, encoding="utf-8")
    version = importlib.metadata.version("manim")  # what the sandbox runs (this venv's)
    print(f"{len(cases)} eligible tests in {test_dir}; installed manim {version}",
          file=sys.stderr)
    rows = run(cases, args.jobs, args.frames, keep_frames=args.direct)
    if args.direct:
        run_direct(cases, rows, args.frames)
    summarise(rows, skipped)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        table = [{k: v for k, v in r.__dict__.items() if k != "ours"} for r in rows]
        payload = {"test_dir": str(test_dir), "manim": version, "skipped": skipped,
                   "rows": table}
        args.json.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
