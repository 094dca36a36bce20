"""``python -m benchmark render``: the JSON promise, the table, and bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

TWO_SCENES = """
from manim import *
class First(Scene):
    def construct(self):
        self.add(Circle())
class Second(Scene):
    def construct(self):
        self.add(Square().move_to([2, 0, 0]))
"""


def run_cli(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, XDG_CACHE_HOME=str(cache))
    return subprocess.run([sys.executable, "-m", "benchmark", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=180, check=False)


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("xdg-cache")


def test_render_json_prints_exactly_one_object_with_the_promised_keys(tmp_path, cache):
    done = run_cli("render", "examples/equation_over_graph.py", "--out", str(tmp_path),
                   "--json", cache=cache)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1
    obj = json.loads(lines[0])
    assert {"status", "error", "objects", "frame", "keyframes", "timings"} <= set(obj)
    assert obj["status"] == "ok"
    assert [o["kind"] for o in obj["objects"]] == ["axes", "graph", "tex"]
    tex = obj["objects"][2]
    assert tex["content"] == "f(x) = x^2"
    cx = (tex["box"][0] + tex["box"][2]) / 2
    cy = (tex["box"][1] + tex["box"][3]) / 2
    assert abs(cx) < 1e-6 and abs(cy - 2) < 1e-6
    assert Path(obj["frame"]).is_file()
    assert obj["keyframes"] == 4  # three play/wait calls and the final state


def test_render_without_json_prints_a_readable_table(tmp_path, cache):
    done = run_cli("render", "examples/circle_left.py", "--out", str(tmp_path), cache=cache)
    assert done.returncode == 0, done.stderr
    assert "ok" in done.stdout.splitlines()[0]
    assert "Circle" in done.stdout and "-5.000" in done.stdout
    assert "sandbox    bwrap" in done.stdout


def test_scene_option_selects_one_of_several(tmp_path, cache):
    f = tmp_path / "two.py"
    f.write_text(TWO_SCENES)
    done = run_cli("render", str(f), "--scene", "Second", "--out", str(tmp_path), "--json",
                   cache=cache)
    obj = json.loads(done.stdout)
    assert done.returncode == 0
    assert [o["content"] for o in obj["objects"]] == ["Square"]


@pytest.mark.parametrize(("name", "content", "status", "phrase"), [
    ("empty.py", b"", "no_scene", "no Scene subclass"),
    ("binary.py", b"\xff\xfe\x00garbage", "syntax_error", "not valid UTF-8"),
    ("noscene.py", b"from manim import *\nx = Circle()\n", "no_scene", "no Scene subclass"),
    ("two.py", TWO_SCENES.encode(), "multiple_scenes", "--scene"),
    ("syntax.py", b"from manim import *\nclass S(Scene:\n", "syntax_error", "line 2"),
    ("missing_mod.py", b"import not_a_module_xyz\n", "import_error", "not_a_module_xyz"),
    ("boom.py", b"from manim import *\nclass S(Scene):\n    def construct(self):\n"
                b"        raise ValueError('boom')\n", "runtime_error", "boom"),
    ("badtex.py", b"from manim import *\nclass S(Scene):\n    def construct(self):\n"
                  b"        self.add(MathTex(r'\\undefinedcmdxyz{x}'))\n", "latex_error", "LaTeX"),
    ("empty_scene.py", b"from manim import *\nclass S(Scene):\n    def construct(self):\n"
                       b"        pass\n", "empty_scene", "no objects"),
])
def test_bad_scene_files_fail_with_one_clear_line(tmp_path, cache, name, content, status,
                                                   phrase):
    f = tmp_path / name
    f.write_bytes(content)
    done = run_cli("render", str(f), "--out", str(tmp_path), cache=cache)
    assert done.returncode == 1
    err = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(err) == 1
    assert status in err[0] and phrase in err[0]
    jdone = run_cli("render", str(f), "--out", str(tmp_path), "--json", cache=cache)
    assert jdone.returncode == 1
    assert json.loads(jdone.stdout)["status"] == status


def test_nonexistent_path_is_a_usage_error(cache):
    done = run_cli("render", "does/not/exist.py", "--json", cache=cache)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip() == "error: does/not/exist.py: no such file"


def test_unknown_flag_is_rejected(cache):
    done = run_cli("render", "examples/circle_left.py", "--frobnicate", cache=cache)
    assert done.returncode == 2
    assert "unrecognized arguments: --frobnicate" in done.stderr


def test_help_explains_the_commands(cache):
    done = run_cli("--help", cache=cache)
    assert done.returncode == 0
    assert "render" in done.stdout and "bench-render" in done.stdout
