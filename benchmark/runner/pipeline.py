"""The scoring pipeline: a task's samples (one, for a plain submission), each repaired
as the submission allows, rendered, scored and combined into the task's one row.

A plain submission (one program, no repair) is the k = 1 case: its row holds
the sample's own metrics (one sample combines to itself) and no
``generation["sampling"]``.  With several samples or repair rounds the row
holds pass@k / mean-over-samples metrics (``combine_samples``) and every
attempt in ``generation["sampling"]``; the row's own code, frame and status
are the first sample's final attempt.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from benchmark._progress import progress_bar
from benchmark.core.submission import Generation, Submission
from benchmark.core.tasks import Task
from benchmark.runner.attempt import Attempt, attempt, scored
from benchmark.runner.generation import generate, jsonable, repair
from benchmark.runner.references import Reference, reference
from benchmark.runner.session import Session, parallel
from benchmark.runner.writes import sample_json, write_result
from benchmark.sampling import SamplingPlan, sampling_plan
from benchmark.scoring.aggregate import combine_samples

__all__ = ["run_tasks", "score_task"]

Metrics = dict[str, float | None]


def _sample(session: Session, submission: Submission, plan: SamplingPlan, task: Task,
            gen: Generation | None, gen_error: str, ref: Reference
            ) -> tuple[list[Attempt], float] | None:
    """One sample's attempts (the first, then its repairs) and the seconds repairs took;
    ``None`` once the run is stopping."""
    att = attempt(session, task, gen, gen_error, ref)
    if att is None:
        return None
    chain, repair_s = [att], 0.0
    while not att.rendered and att.gen is not None and att.round < plan.repair_rounds:
        fixed, error, s = repair(submission, task, att.gen, att.feedback(), session.gen_lock)
        session.count(generate_s=s)
        repair_s += s
        nxt = attempt(session, task, fixed, error, ref, att.round + 1)
        if nxt is None:
            return None
        att = nxt
        chain.append(att)
    return chain, repair_s


def score_task(session: Session, submission: Submission, plan: SamplingPlan, task: Task,
               gens: list[Generation] | None, gen_error: str, gen_s: float) -> None:
    """Render, repair, score and record one task's programs (in a worker thread; a
    concurrent submission's programs are generated here too, even a single one)."""
    if gens is None and not gen_error:  # a concurrent submission generates here
        gens, gen_error, gen_s = generate(submission, task, plan.samples, None, plain=False)
        session.count(generate_s=gen_s)
    ref = reference(session, task)
    chains: list[list[Attempt]] = []
    finals: list[Metrics] = []
    render_s = score_s = 0.0
    firsts: list[Generation | None] = list(gens or [None] * plan.samples)
    for gen in firsts:
        got = _sample(session, submission, plan, task, gen, gen_error, ref)
        if got is None:
            return
        chain, repair_s = got
        metrics, s = scored(session, task, chain[-1], ref[1])
        gen_s += repair_s
        render_s += sum(a.render_s for a in chain)
        score_s += s
        chains.append(chain)
        finals.append(metrics)
    first = chains[0][-1]
    generation = jsonable(first.gen.meta) if first.gen is not None else {}
    if not plan.simple:  # one program, no repair: the row is exactly a plain one
        generation["sampling"] = {
            "n": plan.samples, "repair_rounds": plan.repair_rounds,
            "samples": [sample_json(session, task, i, chain, metrics)
                        for i, (chain, metrics) in enumerate(zip(chains, finals, strict=True))]}
    combined = finals[0] if len(finals) == 1 else combine_samples(finals)
    write_result(session, task, first, combined, ref[0],
                 {"generate_s": gen_s, "render_s": render_s, "score_s": score_s}, generation)


def run_tasks(session: Session, submission: Submission, tasks: list[Task]) -> None:
    """Generate (here, in task order, unless the submission is concurrent), then score
    ``options.jobs`` tasks at a time."""
    seed = session.options.seed
    plan = sampling_plan(submission)
    if plan.concurrent:
        session.concurrent_generation()
    plain = plan.simple and not plan.concurrent  # the plain contract: one generate call

    def jobs() -> Iterator[Callable[[], None]]:
        for task in tasks:
            gens: list[Generation] | None = None
            error, gen_s = "", 0.0
            if not plan.concurrent:
                with session.gen_lock:  # never while a worker's repair call runs
                    gens, error, gen_s = generate(submission, task, plan.samples, seed,
                                                  plain=plain)
                session.count(generate_s=gen_s)
            yield lambda task=task, gens=gens, error=error, gen_s=gen_s: score_task(
                session, submission, plan, task, gens, error, gen_s)

    done = len(session.store.done_task_ids(session.record.run_id))
    bar: Any
    with progress_bar(session.stats.n_tasks, session.record.model, session.options.progress,
                      initial=done) as bar:
        session.bar = bar
        parallel(session, jobs(), session.renderer)
    session.bar = None
