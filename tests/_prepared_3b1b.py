"""The fake 3b1b checkout prepared once per test session, and helpers on its tasks.

``prepared_once`` runs ``prepare`` on the fake checkout the first time a test
module asks and hands every later one the same folder (the tests only read it,
or copy it before changing anything).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from _fake_3b1b import CAPTIONS, VIDEOS, all_tasks, prepare
from PIL import Image

from benchmark.core.tasks import Task
from benchmark.suites.threeb1b.extract import ASSETS, manimgl_version

needs_gl = pytest.mark.skipif(manimgl_version() is None or shutil.which("latex") is None,
                              reason="needs ManimGL (pip install '.[3b1b]') and LaTeX")

_ONCE: dict[str, object] = {}


def frame_pixels(folder: Path, task: Task) -> np.ndarray:
    with Image.open(folder / task.reference.frame) as im:
        return np.asarray(im.convert("RGB"))


def by_scene(tasks: list[Task], scene: str) -> list[Task]:
    return [t for t in tasks if t.source["scene"] == scene]


def assets() -> list[str]:
    return sorted(str(p.relative_to(ASSETS)) for p in ASSETS.rglob("*"))


def cache_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The XDG cache the prepared suite's tests share."""
    if "cache" not in _ONCE:
        _ONCE["cache"] = tmp_path_factory.mktemp("xdg-cache")
    return _ONCE["cache"]  # type: ignore[return-value]


def prepared_once(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The fake checkout prepared once: (suite folder, the --json yield report)."""
    if manimgl_version() is None or shutil.which("latex") is None:
        pytest.skip("needs ManimGL (pip install '.[3b1b]') and LaTeX")
    if "prepared" not in _ONCE:
        out = tmp_path_factory.mktemp("prepared") / "3b1b"
        before = assets()
        report = prepare(VIDEOS, CAPTIONS, out, cache_once(tmp_path_factory))
        assert assets() == before, "prepare wrote into the packaged assets"
        _ONCE["prepared"] = (out, report)
    return _ONCE["prepared"]  # type: ignore[return-value]


def scratch_tasks(folder: Path) -> list[Task]:
    """The from-scratch tasks: one per keyframe, every object a target."""
    return [t for t in all_tasks(folder) if t.source["variant"] == "scratch"]


def context_tasks(folder: Path) -> list[Task]:
    """The context tasks: a keyframe's kept objects given, its new or moved ones targets."""
    return [t for t in all_tasks(folder) if t.source["variant"] == "context"]
