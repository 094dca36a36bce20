"""No false rejections: honest scenes, written the way people and LLMs write Manim, verify.

``tests/data/honest_scenes`` holds hand-written scenes that use the features
verification has to tolerate: ``Tex`` in text mode, ``MathTex`` with several
substrings and colours, ``Text`` with ``t2c``, ``MarkupText``, ``Paragraph``,
``BulletedList``, ``Title``, ``DecimalNumber``, ``Integer``, ``Matrix``,
``Brace`` with a label, ``always_redraw``, ``VGroup(...).arrange(...)``, scaled
and rotated objects, gradients, planes and plots.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from benchmark.render import Renderer

SCENES = sorted((Path(__file__).parents[1] / "data" / "honest_scenes").glob("*.py"))
MIN_RATE = 0.99


@pytest.fixture(scope="module")
def reports(sandbox):
    with Renderer(replace(sandbox, namespace="honest"), jobs=2) as r:
        return dict(zip(SCENES, r.render_many([p.read_text() for p in SCENES]), strict=True))


def test_the_corpus_is_large_and_covers_the_features_people_use():
    assert len(SCENES) >= 40
    text = "\n".join(p.read_text() for p in SCENES)
    for feature in ("Tex(", "MathTex(", "t2c=", "MarkupText(", "Paragraph(", "BulletedList(",
                    "Title(", "DecimalNumber(", "Integer(", "Matrix(", "Brace(", "BraceLabel(",
                    "always_redraw(", ".arrange(", ".rotate(", ".scale(", "set_color_by_tex",
                    "tex_to_color_map", "NumberPlane(", "Axes("):
        assert feature in text, feature


@pytest.mark.slow
def test_every_honest_scene_renders(reports):
    bad = {p.name: (r.status.value, r.error) for p, r in reports.items()
           if r.status.value != "ok"}
    assert not bad


def test_at_least_99_percent_of_visible_honest_objects_verify(reports):
    objects = [(p.name, o) for p, r in reports.items() for o in r.objects if o.visible]
    failed = [(name, o.cls, o.reason) for name, o in objects if not o.verified]
    assert len(objects) >= 140
    assert 1 - len(failed) / len(objects) >= MIN_RATE, failed


def test_verified_objects_keep_their_claimed_kind_and_content(reports):
    by_name = {p.name: r for p, r in reports.items()}
    kinds = {(o.kind, o.content) for o in by_name["s08_brace.py"].objects}
    assert ("tex", r"6\text{ units}") in kinds and ("shape", "Square") in kinds
    numbers = [o for o in by_name["s06_decimal.py"].objects if o.cls in ("DecimalNumber",
                                                                         "Integer")]
    # A number's content is the digits it drew (3 decimal places), not the value it holds.
    assert sorted(o.content for o in numbers) == ["3.142", "42"]
