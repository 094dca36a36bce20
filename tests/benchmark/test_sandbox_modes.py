"""The rlimit-only fallback still renders correctly and always says what it is."""

from __future__ import annotations

import numpy as np

from benchmark.render import Renderer
from benchmark.sandbox import Limits, SandboxConfig, Status

CIRCLE = """
from manim import *
class S(Scene):
    def construct(self):
        self.add(Circle(radius=1).move_to([-4, 0, 0]))
"""


def test_rlimit_only_mode_renders_and_is_recorded(tmp_path):
    cfg = SandboxConfig(mode="rlimit-only", namespace="mode-tests", cache_dir=tmp_path,
                        limits=Limits(timeout_s=30, cpu_s=30))
    with Renderer(cfg, jobs=1) as r:
        report = r.render(CIRCLE)
        assert r.pool.fallback_reason  # the fallback is never silent
    assert report.sandbox == "rlimit-only"
    assert report.status is Status.OK, report.error + report.stderr_tail
    np.testing.assert_allclose(report.objects[0].box, (-5, -1, -3, 1), atol=1e-6)


def test_rlimit_only_mode_still_enforces_the_timeout(tmp_path):
    cfg = SandboxConfig(mode="rlimit-only", namespace="mode-tests", cache_dir=tmp_path,
                        limits=Limits(timeout_s=3, cpu_s=3))
    code = CIRCLE.replace("self.add(", "while True: pass\n        self.add(")
    with Renderer(cfg, jobs=1) as r:
        report = r.render(code)
    assert report.status is Status.TIMEOUT


def test_bwrap_mode_is_reported_by_default(tmp_path):
    cfg = SandboxConfig(namespace="mode-tests", cache_dir=tmp_path)
    with Renderer(cfg, jobs=1) as r:
        report = r.render(CIRCLE)
    assert report.sandbox == "bwrap"
    assert r.pool.fallback_reason is None
