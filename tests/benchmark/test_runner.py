"""The runner on a four-task suite: real sandbox, real SQLite, real scorers."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest

from baselines.oracle import Oracle
from benchmark.core.submission import Generation, Submission
from benchmark.core.tasks import Suite, Task
from benchmark.runner import RunInterrupted, RunnerError, RunOptions, run_benchmark, task_seed
from benchmark.sandbox import SandboxConfig
from benchmark.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(str(tmp_path / "runs" / "benchmark.db")) as s:
        yield s


def options(sandbox: SandboxConfig) -> RunOptions:
    return RunOptions(jobs=2, sandbox=sandbox)


class Shifted(Submission):
    """The reference code with every ``move_to`` pushed right: a known wrong layout."""

    name = "shifted"

    def generate(self, task: Task) -> Generation:
        code = (task.reference.code or "").replace("move_to([", "move_to([0.75 + ")
        return Generation(code=code, meta={"shift": 0.75})


class Failing(Submission):
    """Raises for odd tasks, writes a syntax error for the rest."""

    name = "failing"

    def generate(self, task: Task) -> Generation:
        if int(task.id[-1]) % 2:
            raise RuntimeError("model fell over")
        return Generation(code="from manim import *\nclass S(Scene:\n")


class Interrupting(Oracle):
    """The oracle, except that Ctrl-C arrives at the ``at``-th generate (when set)."""

    name = "interrupting"
    at: ClassVar[int | None] = None
    calls: ClassVar[int] = 0

    def generate(self, task: Task) -> Generation:
        type(self).calls += 1
        if type(self).at is not None and type(self).calls >= type(self).at:
            raise KeyboardInterrupt
        return super().generate(task)


def metrics_by_task(store: Store, run_id: str) -> dict[str, dict[str, float | None]]:
    return {r.task_id: r.metrics for r in store.results(run_id)}


def test_oracle_scores_miou_one_on_every_task(suite, store, sandbox):
    stats = run_benchmark(Oracle(), suite, store, options(sandbox), model="oracle")
    results = store.results(stats.run_id)
    assert [r.task_id for r in results] == sorted(t.id for t in suite)
    for r in results:
        assert r.status == "ok", r.error
        assert r.metrics["miou"] == pytest.approx(1.0)
        assert r.metrics["adherence@0.5"] == pytest.approx(1.0)
    rec = store.get_run(stats.run_id)
    assert rec.status == "complete" and rec.finished is not None
    assert rec.suite_hash == suite.hash and rec.n_tasks == len(suite)
    assert rec.sandbox_mode in ("bwrap", "rlimit-only")
    assert {"python", "manim", "numpy", "jepa-manim"} <= set(rec.packages)
    assert rec.lpips["available"] or rec.lpips["reason"]


def test_second_run_is_served_by_the_render_cache(suite, store, sandbox):
    first = run_benchmark(Shifted(), suite, store, options(sandbox))
    second = run_benchmark(Shifted(), suite, store, options(sandbox))
    assert first.renders >= len(suite)  # references and the shifted code, cold
    assert second.renders == 0 and second.cache_hits == len(suite)
    assert all(r.render_cached for r in store.results(second.run_id))
    assert metrics_by_task(store, first.run_id) == metrics_by_task(store, second.run_id)


def test_a_known_shift_scores_below_the_oracle(suite, store, sandbox):
    stats = run_benchmark(Shifted(), suite, store, options(sandbox))
    for r in store.results(stats.run_id):
        assert r.status == "ok"
        assert r.metrics["miou"] < 0.9
        assert r.metrics["adherence@0.5"] == 0.0  # every centre moved by 0.75 units
        assert r.generation == {"shift": 0.75}


def test_renders_are_not_shared_across_submissions(suite, store, sandbox):
    run_benchmark(Shifted(), suite, store, options(sandbox))
    other = run_benchmark(Shifted(), suite, store, options(sandbox), model="shifted-copy")
    assert other.renders == len(suite)  # same code, another TeX namespace: rendered again


def test_generation_failures_and_broken_code_are_recorded(suite, store, sandbox):
    stats = run_benchmark(Failing(), suite, store, options(sandbox))
    results = store.results(stats.run_id)
    assert len(results) == len(suite)
    for r in results:
        if int(r.task_id[-1]) % 2:
            assert r.status == "crashed" and r.error.startswith("generation failed: ")
            assert "model fell over" in r.error and r.code_path is None
        else:
            assert r.status == "syntax_error" and r.metrics["compiled"] == 0.0
        assert r.metrics["miou"] == 0.0


def test_code_frames_and_snapshots_are_written_as_artifacts(suite, store, sandbox):
    stats = run_benchmark(Shifted(), suite, store, options(sandbox))
    for r in store.results(stats.run_id):
        assert store.artifacts.path(r.code_path).read_text().startswith("from manim import")
        assert r.code_path.startswith(f"{stats.run_id}/")
        for rel in (r.frame, r.reference_frame, r.snapshot):
            assert rel is not None and store.artifacts.path(rel).is_file()


def test_interrupted_run_resumes_to_the_uninterrupted_numbers(suite, store, sandbox):
    full = run_benchmark(Oracle(), suite, store, options(sandbox), model="interrupting")
    Interrupting.calls, Interrupting.at = 0, 3
    with pytest.raises(RunInterrupted) as stop:
        run_benchmark(Interrupting(), suite, store, options(sandbox))
    run_id = stop.value.run_id
    assert store.get_run(run_id).status == "interrupted"
    assert len(store.results(run_id)) <= 2
    Interrupting.at = None
    again = run_benchmark(Interrupting(), suite, store, options(sandbox), resume=run_id)
    assert again.run_id == run_id and again.skipped + again.written == len(suite)
    assert store.get_run(run_id).status == "complete"
    assert store.result_counts()[run_id] == len(suite)
    assert metrics_by_task(store, run_id) == metrics_by_task(store, full.run_id)


def test_resume_rejects_a_changed_suite_or_model(suite, store, sandbox):
    stats = run_benchmark(Oracle(), suite, store, options(sandbox))
    changed = Suite(suite.name, suite.version, suite.split, suite.tasks[:-1])
    with pytest.raises(RunnerError, match="has changed"):
        run_benchmark(Oracle(), changed, store, options(sandbox), resume=stats.run_id)
    with pytest.raises(RunnerError, match="model"):
        run_benchmark(Shifted(), suite, store, options(sandbox), resume=stats.run_id)


def test_task_seed_depends_on_the_task_not_the_order():
    assert task_seed(0, "a") == task_seed(0, "a")
    assert task_seed(0, "a") != task_seed(0, "b") != task_seed(1, "b")
