"""The items of a rating session: the frames of the given runs, plus attention checks.

Every rendered task of every run is one item (its frame, the task's prompt,
the reference frame).  Prompts come from the run's own suite, loaded the way
``benchmark run --resume`` loads it and checked against the run's recorded
suite hash, so raters read the prompt the submission was given.

Attention checks take a configurable share of the items: known-good ones show
a task's reference frame, known-bad ones a reference scene with objects
pushed onto each other or off the frame (``human_eval.checks``).  Item ids are
hashes of what the item is, so the same session started again makes the same
items, and a check's frame is drawn once and then read back from the store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from benchmark.results import RunRecord, TaskResult
from benchmark.snapshot import SnapshotError, decode_snapshot
from benchmark.store import Store, StoreError
from benchmark.suites import SuiteError, load_suite
from human_eval.checks import draw, push_objects
from human_eval.storage import Item, RatingStore

__all__ = ["ItemSet", "ItemsError", "build_items", "item_id"]


class ItemsError(Exception):
    """Runs that cannot be rated as asked; the message is one readable line."""


def item_id(*parts: str) -> str:
    """An opaque, stable id: nothing in it names the submission."""
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:24]


@dataclass
class RunItems:
    """One run's part of a session."""

    record: RunRecord
    n_tasks: int
    unrendered: list[str] = field(default_factory=list)  # task ids without a frame


@dataclass
class ItemSet:
    """Everything a session serves: run frames and checks, and the runs they come from."""

    frames: list[Item]
    checks: list[Item]
    runs: list[RunItems]
    warnings: list[str] = field(default_factory=list)

    @property
    def items(self) -> list[Item]:
        return self.frames + self.checks


def _prompts(record: RunRecord, cache: dict[tuple, dict[str, str]]) -> dict[str, str]:

    source = record.suite_source or record.suite
    key = (source, record.split, record.limit)
    if key not in cache:
        try:
            suite = load_suite(source, record.split, limit=record.limit)
        except SuiteError as exc:
            raise ItemsError(f"run {record.run_id}: cannot load its suite for the prompts: "
                             f"{exc}") from None
        if suite.hash != record.suite_hash:
            raise ItemsError(f"run {record.run_id}: suite {source} has changed since the run "
                             f"(hash {record.suite_hash} then, {suite.hash} now); its prompts "
                             "would not be the ones the submission saw")
        cache[key] = {t.id: t.prompt for t in suite}
    return cache[key]


def _run_items(store: Store, run_id: str, cache: dict[tuple, dict[str, str]]
               ) -> tuple[RunItems, list[Item], list[TaskResult]]:
    try:
        record = store.get_run(run_id)
        results = store.results(record.run_id)
    except StoreError as exc:
        raise ItemsError(str(exc)) from None
    if not results:
        raise ItemsError(f"run {record.run_id} has no results: nothing to rate")
    rendered = [r for r in results if r.frame]
    if not rendered:
        raise ItemsError(f"run {record.run_id} has no rendered frames to rate (all "
                         f"{len(results)} tasks failed to render)")
    for r in rendered:
        if not store.artifacts.path(r.frame or "").is_file():
            raise ItemsError(f"run {record.run_id}: frame {store.artifacts.path(r.frame or '')} "
                             "is missing (is --artifacts right?)")
    prompts = _prompts(record, cache)
    items = []
    for r in rendered:
        if r.task_id not in prompts:
            raise ItemsError(f"run {record.run_id}: task {r.task_id} is not in its suite")
        items.append(Item(item_id=item_id("frame", record.run_id, r.task_id), kind="frame",
                          task_id=r.task_id, prompt=prompts[r.task_id], frame=r.frame or "",
                          run_id=record.run_id, reference_frame=r.reference_frame))
    run = RunItems(record, n_tasks=max(record.n_tasks, len(results)),
                   unrendered=sorted(r.task_id for r in results if not r.frame))
    return run, items, results


def _source_snapshot(store: Store, task: str, results: list[TaskResult]) -> str | None:
    """The task's reference Snapshot (from the render cache), else any run's of that task."""
    ref = next((r.reference_frame for r in results if r.reference_frame), None)
    if ref is not None:
        snap = store.frame_snapshot(ref)
        if snap is not None and store.artifacts.path(snap).is_file():
            return str(snap)
    for r in sorted(results, key=lambda r: r.run_id):
        if r.snapshot and store.artifacts.path(r.snapshot).is_file():
            return r.snapshot
    return None


def _frame_size(store: Store, rel: str) -> tuple[int, int]:
    from PIL import Image

    with Image.open(store.artifacts.path(rel)) as im:
        return im.size


def _bad_check(store: Store, known: dict[str, Item], task: str, prompt: str, snapshot: str,
               how: str, size: tuple[int, int], reference: str | None) -> Item | None:

    iid = item_id("check_bad", task, snapshot, how)
    old = known.get(iid)
    if old is not None and store.artifacts.path(old.frame).is_file():
        return old
    try:
        snap = decode_snapshot(store.artifacts.path(snapshot).read_bytes())
        moved, defect = push_objects(snap, how)
    except (OSError, SnapshotError, ValueError):
        return None
    frame = store.artifacts.put_frame(draw(moved, size))
    return Item(item_id=iid, kind="check_bad", task_id=task, prompt=prompt, frame=frame,
                reference_frame=reference, note=defect.note())


def build_items(store: Store, run_ids: Sequence[str], checks: float = 0.1, seed: int = 0
                ) -> ItemSet:
    """Items for ``run_ids`` plus about ``checks`` (a share of all items) attention checks.

    Raises ``ItemsError`` for an unknown or ambiguous run id, a run without
    results or without any rendered frame, a missing frame file, or a suite
    that cannot be loaded or has changed.  Checks are split evenly between
    known-good and known-bad (bad first), each from a different task where
    there are enough tasks; the tasks are drawn with ``seed``.
    """
    if not 0 <= checks < 1:
        raise ItemsError(f"the attention-check share must be in [0, 1), not {checks}")
    cache: dict[tuple, dict[str, str]] = {}
    runs: list[RunItems] = []
    frames: list[Item] = []
    by_task: dict[str, list[TaskResult]] = {}
    prompts: dict[str, str] = {}
    seen: set[str] = set()
    for rid in run_ids:
        run, items, results = _run_items(store, rid, cache)
        if run.record.run_id in seen:
            continue
        seen.add(run.record.run_id)
        runs.append(run)
        frames.extend(items)
        for r in results:
            by_task.setdefault(r.task_id, []).append(r)
        prompts.update({it.task_id: it.prompt for it in items})
    n_checks = round(checks * len(frames) / (1 - checks)) if checks > 0 else 0
    tasks = sorted(t for t in prompts if any(r.reference_frame for r in by_task[t]))
    warnings: list[str] = []
    check_items: list[Item] = []
    if n_checks and not tasks:
        warnings.append("no task has a reference frame: no attention checks")
    elif n_checks:
        known = {it.item_id: it for it in RatingStore(store).items()}
        order = [tasks[i] for i in np.random.default_rng([seed, 7]).permutation(len(tasks))]
        n_bad, n_good = (n_checks + 1) // 2, n_checks // 2
        for i in range(n_bad + n_good):
            task = order[i % len(order)]
            ref = next(r.reference_frame for r in by_task[task] if r.reference_frame)
            if i < n_bad:
                snap = _source_snapshot(store, task, by_task[task])
                item = None if snap is None else _bad_check(
                    store, known, task, prompts[task], snap, ("overlap", "off_frame")[i % 2],
                    _frame_size(store, ref or ""), ref)
                if item is None:
                    warnings.append(f"task {task}: no usable Snapshot, so no known-bad check")
                    continue
            else:
                item = Item(item_id=item_id("check_good", task, ref or ""), kind="check_good",
                            task_id=task, prompt=prompts[task], frame=ref or "",
                            reference_frame=ref, note="the task's reference frame")
            if item.item_id not in {c.item_id for c in check_items}:
                check_items.append(item)
    return ItemSet(frames=frames, checks=check_items, runs=runs, warnings=warnings)
