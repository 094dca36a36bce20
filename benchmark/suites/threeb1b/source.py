"""How the suite registry finds a prepared ``3b1b`` suite on this machine.

``python -m benchmark prepare 3b1b`` writes ``dev.jsonl``, ``test.jsonl``,
``frames/`` and ``manifest.json`` into its ``--out`` folder (default
``runs/suites/3b1b``); set ``JEPA_MANIM_3B1B`` to read one from elsewhere.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from benchmark.suites import SuiteError
from benchmark.tasks import Suite, load_tasks

__all__ = ["DEFAULT_DIR", "SOURCE", "SPLITS", "SUITE", "ThreeB1BSource", "suite_dir"]

SUITE = "3b1b"
SPLITS = ("dev", "test")
DEFAULT_DIR = Path("runs") / "suites" / SUITE
ENV = "JEPA_MANIM_3B1B"


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

    def _path(self, split: str) -> Path:
        path = suite_dir() / f"{split}.jsonl"
        if not path.is_file():
            raise SuiteError(
                f"the 3b1b suite is not prepared in {suite_dir()} (no {path.name}): run "
                "python -m benchmark prepare 3b1b --videos PATH --captions PATH "
                f"(or set {ENV} to a prepared folder)")
        return path

    def size(self, split: str) -> int | None:
        path = suite_dir() / f"{split}.jsonl"
        if not path.is_file():
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
