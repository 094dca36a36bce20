"""Manim CE graphical unit tests as standalone scenes: finding, filtering and rewriting them.

Used by ``scripts/ce_graphical_units.py`` (see its docstring).
"""

from __future__ import annotations

import ast
import base64
import re
import sys
from collections import defaultdict
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
