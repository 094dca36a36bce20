"""The shared object vocabulary: every kind composes to code that renders where asked."""

from __future__ import annotations

import pytest

from benchmark.compose import (
    ComposeError,
    Placement,
    arrow_sides,
    compose_scene,
    compose_writable,
    create_expr,
    py_names,
    writable,
)
from benchmark.core.tasks import Box, ObjectSpec, Reference, Task
from benchmark.render import Renderer


def make_task(objects: list[ObjectSpec]) -> Task:
    return Task("t/x/00000", "t", "test", "x", "easy", "a prompt", objects, [], Reference([]))


OBJECTS = [
    ObjectSpec("eq", "tex", "f(x) = x^2"),
    ObjectSpec("ax", "axes", "", {"x_range": [-2, 2, 1], "y_range": [0, 4, 1],
                                  "x_length": 4, "y_length": 3}),
    ObjectSpec("g", "graph", "x**2", {"axes": "ax", "x_range": [-2, 2]}),
    ObjectSpec("c", "shape", "Circle", {"radius": 0.5, "color": "BLUE"}),
    ObjectSpec("a", "arrow", "Arrow", {"from": "c", "to": "eq"}),
    ObjectSpec("m", "matrix", "", {"rows": [["1", "2"], ["3", "4"]]}),
    ObjectSpec("b", "brace", "", {"target": "m", "direction": "down"}),
    ObjectSpec("nl", "number_line", "", {"x_range": [0, 4, 1], "length": 3}),
    ObjectSpec("t", "text", "Hello"),
]
PLACES = {"eq": Placement(0, 3), "ax": Placement(0, -1.5), "c": Placement(-5, 2, 1.2, 1.2),
          "m": Placement(4.5, 2), "nl": Placement(-4.5, -3), "t": Placement(5, -3, 2.0, 0.5)}


@pytest.fixture(scope="module")
def rendered():
    with Renderer(jobs=1) as r:
        return r.render(compose_scene(make_task(OBJECTS), PLACES))


def test_every_kind_renders_as_one_visible_object_of_that_kind(rendered):
    assert rendered.status.value == "ok", rendered.error
    assert [o.kind for o in rendered.objects] == [o.kind for o in OBJECTS]
    assert all(o.visible for o in rendered.objects)


def test_free_objects_land_at_the_requested_centres(rendered):
    by_kind = {o.kind: o for o in rendered.objects}
    for spec in OBJECTS:
        if spec.id not in PLACES:
            continue
        box = Box(*by_kind[spec.kind].box)
        assert box.center == pytest.approx((PLACES[spec.id].cx, PLACES[spec.id].cy), abs=1e-3)


def test_scaled_objects_fit_the_requested_size(rendered):
    circle = Box(*rendered.objects[3].box)
    assert circle.width == pytest.approx(1.2, abs=1e-3)
    text = Box(*rendered.objects[8].box)
    assert text.width <= 2.0 + 1e-3 and text.height <= 0.5 + 1e-3
    assert max(text.width / 2.0, text.height / 0.5) == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize(("content", "latex"), [
    ("Hello", False), ("costs $5", False), ("a\\\\b", True), ("about $e$", True),
    ("\\textbf{v}", True), ("5\\$ and 6\\$", True), ("$", False), ("\\ding{51}", False)])
def test_text_in_latex_markup_is_typeset_by_tex(content, latex):
    expr = create_expr(ObjectSpec("t", "text", content), {"t": "t"})
    assert expr.startswith("Tex(" if latex else "Text("), expr


def test_a_two_line_latex_text_renders_on_two_lines():
    with Renderer(jobs=1) as r:
        out = r.render(compose_scene(make_task([ObjectSpec("a", "text", "One line"),
                                                ObjectSpec("b", "text", "One\\\\line")]),
                                     {"a": Placement(0, 2), "b": Placement(0, -2)}))
    assert out.status.value == "ok", out.error
    one, two = (Box(*o.box) for o in out.objects)
    assert all(o.verified for o in out.objects)
    assert two.height > 1.6 * one.height and two.width < one.width


def test_a_multi_line_text_keeps_manimgl_line_spacing_and_is_verified():
    spread = ObjectSpec("b", "text", "All triangles\nare isosceles")
    assert "line_spacing=1.25" in create_expr(spread, {"b": "b"})
    with Renderer(jobs=1) as r:
        out = r.render(compose_scene(make_task([ObjectSpec("a", "text", "All triangles"),
                                                spread]),
                                     {"a": Placement(0, 2), "b": Placement(0, -2)}))
    assert out.status.value == "ok", out.error
    one, two = (Box(*o.box) for o in out.objects)
    assert all(o.verified for o in out.objects)
    assert two.height > 2.5 * one.height  # two lines, with ManimGL's gap between them


def test_a_formula_holding_dollar_math_is_typeset_in_text_mode_and_renders():
    assert create_expr(ObjectSpec("t", "tex", "x^2"), {"t": "t"}).startswith("MathTex(")
    mixed = ObjectSpec("m", "tex", "= $\\frac{1}{2}$ of $x$")
    assert create_expr(mixed, {"m": "m"}).startswith("Tex(")
    with Renderer(jobs=1) as r:
        out = r.render(compose_scene(make_task([mixed]), {"m": Placement(0, 0)}))
    assert out.status.value == "ok", out.error
    assert [o.verified for o in out.objects] == [True]


def test_a_text_in_a_stated_font_is_set_in_that_font_and_verified():
    plain, latin = ObjectSpec("a", "text", "Concrete before abstract"), ObjectSpec(
        "b", "text", "Concrete before abstract", {"font": "Latin Modern Roman"})
    assert "font='Latin Modern Roman'" in create_expr(latin, {"b": "b"})
    with Renderer(jobs=1) as r:
        out = r.render(compose_scene(make_task([plain, latin]),
                                     {"a": Placement(0, 2), "b": Placement(0, -2)}))
    assert out.status.value == "ok", out.error
    one, two = (Box(*o.box) for o in out.objects)
    assert all(o.verified for o in out.objects)
    # A serif face sets the same words narrower for their height than the default sans.
    assert two.width / two.height < 0.9 * one.width / one.height


def test_a_stretched_regular_polygon_fills_its_box_and_keeps_its_corners():
    tall = ObjectSpec("p", "shape", "RegularPolygon", {"n": 3, "width": 1.5, "height": 3.0})
    assert "stretch_to_fit_height(3.0)" in create_expr(tall, {"p": "p"})
    with Renderer(jobs=1) as r:
        out = r.render(compose_scene(make_task([tall]), {"p": Placement(1.0, 0.0)}))
    (obj,) = out.objects
    assert obj.verified and (obj.kind, obj.content) == ("shape", "RegularPolygon"), obj.reason
    assert Box(*obj.box).iou(Box(0.25, -1.5, 1.75, 1.5)) > 0.97


def test_given_objects_are_placed_exactly_on_their_box():
    with Renderer(jobs=1) as r:
        first = r.render(compose_scene(make_task([ObjectSpec("c", "shape", "Square")]),
                                       {"c": Placement(1, 1)}))
        box = Box(*first.objects[0].box).translated(2.0, -1.0)
        task = make_task([ObjectSpec("c", "shape", "Square", given=box)])
        again = r.render(compose_scene(task, {}))
    assert Box(*again.objects[0].box).iou(box) == pytest.approx(1.0, abs=1e-6)


def test_arrow_joins_the_facing_sides():
    left, right, above = Box(-3, -1, -1, 1), Box(1, -1, 3, 1), Box(-1, 2, 1, 3)
    assert arrow_sides(left, right) == ("right", "left")
    assert arrow_sides(right, left) == ("left", "right")
    assert arrow_sides(left.translated(2, 0), above) == ("top", "bottom")


def test_names_are_distinct_identifiers():
    objs = [ObjectSpec(i, "tex", "x") for i in ("a-b", "a_b", "1st", "class", "self")]
    names = py_names(objs)
    assert len(set(names.values())) == 5
    assert all(n.isidentifier() for n in names.values())


@pytest.mark.parametrize("spec, problem", [
    (ObjectSpec("g", "graph", "__import__('os')", {"axes": "ax"}), "expression"),
    (ObjectSpec("g", "graph", "x", {"axes": "nowhere"}), "names no object"),
    (ObjectSpec("s", "shape", "Hexapod"), "unknown shape"),
    (ObjectSpec("m", "matrix", "", {"rows": "1 2"}), "params.rows"),
    (ObjectSpec("t", "tex", "x", {"color": "red; import os"}), "colour"),
    (ObjectSpec("t", "text", "x", {"font": "Sans'); import os; ('"}), "font family"),
])
def test_bad_specs_are_refused_with_a_reason(spec, problem):
    objs = [ObjectSpec("ax", "axes", ""), spec]
    with pytest.raises(ComposeError, match=problem):
        compose_scene(make_task(objs), {})


def test_writable_leaves_out_what_the_vocabulary_cannot_write_and_what_hangs_on_it():
    objs = [ObjectSpec("ax", "axes", ""),
            ObjectSpec("g", "graph", "", {"axes": "ax"}),  # no expression
            ObjectSpec("lbl", "text", "label"),
            ObjectSpec("a", "arrow", "", {"from": "lbl", "to": "g"}),  # ends on the graph
            ObjectSpec("b", "brace", "", {"target": "lbl", "direction": "up"}),
            ObjectSpec("randy", "other", "PiCreature"),
            ObjectSpec("photo", "image", "photo.png"),
            ObjectSpec("loop", "arrow", "", {"from": "loop2", "to": "lbl"}),
            ObjectSpec("loop2", "arrow", "", {"from": "loop", "to": "lbl"}),
            ObjectSpec("lost", "brace", "", {"target": "nowhere"})]
    ok, bad = writable(make_task(objs))
    assert [o.id for o in ok] == ["ax", "lbl", "b"]
    assert bad == ["g", "a", "randy", "photo", "loop", "loop2", "lost"]
    compose_scene(make_task(ok), {})  # what is writable composes on its own


def test_fit_dependents_stretches_a_brace_onto_its_box():
    dot = ObjectSpec("d", "shape", "Dot", {"radius": 0.1})
    brace = ObjectSpec("b", "brace", "", {"target": "d", "direction": "up"})
    want = Box(-2.0, 0.3, 3.0, 0.6)
    places = {"d": Placement(-1.5, 0.0), "b": Placement.of_box(want)}
    code = compose_scene(make_task([dot, brace]), places, fit_dependents=True)
    assert "stretch_to_fit_width" in code
    assert "stretch_to_fit" not in compose_scene(make_task([dot, brace]), places)
    with Renderer(jobs=1) as r:
        out = r.render(code)
    got = next(Box(*o.box) for o in out.objects if o.kind == "brace")
    assert got.iou(want) > 0.95


@pytest.mark.parametrize("want", [Box(-0.12, -1.5, 0.12, 1.5), Box(-1.0, 0.4, 1.5, 0.63),
                                  Box(-1.0, -0.5, 1.0, 0.9)], ids=["upright", "flat", "slant"])
def test_fit_dependents_draws_an_arrow_through_its_box_with_its_tip_intact(want):
    # The anchors sit level with each other: built on them, the arrow would be flat.
    ends = [ObjectSpec("p", "shape", "Dot"), ObjectSpec("q", "shape", "Dot")]
    arrow = ObjectSpec("a", "arrow", "", {"from": "p", "to": "q", "color": "RED"})
    places = {"p": Placement(-4.0, 2.0), "q": Placement(4.0, 2.0),
              "a": Placement.of_box(want)}
    code = compose_scene(make_task([*ends, arrow]), places, fit_dependents=True)
    assert "stretch_to_fit" not in code and "color=RED" in code
    with Renderer(jobs=1) as r:
        out = r.render(code)
    got = [o for o in out.objects if o.kind == "arrow"]
    assert len(got) == 1 and got[0].verified, [o.reason for o in out.objects]
    assert Box(*got[0].box).iou(want) > 0.8


def test_compose_writable_leaves_out_what_it_cannot_write_down_to_an_empty_scene():
    task = make_task([ObjectSpec("pi", "other", "PiCreature"), ObjectSpec("t", "text", "Hi")])
    code, left_out = compose_writable(task, {"t": Placement(1, 1)})
    assert left_out == ["pi"] and "Text('Hi')" in code and "PiCreature" not in code
    code, left_out = compose_writable(make_task([ObjectSpec("pi", "other", "PiCreature")]), {})
    assert left_out == ["pi"]
    with Renderer(jobs=1) as r:
        out = r.render(code)
    assert out.status.value == "empty_scene" and out.objects == []


def test_a_line_with_an_angle_lands_on_its_diagonal_box():
    spec = ObjectSpec("l", "shape", "Line", {"length": 5.0, "angle": -0.6435})  # 4 x 3 box
    with Renderer(jobs=1) as r:
        out = r.render(compose_scene(make_task([spec]), {"l": Placement(1, 0, 4.0, 3.0)}))
    assert out.status.value == "ok", out.error
    box = Box(*out.objects[0].box)
    assert (box.width, box.height) == (pytest.approx(4.0, abs=0.05), pytest.approx(3.0, abs=0.05))
