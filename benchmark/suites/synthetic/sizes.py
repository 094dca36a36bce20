"""The synthetic suite's size table, as other packages use it.

The table (``sizes.json``) holds the measured geometry of every object the
generator can emit, by key (see :mod:`benchmark.suites.synthetic._sizes`).
:func:`size_key` names the key of any task object rendered alone and
:func:`intrinsic_size` looks up its width and height: the natural size a layout
model or a retrieval baseline resizes boxes to.  Intrinsic sizes come from
inputs alone, never from the layout: independent kinds by ``object_key``, a
graph relative to its axes (``graph_key``), a brace relative to its target
(``brace_key``); arrows have none (their length is the distance between their
endpoints' placed boxes, the target layout itself).
"""

from __future__ import annotations

from functools import cache

from benchmark.compose import ComposeError
from benchmark.core.tasks import ObjectSpec, Task
from benchmark.suites.synthetic._sizes import (
    SIZES_PATH,
    MissingSize,
    SizeTable,
    brace_key,
    graph_key,
    object_key,
)

__all__ = ["SIZES_PATH", "MissingSize", "SizeTable", "brace_key", "default_sizes", "graph_key",
           "intrinsic_size", "object_key", "size_key"]


@cache
def default_sizes() -> SizeTable:
    """The shipped table, one per process (the generator's own: train sizes are in it)."""
    return SizeTable.shipped()


def size_key(spec: ObjectSpec, task: Task) -> str | None:
    """The size-table key of an object rendered alone; ``None`` when it has none."""
    try:
        if spec.kind == "graph":
            return graph_key(task.object(str(spec.params.get("axes", ""))), spec)
        if spec.kind == "brace":
            return brace_key(task.object(str(spec.params.get("target", ""))), spec)
        if spec.kind == "arrow":
            return None  # its length is the placed endpoints' distance: the target layout
        return object_key(spec)
    except (KeyError, ComposeError, TypeError):
        return None  # a missing reference, or params compose does not know


def intrinsic_size(spec: ObjectSpec, task: Task, sizes: SizeTable) -> tuple[float, float] | None:
    """Width and height (scene units) of the object rendered alone, or ``None``.

    The point box (what the harness measures, what reference layouts hold);
    ``None`` for arrows, unknown kinds and keys the table has not measured.
    """
    key = size_key(spec, task)
    if key is None:
        return None
    try:
        _, p = sizes.geometry(key)
    except MissingSize:
        return None
    return p.width, p.height
