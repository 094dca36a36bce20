"""What verification tolerates, what it rejects, where its typesetting lives, and visibility."""

from __future__ import annotations

from dataclasses import replace

import pytest

from benchmark.measure.typeset import TypesetStore
from benchmark.render import Renderer


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> TypesetStore:
    return TypesetStore(tmp_path_factory.mktemp("typeset"))


@pytest.fixture(scope="module")
def renderer(sandbox, store):
    r = Renderer(replace(sandbox, namespace="verify-rules"), jobs=1)
    r.measurer.typesetter.store = store
    with r:
        yield r


def scene(body: str) -> str:
    lines = "".join(f"        {line}\n" for line in body.splitlines())
    return f"from manim import *\n\n\nclass S(Scene):\n    def construct(self):\n{lines}"


def only(renderer: Renderer, body: str):
    report = renderer.render(scene(body))
    assert report.status.value == "ok", report.error
    (obj,) = report.objects
    return obj


@pytest.mark.parametrize("body", [
    r'self.add(MathTex(r"\frac{a}{b}", color=RED).scale(2.5).shift(LEFT))',
    r'self.add(MathTex(r"x^2 + y^2").rotate(PI / 2))',
    r'self.add(MathTex(r"x^2 + y^2").rotate(PI))',
    'self.add(Text("Hello there", font_size=96))',
    'self.add(Text("Hello there", font_size=20))',
    r'self.add(MathTex("a", "+", "b").set_color_by_gradient(RED, BLUE))',
    'self.add(Text("Colour", t2c={"Col": RED, "our": BLUE}))',
    # Blocks of small glyphs: a four-line paragraph, a formula of five rows.
    'self.add(Text("People with the\\ntime and know-how\\nto produce videos,\\n'
    'interactives, etc.", font="Latin Modern Roman", line_spacing=1.25))',
    r'self.add(MathTex(r"(2n + 1) \\ (2n + 1) (2n + 1) \\ (2n + 1) (2n + 1) (2n + 1) '
    r'\\ \vdots \vdots \\ (2n + 1) (2n + 1) \dots (2n + 1) (2n + 1)"))',
], ids=["colour-scale", "quarter-turn", "half-turn", "big-text", "small-text", "gradient",
        "t2c", "paragraph", "rows"])
def test_colour_scale_font_size_and_quarter_turns_are_tolerated(renderer, body):
    obj = only(renderer, body)
    assert obj.verified, obj.reason


@pytest.mark.parametrize("body, why", [
    (r'self.add(MathTex(r"x^2 + y^2").stretch(1.6, 0))', "stretched"),
    (r'm = MathTex(r"x^2 + y^2 = z^2")' "\n" r'm.tex_string = r"x^2 + y^2 = w^2"'
     "\nself.add(m)", "does not draw"),
    ('t = Text("People with the\\ntime and know-how\\nto produce videos")\n'
     't.text = t.original_text = "People with the\\ntime and know-why\\nto produce movies"'
     '\nself.add(t)',
     "does not draw"),
    (r'm = MathTex(r"a + b + c + d")' "\n" "m[0][4:].set_opacity(0)\nself.add(m)",
     "does not draw"),
    ('t = Text("forty")\nt.text = "fifty"\nt.original_text = "fifty"\nself.add(t)',
     "does not draw 'fifty'"),
    (r'm = MathTex(r"\int x")' "\n" r'm.tex_environment = "align*}\\def\\int{x}\\begin{align*"'
     "\nself.add(m)", "typesets to nothing"),
], ids=["non-uniform-stretch", "different-string", "different-paragraph", "glyphs-not-drawn",
        "overwritten-text", "environment-injection"])
def test_a_stretch_another_string_or_missing_glyphs_are_rejected(renderer, body, why):
    obj = only(renderer, body)
    assert not obj.verified and why in obj.reason
    assert obj.kind == "other" and obj.content == ""


@pytest.mark.parametrize("body, ok", [
    ("self.add(Circle())", True),
    ("self.add(Ellipse(width=4, height=1).rotate(0.3))", True),
    ("self.add(Square().rotate(0.4))", True),
    ("self.add(Rectangle(width=3, height=1))", True),
    ("self.add(Triangle())", True),
    ("self.add(Line(LEFT, RIGHT + UP))", True),
    ("self.add(Arrow(LEFT, RIGHT))", True),
    ("self.add(NumberLine())", True),
    ("self.add(Axes())", True),
    ("self.add(Axes().plot(lambda x: x ** 2 / 4))", True),
    ("self.add(Axes(x_length=12, y_length=1.2, tips=False))", True),
    ("self.add(Axes(x_length=6, y_length=60, tips=False))", True),
    ("a = Axes(x_length=0.2, y_length=0.2)\na.add(Square(side_length=8))\nself.add(a)",
     False),
    ("self.add(Brace(Line(LEFT, RIGHT)))", True),
    ("class Circle(Square):\n    pass\nself.add(Circle())", False),
    ("class Square(Rectangle):\n    pass\nself.add(Square(width=3, height=1))", False),
    ("class Triangle(Square):\n    pass\nself.add(Triangle())", False),
    ("class Line(Circle):\n    pass\nself.add(Line())", False),
    ("class Arrow(Line):\n    pass\nself.add(Arrow(LEFT, RIGHT))", False),
    ("class NumberLine(Line):\n    pass\nself.add(NumberLine(LEFT * 3, RIGHT * 3))", False),
    ("class FunctionGraph(Circle):\n    pass\nself.add(FunctionGraph())", False),
    ("class Brace(Rectangle):\n    pass\nself.add(Brace(width=4, height=0.5))", False),
    # a real, tiny circle carrying a big square: its box would be the square's
    ("c = Circle(radius=0.1)\nc.add(Square(side_length=4))\nself.add(c)", False),
    ("r = Rectangle(width=4, height=2)\nr.add(Text('label'))\nself.add(r)", True),
], ids=lambda v: v if isinstance(v, bool) else v.split("self.add(")[-1][:30])
def test_a_class_name_counts_only_when_the_geometry_fits_it(renderer, body, ok):
    obj = only(renderer, body)
    assert obj.verified is ok, obj.reason
    if not ok:
        assert obj.reason.startswith(("not a ", "draws more than a ")) and obj.kind == "other"


def test_typesetting_is_stored_and_a_second_measurement_pays_nothing(renderer, store):
    code = scene(r'self.add(MathTex(r"\sqrt{1 + \tan^2\theta}"), Text("stored once"))')
    before = renderer.measurer.typesetter.typeset_count
    first = renderer.render(code)
    assert renderer.measurer.typesetter.typeset_count == before + 2
    again = renderer.render(code.replace("class S", "class T"))
    assert renderer.measurer.typesetter.typeset_count == before + 2
    assert [o.verified for o in first.objects] == [o.verified for o in again.objects] == \
        [True, True]
    assert len(list(store.dir.glob("*/*.npz"))) >= 2


def test_the_typeset_store_is_out_of_the_sandbox_reach(renderer, store):
    code = scene(f"import os\nassert not os.path.exists({str(store.root)!r}), 'visible'\n"
                 "self.add(Dot())")
    report = renderer.render(code)
    assert report.status.value == "ok", report.error


def test_an_object_in_the_background_colour_hiding_another_is_not_visible(renderer):
    report = renderer.render(scene(
        r'self.add(MathTex(r"\int_0^1 x\,dx"))' "\n"
        "self.add(Rectangle(width=config.frame_width, height=config.frame_height,"
        " fill_color=BLACK, fill_opacity=1, stroke_width=0))"))
    assert [(o.cls, o.visible) for o in report.objects] == \
        [("MathTex", False), ("Rectangle", False)]


def test_dark_text_on_a_light_card_is_visible(renderer):
    report = renderer.render(scene(
        "card = Rectangle(width=4, height=2, fill_color=WHITE, fill_opacity=1)\n"
        'self.add(card, Text("label", color=BLACK).move_to(card))'))
    assert [(o.cls, o.visible) for o in report.objects] == [("Rectangle", True),
                                                             ("Text", True)]


def test_a_gradient_coloured_graph_is_not_rejected_by_the_bounds(renderer):
    """manim keeps one stroke colour per point (here 6,001) for a colour scale."""
    report = renderer.render(scene(
        "ax = Axes(x_range=[-3, 3], y_range=[-3, 3])\n"
        "self.add(ax, ax.plot(lambda x: 0.1 * x ** 3, x_range=(-3, 3, 0.001),"
        " colorscale=[BLUE, GREEN, YELLOW, ORANGE, RED], colorscale_axis=0))"))
    assert report.status.value == "ok", report.error
    assert all(o.verified for o in report.objects)
