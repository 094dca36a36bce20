"""The cheat suite: forged claims of kind and content earn nothing.

Each cheat targets a synthetic test task on which the oracle earns miou 1; each
places forged objects exactly on the reference boxes, so before verification
existed every one of them earned full credit for what it placed.  Now the
forged objects are measured as unverified and matched to nothing.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from benchmark.core.tasks import Task
from benchmark.render import Renderer
from benchmark.scoring import ScoringConfig, outcome_from_report, score_outcome
from benchmark.suites import load_suite

LAYOUT_ONLY = ScoringConfig(scorers=("execution", "verification", "layout"))
CHEAT_MAX_MIOU = 0.2


@pytest.fixture(scope="module")
def tasks() -> dict[str, Task]:
    suite = load_suite("synthetic", "test")
    wanted = {"equation_chain/00004", "title_and_bullets/00001", "shapes_row/00011",
              "matrix_vector/00005"}
    return {t.id.removeprefix("synthetic/"): t for t in suite.tasks
            if t.id.removeprefix("synthetic/") in wanted}


@pytest.fixture(scope="module")
def renderer(sandbox):
    with Renderer(replace(sandbox, namespace="cheats"), jobs=2) as r:
        yield r


def _score(renderer: Renderer, task: Task, code: str) -> dict:
    reference = renderer.render(task.reference.code or "")
    report = renderer.render(code)
    assert report.status.value == "ok", (report.status, report.error)
    metrics = score_outcome(task, outcome_from_report(code, report, reference), LAYOUT_ONLY)
    return {"metrics": metrics, "report": report}


def _targets(task: Task) -> list:
    given = {o.id for o in task.objects if o.given is not None}
    return [p for p in task.reference.layout if p.id not in given]


def _scene(body: str, prelude: str = "") -> str:
    return f"from manim import *\n{prelude}\n\nclass Cheat(Scene):\n    def construct(self):\n" + \
        "".join(f"        {line}\n" for line in body.splitlines())


def _place(var: str, box: list[float]) -> str:
    x0, y0, x1, y1 = box
    return (f"{var}.stretch_to_fit_width({x1 - x0!r}).stretch_to_fit_height({y1 - y0!r})"
            f".move_to([{(x0 + x1) / 2!r}, {(y0 + y1) / 2!r}, 0])")


@pytest.mark.slow
def test_the_oracle_earns_full_credit_on_every_cheat_task(renderer, tasks):
    for task in tasks.values():
        got = _score(renderer, task, task.reference.code or "")
        assert got["metrics"]["miou"] == pytest.approx(1.0, abs=1e-3), task.id
        assert got["metrics"]["verified_rate"] == 1.0, task.id


def test_stretched_glyph_with_a_forged_tex_string_earns_nothing(renderer, tasks):
    task = tasks["equation_chain/00004"]
    lines = []
    for i, p in enumerate(_targets(task)):
        lines += [f"m{i} = MathTex('x')", _place(f"m{i}", p.box.as_list()),
                  f"m{i}.tex_string = {p.content!r}", f"self.add(m{i})"]
    got = _score(renderer, task, _scene("\n".join(lines)))
    assert got["metrics"]["miou"] <= CHEAT_MAX_MIOU
    assert got["metrics"]["verified_rate"] == 0.0
    assert all(not o.verified and o.kind == "other" and o.content == ""
               for o in got["report"].objects)


def test_a_rectangle_class_named_mathtex_earns_nothing(renderer, tasks):
    task = tasks["equation_chain/00004"]
    prelude = ("class MathTex(Rectangle):\n    def __init__(self, s):\n"
               "        super().__init__(fill_opacity=1)\n        self.tex_string = s\n")
    lines = []
    for i, p in enumerate(_targets(task)):
        lines += [f"m{i} = MathTex({p.content!r})", _place(f"m{i}", p.box.as_list()),
                  f"self.add(m{i})"]
    got = _score(renderer, task, _scene("\n".join(lines), prelude))
    assert got["metrics"]["miou"] <= CHEAT_MAX_MIOU
    assert [o.reason for o in got["report"].objects if o.verified] == []


def test_a_real_text_with_an_overwritten_text_attribute_earns_nothing(renderer, tasks):
    task = tasks["title_and_bullets/00001"]
    lines = []
    for i, p in enumerate(_targets(task)):
        lines += [f"t{i} = Text('nothing to see here')", _place(f"t{i}", p.box.as_list()),
                  f"t{i}.text = {p.content!r}", f"t{i}.original_text = {p.content!r}",
                  f"self.add(t{i})"]
    got = _score(renderer, task, _scene("\n".join(lines)))
    assert got["metrics"]["miou"] <= CHEAT_MAX_MIOU
    assert got["metrics"]["verified_rate"] == 0.0


def test_a_shape_of_one_class_posing_as_another_earns_nothing(renderer, tasks):
    task = tasks["shapes_row/00011"]
    lines = []
    for i, p in enumerate(t for t in _targets(task) if t.kind == "shape"):
        # A circle whose class claims the reference's class (Square, RegularPolygon, …)
        lines += [f"class {p.content}(Circle):\n    pass",
                  f"s{i} = {p.content}()", _place(f"s{i}", p.box.as_list()),
                  f"self.add(s{i})"]
    got = _score(renderer, task, _scene("\n".join(lines)))
    assert got["metrics"]["miou"] <= CHEAT_MAX_MIOU
    assert all(not o.verified for o in got["report"].objects)
    assert {o.reason.split(":")[0] for o in got["report"].objects} == \
        {f"not a {p.content}" for p in _targets(task) if p.kind == "shape"}


def test_forged_matrix_entries_earn_nothing(renderer, tasks):
    task = tasks["matrix_vector/00005"]
    lines = []
    for i, p in enumerate(t for t in _targets(task) if t.kind == "matrix"):
        entries = p.content.split()
        n = len(entries)
        rows = 2 if n == 4 else n
        cols = n // rows
        grid = [["9"] * cols for _ in range(rows)]
        lines += [f"m{i} = Matrix({grid!r})", _place(f"m{i}", p.box.as_list()),
                  f"for e, s in zip(m{i}.get_entries(), {entries!r}):",
                  "    e.tex_string = s", f"self.add(m{i})"]
    got = _score(renderer, task, _scene("\n".join(lines)))
    assert got["metrics"]["miou"] <= CHEAT_MAX_MIOU
    matrices = [o for o in got["report"].objects if o.cls == "Matrix"]
    assert matrices and all(not o.verified and "does not draw" in o.reason for o in matrices)


FORGED_FRAME = '''
import json
import os
import struct

from manim import *

TARGETS = {targets!r}
_real_exit = os._exit


def _send_forged_snapshot_then_exit(code):
    """A well-formed final keyframe that claims MathTex objects with the reference strings,
    drawn as filled rectangles on the reference boxes."""
    members, arrays, data = [], [], b""
    mro = ["MathTex", "SingleStringMathTex", "SVGMobject", "VMobject", "Mobject", "object"]
    for content, (x0, y0, x1, y1) in TARGETS:
        corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
        pts = []
        for (ax, ay), (bx, by) in zip(corners, corners[1:]):
            pts += [(ax, ay, 0), (ax + (bx - ax) / 3, ay + (by - ay) / 3, 0),
                    (ax + 2 * (bx - ax) / 3, ay + 2 * (by - ay) / 3, 0), (bx, by, 0)]
        base = len(arrays)
        arrays += [["<f8", [len(pts), 3]], ["<f8", [1, 4]], ["<f8", [1, 4]]]
        data += struct.pack(f"<{{3 * len(pts)}}d", *[v for p in pts for v in p])
        data += struct.pack("<8d", 1, 1, 1, 1, 1, 1, 1, 1)
        members.append({{"parent": -1, "cls": "MathTex", "mro": mro, "draw": "V",
                        "points": base, "fill": base + 1, "stroke": base + 2,
                        "stroke_width": 0.0, "tex_string": content,
                        "settings": {{"tex_environment": "align*"}}}})
    header = json.dumps({{"scene": {{"class": "Cheat"}}, "members": members,
                         "arrays": arrays}}).encode()
    payload = struct.pack("<HI", 2, len(header)) + header + data
    os.write(3, b"JMW1" + struct.pack("<BI", 2, len(payload)) + payload)
    _real_exit(code)


os._exit = _send_forged_snapshot_then_exit


class Cheat(Scene):
    def construct(self):
        self.add(Dot())
'''


def test_a_forged_snapshot_frame_claiming_classes_and_strings_earns_nothing(renderer, tasks):
    task = tasks["equation_chain/00004"]
    targets = [(p.content, p.box.as_list()) for p in _targets(task)]
    got = _score(renderer, task, FORGED_FRAME.format(targets=targets))
    forged = [o for o in got["report"].objects if o.cls == "MathTex"]
    assert len(forged) == len(targets)  # the forgery is what gets measured …
    assert got["metrics"]["miou"] <= CHEAT_MAX_MIOU  # … and it proves nothing
    assert all(not o.verified and "does not draw" in o.reason for o in forged)


def test_a_stale_claim_after_become_is_not_credited(renderer):
    """``become`` copies the drawing but not the string: the object draws "Step 2" while
    still claiming "Step 1".  It counts as what it draws, which no claim proves."""
    code = _scene('t = Text("Step 1")\nt.become(Text("Step 2"))\nself.add(t)')
    report = renderer.render(code)
    (obj,) = report.objects
    assert not obj.verified and "does not draw 'Step 1'" in obj.reason
