"""``retrieval`` on context tasks without relations (the 3b1b suite's): targets placed
around the given objects, and neighbours ranked by their context."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from baselines._adapt import adapt_layout
from baselines._adapt_context import adapt_in_context, in_context
from baselines.retrieval import RetrievalIndex
from benchmark.core.tasks import Box, ObjectSpec, PlacedObject, Reference, Relation, Task

TITLE = Box(-1, 3, 1, 3.6)
FORMULA = Box(-2, 0, 2, 1)


def task(objects: list[ObjectSpec], boxes: dict[str, Box] | None = None,
         relations: list[Relation] | None = None, tid: str = "3b1b-x-w02",
         split: str = "dev", prompt: str = "a prompt") -> Task:
    layout = [PlacedObject(o.id, o.kind, o.content, boxes[o.id]) for o in objects
              if boxes and o.id in boxes]
    return Task(tid, "3b1b", split, "2000/video", "easy", prompt, objects, relations or [],
                Reference(layout))


def retrieved() -> Task:
    """A keyframe: a formula (given) with a label 0.3 under it, left-aligned, and a title."""
    objs = [ObjectSpec("o1", "text", "Title", given=TITLE),
            ObjectSpec("o2", "tex", "a^2+b^2", given=FORMULA),
            ObjectSpec("o3", "text", "the sum")]
    return task(objs, {"o1": TITLE, "o2": FORMULA, "o3": Box(-2, -0.8, 0, -0.3)})


def new_task(formula: Box) -> Task:
    """The same keyframe with the formula given elsewhere and other contents."""
    return task([ObjectSpec("o1", "text", "Another title", given=TITLE),
                 ObjectSpec("o2", "tex", "c^2", given=formula),
                 ObjectSpec("o3", "text", "a label")], tid="3b1b-y-w03", split="test")


def sizes(table: dict[str, tuple[float, float]]):
    return lambda o: table.get(o.id)


def adapt(new: Task, old: Task, table: dict[str, tuple[float, float]]):
    return adapt_in_context(new, old, {p.id: p.box for p in old.reference.layout}, sizes(table))


def test_a_target_keeps_its_offset_from_the_given_object_where_that_now_is():
    old = retrieved()
    for formula in (Box(2, -2, 5, -1), Box(-6, 1, -3, 2.5)):
        got = adapt(new_task(formula), old, {"o3": (1.5, 0.4)})
        label = got.boxes["o3"]
        assert label.xmin == pytest.approx(formula.xmin)  # still left-aligned with it
        assert formula.ymin - label.ymax == pytest.approx(0.3)  # the same gap under it
        assert (label.width, label.height) == pytest.approx((1.5, 0.4))  # its natural size
        assert got.anchored == ["o3"]


def test_given_objects_stay_on_their_boxes():
    new = new_task(Box(2, -2, 5, -1))
    got = adapt(new, retrieved(), {"o1": (3.0, 1.0), "o2": (1.0, 1.0), "o3": (1.5, 0.4)})
    assert got.boxes["o1"] == TITLE and got.boxes["o2"] == Box(2, -2, 5, -1)


def test_without_context_the_layout_is_carried_over_as_before():
    old, new = retrieved(), new_task(Box(2, -2, 5, -1))
    # the neighbour has no object of the given objects' kinds: nothing to anchor to
    shapes = task([ObjectSpec("s", "shape", "Square"), ObjectSpec("o3", "text", "x")],
                  {"s": Box(-1, -1, 1, 1), "o3": Box(3, 2, 4, 2.5)})
    got = adapt(new, shapes, {"o3": (1.0, 0.5)})
    assert got.anchored == [] and got.boxes["o3"].center == pytest.approx((3.5, 2.25))
    # a target without a counterpart keeps adapt_layout's place too
    extra = replace(new, objects=[*new.objects, ObjectSpec("o4", "axes", "")])
    got = adapt(extra, old, {"o3": (1.5, 0.4)})
    plain = adapt_layout(extra, old, {p.id: p.box for p in old.reference.layout},
                         sizes({"o3": (1.5, 0.4)}))
    assert got.anchored == ["o3"] and got.boxes["o4"] == plain.boxes["o4"]
    # nor is a target whose counterpart lay on the nearest given object's counterpart
    on_formula = task(old.objects, {"o1": TITLE, "o2": FORMULA, "o3": Box(-1, 0.2, 0, 0.6)})
    got = adapt(new, on_formula, {"o3": (1.0, 0.4)})
    assert got.anchored == [] and got.boxes["o3"].center == pytest.approx((-0.5, 0.4))


def test_tasks_with_relations_or_nothing_given_are_adapted_as_before():
    old = retrieved()
    related = replace(new_task(Box(2, -2, 5, -1)), relations=[Relation("o3", "below", "o1")])
    scratch = replace(new_task(Box(2, -2, 5, -1)), objects=[
        replace(o, given=None) for o in new_task(Box(2, -2, 5, -1)).objects])
    assert not in_context(related) and not in_context(scratch)
    for new in (related, scratch):
        got = adapt(new, old, {"o3": (1.5, 0.4)})
        plain = adapt_layout(new, old, {p.id: p.box for p in old.reference.layout},
                             sizes({"o3": (1.5, 0.4)}))
        assert got.boxes == plain.boxes and got.anchored == []


def test_a_dependent_object_moves_with_its_anchored_target():
    axes, graph = Box(-3, -3, 1, 0), Box(-2.5, -2.5, 0.5, -0.5)
    old = task([ObjectSpec("o1", "text", "Title", given=TITLE),
                ObjectSpec("o2", "axes", ""), ObjectSpec("o3", "graph", "", {"axes": "o2"})],
               {"o1": TITLE, "o2": axes, "o3": graph})
    moved = Box(2, 2.4, 4, 3.0)  # the title given to the right
    new = task([ObjectSpec("o1", "text", "Other", given=moved), ObjectSpec("o2", "axes", ""),
                ObjectSpec("o3", "graph", "", {"axes": "o2"})])
    got = adapt(new, old, {"o2": (4.0, 3.0)})
    assert got.anchored == ["o2"]
    assert moved.ymin - got.boxes["o2"].ymax == pytest.approx(3.0)  # the gap under the title
    # the graph keeps its place on the axes
    assert got.boxes["o3"].xmin - got.boxes["o2"].xmin == pytest.approx(0.5)
    assert got.boxes["o3"].ymin - got.boxes["o2"].ymin == pytest.approx(0.5)


def test_a_target_is_kept_in_the_frame_and_off_other_given_boxes():
    old = retrieved()
    low = Box(2, -3.6, 5, -3.2)  # the label would go under the frame's bottom edge
    got = adapt(new_task(low), old, {"o3": (1.5, 0.4)})
    assert got.boxes["o3"].ymin >= -4.0 - 1e-9
    # a given box where the label would go: it is nudged on, away from its anchor
    blocker = ObjectSpec("o4", "shape", "Square", given=Box(-1, -1.0, 1, -0.2))
    new = replace(new_task(FORMULA), objects=[*new_task(FORMULA).objects, blocker])
    got = adapt(new, old, {"o3": (1.5, 0.4)})
    assert got.boxes["o3"].intersection(blocker.given) == pytest.approx(0.0, abs=1e-3)
    assert got.boxes["o3"].ymax < FORMULA.ymin  # still under the formula


def test_context_tasks_prefer_neighbours_with_the_same_kinds_given(monkeypatch):
    def embed(texts: list[str]) -> np.ndarray:
        return np.ones((len(texts), 4)) / 2.0  # every prompt alike

    # the same objects under other ids (3b1b's ids only number the objects), the title
    # and the formula given, versus the same ids with nothing given
    context = task([ObjectSpec("o2", "text", "Title", given=TITLE),
                    ObjectSpec("o1", "tex", "a^2+b^2", given=FORMULA),
                    ObjectSpec("o3", "text", "the sum")],
                   {"o2": TITLE, "o1": FORMULA, "o3": Box(-2, -0.8, 0, -0.3)}, tid="3b1b-z-w02")
    scratch = task([replace(o, given=None) for o in retrieved().objects],
                   {p.id: p.box for p in retrieved().reference.layout}, tid="3b1b-z-w01")
    index = RetrievalIndex("3b1b/dev", [scratch, context], embed)
    new = new_task(Box(2, -2, 5, -1))
    assert index.nearest(new)[0].id == context.id
    monkeypatch.setattr("baselines.retrieval.W_CONTEXT", 0.0)
    monkeypatch.setattr("baselines.retrieval.W_TARGETS", 0.0)
    assert index.nearest(new)[0].id == scratch.id  # ids alone would pick the other


def test_objects_the_composer_cannot_write_are_left_out_not_the_whole_scene(monkeypatch):
    from baselines import retrieval

    def embed(texts: list[str]) -> np.ndarray:
        return np.ones((len(texts), 4)) / 2.0

    character = Box(4, -3, 6, -1)
    old = retrieved()
    old = replace(old, objects=[*old.objects, ObjectSpec("o4", "other", "PiCreature")],
                  reference=Reference([*old.reference.layout,
                                       PlacedObject("o4", "other", "PiCreature", character)]))
    new = new_task(Box(2, -2, 5, -1))
    new = replace(new, objects=[*new.objects, ObjectSpec("o4", "other", "PiCreature")])
    sub = retrieval.Retrieval()
    monkeypatch.setitem(retrieval._INDEXES, ("3b1b", sub.size, str(sub.encoder)),
                        RetrievalIndex("3b1b/dev", [old], embed))
    gen = sub.generate(new)
    assert "fallback" not in gen.meta and gen.meta["unwritable"] == ["o4"]
    assert gen.meta["anchored"] == 2  # both targets placed against the context; one drawn
    assert "PiCreature" not in gen.code and "'a label'" in gen.code
