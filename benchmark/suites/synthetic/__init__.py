"""The ``synthetic`` suite: seeded scene families with determinable layouts.

Every reference layout is a function of the task's inputs — the objects (their
content, params and any ``given`` box), the placements the prompt states (kept
in structured form in each object's ``params["place"]``) and the rendered sizes
of the contents — plus the family's fixed style.  ``rebuild_layout`` recomputes
it without rendering; for the shipped test and val splits it matches the
sandbox-measured reference to float precision, so the ceiling is 1.

``test`` (500 tasks) and ``val`` (200) ship as Task JSON under
``data/v1/``; ``train`` is unbounded (``generate_tasks("train", start, n)``).
"""

from __future__ import annotations

from benchmark.core.tasks import Layout, Suite, Task, load_tasks
from benchmark.suites.synthetic._sizes import MissingSize, SizeTable
from benchmark.suites.synthetic.generate import (
    FAMILIES,
    FIXED_SPLITS,
    SPLITS,
    SUITE,
    VERSION,
    GenerationError,
    generate_task,
    generate_tasks,
    rebuild_layout,
    split_path,
)

__all__ = ["FAMILIES", "FIXED_SPLITS", "SOURCE", "SPLITS", "SUITE", "VERSION",
           "GenerationError", "MissingSize", "SizeTable", "SyntheticSource", "generate_task",
           "generate_tasks", "rebuild_layout"]


class SyntheticSource:
    """How the suite registry loads this suite's splits."""

    name = SUITE
    version = VERSION
    splits = SPLITS

    def rebuild_layout(self, task: Task) -> Layout:
        """The family rules' layout for a task (the ceiling check)."""
        return rebuild_layout(task)

    def size(self, split: str) -> int | None:
        """Tasks in a split; ``None`` for the unbounded train split."""
        return FIXED_SPLITS.get(split)

    def load(self, split: str, limit: int | None = None, start: int = 0) -> Suite:
        if split in FIXED_SPLITS:
            tasks = load_tasks(split_path(split))[start:]
            if limit is not None:
                tasks = tasks[:limit]
        else:
            if limit is None:
                raise ValueError("the train split is unbounded: give a limit")
            tasks = list(generate_tasks(split, start, limit))
        return Suite(SUITE, VERSION, split, tasks)


SOURCE = SyntheticSource()
