"""Task JSON v2: provenance (``source``) and reference frames shipped as files.

A suite built from outside code (3b1b) has no reference code: its reference
frame is a PNG next to the task file.  Scoring against it must give exactly
what scoring against the same pixels rendered from reference code gives.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from _tiny_suite import tiny_suite
from PIL import Image

from benchmark.core.tasks import TaskFormatError, dump_tasks, load_tasks, parse_task
from benchmark.render import Renderer
from benchmark.sandbox import SandboxConfig

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def suites(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("ref-frames")
    config = SandboxConfig(cache_dir=folder / "cache", namespace="ref-frames")
    with Renderer(config, jobs=2) as r:
        suite = tiny_suite(r, n=3, name="coded")
        reports = r.render_many([t.reference.code for t in suite.tasks])
    dump_tasks(suite.tasks, folder / "coded.jsonl")
    (folder / "frames").mkdir()
    framed = []
    for i, (task, rep) in enumerate(zip(suite.tasks, reports, strict=True)):
        Image.fromarray(np.ascontiguousarray(rep.frame[..., :3])).save(
            folder / "frames" / f"{i}.png")
        ref = replace(task.reference, code=None, frame=f"frames/{i}.png")
        framed.append(replace(task, suite="framed", reference=ref,
                              source={"video": "demo", "scene": f"S{i}", "wait": i}))
    dump_tasks(framed, folder / "framed.jsonl")
    broken = [replace(framed[0], reference=replace(framed[0].reference,
                                                   frame="frames/missing.png"))]
    dump_tasks(broken, folder / "broken.jsonl")
    return {"coded": folder / "coded.jsonl", "framed": folder / "framed.jsonl",
            "broken": folder / "broken.jsonl", "root": folder}


def _run(suite: Path, db: Path, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, XDG_CACHE_HOME=str(db.parent / "xdg"))
    return subprocess.run([sys.executable, "-m", "benchmark", "run", "--model", "template",
                           "--suite", str(suite), "--db", str(db), "--json"],
                          capture_output=True, text=True, env=env, cwd=cwd, timeout=600)


def test_source_round_trips_and_is_optional(suites) -> None:
    framed = load_tasks(suites["framed"])
    assert framed[1].source == {"video": "demo", "scene": "S1", "wait": 1}
    assert framed[1].reference.code is None and framed[1].reference.frame == "frames/1.png"
    coded = load_tasks(suites["coded"])
    assert "source" not in coded[0].to_json()  # v1 tasks read and write unchanged
    d = framed[0].to_json()
    d["source"] = ["not", "an", "object"]
    with pytest.raises(TaskFormatError, match="source: expected an object"):
        parse_task(d)


@pytest.mark.slow
def test_scores_against_frame_files_equal_scores_against_reference_code(
        suites, tmp_path) -> None:
    # Run from elsewhere: frame paths resolve against the task file, not the cwd.
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    coded = _run(suites["coded"], tmp_path / "a.db", elsewhere)
    framed = _run(suites["framed"], tmp_path / "b.db", elsewhere)
    assert coded.returncode == 0, coded.stderr
    assert framed.returncode == 0, framed.stderr
    a, b = (json.loads(p.stdout.strip().splitlines()[-1]) for p in (coded, framed))
    assert b["metrics"]["ssim"] is not None
    assert b["metrics"]["ssim"] == pytest.approx(a["metrics"]["ssim"], abs=1e-9)
    assert b["metrics"]["miou"] == pytest.approx(a["metrics"]["miou"], abs=1e-9)


def test_a_missing_reference_frame_is_a_one_line_error(suites, tmp_path) -> None:
    proc = _run(suites["broken"], tmp_path / "c.db", tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "missing.png" in lines[0], proc.stderr
