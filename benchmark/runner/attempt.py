"""One program of one task, rendered through the cache, then scored."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from benchmark.core.submission import Generation
from benchmark.core.tasks import Task
from benchmark.outcome import Outcome, compiles
from benchmark.runner.references import Reference
from benchmark.runner.session import Session
from benchmark.sampling import Feedback
from benchmark.sandbox import Status
from benchmark.scoring import score_outcome
from benchmark.store import RenderLookup, measured_objects

__all__ = ["Attempt", "attempt", "scored"]


@dataclass
class Attempt:
    """One program of one task, rendered (not yet scored)."""

    gen: Generation | None
    code: str
    status: Status
    error: str
    stderr: str
    lookup: RenderLookup | None
    render_s: float
    round: int = 0

    @property
    def rendered(self) -> bool:
        """Ran and left something visible: what ends a task's repair rounds."""
        return (self.status == Status.OK and self.lookup is not None
                and any(o.visible for o in self.lookup.objects))

    def feedback(self) -> Feedback:
        error = self.error
        if self.status == Status.OK and not error:
            error = "the scene ran, but nothing it drew is visible in the final frame"
        return Feedback(self.status, error, self.stderr[-2000:], self.round)


def attempt(session: Session, task: Task, gen: Generation | None, gen_error: str,
            ref: Reference, round_: int = 0) -> Attempt | None:
    """Render one program (through the cache); ``None`` once the run is stopping.

    A program that failed to generate (``gen_error``) is a ``crashed`` attempt with
    no render.
    """
    t0 = time.perf_counter()
    code = gen.code if gen is not None else ""
    ref_entry, ref_frame = ref
    lookup: RenderLookup | None = None
    status, error, stderr = Status.CRASHED, gen_error, ""
    if not gen_error:
        if ref_entry is not None and code == task.reference.code:
            session.count(hits=1)  # the reference's own render of this very code
            lookup = RenderLookup(ref_entry, measured_objects(ref_entry), ref_frame, True)
        else:
            lookup = session.render(session.renderer, code, session.salt)
            if lookup is None:
                return None
        status, error = lookup.status, lookup.entry.error
        stderr = lookup.entry.stderr_tail
    return Attempt(gen, code, status, error, stderr, lookup, time.perf_counter() - t0, round_)


def scored(session: Session, task: Task, att: Attempt, ref_frame: np.ndarray | None
           ) -> tuple[dict[str, float | None], float]:
    """The attempt's metrics and the seconds scoring took."""
    lookup = att.lookup
    outcome = Outcome(code=att.code, compiled=att.gen is not None and compiles(att.code),
                      status=att.status, error=att.error,
                      objects=lookup.objects if lookup else [],
                      frame=lookup.frame if lookup else None, reference_frame=ref_frame)
    t1 = time.perf_counter()
    metrics = score_outcome(task, outcome, session.options.scoring)
    return metrics, time.perf_counter() - t1
