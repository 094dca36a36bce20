"""``run --retry-failed``: only timeouts, crashes and generation errors run again, as a new run
linked to the earlier one (real sandbox, real SQLite)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import ClassVar

import pytest

from benchmark.core.submission import Generation, Submission
from benchmark.core.tasks import Task
from benchmark.runner import INFRA_STATUSES, RunnerError, RunOptions, run_benchmark
from benchmark.sandbox import Limits
from benchmark.store import Store

HANG = "from manim import *\nimport time\nclass S(Scene):\n    def construct(self):\n" \
       "        time.sleep(600)\n"
BROKEN = "from manim import *\nclass S(Scene:\n"


class Flaky(Submission):
    """Task 0 fails to generate and task 1 hangs (while ``broken``); task 2 is a syntax
    error (always: its code's own fault); task 3 is the reference code."""

    name = "flaky"
    broken: ClassVar[bool] = True
    calls: ClassVar[list[str]] = []

    def generate(self, task: Task) -> Generation:
        type(self).calls.append(task.id)
        n = int(task.id[-1])
        if n == 0 and self.broken:
            raise ConnectionError("the model server went away")
        if n == 1 and self.broken:
            return Generation(code=HANG)
        if n == 2:
            return Generation(code=BROKEN)
        return Generation(code=task.reference.code or "")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(str(tmp_path / "runs" / "benchmark.db")) as s:
        yield s


@pytest.fixture
def options(sandbox) -> RunOptions:
    return RunOptions(jobs=2, sandbox=replace(sandbox, limits=Limits(timeout_s=4, cpu_s=4)))


@pytest.fixture
def failed(suite, store, options) -> str:
    Flaky.broken, Flaky.calls = True, []
    run_id = run_benchmark(Flaky(), suite, store, options).run_id
    statuses = {r.task_id[-1]: r.status for r in store.results(run_id)}
    assert statuses == {"0": "crashed", "1": "timeout", "2": "syntax_error", "3": "ok"}
    Flaky.broken, Flaky.calls = False, []
    return run_id


@pytest.mark.slow
def test_only_infrastructure_failures_are_generated_again(suite, store, options, failed):
    run_benchmark(Flaky(), suite, store, options, retry=failed)
    assert sorted(c[-1] for c in Flaky.calls) == ["0", "1"]


@pytest.mark.slow
def test_the_retry_is_a_new_complete_run_naming_the_earlier_one(suite, store, options, failed):
    stats = run_benchmark(Flaky(), suite, store, options, retry=failed)
    record = store.get_run(stats.run_id)
    assert stats.run_id != failed and record.status == "complete"
    retried = sorted(t.id for t in suite if t.id[-1] in "01")
    assert record.origin == {"kind": "retry", "run_id": failed, "retried": retried}
    statuses = {r.task_id[-1]: r.status for r in store.results(stats.run_id)}
    assert statuses == {"0": "ok", "1": "ok", "2": "syntax_error", "3": "ok"}


@pytest.mark.slow
def test_untouched_rows_are_copied_and_the_first_attempts_kept(suite, store, options, failed):
    before = store.results(failed)
    stats = run_benchmark(Flaky(), suite, store, options, retry=failed)
    assert store.results(failed) == before
    after = {r.task_id: r for r in store.results(stats.run_id)}
    for r in (r for r in before if r.task_id[-1] in "23"):
        assert replace(after[r.task_id], run_id=r.run_id) == r


@pytest.mark.slow
def test_a_run_without_infrastructure_failures_has_nothing_to_retry(suite, store, options,
                                                                    failed):
    clean = run_benchmark(Flaky(), suite, store, options).run_id
    runs = len(store.list_runs())
    with pytest.raises(RunnerError, match="nothing to retry"):
        run_benchmark(Flaky(), suite, store, options, retry=clean)
    assert len(store.list_runs()) == runs


@pytest.mark.slow
def test_a_retry_by_another_model_is_refused(suite, store, options, failed):
    class Other(Flaky):
        name = "other"

    with pytest.raises(RunnerError, match=f"cannot retry run {failed}: it ran model"):
        run_benchmark(Other(), suite, store, options, retry=failed)


def test_the_infrastructure_statuses_are_timeout_and_crashed():
    assert INFRA_STATUSES == {"timeout", "crashed"}
