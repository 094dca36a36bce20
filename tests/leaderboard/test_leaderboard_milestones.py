"""Milestone verdicts, run selection, failures and per-object diffs on hand-made rows."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from benchmark.core.tasks import Box, ObjectSpec, PlacedObject, Reference, Task
from benchmark.outcome import MeasuredObject
from benchmark.results import RunRecord, TaskResult
from benchmark.scoring import SCORING_VERSION, MetricSummary, ScoredRow, summarize
from leaderboard.collect import (
    LeaderboardError,
    read_human_eval,
    select_runs,
    submission_label,
)
from leaderboard.diff import diff_view, failure_reason
from leaderboard.milestones import (
    FAIL,
    MILESTONES,
    NOT_MEASURED,
    PASS,
    TIE,
    Criterion,
    Evidence,
    combine,
    evaluate,
    verdict,
)

AT_LEAST = Criterion("miou", 0.70)
AT_MOST = Criterion("generate_s", 5.0, higher_is_better=False)


def est(mean: float | None, lo: float | None = None, hi: float | None = None,
        n: int = 100) -> MetricSummary:
    return MetricSummary(mean, lo if lo is not None else mean, hi if hi is not None else mean, n)


# -- one estimate against one threshold ------------------------------------------------------

def test_interval_wholly_above_the_threshold_passes():
    assert verdict(est(0.8, 0.72, 0.88), AT_LEAST) == PASS


def test_interval_starting_exactly_at_the_threshold_passes():
    assert verdict(est(0.75, 0.70, 0.80), AT_LEAST) == PASS


def test_interval_wholly_below_the_threshold_fails():
    assert verdict(est(0.6, 0.55, 0.69), AT_LEAST) == FAIL


def test_interval_straddling_the_threshold_is_a_tie_whichever_side_the_mean_is():
    assert verdict(est(0.72, 0.65, 0.79), AT_LEAST) == TIE
    assert verdict(est(0.68, 0.61, 0.75), AT_LEAST) == TIE


@pytest.mark.parametrize("estimate", [None, est(None), MetricSummary(0.9, 0.8, 1.0, 0)])
def test_missing_estimate_is_not_measured(estimate):
    assert verdict(estimate, AT_LEAST) == NOT_MEASURED


def test_lower_is_better_budget_passes_fails_and_ties():
    assert verdict(est(1.2, 0.9, 1.5), AT_MOST) == PASS
    assert verdict(est(7.0, 6.1, 8.0), AT_MOST) == FAIL
    assert verdict(est(5.1, 4.2, 6.0), AT_MOST) == TIE


def test_interval_without_bounds_is_judged_on_the_mean():
    assert verdict(MetricSummary(0.8, None, None, 3), AT_LEAST) == PASS


# -- combining criteria ----------------------------------------------------------------------

def test_any_failing_criterion_fails_the_milestone_even_if_another_is_missing():
    assert combine([PASS, FAIL]) == FAIL
    assert combine([NOT_MEASURED, FAIL]) == FAIL


def test_a_tie_keeps_the_milestone_undecided_and_a_gap_unmeasured():
    assert combine([PASS, TIE]) == TIE
    assert combine([PASS, NOT_MEASURED]) == NOT_MEASURED
    assert combine([PASS, PASS]) == PASS


# -- whole milestone rows from fixture rows ----------------------------------------------------

def rows(n: int, **metrics: float) -> list[ScoredRow]:
    return [ScoredRow(f"t/{i}", "f", "easy", "ok", dict(metrics)) for i in range(n)]


def cells(ev: Evidence) -> dict[str, str]:
    return {c.milestone.key: c.verdict for c in evaluate(ev)}


def test_milestones_from_summaries_of_fixture_rows():
    synthetic = summarize(rows(50, miou=0.9, compiled=1.0, **{"adherence@0.5": 0.95})).overall
    mixed = rows(20, compiled=1.0, **{"adherence@0.5": 1.0}) + rows(
        20, compiled=0.0, **{"adherence@0.5": 0.0})  # compiled 0.5: fails M2
    threeb1b = summarize(mixed).overall
    ev = Evidence(suites={("synthetic", "test"): synthetic, ("3b1b", "test"): threeb1b},
                  human=est(0.62, 0.48, 0.75), generate_s=est(0.2, 0.1, 0.3))
    assert cells(ev) == {"M1": PASS, "M2": FAIL, "M3": TIE, "short": PASS, "speed": PASS}


def test_m2_reads_3b1b_test_with_context_and_shows_the_scratch_variant_beside_it():
    good = summarize(rows(40, compiled=1.0, **{"adherence@0.5": 0.9})).overall
    poor = summarize(rows(40, compiled=1.0, **{"adherence@0.5": 0.1})).overall
    m2 = next(m for m in MILESTONES if m.key == "M2")
    assert (m2.suite, m2.split, m2.beside) == ("3b1b", "test", "test-scratch")
    assert "with context" in m2.goal

    def m2_cell(ev: Evidence):
        return next(c for c in evaluate(ev) if c.milestone.key == "M2")

    # The verdict follows the context variant alone; the scratch one is shown, not judged.
    cell = m2_cell(Evidence(suites={("3b1b", "test"): good, ("3b1b", "test-scratch"): poor}))
    assert cell.verdict == PASS
    assert [p.criterion.metric for p in cell.beside] == ["compiled", "adherence@0.5"]
    assert [p.verdict for p in cell.beside] == [PASS, FAIL]
    assert cell.beside[1].estimate.mean == pytest.approx(0.1)
    scratch_only = m2_cell(Evidence(suites={("3b1b", "test-scratch"): good}))
    assert scratch_only.verdict == NOT_MEASURED and scratch_only.beside[1].verdict == PASS
    assert [p.verdict for p in m2_cell(Evidence()).beside] == [NOT_MEASURED] * 2
    others = [c for c in evaluate(Evidence()) if c.milestone.key != "M2"]
    assert all(c.beside == [] for c in others)


def test_a_submission_with_nothing_recorded_is_not_measured_everywhere():
    assert set(cells(Evidence()).values()) == {NOT_MEASURED}


def test_milestones_read_the_split_they_name():
    val_only = Evidence(suites={("synthetic", "val"): {"miou": est(0.9)}})
    assert cells(val_only)["M1"] == NOT_MEASURED


def test_milestone_thresholds_are_the_plans():
    goals = {m.key: [(c.metric, c.threshold) for c in m.criteria] for m in MILESTONES}
    assert goals == {"M1": [("miou", 0.70)], "M2": [("compiled", 0.80), ("adherence@0.5", 0.70)],
                     "M3": [("good_rate", 0.60)],
                     "short": [("compiled", 0.80), ("adherence@0.5", 0.70)],
                     "speed": [("generate_s", 5.0)]}


# -- which runs are compared -------------------------------------------------------------------

def rec(run_id: str, model: str = "oracle", created: str = "2026-01-01T00:00:00+00:00",
        status: str = "complete", suite: str = "synthetic", **args: str) -> RunRecord:
    return RunRecord(run_id=run_id, created=created, model=model, suite=suite, split="test",
                     suite_version="v1", suite_hash="h", n_tasks=2, status=status,
                     model_args=dict(args), scoring={"version": SCORING_VERSION})


def test_latest_complete_run_per_submission_and_suite_is_compared():
    runs = [rec("a-old"), rec("a-new", created="2026-02-01T00:00:00+00:00"),
            rec("a-running", created="2026-03-01T00:00:00+00:00", status="running"),
            rec("a-3b1b", suite="3b1b")]
    picked, skipped = select_runs(runs, dict.fromkeys(["a-old", "a-new", "a-running",
                                                       "a-3b1b"], 2))
    assert sorted(r.run_id for r in picked) == ["a-3b1b", "a-new"]
    reasons = {s.record.run_id: s.reason for s in skipped}
    assert reasons["a-old"] == "superseded by a-new"
    assert reasons["a-running"].startswith("running")


def test_model_arguments_make_different_submissions():
    runs = [rec("r1", model="random", seed="1"), rec("r2", model="random", seed="2")]
    picked, _ = select_runs(runs, {"r1": 1, "r2": 1})
    assert sorted(submission_label(r) for r in picked) == ["random (seed=1)", "random (seed=2)"]


def test_a_complete_run_without_results_is_not_compared():
    picked, skipped = select_runs([rec("empty")], {})
    assert picked == [] and skipped[0].reason == "no results"


def test_naming_two_runs_of_one_submission_and_suite_is_an_error():
    with pytest.raises(LeaderboardError, match="pick one"):
        select_runs([rec("a"), rec("b")], {"a": 1, "b": 1}, ["a", "b"])


def test_named_runs_may_be_incomplete_and_the_rest_is_left_out():
    runs = [rec("a", status="interrupted"), rec("b")]
    picked, skipped = select_runs(runs, {"a": 1, "b": 1}, ["a"])
    assert [r.run_id for r in picked] == ["a"]
    assert skipped[0].reason == "not named by --runs"


# -- failures and diffs ------------------------------------------------------------------------

def result(status: str = "ok", objects: list[MeasuredObject] | None = None,
           **metrics: float) -> TaskResult:
    return TaskResult(run_id="r", task_id="t/0", family="f", difficulty="easy", status=status,
                      metrics=dict(metrics), objects=objects or [])


def test_failure_reasons():
    assert failure_reason(result("timeout")) == "timeout"
    assert failure_reason(result(rendered=0.0)) == "nothing visible"
    assert failure_reason(result(rendered=1.0, **{"adherence@0.5": 0.5})).startswith(
        "misplaced: 50%")
    assert failure_reason(result(rendered=1.0, **{"adherence@0.5": 1.0})) == ""


def two_object_task() -> Task:
    objs = [ObjectSpec("c", "shape", "Circle"), ObjectSpec("t", "text", "Hello")]
    layout = [PlacedObject("c", "shape", "Circle", Box(-3, -1, -1, 1)),
              PlacedObject("t", "text", "Hello", Box(1, -0.5, 3, 0.5))]
    return Task("t/0", "tiny", "test", "f", "easy", "A circle left of Hello.", objs, [],
                Reference(layout))


def test_diff_matches_objects_with_iou_and_centre_error():
    measured = [MeasuredObject("text", "Hello", Box(1.3, -0.1, 3.3, 0.9)),  # moved (0.3, 0.4)
                MeasuredObject("arrow", "Arrow", Box(4, 2, 5, 3))]  # nothing to match
    view = diff_view(two_object_task(), result(objects=measured))
    by_id = {r.id: r for r in view.rows}
    assert by_id["c"].pred is None and by_id["c"].iou is None and not by_id["c"].placed
    hello = by_id["t"]
    assert hello.centre_error == pytest.approx(0.5)
    assert hello.placed  # within 0.5 units counts, as adherence@0.5 counts it
    assert hello.iou == pytest.approx((1.7 * 0.6) / (2 * 2.0 - 1.7 * 0.6))
    assert [(x.kind, x.content) for x in view.extras] == [("arrow", "Arrow")]


def test_diff_boxes_are_in_svg_coordinates_of_two_panels():
    view = diff_view(two_object_task(), result(objects=[
        MeasuredObject("shape", "Circle", Box(-3, -1, -1, 1))]))
    circle = view.rows[0]
    assert circle.ref.y == pytest.approx(3.0) and circle.ref.h == pytest.approx(2.0)  # y down
    assert circle.pred_rect is not None
    assert circle.pred_rect.x - circle.ref.x == pytest.approx(view.panels[1].x, abs=1e-3)


def test_box_numbers_sit_outside_their_boxes_where_the_panel_has_room():
    from leaderboard.diff import FRAME_H, LABEL_SIZE, Rect

    middle = Rect(2.0, 3.0, 0.3, 0.3)  # a one-letter label: the number must not cover it
    assert middle.label.y <= middle.y and middle.label.x == middle.x
    top = Rect(2.0, 0.0, 1.0, 1.0)  # no room above: below the box
    assert top.label.y >= top.y + top.h
    whole = Rect(0.0, 0.0, 5.0, FRAME_H)  # no room either side: inside, below the top edge
    assert top.y < whole.label.y <= whole.y + LABEL_SIZE


def test_numbers_of_boxes_sharing_a_corner_do_not_overprint():
    from leaderboard.diff import LABEL_SIZE, Labels, Rect

    labels = Labels()
    axes, graph = labels(Rect(2.0, 3.0, 4.0, 3.0)), labels(Rect(2.0, 3.0, 4.0, 1.0))
    assert graph.y == axes.y and graph.x >= axes.x + LABEL_SIZE


def test_failed_render_matches_nothing():
    measured = [MeasuredObject("shape", "Circle", Box(-3, -1, -1, 1))]
    view = diff_view(two_object_task(), result("runtime_error", measured))
    assert view.matched == 0 and len(view.extras) == 1


# -- human evaluation by reflection ------------------------------------------------------------

def test_no_human_eval_table_means_no_rows():
    engine = sa.create_engine("sqlite://")
    with engine.connect() as conn:
        assert read_human_eval(conn) == []


def test_human_eval_rows_are_read_by_reflection_from_the_agreed_columns():
    engine = sa.create_engine("sqlite://")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE human_eval_summary (run_id TEXT PRIMARY KEY, submission TEXT, "
            "suite TEXT, split TEXT, n_items INTEGER, n_ratings INTEGER, mean REAL, "
            "mean_lo REAL, mean_hi REAL, good_rate REAL, good_lo REAL, good_hi REAL, "
            "alpha REAL, histogram TEXT, computed TEXT)")
        conn.exec_driver_sql(
            "INSERT INTO human_eval_summary VALUES ('r1', 'jepa', '3b1b', 'test', 40, 120, "
            "3.8, 3.5, 4.1, 0.65, 0.5, 0.8, NULL, '[1, 2, 3, 4, 5]', '2026-01-01')")
        (row,) = read_human_eval(conn)
    assert row.good.mean == 0.65 and (row.good.lo, row.good.hi) == (0.5, 0.8)
    assert row.alpha is None and row.histogram == [1, 2, 3, 4, 5] and row.n_raters is None
