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
import ast
import base64
import importlib.metadata
import json
import re
import sys
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

SCENE_NAME = "Graphical"
RESOURCE_DIR = "img_svg_resources"
# Manim's own tolerance (manim/utils/testing/_frames_testers.py).
FRAME_ABSOLUTE_TOLERANCE = 1.01
FRAME_MISMATCH_RATIO_TOLERANCE = 1e-5
# The looser "close" criterion, 0-255 units.
CLOSE_MEAN_ABS = 2.0
CLOSE_BIG_DIFF = 16
CLOSE_BIG_SHARE = 0.01
SAFE_IMPORT_ROOTS = {"manim", "numpy", "__future__"}

PREAMBLE = '''
# --- ce_graphical_units: stand-ins for the test harness --------------------------
def _ce_frames_comparison(func=None, **_kwargs):
    if callable(func):
        return func
    return lambda f: f


class _CeStub:
    """Whatever a removed import was (pytest, ...): attributes and calls are no-ops."""

    def __getattr__(self, name):
        return self

    def __call__(self, *args, **kwargs):
        if len(args) == 1 and callable(args[0]) and not kwargs:
            return args[0]
        return self


_ce_stub = _CeStub()
_CE_RESOURCES = {resources}


def _ce_get_svg_resource(filename):
    import base64 as _b64
    import os as _os
    import tempfile as _tmp

    folder = _os.path.join(_tmp.gettempdir(), "ce_resources")
    _os.makedirs(folder, exist_ok=True)
    path = _os.path.join(folder, _os.path.basename(filename))
    if filename in _CE_RESOURCES and not _os.path.exists(path):
        with open(path, "wb") as fh:
            fh.write(_b64.b64decode(_CE_RESOURCES[filename]))
    return path
# --- end of stand-ins -------------------------------------------------------------
'''

SCENE_TAIL = '''

# --- ce_graphical_units: the scene -----------------------------------------------
from manim import Scene as _CeScene  # noqa: E402


class {scene}(_CeScene):
    def construct(self):
        {test}(self)
'''


@dataclass
class Case:
    """One eligible test, ready to render."""

    module: str  # file stem, e.g. test_geometry
    name: str  # function name, e.g. test_Arc
    control: Path
    code: str


@dataclass
class Row:
    """One rendered test: status, frame comparison and objects."""

    test: str
    status: str = ""
    error: str = ""
    frame: str = ""  # exact / close / differ / none
    mismatch_share: float | None = None
    mean_abs: float | None = None
    big_share: float | None = None
    seconds: float = 0.0
    direct: str = ""  # --direct: installed manim's own frame vs ours and vs control
    direct_vs_ours: float | None = None  # mean |diff|, 0-255
    objects: list[dict[str, Any]] = field(default_factory=list)
    ours: np.ndarray | None = field(default=None, repr=False)  # kept for --direct only


# -- finding the tests -----------------------------------------------------------------

def find_test_dir(root: Path) -> Path:
    for cand in (root / "tests" / "test_graphical_units", root):
        if (cand / "control_data").is_dir() and any(cand.glob("test_*.py")):
            return cand
    raise SystemExit(f"no tests/test_graphical_units with control_data under {root}")


def _decorator(fn: ast.FunctionDef) -> ast.expr | None:
    for dec in fn.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        if isinstance(target, ast.Name) and target.id == "frames_comparison":
            return dec
        if isinstance(target, ast.Attribute) and target.attr == "frames_comparison":
            return dec
    return None


def _skip_reason(fn: ast.FunctionDef, dec: ast.expr) -> str | None:
    """Why a frames_comparison test is not eligible, or None."""
    a = fn.args
    params = [p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs)]
    if params != ["scene"] or a.vararg or a.kwarg:
        extra = [p for p in params if p != "scene"]
        return f"parameters other than scene ({', '.join(extra) or '*args'})"
    if not isinstance(dec, ast.Call):
        return None
    for kw in dec.keywords:
        value = ast.unparse(kw.value)
        if kw.arg == "last_frame":
            if not (isinstance(kw.value, ast.Constant) and kw.value.value is True):
                return f"last_frame={value} (multi-frame)"
        elif kw.arg == "base_scene":
            if value not in ("Scene", "manim.Scene"):
                return f"base_scene={value}"
        elif kw.arg in ("renderer_class", "renderer"):
            if value not in ("CairoRenderer", "'cairo'", '"cairo"'):
                return f"{kw.arg}={value}"
        else:
            return f"custom config {kw.arg}="
    if dec.args:
        return "positional decorator arguments"
    return None


def _module_test(tree: ast.Module) -> str | None:
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and \
                isinstance(node.targets[0], ast.Name) and \
                node.targets[0].id == "__module_test__" and \
                isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return node.value.value
    return None


def _import_root(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.ImportFrom):
        if node.level:
            return ["."]
        return [(node.module or "").split(".")[0]]
    return [alias.name.split(".")[0] for alias in node.names]


def _stub_line(node: ast.Import | ast.ImportFrom) -> str:
    """One line that binds every name the import bound, to a stand-in."""
    parts = []
    for alias in node.names:
        if alias.name == "*":
            continue
        bound = alias.asname or alias.name.split(".")[0]
        if alias.name == "frames_comparison":
            parts.append(f"{bound} = _ce_frames_comparison")
        elif alias.name == "get_svg_resource":
            parts.append(f"{bound} = _ce_get_svg_resource")
        else:
            parts.append(f"{bound} = _ce_stub")
    return "; ".join(parts) or "pass"


def rewrite_module(source: str, tree: ast.Module, resources: dict[str, str]) -> str:
    """The module with harness imports replaced by stand-ins (names bound at the same place)."""
    lines = source.splitlines()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        roots = _import_root(node)
        harness = any(a.name == "frames_comparison" for a in node.names)
        if not harness and all(r in SAFE_IMPORT_ROOTS for r in roots):
            continue
        start, end = node.lineno - 1, (node.end_lineno or node.lineno) - 1
        indent = lines[start][: node.col_offset]
        lines[start] = indent + _stub_line(node)
        for i in range(start + 1, end + 1):
            lines[i] = ""
    # The stand-ins go right after the last __future__ import (which must stay first).
    at = 0
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            at = node.end_lineno or node.lineno
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and at == 0:
            at = node.end_lineno or node.lineno  # module docstring
    encoded = "{" + "".join(f"\n    {k!r}: {v!r}," for k, v in resources.items()) + "\n}"
    preamble = PREAMBLE.replace("{resources}", encoded)
    return "\n".join([*lines[:at], preamble, *lines[at:]]) + "\n"


def _resources_for(fn: ast.FunctionDef, resource_dir: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for node in ast.walk(fn):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                re.fullmatch(r"[\w.\-]+", node.value):
            path = resource_dir / node.value
            if path.is_file():
                out[node.value] = base64.b64encode(path.read_bytes()).decode("ascii")
    return out


def collect(test_dir: Path, only: str | None) -> tuple[list[Case], dict[str, list[str]]]:
    cases: list[Case] = []
    skipped: dict[str, list[str]] = defaultdict(list)
    for path in sorted(test_dir.glob("test_*.py")):
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        module_test = _module_test(tree)
        for fn in tree.body:
            if not isinstance(fn, ast.FunctionDef) or not fn.name.startswith("test_"):
                continue
            dec = _decorator(fn)
            if dec is None:
                continue  # not a graphical test
            label = f"{path.stem}::{fn.name}"
            if only and only not in label:
                continue
            reason = _skip_reason(fn, dec)
            control = test_dir / "control_data" / str(module_test) / f"{fn.name[5:]}.npz"
            if reason is None and module_test is None:
                reason = "no __module_test__ in the module"
            if reason is None and not control.is_file():
                reason = "no control frame"
            if reason is not None:
                skipped[reason].append(label)
                continue
            resources = _resources_for(fn, test_dir / RESOURCE_DIR)
            code = rewrite_module(source, tree, resources)
            code += SCENE_TAIL.format(scene=SCENE_NAME, test=fn.name)
            cases.append(Case(path.stem, fn.name, control, code))
    return cases, skipped


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
