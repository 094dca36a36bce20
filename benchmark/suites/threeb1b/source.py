"""How the suite registry finds a prepared ``3b1b`` suite on this machine.

``python -m benchmark prepare 3b1b`` writes one ``SPLIT.jsonl`` per split,
``frames/`` and ``manifest.json`` into its ``--out`` folder (default
``runs/suites/3b1b``); set ``JEPA_MANIM_3B1B`` to read one from elsewhere.

Each of the two video splits comes in two variants of the same keyframes:
``dev`` and ``test`` are context tasks (what the previous wait already showed,
where it stayed, is given; the new or moved objects are the targets), and
``dev-scratch`` and ``test-scratch`` ask for every object from nothing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from benchmark.core.paths import RUNS_DIR
from benchmark.core.tasks import Suite, load_tasks
from benchmark.suites import SuiteError

__all__ = ["DEFAULT_DIR", "HELDOUT_SPLITS", "SCRATCH", "SOURCE", "SPLITS", "SUITE",
           "ThreeB1BSource", "scratch_split", "suite_dir", "video_split"]

SUITE = "3b1b"
SCRATCH = "-scratch"
SPLITS = ("dev", "test", "dev" + SCRATCH, "test" + SCRATCH)
#: the splits that never reach training (both variants of the test videos)
HELDOUT_SPLITS = ("test", "test" + SCRATCH)
DEFAULT_DIR = RUNS_DIR / "suites" / SUITE
ENV = "JEPA_MANIM_3B1B"


def scratch_split(split: str) -> str:
    """The from-scratch variant of a video split (``test`` → ``test-scratch``)."""
    return split + SCRATCH


def video_split(split: str) -> str:
    """The video split a variant belongs to (``test-scratch`` → ``test``)."""
    return split.removesuffix(SCRATCH)


def suite_dir() -> Path:
    return Path(os.environ.get(ENV) or DEFAULT_DIR)


class ThreeB1BSource:
    name = SUITE
    splits = SPLITS

    @property
    def version(self) -> str:
        try:
            manifest = json.loads((suite_dir() / "manifest.json").read_text())
            return str(manifest.get("builder_version", "?"))
        except (OSError, ValueError):
            return "-"

    def _older(self) -> bool:
        """Prepared by builder 1, whose ``dev`` and ``test`` were from scratch."""
        return self.version == "1"

    def _path(self, split: str) -> Path:
        path = suite_dir() / f"{split}.jsonl"
        if self._older():
            raise SuiteError(
                f"the 3b1b suite in {suite_dir()} was prepared by an older builder (1: its dev "
                "and test are from scratch, with no context variants): prepare it again with "
                "python -m benchmark prepare 3b1b --videos PATH --captions PATH (its files "
                f"still load by path, e.g. --suite {suite_dir() / 'test.jsonl'})")
        if not path.is_file():
            raise SuiteError(
                f"the 3b1b suite is not prepared in {suite_dir()} (no {path.name}): run "
                "python -m benchmark prepare 3b1b --videos PATH --captions PATH "
                f"(or set {ENV} to a prepared folder)")
        return path

    def size(self, split: str) -> int | None:
        path = suite_dir() / f"{split}.jsonl"
        if not path.is_file() or self._older():
            return 0
        with open(path, encoding="utf-8") as fh:
            return sum(1 for line in fh if line.strip())

    def load(self, split: str, limit: int | None = None, start: int = 0) -> Suite:
        path = self._path(split)
        tasks = load_tasks(path)[start:]
        if limit is not None:
            tasks = tasks[:limit]
        return Suite(SUITE, self.version, split, tasks, root=path.parent)


SOURCE = ThreeB1BSource()
