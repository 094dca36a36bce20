"""Run a submission on a suite: generate, render (through the cache), score, record.

One task's result is one row written in one transaction after its files
exist, and ``UNIQUE(run_id, task_id)`` with insert-or-ignore means a task is
never recorded twice; a killed run (even ``kill -9``) loses at most the tasks
in flight, and ``resume`` finishes exactly the tasks without a row.  Every
step is deterministic (renders are cached by code hash, each task's
generation is seeded from the run seed and the task id, bootstrap intervals
are seeded), so a resumed run's numbers equal an uninterrupted run's.

Concurrency: generation is sequential in the calling thread (submissions need
not be thread-safe); rendering and scoring run ``jobs`` at a time on a
``benchmark.render.RenderBackend`` with ``jobs`` sandbox workers; writes are serialised by the
store.  Reference code is rendered first, in its own TeX namespace, so the
reference frames never depend on what a submission's code did to its cache.

A submission whose ``generate`` raises is recorded as status ``crashed``
(the closed status set, ``benchmark.sandbox.Status``, has no generation status) with an
error starting ``"generation failed: "``, empty code, and no render.  One
that raises ``ModelUnavailable`` stops the run instead (resumable).

A submission may ask for several samples per task and for self-repair rounds
(``benchmark.sampling``): each sample's attempts are rendered in turn, a
failed attempt's sandbox feedback goes back to the submission, and the task's
row holds pass@k / mean-over-samples metrics with every attempt listed in
``generation["sampling"]``.  A submission that declares itself ``concurrent``
generates inside the worker threads; any other is called by one thread at a
time.

With ``RunOptions(executor="ray")`` the renders go to a Ray cluster
(``benchmark.executors``) and come back as the same reports; generation, the
render cache, scoring and every write stay in this process, so the rows are
the ones the local executor writes.

``retry=RUN_ID`` re-runs only the tasks of a complete run that failed for a
reason other than their code (``INFRA_STATUSES``: a timeout, a crash, a
generation error) as a new run: its ``origin`` names the earlier run and the
retried tasks, every other row is copied from the earlier run in the
transaction that creates the new one, and the earlier run keeps the first
attempts unchanged.

Modules: ``options`` (what a run is asked, what it did), ``records`` (the run's
record: new, resumed, retried, finished), ``session`` (the state the worker
threads share, and running them), ``references``, ``generation`` (calling the
submission), ``attempt`` (one program rendered and scored), ``pipeline`` (a
task's samples and repairs into one row), ``writes`` (the row and its files)
and ``run`` (``run_benchmark``).
"""

from __future__ import annotations

from benchmark._provenance import git_sha, package_versions, task_seed
from benchmark.runner.options import (
    INFRA_STATUSES,
    REFERENCE_NAMESPACE,
    RunInterrupted,
    RunnerError,
    RunOptions,
    RunStats,
)
from benchmark.runner.records import infrastructure_failure, lpips_json, new_run_id, scoring_json
from benchmark.runner.run import run_benchmark

__all__ = ["INFRA_STATUSES", "REFERENCE_NAMESPACE", "RunInterrupted", "RunOptions", "RunStats",
           "RunnerError", "git_sha", "infrastructure_failure", "lpips_json", "new_run_id",
           "package_versions", "run_benchmark", "scoring_json", "task_seed"]
