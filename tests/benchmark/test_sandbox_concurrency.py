"""Workers sharing one TeX cache, and workers started from short-lived threads."""

from __future__ import annotations

import threading
import uuid

import pytest

from benchmark.render import Renderer
from benchmark.sandbox import SandboxConfig


def scene(tex: str) -> str:
    return ("from manim import *\nclass A(Scene):\n    def construct(self):\n"
            f"        self.add(MathTex(r'{tex}'), Text('{tex}'))\n")


@pytest.mark.slow
def test_two_workers_compiling_the_same_new_tex_at_once_both_succeed(tmp_path):
    with Renderer(SandboxConfig(cache_dir=tmp_path), jobs=2) as r:
        for _ in range(4):
            code = scene(uuid.uuid4().hex[:8])
            reports = r.render_many([code, code])
            assert [x.status.value for x in reports] == ["ok", "ok"], \
                [x.error for x in reports]


def test_a_worker_outlives_the_thread_that_started_it(tmp_path):
    with Renderer(SandboxConfig(cache_dir=tmp_path), jobs=1) as r:
        first: list[str] = []
        t = threading.Thread(target=lambda: first.append(r.render(scene("a")).status.value))
        t.start()
        t.join()
        assert first == ["ok"]
        # The worker was started by a thread that has now exited; it must still serve.
        again = r.render(scene("b"))
        assert again.status.value == "ok", again.error
        assert r.pool.workers[0].requests == 2
