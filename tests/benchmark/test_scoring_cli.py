"""End to end through the sandbox: known moves give known scores; ``benchmark score`` CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmark.core.tasks import PlacedObject, Task, parse_task
from benchmark.render import Renderer
from benchmark.sandbox import SandboxConfig
from benchmark.scoring import METRICS, ScoringConfig, outcome_from_report, score_outcome

REPO = Path(__file__).resolve().parents[2]

SCENE = """from manim import *

class Two(Scene):
    def construct(self):
        eq = MathTex("E = mc^2").move_to([0, 2, 0])
        box = Rectangle(width=2, height=1).move_to([{x}, -1, 0])
        self.add(eq, box)
"""


def scene(x: float) -> str:
    return SCENE.replace("{x}", repr(x))


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("xdg-cache")


@pytest.fixture(scope="module")
def renderer(cache):
    cfg = SandboxConfig(namespace="scoring-tests", cache_dir=cache / "sandbox")
    with Renderer(cfg, jobs=1) as r:
        yield r


@pytest.fixture(scope="module")
def task_json(renderer) -> dict:
    """A task whose reference layout is what the harness measured for its reference code."""
    ref = renderer.render(scene(-3.0))
    assert ref.status.value == "ok", ref.error
    ids = {"tex": "eq", "shape": "box"}
    layout = [{"id": ids[o.kind], "kind": o.kind, "content": o.content, "box": list(o.box)}
              for o in ref.objects]
    return {"id": "test/two/0", "suite": "test", "split": "test", "family": "two",
            "difficulty": "easy", "prompt": "Show E = mc^2 above a 2 by 1 rectangle.",
            "objects": [{"id": "eq", "kind": "tex", "content": "E = mc^2"},
                        {"id": "box", "kind": "shape", "content": "Rectangle"}],
            "relations": [{"a": "eq", "rel": "above", "b": "box"}],
            "reference": {"layout": layout, "code": scene(-3.0)}}


def score_code(renderer: Renderer, task: Task, code: str) -> dict[str, float | None]:
    assert task.reference.code is not None
    reference = renderer.render(task.reference.code)
    outcome = outcome_from_report(code, renderer.render(code), reference)
    return score_outcome(task, outcome, ScoringConfig(lpips=False))


def test_rendered_shifts_change_scores_by_the_expected_amounts(renderer, task_json):
    task = parse_task(task_json)
    assert {p.id: p.kind for p in task.reference.layout} == {"eq": "tex", "box": "shape"}
    same = score_code(renderer, task, scene(-3.0))
    assert same["miou"] == pytest.approx(1.0) and same["adherence@0.5"] == 1.0
    assert same["rel_acc"] == 1.0 and same["ssim"] == pytest.approx(1.0)
    half = score_code(renderer, task, scene(-2.5))
    assert half["miou"] == pytest.approx((1.0 + 1.5 / 2.5) / 2, abs=1e-6)
    assert half["adherence@0.5"] == 1.0
    assert half["ssim"] < 1.0
    further = score_code(renderer, task, scene(-2.4))
    assert further["adherence@0.5"] == 0.5


def test_the_oracle_layout_is_the_reference_layout(renderer, task_json):
    task = parse_task(task_json)
    s = score_code(renderer, task, scene(-3.0))
    for m in ("miou", "type_acc", "rel_acc", "adherence@0.5"):
        assert s[m] == pytest.approx(1.0), m
    assert all(isinstance(p, PlacedObject) for p in task.reference.layout)


def run_cli(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, XDG_CACHE_HOME=str(cache), TORCH_HOME=str(cache / "no-torch"))
    return subprocess.run([sys.executable, "-m", "benchmark", "score", *args], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=300, check=False)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_score_json_prints_one_object_with_every_metric(tmp_path, cache, task_json):
    task = write(tmp_path / "task.json", json.dumps(task_json))
    code = write(tmp_path / "moved.py", scene(-2.5))
    done = run_cli("--task", str(task), "--code", str(code), "--json", cache=cache)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1
    obj = json.loads(lines[0])
    assert obj["task"] == "test/two/0" and obj["status"] == "ok" and obj["error"] == ""
    assert list(obj["metrics"]) == list(METRICS)
    assert obj["metrics"]["miou"] == pytest.approx(0.8, abs=1e-6)
    assert obj["metrics"]["lpips"] is None
    assert "--lpips-weights" in obj["notes"]["lpips"]


def test_score_table_and_a_failing_submission(tmp_path, cache, task_json):
    task = write(tmp_path / "task.jsonl", json.dumps(task_json) + "\n")
    code = write(tmp_path / "broken.py", "from manim import *\nclass S(Scene):\n"
                                         "    def construct(self):\n        1 / 0\n")
    done = run_cli("--task", str(task), "--code", str(code), cache=cache)
    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith("test/two/0: runtime_error")
    assert "miou" in done.stdout and "0.0000" in done.stdout


@pytest.mark.parametrize(("content", "expected"), [
    (None, "no such file"),
    ('{"id": "x"', "task.json:1: invalid JSON"),
    ('{"id": "x", "suite": "s", "split": "test", "family": "f", "difficulty": "easy", '
     '"prompt": "p", "objects": [{"id": "a", "kind": "blob", "content": ""}], '
     '"reference": {"layout": []}}', "task.json: objects[0].kind: unknown kind 'blob'"),
    ('{"id": "x", "suite": "s", "split": "test", "family": "f", "difficulty": "easy", '
     '"prompt": "p", "objects": [{"id": "a", "kind": "tex", "content": "a"}], '
     '"reference": {"layout": []}}', "has no reference code"),
])
def test_bad_task_input_is_one_line_and_exit_2(tmp_path, cache, content, expected):
    task = tmp_path / "task.json"
    if content is not None:
        write(task, content)
    code = write(tmp_path / "code.py", scene(0.0))
    done = run_cli("--task", str(task), "--code", str(code), cache=cache)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0]


def test_bad_jsonl_names_the_line(tmp_path, cache, task_json):
    bad = dict(task_json, id="second", prompt="")
    task = write(tmp_path / "tasks.jsonl", json.dumps(task_json) + "\n" + json.dumps(bad))
    done = run_cli("--task", str(task), "--code", str(task), cache=cache)
    assert done.returncode == 2
    assert "tasks.jsonl:2: prompt: empty" in done.stderr
    two = write(tmp_path / "two.jsonl", json.dumps(task_json) + "\n"
                + json.dumps(dict(task_json, id="other")) + "\n")
    done = run_cli("--task", str(two), "--code", str(two), cache=cache)
    assert done.returncode == 2 and "expected exactly one task, found 2" in done.stderr


def test_missing_code_or_weights_file_is_exit_2(tmp_path, cache, task_json):
    task = write(tmp_path / "task.json", json.dumps(task_json))
    done = run_cli("--task", str(task), "--code", str(tmp_path / "none.py"), cache=cache)
    assert done.returncode == 2 and "none.py: no such file" in done.stderr
    code = write(tmp_path / "code.py", scene(0.0))
    done = run_cli("--task", str(task), "--code", str(code), "--lpips-weights",
                   str(tmp_path / "alexnet.pth"), cache=cache)
    assert done.returncode == 2 and "alexnet.pth: no such file" in done.stderr
