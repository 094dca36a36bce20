"""The submission contract: one abstract method, ``generate(task) -> Generation``.

A submission receives a task (prompt, objects, relations, any ``given`` context
boxes — never the reference) and returns Manim CE code, optionally with the
layout it intended.  Submissions are registered by name; ``--model-arg k=v``
pairs reach the constructor as string keyword arguments.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

from benchmark.core.registry import Registry
from benchmark.core.tasks import Layout, Task

__all__ = ["Generation", "Submission", "SubmissionError", "register_submission", "submissions"]


class SubmissionError(ValueError):
    """Bad model arguments or a submission that cannot start; one readable line."""


@dataclass
class Generation:
    code: str
    layout: Layout | None = None
    meta: dict[str, Any] = field(default_factory=dict)


class Submission(ABC):
    """Subclass, set ``name``, implement ``generate``; register with the decorator."""

    name: ClassVar[str] = ""
    #: argument name -> help text, shown by ``python -m benchmark models``
    args_help: ClassVar[dict[str, str]] = {}

    def __init__(self, **args: str) -> None:
        unknown = sorted(set(args) - set(self.args_help))
        if unknown:
            known = ", ".join(sorted(self.args_help)) or "none"
            raise SubmissionError(f"{self.name or type(self).__name__}: unknown model argument"
                                  f" {unknown[0]!r} (accepted: {known})")
        self.args = dict(args)

    @abstractmethod
    def generate(self, task: Task) -> Generation:
        """Write Manim CE code for one task."""

    def select_tasks(self, tasks: list[Task], limited: bool = False) -> list[Task]:
        """The tasks of the suite this submission runs on, called before anything runs
        (default: all of them).  A submission that can answer only some tasks (``file``)
        checks them here and raises ``SubmissionError`` naming what is wrong;
        ``limited``: the suite was cut by ``--limit``, so it lacks tasks of the split."""
        return tasks

    def int_arg(self, key: str, default: int) -> int:
        try:
            return int(self.args.get(key, default))
        except ValueError:
            raise SubmissionError(f"{self.name}: model argument {key} must be an integer, "
                                  f"got {self.args[key]!r}") from None

    def float_arg(self, key: str, default: float) -> float:
        try:
            return float(self.args.get(key, default))
        except ValueError:
            raise SubmissionError(f"{self.name}: model argument {key} must be a number, "
                                  f"got {self.args[key]!r}") from None


submissions: Registry[type[Submission]] = Registry("model", "jepa_manim.submissions")
register_submission = submissions.register

# Built-ins, lazily: nothing is imported until a name is resolved.
submissions.add("oracle", "baselines.oracle:Oracle")
submissions.add("random", "baselines.random_layout:RandomLayout")
submissions.add("template", "baselines.template:Template")
submissions.add("file", "baselines.file:FileGenerations")
submissions.add("retrieval", "baselines.retrieval:Retrieval")
submissions.add("llm", "baselines.llm.submission:Llm")
submissions.add("jepa", "jepa_model.submission:Jepa")
