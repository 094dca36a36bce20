"""The README's Quickstart main command, run end to end on a handful of tasks."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def quickstart() -> list[str]:
    text = (REPO / "README.md").read_text()
    block = re.search(r"## Quickstart.*?```\n(.*?)```", text, re.S)
    assert block is not None, "README has no Quickstart code block"
    lines = [ln for ln in block.group(1).splitlines() if ln.strip()]
    assert len(lines) == 2, "the Quickstart has exactly two commands"
    return lines


def test_quickstart_is_setup_then_run_and_the_test_command():
    setup, tests = quickstart()
    assert setup.startswith("./scripts/setup.sh && .venv/bin/python -m benchmark run ")
    assert tests == ".venv/bin/python -m pytest -q"
    assert "python -m pytest -q" in (REPO / ".ci" / "run").read_text()


def test_the_main_command_runs_on_a_handful_of_tasks(tmp_path):
    setup, _ = quickstart()
    argv = shlex.split(setup.split("&&", 1)[1])
    assert argv[:3] == [".venv/bin/python", "-m", "benchmark"]
    args = argv[3:]
    i = args.index("--limit")
    args[i + 1] = "3"  # a handful, not the README's 50
    db = tmp_path / "benchmark.db"
    done = subprocess.run([sys.executable, "-m", "benchmark", *args, "--db", str(db),
                           "--json"], cwd=REPO, capture_output=True, text=True, timeout=600,
                          check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["model"] == "jepa" and out["suite"] == "synthetic" and out["n"] == 3
    assert out["metrics"]["rendered"] == 1.0
    assert out["statuses"] == {"ok": 3}
    assert 0.0 < out["metrics"]["miou"] <= 1.0
    assert db.is_file()
