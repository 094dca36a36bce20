"""Calling the submission: a task's programs, and a repair of a failed one.

A submission's failure is the task's (or the sample's) result, recorded as an
error starting ``"generation failed: "``; only ``ModelUnavailable`` propagates
(it stops the run).
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

from benchmark._provenance import seed_all, task_seed
from benchmark.core.submission import Generation, Submission
from benchmark.core.tasks import Task
from benchmark.sampling import Feedback, ModelUnavailable

__all__ = ["check_generation", "generate", "jsonable", "one_line", "repair"]


def jsonable(obj: Any) -> Any:
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


def one_line(text: str, limit: int = 500) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_generation(gen: object) -> None:
    if not isinstance(gen, Generation) or not isinstance(gen.code, str):
        raise TypeError(f"generate returned {type(gen).__name__}, expected a Generation "
                        "with code: str")


def generate(submission: Submission, task: Task, n: int, seed: int | None, *, plain: bool
             ) -> tuple[list[Generation] | None, str, float]:
    """``n`` programs for one task, the generation error (every sample failed) and the seconds.

    ``plain``: the plain contract, one ``generate`` call; otherwise
    ``generate_samples(task, n)`` when the submission has it.  ``seed`` ``None``: a
    concurrent submission seeds itself (seeding the global generators from several
    threads would race).
    """
    if seed is not None:
        seed_all(task_seed(seed, task.id))
    t0 = time.perf_counter()
    try:
        many = None if plain else getattr(submission, "generate_samples", None)
        gens = (list(many(task, n)) if many is not None
                else [submission.generate(task) for _ in range(n)])
        if len(gens) != n:
            raise TypeError(f"generate_samples returned {len(gens)} programs, expected {n}")
        for gen in gens:
            check_generation(gen)
    except ModelUnavailable:
        raise
    except Exception as exc:  # a plug-in's failure is this task's result, not the run's
        error = one_line(f"generation failed: {type(exc).__name__}: {exc}")
        return None, error, time.perf_counter() - t0
    return gens, "", time.perf_counter() - t0


def repair(submission: Submission, task: Task, attempt: Generation, feedback: Feedback,
           lock: Any) -> tuple[Generation | None, str, float]:
    """A corrected program for a failed attempt, given the sandbox's feedback (``lock``:
    one caller at a time unless the submission is concurrent)."""
    t0 = time.perf_counter()
    try:
        with lock:
            gen = submission.repair(task, attempt, feedback)  # type: ignore[attr-defined]
        check_generation(gen)
    except ModelUnavailable:
        raise
    except Exception as exc:  # a failed repair is this sample's result
        error = one_line(f"generation failed: repair: {type(exc).__name__}: {exc}")
        return None, error, time.perf_counter() - t0
    return gen, "", time.perf_counter() - t0

