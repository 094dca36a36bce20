"""Boxes and frames measured through the sandbox equal manim's own geometry and pixels."""

from __future__ import annotations

import numpy as np
import pytest

from benchmark.core.frame import FRAME_HEIGHT, FRAME_WIDTH
from benchmark.render import Renderer
from benchmark.sandbox import SandboxConfig, Status

BOX_TOL = 1e-6
W, H = 854, 480

SCENES = {
    "mathtex": """
from manim import *
class S(Scene):
    def construct(self):
        self.add(MathTex(r"\\int_0^1 x^2\\,dx = \\frac{1}{3}").move_to([0, 2, 0]))
""",
    "axes_plot": """
from manim import *
class S(Scene):
    def construct(self):
        ax = Axes(x_range=[-3, 3, 1], y_range=[-1, 9, 2], x_length=6, y_length=4)
        g = ax.plot(lambda x: x**2, x_range=[-3, 3], color=YELLOW)
        self.play(Create(VGroup(ax, g)))
""",
    "circle": """
from manim import *
class S(Scene):
    def construct(self):
        self.add(Circle(radius=1, color=RED).move_to([-4, 0, 0]))
""",
    "text_top": """
from manim import *
class S(Scene):
    def construct(self):
        self.add(Text("Top of the frame").to_edge(UP, buff=0))
""",
}


def manim_objects(name: str) -> list:
    """The same objects built in this (trusted) process with manim itself."""
    import manim as m

    if name == "mathtex":
        return [m.MathTex(r"\int_0^1 x^2\,dx = \frac{1}{3}").move_to([0, 2, 0])]
    if name == "axes_plot":
        ax = m.Axes(x_range=[-3, 3, 1], y_range=[-1, 9, 2], x_length=6, y_length=4)
        return [ax, ax.plot(lambda x: x**2, x_range=[-3, 3], color=m.YELLOW)]
    if name == "circle":
        return [m.Circle(radius=1, color=m.RED).move_to([-4, 0, 0])]
    if name == "text_top":
        return [m.Text("Top of the frame").to_edge(m.UP, buff=0)]
    raise KeyError(name)


def manim_box(mob) -> tuple[float, float, float, float]:
    return (mob.get_left()[0], mob.get_bottom()[1], mob.get_right()[0], mob.get_top()[1])


@pytest.fixture(scope="module")
def renderer(tmp_path_factory):
    cfg = SandboxConfig(mode="bwrap", namespace="geometry-tests",
                        cache_dir=tmp_path_factory.mktemp("cache"))
    with Renderer(cfg, jobs=1) as r:
        yield r


@pytest.fixture(scope="module")
def reports(renderer):
    return {name: renderer.render(code) for name, code in SCENES.items()}


@pytest.mark.parametrize("name", sorted(SCENES))
def test_boxes_match_manims_own_geometry(reports, name):
    report = reports[name]
    assert report.status is Status.OK, report.error
    expected = manim_objects(name)
    assert len(report.objects) == len(expected)
    for got, mob in zip(report.objects, expected, strict=True):
        np.testing.assert_allclose(got.box, manim_box(mob), atol=BOX_TOL, rtol=0)


def test_kinds_and_contents_are_semantic(reports):
    kinds = {name: [(o.kind, o.content) for o in r.objects] for name, r in reports.items()}
    assert kinds["mathtex"] == [("tex", r"\int_0^1 x^2\,dx = \frac{1}{3}")]
    assert [k for k, _ in kinds["axes_plot"]] == ["axes", "graph"]
    assert kinds["circle"] == [("shape", "Circle")]
    assert kinds["text_top"] == [("text", "Top of the frame")]


def _to_px(box):
    x0, y0, x1, y1 = box
    sx, sy = W / FRAME_WIDTH, H / FRAME_HEIGHT
    return (int(np.floor((x0 + FRAME_WIDTH / 2) * sx)), int(np.floor((FRAME_HEIGHT / 2 - y1) * sy)),
            int(np.ceil((x1 + FRAME_WIDTH / 2) * sx)), int(np.ceil((FRAME_HEIGHT / 2 - y0) * sy)))


@pytest.mark.parametrize("name", sorted(SCENES))
def test_frame_has_ink_inside_each_box_and_none_far_outside(reports, name):
    report = reports[name]
    assert report.frame is not None and report.frame.shape == (H, W, 4)
    ink = report.frame[..., :3].max(axis=2) > 16  # black background
    allowed = np.zeros_like(ink)
    for obj in report.objects:
        px0, py0, px1, py1 = _to_px(obj.box)
        inside = ink[max(py0, 0):py1, max(px0, 0):px1]
        assert inside.sum() > 20, f"no ink inside the box of {obj.kind}"
        m = 4  # stroke half-width and antialiasing, in pixels
        allowed[max(py0 - m, 0):py1 + m, max(px0 - m, 0):px1 + m] = True
    assert not (ink & ~allowed).any()


@pytest.mark.parametrize("name", sorted(SCENES))
def test_frame_equals_manims_own_render(reports, name):
    """The trusted rebuild draws what manim's camera draws for the same scene."""
    import manim as m
    from manim.camera.camera import Camera

    cam = Camera(pixel_width=W, pixel_height=H, frame_width=FRAME_WIDTH,
                 frame_height=FRAME_HEIGHT, background_color=m.BLACK)
    cam.capture_mobjects(manim_objects(name))
    diff = np.abs(cam.pixel_array.astype(int) - reports[name].frame.astype(int))
    assert diff.max() <= 1, f"max pixel difference {diff.max()}"


def test_every_object_is_visible_in_plain_scenes(reports):
    for name, report in reports.items():
        assert all(o.visible for o in report.objects), name


def test_keyframes_count_plays_plus_final_state(reports):
    assert reports["axes_plot"].keyframes == 2  # one play, then the final state
    assert reports["circle"].keyframes == 1


def test_invisible_objects_earn_no_visibility(renderer):
    code = """
from manim import *
class S(Scene):
    def construct(self):
        hidden = Circle(radius=0.5).move_to([2, 0, 0])
        cover = Square(side_length=3, fill_color=BLUE, fill_opacity=1).move_to([2, 0, 0])
        ghost = Square().set_opacity(0).move_to([-3, 2, 0])
        dark = Text("dark", color=BLACK).move_to([-3, -2, 0])
        gone = Circle().move_to([30, 0, 0])
        seen = Dot([-5, 3, 0])
        self.add(hidden, cover, ghost, dark, gone, seen)
"""
    report = renderer.render(code)
    assert report.status is Status.OK, report.error
    visible = [o.visible for o in report.objects]
    assert visible == [False, True, False, False, False, True]
