"""One submission's code cannot poison the TeX cache another submission reads."""

from __future__ import annotations

import numpy as np

from benchmark.render import Renderer
from benchmark.sandbox import SandboxConfig, Status

TEX = """
from manim import *
class S(Scene):
    def construct(self):
        self.add(MathTex("a^2 + b^2 = c^2").move_to([0, 1, 0]))
"""

# Renders the same TeX (filling its cache), then overwrites every cached SVG
# with a huge square, so that a later reader of that cache would get a wrong box.
POISON = TEX + """
        import glob
        bogus = ('<svg xmlns="http://www.w3.org/2000/svg" width="500" height="500">'
                 '<path d="M0 0 L500 0 L500 500 L0 500 Z"/></svg>')
        for path in glob.glob("/cache/Tex/*.svg"):
            with open(path, "w") as fh:
                fh.write(bogus)
"""


def test_poisoned_cache_of_one_namespace_does_not_reach_another(tmp_path):
    import manim as m

    expected = m.MathTex("a^2 + b^2 = c^2").move_to([0, 1, 0])
    want = (expected.get_left()[0], expected.get_bottom()[1],
            expected.get_right()[0], expected.get_top()[1])
    attacker = SandboxConfig(namespace="attacker", cache_dir=tmp_path)
    victim = SandboxConfig(namespace="victim", cache_dir=tmp_path)
    with Renderer(attacker) as a:
        assert a.render(POISON).status is Status.OK
        poisoned = a.render(TEX)  # the attacker only fools itself
    with Renderer(victim) as v:
        clean = v.render(TEX)
    assert clean.status is Status.OK, clean.error
    np.testing.assert_allclose(clean.objects[0].box, want, atol=1e-6)
    assert not np.allclose(poisoned.objects[0].box, want, atol=1e-3)
