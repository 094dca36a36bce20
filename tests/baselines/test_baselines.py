"""The random and template baselines, rendered in the real sandbox with real manim."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from baselines.random_layout import FRAME_X_RADIUS, FRAME_Y_RADIUS, RandomLayout
from baselines.template import Template
from benchmark.compose import DEPENDENT_KINDS
from benchmark.core.registry import RegistryError
from benchmark.core.submission import SubmissionError, submissions
from benchmark.core.tasks import Box, ObjectSpec, PlacedObject, Reference, Relation, Task
from benchmark.render import Renderer, RenderReport

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_SIZE = 20
OVERLAP_TOL = 1e-3  # square units of intersection that still count as touching


def synthetic(split: str = "test") -> list[Task]:
    from benchmark.suites import load_suite

    return list(load_suite("synthetic", split).tasks)


def sample(tasks: list[Task], n: int = SAMPLE_SIZE) -> list[Task]:
    """``n`` tasks taken round-robin across families, so every family is represented."""
    by_family: dict[str, list[Task]] = defaultdict(list)
    for t in tasks:
        by_family[t.family].append(t)
    rounds = itertools.zip_longest(*(by_family[f] for f in sorted(by_family)))
    return [t for row in rounds for t in row if t is not None][:n]


def make_task(objects: list[ObjectSpec], relations: list[Relation] | None = None,
              tid: str = "t/x/00000") -> Task:
    return Task(tid, "t", "test", "x", "easy", "a prompt", objects, relations or [],
                Reference([]))


GIVEN = Box(-6.0, 1.0, -3.5, 3.5)  # a square's box, so scaling onto it is exact
MIXED = make_task([
    ObjectSpec("sq", "shape", "Square", {"side_length": 1.5}, given=GIVEN),
    ObjectSpec("eq", "tex", "f(x) = x^2"),
    ObjectSpec("ax", "axes", "", {"x_range": [-2, 2, 1], "y_range": [0, 4, 1],
                                  "x_length": 4, "y_length": 2.5}),
    ObjectSpec("g", "graph", "x**2", {"axes": "ax", "x_range": [-2, 2]}),
    ObjectSpec("c", "shape", "Circle", {"radius": 0.6}),
    ObjectSpec("t", "text", "centre"),
    ObjectSpec("a", "arrow", "Arrow", {"from": "c", "to": "t"}),
], [Relation("eq", "above", "g"), Relation("t", "right_of", "c")])


@pytest.fixture(scope="module")
def renderer():
    with Renderer(jobs=2) as r:
        yield r


def free_centres(report: RenderReport) -> list[tuple[float, float]]:
    return [Box(*o.box).center for o in report.objects if o.kind not in DEPENDENT_KINDS]


# -- random -------------------------------------------------------------------------------

def test_random_is_reproducible_with_the_same_seed():
    first = RandomLayout(seed="3").generate(MIXED).code
    assert RandomLayout(seed="3").generate(MIXED).code == first


def test_random_differs_with_another_seed():
    assert RandomLayout(seed="3").generate(MIXED).code != RandomLayout().generate(MIXED).code


def test_random_differs_between_tasks_with_the_same_seed():
    other = make_task(MIXED.objects, MIXED.relations, tid="t/x/00001")
    assert RandomLayout().generate(MIXED).code != RandomLayout().generate(other).code


def test_random_refuses_a_seed_that_is_not_an_integer():
    with pytest.raises(SubmissionError, match="seed must be an integer"):
        RandomLayout(seed="abc").generate(MIXED)


def test_random_keeps_given_objects_in_place_and_centres_in_the_frame(renderer):
    report = renderer.render(RandomLayout(seed="7").generate(MIXED).code)
    assert report.status.value == "ok", report.error
    square = [o for o in report.objects if o.content == "Square"]
    assert Box(*square[0].box).iou(GIVEN) == pytest.approx(1.0, abs=1e-6)
    for cx, cy in free_centres(report):
        assert abs(cx) <= FRAME_X_RADIUS + 1e-6 and abs(cy) <= FRAME_Y_RADIUS + 1e-6


# -- template -----------------------------------------------------------------------------

def assert_no_overlap(task: Task, report: RenderReport) -> None:
    """No two independent objects intersect, except contents lying inside their container,
    context objects the task itself gives overlapping, and containers that share contents
    (a Venn diagram's circles)."""
    held = {task.object(r.b).kind for r in task.relations if r.rel == "inside"}
    given = [o.given for o in task.objects if o.given is not None]
    containers: dict[str, list[str]] = defaultdict(list)
    for r in task.relations:
        if r.rel == "inside":
            containers[r.a].append(task.object(r.b).kind)
    sharing = {frozenset(kinds) for kinds in containers.values() if len(kinds) > 1}
    objs = [o for o in report.objects if o.kind not in DEPENDENT_KINDS]
    for a, b in itertools.combinations(objs, 2):
        ba, bb = Box(*a.box), Box(*b.box)
        if ba.intersection(bb) <= OVERLAP_TOL:
            continue
        if all(any(x.iou(g) > 0.99 for g in given) for x in (ba, bb)):
            continue
        if frozenset((a.kind, b.kind)) in sharing:
            continue
        nested = any(outer.kind in held and _contains(Box(*outer.box), Box(*inner.box))
                     for outer, inner in ((a, b), (b, a)))
        assert nested, f"{task.id}: {a.kind} {a.content!r} overlaps {b.kind} {b.content!r}"


def _contains(outer: Box, inner: Box, tol: float = 1e-3) -> bool:
    return (inner.xmin >= outer.xmin - tol and inner.ymin >= outer.ymin - tol
            and inner.xmax <= outer.xmax + tol and inner.ymax <= outer.ymax + tol)


def assert_rendered_whole(task: Task, report: RenderReport) -> None:
    assert report.status.value == "ok", f"{task.id}: {report.status.value}: {report.error}"
    assert len(report.objects) == len(task.objects), task.id
    hidden = [f"{o.kind} {o.content!r}" for o in report.objects if not o.visible]
    assert not hidden, f"{task.id}: not visible: {hidden}"
    for o in report.objects:
        box = Box(*o.box)
        assert _contains(Box(-FRAME_X_RADIUS, -FRAME_Y_RADIUS, FRAME_X_RADIUS, FRAME_Y_RADIUS),
                         box), f"{task.id}: {o.kind} {o.content!r} leaves the frame"


@pytest.fixture(scope="module")
def template_sample(renderer) -> list[tuple[Task, RenderReport]]:
    tasks = sample(synthetic())
    reports = renderer.render_many([Template().generate(t).code for t in tasks])
    return list(zip(tasks, reports, strict=True))


def test_sample_covers_every_family():
    tasks = synthetic()
    assert {t.family for t in sample(tasks)} == {t.family for t in tasks}


def test_template_renders_every_object_visible_on_a_sample(template_sample):
    for task, report in template_sample:
        assert_rendered_whole(task, report)


def test_template_places_no_object_on_top_of_another_on_a_sample(template_sample):
    for task, report in template_sample:
        assert_no_overlap(task, report)


def test_template_beats_random_on_layout_metrics_on_a_sample(renderer, template_sample):
    from benchmark.scoring import ScoringConfig, outcome_from_report, score_outcome

    config = ScoringConfig(lpips=False, scorers=("layout",))
    tasks = [t for t, _ in template_sample]
    random_codes = [RandomLayout().generate(t).code for t in tasks]
    random_reports = renderer.render_many(random_codes)

    def mean(metric: str, runs: list[tuple[Task, str, RenderReport]]) -> float:
        values = [score_outcome(t, outcome_from_report(code, r), config)[metric]
                  for t, code, r in runs]
        return sum(v for v in values if v is not None) / len(values)

    ours = [(t, Template().generate(t).code, r) for t, r in template_sample]
    theirs = list(zip(tasks, random_codes, random_reports, strict=True))
    assert mean("miou", ours) > mean("miou", theirs) + 0.3
    assert mean("rel_acc", ours) > mean("rel_acc", theirs) + 0.2


def test_template_keeps_given_objects_in_place(renderer):
    report = renderer.render(Template().generate(MIXED).code)
    assert_rendered_whole(MIXED, report)
    assert_no_overlap(MIXED, report)
    square = [o for o in report.objects if o.content == "Square"]
    assert Box(*square[0].box).iou(GIVEN) == pytest.approx(1.0, abs=1e-6)


def test_template_follows_the_stated_directions(renderer):
    report = renderer.render(Template().generate(MIXED).code)
    boxes = {o.content if o.kind == "shape" else o.kind: Box(*o.box) for o in report.objects}
    assert boxes["tex"].ymin >= boxes["graph"].ymax  # eq above g
    assert boxes["text"].xmin >= boxes["Circle"].xmax  # t right_of c


def test_template_is_deterministic_and_writes_plain_manim():
    code = Template().generate(MIXED).code
    assert Template().generate(MIXED).code == code
    imports = [line for line in code.splitlines() if line.startswith(("import", "from"))]
    assert imports == ["from manim import *"]
    compile(code, "<template>", "exec")


@pytest.mark.slow
def test_template_renders_every_synthetic_test_task(renderer):
    tasks = synthetic()
    reports = renderer.render_many([Template().generate(t).code for t in tasks])
    for task, report in zip(tasks, reports, strict=True):
        assert_rendered_whole(task, report)
        assert_no_overlap(task, report)


# -- registry and the models command ------------------------------------------------------

def test_unknown_model_name_suggests_the_closest():
    with pytest.raises(RegistryError, match=r"unknown model 'tempalte'; did you mean "
                                            r"'template'\?"):
        submissions.get("tempalte")


def test_builtin_baselines_resolve_by_name():
    assert submissions.get("random") is RandomLayout
    assert submissions.get("template") is Template


def test_models_command_lists_the_builtins_with_their_arguments():
    proc = subprocess.run([sys.executable, "-m", "benchmark", "models", "--json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    models = {m["name"]: m for m in json.loads(proc.stdout)["models"]}
    assert {"oracle", "random", "template"} <= set(models)
    assert models["random"]["target"] == "baselines.random_layout:RandomLayout"
    assert models["random"]["source"] == "built-in"
    assert "seed" in models["random"]["args"]
    assert "buff" in models["template"]["args"]


def test_models_command_prints_a_table():
    proc = subprocess.run([sys.executable, "-m", "benchmark", "models"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    for name in ("oracle", "random", "template", "--model-arg seed="):
        assert name in proc.stdout


def test_oracle_says_whether_it_used_the_reference_code_or_composed_the_layout():
    from baselines.oracle import Oracle

    task = synthetic()[0]
    assert task.reference.code is not None
    gen = Oracle().generate(task)
    assert gen.code == task.reference.code and gen.meta == {"oracle": "reference_code"}
    objects = [ObjectSpec("t", "text", "Hi"), ObjectSpec("randy", "other", "PiCreature"),
               ObjectSpec("c", "shape", "Circle", {"radius": 1.0}, given=Box(-1, -1, 1, 1))]
    layout = [PlacedObject("t", "text", "Hi", Box(2, 2, 3, 2.5)),
              PlacedObject("randy", "other", "PiCreature", Box(-6, -3, -5, -1)),
              PlacedObject("c", "shape", "Circle", Box(-1, -1, 1, 1))]
    bare = Task("x/1", "x", "test", "x", "easy", "p", objects, [], Reference(layout))
    gen = Oracle().generate(bare)
    assert gen.meta == {"oracle": "composed", "unwritable": ["randy"],
                        "unwritable_targets": ["randy"]}
    assert [p.id for p in gen.layout or []] == ["t", "c"]
    assert "move_to([2.5000, 2.2500, 0])" in gen.code and "randy" not in gen.code
    with Renderer(jobs=1) as r:
        report = r.render(gen.code)
    assert report.status == "ok"
    boxes = {o.kind: Box(*o.box) for o in report.objects}
    assert boxes["text"].center == pytest.approx((2.5, 2.25), abs=1e-3)
    assert boxes["shape"].iou(Box(-1, -1, 1, 1)) > 0.99


def test_random_leaves_out_what_the_composer_cannot_write():
    task = Task("3b1b-x-w01", "3b1b", "test", "2000/v", "easy", "p",
                [ObjectSpec("pi", "other", "PiCreature"), ObjectSpec("t", "text", "Hi")], [],
                Reference([]))
    gen = RandomLayout().generate(task)
    assert gen.meta["unwritable"] == ["pi"] and "Text('Hi')" in gen.code
