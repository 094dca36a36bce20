"""The tasks' reference renders: shipped frame files, or reference code rendered first.

Reference code is rendered in its own TeX namespace (``REFERENCE_NAMESPACE``),
so the reference frames never depend on what a submission's code did to its
cache.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmark._progress import progress_bar
from benchmark.core.tasks import Task
from benchmark.render import RenderBackend
from benchmark.runner.options import REFERENCE_NAMESPACE, RunnerError
from benchmark.runner.session import Session, parallel
from benchmark.sandbox import Status
from benchmark.store import CachedRender, render_salt

__all__ = ["Reference", "reference", "reference_files", "render_references"]

#: a task's reference render and its RGB frame (either may be missing)
Reference = tuple[CachedRender | None, np.ndarray | None]


def reference_files(session: Session, tasks: list[Task], root: Path | None) -> None:
    """Reference frames shipped as files (tasks without reference code, e.g. 3b1b)."""
    for task in tasks:
        rel = task.reference.frame
        if task.reference.code is not None or not rel:
            continue
        path = (root or Path.cwd()) / rel
        try:
            from PIL import Image

            with Image.open(path) as im:
                frame = np.asarray(im.convert("RGB"), dtype=np.uint8)
        except (OSError, ValueError) as exc:
            raise RunnerError(f"task {task.id}: cannot read its reference frame "
                              f"{path}: {exc}") from None
        session.references[task.id] = CachedRender(
            key=f"file:{rel}", salt="", status=Status.OK,
            frame=session.store.artifacts.put_frame(frame))


def render_references(session: Session, tasks: list[Task], renderer: RenderBackend) -> None:
    """Look up (or render, in the reference namespace) every task's reference code."""
    store = session.store
    salt = render_salt(renderer, REFERENCE_NAMESPACE)
    missing: list[Task] = []
    for task in tasks:
        code = task.reference.code
        if code is None:
            continue
        entry = store.get_render(session.cache.key(code, salt))
        if entry is not None and (entry.frame is None
                                  or store.artifacts.path(entry.frame).is_file()):
            session.references[task.id] = entry
        else:
            missing.append(task)
    if not missing:
        return

    def one(task: Task) -> None:
        got = session.render(renderer, task.reference.code or "", salt)
        if got is not None:
            session.references[task.id] = got.entry
            bar.update(1)

    with progress_bar(len(missing), "references", session.options.progress) as bar:
        parallel(session, (lambda t=t: one(t) for t in missing), renderer)


def reference(session: Session, task: Task) -> Reference:
    entry = session.references.get(task.id)
    if entry is None or entry.frame is None:
        return entry, None
    return entry, session.store.artifacts.read_frame(entry.frame)
