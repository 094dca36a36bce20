"""Per-task layout scorers on hand-built outcomes: known moves give known scores."""

from __future__ import annotations

import pytest

from benchmark.core.tasks import Box, ObjectSpec, PlacedObject, Reference, Relation, Task
from benchmark.outcome import MeasuredObject, Outcome
from benchmark.scoring import (
    HEADLINE,
    METRICS,
    ScoringConfig,
    match_objects,
    relation_holds,
    score_outcome,
)

NO_IMAGES = ScoringConfig(scorers=("execution", "layout", "defects"))


def make_task(layout: list[PlacedObject], relations: list[Relation] | None = None,
              given: dict[str, Box] | None = None) -> Task:
    given = given or {}
    objects = [ObjectSpec(p.id, p.kind, p.content, given=given.get(p.id)) for p in layout]
    return Task("t/0", "t", "test", "fam", "easy", "a prompt", objects, relations or [],
                Reference(layout, code=None))


def outcome(objects: list[MeasuredObject], status: str = "ok") -> Outcome:
    return Outcome(code="pass", compiled=True, status=status, objects=objects)


def measured(p: PlacedObject, dx: float = 0.0, dy: float = 0.0) -> MeasuredObject:
    return MeasuredObject(p.kind, p.content, p.box.translated(dx, dy))


TWO = [PlacedObject("a", "shape", "Rectangle", Box(-4.0, -0.5, -2.0, 0.5)),  # 2 × 1
       PlacedObject("b", "tex", "x^2", Box(1.0, 1.0, 2.0, 2.0))]


def scores(task: Task, out: Outcome) -> dict[str, float | None]:
    return score_outcome(task, out, NO_IMAGES)


def test_every_metric_is_reported_in_display_order():
    s = scores(make_task(TWO), outcome([measured(p) for p in TWO]))
    assert list(s) == list(METRICS)
    assert set(HEADLINE) <= set(METRICS)


def test_shifting_a_2x1_box_by_half_a_unit_gives_iou_0_6():
    task = make_task(TWO)
    s = scores(task, outcome([measured(TWO[0], dx=0.5), measured(TWO[1])]))
    assert s["miou"] == pytest.approx((1.0 + 1.5 / 2.5) / 2)
    assert s["adherence@0.5"] == 1.0
    assert s["adherence@0.4"] == 0.5


def test_shifting_by_0_6_drops_adherence_at_0_5_to_one_half():
    task = make_task(TWO)
    s = scores(task, outcome([measured(TWO[0], dx=0.6), measured(TWO[1])]))
    assert s["miou"] == pytest.approx((1.0 + 1.4 / 2.6) / 2)
    assert s["adherence@0.5"] == 0.5
    assert s["adherence@0.6"] == 1.0


def test_a_vertical_shift_changes_iou_by_the_height_overlap():
    task = make_task(TWO)
    s = scores(task, outcome([measured(TWO[0], dy=0.25), measured(TWO[1])]))
    assert s["miou"] == pytest.approx((1.0 + 1.5 / 2.5) / 2)  # 2 × 0.75 over 4 − 1.5


def test_identical_layout_scores_one_everywhere():
    layout = [*TWO, PlacedObject("c", "text", "Hello", Box(-1, -3, 1, -2.5))]
    task = make_task(layout, [Relation("b", "above", "c"), Relation("a", "left_of", "b")])
    s = scores(task, outcome([measured(p) for p in layout]))
    for m in ("miou", "type_acc", "rel_acc", "adherence@0.5", "adherence@0.1", "rendered",
              "compiled"):
        assert s[m] == 1.0, m
    assert s["overlap"] == 0.0 and s["off_frame"] == 0.0
    assert s["context_kept"] is None


def test_swapped_contents_of_two_texts_match_by_content_and_score_zero_iou():
    left = PlacedObject("l", "text", "Left", Box(-5, -0.3, -3, 0.3))
    right = PlacedObject("r", "text", "Right", Box(3, -0.3, 5, 0.3))
    task = make_task([left, right])
    swapped = [MeasuredObject("text", "Left", right.box), MeasuredObject("text", "Right", left.box)]
    assert match_objects([left, right], swapped) == [0, 1]
    s = scores(task, outcome(swapped))
    assert s["miou"] == pytest.approx(0.0, abs=1e-9)
    assert s["adherence@1.0"] == 0.0
    assert s["type_acc"] == 1.0  # the right kinds, in the wrong places


def test_wildly_different_kind_and_content_is_no_match():
    ref = [PlacedObject("eq", "tex", "E = mc^2", Box(-1, -0.3, 1, 0.3))]
    pred = [MeasuredObject("axes", "", Box(-1, -0.3, 1, 0.3))]
    assert match_objects(ref, pred) == [None]
    assert scores(make_task(ref), outcome(pred))["miou"] == 0.0


def test_invisible_objects_are_never_matched():
    pred = [MeasuredObject(p.kind, p.content, p.box, visible=False) for p in TWO]
    assert match_objects(TWO, pred) == [None, None]
    s = scores(make_task(TWO), outcome(pred))
    assert s["rendered"] == 0.0 and s["miou"] == 0.0
    assert s["overlap"] is None and s["off_frame"] is None


def test_failed_render_earns_zero_layout_and_null_defects():
    task = make_task(TWO, [Relation("a", "left_of", "b")])
    s = scores(task, Outcome(code="x = (", compiled=False, status="syntax_error"))
    assert s["compiled"] == 0.0 and s["rendered"] == 0.0
    for m in ("miou", "type_acc", "rel_acc", "adherence@0.5"):
        assert s[m] == 0.0, m
    for m in ("overlap", "off_frame", "lpips", "ssim"):
        assert s[m] is None, m


def test_given_objects_are_context_not_placement():
    given = {"a": TWO[0].box}
    task = make_task(TWO, given=given)
    kept = scores(task, outcome([measured(TWO[0]), measured(TWO[1], dx=0.6)]))
    assert kept["context_kept"] == 1.0
    assert kept["adherence@0.5"] == 0.0  # only b counts, and it moved
    moved = scores(task, outcome([measured(TWO[0], dx=0.5), measured(TWO[1])]))
    assert moved["context_kept"] == 0.0  # IoU 0.6 < 0.9
    assert moved["miou"] == 1.0


def test_order_agreement_uses_a_tolerance_band():
    a = PlacedObject("a", "tex", "a", Box(-2.2, -0.2, -1.8, 0.2))
    b = PlacedObject("b", "tex", "b", Box(1.8, -0.2, 2.2, 0.2))
    task = make_task([a, b])  # b right of a; level in y
    assert scores(task, outcome([measured(a), measured(b, dy=0.2)]))["rel_acc"] == 1.0
    # b drops 0.3 below a's level: the vertical order now disagrees
    assert scores(task, outcome([measured(a), measured(b, dy=-0.3)]))["rel_acc"] == 0.5
    # b moves to a's left: the horizontal order disagrees too
    assert scores(task, outcome([measured(a), measured(b, dx=-5, dy=-0.3)]))["rel_acc"] == 0.0


def test_explicit_relations_are_checked_on_the_matched_boxes():
    a = PlacedObject("a", "tex", "a", Box(-0.2, 1.0, 0.2, 1.4))
    b = PlacedObject("b", "tex", "b", Box(-0.2, -1.4, 0.2, -1.0))
    task = make_task([a, b], [Relation("a", "above", "b")])
    # three checks: x order (level), y order, "above"
    flipped = outcome([measured(a, dy=-2.4), measured(b, dy=2.4)])
    assert scores(task, flipped)["rel_acc"] == pytest.approx(1 / 3)


def test_a_single_free_object_without_relations_has_no_rel_acc():
    task = make_task(TWO[:1])
    assert scores(task, outcome([measured(TWO[0])]))["rel_acc"] is None


@pytest.mark.parametrize(("rel", "a", "b", "holds"), [
    ("left_of", Box(-3, 0, -1, 1), Box(0, 0, 1, 1), True),
    ("left_of", Box(-3, 0, 2, 1), Box(0, 0, 1, 1), False),
    ("left_of", Box(-1.5, 0, 0.5, 1), Box(0, 0, 1, 1), True),
    ("right_of", Box(-0.8, -2, 3.2, 2), Box(-3.2, -2, 0.8, 2), True),
    ("right_of", Box(0, 0, 1, 1), Box(0.1, 0, 1.1, 1), False),
    ("aligned_x", Box(-1, 1, 4, 1.5), Box(-1, 2, 2.3, 2.3), True),
    ("aligned_x", Box(-1, 1, 4, 1.5), Box(0, 2, 2.3, 2.3), False),
    ("right_of", Box(1.1, 0, 2, 1), Box(0, 0, 1.2, 1), True),
    ("above", Box(0, 2, 1, 3), Box(0, 0, 1, 1), True),
    ("below", Box(0, 2, 1, 3), Box(0, 0, 1, 1), False),
    ("aligned_x", Box(0, 2, 1, 3), Box(0.1, 0, 1.1, 1), True),
    ("aligned_y", Box(0, 2, 1, 3), Box(0, 0, 1, 1), False),
    ("inside", Box(0.2, 0.2, 0.8, 0.8), Box(0, 0, 1, 1), True),
    ("next_to", Box(1.3, 0, 2, 1), Box(0, 0, 1, 1), True),
    ("next_to", Box(2, 0, 3, 1), Box(0, 0, 1, 1), False),
])
def test_relation_definitions(rel, a, b, holds):
    assert relation_holds(rel, a, b) is holds


def test_overlap_is_intersection_area_over_frame_area():
    a = MeasuredObject("tex", "a", Box(0, 0, 2, 2))
    b = MeasuredObject("tex", "b", Box(1, 1, 3, 3))
    s = scores(make_task(TWO), outcome([a, b]))
    assert s["overlap"] == pytest.approx(1.0 / (8 * 16 / 9 * 8))


def test_objects_meant_to_overlap_do_not_count():
    axes = MeasuredObject("axes", "", Box(-3, -2, 3, 2))
    graph = MeasuredObject("graph", "", Box(-2, -2.5, 2, 2))  # pokes out of the axes
    label = MeasuredObject("tex", "x", Box(2.5, -1.8, 2.9, -1.4))  # inside the axes
    circle = MeasuredObject("shape", "Circle", Box(4, 0, 6, 2))
    inner = MeasuredObject("tex", "A", Box(4.8, 0.8, 5.2, 1.2))  # a label in the circle
    s = scores(make_task(TWO), outcome([axes, graph, label, circle, inner]))
    assert s["overlap"] == 0.0


def test_off_frame_counts_objects_leaving_the_frame():
    inside = MeasuredObject("tex", "a", Box(-7.0, -3.9, 7.0, 3.9))
    partly = MeasuredObject("tex", "b", Box(6.5, 0, 7.5, 1))
    wholly = MeasuredObject("tex", "c", Box(0, 5, 1, 6))
    s = scores(make_task(TWO), outcome([inside, partly, wholly]))
    assert s["off_frame"] == pytest.approx(2 / 3)


def test_lines_and_dots_get_a_meaningful_iou_through_padding():
    line = PlacedObject("l", "shape", "Line", Box(-1, 0, 1, 0))  # zero height
    task = make_task([line])
    assert scores(task, outcome([measured(line)]))["miou"] == 1.0
    near = scores(task, outcome([measured(line, dy=0.02)]))["miou"]
    assert 0.6 < near < 1.0  # padded to 0.1 high: 0.08 of 0.12 overlaps
    assert near == pytest.approx(0.08 / 0.12)
    assert scores(task, outcome([measured(line, dy=1.0)]))["miou"] == 0.0
