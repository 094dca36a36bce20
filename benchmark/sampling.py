"""Several samples per task, and self-repair: optional extensions of the submission contract.

A plain :class:`~benchmark.core.submission.Submission` writes one program per task
and the runner scores it.  A submission may also say (as attributes, so any
class can opt in; :class:`SamplingSubmission` declares them with defaults):

- ``samples`` (int, default 1): how many programs to write per task.  The runner
  asks ``generate_samples(task, n)`` for them, renders and scores each, and the
  task's row reports ``compiled`` and ``rendered`` as unbiased pass@1 (with
  ``compiled_pass@k`` / ``rendered_pass@k`` for larger k) and every other metric
  as its mean over the samples (``benchmark.scoring.combine_samples``).
- ``repair_rounds`` (int, default 0): how many times a program that did not
  render (status other than ``ok``, or nothing visible) is handed back to
  ``repair(task, attempt, feedback)`` with what the sandbox said — its status,
  its one-line error and the tail of its stderr, never anything measured
  against the reference — for a corrected program.
- ``concurrent`` (bool, default False): ``generate``, ``generate_samples`` and
  ``repair`` may be called from several threads at once, so the runner calls
  them from its workers (``--jobs`` tasks in flight; a batching backend can
  serve them together).  Otherwise every call is serialised.

Each sample's attempts (status, code hash, code file, the round that rendered)
are recorded in the row's ``generation["sampling"]``; the row's own code, frame
and status are the first sample's final attempt.

A submission whose model cannot answer at all (a server that stays down after
its retries, weights that cannot load) raises :class:`ModelUnavailable`: the
runner then stops the run, resumable, instead of recording every remaining
task as failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from benchmark.core.submission import Generation, Submission
from benchmark.core.tasks import Task
from benchmark.sandbox import Status

__all__ = ["Feedback", "ModelUnavailable", "SamplingPlan", "SamplingSubmission",
           "sampling_plan"]


class ModelUnavailable(RuntimeError):
    """The model cannot answer any task now; the run stops (and can be resumed)."""


@dataclass(frozen=True)
class Feedback:
    """What the sandbox said about one attempt: what a repair round shows the model.

    ``status`` is the sandbox status; ``error`` its
    one-line reason (for ``ok`` with nothing visible, a sentence saying so);
    ``stderr_tail`` the end of the scene's stderr; ``round`` the round that wrote
    the attempt (0: the first).
    """

    status: Status
    error: str
    stderr_tail: str
    round: int


class SamplingSubmission(Submission):
    """A submission that writes several programs per task and can repair them."""

    #: programs per task (pass@k)
    samples: int = 1
    #: times a program that did not render is handed back with the sandbox's feedback
    repair_rounds: int = 0
    #: whether the generation methods may run in several threads at once
    concurrent: ClassVar[bool] = False

    def generate_samples(self, task: Task, n: int) -> list[Generation]:
        """``n`` programs for one task (default: ``generate`` called ``n`` times)."""
        return [self.generate(task) for _ in range(n)]

    def repair(self, task: Task, attempt: Generation, feedback: Feedback) -> Generation:
        """A corrected program, given the attempt that failed and what the sandbox said."""
        raise NotImplementedError(f"{self.name or type(self).__name__} cannot repair")


@dataclass(frozen=True)
class SamplingPlan:
    """How the runner treats one submission."""

    samples: int = 1
    repair_rounds: int = 0
    concurrent: bool = False

    @property
    def simple(self) -> bool:
        """One program per task, no repair: the plain contract."""
        return self.samples == 1 and self.repair_rounds == 0


def sampling_plan(submission: Submission) -> SamplingPlan:
    """Read a submission's optional ``samples`` / ``repair_rounds`` / ``concurrent``."""
    def count(name: str, default: int) -> int:
        v = getattr(submission, name, default)
        return int(v) if isinstance(v, int) and not isinstance(v, bool) else default

    return SamplingPlan(max(1, count("samples", 1)), max(0, count("repair_rounds", 0)),
                        bool(getattr(submission, "concurrent", False)))
