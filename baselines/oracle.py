"""``oracle``: the task's reference — the upper bound that proves the scorers.

A task with reference code gets that code (``meta["oracle"] == "reference_code"``).
A task without it (the 3b1b suite: the reference is a measured layout and frame)
gets the composer's scene of its reference layout (``"composed"``): every object
the shared vocabulary can write (:func:`benchmark.compose.writable`) is built and
scaled onto its reference box — free objects keep their aspect, graphs, arrows
and braces are built on their anchors and stretched onto their boxes — and
given objects go to their given boxes.  Objects it cannot write (images,
characters, groups, ``other``, a graph without an expression, anything built on
those) are left out and listed in ``meta["unwritable"]`` (the targets among them
in ``meta["unwritable_targets"]``); they are not drawn, so they score as misses.
The composed oracle is therefore the ceiling of what the composer can reach on
the suite, not of the suite itself.
"""

from __future__ import annotations

from benchmark.compose import Placement, compose_writable
from benchmark.core.submission import Generation, Submission
from benchmark.core.tasks import Task

__all__ = ["Oracle", "composed_reference"]


class Oracle(Submission):
    name = "oracle"

    def generate(self, task: Task) -> Generation:
        if task.reference.code is not None:
            return Generation(code=task.reference.code, layout=list(task.reference.layout),
                              meta={"oracle": "reference_code"})
        return composed_reference(task)


def composed_reference(task: Task) -> Generation:
    """The composer's scene of ``task``'s reference layout (see the module docstring)."""
    placements = {p.id: Placement.of_box(p.box) for p in task.reference.layout}
    code, unwritable = compose_writable(task, placements, fit_dependents=True)
    layout = [p for p in task.reference.layout if p.id not in unwritable]
    given = task.given_ids
    return Generation(code=code, layout=layout, meta={
        "oracle": "composed", "unwritable": unwritable,
        "unwritable_targets": [i for i in unwritable if i not in given]})
