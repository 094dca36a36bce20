"""``python -m benchmark ceiling``: layouts rebuilt from task inputs score ~1."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def ceiling(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "benchmark", "ceiling", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=300, check=False)


def test_ceiling_on_the_whole_test_split_is_one_in_the_run_summary_shape():
    done = ceiling("--suite", "synthetic", "--split", "test", "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert {"run_id", "model", "suite", "split", "n", "metrics", "ci", "statuses"} <= set(out)
    assert out["n"] == 500 and out["split"] == "test"
    for metric in ("miou", "type_acc", "rel_acc", "adherence@0.5", "context_kept"):
        assert out["metrics"][metric] > 0.999, metric
    assert out["metrics"]["off_frame"] == 0.0


def test_ceiling_of_a_suite_without_rules_is_refused(tmp_path):
    path = tmp_path / "mine.jsonl"
    export = subprocess.run([sys.executable, "-m", "benchmark", "export", "--suite",
                             "synthetic", "--split", "val", "--limit", "2", "--out", str(path)],
                            cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert export.returncode == 0, export.stderr
    done = ceiling("--suite", str(path))
    assert done.returncode == 2
    assert "no layout rules" in done.stderr
