"""Complete runs of the tiny suite, recorded the way the command line records them (the suite
loaded from its file, so that it can be loaded again), for tests that read stored runs."""

from __future__ import annotations

from pathlib import Path

from benchmark.core.submission import Generation, Submission
from benchmark.core.tasks import Suite, Task, dump_tasks
from benchmark.runner import RunOptions, run_benchmark
from benchmark.sampling import SamplingSubmission
from benchmark.sandbox import SandboxConfig
from benchmark.store import Store
from benchmark.suites import load_suite


class Shifted(Submission):
    """The reference code with every ``move_to`` pushed right."""

    name = "shifted"

    def generate(self, task: Task) -> Generation:
        return Generation(code=(task.reference.code or "").replace("move_to([", "move_to([0.75 + "))


class Mixed(Submission):
    """A generation error, a syntax error, and the reference code, by task."""

    name = "mixed"

    def generate(self, task: Task) -> Generation:
        n = int(task.id[-1])
        if n == 1:
            raise RuntimeError("model fell over")
        if n == 2:
            return Generation(code="from manim import *\nclass S(Scene:\n")
        return Generation(code=task.reference.code or "")


class TwoSamples(SamplingSubmission):
    """Two programs per task: the reference code and a shifted copy."""

    name = "two-samples"
    samples = 2

    def generate_samples(self, task: Task, n: int) -> list[Generation]:
        ref = task.reference.code or ""
        return [Generation(code=ref), Generation(code=ref.replace("move_to([", "move_to([1 + "))]

    def generate(self, task: Task) -> Generation:
        return self.generate_samples(task, 1)[0]


def record_runs(folder: Path, suite: Suite, sandbox: SandboxConfig,
                submissions: tuple[Submission, ...] = (Shifted(), Mixed(), TwoSamples())
                ) -> tuple[Path, dict[str, str]]:
    """The database (``folder/runs/benchmark.db``) and the run id of each submission."""
    path = dump_tasks(suite.tasks, folder / "tiny.jsonl")
    tasks = load_suite(str(path))
    db = folder / "runs" / "benchmark.db"
    ids = {}
    with Store(str(db)) as store:
        for sub in submissions:
            ids[sub.name] = run_benchmark(sub, tasks, store, RunOptions(jobs=2, sandbox=sandbox),
                                          suite_source=str(path)).run_id
    return db, ids
