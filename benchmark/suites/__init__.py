"""Task suites by name: ``load_suite("synthetic", "test")`` or a path to a ``.jsonl``.

A suite source is a small object with ``name``, ``version``, ``splits``,
``size(split)`` (``None`` when unbounded) and ``load(split, limit, start)``;
sources register lazily in ``suites`` (a ``"module:attr"`` target), so listing
suites imports nothing heavy.  Outside packages add sources through the
``jepa_manim.suites`` entry-point group.  A user's own Task JSON file loads
as a suite named after the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from benchmark.core.registry import Registry, RegistryError
from benchmark.core.tasks import Suite, TaskFormatError, load_tasks

__all__ = ["SuiteError", "SuiteSource", "list_suites", "load_suite", "suites"]


class SuiteError(ValueError):
    """An unknown suite or split, or an unreadable suite file; one readable line."""


class SuiteSource(Protocol):
    name: str
    version: str
    splits: tuple[str, ...]

    def size(self, split: str) -> int | None: ...

    def load(self, split: str, limit: int | None = None, start: int = 0) -> Suite: ...


suites: Registry[SuiteSource] = Registry("suite", "jepa_manim.suites")
suites.add("synthetic", "benchmark.suites.synthetic:SOURCE")
suites.add("3b1b", "benchmark.suites.threeb1b.source:SOURCE")


def _source(name: str) -> SuiteSource:
    try:
        return suites.get(name)
    except RegistryError as exc:
        raise SuiteError(str(exc)) from None


def _is_path(name: str) -> bool:
    return name.endswith(".jsonl") or "/" in name or "\\" in name


def _load_file(path: Path, limit: int | None) -> Suite:
    if not path.is_file():
        raise SuiteError(f"{path}: no such suite file")
    try:
        tasks = load_tasks(path)
    except TaskFormatError as exc:
        raise SuiteError(str(exc)) from None
    if not tasks:
        raise SuiteError(f"{path}: no tasks")
    if limit is not None:
        tasks = tasks[:limit]
    splits = {t.split for t in tasks}
    return Suite(path.stem, "file", splits.pop() if len(splits) == 1 else "mixed", tasks,
                 root=path.parent)


def load_suite(name: str, split: str = "test", limit: int | None = None,
               start: int = 0) -> Suite:
    """A registered suite's split (the first ``limit`` tasks from ``start``), or a file."""
    if limit is not None and limit < 0:
        raise SuiteError("limit must be non-negative")
    if _is_path(name):
        return _load_file(Path(name), limit)
    source = _source(name)
    if split not in source.splits:
        import difflib

        close = difflib.get_close_matches(split, source.splits, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise SuiteError(f"suite {name!r} has no split {split!r}{hint} "
                         f"(available: {', '.join(source.splits)})")
    if source.size(split) is None and limit is None:
        raise SuiteError(f"split {split!r} of suite {name!r} is unbounded: give a limit "
                         "(--limit N)")
    try:
        return source.load(split, limit, start)
    except (TaskFormatError, FileNotFoundError) as exc:
        raise SuiteError(f"suite {name!r} split {split!r}: {exc}") from None


def list_suites() -> list[dict[str, Any]]:
    """One row per suite and split: name, version, split, size and hash."""
    rows = []
    for name in suites.names():
        source = _source(name)
        for split in source.splits:
            size = source.size(split)
            row: dict[str, Any] = {"name": name, "version": source.version, "split": split,
                                   "size": size if size is not None else "unbounded",
                                   "hash": None}
            if size is not None:
                try:
                    row["hash"] = source.load(split).hash
                except (TaskFormatError, FileNotFoundError, ValueError) as exc:
                    row["hash"] = None
                    row["error"] = str(exc)
            rows.append(row)
    return rows
