"""3b1b snapshots → meaningful objects and their params (trusted side, no ManimGL needed)."""

from __future__ import annotations

import numpy as np
import pytest

from benchmark.sandbox.runtime import wire
from benchmark.snapshot import decode_snapshot
from benchmark.suites.threeb1b.gl_driver_encode import cubic_points
from benchmark.suites.threeb1b.objects import gl_objects, is_three_d, scene_header
from benchmark.suites.threeb1b.params import object_params

MRO = {
    "VGroup": ["VGroup", "VMobject", "Mobject", "object"],
    "Tex": ["Tex", "StringMobject", "SVGMobject", "VMobject", "Mobject", "object"],
    "TexText": ["TexText", "Tex", "StringMobject", "SVGMobject", "VMobject", "Mobject",
                "object"],
    "Square": ["Square", "Rectangle", "Polygon", "VMobject", "Mobject", "object"],
    "Circle": ["Circle", "Arc", "TipableVMobject", "VMobject", "Mobject", "object"],
    "Arrow": ["Arrow", "Line", "TipableVMobject", "VMobject", "Mobject", "object"],
    "Brace": ["Brace", "Tex", "StringMobject", "SVGMobject", "VMobject", "Mobject", "object"],
    "Axes": ["Axes", "VGroup", "CoordinateSystem", "VMobject", "Mobject", "object"],
    "ParametricCurve": ["ParametricCurve", "VMobject", "Mobject", "object"],
    "FullScreenRectangle": ["FullScreenRectangle", "ScreenRectangle", "Rectangle", "Polygon",
                            "VMobject", "Mobject", "object"],
    "Sphere": ["Sphere", "Surface", "Mobject", "object"],
    "VectorizedPoint": ["VectorizedPoint", "VMobject", "Mobject", "object"],
    "RegularPolygon": ["RegularPolygon", "Polygon", "VMobject", "Mobject", "object"],
    "NumberLine": ["NumberLine", "Line", "TipableVMobject", "VMobject", "Mobject", "object"],
    "Integer": ["Integer", "DecimalNumber", "VMobject", "Mobject", "object"],
    "Line": ["Line", "TipableVMobject", "VMobject", "Mobject", "object"],
}


class SnapBuilder:
    """Writes a snapshot payload in the wire format the ManimGL driver sends."""

    def __init__(self) -> None:
        self.members: list[dict] = []
        self.arrays: list[np.ndarray] = []

    def arr(self, a: object) -> int:
        self.arrays.append(np.asarray(a, dtype=float))
        return len(self.arrays) - 1

    def add(self, cls: str, box: tuple[float, float, float, float] | None = None,
            parent: int = -1, alpha: float = 1.0, **extra: object) -> int:
        pts = np.zeros((0, 3))
        if box is not None:
            x0, y0, x1, y1 = box
            corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
            pts = np.array([[*corners[i // 4 + (i % 4 == 3)], 0.0] for i in range(16)])
        rec = {"parent": parent, "cls": cls, "mro": MRO[cls], "draw": wire.DRAW_VECTOR,
               "points": self.arr(pts), "fill": self.arr([[1, 1, 1, alpha]]),
               "stroke": self.arr([[1, 1, 1, alpha]]), "bg_stroke": self.arr([[0, 0, 0, 0]]),
               "stroke_width": 2.0, **extra}
        self.members.append(rec)
        return len(self.members) - 1

    def payload(self, **scene: object) -> bytes:
        return wire.encode_snapshot({"class": "Demo", "background": [0, 0, 0, 255], **scene},
                                    self.members, self.arrays)

    def objects(self) -> list:
        return gl_objects(decode_snapshot(self.payload()))


def test_quadratic_paths_become_the_same_cubic_curves() -> None:
    a0, h, a1 = np.array([0.0, 0, 0]), np.array([1.0, 2, 0]), np.array([2.0, 0, 0])
    b_h, b1 = np.array([3.0, -1, 0]), np.array([4.0, 0, 0])
    quad = np.array([a0, h, a1, b_h, b1])
    cubic = cubic_points(quad).reshape(-1, 4, 3)
    assert cubic.shape == (2, 4, 3)
    for t in np.linspace(0, 1, 7):
        q = (1 - t) ** 2 * a0 + 2 * t * (1 - t) * h + t ** 2 * a1
        c = cubic[0]
        cb = ((1 - t) ** 3 * c[0] + 3 * t * (1 - t) ** 2 * c[1] + 3 * t ** 2 * (1 - t) * c[2]
              + t ** 3 * c[3])
        assert np.allclose(q, cb)


def test_a_null_curve_between_subpaths_is_dropped() -> None:
    p, q, r = np.array([0.0, 0, 0]), np.array([1.0, 1, 0]), np.array([2.0, 0, 0])
    s, t, u = np.array([5.0, 5, 0]), np.array([6.0, 6, 0]), np.array([7.0, 5, 0])
    # subpath 1: p-q-r; the join r,r,s (handle on its start); subpath 2: s-t-u
    quad = np.array([p, q, r, r, s, t, u])
    cubic = cubic_points(quad).reshape(-1, 4, 3)
    assert len(cubic) == 2
    assert np.allclose(cubic[0][0], p) and np.allclose(cubic[1][3], u)


def test_touching_tex_parts_are_one_formula_and_separate_labels_stay_apart() -> None:
    b = SnapBuilder()
    g = b.add("VGroup")
    b.add("Tex", (-2.0, 0.0, -1.5, 0.5), parent=g, tex_string="a")
    b.add("Tex", (-1.45, 0.0, -1.0, 0.5), parent=g, tex_string="=")
    b.add("Tex", (-0.95, 0.0, -0.5, 0.5), parent=g, tex_string="b")
    far = b.add("VGroup")
    b.add("TexText", (-6.0, 3.0, -4.0, 3.5), parent=far, tex_string="Left")
    b.add("TexText", (4.0, 3.0, 6.0, 3.5), parent=far, tex_string="Right")
    objs = b.objects()
    assert [(o.kind, o.content) for o in objs] == [
        ("tex", "a = b"), ("text", "Left"), ("text", "Right")]
    assert objs[0].box == pytest.approx((-2.0, 0.0, -0.5, 0.5))


def test_many_small_parts_collapse_into_one_group_object() -> None:
    b = SnapBuilder()
    g = b.add("VGroup")
    for i in range(5):
        for j in range(5):
            b.add("Square", (i * 0.3, j * 0.3, i * 0.3 + 0.25, j * 0.3 + 0.25), parent=g)
    b.add("Tex", (-3.0, -3.0, -2.0, -2.5), tex_string="x")
    objs = b.objects()
    assert [(o.kind, o.content) for o in objs] == [("other", "group of 25 Square"),
                                                  ("tex", "x")]
    assert objs[0].box == pytest.approx((0.0, 0.0, 1.45, 1.45))


def test_backdrops_invisible_tiny_and_off_frame_objects_are_not_objects() -> None:
    b = SnapBuilder()
    b.add("FullScreenRectangle", (-7.2, -4.1, 7.2, 4.1))
    b.add("Square", (-8.0, -8.0, 8.0, 8.0))  # a shape covering the frame: a backdrop
    b.add("Circle", (0.0, 0.0, 1.0, 1.0), alpha=0.0)  # transparent
    b.add("Circle", (2.0, 2.0, 2.01, 2.01))  # tiny
    b.add("Circle", (20.0, 0.0, 21.0, 1.0))  # wholly off-frame
    b.add("VectorizedPoint", (1.0, 1.0, 1.0, 1.0))
    b.add("Circle", (-1.0, -1.0, 0.0, 0.0))
    assert [o.content for o in b.objects()] == ["Circle"]


def test_three_d_content_is_detected() -> None:
    b = SnapBuilder()
    b.add("Circle", (0.0, 0.0, 1.0, 1.0))
    assert not is_three_d(decode_snapshot(b.payload()))
    b.add("Sphere", (-1.0, -1.0, 1.0, 1.0))
    assert is_three_d(decode_snapshot(b.payload()))


def test_scene_header_carries_the_wait_and_camera_frame() -> None:
    b = SnapBuilder()
    b.add("Circle", (0.0, 0.0, 1.0, 1.0))
    head = scene_header(b.payload(wait=3, frame={"width": 7.1, "height": 4.0}))
    assert head["wait"] == 3 and head["frame"]["height"] == 4.0


def test_params_state_what_the_geometry_shows() -> None:
    b = SnapBuilder()
    b.add("Axes", (-6.0, -3.0, 0.0, 3.0))
    b.add("ParametricCurve", (-5.0, -2.0, -1.0, 2.0))
    b.add("TexText", (2.0, 2.0, 4.0, 2.5), tex_string="label")
    b.add("Arrow", (0.2, 1.0, 1.8, 2.0))  # from near the axes' right edge up to the label
    b.add("Tex", (2.0, -1.0, 4.0, -0.5), tex_string="x^2")
    b.add("Brace", (2.0, -1.6, 4.0, -1.2), tex_string="")
    b.add("Circle", (4.5, 1.0, 5.5, 2.0))
    objs = b.objects()
    ids = [f"o{i + 1}" for i in range(len(objs))]
    kinds = [o.kind for o in objs]
    assert kinds == ["axes", "graph", "text", "arrow", "tex", "brace", "shape"]
    assert object_params(0, objs, ids) == {"x_length": 6.0, "y_length": 6.0}
    assert object_params(1, objs, ids) == {"axes": "o1"}
    assert object_params(3, objs, ids) == {"from": "o1", "to": "o3"}
    assert object_params(5, objs, ids) == {"target": "o5", "direction": "down"}
    assert object_params(6, objs, ids) == {"radius": 0.5}


def test_a_polygon_states_its_corners_and_a_number_line_its_numbers() -> None:
    b = SnapBuilder()
    b.add("RegularPolygon", (-6.0, -3.0, -4.0, -1.0))  # drawn as four straight edges
    line = b.add("NumberLine", (-4.0, 0.0, 4.0, 0.02))
    for v in (-2, 0, 2, 4):
        b.add("Integer", (v - 0.1, -0.4, v + 0.1, -0.2), parent=line, number=float(v))
    uneven = b.add("NumberLine", (-4.0, 2.0, 4.0, 2.02))
    for v in (0, 1, 3):
        b.add("Integer", (v - 0.1, 1.6, v + 0.1, 1.8), parent=uneven, number=float(v))
    b.add("NumberLine", (-4.0, -3.0, 4.0, -2.98))
    objs = b.objects()
    ids = [f"o{i + 1}" for i in range(len(objs))]
    assert [o.kind for o in objs] == ["shape", "number_line", "number_line", "number_line"]
    assert object_params(0, objs, ids) == {"n": 4, "radius": 1.0}
    assert object_params(1, objs, ids) == {"length": 8.1, "x_range": [-2.0, 4.0, 2.0],
                                           "include_numbers": True}
    assert object_params(2, objs, ids) == {"length": 8.0}  # uneven numbers: no range
    assert object_params(3, objs, ids) == {"length": 8.0}


def test_an_arrow_far_from_everything_states_no_ends() -> None:
    b = SnapBuilder()
    b.add("Arrow", (-6.0, -3.5, -5.0, -3.0))
    b.add("Circle", (4.0, 2.0, 5.0, 3.0))
    objs = b.objects()
    assert object_params(0, objs, ["o1", "o2"]) == {}


@pytest.mark.parametrize(("ends", "angle"), [
    (((-2.0, -1.0), (2.0, 1.0)), 0.4636), (((2.0, -1.0), (-2.0, 1.0)), -0.4636),
    (((0.0, 2.0), (0.0, -2.0)), 1.5708), (((-2.0, 0.0), (2.0, 0.0)), None)])
def test_a_straight_line_states_its_direction(ends, angle) -> None:
    b = SnapBuilder()
    (x0, y0), (x1, y1) = ends
    pts = np.array([[x0, y0, 0], [x0 + (x1 - x0) / 3, y0 + (y1 - y0) / 3, 0],
                    [x0 + 2 * (x1 - x0) / 3, y0 + 2 * (y1 - y0) / 3, 0], [x1, y1, 0]])
    b.add("Line", points=b.arr(pts))
    b.add("Circle", (3.0, 2.0, 4.0, 3.0))
    objs = b.objects()
    assert [o.content for o in objs] == ["Line", "Circle"]
    params = object_params(0, objs, ["o1", "o2"])
    assert params.get("angle") == angle
    assert params["length"] == round(float(np.hypot(x1 - x0, y1 - y0)), 3)


def test_a_stretched_circle_or_square_is_stated_as_an_ellipse_or_rectangle() -> None:
    b = SnapBuilder()
    b.add("Circle", (-6.0, -1.0, -4.0, 1.0))  # round
    b.add("Circle", (-3.0, -0.2, -1.0, 0.2))  # squashed
    b.add("Square", (0.0, 0.0, 1.0, 1.0))
    b.add("Square", (2.0, 0.0, 2.5, 2.0))  # stretched upright
    objs = b.objects()
    ids = [f"o{i + 1}" for i in range(len(objs))]
    assert [o.content for o in objs] == ["Circle", "Ellipse", "Square", "Rectangle"]
    assert object_params(0, objs, ids) == {"radius": 1.0}
    assert object_params(1, objs, ids) == {"width": 2.0, "height": 0.4}
    assert object_params(3, objs, ids) == {"width": 0.5, "height": 2.0}


def test_rows_of_touching_tex_parts_stay_rows_of_one_formula() -> None:
    b = SnapBuilder()
    g = b.add("VGroup")
    for row, y in ((("1", "2"), 0.5), (("3", "4"), 0.0)):
        for col, s in enumerate(row):
            b.add("Tex", (col * 0.5, y, col * 0.5 + 0.3, y + 0.35), parent=g, tex_string=s)
    objs = b.objects()
    assert [(o.kind, o.content) for o in objs] == [("tex", "1 2 \\\\ 3 4")]


def test_a_text_states_the_font_prepare_sets_it_in() -> None:
    b = SnapBuilder()
    b.add("TexText", (2.0, 2.0, 4.0, 2.5), tex_string="label")
    objs = b.objects()
    assert object_params(0, objs, ["o1"]) == {"font": "Latin Modern Roman"}


def test_a_regular_polygon_drawn_stretched_states_its_width_and_height() -> None:
    b = SnapBuilder()
    b.add("RegularPolygon", (-6.0, -3.0, -4.0, -1.0))  # a square drawn upright: as drawn
    b.add("RegularPolygon", (0.0, -2.0, 1.0, 2.0))  # four corners squeezed to 1 × 4
    objs = b.objects()
    ids = ["o1", "o2"]
    assert object_params(0, objs, ids) == {"n": 4, "radius": 1.0}
    assert object_params(1, objs, ids) == {"n": 4, "width": 1.0, "height": 4.0}
