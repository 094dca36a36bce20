"""The held-out guard: no test or validation task, layout or narration reaches training.

A task is held out when it belongs to the synthetic ``test`` or ``val`` split
or to either 3b1b test variant (``test``, with context, and ``test-scratch``).
Everything that trains or picks examples (the JEPA's training data and packs,
``retrieval``'s index, the ``llm`` submission's few-shot examples) passes its
tasks through :func:`check_no_leak`, which compares each task's inputs hash and
layout hash with every held-out task's (and the synthetic test/val rules
layouts) and raises :class:`LeakageError` naming the first match.  The guard
lives with the suites because the suites define what is held out.
"""

from __future__ import annotations

from collections.abc import Sequence

from benchmark.core.tasks import Task, load_tasks
from benchmark.suites.synthetic.generate import FIXED_SPLITS, forbidden_hashes, split_path
from benchmark.suites.threeb1b.source import HELDOUT_SPLITS, suite_dir

__all__ = ["LeakageError", "check_no_leak", "heldout_hashes", "heldout_split", "task_hashes",
           "without_heldout_twins"]


class LeakageError(ValueError):
    """A task of a held-out (test or val) split reached the training data."""


def task_hashes(t: Task) -> list[str]:
    """Inputs hash, plus the layout hash when there is a layout (empty ones all collide)."""
    return [t.inputs_hash()] + ([t.layout_hash()] if t.reference.layout else [])


def heldout_hashes() -> dict[str, str]:
    """Every held-out inputs/layout hash → what it belongs to (for the error message)."""
    out: dict[str, str] = {}
    for split in FIXED_SPLITS:
        path = split_path(split)
        if path.is_file():
            for t in load_tasks(path):
                for h in task_hashes(t):
                    out[h] = f"synthetic {split} task {t.id}"
    for h in forbidden_hashes():  # adds the rules-layout hashes of test and val
        out.setdefault(h, "a synthetic test/val task (rules layout)")
    for split in HELDOUT_SPLITS:
        path = suite_dir() / f"{split}.jsonl"
        if path.is_file():
            for t in load_tasks(path):
                for h in task_hashes(t):
                    out.setdefault(h, f"3b1b {split} task {t.id}")
    return out


def heldout_split(t: Task) -> bool:
    return (t.suite == "synthetic" and t.split in ("test", "val")) or (
        t.suite == "3b1b" and t.split in HELDOUT_SPLITS)


def without_heldout_twins(tasks: Sequence[Task], heldout_splits: Sequence[str]
                          ) -> tuple[list[Task], int]:
    """(``tasks`` without those outside ``heldout_splits`` whose inputs or layout equal a
    task's inside them, how many were left out): a twin would carry a held-out task into
    training, so the held-out one wins."""
    held = {h for t in tasks if t.split in heldout_splits for h in task_hashes(t)}
    keep = [t for t in tasks if t.split in heldout_splits
            or not any(h in held for h in task_hashes(t))]
    return keep, len(tasks) - len(keep)


def check_no_leak(tasks: Sequence[Task], heldout: dict[str, str] | None = None) -> None:
    """Raise ``LeakageError`` naming the first task that is (or equals) a held-out task."""
    heldout = heldout_hashes() if heldout is None else heldout
    for t in tasks:
        if heldout_split(t):
            raise LeakageError(f"task {t.id} is from the held-out {t.suite} {t.split} split; "
                               "it must not be trained on")
        for h in task_hashes(t):
            if h in heldout:
                raise LeakageError(f"training task {t.id} has the same inputs or layout as "
                                   f"{heldout[h]}; it must not be trained on")
