"""End to end: `python -m benchmark bench-render` on two small scenes."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCENES = {
    "circle.py": """from manim import *


class OneCircle(Scene):
    def construct(self):
        self.add(Circle(radius=1, color=RED).move_to([-2, 0, 0]))
""",
    "square.py": """from manim import *


class OneSquare(Scene):
    def construct(self):
        self.add(Square(side_length=2, color=GREEN, fill_opacity=0.5).move_to([2, 1, 0]))
""",
}


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_bench_render_json(tmp_path: Path) -> None:
    for name, code in SCENES.items():
        (tmp_path / name).write_text(code)

    proc = subprocess.run(
        [sys.executable, "-m", "benchmark", "bench-render", "--examples", str(tmp_path),
         "--repeat", "1", "--jobs", "1", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=540, check=False)

    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["cli_scenes_per_s"] > 0
    assert result["pool_scenes_per_s"] > 0
    assert result["ratio"] == pytest.approx(
        result["pool_scenes_per_s"] / result["cli_scenes_per_s"])
    assert result["identical_boxes"] is True
    assert [row["scene"] for row in result["per_scene"]] == ["circle", "square"]
