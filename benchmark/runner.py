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
``Renderer`` with ``jobs`` sandbox workers; writes are serialised by the
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
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import secrets
import threading
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from benchmark._progress import progress_bar
from benchmark._provenance import git_sha, now_iso, package_versions, seed_all, task_seed
from benchmark.core.submission import Generation, Submission, SubmissionError
from benchmark.core.tasks import Suite, Task
from benchmark.outcome import Outcome, compiles
from benchmark.render import Renderer
from benchmark.results import RunRecord, TaskResult
from benchmark.sampling import Feedback, ModelUnavailable, SamplingPlan, sampling_plan
from benchmark.sandbox import SandboxConfig
from benchmark.scoring import ScoringConfig, lpips_status, score_outcome
from benchmark.scoring.aggregate import combine_samples
from benchmark.store import (
    CachedRender,
    RenderCache,
    RenderLookup,
    Store,
    measured_objects,
    render_salt,
)

__all__ = ["INFRA_STATUSES", "REFERENCE_NAMESPACE", "RunInterrupted", "RunOptions", "RunStats",
           "RunnerError", "git_sha", "infrastructure_failure", "lpips_json", "new_run_id",
           "package_versions", "run_benchmark", "scoring_json", "task_seed"]

REFERENCE_NAMESPACE = "reference"
#: statuses that say the machine or the model failed, not the task's code: what
#: ``retry`` re-runs (a generation error is recorded as ``crashed``)
INFRA_STATUSES = frozenset({"timeout", "crashed"})


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


def _jsonable(obj: Any) -> Any:
    """A JSON-native copy (unknown types as strings, non-finite floats as null)."""
    def fix(v: Any) -> Any:
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, dict):
            return {str(k): fix(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [fix(x) for x in v]
        return v

    return fix(json.loads(json.dumps(obj, default=str)))


def _one_line(text: str, limit: int = 500) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class _Attempt:
    """One program of one task, rendered (not yet scored)."""

    gen: Generation | None
    code: str
    status: str
    error: str
    stderr: str
    lookup: RenderLookup | None
    render_s: float
    round: int = 0

    @property
    def rendered(self) -> bool:
        """Ran and left something visible: what ends a task's repair rounds."""
        return (self.status == "ok" and self.lookup is not None
                and any(o.visible for o in self.lookup.objects))

    def feedback(self) -> Feedback:
        error = self.error
        if self.status == "ok" and not error:
            error = "the scene ran, but nothing it drew is visible in the final frame"
        return Feedback(self.status, error, self.stderr[-2000:], self.round)


def scoring_json(config: ScoringConfig) -> dict[str, Any]:
    from benchmark.scoring import METRICS, SCORING_VERSION

    return {"scorers": list(config.scorers), "lpips": config.lpips,
            "lpips_weights": str(config.lpips_weights) if config.lpips_weights else None,
            "metrics": list(METRICS), "version": SCORING_VERSION}


def lpips_json(config: ScoringConfig) -> dict[str, Any]:
    from benchmark.scoring import lpips_model

    reason = lpips_status(config)
    if reason is not None:
        return {"available": False, "reason": reason, "weights": None, "sha256": None}
    model = lpips_model(config)
    return {"available": True, "reason": None, "weights": str(getattr(model, "weights", "")),
            "sha256": getattr(model, "sha256", None)}


# -- one session: references first, then the submission's tasks ------------------------------

class _Session:
    """State shared by the worker threads of one ``run_benchmark`` call."""

    def __init__(self, store: Store, record: RunRecord, options: RunOptions,
                 stats: RunStats) -> None:
        self.store = store
        self.record = record
        self.options = options
        self.cache = RenderCache(store)
        self.stats = stats
        self.stopping = threading.Event()
        self.references: dict[str, CachedRender] = {}
        self.renderer: Renderer | None = None
        self.bar: Any = None
        self._lock = threading.Lock()
        self.gen_lock: Any = threading.Lock()  # a nullcontext for concurrent submissions

    def count(self, *, renders: int = 0, hits: int = 0, written: int = 0,
              generate_s: float = 0.0) -> None:
        with self._lock:
            self.stats.renders += renders
            self.stats.cache_hits += hits
            self.stats.written += written
            self.stats.generate_s += generate_s

    def render(self, renderer: Renderer, code: str, salt: str) -> RenderLookup | None:
        """The cached render, else a sandbox render; ``None`` once the run is stopping."""
        hit = self.cache.lookup(code, salt)
        if hit is not None:
            self.count(hits=1)
            return hit
        if self.stopping.is_set():
            return None
        report = renderer.render(code)
        if self.stopping.is_set():
            return None  # the sandbox may have been torn down under this render
        self.count(renders=1)
        entry = self.cache.record(code, salt, report)
        frame = None if report.frame is None else np.ascontiguousarray(report.frame[..., :3])
        return RenderLookup(entry, measured_objects(entry), frame, cached=False)

    # -- references ----------------------------------------------------------------------

    def reference_files(self, tasks: list[Task], root: Path | None) -> None:
        """Reference frames shipped as files (tasks without reference code, e.g. 3b1b)."""
        for task in tasks:
            rel = task.reference.frame
            if task.reference.code is not None or not rel:
                continue
            path = (root or Path.cwd()) / rel
            try:
                from PIL import Image

                with Image.open(path) as im:
                    frame = np.asarray(im.convert("RGB"), dtype=np.uint8)
            except (OSError, ValueError) as exc:
                raise RunnerError(f"task {task.id}: cannot read its reference frame "
                                  f"{path}: {exc}") from None
            self.references[task.id] = CachedRender(
                key=f"file:{rel}", salt="", status="ok",
                frame=self.store.artifacts.put_frame(frame))

    def render_references(self, tasks: list[Task], renderer: Renderer) -> None:
        """Look up (or render, in the reference namespace) every task's reference code."""
        salt = render_salt(renderer, REFERENCE_NAMESPACE)
        missing: list[Task] = []
        for task in tasks:
            code = task.reference.code
            if code is None:
                continue
            entry = self.store.get_render(self.cache.key(code, salt))
            if entry is not None and (entry.frame is None
                                      or self.store.artifacts.path(entry.frame).is_file()):
                self.references[task.id] = entry
            else:
                missing.append(task)
        if not missing:
            return

        def one(task: Task) -> None:
            got = self.render(renderer, task.reference.code or "", salt)
            if got is not None:
                self.references[task.id] = got.entry
                bar.update(1)

        with progress_bar(len(missing), "references", self.options.progress) as bar:
            _parallel(self, self.options.jobs, (lambda t=t: one(t) for t in missing),
                      renderer)

    def reference(self, task: Task) -> tuple[CachedRender | None, np.ndarray | None]:
        entry = self.references.get(task.id)
        if entry is None or entry.frame is None:
            return entry, None
        return entry, self.store.artifacts.read_frame(entry.frame)

    # -- tasks ---------------------------------------------------------------------------

    def attempt(self, task: Task, gen: Generation | None, gen_error: str,
                ref: tuple[CachedRender | None, np.ndarray | None], round_: int = 0
                ) -> _Attempt | None:
        """Render one program (through the cache); ``None`` once the run is stopping."""
        assert self.renderer is not None
        t0 = time.perf_counter()
        code = gen.code if gen is not None else ""
        ref_entry, ref_frame = ref
        lookup: RenderLookup | None = None
        status, error, stderr = "crashed", gen_error, ""
        if not gen_error:
            if ref_entry is not None and code == task.reference.code:
                self.count(hits=1)  # the reference's own render of this very code
                lookup = RenderLookup(ref_entry, measured_objects(ref_entry), ref_frame, True)
            else:
                lookup = self.render(self.renderer, code, self.salt)
                if lookup is None:
                    return None
            status, error = lookup.entry.status, lookup.entry.error
            stderr = lookup.entry.stderr_tail
        return _Attempt(gen, code, status, error, stderr, lookup,
                        time.perf_counter() - t0, round_)

    def scored(self, task: Task, att: _Attempt, ref_frame: np.ndarray | None
               ) -> tuple[dict[str, float | None], float]:
        """The attempt's metrics and the seconds scoring took."""
        lookup = att.lookup
        outcome = Outcome(code=att.code, compiled=att.gen is not None and compiles(att.code),
                          status=att.status, error=att.error,
                          objects=lookup.objects if lookup else [],
                          frame=lookup.frame if lookup else None, reference_frame=ref_frame)
        t1 = time.perf_counter()
        metrics = score_outcome(task, outcome, self.options.scoring)
        return metrics, time.perf_counter() - t1

    def write_result(self, task: Task, att: _Attempt, metrics: dict[str, float | None],
                     ref_entry: CachedRender | None, timings: dict[str, float],
                     generation: dict[str, Any]) -> None:
        """Write the task's row (after its code file); count it and advance the bar."""
        code_path = (self.store.artifacts.write_code(self.record.run_id, task.id, att.code)
                     if att.gen is not None else None)
        entry = att.lookup.entry if att.lookup else None
        result = TaskResult(
            run_id=self.record.run_id, task_id=task.id, family=task.family,
            difficulty=task.difficulty, status=att.status, error=att.error,
            stderr_tail=att.stderr[-2000:],
            code_hash=hashlib.sha256(att.code.encode()).hexdigest(), code_path=code_path,
            metrics=metrics, objects=att.lookup.objects if att.lookup else [],
            frame=entry.frame if entry else None,
            reference_frame=ref_entry.frame if ref_entry else None,
            snapshot=entry.snapshot if entry else None,
            keyframes=entry.keyframes if entry else 0,
            render_cached=bool(att.lookup and att.lookup.cached),
            sandbox_mode=entry.sandbox_mode if entry else "",
            timings=timings, generation=generation, created=now_iso())
        if self.stopping.is_set():
            return
        if self.store.add_result(result):
            self.count(written=1)
        if self.bar is not None:
            self.bar.update(1)

    def score(self, task: Task, gen: Generation | None, gen_error: str, gen_s: float) -> None:
        """Render, score and record one task's one program (in a worker thread)."""
        ref = self.reference(task)
        att = self.attempt(task, gen, gen_error, ref)
        if att is None:
            return
        metrics, score_s = self.scored(task, att, ref[1])
        self.write_result(task, att, metrics, ref[0],
                          {"generate_s": gen_s, "render_s": att.render_s, "score_s": score_s},
                          _jsonable(gen.meta) if gen is not None else {})

    def score_samples(self, submission: Submission, plan: SamplingPlan, task: Task,
                      gens: list[Generation] | None, gen_error: str, gen_s: float) -> None:
        """Several programs for one task, each repaired up to ``plan.repair_rounds`` times;
        one row with the combined metrics (in a worker thread; a concurrent submission's
        programs are generated here too, even a single one)."""
        if gens is None and not gen_error:  # a concurrent submission generates here
            gens, gen_error, gen_s = _generate_samples(submission, task, plan.samples, None)
            self.count(generate_s=gen_s)
        ref = self.reference(task)
        firsts: list[Generation | None] = list(gens or [None] * plan.samples)
        chains: list[list[_Attempt]] = []
        finals: list[tuple[_Attempt, dict[str, float | None]]] = []
        render_s = score_s = 0.0
        for gen in firsts:
            att = self.attempt(task, gen, gen_error, ref)
            if att is None:
                return
            chain = [att]
            while not att.rendered and att.gen is not None and att.round < plan.repair_rounds:
                fixed, error, s = self.repair(submission, task, att)
                gen_s += s
                nxt = self.attempt(task, fixed, error, ref, att.round + 1)
                if nxt is None:
                    return
                att = nxt
                chain.append(att)
            metrics, s = self.scored(task, att, ref[1])
            render_s += sum(a.render_s for a in chain)
            score_s += s
            chains.append(chain)
            finals.append((att, metrics))
        first, _ = finals[0]
        generation = dict(_jsonable(first.gen.meta)) if first.gen is not None else {}
        if not plan.simple:  # one program, no repair: the row is exactly a plain one
            generation["sampling"] = {
                "n": plan.samples, "repair_rounds": plan.repair_rounds,
                "samples": [self.sample_json(task, i, chain, metrics)
                            for i, (chain, (_, metrics)) in enumerate(zip(chains, finals,
                                                                          strict=True))]}
        combined = combine_samples([m for _, m in finals])
        self.write_result(task, first, combined, ref[0],
                          {"generate_s": gen_s, "render_s": render_s, "score_s": score_s},
                          generation)

    def repair(self, submission: Submission, task: Task, att: _Attempt
               ) -> tuple[Generation | None, str, float]:
        """Hand a failed attempt back with the sandbox's feedback (one caller at a time
        unless the submission is concurrent)."""
        assert att.gen is not None
        t0 = time.perf_counter()
        try:
            with self.gen_lock:
                gen = submission.repair(task, att.gen, att.feedback())  # type: ignore[attr-defined]
            _check_generation(gen)
        except ModelUnavailable:
            raise
        except Exception as exc:  # a failed repair is this sample's result
            s = time.perf_counter() - t0
            self.count(generate_s=s)
            return None, _one_line(f"generation failed: repair: {type(exc).__name__}: {exc}"), s
        s = time.perf_counter() - t0
        self.count(generate_s=s)
        return gen, "", s

    def sample_json(self, task: Task, index: int, chain: list[_Attempt],
                    metrics: dict[str, float | None]) -> dict[str, Any]:
        """One sample for ``generation["sampling"]["samples"]``; writes its attempts' code."""
        attempts = []
        for att in chain:
            path = None
            if att.gen is not None:
                path = self.store.artifacts.write_code(
                    self.record.run_id, f"{task.id}@s{index}r{att.round}", att.code)
            attempts.append({"round": att.round, "status": att.status,
                             "error": _one_line(att.error, 300),
                             "code_hash": hashlib.sha256(att.code.encode()).hexdigest(),
                             "code_path": path})
        final = chain[-1]
        entry = final.lookup.entry if final.lookup is not None else None
        return {"index": index, "status": final.status, "error": _one_line(final.error, 300),
                "snapshot": entry.snapshot if entry else None,
                "frame": entry.frame if entry else None,
                "round": final.round, "rendered": final.rendered,
                "repaired": final.rendered and final.round > 0,
                "code_hash": attempts[-1]["code_hash"], "code_path": attempts[-1]["code_path"],
                "metrics": _jsonable(metrics), "attempts": attempts,
                "meta": _jsonable(final.gen.meta) if final.gen is not None else {}}

    @property
    def salt(self) -> str:
        assert self.renderer is not None
        return render_salt(self.renderer, self.options.sandbox.namespace)

    def run_tasks(self, submission: Submission, tasks: list[Task]) -> None:
        assert self.renderer is not None
        seed = self.options.seed
        plan = sampling_plan(submission)
        if plan.concurrent:
            self.gen_lock = contextlib.nullcontext()

        def jobs() -> Iterator[Any]:
            for task in tasks:
                if plan.simple and not plan.concurrent:
                    gen, error, gen_s = _generate(submission, task, seed)
                    self.count(generate_s=gen_s)
                    yield lambda task=task, gen=gen, error=error, gen_s=gen_s: self.score(
                        task, gen, error, gen_s)
                    continue
                gens, error, gen_s = None, "", 0.0
                if not plan.concurrent:  # generated here, in order, like a plain submission
                    with self.gen_lock:  # never while a worker's repair call runs
                        gens, error, gen_s = _generate_samples(submission, task, plan.samples,
                                                               seed)
                    self.count(generate_s=gen_s)
                yield lambda task=task, gens=gens, error=error, gen_s=gen_s: (
                    self.score_samples(submission, plan, task, gens, error, gen_s))

        done = len(self.store.done_task_ids(self.record.run_id))
        with progress_bar(self.stats.n_tasks, self.record.model, self.options.progress,
                          initial=done) as self.bar:
            _parallel(self, self.options.jobs, jobs(), self.renderer)
        self.bar = None


def _parallel(session: _Session, workers: int, calls: Iterator[Any], renderer: Renderer
              ) -> None:
    """Run ``calls`` ``workers`` at a time (at most 2 × workers queued), in this order.

    On any exception or Ctrl-C: stop accepting results, cancel what has not
    started, kill the sandbox processes so running renders end now (their
    threads see the worker die and return; nothing is recorded), and re-raise.
    """
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bench")
    inflight: set[Future[None]] = set()
    try:
        for call in calls:
            inflight.add(pool.submit(call))
            if len(inflight) >= 2 * workers:
                done, inflight = wait(inflight, return_when=FIRST_COMPLETED)
                for f in done:
                    f.result()
        for f in wait(inflight).done:
            f.result()
    except BaseException:
        session.stopping.set()
        pool.shutdown(wait=False, cancel_futures=True)
        _kill_sandboxes(renderer)
        pool.shutdown(wait=True)
        raise
    pool.shutdown(wait=True)


def _kill_sandboxes(renderer: Renderer) -> None:
    """Stop renders in flight at once; the threads using the workers clean up."""
    renderer.pool.abort()


def infrastructure_failure(result: TaskResult) -> bool:
    """The row, or one of its samples, failed for a reason other than its code: a timeout,
    a crash or a generation error (never ``syntax_error``, ``runtime_error``, …)."""
    sampling = result.generation.get("sampling")
    samples = sampling.get("samples", []) if isinstance(sampling, dict) else []
    statuses = [result.status, *(str(s.get("status")) for s in samples
                                 if isinstance(s, dict))]
    return (any(s in INFRA_STATUSES for s in statuses)
            or result.error.startswith("generation failed"))


def _check_generation(gen: object) -> None:
    if not isinstance(gen, Generation) or not isinstance(gen.code, str):
        raise TypeError(f"generate returned {type(gen).__name__}, expected a Generation "
                        "with code: str")


def _generate(submission: Submission, task: Task, seed: int
              ) -> tuple[Generation | None, str, float]:
    seed_all(task_seed(seed, task.id))
    t0 = time.perf_counter()
    try:
        gen = submission.generate(task)
        _check_generation(gen)
    except ModelUnavailable:
        raise
    except Exception as exc:  # a plug-in's failure is this task's result, not the run's
        error = _one_line(f"generation failed: {type(exc).__name__}: {exc}")
        return None, error, time.perf_counter() - t0
    return gen, "", time.perf_counter() - t0


def _generate_samples(submission: Submission, task: Task, n: int, seed: int | None
                      ) -> tuple[list[Generation] | None, str, float]:
    """``n`` programs for one task; ``seed`` ``None``: a concurrent submission seeds itself
    (seeding the global generators from several threads would race)."""
    if seed is not None:
        seed_all(task_seed(seed, task.id))
    t0 = time.perf_counter()
    try:
        many = getattr(submission, "generate_samples", None)
        gens = (list(many(task, n)) if many is not None
                else [submission.generate(task) for _ in range(n)])
        if len(gens) != n:
            raise TypeError(f"generate_samples returned {len(gens)} programs, expected {n}")
        for gen in gens:
            _check_generation(gen)
    except ModelUnavailable:
        raise
    except Exception as exc:  # every sample of this task failed to generate
        error = _one_line(f"generation failed: {type(exc).__name__}: {exc}")
        return None, error, time.perf_counter() - t0
    return gens, "", time.perf_counter() - t0


# -- starting, resuming, finishing -------------------------------------------------------------

def new_run_id(model: str) -> str:
    """``YYYYmmdd-HHMMSS-<model>-<hex>``: a new run's id."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in model)[:40] or "model"
    return f"{stamp}-{safe}-{secrets.token_hex(3)}"


def _new_record(model: str, args: dict[str, str], suite: Suite, n_tasks: int,
                limit: int | None, source: str | None, options: RunOptions,
                scoring: dict[str, Any], lpips: dict[str, Any]) -> RunRecord:
    return RunRecord(
        run_id=new_run_id(model), created=now_iso(), model=model,
        model_args=dict(args), suite=suite.name, split=suite.split,
        suite_version=suite.version, suite_hash=suite.hash, n_tasks=n_tasks, limit=limit,
        suite_source=source,
        git_sha=git_sha(), packages=package_versions(),
        seeds={"seed": options.seed, "bootstrap": 0,
               "per_task": "random, numpy and torch are seeded with "
                           "(seed * 1000003 + crc32(task_id)) mod 2**32 before each generate"},
        scoring=scoring, lpips=lpips)


def _check_resume(record: RunRecord, model: str, args: dict[str, str] | None, suite: Suite,
                  limit: int | None, lpips: dict[str, Any], verb: str = "resume") -> None:
    """``args`` ``None``: any model arguments (a retry may name new ones)."""
    def differs(what: str, was: object, now: object) -> RunnerError:
        return RunnerError(f"cannot {verb} run {record.run_id}: it ran {what} {was!r}, "
                           f"not {now!r}")

    if record.model != model:
        raise differs("model", record.model, model)
    if args is not None and dict(record.model_args) != dict(args):
        raise differs("with model args", record.model_args, args)
    if (record.suite, record.split) != (suite.name, suite.split):
        raise differs("suite/split", f"{record.suite}/{record.split}",
                      f"{suite.name}/{suite.split}")
    if record.limit != limit:
        raise differs("with --limit", record.limit, limit)
    if record.suite_hash != suite.hash:
        raise RunnerError(f"cannot {verb} run {record.run_id}: suite {suite.name}/{suite.split}"
                          f" has changed (hash {record.suite_hash} then, {suite.hash} now); "
                          "start a new run")
    if bool(record.lpips.get("available")) != bool(lpips.get("available")) or (
            record.lpips.get("sha256") != lpips.get("sha256")):
        was = record.lpips.get("weights") or "no LPIPS weights"
        raise RunnerError(f"cannot {verb} run {record.run_id}: it was scored with {was}; "
                          "pass the same --lpips-weights")


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
    (see the module's docstring).

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
    lpips = lpips_json(options.scoring)
    args = dict(getattr(submission, "args", {}))
    try:
        tasks = list(submission.select_tasks(list(suite), limited=limit is not None))
    except SubmissionError as exc:
        raise RunnerError(str(exc)) from None
    copies: list[TaskResult] = []
    if resume is not None:
        record = store.get_run(resume)
        _check_resume(record, model, args, suite, limit, lpips)
    else:
        record = _new_record(model, args, suite, len(tasks), limit, suite_source, options,
                             scoring_json(options.scoring), lpips)
        if retry is not None:
            record.origin, copies = _retry_plan(store, retry, record, model, suite, limit,
                                                lpips, tasks)
    stats = RunStats(record.run_id, len(tasks))
    with _renderer(options.sandbox, options) as renderer:
        mode, note = renderer.sandbox_mode, renderer.pool.fallback_reason
        if mode == "rlimit-only" and not note:
            note = "requested (--sandbox rlimit-only)"
        stats.sandbox_mode = mode
        if resume is None:
            record.sandbox_mode, record.sandbox_note = mode, note
            store.create_run(record, copies)
        else:
            if record.sandbox_mode and record.sandbox_mode != mode:
                note = f"sessions ran under {record.sandbox_mode} and {mode}" + (
                    f"; {note}" if note else "")
                mode = "mixed"
            store.update_run(record.run_id, status="running", finished=None,
                             sandbox_mode=mode, sandbox_note=note or record.sandbox_note)
        done = store.done_task_ids(record.run_id)
        pending = [t for t in tasks if t.id not in done]
        stats.skipped = len(tasks) - len(pending)
        session = _Session(store, record, options, stats)
        session.renderer = renderer
        session.reference_files(pending, suite.root)
        try:
            with _renderer(replace(options.sandbox, namespace=REFERENCE_NAMESPACE),
                           options) as ref_renderer:
                session.render_references(pending, ref_renderer)
            session.run_tasks(submission, pending)
        except ModelUnavailable as exc:
            with contextlib.suppress(Exception):
                _finish(store, record.run_id, tasks, stats, t_start, interrupted=True,
                        executor=options.executor)
            raise RunnerError(f"{exc}; run {record.run_id} stopped after "
                              f"{stats.skipped + stats.written}/{len(tasks)} tasks and can "
                              "be resumed with --resume") from None
        except KeyboardInterrupt:
            _finish(store, record.run_id, tasks, stats, t_start, interrupted=True,
                    executor=options.executor)
            raise RunInterrupted(record.run_id, stats.skipped + stats.written,
                                 len(tasks)) from None
        except BaseException:
            with contextlib.suppress(Exception):  # keep the original error, not this one
                _finish(store, record.run_id, tasks, stats, t_start, interrupted=True,
                        executor=options.executor)
            raise
    _finish(store, record.run_id, tasks, stats, t_start, interrupted=False,
            executor=options.executor)
    return stats


def _retry_plan(store: Store, retry: str, record: RunRecord, model: str, suite: Suite,
                limit: int | None, lpips: dict[str, Any], tasks: list[Task]
                ) -> tuple[dict[str, Any], list[TaskResult]]:
    """The new run's ``origin`` and the earlier run's rows it keeps (as this run's)."""
    earlier = store.get_run(retry)
    _check_resume(earlier, model, None, suite, limit, lpips, verb="retry")
    if earlier.status != "complete":
        raise RunnerError(f"cannot retry run {earlier.run_id}: it is {earlier.status}; "
                          f"finish it first with --resume {earlier.run_id}")
    rows = store.results(earlier.run_id)
    wanted = {t.id for t in tasks}
    retried = sorted(r.task_id for r in rows if r.task_id in wanted
                     and infrastructure_failure(r))
    if not retried:
        raise RunnerError(f"run {earlier.run_id} has no task that failed by timeout, crash "
                          "or generation error; nothing to retry")
    skip = set(retried)
    copies = [replace(r, run_id=record.run_id) for r in rows
              if r.task_id in wanted and r.task_id not in skip]
    origin: dict[str, Any] = {"kind": "retry", "run_id": earlier.run_id, "retried": retried}
    if dict(earlier.model_args) != dict(record.model_args):
        origin["model_args"] = dict(earlier.model_args)  # what the copied rows ran with
    return origin, copies


def _renderer(config: SandboxConfig, options: RunOptions) -> Renderer:
    """This machine's ``Renderer``, or with ``executor="ray"`` the cluster's stand-in."""
    if options.executor == "local":
        return Renderer(config, jobs=options.jobs)
    from benchmark.executors import make_renderer

    return make_renderer(options.executor, config, options.jobs,  # type: ignore[no-any-return]
                         options.ray_address)


def _finish(store: Store, run_id: str, tasks: list[Task], stats: RunStats, t_start: float,
            interrupted: bool, executor: str = "local") -> None:
    stats.wall_s = time.perf_counter() - t_start
    complete = {t.id for t in tasks} <= store.done_task_ids(run_id)
    stats.status = "complete" if complete else "interrupted" if interrupted else "running"
    timings = dict(store.get_run(run_id).timings)
    session = {"wall_s": round(stats.wall_s, 3), "written": stats.written,
               "skipped": stats.skipped, "renders": stats.renders,
               "cache_hits": stats.cache_hits, "generate_s": round(stats.generate_s, 3),
               "tasks_per_s": round(stats.tasks_per_s(), 3), "status": stats.status}
    if executor != "local":  # a local session's record is unchanged
        session["executor"] = executor
    timings["wall_s"] = round(float(timings.get("wall_s", 0.0)) + stats.wall_s, 3)
    timings["sessions"] = int(timings.get("sessions", 0)) + 1
    for k in ("renders", "cache_hits", "written"):
        timings[k] = int(timings.get(k, 0)) + session[k]
    timings["last_session"] = session
    store.update_run(run_id, status=stats.status, timings=timings,
                     finished=now_iso() if complete else None)
