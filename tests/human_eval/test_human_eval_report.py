"""``python -m human_eval report`` on ratings made through a real session and store.

Three raters rate real runs in patterns whose statistics can be worked out by
hand; the report's JSON, its table and the ``human_eval_summary`` rows (what
the leaderboard reads) must agree with them.
"""

from __future__ import annotations

import json

import pytest
from _human_eval_runs import N_TASKS, benchmark_runs, fresh_db

from benchmark.store import Store
from human_eval.cli import main
from human_eval.items import build_items
from human_eval.session import RatingSession
from human_eval.storage import RatingStore


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return benchmark_runs(tmp_path_factory)


@pytest.fixture(scope="module")
def rated_db(runs, tmp_path_factory):
    """oracle: r1 gives 5, r2 gives 4; random: 1, 2 and "lazy" 5; half: r1 4, r2 5.

    r1 and r2 pass every attention check; lazy rates every check 5, so fails the
    known-bad ones, and is flagged.
    """
    db = fresh_db(runs, tmp_path_factory.mktemp("report") / "db")
    with Store(str(db)) as store:
        items = build_items(store, [runs.ids[m] for m in ("oracle", "random", "half")],
                            checks=0.25)
        rs = RatingStore(store)
        rs.add_items(items.items)
        session = RatingSession(rs, items.items)
        model = {r.record.run_id: r.record.model for r in items.runs}
        scheme = {"r1": {"oracle": 5, "random": 1, "half": 4},
                  "r2": {"oracle": 4, "random": 2, "half": 5},
                  "lazy": {"random": 5}}
        for rater, by_model in scheme.items():
            for item in items.frames:
                if model[item.run_id] in by_model:
                    session.rate(rater, item.item_id, by_model[model[item.run_id]])
            for item in items.checks:
                good = item.expect == "good" or rater == "lazy"
                session.rate(rater, item.item_id, 5 if good else 1)
        assert len(items.checks) == 7  # round(0.25 * 20 / 0.75): 4 known-bad, 3 known-good
    return db


def report(db, capsys, *extra: str) -> dict:
    assert main(["report", "--db", str(db), "--json", "--bootstrap", "1000", *extra]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def by_model(rep: dict) -> dict[str, dict]:
    return {s["submission"]: s for s in rep["submissions"]}


def test_per_submission_numbers_match_hand_computed_values(rated_db, capsys):
    subs = by_model(report(rated_db, capsys))
    oracle, random, half = subs["oracle"], subs["random"], subs["half"]
    assert (oracle["n_items"], oracle["n_ratings"], oracle["n_raters"]) == (N_TASKS, 16, 2)
    assert oracle["mean"]["mean"] == pytest.approx(4.5)  # every item: (5 + 4) / 2
    assert oracle["good"]["mean"] == 1.0 and oracle["m3"] is True
    assert oracle["histogram"] == [0, 0, 0, 8, 8]
    # Every unit is (5, 4): o_45 = o_54 = 8, n_4 = n_5 = 8, n = 16, and the ordinal
    # d(4,5) = (8 + 8 - 16/2)^2 = 64, so alpha = 1 - 15 * (2*8*64) / (2*8*8*64) = -0.875.
    assert oracle["alpha"] == pytest.approx(-0.875)
    assert random["mean"]["mean"] == pytest.approx(8 / 3) and random["good"]["mean"] == 0.0
    assert random["histogram"] == [8, 8, 0, 0, 8] and random["m3"] is False
    # half: 4 of 8 tasks rendered, all 4 rated good -> 4 good scenes of 8
    assert (half["n_items"], half["n_unrendered"], half["n_tasks"]) == (4, 4, N_TASKS)
    assert half["good"]["mean"] == pytest.approx(0.5)
    assert half["good"]["lo"] == pytest.approx(0.5) == half["good"]["hi"]


def test_raters_failing_attention_checks_are_flagged(rated_db, capsys):
    raters = {r["rater"]: r for r in report(rated_db, capsys)["raters"]}
    assert raters["r1"]["pass_rate"] == 1.0 and not raters["r1"]["flagged"]
    assert (raters["lazy"]["checks_passed"], raters["lazy"]["n_checks"]) == (3, 7)
    assert raters["lazy"]["flagged"] and raters["lazy"]["n"] == N_TASKS
    assert raters["r2"]["n"] == 2 * N_TASKS + N_TASKS // 2 and raters["r2"]["mean"] == \
        pytest.approx((8 * 4 + 8 * 2 + 4 * 5) / 20)


def test_summary_rows_for_the_leaderboard_equal_the_report(rated_db, capsys, runs):
    rep = report(rated_db, capsys)
    with Store(str(rated_db)) as store:
        rows = {r["run_id"]: r for r in RatingStore(store).summaries()}
    assert set(rows) == {runs.ids[m] for m in ("oracle", "random", "half")}
    for sub in rep["submissions"]:
        row = rows[sub["run_id"]]
        assert row["submission"] == sub["submission"] and row["suite"] == "tiny8"
        assert row["split"] == "test" and row["n_items"] == sub["n_items"]
        assert (row["mean"], row["mean_lo"], row["mean_hi"]) == pytest.approx(
            (sub["mean"]["mean"], sub["mean"]["lo"], sub["mean"]["hi"]))
        assert (row["good_rate"], row["good_lo"], row["good_hi"]) == pytest.approx(
            (sub["good"]["mean"], sub["good"]["lo"], sub["good"]["hi"]))
        assert row["histogram"] == sub["histogram"] and row["computed"].endswith("+00:00")
        assert row["n_unrendered"] == sub["n_unrendered"]


def test_exclude_flagged_leaves_their_ratings_out(rated_db, capsys):
    rep = report(rated_db, capsys, "--exclude-flagged")
    assert rep["excluded_raters"] == ["lazy"]
    random = by_model(rep)["random"]
    assert random["mean"]["mean"] == pytest.approx(1.5) and random["histogram"] == \
        [8, 8, 0, 0, 0]
    with Store(str(rated_db)) as store:
        rows = {r["submission"]: r for r in RatingStore(store).summaries()}
    assert rows["random"]["mean"] == pytest.approx(1.5)
    report(rated_db, capsys)  # back to everyone, for the other tests


def test_overall_alpha_covers_every_submissions_items_but_not_checks(rated_db, capsys):
    rep = report(rated_db, capsys)
    assert rep["n_checks"] == 7 and -1 <= rep["alpha"] <= 1
    assert rep["n_ratings"] == 16 + 24 + 8 + 3 * 7


def test_the_table_says_what_passed_milestone_3_and_who_is_flagged(rated_db, capsys):
    assert main(["report", "--db", str(rated_db), "--bootstrap", "200"]) == 0
    out = capsys.readouterr().out
    assert "Krippendorff's alpha (ordinal)" in out and "FLAGGED" in out
    oracle_line = next(line for line in out.splitlines() if line.strip().startswith("oracle"))
    assert oracle_line.rstrip().endswith("yes") and "4.50" in oracle_line
    assert "4 of 8 tasks did not render" in out


def test_report_without_ratings_says_so_and_clears_the_table(runs, tmp_path, capsys):
    db = fresh_db(runs, tmp_path / "db")
    assert main(["report", "--db", str(db)]) == 0
    assert "no ratings of submissions' frames yet" in capsys.readouterr().out
    with Store(str(db)) as store:
        assert RatingStore(store).summaries() == []
