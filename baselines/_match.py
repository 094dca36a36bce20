"""Which retrieved object each new object takes its box from, and what relates to what.

:func:`match_objects` pairs the new task's objects with the retrieved task's by
kind (never across kinds), preferring equal ids, then equal contents, then the
same place in the object list (Hungarian assignment), on a context task given
objects with given ones first; :func:`partners` lists,
per object, the objects it is placed against.
"""

from __future__ import annotations

import numpy as np

from benchmark.compose import dependencies
from benchmark.core.tasks import Task

__all__ = ["match_objects", "partners"]

ROLE_COST = 8.0  # more than an id, a content and the order together


def match_objects(new: Task, old: Task, roles: bool = False) -> dict[str, str]:
    """New object id → retrieved object id, same kinds only, by id, content and order.

    With ``roles``, a given object pairs with a given one and a target with a target
    before anything else counts (where one is to be had).
    """
    from scipy.optimize import linear_sum_assignment

    a, b = new.objects, old.objects
    if not a or not b:
        return {}
    big = 1e6
    cost = np.full((len(a), len(b)), big)
    old_given = old.given_ids
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            if x.kind != y.kind:
                continue
            cost[i, j] = ((0.0 if x.id == y.id else 4.0) + (0.0 if x.content == y.content
                                                             else 1.0)
                          + 0.1 * abs(i / len(a) - j / len(b)))
            if roles and (x.given is not None) != (y.id in old_given):
                cost[i, j] += ROLE_COST
    rows, cols = linear_sum_assignment(cost)
    return {a[i].id: b[j].id for i, j in zip(rows, cols, strict=True) if cost[i, j] < big}


def partners(task: Task) -> dict[str, list[tuple[str, str]]]:
    """Object id → (partner id, relation) for every stated relation, both ways, and for
    what an object is built on (a graph's axes, a brace's target, an arrow's ends)."""
    out: dict[str, list[tuple[str, str]]] = {o.id: [] for o in task.objects}
    for r in task.relations:
        if r.a in out and r.b in out and r.a != r.b:
            out[r.a].append((r.b, r.rel))
            out[r.b].append((r.a, r.rel))
    for o in task.objects:
        for d in dependencies(o):
            if d in out and d != o.id:
                out[o.id].append((d, "built_on"))
                out[d].append((o.id, "built_on"))
    return out
