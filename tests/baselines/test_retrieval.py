"""The ``retrieval`` baseline: its index, its layout adaptation and its scenes in the sandbox."""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import replace

import numpy as np
import pytest

from baselines._adapt import adapt_layout, match_objects
from baselines.retrieval import Retrieval, RetrievalIndex
from benchmark.compose import Placement, compose_scene
from benchmark.core.submission import SubmissionError
from benchmark.core.tasks import Box, ObjectSpec, PlacedObject, Reference, Relation, Suite, Task
from benchmark.runner import RunOptions, run_benchmark
from benchmark.sandbox import SandboxConfig
from benchmark.store import Store

INDEX = "600"  # 50 training tasks per family: enough to find a neighbour, quick to embed


def task(objects: list[ObjectSpec], relations: list[Relation], boxes: dict[str, Box] | None
         = None, tid: str = "t/x/00001") -> Task:
    layout = [PlacedObject(o.id, o.kind, o.content, boxes[o.id]) for o in objects
              if boxes and o.id in boxes]
    return Task(tid, "t", "train", "x", "easy", "a prompt", objects, relations,
                Reference(layout))


def sizes(table: dict[str, tuple[float, float]]):
    return lambda o: table.get(o.id)


def synthetic_sample(n: int) -> list[Task]:
    """The first test tasks of each family, round-robin."""
    from benchmark.suites import load_suite

    by_family: dict[str, list[Task]] = defaultdict(list)
    for t in load_suite("synthetic", "test").tasks:
        by_family[t.family].append(t)
    rounds = itertools.zip_longest(*(by_family[f] for f in sorted(by_family)))
    return [t for row in rounds for t in row if t is not None][:n]


# -- the index ----------------------------------------------------------------------------

def test_the_index_refuses_a_held_out_task():
    held_out = synthetic_sample(1)[0]
    with pytest.raises(SubmissionError, match="held-out synthetic test split"):
        RetrievalIndex("test", [held_out], lambda texts: np.ones((len(texts), 4)))


@pytest.mark.slow
def test_the_neighbour_is_a_train_task_of_the_same_family():
    sub = Retrieval(index=INDEX)
    for t in synthetic_sample(12):
        near, cos, _ = sub.index(t.suite).nearest(t)
        assert near.split == "train" and near.family == t.family and -1 <= cos <= 1


def test_generation_never_reads_the_reference():
    sub = Retrieval(index=INDEX)
    for t in synthetic_sample(12):
        blind = replace(t, reference=Reference([]))
        assert sub.generate(blind).code == sub.generate(t).code


@pytest.mark.slow
def test_every_synthetic_test_task_gets_code_that_compiles_without_a_fallback():
    from benchmark.outcome import compiles
    from benchmark.suites import load_suite

    sub = Retrieval(index=INDEX)
    tasks = load_suite("synthetic", "test").tasks
    gens = {t.id: sub.generate(t) for t in tasks}
    assert len(gens) == 500
    assert [tid for tid, g in gens.items() if not compiles(g.code)] == []
    assert [tid for tid, g in gens.items() if "fallback" in g.meta] == []  # the composer's


# -- adapting a layout --------------------------------------------------------------------

def test_objects_match_within_their_kind_by_id_first():
    new = task([ObjectSpec("title", "text", "A"), ObjectSpec("eq", "tex", "x"),
                ObjectSpec("c", "shape", "Circle")], [])
    old = task([ObjectSpec("eq", "tex", "y"), ObjectSpec("title", "text", "B"),
                ObjectSpec("other", "text", "C")], [])
    assert match_objects(new, old) == {"title": "title", "eq": "eq"}


def test_a_gap_and_a_left_alignment_are_kept_at_new_sizes():
    objs = [ObjectSpec("a", "text", "first"), ObjectSpec("b", "text", "second")]
    rel = [Relation("b", "below", "a")]
    old = task(objs, rel, {"a": Box(-3, 1, -1, 1.5), "b": Box(-3, 0, 0, 0.6)})
    got = adapt_layout(task(objs, rel), old, {p.id: p.box for p in old.reference.layout},
                       sizes({"a": (4.0, 0.5), "b": (1.0, 0.4)})).boxes
    assert got["b"].xmin == pytest.approx(got["a"].xmin)  # still left-aligned
    assert got["a"].ymin - got["b"].ymax == pytest.approx(0.4)  # the same gap
    assert (got["b"].width, got["b"].height) == pytest.approx((1.0, 0.4))  # the new size


def test_a_given_object_stays_and_carries_its_partners():
    objs = [ObjectSpec("sq", "shape", "Square", given=Box(2, 1, 4, 3)),
            ObjectSpec("label", "text", "square")]
    rel = [Relation("label", "above", "sq")]
    old = task([replace(objs[0], given=None), objs[1]], rel,
               {"sq": Box(-1, -1, 1, 1), "label": Box(-0.5, 1.25, 0.5, 1.75)})
    got = adapt_layout(task(objs, rel), old, {p.id: p.box for p in old.reference.layout},
                       sizes({"label": (1.0, 0.5)})).boxes
    assert got["sq"] == Box(2, 1, 4, 3)
    assert got["label"].center == pytest.approx((3.0, 3.5))


def test_a_stated_point_moves_the_whole_group():
    def objs(at: list[int]) -> list[ObjectSpec]:
        return [ObjectSpec("l1", "tex", "a", {"place": {"at": at}}),
                ObjectSpec("l2", "tex", "b", {"place": {"after": "l1"}})]

    rel = [Relation("l2", "below", "l1")]
    old = task(objs([-3, -1]), rel, {"l1": Box(-4, -0.8, -2, -0.2), "l2": Box(-4, -1.8, -3, -1.2)})
    got = adapt_layout(task(objs([2, 1]), rel), old, {p.id: p.box for p in old.reference.layout},
                       sizes({"l1": (2.0, 0.6), "l2": (1.0, 0.6)})).boxes
    assert got["l1"].as_list() == pytest.approx([1, 1.2, 3, 1.8])
    assert got["l2"].as_list() == pytest.approx([1, 0.2, 2, 0.8])


def test_an_object_without_a_counterpart_goes_beside_its_partner():
    objs = [ObjectSpec("c", "shape", "Circle"), ObjectSpec("n", "text", "note")]
    old = task(objs[:1], [], {"c": Box(-1, -1, 1, 1)})
    new = task(objs, [Relation("n", "right_of", "c")])
    got = adapt_layout(new, old, {p.id: p.box for p in old.reference.layout},
                       sizes({"c": (2.0, 2.0), "n": (1.0, 0.5)}))
    assert got.unmatched == ["n"]
    assert got.boxes["n"].xmin == pytest.approx(1.25) and got.boxes["n"].center[1] == 0


def test_the_composer_writes_the_adapted_layout():
    objs = [ObjectSpec("a", "text", "first"), ObjectSpec("b", "text", "second")]
    old = task(objs, [], {"a": Box(-3, 1, -1, 1.5), "b": Box(-3, 0, 0, 0.6)})
    got = adapt_layout(task(objs, []), old, {p.id: p.box for p in old.reference.layout},
                       sizes({})).boxes
    code = compose_scene(task(objs, []), {k: Placement(*b.center) for k, b in got.items()})
    compile(code, "<scene>", "exec")
    assert "move_to([-2.0000, 1.2500, 0])" in code


# -- in the sandbox -----------------------------------------------------------------------

@pytest.mark.slow
def test_scenes_render_on_every_family_and_beat_random(tmp_path):
    from baselines.random_layout import RandomLayout

    suite = Suite("synthetic", "v1", "test", synthetic_sample(12))
    options = RunOptions(jobs=2, sandbox=SandboxConfig())
    with Store(str(tmp_path / "benchmark.db")) as store:
        ours = run_benchmark(Retrieval(index=INDEX), suite, store, options, model="retrieval")
        rand = run_benchmark(RandomLayout(), suite, store, options, model="random")
        got = {r.task_id: r for r in store.results(ours.run_id)}
        base = {r.task_id: r.metrics for r in store.results(rand.run_id)}
    assert all(r.status == "ok" and r.metrics["compiled"] == 1.0 for r in got.values())
    ours_miou = np.mean([r.metrics["miou"] for r in got.values()])
    assert ours_miou > np.mean([m["miou"] for m in base.values()]) + 0.3
    assert all(r.generation["neighbour"].startswith("synthetic/") for r in got.values())
