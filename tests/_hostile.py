"""What the hostile-program tests share: scenes, the renderer, checks on what came back."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from benchmark.render import Renderer, RenderReport
from benchmark.sandbox import Limits, SandboxConfig, Status

REPO = Path(__file__).resolve().parent.parent
RUNTIME_DIR = REPO / "benchmark" / "sandbox" / "runtime"
LIMITS = Limits(timeout_s=8, cpu_s=8)
BOX_TOL = 1e-6
FAILURES = {s for s in Status if s is not Status.OK}
AS_ROOT = os.geteuid() == 0

HEAD = "from manim import *\n\n\nclass S(Scene):\n    def construct(self):\n"


def scene(body: str) -> str:
    """A one-scene module whose ``construct`` runs ``body`` (dedented lines)."""
    lines = body.strip("\n").splitlines()
    return HEAD + "".join(f"        {line}\n" for line in lines)


def make_renderer(tmp_path_factory: pytest.TempPathFactory, namespace: str,
                  limits: Limits = LIMITS) -> Renderer:
    cfg = SandboxConfig(mode="bwrap", limits=limits, namespace=namespace,
                        cache_dir=tmp_path_factory.mktemp("sandbox-cache"))
    return Renderer(cfg, jobs=1)


def kinds(report: RenderReport) -> list[tuple[str, str]]:
    return [(o.kind, o.cls) for o in report.objects]


def assert_box(box: tuple[float, ...], expected: tuple[float, ...]) -> None:
    assert len(box) == 4
    assert all(abs(a - b) <= BOX_TOL for a, b in zip(box, expected, strict=True)), box


def assert_still_works(renderer: Renderer) -> None:
    """The worker that ran the hostile code still renders a normal scene exactly."""
    report = renderer.render(scene("self.add(Circle(radius=1).move_to([-4, 0, 0]))"))
    assert report.status is Status.OK, (report.status, report.error, report.stderr_tail)
    assert report.sandbox == "bwrap"
    assert kinds(report) == [("shape", "Circle")]
    assert_box(report.objects[0].box, (-5.0, -1.0, -3.0, 1.0))


def assert_only_square(report: RenderReport) -> None:
    """The scene drew exactly the marker ``Square()``: every probe came out as expected."""
    assert report.status is Status.OK, (report.status, report.error, report.stderr_tail)
    assert kinds(report) == [("shape", "Square")], report.stderr_tail
    assert_box(report.objects[0].box, (-1.0, -1.0, 1.0, 1.0))


def sandbox_uid(renderer: Renderer) -> int:
    """The uid the worker's children run as, read back from what a scene draws."""
    report = renderer.render(scene(
        "import os\nself.add(Square().move_to([(os.getuid() - 47000) / 100, 0, 0]))"))
    assert report.status is Status.OK, report.error
    x0, _, x1, _ = report.objects[0].box
    return 47000 + round((x0 + x1) / 2 * 100)


def live_processes_of(uid: int) -> list[str]:
    """Host processes (not zombies) running as ``uid``: 'pid state name' each."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            fields = dict(line.split(":", 1) for line in
                          Path(f"/proc/{name}/status").read_text().splitlines() if ":" in line)
        except OSError:
            continue
        state = fields.get("State", "").split()
        if fields.get("Uid", "").split()[:1] == [str(uid)] and state[:1] not in (["Z"], ["X"]):
            found.append(f"{name} {state[:1]} {fields.get('Name', '').strip()}")
    return found
