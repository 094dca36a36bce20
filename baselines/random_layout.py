"""``random``: the task's objects at random positions — the lower bound.

Every free object keeps its natural size and gets a centre drawn uniformly from
the frame (14.222 × 8 units, centred).  ``given`` objects stay on their boxes and
dependent objects (graphs, arrows, braces) follow their anchors, as
``compose_scene`` writes them.  Objects the composer cannot write (a 3b1b
character or image) are left out and listed in ``meta["unwritable"]``.  The draw
is seeded by the ``seed`` model argument combined with the task id, so every task
gets its own layout and a run repeats exactly.
"""

from __future__ import annotations

import random
from typing import ClassVar

from benchmark.compose import DEPENDENT_KINDS, Placement, compose_writable
from benchmark.core.frame import FRAME_HALF_HEIGHT, FRAME_HALF_WIDTH
from benchmark.core.submission import Generation, Submission
from benchmark.core.tasks import Task

__all__ = ["FRAME_X_RADIUS", "FRAME_Y_RADIUS", "RandomLayout"]

FRAME_X_RADIUS = FRAME_HALF_WIDTH
FRAME_Y_RADIUS = FRAME_HALF_HEIGHT


class RandomLayout(Submission):
    name = "random"
    args_help: ClassVar[dict[str, str]] = {
        "seed": "integer seed, combined with the task id (default 0)"}

    def generate(self, task: Task) -> Generation:
        seed = self.int_arg("seed", 0)
        rng = random.Random(f"{seed}:{task.id}")
        placements = {
            o.id: Placement(rng.uniform(-FRAME_X_RADIUS, FRAME_X_RADIUS),
                            rng.uniform(-FRAME_Y_RADIUS, FRAME_Y_RADIUS))
            for o in task.objects if o.given is None and o.kind not in DEPENDENT_KINDS}
        code, unwritable = compose_writable(task, placements)
        meta: dict[str, object] = {"seed": seed}
        if unwritable:  # a 3b1b character or image: left out, as every composed submission
            meta["unwritable"] = unwritable
        return Generation(code=code, meta=meta)
