"""``oracle``: the task's reference code — the upper bound that proves the scorers."""

from __future__ import annotations

from benchmark.submission import Generation, Submission, SubmissionError
from benchmark.tasks import Task

__all__ = ["Oracle"]


class Oracle(Submission):
    name = "oracle"

    def generate(self, task: Task) -> Generation:
        if task.reference.code is None:
            raise SubmissionError(f"oracle: task {task.id} has no reference code")
        return Generation(code=task.reference.code, layout=list(task.reference.layout))
