"""``python -m leaderboard``: one-line errors, and a build from hand-made rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmark.core.tasks import Box
from benchmark.outcome import MeasuredObject
from benchmark.results import RunRecord, TaskResult
from benchmark.scoring import SCORING_VERSION
from benchmark.store import Store
from leaderboard.cli import build_parser, main


def record(run_id: str, model: str, suite_source: str) -> RunRecord:
    return RunRecord(run_id=run_id, created="2026-01-01T00:00:00+00:00", model=model,
                     suite="synthetic", split="test", suite_version="v1", suite_hash="0" * 16,
                     n_tasks=2, status="complete", suite_source=suite_source,
                     sandbox_mode="bwrap", packages={"manim": "0.22.0"},
                     scoring={"version": SCORING_VERSION})


def hand_made_db(path: Path, objects: list[MeasuredObject] | None = None) -> Path:
    """Two runs of two tasks each; no frames or code on disk, a suite that is not there."""
    with Store(str(path)) as store:
        for run_id, model, miou in (("20260101-000000-alpha-aaaaaa", "alpha", 0.9),
                                    ("20260101-000001-beta-bbbbbb", "beta", 0.1)):
            store.create_run(record(run_id, model, str(path.parent / "gone.jsonl")))
            for i, status in enumerate(("ok", "timeout")):
                store.add_result(TaskResult(
                    run_id=run_id, task_id=f"synthetic/f/{i:05d}", family="f",
                    difficulty="easy", status=status, code_path=f"{run_id}/t{i}.py",
                    error="" if status == "ok" else "took longer than 60 s",
                    metrics={"compiled": 1.0, "rendered": float(status == "ok"),
                             "miou": miou if status == "ok" else 0.0,
                             "adherence@0.5": 1.0 if status == "ok" else 0.0},
                    objects=objects or [MeasuredObject("tex", "x^2", Box(-1, -1, 1, 1))],
                    frame="artifacts/frames/missing.png", timings={"generate_s": 0.5}))
    return path


def run_cli(*args: str) -> int:
    return main(["build", *args])


def test_help_explains_the_milestones_and_the_options(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["build", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for words in ("miou >= 0.70", "good-rate >= 0.60", "5 s budget", "--all-tasks", "--runs",
                  "latest complete run", "pass / fail / tie / not measured"):
        assert words in text, words
    assert "file://" in build_parser().description


def test_a_missing_database_is_a_one_line_error(tmp_path, capsys):
    assert run_cli("--db", str(tmp_path / "none.db"), "--out", str(tmp_path / "s")) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "no such database" in err and err.count("\n") == 1


def test_an_empty_database_is_a_one_line_error(tmp_path, capsys):
    Store(str(tmp_path / "empty.db")).close()
    assert run_cli("--db", str(tmp_path / "empty.db"), "--out", str(tmp_path / "s")) == 2
    err = capsys.readouterr().err
    assert "no runs recorded yet" in err and err.count("\n") == 1


def test_an_unknown_run_id_is_a_one_line_error(tmp_path, capsys):
    db = hand_made_db(tmp_path / "b.db")
    assert run_cli("--db", str(db), "--out", str(tmp_path / "s"), "--runs", "nope") == 2
    err = capsys.readouterr().err
    assert "no run 'nope'" in err and err.count("\n") == 1


def test_an_unwritable_out_is_a_one_line_error(tmp_path, capsys):
    db = hand_made_db(tmp_path / "b.db")
    (tmp_path / "file").write_text("not a folder")
    assert run_cli("--db", str(db), "--out", str(tmp_path / "file" / "site")) == 2
    err = capsys.readouterr().err
    assert "cannot write" in err and err.count("\n") == 1


def test_a_folder_that_is_not_a_site_is_never_replaced(tmp_path, capsys):
    db = hand_made_db(tmp_path / "b.db")
    keep = tmp_path / "mine"
    keep.mkdir()
    (keep / "notes.txt").write_text("precious")
    assert run_cli("--db", str(db), "--out", str(keep)) == 2
    assert "not a site built here" in capsys.readouterr().err
    assert (keep / "notes.txt").read_text() == "precious"


def test_hand_made_rows_build_with_missing_frames_code_and_suite(tmp_path, capsys):
    db = hand_made_db(tmp_path / "b.db")
    out = tmp_path / "site"
    assert run_cli("--db", str(db), "--out", str(out), "--runs", "20260101-000000-alpha") == 0
    assert "1 runs, 2 results (1 failing), 1 failure pages" in capsys.readouterr().out
    run = out / "runs" / "20260101-000000-alpha-aaaaaa"
    (page,) = [p for p in run.glob("*.html") if p.name != "index.html"]
    html = page.read_text()
    assert "is not available here" in html  # the suite file is gone
    assert "no submission frame" in html and "not readable" in html
    index = (out / "index.html").read_text()
    assert "20260101-000001-beta-bbbbbb" in index and "not named by --runs" in index


def test_a_task_page_says_why_an_object_was_not_verified(tmp_path):
    forged = MeasuredObject("other", "", Box(-1, -1, 1, 1), True, False,
                            "does not draw 'x^2': ink IoU 0.12 < 0.75 against the typeset string")
    db = hand_made_db(tmp_path / "b.db", [forged])
    out = tmp_path / "site"
    assert run_cli("--db", str(db), "--out", str(out), "--runs", "20260101-000000-alpha") == 0
    run = out / "runs" / "20260101-000000-alpha-aaaaaa"
    (page,) = [p for p in run.glob("*.html") if p.name != "index.html"]
    html = page.read_text()
    assert "unverified" in html and "ink IoU 0.12" in html
