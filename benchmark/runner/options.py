"""What a run is asked to do and what it did: options, statistics, errors."""

from __future__ import annotations

from dataclasses import dataclass, field

from benchmark.sandbox import SandboxConfig, Status
from benchmark.scoring import ScoringConfig

__all__ = ["INFRA_STATUSES", "REFERENCE_NAMESPACE", "RunInterrupted", "RunOptions", "RunStats",
           "RunnerError"]

REFERENCE_NAMESPACE = "reference"
#: statuses that say the machine or the model failed, not the task's code: what
#: ``retry`` re-runs (a generation error is recorded as ``crashed``)
INFRA_STATUSES = frozenset({Status.TIMEOUT, Status.CRASHED})


class RunnerError(Exception):
    """A run that cannot start or resume as asked; one readable line."""


class RunInterrupted(Exception):
    """Ctrl-C / SIGTERM: the run is marked interrupted and can be resumed."""

    def __init__(self, run_id: str, done: int, total: int) -> None:
        super().__init__(f"run {run_id} interrupted after {done}/{total} tasks")
        self.run_id, self.done, self.total = run_id, done, total


@dataclass(frozen=True)
class RunOptions:
    """How to run (not what): workers, sandbox, scoring, seed, progress display, executor.

    With ``executor="ray"`` renders run on the Ray cluster at ``ray_address``
    (``jobs`` at a time); generation, scoring and every write stay here.

    ``sandbox.namespace`` is the submission's TeX-cache namespace; the runner
    replaces the default ``"default"`` with ``"model-<name>"``.
    """

    jobs: int = 1
    sandbox: SandboxConfig = field(default_factory=SandboxConfig)
    scoring: ScoringConfig = field(default_factory=ScoringConfig)
    seed: int = 0
    progress: bool = False
    executor: str = "local"  # where renders run: "local" or "ray" (benchmark.executors)
    ray_address: str = "auto"  # the Ray cluster, with executor "ray"


@dataclass
class RunStats:
    """What one call of ``run_benchmark`` did (this session only)."""

    run_id: str
    n_tasks: int
    written: int = 0  # results recorded now
    skipped: int = 0  # already recorded by an earlier session
    renders: int = 0  # sandbox calls, references included
    cache_hits: int = 0  # renders served by the cache
    generate_s: float = 0.0
    wall_s: float = 0.0
    sandbox_mode: str = ""
    status: str = "running"

    def tasks_per_s(self) -> float:
        return self.written / self.wall_s if self.wall_s > 0 else 0.0
