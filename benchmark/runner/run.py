"""``run_benchmark``: start (or resume, or retry) a run, run its session, finish it."""

from __future__ import annotations

import contextlib
import time
from dataclasses import replace

from benchmark.core.submission import Submission, SubmissionError
from benchmark.core.tasks import Suite, Task
from benchmark.executors import make_renderer
from benchmark.render import RenderBackend
from benchmark.results import RunRecord, TaskResult
from benchmark.runner.options import (
    REFERENCE_NAMESPACE,
    RunInterrupted,
    RunnerError,
    RunOptions,
    RunStats,
)
from benchmark.runner.pipeline import run_tasks
from benchmark.runner.records import check_resume, finish, lpips_json, new_record, retry_plan
from benchmark.runner.references import reference_files, render_references
from benchmark.runner.session import Session
from benchmark.sampling import ModelUnavailable
from benchmark.sandbox import SandboxConfig
from benchmark.store import Store

__all__ = ["run_benchmark"]


def _prepare(submission: Submission, suite: Suite, store: Store, options: RunOptions,
             model: str, limit: int | None, resume: str | None, suite_source: str | None,
             retry: str | None) -> tuple[RunRecord, list[Task], list[TaskResult]]:
    """The run's record (new, or the one to resume), its tasks, and a retry's copied rows."""
    lpips = lpips_json(options.scoring)
    args = dict(getattr(submission, "args", {}))
    try:
        tasks = list(submission.select_tasks(list(suite), limited=limit is not None))
    except SubmissionError as exc:
        raise RunnerError(str(exc)) from None
    copies: list[TaskResult] = []
    if resume is not None:
        record = store.get_run(resume)
        check_resume(record, model, args, suite, limit, lpips)
    else:
        record = new_record(model, args, suite, len(tasks), limit, suite_source, options,
                            lpips)
        if retry is not None:
            record.origin, copies = retry_plan(store, retry, record, model, suite, limit,
                                               lpips, tasks)
    return record, tasks, copies


def _open_run(store: Store, record: RunRecord, copies: list[TaskResult], resumed: bool,
              renderer: RenderBackend, stats: RunStats) -> None:
    """Create the run (or mark a resumed one running), recording the sandbox mode."""
    mode, note = renderer.sandbox_mode, renderer.fallback_reason
    if mode == "rlimit-only" and not note:
        note = "requested (--sandbox rlimit-only)"
    stats.sandbox_mode = mode
    if not resumed:
        record.sandbox_mode, record.sandbox_note = mode, note
        store.create_run(record, copies)
        return
    if record.sandbox_mode and record.sandbox_mode != mode:
        note = f"sessions ran under {record.sandbox_mode} and {mode}" + (
            f"; {note}" if note else "")
        mode = "mixed"
    store.update_run(record.run_id, status="running", finished=None,
                     sandbox_mode=mode, sandbox_note=note or record.sandbox_note)


def _run_session(session: Session, submission: Submission, pending: list[Task]) -> None:
    """The references' renders first (in their own namespace), then the submission's tasks."""
    options = session.options
    with _renderer(replace(options.sandbox, namespace=REFERENCE_NAMESPACE),
                   options) as ref_renderer:
        render_references(session, pending, ref_renderer)
    run_tasks(session, submission, pending)


def run_benchmark(submission: Submission, suite: Suite, store: Store,
                  options: RunOptions | None = None, *, model: str | None = None,
                  limit: int | None = None, resume: str | None = None,
                  suite_source: str | None = None, retry: str | None = None) -> RunStats:
    """Run (or, with ``resume=RUN_ID``, finish) ``submission`` on ``suite``.

    ``model`` is the registry name (default ``submission.name``); ``limit`` and
    ``suite_source`` (the name or path the suite was loaded from) are recorded
    so that a resume can load the same tasks.  The submission's
    ``select_tasks`` picks (and checks) the tasks before anything is stored.
    ``retry=RUN_ID``: a new run of the earlier run's infrastructure failures only
    (see ``benchmark.runner``).

    Raises ``RunnerError`` for a resume or retry that does not match the run, and
    ``RunInterrupted`` after Ctrl-C (the run is then marked ``interrupted``).
    """
    if resume is not None and retry is not None:
        raise RunnerError("resume and retry are exclusive: resume the retry run itself")
    options = options or RunOptions()
    if options.jobs < 1:
        raise RunnerError("jobs must be at least 1")
    model = model or submission.name or type(submission).__name__
    if options.sandbox.namespace == "default":
        options = replace(options, sandbox=replace(options.sandbox, namespace=f"model-{model}"))
    t_start = time.perf_counter()
    record, tasks, copies = _prepare(submission, suite, store, options, model, limit, resume,
                                     suite_source, retry)
    stats = RunStats(record.run_id, len(tasks))

    def stop(interrupted: bool) -> None:
        finish(store, record.run_id, tasks, stats, t_start, interrupted=interrupted,
               executor=options.executor)

    with _renderer(options.sandbox, options) as renderer:
        _open_run(store, record, copies, resume is not None, renderer, stats)
        done = store.done_task_ids(record.run_id)
        pending = [t for t in tasks if t.id not in done]
        stats.skipped = len(tasks) - len(pending)
        session = Session(store, record, options, stats, renderer)
        reference_files(session, pending, suite.root)
        try:
            _run_session(session, submission, pending)
        except ModelUnavailable as exc:
            with contextlib.suppress(Exception):
                stop(True)
            raise RunnerError(f"{exc}; run {record.run_id} stopped after "
                              f"{stats.skipped + stats.written}/{len(tasks)} tasks and can "
                              "be resumed with --resume") from None
        except KeyboardInterrupt:
            stop(True)
            raise RunInterrupted(record.run_id, stats.skipped + stats.written,
                                 len(tasks)) from None
        except BaseException:
            with contextlib.suppress(Exception):  # keep the original error, not this one
                stop(True)
            raise
    stop(False)
    return stats


def _renderer(config: SandboxConfig, options: RunOptions) -> RenderBackend:
    """This machine's sandbox renderer, or with ``executor="ray"`` the cluster's."""
    return make_renderer(options.executor, config, options.jobs, options.ray_address)
