"""Several samples per task and self-repair, through the real runner, sandbox and store.

The submission here is a deterministic double of the optional sampling
contract (``benchmark.sampling``): it writes known good, broken and
unparsable programs, so the combined metrics have exact expected values.
"""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path
from typing import ClassVar

import pytest
from _llm_fixtures import BROKEN_SCENE, GOOD_SCENE

from benchmark.core.submission import Generation
from benchmark.core.tasks import Task
from benchmark.runner import RunnerError, RunOptions, run_benchmark
from benchmark.sampling import Feedback, ModelUnavailable, SamplingSubmission
from benchmark.scoring import ScoredRow, summarize
from benchmark.scoring.aggregate import combine_samples, pass_at_k, pass_ks
from benchmark.store import Store
from benchmark.summary import RunSummary, sampling_summary

UNPARSABLE = "from manim import *\nclass S(Scene:\n"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(str(tmp_path / "benchmark.db")) as s:
        yield s


class ThreeSamples(SamplingSubmission):
    """Sample 0 is broken and repaired in round 1; sample 1 renders; sample 2 never parses."""

    name = "three-samples"
    samples = 3
    repair_rounds = 1
    feedback: ClassVar[list[Feedback]] = []

    def generate(self, task: Task) -> Generation:
        raise AssertionError("the runner asks generate_samples")

    def generate_samples(self, task: Task, n: int) -> list[Generation]:
        return [Generation(BROKEN_SCENE, meta={"sample": 0}),
                Generation(GOOD_SCENE, meta={"sample": 1}),
                Generation(UNPARSABLE, meta={"sample": 2})][:n]

    def repair(self, task: Task, attempt: Generation, feedback: Feedback) -> Generation:
        type(self).feedback.append(feedback)
        fixed = GOOD_SCENE if attempt.code == BROKEN_SCENE else UNPARSABLE
        return Generation(fixed, meta={"sample": attempt.meta["sample"], "repaired": True})


class Serial(ThreeSamples):
    """Records how many of its calls ever overlapped (it is not ``concurrent``)."""

    name = "serial"
    active: ClassVar[int] = 0
    most: ClassVar[int] = 0
    guard = threading.Lock()

    def _enter(self) -> None:
        with self.guard:
            type(self).active += 1
            type(self).most = max(type(self).most, type(self).active)
        time.sleep(0.05)  # long enough for an overlap to show
        with self.guard:
            type(self).active -= 1

    def generate_samples(self, task: Task, n: int) -> list[Generation]:
        self._enter()
        return super().generate_samples(task, n)

    def repair(self, task: Task, attempt: Generation, feedback: Feedback) -> Generation:
        self._enter()
        return super().repair(task, attempt, feedback)


class GoesDown(SamplingSubmission):
    """Answers the first ``up`` tasks, then its model is unavailable."""

    name = "goes-down"
    samples = 2
    up: ClassVar[int | None] = 2
    calls: ClassVar[int] = 0

    def generate(self, task: Task) -> Generation:
        type(self).calls += 1
        if self.up is not None and type(self).calls > 2 * self.up:
            raise ModelUnavailable("the model server stopped answering")
        return Generation(GOOD_SCENE)


class OneAtATime(SamplingSubmission):
    """A concurrent submission with one sample and no repair: rows must look plain."""

    name = "one-at-a-time"
    concurrent = True
    threads: ClassVar[set[str]] = set()

    def generate(self, task: Task) -> Generation:
        type(self).threads.add(threading.current_thread().name)
        return Generation(GOOD_SCENE, meta={"note": "plain"})


def test_pass_at_one_is_the_share_of_samples_that_passed():
    got = combine_samples([{"compiled": 1.0, "rendered": 1.0, "miou": 0.5},
                           {"compiled": 1.0, "rendered": 0.0, "miou": 0.0},
                           {"compiled": 0.0, "rendered": 0.0, "miou": None}])
    assert got["compiled"] == pytest.approx(2 / 3) and got["rendered"] == pytest.approx(1 / 3)
    assert got["rendered_pass@2"] == pytest.approx(1 - math.comb(2, 2) / math.comb(3, 2))
    assert got["compiled_pass@3"] == 1.0 and got["rendered_pass@3"] == 1.0
    assert got["miou"] == pytest.approx(0.25)  # mean over the samples that have a value


def test_one_sample_combines_to_itself():
    metrics = {"compiled": 1.0, "rendered": 0.0, "miou": 0.3, "lpips": None}
    assert combine_samples([metrics]) == metrics


def test_pass_at_k_matches_the_combinatorial_definition():
    for n, c, k in [(10, 3, 1), (10, 3, 5), (5, 0, 2), (5, 5, 5), (20, 7, 10)]:
        exact = 1 - math.comb(n - c, k) / math.comb(n, k)
        assert pass_at_k(n, c, k) == pytest.approx(exact)
    assert pass_ks(1) == [1] and pass_ks(7) == [1, 2, 5, 7] and pass_ks(10) == [1, 2, 5, 10]


def test_samples_are_repaired_and_combined_into_one_row(suite, store, sandbox):
    ThreeSamples.feedback = []
    stats = run_benchmark(ThreeSamples(), suite, store, RunOptions(jobs=2, sandbox=sandbox))
    results = store.results(stats.run_id)
    assert len(results) == len(suite)  # one row per task, whatever the sample count
    for r in results:
        m = r.metrics
        assert m["rendered"] == pytest.approx(2 / 3) and m["compiled"] == pytest.approx(2 / 3)
        assert m["rendered_pass@2"] == 1.0 and m["compiled_pass@3"] == 1.0
        assert r.status == "ok" and r.code_hash  # the first sample, after its repair
        assert store.artifacts.path(r.code_path).read_text() == GOOD_SCENE
        samples = r.generation["sampling"]["samples"]
        assert [s["round"] for s in samples] == [1, 0, 1]
        assert [s["repaired"] for s in samples] == [True, False, False]
        assert [a["status"] for a in samples[0]["attempts"]] == ["runtime_error", "ok"]
        assert [a["status"] for a in samples[2]["attempts"]] == ["syntax_error"] * 2
        assert samples[2]["metrics"]["compiled"] == 0.0
        for s in samples:
            for a in s["attempts"]:
                assert store.artifacts.path(a["code_path"]).is_file()
        assert r.generation["sample"] == 0  # the row's generation: the first sample's meta
    statuses = {f.status for f in ThreeSamples.feedback}
    assert statuses == {"runtime_error", "syntax_error"}
    boom = [f for f in ThreeSamples.feedback if f.status == "runtime_error"]
    assert all("boom" in f.error + f.stderr_tail and f.round == 0 for f in boom)


def test_the_report_shows_pass_at_k_and_what_repair_did(suite, store, sandbox):
    stats = run_benchmark(ThreeSamples(), suite, store, RunOptions(jobs=2, sandbox=sandbox))
    results = store.results(stats.run_id)
    rows = [ScoredRow(r.task_id, r.family, r.difficulty, r.status, r.metrics) for r in results]
    s = sampling_summary(RunSummary(store.get_run(stats.run_id), results, summarize(rows)))
    assert s is not None and s["n"] == 3 and s["repair_rounds"] == 1
    assert s["pass_at_k"]["rendered"] == {"1": pytest.approx(2 / 3), "2": 1.0, "3": 1.0}
    assert s["samples"] == 3 * len(suite)
    assert s["repaired"] == len(suite) and s["repaired_by_round"] == {"1": len(suite)}
    assert s["first_attempt_failed"] == 2 * len(suite)
    assert s["sample_statuses"] == {"ok": 2 * len(suite), "syntax_error": len(suite)}


def test_a_submission_that_is_not_concurrent_is_called_one_at_a_time(suite, store, sandbox):
    Serial.most = 0
    run_benchmark(Serial(), suite, store, RunOptions(jobs=2, sandbox=sandbox))
    assert Serial.most == 1


def test_an_unavailable_model_stops_the_run_which_resumes(suite, store, sandbox):
    GoesDown.calls, GoesDown.up = 0, 2
    with pytest.raises(RunnerError, match=r"stopped answering.*resume") as stop:
        run_benchmark(GoesDown(), suite, store, RunOptions(jobs=1, sandbox=sandbox))
    run_id = str(stop.value).split("run ")[1].split()[0]
    assert store.get_run(run_id).status == "interrupted"
    done = store.results(run_id)
    assert len(done) <= 2 and all(r.status == "ok" for r in done)  # no failure recorded
    GoesDown.up = None
    again = run_benchmark(GoesDown(), suite, store, RunOptions(jobs=1, sandbox=sandbox),
                          resume=run_id)
    assert again.skipped == len(done) and again.skipped + again.written == len(suite)
    assert all(r.status == "ok" for r in store.results(run_id))


def test_a_concurrent_single_sample_gives_plain_rows_from_the_workers(suite, store, sandbox):
    OneAtATime.threads = set()
    stats = run_benchmark(OneAtATime(), suite, store, RunOptions(jobs=2, sandbox=sandbox))
    for r in store.results(stats.run_id):
        assert r.status == "ok" and r.generation == {"note": "plain"}
        assert r.metrics["rendered"] == 1.0 and "rendered_pass@2" not in r.metrics
    assert all(name.startswith("bench") for name in OneAtATime.threads)  # worker threads
