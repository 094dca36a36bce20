"""Properties of IoU and matching that must hold for every layout."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from benchmark.core.tasks import Box, ObjectSpec, PlacedObject, Reference, Task
from benchmark.outcome import MeasuredObject, Outcome
from benchmark.scoring import ScoringConfig, match_objects, padded_iou, score_outcome

LAYOUT_ONLY = ScoringConfig(scorers=("layout",))
# The first match imports scipy (≈0.4 s): no per-example deadline where matching runs.
no_deadline = settings(deadline=None)
coord = st.floats(-8, 8, allow_nan=False, allow_infinity=False)
extent = st.floats(0, 6, allow_nan=False, allow_infinity=False)


@st.composite
def boxes(draw) -> Box:
    x, y, w, h = draw(coord), draw(coord), draw(extent), draw(extent)
    return Box(x, y, x + w, y + h)


kinds = st.sampled_from(["tex", "text", "shape", "axes", "graph"])
contents = st.sampled_from(["", "x^2", "Left", "Right", "Circle", "f(x) = x^2", "a"])


@st.composite
def placed_layouts(draw, max_size: int = 6) -> list[PlacedObject]:
    n = draw(st.integers(1, max_size))
    return [PlacedObject(f"o{i}", draw(kinds), draw(contents), draw(boxes()))
            for i in range(n)]


@st.composite
def measured_layouts(draw, max_size: int = 6) -> list[MeasuredObject]:
    n = draw(st.integers(0, max_size))
    return [MeasuredObject(draw(kinds), draw(contents), draw(boxes()), draw(st.booleans()))
            for _ in range(n)]


@given(boxes(), boxes())
def test_iou_is_symmetric_and_in_unit_interval(a, b):
    iou = padded_iou(a, b)
    assert 0.0 <= iou <= 1.0
    assert iou == padded_iou(b, a)


@given(boxes())
def test_iou_of_a_box_with_itself_is_one(b):
    assert padded_iou(b, b) == 1.0


@no_deadline
@given(placed_layouts(), measured_layouts())
def test_matching_is_a_partial_injection_onto_visible_objects(ref, pred):
    m = match_objects(ref, pred)
    assert len(m) == len(ref)
    used = [i for i in m if i is not None]
    assert len(used) == len(set(used))
    assert all(0 <= i < len(pred) and pred[i].visible for i in used)


@settings(max_examples=200, deadline=None)
@given(placed_layouts(), measured_layouts(), st.randoms(use_true_random=False))
def test_matching_does_not_depend_on_the_order_of_predicted_objects(ref, pred, rnd):
    perm = list(range(len(pred)))
    rnd.shuffle(perm)
    shuffled = [pred[i] for i in perm]

    def ious(p: list[MeasuredObject]) -> list[float | None]:
        return [None if i is None else padded_iou(r.box, p[i].box)
                for r, i in zip(ref, match_objects(ref, p), strict=True)]

    assert ious(pred) == ious(shuffled)


@no_deadline
@given(placed_layouts())
def test_identical_layouts_score_miou_one(ref):
    task = Task("t", "s", "test", "f", "easy", "p",
                [ObjectSpec(p.id, p.kind, p.content) for p in ref], [], Reference(ref))
    objects = [MeasuredObject(p.kind, p.content, p.box) for p in ref]
    s = score_outcome(task, Outcome("pass", True, "ok", objects=objects), LAYOUT_ONLY)
    assert s["miou"] == 1.0
    assert s["type_acc"] == 1.0
    assert s["adherence@0.5"] == 1.0
    assert s["rel_acc"] in (None, 1.0)
