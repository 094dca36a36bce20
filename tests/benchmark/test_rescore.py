"""``rescore``: a stored run's metrics recomputed from its snapshots and frames (real runs of
the tiny suite in the real sandbox, real SQLite; rescoring itself needs neither sandbox nor
model)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from _stored_runs import record_runs

from benchmark.rescore import RescoreError, rescore_run
from benchmark.results import RunRecord
from benchmark.scoring import SCORING_VERSION
from benchmark.store import Store
from leaderboard.collect import select_runs

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory, suite, sandbox) -> dict:
    db, ids = record_runs(tmp_path_factory.mktemp("rescore"), suite, sandbox)
    return {"db": db, "ids": ids}


@pytest.fixture
def store(recorded, tmp_path) -> Store:
    """A private copy of the recorded database (artifacts shared, content-addressed)."""
    copy = tmp_path / "copy.db"
    src = sqlite3.connect(recorded["db"])
    dst = sqlite3.connect(copy)
    src.backup(dst)
    src.close()
    dst.close()
    with Store(str(copy), artifacts=recorded["db"].parent) as s:
        yield s


def dump(store: Store) -> list[str]:
    conn = sqlite3.connect(store.engine.url.database)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def assert_same_scores(before, after) -> None:
    assert [r.task_id for r in before] == [r.task_id for r in after]
    for a, b in zip(before, after, strict=True):
        assert a.status == b.status and a.error == b.error
        assert [o.to_json() for o in a.objects] == [o.to_json() for o in b.objects]
        assert set(a.metrics) == set(b.metrics)
        for m, v in a.metrics.items():
            w = b.metrics[m]
            assert (v is None) == (w is None), m
            assert v is None or abs(v - w) <= 1e-12, (a.task_id, m, v, w)
        sa, sb = a.generation.get("sampling"), b.generation.get("sampling")
        assert (sa is None) == (sb is None)
        for x, y in zip((sa or {}).get("samples", []), (sb or {}).get("samples", []),
                        strict=True):
            for m, v in x["metrics"].items():
                assert v is None or abs(v - y["metrics"][m]) <= 1e-12, (a.task_id, m)


@pytest.mark.slow
def test_rescoring_under_the_current_version_changes_no_metric(recorded, store):
    for run_id in recorded["ids"].values():
        before = store.results(run_id)
        stats = rescore_run(store, run_id)
        assert stats.n == len(before) and stats.changed == 0
        assert_same_scores(before, store.results(run_id))


def test_the_run_records_the_version_it_was_rescored_under(recorded, store):
    run_id = recorded["ids"]["shifted"]
    rescore_run(store, run_id)
    scoring = store.get_run(run_id).scoring
    assert scoring["version"] == SCORING_VERSION
    assert scoring["rescored"][-1]["from_version"] == SCORING_VERSION


def test_remeasured_snapshots_score_the_same(recorded, store):
    for run_id in recorded["ids"].values():
        before = store.results(run_id)
        stats = rescore_run(store, run_id, remeasure=True)
        rendered = sum(1 for r in before for s in (r.generation.get("sampling") or {}).get(
            "samples", [r]) if (s["status"] if isinstance(s, dict) else s.status) == "ok")
        assert stats.measured == rendered > 0
        assert_same_scores(before, store.results(run_id))


def test_without_the_render_cache_every_snapshot_is_measured_again(recorded, store):
    run_id = recorded["ids"]["shifted"]
    before = store.results(run_id)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM renders")
    stats = rescore_run(store, run_id)
    assert stats.measured == len(before)
    assert_same_scores(before, store.results(run_id))


def test_a_tampered_metric_is_recomputed_from_the_stored_snapshot(recorded, store):
    run_id = recorded["ids"]["shifted"]
    before = store.results(run_id)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE results SET metrics = json_set(metrics, '$.miou', 0.123) "
                             "WHERE run_id = ?", (run_id,))
    assert {r.metrics["miou"] for r in store.results(run_id)} == {0.123}
    stats = rescore_run(store, run_id, remeasure=True)
    assert stats.changed == len(before)
    assert_same_scores(before, store.results(run_id))


def test_as_new_run_leaves_the_old_run_and_names_it(recorded, store):
    run_id = recorded["ids"]["two-samples"]
    before = store.results(run_id)
    stats = rescore_run(store, run_id, as_new_run=True)
    assert stats.run_id != run_id and stats.source_run_id == run_id
    new = store.get_run(stats.run_id)
    assert new.origin == {"kind": "rescore", "run_id": run_id,
                          "scoring_version": SCORING_VERSION}
    assert new.model == "two-samples" and new.status == "complete"
    assert store.results(run_id) == before
    assert_same_scores(before, store.results(stats.run_id))


def test_a_failed_rescore_changes_nothing(recorded, store, tmp_path):
    run_id = recorded["ids"]["shifted"]
    last = store.results(run_id)[-1]
    moved = tmp_path / "snapshot.bin"
    snapshot = store.artifacts.path(last.snapshot)
    shutil.copy(snapshot, moved)
    before = dump(store)
    snapshot.unlink()
    try:
        with pytest.raises(RescoreError, match=f"task {last.task_id}: cannot read its snapshot"):
            rescore_run(store, run_id, remeasure=True)
        with pytest.raises(RescoreError):
            rescore_run(store, run_id, remeasure=True, as_new_run=True)
    finally:
        shutil.copy(moved, snapshot)
    assert dump(store) == before


def test_a_run_without_a_scoring_version_reads_as_version_1(recorded, store):
    run_id = recorded["ids"]["mixed"]
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE runs SET scoring = json_remove(scoring, '$.version') "
                             "WHERE run_id = ?", (run_id,))
    assert rescore_run(store, run_id).from_version == 1


def test_a_run_scored_under_a_newer_version_is_refused(recorded, store):
    run_id = recorded["ids"]["mixed"]
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE runs SET scoring = json_set(scoring, '$.version', ?) "
                             "WHERE run_id = ?", (SCORING_VERSION + 1, run_id))
    before = dump(store)
    with pytest.raises(RescoreError, match="newer than this jepa-manim"):
        rescore_run(store, run_id)
    assert dump(store) == before


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "benchmark", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=300, check=False,
                          env=dict(os.environ, TORCH_HOME="/nonexistent"))


def test_the_command_rescores_and_reports_in_one_json_line(recorded, store):
    db = store.engine.url.database
    art = str(recorded["db"].parent)
    done = cli("rescore", recorded["ids"]["shifted"][:20], "--db", db, "--artifacts", art,
               "--json", "--jobs", "2")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["n"] == 4 and out["changed"] == 0 and out["scoring_version"] == SCORING_VERSION


@pytest.mark.parametrize("args, message", [
    (["no-such-run"], "no run 'no-such-run'"),
    (["--db", "/nonexistent/x.db", "x"], "no such database"),
    (["x", "--jobs", "0"], "--jobs must be at least 1"),
])
def test_bad_input_is_one_line_and_exit_status_2(store, args, message):
    if "--db" not in args:
        args = [*args, "--db", store.engine.url.database]
    done = cli("rescore", *args)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and message in done.stderr


def test_compare_refuses_runs_scored_under_different_versions(recorded, store):
    a, b = recorded["ids"]["shifted"], recorded["ids"]["mixed"]
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE runs SET scoring = json_set(scoring, '$.version', 0) "
                             "WHERE run_id = ?", (a,))
    done = cli("compare", a, b, "--db", store.engine.url.database)
    assert done.returncode == 2
    assert f"python -m benchmark rescore {a}" in done.stderr
    assert done.stderr.count("\n") == 1


def record(run_id: str, version: int | None) -> RunRecord:
    scoring = {} if version is None else {"version": version}
    return RunRecord(run_id=run_id, created=run_id, model="m", suite="s", split="test",
                     suite_version="1", suite_hash="h", n_tasks=1, status="complete",
                     scoring=scoring)


def test_the_leaderboard_leaves_out_runs_of_another_version_naming_the_rescore():
    old, new = record("1-old", SCORING_VERSION - 1), record("2-new", SCORING_VERSION)
    picked, skipped = select_runs([old, new], {"1-old": 1, "2-new": 1})
    assert [r.run_id for r in picked] == ["2-new"]
    assert "python -m benchmark rescore 1-old" in skipped[0].reason


def test_the_leaderboard_reads_a_run_without_a_version_as_version_1():
    picked, _ = select_runs([record("1-old", None)], {"1-old": 1})
    assert [r.run_id for r in picked] == (["1-old"] if SCORING_VERSION == 1 else [])


@pytest.mark.parametrize("command, words", [
    ([], ["rescore RUN_ID", "--model file", "--retry-failed", "--prompts openai-batch"]),
    (["rescore"], ["--as-new-run", "--remeasure", "one transaction"]),
    (["run"], ["--retry-failed", "--model file"]),
    (["export"], ["--prompts", "openai-batch", "messages"]),
    (["report"], ["--format", "parquet", "benchmark.results.load"]),
])
def test_help_explains_the_new_commands(command, words):
    done = cli(*command, "--help")
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    for w in words:
        assert w in text, w


def test_the_leaderboard_page_names_the_rescore_of_a_stale_run(recorded, store, tmp_path):
    from leaderboard.collect import collect
    from leaderboard.render import BuildOptions, build_site

    stale = recorded["ids"]["mixed"]
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE runs SET scoring = json_set(scoring, '$.version', 0) "
                             "WHERE run_id = ?", (stale,))
    board = collect(store, n_boot=50)
    assert stale not in {r.run_id for r in board.runs}
    assert [sk.record.run_id for sk in board.stale] == [stale]
    build_site(board, BuildOptions(tmp_path / "site"))
    page = " ".join((tmp_path / "site" / "index.html").read_text().split())
    assert f"<code>python -m benchmark rescore {stale}</code>" in page


def test_the_leaderboard_refuses_named_runs_of_different_versions():
    from leaderboard.collect import LeaderboardError

    old, new = record("1-old", SCORING_VERSION - 1), record("2-new", SCORING_VERSION)
    with pytest.raises(LeaderboardError, match="python -m benchmark rescore 1-old"):
        select_runs([old, new], {"1-old": 1, "2-new": 1}, ["1-old", "2-new"])
