"""Items of a rating session from real runs, known-bad check frames, and refused input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from _human_eval_runs import N_TASKS, REPO, benchmark_runs, fresh_db

from benchmark.core.frame import FRAME_WIDTH
from benchmark.core.tasks import Box
from benchmark.measure import semantic_objects
from benchmark.snapshot import decode_snapshot
from benchmark.store import Store
from benchmark.suites import load_suite
from human_eval.checks import push_objects
from human_eval.cli import main
from human_eval.items import ItemsError, build_items
from human_eval.storage import RatingStore


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return benchmark_runs(tmp_path_factory)


@pytest.fixture
def store(runs, tmp_path):
    with Store(str(fresh_db(runs, tmp_path / "db"))) as s:
        yield s


def stored_rows(db: Path) -> int:
    with Store(str(db)) as s:
        rs = RatingStore(s)
        return len(rs.items()) + len(rs.ratings())


def test_every_rendered_task_of_every_run_is_one_item_with_its_prompt(runs, store):
    got = build_items(store, runs.rated, checks=0)
    assert len(got.frames) == 3 * N_TASKS and got.checks == []
    prompts = {t.id: t.prompt for t in load_suite(str(runs.suite))}
    for item in got.frames:
        assert item.prompt == prompts[item.task_id]
        assert store.artifacts.path(item.frame).is_file() and item.reference_frame
    assert len({it.item_id for it in got.frames}) == len(got.frames)
    for model in ("oracle", "random", "template"):  # ids are opaque: blind
        assert not any(model in it.item_id or model in it.frame for it in got.frames)


def test_a_run_with_unrendered_tasks_rates_the_rendered_ones(runs, store):
    got = build_items(store, [runs.ids["half"]], checks=0)
    assert len(got.frames) == N_TASKS // 2
    assert len(got.runs[0].unrendered) == N_TASKS // 2 and got.runs[0].n_tasks == N_TASKS


def test_checks_take_their_share_half_known_good_half_known_bad(runs, store):
    got = build_items(store, runs.rated, checks=0.2)  # 24 frames -> 6 checks
    kinds = sorted(it.kind for it in got.checks)
    assert kinds == ["check_bad"] * 3 + ["check_good"] * 3
    for item in got.checks:
        assert item.run_id is None and item.reference_frame
        if item.kind == "check_good":
            assert item.frame == item.reference_frame
        else:
            assert item.frame != item.reference_frame
            bad = store.artifacts.read_frame(item.frame)
            ref = store.artifacts.read_frame(item.reference_frame)
            assert bad.shape == ref.shape and (np.abs(bad.astype(int) - ref).max(axis=2)
                                                > 8).sum() > 1000
            assert item.note.startswith(("overlap:", "off_frame:"))


def test_the_same_session_makes_the_same_items_and_draws_checks_once(runs, store):
    first = build_items(store, runs.rated, checks=0.2)
    rs = RatingStore(store)
    assert rs.add_items(first.items) == len(first.items)
    frames = sorted(store.artifacts.path("artifacts/frames").iterdir())
    again = build_items(store, list(reversed(runs.rated)), checks=0.2)
    assert {it.item_id for it in again.items} == {it.item_id for it in first.items}
    assert rs.add_items(again.items) == 0
    assert sorted(store.artifacts.path("artifacts/frames").iterdir()) == frames


def _reference_snapshot(runs, store):
    oracle = store.results(runs.ids["oracle"])[0]  # the oracle's render is the reference's
    return decode_snapshot(store.artifacts.path(oracle.snapshot).read_bytes())


def test_overlap_check_puts_one_object_over_another(runs, store):
    snap = _reference_snapshot(runs, store)
    before = [Box(*o.box) for o in semantic_objects(snap)]
    assert before[0].intersection(before[1]) == 0  # the reference keeps them apart
    moved, defect = push_objects(snap, "overlap")
    after = [Box(*o.box) for o in semantic_objects(moved)]
    a, b = after
    assert a.intersection(b) >= 0.3 * min(a.area, b.area)
    assert defect.how == "overlap" and "onto" in defect.note()


def test_off_frame_check_cuts_off_half_an_object(runs, store):
    snap = _reference_snapshot(runs, store)
    moved, defect = push_objects(snap, "off_frame")
    boxes = [Box(*o.box) for o in semantic_objects(moved)]
    half = FRAME_WIDTH / 2
    cut = [b for b in boxes if b.xmin < -half < b.xmax or b.xmin < half < b.xmax]
    assert len(cut) == 1 and defect.how == "off_frame"


def test_unknown_run_is_a_clear_error(runs, store):
    with pytest.raises(ItemsError, match="no run 'no-such-run'"):
        build_items(store, [runs.ids["oracle"], "no-such-run"])


def test_empty_run_is_a_clear_error(runs, store):
    with pytest.raises(ItemsError, match="has no results"):
        build_items(store, [runs.ids["empty"]])


def test_run_where_nothing_rendered_is_a_clear_error(runs, store):
    with pytest.raises(ItemsError, match="no rendered frames"):
        build_items(store, [runs.ids["broken"]])


@pytest.mark.parametrize(("what", "args", "message"), [
    ("unknown run", ["--runs", "no-such-run"], "no run 'no-such-run'"),
    ("empty run", ["--runs", "EMPTY"], "has no results"),
    ("nothing rendered", ["--runs", "BROKEN"], "no rendered frames"),
    ("bad K", ["--runs", "ORACLE", "--ratings-per-item", "0"], "at least 1"),
])
def test_serve_refuses_bad_runs_in_one_line_and_stores_nothing(runs, tmp_path, capsys, what,
                                                               args, message):
    db = fresh_db(runs, tmp_path / "db")
    args = [runs.ids["empty"] if a == "EMPTY" else runs.ids["broken"] if a == "BROKEN"
            else runs.ids["oracle"] if a == "ORACLE" else a for a in args]
    assert main(["serve", "--db", str(db), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and message in err, what
    assert stored_rows(db) == 0


@pytest.mark.parametrize(("content", "message"), [
    (None, "cannot read the access codes"),
    ("# nobody yet\n\n", "no access codes"),
    ("k7f9x2 alice extra\n", ":1: expected 'CODE' or 'CODE RATER_ID'"),
    ("ok-code alice\nbad code!\n", "is not allowed"),
    ("abc alice\nabc bob\n", ":2: access code 'abc' is listed twice"),
    ("abc alice\nxyz alice\n", "rater ID 'alice' already has a code"),
])
def test_a_bad_access_codes_file_is_one_line_and_stores_nothing(runs, tmp_path, capsys,
                                                                 content, message):
    db = fresh_db(runs, tmp_path / "db")
    codes = tmp_path / "codes.txt"
    if content is not None:
        codes.write_text(content)
    assert main(["serve", "--db", str(db), "--runs", runs.ids["oracle"],
                 "--access-codes", str(codes)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --access-codes: ") and err.count("\n") == 1
    assert message in err
    assert stored_rows(db) == 0


def test_a_missing_database_is_an_error_and_not_created(tmp_path, capsys):
    db = tmp_path / "nothing-here.db"
    assert main(["serve", "--db", str(db), "--runs", "x"]) == 2
    assert "no such database" in capsys.readouterr().err and not db.exists()
    assert main(["report", "--db", str(db)]) == 2 and not db.exists()


def test_help_explains_both_commands():
    done = subprocess.run([sys.executable, "-m", "human_eval", "serve", "--help"], cwd=REPO,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0
    for flag in ("--runs", "--db", "--ratings-per-item", "--access-codes", "--host", "--port",
                 "--checks", "--reference", "gradio_client"):
        assert flag in done.stdout, flag
    done = subprocess.run([sys.executable, "-m", "human_eval", "report", "--help"], cwd=REPO,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0 and "--json" in done.stdout and "human_eval_summary" in \
        done.stdout
